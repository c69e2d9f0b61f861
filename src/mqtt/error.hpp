// Codec errors as std::error_code values of the "mqtt" category: each one names a rule
// of the specification, so a test (and a metric label) can say exactly what was wrong.
#pragma once

#include <system_error>

namespace fleetload::mqtt {

enum class Errc {
  // 1..: the packet is malformed (5.0 §4.13: "Malformed Packet")
  MalformedVariableByteInteger = 1,  // more than 4 bytes, or a non-minimal (over-long) form
  UnknownPacketType,                 // type 0, or AUTH in 3.1.1
  InvalidFixedHeaderFlags,           // reserved flag bits not as §2.1.3 requires
  RemainingLengthMismatch,           // fields end before or after the Remaining Length
  TruncatedField,                    // a field runs past the end of the packet
  InvalidUtf8,                       // not well-formed UTF-8, a surrogate, or U+0000 (§1.5.4)
  InvalidProtocolName,               // CONNECT protocol name is not "MQTT"
  UnsupportedProtocolVersion,        // CONNECT protocol level is neither 4 nor 5
  InvalidConnectFlags,               // reserved bit set, or will flags inconsistent (§3.1.2.3)
  InvalidQoS,                        // QoS 3
  InvalidPacketIdentifier,           // packet identifier 0 where one is required
  InvalidReasonCode,                 // a reason/return code not allowed in this packet
  InvalidSubscriptionOptions,        // reserved bits set, or retain handling 3
  EmptySubscriptionList,             // SUBSCRIBE/UNSUBSCRIBE with no topic filter
  InvalidTopicName,                  // empty (without alias), or holds a wildcard
  InvalidTopicFilter,                // empty, misplaced wildcard, bad $share/ form
  // MQTT 5 properties
  UnknownProperty,                   // identifier not defined by the spec
  PropertyNotAllowed,                // defined, but not in this packet type
  DuplicateProperty,                 // appears twice where the spec allows it once
  InvalidPropertyValue,              // e.g. Receive Maximum 0, a boolean byte other than 0/1
  TopicAliasInvalid,                 // Topic Alias 0 (§3.3.2.3.4: a receiver answers DISCONNECT 0x94)
  // limits
  PacketTooLarge,                    // larger than the configured maximum packet size
  BufferTooSmall,                    // encoder: the output span cannot hold the packet
  FieldTooLong,                      // encoder: a string/binary over 65,535 bytes or a VBI over its range
};

const std::error_category& mqtt_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

}  // namespace fleetload::mqtt

template <>
struct std::is_error_code_enum<fleetload::mqtt::Errc> : std::true_type {};
