// The AWS IoT behaviours' tests (Device Shadow, Jobs): what the session published, decoded
// as JSON, and an answer from the service fed to it — on device_harness.hpp's scripted broker.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "device_harness.hpp"

namespace fleetload::device::test {

struct Sent {
  std::string topic;
  boost::json::value body;
};

// The PUBLISHes the session wrote since packet `from`, decoded.
inline std::vector<Sent> publishes(const Harness& h, std::size_t from = 0) {
  std::vector<Sent> out;
  for (std::size_t i : h.of_type(mqtt::PacketType::Publish)) {
    if (i < from) continue;
    const auto p = std::get<mqtt::Publish>(h.packet(i));
    const std::string text(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
    out.push_back({std::string(p.topic), text.empty() ? boost::json::value() : boost::json::parse(text)});
  }
  return out;
}

inline void answer(Harness& h, const std::string& topic, const std::string& payload) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  h.feed(mqtt::Packet(std::move(p)));
}

// The topic filters of the SUBSCRIBE at packet index `i`.
inline std::vector<std::string> filters_of(const Harness& h, std::size_t i) {
  const auto sub = std::get<mqtt::Subscribe>(h.packet(i));
  std::vector<std::string> filters;
  for (const auto& f : sub.subscriptions) filters.emplace_back(f.filter);
  return filters;
}

}  // namespace fleetload::device::test
