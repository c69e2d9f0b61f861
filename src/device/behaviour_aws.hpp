// What the AWS IoT device behaviours (Device Shadow, Jobs) share: sending their packets with
// the session's books, their one SUBSCRIBE of answer topics and its SUBACK, and the
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
// A QoS 0 PUBLISH of `body` on `topic`.
bool publish_text(Context& ctx, mqtt::Version v, std::string_view topic, std::string_view body);
// One SUBSCRIBE of `filters` at QoS 0 (the service answers at QoS 0 or 1; a device needs no
// more) with `packet_id`; counted as a subscribe request. False when not sent.
bool subscribe(Context& ctx, mqtt::Version v, const std::vector<std::string>& filters, std::uint16_t packet_id);
// Books the SUBACK's codes; true when it granted every one of `expected` filters.
bool book_suback(Context& ctx, const mqtt::Suback& s, std::size_t expected);

// clientToken "fl<index>-<n>": at most 64 bytes, as the services require ("fl" and two
// 20-digit numbers fit).
std::string client_token(std::uint32_t index, std::uint64_t n);
// `n` of a clientToken this device (`index`) made; nullopt for any other token.
std::optional<std::uint64_t> token_number(std::string_view token, std::uint32_t index);

inline std::string_view text_of(const mqtt::Publish& p) {
  return {reinterpret_cast<const char*>(p.payload.data()), p.payload.size()};
}

}  // namespace fleetload::device::aws
