// The encoder: every packet's exact size is computed (and every rule checked) first, then
// the bytes are written into the caller's span without further checks or allocation.
#include <cassert>

#include "mqtt/wire.hpp"

namespace fleetload::mqtt {
namespace {

using detail::kOk;
using detail::vbi_size;
using detail::Writer;

// The PUBLISH and ack passes are forced inline into their typed encode() so the hot path
// is one function; the variant path inlines them too, which costs only code size.

// Sizes worked out by the planning pass and reused by the writing pass.
struct Plan {
  std::size_t rl = 0;          // Remaining Length
  std::size_t props = 0;       // content length of the packet's properties
  std::size_t will_props = 0;  // content length of the Will Properties
  bool short_form = false;     // MQTT 5 acks/DISCONNECT/AUTH: reason code and properties omitted
  bool no_props = false;       // MQTT 5 PUBACK.. / DISCONNECT: reason code without property length
};

constexpr std::size_t total_size(std::size_t rl) { return 1 + vbi_size(static_cast<std::uint32_t>(rl)) + rl; }

Errc check_len(std::size_t n) { return n > 0xFFFF ? Errc::FieldTooLong : kOk; }

Errc check_utf8(std::string_view s) {
  if (s.size() > 0xFFFF) return Errc::FieldTooLong;
  return valid_utf8(s) ? kOk : Errc::InvalidUtf8;
}

// Content size of a packet's properties; MQTT 3.1.1 packets cannot carry any.
Errc plan_props(const Properties& p, Version v, std::uint16_t ctx, std::size_t& size) {
  if (v == Version::V5) return detail::properties_size(p, ctx, size);
  size = 0;
  return detail::props_empty(p) ? kOk : Errc::PropertyNotAllowed;
}

std::size_t props_field(Version v, std::size_t content) {
  return v == Version::V5 ? vbi_size(static_cast<std::uint32_t>(content)) + content : 0;
}

Errc finish(Plan& plan) { return plan.rl > kMaxRemainingLength ? Errc::FieldTooLong : kOk; }

void write_props(Writer& w, Version v, const Properties& p, std::size_t size) {
  if (v == Version::V5) detail::write_properties(w, p, size);
}

// ---- PUBLISH (§3.3) -------------------------------------------------------------------

[[gnu::always_inline]] inline Errc plan_publish(const Publish& p, Version v, Plan& plan) {
  const auto qos = static_cast<unsigned>(p.qos);
  if (qos > 2) return Errc::InvalidQoS;
  if (p.dup && qos == 0) return Errc::InvalidFixedHeaderFlags;  // [MQTT-3.3.1-2]
  if (qos != 0 && p.packet_id == 0) return Errc::InvalidPacketIdentifier;
  if (Errc e = check_len(p.topic.size()); e != kOk) return e;
  const bool alias = v == Version::V5 && p.properties.topic_alias.has_value();
  if (Errc e = detail::check_topic_name(p.topic, alias); e != kOk) return e;
  if (Errc e = plan_props(p.properties, v, detail::context_of(PacketType::Publish), plan.props); e != kOk)
    return e;
  plan.rl = 2 + p.topic.size() + (qos != 0 ? 2 : 0) + props_field(v, plan.props) + p.payload.size();
  return finish(plan);
}

[[gnu::always_inline]] inline void write_publish(Writer& w, const Publish& p, Version v, const Plan& plan) {
  w.u8(static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | (static_cast<unsigned>(p.qos) << 1) |
                                 (p.retain ? 0x01 : 0)));
  w.vbi(static_cast<std::uint32_t>(plan.rl));
  w.string(p.topic);
  if (p.qos != QoS::AtMostOnce) w.u16(p.packet_id);
  write_props(w, v, p.properties, plan.props);
  w.raw(p.payload.data(), p.payload.size());
}

// ---- PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4-§3.7) ---------------------------------------

[[gnu::always_inline]] inline Errc plan_puback(const PubAck& p, Version v, Plan& plan) {
  if (p.type < PacketType::Puback || p.type > PacketType::Pubcomp) return Errc::UnknownPacketType;
  if (p.packet_id == 0) return Errc::InvalidPacketIdentifier;
  if (v == Version::V311) {
    if (p.reason_code != 0) return Errc::InvalidReasonCode;
    plan.rl = 2;
    return plan_props(p.properties, v, 0, plan.props);
  }
  if (!reason_code_allowed(p.type, p.reason_code)) return Errc::InvalidReasonCode;
  if (Errc e = detail::properties_size(p.properties, detail::context_of(p.type), plan.props); e != kOk)
    return e;
  // §3.4.2.1: reason code omitted when Success without properties; property length
  // omitted when there are no properties.
  plan.short_form = p.reason_code == 0 && plan.props == 0;
  plan.no_props = plan.props == 0;
  plan.rl = plan.short_form ? 2 : plan.no_props ? 3 : 3 + props_field(v, plan.props);
  return kOk;
}

[[gnu::always_inline]] inline void write_puback(Writer& w, const PubAck& p, Version v, const Plan& plan) {
  w.u8(static_cast<std::uint8_t>((static_cast<unsigned>(p.type) << 4) |
                                 (p.type == PacketType::Pubrel ? 0x02 : 0)));
  w.vbi(static_cast<std::uint32_t>(plan.rl));
  w.u16(p.packet_id);
  if (v == Version::V311 || plan.short_form) return;
  w.u8(p.reason_code);
  if (!plan.no_props) detail::write_properties(w, p.properties, plan.props);
}

// ---- CONNECT (§3.1) ----------------------------------------------------------------------

Errc plan_connect(const Connect& p, Version v, Plan& plan) {
  if (p.version != v || (v != Version::V311 && v != Version::V5)) return Errc::UnsupportedProtocolVersion;
  std::size_t rl = 10;  // protocol name (6), level, flags, keep alive
  if (Errc e = plan_props(p.properties, v, detail::context_of(PacketType::Connect), plan.props); e != kOk)
    return e;
  rl += props_field(v, plan.props);
  if (Errc e = check_utf8(p.client_id); e != kOk) return e;
  rl += 2 + p.client_id.size();
  if (p.will) {
    const Will& will = *p.will;
    if (static_cast<unsigned>(will.qos) > 2) return Errc::InvalidQoS;
    if (Errc e = check_len(will.topic.size()); e != kOk) return e;
    if (Errc e = detail::check_topic_name(will.topic, false); e != kOk) return e;
    if (Errc e = check_len(will.payload.size()); e != kOk) return e;
    if (Errc e = plan_props(will.properties, v, detail::kWillContext, plan.will_props); e != kOk) return e;
    rl += props_field(v, plan.will_props) + 4 + will.topic.size() + will.payload.size();
  }
  if (p.username) {
    if (Errc e = check_utf8(*p.username); e != kOk) return e;
    rl += 2 + p.username->size();
  }
  if (p.password) {
    if (v == Version::V311 && !p.username) return Errc::InvalidConnectFlags;  // [MQTT-3.1.2-22]
    if (Errc e = check_len(p.password->size()); e != kOk) return e;
    rl += 2 + p.password->size();
  }
  plan.rl = rl;
  return finish(plan);
}

void write_connect(Writer& w, const Connect& p, Version v, const Plan& plan) {
  w.u8(0x10);
  w.vbi(static_cast<std::uint32_t>(plan.rl));
  w.string("MQTT");
  w.u8(static_cast<std::uint8_t>(v));
  unsigned flags = p.clean_start ? 0x02 : 0;
  if (p.will) {
    flags |= 0x04 | (static_cast<unsigned>(p.will->qos) << 3) | (p.will->retain ? 0x20 : 0);
  }
  if (p.password) flags |= 0x40;
  if (p.username) flags |= 0x80;
  w.u8(static_cast<std::uint8_t>(flags));
  w.u16(p.keep_alive);
  write_props(w, v, p.properties, plan.props);
  w.string(p.client_id);
  if (p.will) {
    write_props(w, v, p.will->properties, plan.will_props);
    w.string(p.will->topic);
    w.binary(p.will->payload.data(), p.will->payload.size());
  }
  if (p.username) w.string(*p.username);
  if (p.password) w.binary(p.password->data(), p.password->size());
}

// ---- CONNACK (§3.2) ----------------------------------------------------------------------

Errc plan_connack(const Connack& p, Version v, Plan& plan) {
  const bool ok = v == Version::V311 ? p.reason_code <= 5 : reason_code_allowed(PacketType::Connack, p.reason_code);
  if (!ok) return Errc::InvalidReasonCode;
  if (p.session_present && p.reason_code != 0) return Errc::InvalidConnectFlags;  // [MQTT-3.2.2-4]
  if (Errc e = plan_props(p.properties, v, detail::context_of(PacketType::Connack), plan.props); e != kOk)
    return e;
  plan.rl = 2 + props_field(v, plan.props);
  return finish(plan);
}

void write_connack(Writer& w, const Connack& p, Version v, const Plan& plan) {
  w.u8(0x20);
  w.vbi(static_cast<std::uint32_t>(plan.rl));
  w.u8(p.session_present ? 1 : 0);
  w.u8(p.reason_code);
  write_props(w, v, p.properties, plan.props);
}

// ---- SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8-§3.11) ------------------------------

Errc check_filter(std::string_view f) {
  if (Errc e = check_utf8(f); e != kOk) return e;
  return valid_topic_filter(f) ? kOk : Errc::InvalidTopicFilter;
}

Errc plan_subscribe(const Subscribe& p, Version v, Plan& plan) {
  if (p.packet_id == 0) return Errc::InvalidPacketIdentifier;
  if (p.subscriptions.empty()) return Errc::EmptySubscriptionList;
  if (Errc e = plan_props(p.properties, v, detail::context_of(PacketType::Subscribe), plan.props); e != kOk)
    return e;
  std::size_t rl = 2 + props_field(v, plan.props);
  for (const Subscription& s : p.subscriptions) {
    if (Errc e = check_filter(s.filter); e != kOk) return e;
    if (static_cast<unsigned>(s.qos) > 2) return Errc::InvalidQoS;
    const bool v5_opts = s.no_local || s.retain_as_published || s.retain_handling != RetainHandling::SendAtSubscribe;
    if (v == Version::V311 && v5_opts) return Errc::InvalidSubscriptionOptions;
    if (static_cast<unsigned>(s.retain_handling) > 2) return Errc::InvalidSubscriptionOptions;
    if (s.no_local && s.filter.starts_with("$share/")) return Errc::InvalidSubscriptionOptions;  // [MQTT-3.8.3-4]
    rl += 3 + s.filter.size();
  }
  plan.rl = rl;
  return finish(plan);
}

void write_subscribe(Writer& w, const Subscribe& p, Version v, const Plan& plan) {
  w.u8(0x82);
  w.vbi(static_cast<std::uint32_t>(plan.rl));
  w.u16(p.packet_id);
  write_props(w, v, p.properties, plan.props);
  for (const Subscription& s : p.subscriptions) {
    w.string(s.filter);
    w.u8(static_cast<std::uint8_t>(static_cast<unsigned>(s.qos) | (s.no_local ? 0x04 : 0) |
                                   (s.retain_as_published ? 0x08 : 0) |
                                   (static_cast<unsigned>(s.retain_handling) << 4)));
  }
}

bool suback_code_ok(std::uint8_t c, Version v) {
  return v == Version::V311 ? (c <= 2 || c == 0x80) : reason_code_allowed(PacketType::Suback, c);
}

Errc plan_suback(const Suback& p, Version v, Plan& plan) {
  if (p.packet_id == 0) return Errc::InvalidPacketIdentifier;
  if (p.reason_codes.empty()) return Errc::EmptySubscriptionList;
  for (std::uint8_t c : p.reason_codes)
    if (!suback_code_ok(c, v)) return Errc::InvalidReasonCode;
  if (Errc e = plan_props(p.properties, v, detail::context_of(PacketType::Suback), plan.props); e != kOk)
    return e;
  plan.rl = 2 + props_field(v, plan.props) + p.reason_codes.size();
  return finish(plan);
}

void write_codes(Writer& w, std::uint8_t type_byte, std::uint16_t id, const std::vector<std::uint8_t>& codes,
                 const Properties& props, Version v, const Plan& plan) {
  w.u8(type_byte);
  w.vbi(static_cast<std::uint32_t>(plan.rl));
  w.u16(id);
  write_props(w, v, props, plan.props);
  w.raw(codes.data(), codes.size());
}

Errc plan_unsubscribe(const Unsubscribe& p, Version v, Plan& plan) {
  if (p.packet_id == 0) return Errc::InvalidPacketIdentifier;
  if (p.filters.empty()) return Errc::EmptySubscriptionList;
  if (Errc e = plan_props(p.properties, v, detail::context_of(PacketType::Unsubscribe), plan.props); e != kOk)
    return e;
  std::size_t rl = 2 + props_field(v, plan.props);
  for (std::string_view f : p.filters) {
    if (Errc e = check_filter(f); e != kOk) return e;
    rl += 2 + f.size();
  }
  plan.rl = rl;
  return finish(plan);
}

void write_unsubscribe(Writer& w, const Unsubscribe& p, Version v, const Plan& plan) {
  w.u8(0xA2);
  w.vbi(static_cast<std::uint32_t>(plan.rl));
  w.u16(p.packet_id);
  write_props(w, v, p.properties, plan.props);
  for (std::string_view f : p.filters) w.string(f);
}

Errc plan_unsuback(const Unsuback& p, Version v, Plan& plan) {
  if (p.packet_id == 0) return Errc::InvalidPacketIdentifier;
  if (v == Version::V311) {
    if (!p.reason_codes.empty()) return Errc::InvalidReasonCode;  // 3.1.1 UNSUBACK has no payload
  } else {
    if (p.reason_codes.empty()) return Errc::EmptySubscriptionList;
    for (std::uint8_t c : p.reason_codes)
      if (!reason_code_allowed(PacketType::Unsuback, c)) return Errc::InvalidReasonCode;
  }
  if (Errc e = plan_props(p.properties, v, detail::context_of(PacketType::Unsuback), plan.props); e != kOk)
    return e;
  plan.rl = 2 + props_field(v, plan.props) + p.reason_codes.size();
  return finish(plan);
}

// ---- DISCONNECT (§3.14) and AUTH (§3.15) -------------------------------------------------

Errc plan_reason_only(PacketType t, std::uint8_t code, const Properties& props, Version v, Plan& plan) {
  if (v == Version::V311) {
    if (t == PacketType::Auth) return Errc::UnknownPacketType;
    if (code != 0) return Errc::InvalidReasonCode;
    plan.rl = 0;
    return plan_props(props, v, 0, plan.props);
  }
  if (!reason_code_allowed(t, code)) return Errc::InvalidReasonCode;
  if (Errc e = detail::properties_size(props, detail::context_of(t), plan.props); e != kOk) return e;
  plan.short_form = code == 0 && plan.props == 0;
  // DISCONNECT may drop the property length alone (§3.14.2.2); AUTH always carries it.
  plan.no_props = t == PacketType::Disconnect && plan.props == 0;
  plan.rl = plan.short_form ? 0 : plan.no_props ? 1 : 1 + props_field(v, plan.props);
  return finish(plan);
}

void write_reason_only(Writer& w, PacketType t, std::uint8_t code, const Properties& props, const Plan& plan) {
  w.u8(static_cast<std::uint8_t>(static_cast<unsigned>(t) << 4));
  w.vbi(static_cast<std::uint32_t>(plan.rl));
  if (plan.rl == 0) return;
  w.u8(code);
  if (!plan.no_props) detail::write_properties(w, props, plan.props);
}

// ---- dispatch ----------------------------------------------------------------------------

Errc plan_packet(const Packet& p, Version v, Plan& plan) {
  if (v != Version::V311 && v != Version::V5) return Errc::UnsupportedProtocolVersion;
  switch (p.index()) {
    case 0: return plan_connect(*std::get_if<Connect>(&p), v, plan);
    case 1: return plan_connack(*std::get_if<Connack>(&p), v, plan);
    case 2: return plan_publish(*std::get_if<Publish>(&p), v, plan);
    case 3: return plan_puback(*std::get_if<PubAck>(&p), v, plan);
    case 4: return plan_subscribe(*std::get_if<Subscribe>(&p), v, plan);
    case 5: return plan_suback(*std::get_if<Suback>(&p), v, plan);
    case 6: return plan_unsubscribe(*std::get_if<Unsubscribe>(&p), v, plan);
    case 7: return plan_unsuback(*std::get_if<Unsuback>(&p), v, plan);
    case 8:
    case 9: plan.rl = 0; return kOk;
    case 10: {
      const auto& d = *std::get_if<Disconnect>(&p);
      return plan_reason_only(PacketType::Disconnect, d.reason_code, d.properties, v, plan);
    }
    default: {
      const auto& a = *std::get_if<Auth>(&p);
      return plan_reason_only(PacketType::Auth, a.reason_code, a.properties, v, plan);
    }
  }
}

void write_packet(Writer& w, const Packet& p, Version v, const Plan& plan) {
  switch (p.index()) {
    case 0: return write_connect(w, *std::get_if<Connect>(&p), v, plan);
    case 1: return write_connack(w, *std::get_if<Connack>(&p), v, plan);
    case 2: return write_publish(w, *std::get_if<Publish>(&p), v, plan);
    case 3: return write_puback(w, *std::get_if<PubAck>(&p), v, plan);
    case 4: return write_subscribe(w, *std::get_if<Subscribe>(&p), v, plan);
    case 5: {
      const auto& s = *std::get_if<Suback>(&p);
      return write_codes(w, 0x90, s.packet_id, s.reason_codes, s.properties, v, plan);
    }
    case 6: return write_unsubscribe(w, *std::get_if<Unsubscribe>(&p), v, plan);
    case 7: {
      const auto& u = *std::get_if<Unsuback>(&p);
      return write_codes(w, 0xB0, u.packet_id, u.reason_codes, u.properties, v, plan);
    }
    case 8: w.u8(0xC0); w.u8(0); return;
    case 9: w.u8(0xD0); w.u8(0); return;
    case 10: {
      const auto& d = *std::get_if<Disconnect>(&p);
      return write_reason_only(w, PacketType::Disconnect, d.reason_code, d.properties, plan);
    }
    default: {
      const auto& a = *std::get_if<Auth>(&p);
      return write_reason_only(w, PacketType::Auth, a.reason_code, a.properties, plan);
    }
  }
}

SizeResult size_result(Errc e, const Plan& plan) {
  if (e != kOk) return {0, make_error_code(e)};
  return {total_size(plan.rl), {}};
}

// Plans, checks the room, writes. The passes are template arguments (not function pointer
// parameters) so each typed encode inlines its own planning and writing.
template <auto plan_fn, auto write_fn, class T>
EncodeResult encode_with(const T& p, Version v, std::span<std::uint8_t> out) {
  Plan plan;
  if (Errc e = plan_fn(p, v, plan); e != kOk) return {0, make_error_code(e)};
  const std::size_t n = total_size(plan.rl);
  if (out.size() < n) return {0, make_error_code(Errc::BufferTooSmall)};
  Writer w{out.data()};
  write_fn(w, p, v, plan);
  assert(static_cast<std::size_t>(w.p - out.data()) == n);
  return {n, {}};
}

}  // namespace

