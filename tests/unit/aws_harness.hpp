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

// An answer from the service, delivered at QoS 0, or at QoS 1 with `qos1_id` when not 0 (a
// device subscribed at QoS 1 gets them so).
inline void answer(Harness& h, const std::string& topic, const std::string& payload, std::uint16_t qos1_id = 0) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  if (qos1_id != 0) p.qos = mqtt::QoS::AtLeastOnce, p.packet_id = qos1_id;
  h.feed(mqtt::Packet(std::move(p)));
}

// The QoS of every filter of the SUBSCRIBE at packet index `i`.
inline std::vector<mqtt::QoS> filter_qos_of(const Harness& h, std::size_t i) {
  std::vector<mqtt::QoS> out;
  const auto sub = std::get<mqtt::Subscribe>(h.packet(i));
  for (const auto& f : sub.subscriptions) out.push_back(f.qos);
  return out;
}

// The PUBLISHes the session wrote since packet `from`, as packets (QoS, packet id).
inline std::vector<mqtt::Publish> publish_packets(const Harness& h, std::size_t from = 0) {
  std::vector<mqtt::Publish> out;
  for (std::size_t i : h.of_type(mqtt::PacketType::Publish))
    if (i >= from) out.push_back(std::get<mqtt::Publish>(h.packet(i)));
  return out;
}

// The packet ids of the PUBACKs the session wrote.
inline std::vector<std::uint16_t> pubacks_sent(const Harness& h) {
  std::vector<std::uint16_t> out;
  for (std::size_t i = 0; i < h.sent.size(); ++i) {
    const auto p = h.packet(i);
    if (const auto* a = std::get_if<mqtt::PubAck>(&p); a && a->type == mqtt::PacketType::Puback) out.push_back(a->packet_id);
  }
  return out;
}

// The topic filters of the SUBSCRIBE at packet index `i`.
inline std::vector<std::string> filters_of(const Harness& h, std::size_t i) {
  const auto sub = std::get<mqtt::Subscribe>(h.packet(i));
  std::vector<std::string> filters;
  for (const auto& f : sub.subscriptions) filters.emplace_back(f.filter);
  return filters;
}

}  // namespace fleetload::device::test
