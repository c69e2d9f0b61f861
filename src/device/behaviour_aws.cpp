// What the AWS IoT device behaviours share (behaviour_aws.hpp).
#include "device/behaviour_aws.hpp"

#include <charconv>

#include "device/session_impl.hpp"

namespace fleetload::device::aws {

bool send(Context& ctx, const mqtt::Packet& p, mqtt::Version v) {
  std::size_t n = 0;
  if (!detail::encode_to(ctx, p, v, n)) return false;
  ctx.stats.bytes_sent.add(n);
  return true;
}

bool send_request(Context& ctx, mqtt::Publish& p, std::uint8_t qos) {
  if (ctx.session == nullptr) return false;  // only ever called from a session's call
  p.qos = qos >= 1 ? mqtt::QoS::AtLeastOnce : mqtt::QoS::AtMostOnce;
  return ctx.session->send_request(ctx, p);
}

bool publish_text(Context& ctx, std::uint8_t qos, std::string_view topic, std::string_view body) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  return send_request(ctx, p, qos);
}

bool subscribe(Context& ctx, mqtt::Version v, const std::vector<std::string>& filters, std::uint16_t packet_id,
               std::uint8_t qos) {
  mqtt::Subscribe s;
  s.packet_id = packet_id;
  for (const auto& f : filters) {
    mqtt::Subscription sub;
    sub.filter = f;
    sub.qos = qos >= 1 ? mqtt::QoS::AtLeastOnce : mqtt::QoS::AtMostOnce;
    s.subscriptions.push_back(sub);
  }
  if (!send(ctx, mqtt::Packet(std::move(s)), v)) return false;
  ctx.stats.subscribe_requests.add();
  return true;
}

bool book_suback(Context& ctx, const mqtt::Suback& s, std::size_t expected, std::uint8_t qos) {
  bool all = s.reason_codes.size() == expected;
  for (const auto code : s.reason_codes) {
    ctx.stats.suback_codes[code].add();
    if (code >= 0x80) {
      ctx.stats.subscribe_filters_failed.add(), all = false;
      continue;
    }
    ctx.stats.subscribe_filters_ok.add();
    // Granted at QoS 0 when we asked 1: answers then come at most once (still usable).
    if (code < qos) ctx.stats.subscribe_qos_downgraded.add();
  }
  return all;
}

std::string client_token(std::uint32_t index, std::uint64_t n) {
  return "fl" + std::to_string(index) + "-" + std::to_string(n);
}

std::optional<std::uint64_t> token_number(std::string_view token, std::uint32_t index) {
  const std::string mine = "fl" + std::to_string(index) + "-";
  if (!token.starts_with(mine)) return std::nullopt;
  token.remove_prefix(mine.size());
  std::uint64_t n = 0;
  const auto r = std::from_chars(token.data(), token.data() + token.size(), n);
  if (r.ec != std::errc() || r.ptr != token.data() + token.size()) return std::nullopt;
  return n;
}

}  // namespace fleetload::device::aws
