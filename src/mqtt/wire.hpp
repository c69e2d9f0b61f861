// Private to the codec: bounded byte reader and unchecked byte writer for the MQTT wire
// primitives (5.0 §1.5), plus the codec's internal "no error" value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mqtt/codec.hpp"
#include "mqtt/error.hpp"
#include "mqtt/packet.hpp"

namespace fleetload::mqtt::detail {

// Errc has no zero enumerator: Errc{} means "no error" inside the codec.
inline constexpr Errc kOk = Errc{};

inline constexpr std::size_t vbi_size(std::uint32_t v) noexcept {
  return v < 128u ? 1 : v < 16'384u ? 2 : v < 2'097'152u ? 3 : 4;
}

// Reads within [p, end): every getter checks the bound first, so nothing ever reads past
// the packet (and the packet never extends past the caller's input).
struct Reader {
  const std::uint8_t* p;
  const std::uint8_t* end;

  std::size_t left() const noexcept { return static_cast<std::size_t>(end - p); }
  bool empty() const noexcept { return p == end; }

  Errc u8(std::uint8_t& v) noexcept {
    if (p == end) return Errc::TruncatedField;
    v = *p++;
    return kOk;
  }
  Errc u16(std::uint16_t& v) noexcept {
    if (left() < 2) return Errc::TruncatedField;
    v = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
    p += 2;
    return kOk;
  }
  Errc u32(std::uint32_t& v) noexcept {
    if (left() < 4) return Errc::TruncatedField;
    v = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
        std::uint32_t{p[3]};
    p += 4;
    return kOk;
  }
  // Variable Byte Integer (§1.5.5): at most 4 bytes, and minimal (no trailing 0x00 byte
  // after a continuation, which would be an over-long encoding).
  Errc vbi(std::uint32_t& v) noexcept {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (p == end) return Errc::TruncatedField;
      const std::uint8_t b = *p++;
      value |= std::uint32_t{b & 0x7Fu} << (7 * i);
      if ((b & 0x80u) == 0) {
        if (b == 0 && i > 0) return Errc::MalformedVariableByteInteger;
        v = value;
        return kOk;
      }
    }
    return Errc::MalformedVariableByteInteger;
  }
  // Two-byte length then data (§1.5.6 binary data), without UTF-8 checks.
  Errc binary(Bytes& v) noexcept {
    std::uint16_t n = 0;
    if (Errc e = u16(n); e != kOk) return e;
    if (left() < n) return Errc::TruncatedField;
    v = Bytes(p, n);
    p += n;
    return kOk;
  }
  // UTF-8 Encoded String (§1.5.4), validated.
  Errc string(std::string_view& v) noexcept {
    Bytes b;
    if (Errc e = binary(b); e != kOk) return e;
    v = std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
    return valid_utf8(v) ? kOk : Errc::InvalidUtf8;
  }
};

// Writes into a region whose size the encoder computed exactly beforehand: no checks here.
struct Writer {
  std::uint8_t* p;

  void u8(std::uint8_t v) noexcept { *p++ = v; }
  void u16(std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
    p += 2;
  }
  void u32(std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
    p += 4;
  }
  void vbi(std::uint32_t v) noexcept {
    do {
      std::uint8_t b = v & 0x7Fu;
      v >>= 7;
      if (v != 0) b |= 0x80u;
      *p++ = b;
    } while (v != 0);
  }
  void raw(const void* data, std::size_t n) noexcept {
    if (n != 0) std::memcpy(p, data, n);
    p += n;
  }
  void binary(const std::uint8_t* data, std::size_t n) noexcept {
    u16(static_cast<std::uint16_t>(n));
    raw(data, n);
  }
  void string(std::string_view s) noexcept { binary(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
};

// Properties::empty() for the codec's hot paths, inline so it costs a run of loads. Bitwise
// | rather than && keeps it free of 27 branches.
inline bool props_empty(const Properties& p) noexcept {
  // Each flag as an unsigned: | over bools would be flagged by clang as a likely typo.
  const auto on = [](const auto& o) -> unsigned { return o.has_value() ? 1u : 0u; };
  const unsigned any =
      on(p.payload_format_indicator) | on(p.message_expiry_interval) | on(p.content_type) |
      on(p.response_topic) | on(p.correlation_data) |
      (p.subscription_identifiers.empty() ? 0u : 1u) | on(p.session_expiry_interval) |
      on(p.assigned_client_identifier) | on(p.server_keep_alive) | on(p.authentication_method) |
      on(p.authentication_data) | on(p.request_problem_information) | on(p.will_delay_interval) |
      on(p.request_response_information) | on(p.response_information) | on(p.server_reference) |
      on(p.reason_string) | on(p.receive_maximum) | on(p.topic_alias_maximum) | on(p.topic_alias) |
      on(p.maximum_qos) | on(p.retain_available) | (p.user_properties.empty() ? 0u : 1u) |
      on(p.maximum_packet_size) | on(p.wildcard_subscription_available) |
      on(p.subscription_identifier_available) | on(p.shared_subscription_available);
  return any == 0;
}

// Property bits per packet: bit t for PacketType t, bit 0 for Will Properties.
inline constexpr std::uint16_t kWillContext = 1u;
inline constexpr std::uint16_t context_of(PacketType t) noexcept {
  return static_cast<std::uint16_t>(1u << static_cast<unsigned>(t));
}

// Size of a Properties block's content (without its length VBI) in context `ctx`, checking
// every rule: allowed in this packet, at most once, value in range, strings valid.
Errc properties_size(const Properties& props, std::uint16_t ctx, std::size_t& size) noexcept;
// Writes the length VBI and the properties (already checked by properties_size).
void write_properties(Writer& w, const Properties& props, std::size_t size) noexcept;
// Reads a length-prefixed Properties block into `props` (which must be clear()ed).
Errc read_properties(Reader& r, std::uint16_t ctx, Properties& props) noexcept;

// Topic name check that splits "not UTF-8" from "wildcard / empty" for precise errors.
Errc check_topic_name(std::string_view topic, bool allow_empty) noexcept;

}  // namespace fleetload::mqtt::detail
