// MQTT 3.1.1 and MQTT 5.0 packets as plain values: what the codec encodes and decodes.
//
// Strings and binary fields are views. A decoded packet points into the buffer it was
// decoded from and is valid while that buffer is; a packet to encode points at memory the
// caller owns. Nothing here allocates except the few vectors of multi-entry packets
// (SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK) and user properties when they are present.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace fleetload::mqtt {

using Bytes = std::span<const std::uint8_t>;

// Protocol Level byte of CONNECT (3.1.1 §3.1.2.2, 5.0 §3.1.2.2).
enum class Version : std::uint8_t { V311 = 4, V5 = 5 };

// Control packet types (5.0 §2.1.2). AUTH exists only in MQTT 5.
enum class PacketType : std::uint8_t {
  Connect = 1, Connack = 2, Publish = 3, Puback = 4, Pubrec = 5, Pubrel = 6, Pubcomp = 7,
  Subscribe = 8, Suback = 9, Unsubscribe = 10, Unsuback = 11, Pingreq = 12, Pingresp = 13,
  Disconnect = 14, Auth = 15,
};
const char* to_string(PacketType t) noexcept;

enum class QoS : std::uint8_t { AtMostOnce = 0, AtLeastOnce = 1, ExactlyOnce = 2 };

// MQTT 3.1.1 CONNACK return codes (3.1.1 §3.2.2.3).
enum class ConnectReturnCode : std::uint8_t {
  Accepted = 0, UnacceptableProtocolVersion = 1, IdentifierRejected = 2,
  ServerUnavailable = 3, BadUsernameOrPassword = 4, NotAuthorized = 5,
};
const char* to_string(ConnectReturnCode c) noexcept;

// MQTT 5 reason codes (5.0 §2.4). Values shared by several meanings use the first name;
// 0x00 is Success / NormalDisconnection / GrantedQoS0 depending on the packet.
enum class ReasonCode : std::uint8_t {
  Success = 0x00, GrantedQoS1 = 0x01, GrantedQoS2 = 0x02, DisconnectWithWillMessage = 0x04,
  NoMatchingSubscribers = 0x10, NoSubscriptionExisted = 0x11, ContinueAuthentication = 0x18,
  ReAuthenticate = 0x19, UnspecifiedError = 0x80, MalformedPacket = 0x81, ProtocolError = 0x82,
  ImplementationSpecificError = 0x83, UnsupportedProtocolVersion = 0x84,
  ClientIdentifierNotValid = 0x85, BadUserNameOrPassword = 0x86, NotAuthorized = 0x87,
  ServerUnavailable = 0x88, ServerBusy = 0x89, Banned = 0x8A, ServerShuttingDown = 0x8B,
  BadAuthenticationMethod = 0x8C, KeepAliveTimeout = 0x8D, SessionTakenOver = 0x8E,
  TopicFilterInvalid = 0x8F, TopicNameInvalid = 0x90, PacketIdentifierInUse = 0x91,
  PacketIdentifierNotFound = 0x92, ReceiveMaximumExceeded = 0x93, TopicAliasInvalid = 0x94,
  PacketTooLarge = 0x95, MessageRateTooHigh = 0x96, QuotaExceeded = 0x97,
  AdministrativeAction = 0x98, PayloadFormatInvalid = 0x99, RetainNotSupported = 0x9A,
  QoSNotSupported = 0x9B, UseAnotherServer = 0x9C, ServerMoved = 0x9D,
  SharedSubscriptionsNotSupported = 0x9E, ConnectionRateExceeded = 0x9F,
  MaximumConnectTime = 0xA0, SubscriptionIdentifiersNotSupported = 0xA1,
  WildcardSubscriptionsNotSupported = 0xA2,
};
// Name of a reason code as the spec spells it, in snake_case for metric labels
// ("success", "not_authorized", ...). Unknown values give "unknown".
const char* to_string(ReasonCode c) noexcept;
// True when `code` is a value the spec allows in a packet of type `t` (5.0 §2.4 table).
bool reason_code_allowed(PacketType t, std::uint8_t code) noexcept;

// MQTT 5 property identifiers (5.0 §2.2.2.2).
enum class PropertyId : std::uint8_t {
  PayloadFormatIndicator = 0x01, MessageExpiryInterval = 0x02, ContentType = 0x03,
  ResponseTopic = 0x08, CorrelationData = 0x09, SubscriptionIdentifier = 0x0B,
  SessionExpiryInterval = 0x11, AssignedClientIdentifier = 0x12, ServerKeepAlive = 0x13,
  AuthenticationMethod = 0x15, AuthenticationData = 0x16, RequestProblemInformation = 0x17,
  WillDelayInterval = 0x18, RequestResponseInformation = 0x19, ResponseInformation = 0x1A,
  ServerReference = 0x1C, ReasonString = 0x1F, ReceiveMaximum = 0x21,
  TopicAliasMaximum = 0x22, TopicAlias = 0x23, MaximumQoS = 0x24, RetainAvailable = 0x25,
  UserProperty = 0x26, MaximumPacketSize = 0x27, WildcardSubscriptionAvailable = 0x28,
  SubscriptionIdentifierAvailable = 0x29, SharedSubscriptionAvailable = 0x2A,
};

using UserProperty = std::pair<std::string_view, std::string_view>;

