// What the AWS IoT device behaviours (Device Shadow, Jobs, Fleet Provisioning) share: sending
// their packets with the session's books, their requests at QoS 0 or 1 (the SDK samples use
// AWS_MQTT_QOS_AT_LEAST_ONCE), their one SUBSCRIBE of answer topics and its SUBACK, and the
// clientToken that pairs each request with its answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "device/session.hpp"
#include "mqtt/codec.hpp"

namespace fleetload::device::aws {

// Encodes `p` into ctx.out and counts its bytes; false (nothing sent) when it cannot be encoded.
bool send(Context& ctx, const mqtt::Packet& p, mqtt::Version v);
// A request `p` (its topic, payload, MQTT 5 properties) at `qos` (0 or 1), sent by the
// session running the behaviour (ctx.session, Session::send_request): at QoS 1 with a packet
// id of the session's and its PUBACK awaited there. False: not sent (not encodable, or no
// session to send it).
bool send_request(Context& ctx, mqtt::Publish& p, std::uint8_t qos);
// A request PUBLISH of `body` on `topic` at `qos` (as send_request).
bool publish_text(Context& ctx, std::uint8_t qos, std::string_view topic, std::string_view body);
// One SUBSCRIBE of `filters` at `qos` (0 or 1: the service answers at the QoS a device
// subscribed with, up to 1) with `packet_id`; counted as a subscribe request. False when not
// sent.
bool subscribe(Context& ctx, mqtt::Version v, const std::vector<std::string>& filters, std::uint16_t packet_id,
               std::uint8_t qos);
// Books the SUBACK's codes (a grant below `qos` as subscribe_qos_downgraded); true when it
// granted every one of `expected` filters.
bool book_suback(Context& ctx, const mqtt::Suback& s, std::size_t expected, std::uint8_t qos);

// clientToken "fl<index>-<n>": at most 64 bytes, as the services require ("fl" and two
// 20-digit numbers fit).
std::string client_token(std::uint32_t index, std::uint64_t n);
// `n` of a clientToken this device (`index`) made; nullopt for any other token.
std::optional<std::uint64_t> token_number(std::string_view token, std::uint32_t index);

inline std::string_view text_of(const mqtt::Publish& p) {
  return {reinterpret_cast<const char*>(p.payload.data()), p.payload.size()};
}

}  // namespace fleetload::device::aws