SizeResult encoded_size(const Packet& p, Version version) noexcept {
  Plan plan;
  return size_result(plan_packet(p, version, plan), plan);
}

SizeResult encoded_size(const Publish& p, Version version) noexcept {
  Plan plan;
  return size_result(plan_publish(p, version, plan), plan);
}

SizeResult encoded_size(const PubAck& p, Version version) noexcept {
  Plan plan;
  return size_result(plan_puback(p, version, plan), plan);
}

EncodeResult encode(const Packet& p, Version version, std::span<std::uint8_t> out) noexcept {
  return encode_with<plan_packet, write_packet>(p, version, out);
}

EncodeResult encode(const Publish& p, Version version, std::span<std::uint8_t> out) noexcept {
  return encode_with<plan_publish, write_publish>(p, version, out);
}

EncodeResult encode(const PubAck& p, Version version, std::span<std::uint8_t> out) noexcept {
  return encode_with<plan_puback, write_puback>(p, version, out);
}

EncodeResult encode_pingreq(std::span<std::uint8_t> out) noexcept {
  if (out.size() < 2) return {0, make_error_code(Errc::BufferTooSmall)};
  out[0] = 0xC0;
  out[1] = 0x00;
  return {2, {}};
}

std::vector<std::uint8_t> encode_to_vector(const Packet& p, Version version) {
  const SizeResult size = encoded_size(p, version);
  if (size.error) return {};
  std::vector<std::uint8_t> out(size.size);
  encode(p, version, out);
  return out;
}

}  // namespace fleetload::mqtt
