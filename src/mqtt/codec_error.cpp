// The "mqtt" error category, names of packet types and reason codes, and the table of
// which reason code each packet may carry (5.0 §2.4).
#include <array>
#include <string>

#include "mqtt/codec.hpp"

namespace fleetload::mqtt {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mqtt"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::MalformedVariableByteInteger:
        return "malformed variable byte integer: more than 4 bytes or not minimal (§1.5.5)";
      case Errc::UnknownPacketType: return "unknown packet type (type 0, or AUTH in MQTT 3.1.1)";
      case Errc::InvalidFixedHeaderFlags:
        return "fixed header flags not as §2.1.3 requires (or DUP set on a QoS 0 PUBLISH)";
      case Errc::RemainingLengthMismatch: return "packet fields do not end at the Remaining Length";
      case Errc::TruncatedField: return "a field runs past the end of the packet or its section";
      case Errc::InvalidUtf8:
        return "string is not well-formed UTF-8, holds a surrogate or U+0000 (§1.5.4)";
      case Errc::InvalidProtocolName: return "CONNECT protocol name is not \"MQTT\"";
      case Errc::UnsupportedProtocolVersion: return "protocol level is neither 4 (3.1.1) nor 5";
      case Errc::InvalidConnectFlags:
        return "CONNECT/CONNACK flags: reserved bit set or flags inconsistent (§3.1.2.3, §3.2.2.1)";
      case Errc::InvalidQoS: return "QoS value 3 is not allowed";
      case Errc::InvalidPacketIdentifier: return "packet identifier 0 where a non-zero one is required";
      case Errc::InvalidReasonCode: return "reason or return code not allowed in this packet";
      case Errc::InvalidSubscriptionOptions:
        return "subscription options: reserved bits set, retain handling 3, or no-local on a shared subscription";
      case Errc::EmptySubscriptionList: return "SUBSCRIBE/UNSUBSCRIBE (or their acks) without entries";
      case Errc::InvalidTopicName:
        return "topic name empty (without a topic alias) or holding a wildcard (§4.7)";
      case Errc::InvalidTopicFilter:
        return "topic filter empty, with a misplaced wildcard, or a bad $share/ form (§4.7, §4.8.2)";
      case Errc::UnknownProperty: return "property identifier not defined by MQTT 5";
      case Errc::PropertyNotAllowed: return "property not allowed in this packet (§2.2.2.2)";
      case Errc::DuplicateProperty: return "property appears more than once where allowed once";
      case Errc::InvalidPropertyValue: return "property value out of its allowed range";
      case Errc::TopicAliasInvalid: return "topic alias 0 (§3.3.2.3.4)";
      case Errc::PacketTooLarge: return "packet larger than the maximum packet size";
      case Errc::BufferTooSmall: return "output buffer smaller than the encoded packet";
      case Errc::FieldTooLong: return "string or binary over 65,535 bytes, or integer over its range";
    }
    return "unknown mqtt error";
  }
};

constexpr std::uint16_t bit(PacketType t) { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(t)); }

// Allowed packets per reason code value, straight from the 5.0 §2.4 table.
constexpr std::array<std::uint16_t, 256> make_reason_table() {
  using P = PacketType;
  std::array<std::uint16_t, 256> t{};
  const std::uint16_t connack = bit(P::Connack), puback = bit(P::Puback), pubrec = bit(P::Pubrec),
                      pubrel = bit(P::Pubrel), pubcomp = bit(P::Pubcomp), suback = bit(P::Suback),
                      unsuback = bit(P::Unsuback), disc = bit(P::Disconnect), auth = bit(P::Auth);
  const std::uint16_t pub_ack_rec = puback | pubrec;
  t[0x00] = connack | pub_ack_rec | pubrel | pubcomp | suback | unsuback | disc | auth;
  t[0x01] = suback;
  t[0x02] = suback;
  t[0x04] = disc;
  t[0x10] = pub_ack_rec;
  t[0x11] = unsuback;
  t[0x18] = auth;
  t[0x19] = auth;
  const std::uint16_t common_err = connack | pub_ack_rec | suback | unsuback | disc;
  t[0x80] = common_err;
  t[0x81] = connack | disc;
  t[0x82] = connack | disc;
  t[0x83] = common_err;
  t[0x84] = connack;
  t[0x85] = connack;
  t[0x86] = connack;
  t[0x87] = common_err;
  t[0x88] = connack;
  t[0x89] = connack | disc;
  t[0x8A] = connack;
  t[0x8B] = disc;
  t[0x8C] = connack | disc;
  t[0x8D] = disc;
  t[0x8E] = disc;
  t[0x8F] = suback | unsuback | disc;
  t[0x90] = connack | pub_ack_rec | disc;
  t[0x91] = pub_ack_rec | suback | unsuback;
  t[0x92] = pubrel | pubcomp;
  t[0x93] = disc;
  t[0x94] = disc;
  t[0x95] = connack | disc;
  t[0x96] = disc;
  t[0x97] = connack | pub_ack_rec | suback | disc;
  t[0x98] = disc;
  t[0x99] = connack | pub_ack_rec | disc;
  t[0x9A] = connack | disc;
  t[0x9B] = connack | disc;
  t[0x9C] = connack | disc;
  t[0x9D] = connack | disc;
  t[0x9E] = suback | disc;
  t[0x9F] = connack | disc;
  t[0xA0] = disc;
  t[0xA1] = suback | disc;
  t[0xA2] = suback | disc;
  return t;
}
constexpr std::array<std::uint16_t, 256> kReasonTable = make_reason_table();

}  // namespace