// Every MQTT 5 property; an empty optional means "absent". Which properties a packet may
// carry is checked by the codec on both encode and decode (5.0 §2.2.2.2 table), and so is
// "at most once" for every property but User Property and (in PUBLISH) Subscription Identifier.
// The Will's properties live in Will::properties (CONNECT payload, 5.0 §3.1.3.2).
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;
  std::optional<std::uint32_t> message_expiry_interval;
  std::optional<std::string_view> content_type;
  std::optional<std::string_view> response_topic;
  std::optional<Bytes> correlation_data;
  std::vector<std::uint32_t> subscription_identifiers;  // PUBLISH: several; SUBSCRIBE: at most one
  std::optional<std::uint32_t> session_expiry_interval;
  std::optional<std::string_view> assigned_client_identifier;
  std::optional<std::uint16_t> server_keep_alive;
  std::optional<std::string_view> authentication_method;
  std::optional<Bytes> authentication_data;
  std::optional<std::uint8_t> request_problem_information;
  std::optional<std::uint32_t> will_delay_interval;
  std::optional<std::uint8_t> request_response_information;
  std::optional<std::string_view> response_information;
  std::optional<std::string_view> server_reference;
  std::optional<std::string_view> reason_string;
  std::optional<std::uint16_t> receive_maximum;
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<std::uint16_t> topic_alias;
  std::optional<std::uint8_t> maximum_qos;
  std::optional<std::uint8_t> retain_available;
  std::vector<UserProperty> user_properties;
  std::optional<std::uint32_t> maximum_packet_size;
  std::optional<std::uint8_t> wildcard_subscription_available;
  std::optional<std::uint8_t> subscription_identifier_available;
  std::optional<std::uint8_t> shared_subscription_available;

  bool empty() const noexcept;
  // Clears every field without releasing vector capacity (so a reused Properties
  // does not allocate in steady state).
  void clear() noexcept;
  bool operator==(const Properties&) const;
};

struct Will {
  std::string_view topic;
  Bytes payload;
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  Properties properties;  // MQTT 5 only: Will Properties
  bool operator==(const Will&) const;
};

struct Connect {
  Version version = Version::V311;
  bool clean_start = true;  // "Clean Session" in 3.1.1
  std::uint16_t keep_alive = 0;
  std::string_view client_id;
  std::optional<Will> will;
  std::optional<std::string_view> username;
  std::optional<Bytes> password;
  Properties properties;
  bool operator==(const Connect&) const;
};

struct Connack {
  bool session_present = false;
  std::uint8_t reason_code = 0;  // 3.1.1: ConnectReturnCode; 5: ReasonCode
  Properties properties;
  // Decoded on an MQTT 5 connection: the broker answered with a 3.1.1 CONNACK 0x01
  // (unacceptable protocol version, [MQTT-3.1.2-2]): it does not speak MQTT 5.
  // reason_code then holds the 3.1.1 return code. (Last, so {present, code, props} holds.)
  bool mqtt311_answer = false;
  bool operator==(const Connack&) const;
};

struct Publish {
  std::string_view topic;  // may be empty in MQTT 5 when a Topic Alias is set
  Bytes payload;
  QoS qos = QoS::AtMostOnce;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // present on the wire only when qos > 0
  Properties properties;
  bool operator==(const Publish&) const;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP: one shape (5.0 §3.4-3.7). In MQTT 5 the reason code and
// properties are omitted on the wire when they are Success and empty (§3.4.2.1).
struct PubAck {
  PacketType type = PacketType::Puback;
  std::uint16_t packet_id = 0;
  std::uint8_t reason_code = 0;
  Properties properties;
  bool operator==(const PubAck&) const;
};

enum class RetainHandling : std::uint8_t { SendAtSubscribe = 0, SendIfNew = 1, DoNotSend = 2 };

struct Subscription {
  std::string_view filter;
  QoS qos = QoS::AtMostOnce;
  bool no_local = false;             // MQTT 5 only
  bool retain_as_published = false;  // MQTT 5 only
  RetainHandling retain_handling = RetainHandling::SendAtSubscribe;  // MQTT 5 only
  bool operator==(const Subscription&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<Subscription> subscriptions;
  Properties properties;
  bool operator==(const Subscribe&) const;
};

struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> reason_codes;  // 3.1.1: 0,1,2 or 0x80
  Properties properties;
  bool operator==(const Suback&) const;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string_view> filters;
  Properties properties;
  bool operator==(const Unsubscribe&) const;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> reason_codes;  // MQTT 5 only; empty for 3.1.1
  Properties properties;
  bool operator==(const Unsuback&) const;
};

struct Pingreq { bool operator==(const Pingreq&) const = default; };
struct Pingresp { bool operator==(const Pingresp&) const = default; };

struct Disconnect {
  std::uint8_t reason_code = 0;  // MQTT 5 only; omitted on the wire when 0 and no properties
  Properties properties;
  bool operator==(const Disconnect&) const;
};

struct Auth {  // MQTT 5 only
  std::uint8_t reason_code = 0;
  Properties properties;
  bool operator==(const Auth&) const;
};

using Packet = std::variant<Connect, Connack, Publish, PubAck, Subscribe, Suback, Unsubscribe,
                            Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

PacketType packet_type(const Packet& p) noexcept;

}  // namespace fleetload::mqtt
