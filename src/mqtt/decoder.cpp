// The decoder: one packet from a byte span, every rule checked, views into the input, and
// the caller's Packet reused so the steady state (PUBLISH, acks, pings) does not allocate.
#include "mqtt/wire.hpp"

namespace fleetload::mqtt {
namespace {

using detail::kOk;
using detail::Reader;

constexpr std::uint16_t ctx(PacketType t) { return detail::context_of(t); }

// The alternative T of `out`, reusing it (and its vectors' capacity) when already held.
template <class T>
T& ensure(Packet& out) {
  if (T* p = std::get_if<T>(&out)) return *p;
  return out.emplace<T>();
}

Errc read_topic_filter(Reader& r, std::string_view& f) {
  if (Errc e = r.string(f); e != kOk) return e;
  return valid_topic_filter(f) ? kOk : Errc::InvalidTopicFilter;
}

Errc read_packet_id(Reader& r, std::uint16_t& id) {
  if (Errc e = r.u16(id); e != kOk) return e;
  return id == 0 ? Errc::InvalidPacketIdentifier : kOk;
}

Errc read_props(Reader& r, Version v, std::uint16_t c, Properties& props) {
  return v == Version::V5 ? detail::read_properties(r, c, props) : kOk;
}

// ---- §3.3 PUBLISH: the hot path ---------------------------------------------------------
Errc decode_publish(Reader& r, unsigned flags, Version v, Packet& out) {
  Publish& p = ensure<Publish>(out);
  p.properties.clear();
  p.dup = (flags & 0x08) != 0;
  p.qos = static_cast<QoS>((flags >> 1) & 0x03);
  p.retain = (flags & 0x01) != 0;
  Bytes topic;
  if (Errc e = r.binary(topic); e != kOk) return e;
  p.topic = std::string_view(reinterpret_cast<const char*>(topic.data()), topic.size());
  p.packet_id = 0;
  if (p.qos != QoS::AtMostOnce) {
    if (Errc e = read_packet_id(r, p.packet_id); e != kOk) return e;
  }
  if (v == Version::V5) {
    if (Errc e = detail::read_properties(r, ctx(PacketType::Publish), p.properties); e != kOk) return e;
  }
  // §3.3.2.1 / §3.3.2.3.4: an empty topic is only valid with a Topic Alias (MQTT 5).
  const bool alias = v == Version::V5 && p.properties.topic_alias.has_value();
  if (Errc e = detail::check_topic_name(p.topic, alias); e != kOk) return e;
  p.payload = Bytes(r.p, r.left());
  r.p = r.end;
  return kOk;
}

// ---- §3.4-§3.7 PUBACK, PUBREC, PUBREL, PUBCOMP ------------------------------------------
Errc decode_puback(Reader& r, PacketType t, Version v, Packet& out) {
  PubAck& p = ensure<PubAck>(out);
  p.type = t;
  p.reason_code = 0;
  p.properties.clear();
  if (Errc e = read_packet_id(r, p.packet_id); e != kOk) return e;
  if (v == Version::V311 || r.empty()) return kOk;  // §3.4.2.1: 2-byte form means Success
  if (Errc e = r.u8(p.reason_code); e != kOk) return e;
  if (!reason_code_allowed(t, p.reason_code)) return Errc::InvalidReasonCode;
  if (r.empty()) return kOk;  // 3-byte form: no property length
  return detail::read_properties(r, ctx(t), p.properties);
}

// ---- §3.1 CONNECT ----------------------------------------------------------------------
Errc decode_connect(Reader& r, const DecodeOptions& opts, Packet& out) {
  Bytes name;
  if (Errc e = r.binary(name); e != kOk) return e;
  if (name.size() != 4 || name[0] != 'M' || name[1] != 'Q' || name[2] != 'T' || name[3] != 'T')
    return Errc::InvalidProtocolName;
  std::uint8_t level = 0, flags = 0;
  if (Errc e = r.u8(level); e != kOk) return e;
  if (level != 4 && level != 5) return Errc::UnsupportedProtocolVersion;
  const auto v = static_cast<Version>(level);
  if (!opts.accept_any_connect_version && v != opts.version) return Errc::UnsupportedProtocolVersion;
  if (Errc e = r.u8(flags); e != kOk) return e;
  const bool will = (flags & 0x04) != 0, user = (flags & 0x80) != 0, pass = (flags & 0x40) != 0;
  const unsigned will_qos = (flags >> 3) & 0x03;
  const bool will_retain = (flags & 0x20) != 0;
  if ((flags & 0x01) != 0) return Errc::InvalidConnectFlags;                     // [MQTT-3.1.2-3]
  if (!will && (will_qos != 0 || will_retain)) return Errc::InvalidConnectFlags;  // [MQTT-3.1.2-11/13]
  if (will && will_qos == 3) return Errc::InvalidQoS;                            // [MQTT-3.1.2-14]
  if (v == Version::V311 && pass && !user) return Errc::InvalidConnectFlags;     // [MQTT-3.1.2-22]

  Connect& c = ensure<Connect>(out);
  c = Connect{};
  c.version = v;
  c.clean_start = (flags & 0x02) != 0;
  if (Errc e = r.u16(c.keep_alive); e != kOk) return e;
  if (Errc e = read_props(r, v, ctx(PacketType::Connect), c.properties); e != kOk) return e;
  if (Errc e = r.string(c.client_id); e != kOk) return e;
  if (will) {
    Will& w = c.will.emplace();
    w.qos = static_cast<QoS>(will_qos);
    w.retain = will_retain;
    if (Errc e = read_props(r, v, detail::kWillContext, w.properties); e != kOk) return e;
    if (Errc e = r.string(w.topic); e != kOk) return e;
    if (Errc e = detail::check_topic_name(w.topic, false); e != kOk) return e;
    if (Errc e = r.binary(w.payload); e != kOk) return e;
  }
  if (user) {
    if (Errc e = r.string(c.username.emplace()); e != kOk) return e;
  }
  if (pass) {
    if (Errc e = r.binary(c.password.emplace()); e != kOk) return e;
  }
  return kOk;
}

// ---- §3.2 CONNACK ----------------------------------------------------------------------
Errc decode_connack(Reader& r, Version v, Packet& out) {
  Connack& c = ensure<Connack>(out);
  c.properties.clear();
  c.mqtt311_answer = false;
  if (v == Version::V5 && r.left() == 2 && r.p[0] == 0 &&
      r.p[1] == static_cast<std::uint8_t>(ConnectReturnCode::UnacceptableProtocolVersion)) {
    // An MQTT 5 CONNACK always has a Property Length, so a 2-byte body is a 3.1.1 CONNACK.
    // A 3.1.1-only server must answer protocol level 5 with return code 0x01 and close
    // (3.1.1 §3.1.2.2, [MQTT-3.1.2-2]); aedes sends exactly `20 02 00 01`. Decoded as that
    // answer so it is named, not reported as a malformed packet. (0x01 is no MQTT 5 CONNACK
    // reason code, so no MQTT 5 CONNACK reads this way.)
    r.p += 2;
    c.session_present = false;
    c.reason_code = r.p[-1];
    c.mqtt311_answer = true;
    return kOk;
  }
  std::uint8_t flags = 0;
  if (Errc e = r.u8(flags); e != kOk) return e;
  if ((flags & 0xFE) != 0) return Errc::InvalidConnectFlags;  // [MQTT-3.2.2-1]
  c.session_present = flags != 0;
  if (Errc e = r.u8(c.reason_code); e != kOk) return e;
  const bool ok = v == Version::V311 ? c.reason_code <= 5 : reason_code_allowed(PacketType::Connack, c.reason_code);
  if (!ok) return Errc::InvalidReasonCode;
  if (c.session_present && c.reason_code != 0) return Errc::InvalidConnectFlags;  // [MQTT-3.2.2-4]
  return read_props(r, v, ctx(PacketType::Connack), c.properties);
}

// ---- §3.8-§3.11 SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK -------------------------------
Errc decode_subscribe(Reader& r, Version v, Packet& out) {
  Subscribe& s = ensure<Subscribe>(out);
  s.subscriptions.clear();
  s.properties.clear();
  if (Errc e = read_packet_id(r, s.packet_id); e != kOk) return e;
  if (Errc e = read_props(r, v, ctx(PacketType::Subscribe), s.properties); e != kOk) return e;
  if (r.empty()) return Errc::EmptySubscriptionList;  // [MQTT-3.8.3-2]
  while (!r.empty()) {
    Subscription sub;
    if (Errc e = read_topic_filter(r, sub.filter); e != kOk) return e;
    std::uint8_t o = 0;
    if (Errc e = r.u8(o); e != kOk) return e;
    if ((o & (v == Version::V311 ? 0xFC : 0xC0)) != 0) return Errc::InvalidSubscriptionOptions;
    if ((o & 0x03) == 3) return Errc::InvalidQoS;
    if (((o >> 4) & 0x03) == 3) return Errc::InvalidSubscriptionOptions;  // [MQTT-3.8.3-5]
    sub.qos = static_cast<QoS>(o & 0x03);
    sub.no_local = (o & 0x04) != 0;
    sub.retain_as_published = (o & 0x08) != 0;
    sub.retain_handling = static_cast<RetainHandling>((o >> 4) & 0x03);
    if (sub.no_local && sub.filter.starts_with("$share/")) return Errc::InvalidSubscriptionOptions;
    s.subscriptions.push_back(sub);
  }
  return kOk;
}

Errc decode_suback(Reader& r, Version v, Packet& out) {
  Suback& s = ensure<Suback>(out);
  s.reason_codes.clear();
  s.properties.clear();
  if (Errc e = read_packet_id(r, s.packet_id); e != kOk) return e;
  if (Errc e = read_props(r, v, ctx(PacketType::Suback), s.properties); e != kOk) return e;
  if (r.empty()) return Errc::EmptySubscriptionList;
  for (; !r.empty(); ++r.p) {
    const std::uint8_t c = *r.p;
    const bool ok = v == Version::V311 ? (c <= 2 || c == 0x80) : reason_code_allowed(PacketType::Suback, c);
    if (!ok) return Errc::InvalidReasonCode;
    s.reason_codes.push_back(c);
  }
  return kOk;
}

Errc decode_unsubscribe(Reader& r, Version v, Packet& out) {
  Unsubscribe& u = ensure<Unsubscribe>(out);
  u.filters.clear();
  u.properties.clear();
  if (Errc e = read_packet_id(r, u.packet_id); e != kOk) return e;
  if (Errc e = read_props(r, v, ctx(PacketType::Unsubscribe), u.properties); e != kOk) return e;
  if (r.empty()) return Errc::EmptySubscriptionList;  // [MQTT-3.10.3-2]
  while (!r.empty()) {
    std::string_view f;
    if (Errc e = read_topic_filter(r, f); e != kOk) return e;
    u.filters.push_back(f);
  }
  return kOk;
}

Errc decode_unsuback(Reader& r, Version v, Packet& out) {
  Unsuback& u = ensure<Unsuback>(out);
  u.reason_codes.clear();
  u.properties.clear();
  if (Errc e = read_packet_id(r, u.packet_id); e != kOk) return e;
  if (v == Version::V311) return kOk;
  if (Errc e = detail::read_properties(r, ctx(PacketType::Unsuback), u.properties); e != kOk) return e;
  if (r.empty()) return Errc::EmptySubscriptionList;
  for (; !r.empty(); ++r.p) {
    if (!reason_code_allowed(PacketType::Unsuback, *r.p)) return Errc::InvalidReasonCode;
    u.reason_codes.push_back(*r.p);
  }
  return kOk;
}

// ---- §3.14 DISCONNECT, §3.15 AUTH: optional reason code, optional properties ------------
template <class T>
Errc decode_reason_only(Reader& r, PacketType t, Version v, Packet& out) {
  T& p = ensure<T>(out);
  p.reason_code = 0;
  p.properties.clear();
  if (v == Version::V311 || r.empty()) return kOk;  // Remaining Length 0: Success
  if (Errc e = r.u8(p.reason_code); e != kOk) return e;
  if (!reason_code_allowed(t, p.reason_code)) return Errc::InvalidReasonCode;
  if (r.empty()) return kOk;  // §3.14.2.2: property length omitted when Remaining Length < 2
  return detail::read_properties(r, ctx(t), p.properties);
}

Errc decode_body(Reader& r, unsigned type, unsigned flags, const DecodeOptions& opts, Packet& out) {
  const Version v = opts.version;
  switch (static_cast<PacketType>(type)) {
    case PacketType::Publish: return decode_publish(r, flags, v, out);
    case PacketType::Puback:
    case PacketType::Pubrec:
    case PacketType::Pubrel:
    case PacketType::Pubcomp: return decode_puback(r, static_cast<PacketType>(type), v, out);
    case PacketType::Connect: return decode_connect(r, opts, out);
    case PacketType::Connack: return decode_connack(r, v, out);
    case PacketType::Subscribe: return decode_subscribe(r, v, out);
    case PacketType::Suback: return decode_suback(r, v, out);
    case PacketType::Unsubscribe: return decode_unsubscribe(r, v, out);
    case PacketType::Unsuback: return decode_unsuback(r, v, out);
    case PacketType::Pingreq: ensure<Pingreq>(out); return kOk;
    case PacketType::Pingresp: ensure<Pingresp>(out); return kOk;
    case PacketType::Disconnect: return decode_reason_only<Disconnect>(r, PacketType::Disconnect, v, out);
    case PacketType::Auth: return decode_reason_only<Auth>(r, PacketType::Auth, v, out);
  }
  return Errc::UnknownPacketType;
}

DecodeResult fail(Errc e) { return {DecodeStatus::Error, 0, 0, make_error_code(e)}; }

// §2.1.3: the flag bits each packet type must carry (PUBLISH checked separately).
constexpr bool flags_ok(unsigned type, unsigned flags) {
  return flags == ((type == 6 || type == 8 || type == 10) ? 2u : 0u);
}

}  // namespace

DecodeResult decode(std::span<const std::uint8_t> in, const DecodeOptions& opts, Packet& out) noexcept {
  const std::size_t n = in.size();
  if (n == 0) return {};
  const unsigned type = in[0] >> 4, flags = in[0] & 0x0Fu;
  if (type == 0 || (type == 15 && opts.version == Version::V311)) return fail(Errc::UnknownPacketType);
  if (type == 3) {
    const unsigned qos = (flags >> 1) & 0x03u;
    if (qos == 3) return fail(Errc::InvalidQoS);                                  // [MQTT-3.3.1-4]
    if ((flags & 0x08u) != 0 && qos == 0) return fail(Errc::InvalidFixedHeaderFlags);  // [MQTT-3.3.1-2]
  } else if (!flags_ok(type, flags)) {
    return fail(Errc::InvalidFixedHeaderFlags);
  }
  // Remaining Length (§2.1.4): at most 4 bytes, minimal form.
  std::uint32_t rl = 0;
  std::size_t header = 0;
  for (std::size_t k = 0;; ++k) {
    if (1 + k >= n) return {};
    const std::uint8_t b = in[1 + k];
    rl |= std::uint32_t{b & 0x7Fu} << (7 * k);
    if ((b & 0x80u) == 0) {
      if (b == 0 && k > 0) return fail(Errc::MalformedVariableByteInteger);
      header = 2 + k;
      break;
    }
    if (k == 3) return fail(Errc::MalformedVariableByteInteger);
  }
  const std::size_t total = header + rl;
  if (total > opts.max_packet_size) return fail(Errc::PacketTooLarge);
  if (n < total) return {DecodeStatus::NeedMore, 0, total, {}};

  Reader r{in.data() + header, in.data() + total};
  if (Errc e = decode_body(r, type, flags, opts, out); e != kOk) return fail(e);
  if (!r.empty()) return fail(Errc::RemainingLengthMismatch);
  return {DecodeStatus::Ok, total, 0, {}};
}

}  // namespace fleetload::mqtt