const std::error_category& mqtt_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), mqtt_category()}; }

bool reason_code_allowed(PacketType t, std::uint8_t code) noexcept {
  const auto type = static_cast<unsigned>(t);
  return type < 16 && (kReasonTable[code] & (1u << type)) != 0;
}

const char* to_string(PacketType t) noexcept {
  switch (t) {
    case PacketType::Connect: return "connect";
    case PacketType::Connack: return "connack";
    case PacketType::Publish: return "publish";
    case PacketType::Puback: return "puback";
    case PacketType::Pubrec: return "pubrec";
    case PacketType::Pubrel: return "pubrel";
    case PacketType::Pubcomp: return "pubcomp";
    case PacketType::Subscribe: return "subscribe";
    case PacketType::Suback: return "suback";
    case PacketType::Unsubscribe: return "unsubscribe";
    case PacketType::Unsuback: return "unsuback";
    case PacketType::Pingreq: return "pingreq";
    case PacketType::Pingresp: return "pingresp";
    case PacketType::Disconnect: return "disconnect";
    case PacketType::Auth: return "auth";
  }
  return "unknown";
}

const char* to_string(ConnectReturnCode c) noexcept {
  switch (c) {
    case ConnectReturnCode::Accepted: return "accepted";
    case ConnectReturnCode::UnacceptableProtocolVersion: return "unacceptable_protocol_version";
    case ConnectReturnCode::IdentifierRejected: return "identifier_rejected";
    case ConnectReturnCode::ServerUnavailable: return "server_unavailable";
    case ConnectReturnCode::BadUsernameOrPassword: return "bad_username_or_password";
    case ConnectReturnCode::NotAuthorized: return "not_authorized";
  }
  return "unknown";
}

const char* to_string(ReasonCode c) noexcept {
  using R = ReasonCode;
  switch (c) {
    case R::Success: return "success";
    case R::GrantedQoS1: return "granted_qos_1";
    case R::GrantedQoS2: return "granted_qos_2";
    case R::DisconnectWithWillMessage: return "disconnect_with_will_message";
    case R::NoMatchingSubscribers: return "no_matching_subscribers";
    case R::NoSubscriptionExisted: return "no_subscription_existed";
    case R::ContinueAuthentication: return "continue_authentication";
    case R::ReAuthenticate: return "re_authenticate";
    case R::UnspecifiedError: return "unspecified_error";
    case R::MalformedPacket: return "malformed_packet";
    case R::ProtocolError: return "protocol_error";
    case R::ImplementationSpecificError: return "implementation_specific_error";
    case R::UnsupportedProtocolVersion: return "unsupported_protocol_version";
    case R::ClientIdentifierNotValid: return "client_identifier_not_valid";
    case R::BadUserNameOrPassword: return "bad_user_name_or_password";
    case R::NotAuthorized: return "not_authorized";
    case R::ServerUnavailable: return "server_unavailable";
    case R::ServerBusy: return "server_busy";
    case R::Banned: return "banned";
    case R::ServerShuttingDown: return "server_shutting_down";
    case R::BadAuthenticationMethod: return "bad_authentication_method";
    case R::KeepAliveTimeout: return "keep_alive_timeout";
    case R::SessionTakenOver: return "session_taken_over";
    case R::TopicFilterInvalid: return "topic_filter_invalid";
    case R::TopicNameInvalid: return "topic_name_invalid";
    case R::PacketIdentifierInUse: return "packet_identifier_in_use";
    case R::PacketIdentifierNotFound: return "packet_identifier_not_found";
    case R::ReceiveMaximumExceeded: return "receive_maximum_exceeded";
    case R::TopicAliasInvalid: return "topic_alias_invalid";
    case R::PacketTooLarge: return "packet_too_large";
    case R::MessageRateTooHigh: return "message_rate_too_high";
    case R::QuotaExceeded: return "quota_exceeded";
    case R::AdministrativeAction: return "administrative_action";
    case R::PayloadFormatInvalid: return "payload_format_invalid";
    case R::RetainNotSupported: return "retain_not_supported";
    case R::QoSNotSupported: return "qos_not_supported";
    case R::UseAnotherServer: return "use_another_server";
    case R::ServerMoved: return "server_moved";
    case R::SharedSubscriptionsNotSupported: return "shared_subscriptions_not_supported";
    case R::ConnectionRateExceeded: return "connection_rate_exceeded";
    case R::MaximumConnectTime: return "maximum_connect_time";
    case R::SubscriptionIdentifiersNotSupported: return "subscription_identifiers_not_supported";
    case R::WildcardSubscriptionsNotSupported: return "wildcard_subscriptions_not_supported";
  }
  return "unknown";
}

}  // namespace fleetload::mqtt
