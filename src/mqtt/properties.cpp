// MQTT 5 properties (5.0 §2.2.2): wire types, which packet may carry which property,
// value rules, and their encoding and decoding.
#include <array>

#include "mqtt/wire.hpp"

namespace fleetload::mqtt::detail {
namespace {

enum class Wire : std::uint8_t { None, Byte, U16, U32, Vbi, Str, Bin, Pair };

struct Info {
  Wire wire = Wire::None;
  std::uint16_t contexts = 0;
};

constexpr std::uint16_t c(PacketType t) { return context_of(t); }
constexpr std::uint16_t kAcks = c(PacketType::Puback) | c(PacketType::Pubrec) |
                                c(PacketType::Pubrel) | c(PacketType::Pubcomp);

// The table of 5.0 §2.2.2.2, indexed by identifier.
constexpr std::array<Info, 0x2B> make_table() {
  using P = PacketType;
  std::array<Info, 0x2B> t{};
  const std::uint16_t pub_will = c(P::Publish) | kWillContext;
  t[0x01] = {Wire::Byte, pub_will};                                   // Payload Format Indicator
  t[0x02] = {Wire::U32, pub_will};                                    // Message Expiry Interval
  t[0x03] = {Wire::Str, pub_will};                                    // Content Type
  t[0x08] = {Wire::Str, pub_will};                                    // Response Topic
  t[0x09] = {Wire::Bin, pub_will};                                    // Correlation Data
  t[0x0B] = {Wire::Vbi, static_cast<std::uint16_t>(c(P::Publish) | c(P::Subscribe))};
  t[0x11] = {Wire::U32, static_cast<std::uint16_t>(c(P::Connect) | c(P::Connack) | c(P::Disconnect))};
  t[0x12] = {Wire::Str, c(P::Connack)};                               // Assigned Client Identifier
  t[0x13] = {Wire::U16, c(P::Connack)};                               // Server Keep Alive
  t[0x15] = {Wire::Str, static_cast<std::uint16_t>(c(P::Connect) | c(P::Connack) | c(P::Auth))};
  t[0x16] = {Wire::Bin, static_cast<std::uint16_t>(c(P::Connect) | c(P::Connack) | c(P::Auth))};
  t[0x17] = {Wire::Byte, c(P::Connect)};                              // Request Problem Information
  t[0x18] = {Wire::U32, kWillContext};                                // Will Delay Interval
  t[0x19] = {Wire::Byte, c(P::Connect)};                              // Request Response Information
  t[0x1A] = {Wire::Str, c(P::Connack)};                               // Response Information
  t[0x1C] = {Wire::Str, static_cast<std::uint16_t>(c(P::Connack) | c(P::Disconnect))};
  t[0x1F] = {Wire::Str, static_cast<std::uint16_t>(c(P::Connack) | kAcks | c(P::Suback) |
                                                   c(P::Unsuback) | c(P::Disconnect) | c(P::Auth))};
  t[0x21] = {Wire::U16, static_cast<std::uint16_t>(c(P::Connect) | c(P::Connack))};  // Receive Maximum
  t[0x22] = {Wire::U16, static_cast<std::uint16_t>(c(P::Connect) | c(P::Connack))};  // Topic Alias Maximum
  t[0x23] = {Wire::U16, c(P::Publish)};                               // Topic Alias
  t[0x24] = {Wire::Byte, c(P::Connack)};                              // Maximum QoS
  t[0x25] = {Wire::Byte, c(P::Connack)};                              // Retain Available
  t[0x26] = {Wire::Pair, static_cast<std::uint16_t>(
                             c(P::Connect) | c(P::Connack) | c(P::Publish) | kWillContext | kAcks |
                             c(P::Subscribe) | c(P::Suback) | c(P::Unsubscribe) | c(P::Unsuback) |
                             c(P::Disconnect) | c(P::Auth))};
  t[0x27] = {Wire::U32, static_cast<std::uint16_t>(c(P::Connect) | c(P::Connack))};  // Maximum Packet Size
  t[0x28] = {Wire::Byte, c(P::Connack)};                              // Wildcard Subscription Available
  t[0x29] = {Wire::Byte, c(P::Connack)};                              // Subscription Identifier Available
  t[0x2A] = {Wire::Byte, c(P::Connack)};                              // Shared Subscription Available
  return t;
}
constexpr std::array<Info, 0x2B> kTable = make_table();

constexpr std::uint8_t idx(PropertyId id) { return static_cast<std::uint8_t>(id); }

bool allowed(PropertyId id, std::uint16_t ctx) { return (kTable[idx(id)].contexts & ctx) != 0; }

// Value rules shared by encoder and decoder.
Errc check_int(PropertyId id, std::uint32_t v) {
  switch (kTable[idx(id)].wire) {
    case Wire::Byte:  // every byte property is a 0/1 flag (Maximum QoS too: 0 or 1)
      return v <= 1 ? kOk : Errc::InvalidPropertyValue;
    case Wire::Vbi:  // Subscription Identifier: 1..268,435,455 (§3.3.2.3.8)
      return v == 0 ? Errc::InvalidPropertyValue : v > kMaxRemainingLength ? Errc::FieldTooLong : kOk;
    default:
      break;
  }
  // Receive Maximum, Topic Alias and Maximum Packet Size may not be 0 (§3.1.2.11, §3.3.2.3.4).
  // Topic Alias 0 has its own error: the receiver's answer is DISCONNECT 0x94, not 0x81.
  if (v == 0 && id == PropertyId::TopicAlias) return Errc::TopicAliasInvalid;
  if (v == 0 && (id == PropertyId::ReceiveMaximum || id == PropertyId::MaximumPacketSize))
    return Errc::InvalidPropertyValue;
  return kOk;
}

Errc check_string(PropertyId id, std::string_view s) {
  if (!valid_utf8(s)) return Errc::InvalidUtf8;
  // Response Topic is a Topic Name: no wildcards (§3.3.2.3.5).
  if (id == PropertyId::ResponseTopic && !valid_topic_name(s)) return Errc::InvalidPropertyValue;
  return kOk;
}

// Calls f(id, value) for each present property in identifier order; stops when f is false.
template <class F>
bool for_each(const Properties& p, F&& f) {
  using I = PropertyId;
#define FL_PROP(field, id) \
  if (p.field && !f(I::id, *p.field)) return false;
  FL_PROP(payload_format_indicator, PayloadFormatIndicator)
  FL_PROP(message_expiry_interval, MessageExpiryInterval)
  FL_PROP(content_type, ContentType)
  FL_PROP(response_topic, ResponseTopic)
  FL_PROP(correlation_data, CorrelationData)
  for (std::uint32_t v : p.subscription_identifiers)
    if (!f(I::SubscriptionIdentifier, v)) return false;
  FL_PROP(session_expiry_interval, SessionExpiryInterval)
  FL_PROP(assigned_client_identifier, AssignedClientIdentifier)
  FL_PROP(server_keep_alive, ServerKeepAlive)
  FL_PROP(authentication_method, AuthenticationMethod)
  FL_PROP(authentication_data, AuthenticationData)
  FL_PROP(request_problem_information, RequestProblemInformation)
  FL_PROP(will_delay_interval, WillDelayInterval)
  FL_PROP(request_response_information, RequestResponseInformation)
  FL_PROP(response_information, ResponseInformation)
  FL_PROP(server_reference, ServerReference)
  FL_PROP(reason_string, ReasonString)
  FL_PROP(receive_maximum, ReceiveMaximum)
  FL_PROP(topic_alias_maximum, TopicAliasMaximum)
  FL_PROP(topic_alias, TopicAlias)
  FL_PROP(maximum_qos, MaximumQoS)
  FL_PROP(retain_available, RetainAvailable)
  for (const UserProperty& up : p.user_properties)
    if (!f(I::UserProperty, up)) return false;
  FL_PROP(maximum_packet_size, MaximumPacketSize)
  FL_PROP(wildcard_subscription_available, WildcardSubscriptionAvailable)
  FL_PROP(subscription_identifier_available, SubscriptionIdentifierAvailable)
  FL_PROP(shared_subscription_available, SharedSubscriptionAvailable)
#undef FL_PROP
  return true;
}

}  // namespace

Errc properties_size(const Properties& props, std::uint16_t ctx, std::size_t& size) noexcept {
  if (props_empty(props)) {  // the common case on the hot path
    size = 0;
    return kOk;
  }
  std::size_t n = 0;
  Errc err = kOk;
  // Several Subscription Identifiers are fine in PUBLISH only (§3.3.2.3.8, §3.8.2.1.2).
  if (props.subscription_identifiers.size() > 1 && ctx != context_of(PacketType::Publish))
    err = allowed(PropertyId::SubscriptionIdentifier, ctx) ? Errc::DuplicateProperty
                                                           : Errc::PropertyNotAllowed;
  if (err == kOk) {
    for_each(props, [&](PropertyId id, const auto& v) {
      using T = std::decay_t<decltype(v)>;
      if (!allowed(id, ctx)) {
        err = Errc::PropertyNotAllowed;
        return false;
      }
      if constexpr (std::is_integral_v<T>) {
        err = check_int(id, v);
        n += 1 + (id == PropertyId::SubscriptionIdentifier ? vbi_size(v) : sizeof(T));
      } else if constexpr (std::is_same_v<T, std::string_view>) {
        err = v.size() > 0xFFFF ? Errc::FieldTooLong : check_string(id, v);
        n += 3 + v.size();
      } else if constexpr (std::is_same_v<T, Bytes>) {
        err = v.size() > 0xFFFF ? Errc::FieldTooLong : kOk;
        n += 3 + v.size();
      } else {
        err = v.first.size() > 0xFFFF || v.second.size() > 0xFFFF ? Errc::FieldTooLong
              : !valid_utf8(v.first) || !valid_utf8(v.second)      ? Errc::InvalidUtf8
                                                                    : kOk;
        n += 5 + v.first.size() + v.second.size();
      }
      return err == kOk;
    });
  }
  if (err == kOk && ctx == context_of(PacketType::Connect) && props.authentication_data &&
      !props.authentication_method)
    err = Errc::InvalidPropertyValue;  // §3.1.2.11.10: data without a method
  if (err == kOk && n > kMaxRemainingLength) err = Errc::FieldTooLong;
  size = n;
  return err;
}

void write_properties(Writer& w, const Properties& props, std::size_t size) noexcept {
  w.vbi(static_cast<std::uint32_t>(size));
  if (size == 0) return;
  for_each(props, [&](PropertyId id, const auto& v) {
    using T = std::decay_t<decltype(v)>;
    w.u8(idx(id));
    if constexpr (std::is_same_v<T, std::uint8_t>) {
      w.u8(v);
    } else if constexpr (std::is_same_v<T, std::uint16_t>) {
      w.u16(v);
    } else if constexpr (std::is_same_v<T, std::uint32_t>) {
      if (id == PropertyId::SubscriptionIdentifier)
        w.vbi(v);
      else
        w.u32(v);
    } else if constexpr (std::is_same_v<T, std::string_view>) {
      w.string(v);
    } else if constexpr (std::is_same_v<T, Bytes>) {
      w.binary(v.data(), v.size());
    } else {
      w.string(v.first);
      w.string(v.second);
    }
    return true;
  });
}

namespace {

Errc store(Properties& p, PropertyId id, std::uint32_t v) {
  using I = PropertyId;
  const auto u8 = static_cast<std::uint8_t>(v);
  const auto u16 = static_cast<std::uint16_t>(v);
  switch (id) {
    case I::PayloadFormatIndicator: p.payload_format_indicator = u8; break;
    case I::MessageExpiryInterval: p.message_expiry_interval = v; break;
    case I::SubscriptionIdentifier: p.subscription_identifiers.push_back(v); break;
    case I::SessionExpiryInterval: p.session_expiry_interval = v; break;
    case I::ServerKeepAlive: p.server_keep_alive = u16; break;
    case I::RequestProblemInformation: p.request_problem_information = u8; break;
    case I::WillDelayInterval: p.will_delay_interval = v; break;
    case I::RequestResponseInformation: p.request_response_information = u8; break;
    case I::ReceiveMaximum: p.receive_maximum = u16; break;
    case I::TopicAliasMaximum: p.topic_alias_maximum = u16; break;
    case I::TopicAlias: p.topic_alias = u16; break;
    case I::MaximumQoS: p.maximum_qos = u8; break;
    case I::RetainAvailable: p.retain_available = u8; break;
    case I::MaximumPacketSize: p.maximum_packet_size = v; break;
    case I::WildcardSubscriptionAvailable: p.wildcard_subscription_available = u8; break;
    case I::SubscriptionIdentifierAvailable: p.subscription_identifier_available = u8; break;
    case I::SharedSubscriptionAvailable: p.shared_subscription_available = u8; break;
    default: return Errc::UnknownProperty;
  }
  return kOk;
}

Errc store(Properties& p, PropertyId id, std::string_view s) {
  using I = PropertyId;
  switch (id) {
    case I::ContentType: p.content_type = s; break;
    case I::ResponseTopic: p.response_topic = s; break;
    case I::AssignedClientIdentifier: p.assigned_client_identifier = s; break;
    case I::AuthenticationMethod: p.authentication_method = s; break;
    case I::ResponseInformation: p.response_information = s; break;
    case I::ServerReference: p.server_reference = s; break;
    case I::ReasonString: p.reason_string = s; break;
    default: return Errc::UnknownProperty;
  }
  return kOk;
}

}  // namespace

Errc read_properties(Reader& r, std::uint16_t ctx, Properties& props) noexcept {
  std::uint32_t len = 0;
  if (Errc e = r.vbi(len); e != kOk) return e;
  if (len > r.left()) return Errc::TruncatedField;
  Reader pr{r.p, r.p + len};
  r.p += len;
  std::uint64_t seen = 0;
  const bool multi_sub_id = ctx == context_of(PacketType::Publish);
  while (!pr.empty()) {
    std::uint32_t raw_id = 0;
    if (Errc e = pr.vbi(raw_id); e != kOk) return e;
    if (raw_id >= kTable.size() || kTable[raw_id].wire == Wire::None) return Errc::UnknownProperty;
    const auto id = static_cast<PropertyId>(raw_id);
    const Info& info = kTable[raw_id];
    if ((info.contexts & ctx) == 0) return Errc::PropertyNotAllowed;
    const std::uint64_t bit = std::uint64_t{1} << raw_id;
    if ((seen & bit) != 0 && id != PropertyId::UserProperty &&
        !(id == PropertyId::SubscriptionIdentifier && multi_sub_id))
      return Errc::DuplicateProperty;
    seen |= bit;
    Errc e = kOk;
    std::uint32_t v = 0;
    switch (info.wire) {
      case Wire::Byte: {
        std::uint8_t b = 0;
        e = pr.u8(b);
        v = b;
        break;
      }
      case Wire::U16: {
        std::uint16_t h = 0;
        e = pr.u16(h);
        v = h;
        break;
      }
      case Wire::U32: e = pr.u32(v); break;
      case Wire::Vbi: e = pr.vbi(v); break;
      case Wire::Str: {
        std::string_view s;
        if ((e = pr.string(s)) != kOk) return e;
        if ((e = check_string(id, s)) != kOk) return e;
        if ((e = store(props, id, s)) != kOk) return e;
        continue;
      }
      case Wire::Bin: {
        Bytes b;
        if ((e = pr.binary(b)) != kOk) return e;
        (id == PropertyId::CorrelationData ? props.correlation_data : props.authentication_data) = b;
        continue;
      }
      case Wire::Pair: {
        std::string_view k, val;
        if ((e = pr.string(k)) != kOk || (e = pr.string(val)) != kOk) return e;
        props.user_properties.emplace_back(k, val);
        continue;
      }
      case Wire::None: return Errc::UnknownProperty;
    }
    if (e != kOk) return e;
    if ((e = check_int(id, v)) != kOk) return e;
    if ((e = store(props, id, v)) != kOk) return e;
  }
  if (ctx == context_of(PacketType::Connect) && props.authentication_data &&
      !props.authentication_method)
    return Errc::InvalidPropertyValue;
  return kOk;
}

}  // namespace fleetload::mqtt::detail
