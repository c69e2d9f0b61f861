// Every malformed-packet and protocol-error rule the decoder implements: the bad bytes,
// and the exact Errc they must give.
#include <gtest/gtest.h>

#include "mqtt_test_util.hpp"

namespace fleetload::mqtt::test {
namespace {

constexpr Version V3 = Version::V311;
constexpr Version V5 = Version::V5;

struct Bad {
  const char* name;
  Version version;
  ByteVec wire;
  Errc expected;
};
// Keeps gtest (and ctest's test list) from dumping the raw bytes of a Bad.
void PrintTo(const Bad& b, std::ostream* os) { *os << b.name; }

// CONNECT variable header up to the flags byte: name "MQTT" and the level.
ByteVec connect_head(int level) { return cat({lp("MQTT"), bytes({level})}); }

std::vector<Bad> bad_packets() {
  const ByteVec cid = lp("c");
  return {
      // ---- fixed header (§2.1) ----
      {"type_0_is_reserved", V3, bytes({0x00, 0x00}), Errc::UnknownPacketType},
      {"type_0_in_v5", V5, bytes({0x00, 0x00}), Errc::UnknownPacketType},
      {"auth_in_v311", V3, bytes({0xF0, 0x00}), Errc::UnknownPacketType},
      {"connect_flags_nonzero", V3, bytes({0x11, 0x00}), Errc::InvalidFixedHeaderFlags},
      {"connack_flags_nonzero", V3, bytes({0x28, 0x02, 0x00, 0x00}), Errc::InvalidFixedHeaderFlags},
      {"puback_flags_nonzero", V3, bytes({0x42, 0x02, 0x00, 0x01}), Errc::InvalidFixedHeaderFlags},
      {"pubrec_flags_nonzero", V5, bytes({0x51, 0x02, 0x00, 0x01}), Errc::InvalidFixedHeaderFlags},
      {"pubrel_flags_zero", V3, bytes({0x60, 0x02, 0x00, 0x01}), Errc::InvalidFixedHeaderFlags},
      {"pubrel_flags_0011", V5, bytes({0x63, 0x02, 0x00, 0x01}), Errc::InvalidFixedHeaderFlags},
      {"pubcomp_flags_nonzero", V3, bytes({0x78, 0x02, 0x00, 0x01}), Errc::InvalidFixedHeaderFlags},
      {"subscribe_flags_zero", V3, bytes({0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}),
       Errc::InvalidFixedHeaderFlags},
      {"suback_flags_nonzero", V3, bytes({0x92, 0x03, 0x00, 0x01, 0x00}), Errc::InvalidFixedHeaderFlags},
      {"unsubscribe_flags_zero", V5, bytes({0xA0, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 'a'}),
       Errc::InvalidFixedHeaderFlags},
      {"unsuback_flags_nonzero", V3, bytes({0xB4, 0x02, 0x00, 0x01}), Errc::InvalidFixedHeaderFlags},
      {"pingreq_flags_nonzero", V3, bytes({0xC1, 0x00}), Errc::InvalidFixedHeaderFlags},
      {"pingresp_flags_nonzero", V5, bytes({0xD8, 0x00}), Errc::InvalidFixedHeaderFlags},
      {"disconnect_flags_nonzero", V5, bytes({0xE2, 0x00}), Errc::InvalidFixedHeaderFlags},
      {"auth_flags_nonzero", V5, bytes({0xF1, 0x00}), Errc::InvalidFixedHeaderFlags},
      {"publish_qos3", V3, bytes({0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01}), Errc::InvalidQoS},
      {"publish_qos3_v5", V5, bytes({0x37, 0x00}), Errc::InvalidQoS},
      {"publish_dup_with_qos0", V3, bytes({0x38, 0x03, 0x00, 0x01, 't'}), Errc::InvalidFixedHeaderFlags},
      {"publish_dup_with_qos0_v5", V5, bytes({0x38, 0x04, 0x00, 0x01, 't', 0x00}),
       Errc::InvalidFixedHeaderFlags},
      // ---- Remaining Length VBI (§1.5.5, §2.1.4) ----
      {"vbi_five_bytes", V3, bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), Errc::MalformedVariableByteInteger},
      {"vbi_four_continuations", V5, bytes({0xC0, 0x80, 0x80, 0x80, 0x80}), Errc::MalformedVariableByteInteger},
      {"vbi_overlong_zero", V3, bytes({0xC0, 0x80, 0x00}), Errc::MalformedVariableByteInteger},
      {"vbi_overlong_three_bytes", V3, bytes({0xD0, 0x81, 0x80, 0x00}), Errc::MalformedVariableByteInteger},
      {"vbi_overlong_four_bytes", V5, bytes({0xE0, 0xFF, 0xFF, 0x80, 0x00}), Errc::MalformedVariableByteInteger},
      // ---- lengths ----
      {"pingreq_with_body", V3, bytes({0xC0, 0x01, 0x00}), Errc::RemainingLengthMismatch},
      {"pingresp_with_body", V5, bytes({0xD0, 0x01, 0x00}), Errc::RemainingLengthMismatch},
      {"disconnect_v311_with_body", V3, bytes({0xE0, 0x01, 0x00}), Errc::RemainingLengthMismatch},
      {"puback_v311_three_bytes", V3, bytes({0x40, 0x03, 0x00, 0x01, 0x00}), Errc::RemainingLengthMismatch},
      {"unsuback_v311_with_codes", V3, bytes({0xB0, 0x03, 0x00, 0x01, 0x00}), Errc::RemainingLengthMismatch},
      {"connack_v311_three_bytes", V3, bytes({0x20, 0x03, 0x00, 0x00, 0x00}), Errc::RemainingLengthMismatch},
      {"connect_trailing_byte", V3, packet(0x10, cat({connect_head(4), bytes({0x02, 0, 0}), cid, bytes({0})})),
       Errc::RemainingLengthMismatch},
      {"puback_v5_props_trailing", V5, bytes({0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00}),
       Errc::RemainingLengthMismatch},
      {"puback_one_byte", V3, bytes({0x40, 0x01, 0x00}), Errc::TruncatedField},
      {"publish_topic_past_end", V3, bytes({0x30, 0x03, 0x00, 0x05, 'a'}), Errc::TruncatedField},
      {"publish_topic_length_cut", V3, bytes({0x30, 0x01, 0x00}), Errc::TruncatedField},
      {"publish_qos1_no_packet_id", V3, bytes({0x32, 0x04, 0x00, 0x01, 't', 0x00}), Errc::TruncatedField},
      {"publish_v5_no_property_length", V5, bytes({0x30, 0x03, 0x00, 0x01, 't'}), Errc::TruncatedField},
      {"property_length_past_end", V5, bytes({0x30, 0x05, 0x00, 0x01, 't', 0x05, 0x01}), Errc::TruncatedField},
      {"property_value_past_property_length", V5,
       bytes({0x30, 0x09, 0x00, 0x01, 't', 0x02, 0x02, 0x00, 0x00, 0x00, 0x01}), Errc::TruncatedField},
      {"property_string_cut", V5, bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x03, 0x00, 0x05}),
       Errc::TruncatedField},
      {"connack_v5_no_property_length", V5, bytes({0x20, 0x02, 0x00, 0x00}), Errc::TruncatedField},
      {"connect_cut_in_keep_alive", V3, packet(0x10, cat({connect_head(4), bytes({0x02, 0})})),
       Errc::TruncatedField},
      {"connect_password_flag_without_password", V5,
       packet(0x10, cat({connect_head(5), bytes({0x40, 0, 0, 0}), cid})), Errc::TruncatedField},
      {"subscribe_missing_options", V3, bytes({0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}), Errc::TruncatedField},
      // ---- UTF-8 (§1.5.4) ----
      {"topic_with_nul", V3, bytes({0x30, 0x05, 0x00, 0x03, 'a', 0x00, 'b'}), Errc::InvalidUtf8},
      {"topic_with_surrogate", V3, bytes({0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80}), Errc::InvalidUtf8},
      {"topic_overlong_nul", V5, bytes({0x30, 0x05, 0x00, 0x02, 0xC0, 0x80, 0x00}), Errc::InvalidUtf8},
      {"topic_overlong_slash", V3, bytes({0x30, 0x05, 0x00, 0x03, 0xE0, 0x80, 0xAF}), Errc::InvalidUtf8},
      {"topic_lone_continuation", V3, bytes({0x30, 0x03, 0x00, 0x01, 0x80}), Errc::InvalidUtf8},
      {"topic_cut_sequence", V3, bytes({0x30, 0x04, 0x00, 0x02, 0xE2, 0x82}), Errc::InvalidUtf8},
      {"topic_byte_ff", V3, bytes({0x30, 0x03, 0x00, 0x01, 0xFF}), Errc::InvalidUtf8},
      {"topic_above_u10ffff", V3, bytes({0x30, 0x06, 0x00, 0x04, 0xF4, 0x90, 0x80, 0x80}), Errc::InvalidUtf8},
      {"client_id_invalid_utf8", V3,
       packet(0x10, cat({connect_head(4), bytes({0x02, 0, 0, 0x00, 0x01, 0xC1})})), Errc::InvalidUtf8},
      {"username_invalid_utf8", V3,
       packet(0x10, cat({connect_head(4), bytes({0x82, 0, 0}), cid, bytes({0x00, 0x01, 0x00})})),
       Errc::InvalidUtf8},
      {"user_property_invalid_utf8", V5,
       bytes({0x30, 0x0B, 0x00, 0x01, 't', 0x07, 0x26, 0x00, 0x01, 0xED, 0x00, 0x01, 'v'}), Errc::InvalidUtf8},
      {"reason_string_with_nul", V5, bytes({0x40, 0x08, 0x00, 0x01, 0x80, 0x04, 0x1F, 0x00, 0x01, 0x00}),
       Errc::InvalidUtf8},
      {"subscribe_filter_surrogate", V3, bytes({0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 0xED, 0xBF, 0xBF, 0x00}),
       Errc::InvalidUtf8},
      // ---- CONNECT (§3.1) ----
      {"protocol_name_mqisdp", V3,
       packet(0x10, cat({lp("MQIsdp"), bytes({0x03, 0x02, 0, 0}), cid})), Errc::InvalidProtocolName},
      {"protocol_name_lowercase", V5, packet(0x10, cat({lp("mqtt"), bytes({0x05, 0x02, 0, 0, 0}), cid})),
       Errc::InvalidProtocolName},
      {"protocol_level_3", V3, packet(0x10, cat({connect_head(3), bytes({0x02, 0, 0}), cid})),
       Errc::UnsupportedProtocolVersion},
      {"protocol_level_6", V5, packet(0x10, cat({connect_head(6), bytes({0x02, 0, 0, 0}), cid})),
       Errc::UnsupportedProtocolVersion},
      {"connect_reserved_flag", V3, packet(0x10, cat({connect_head(4), bytes({0x03, 0, 0}), cid})),
       Errc::InvalidConnectFlags},
      {"will_qos_without_will", V3, packet(0x10, cat({connect_head(4), bytes({0x0A, 0, 0}), cid})),
       Errc::InvalidConnectFlags},
      {"will_retain_without_will", V5, packet(0x10, cat({connect_head(5), bytes({0x22, 0, 0, 0}), cid})),
       Errc::InvalidConnectFlags},
      {"will_qos_3", V3,
       packet(0x10, cat({connect_head(4), bytes({0x1E, 0, 0}), cid, lp("w"), lp("p")})), Errc::InvalidQoS},
      {"v311_password_without_username", V3,
       packet(0x10, cat({connect_head(4), bytes({0x42, 0, 0}), cid, lp("pw")})), Errc::InvalidConnectFlags},
      {"will_topic_with_wildcard", V3,
       packet(0x10, cat({connect_head(4), bytes({0x06, 0, 0}), cid, lp("w/#"), lp("p")})),
       Errc::InvalidTopicName},
      {"will_topic_empty", V5,
       packet(0x10, cat({connect_head(5), bytes({0x06, 0, 0, 0}), cid, bytes({0}), lp(""), lp("p")})),
       Errc::InvalidTopicName},
      {"connect_auth_data_without_method", V5,
       packet(0x10, cat({connect_head(5), bytes({0x02, 0, 0, 0x04, 0x16, 0x00, 0x01, 0x01}), cid})),
       Errc::InvalidPropertyValue},
      // ---- CONNACK (§3.2) ----
      {"connack_reserved_ack_flags", V3, bytes({0x20, 0x02, 0x02, 0x00}), Errc::InvalidConnectFlags},
      {"connack_session_present_on_failure", V3, bytes({0x20, 0x02, 0x01, 0x05}), Errc::InvalidConnectFlags},
      {"connack_session_present_on_failure_v5", V5, bytes({0x20, 0x03, 0x01, 0x87, 0x00}),
       Errc::InvalidConnectFlags},
      {"connack_v311_return_code_6", V3, bytes({0x20, 0x02, 0x00, 0x06}), Errc::InvalidReasonCode},
      {"connack_v5_reason_0x04", V5, bytes({0x20, 0x03, 0x00, 0x04, 0x00}), Errc::InvalidReasonCode},
      {"connack_v5_reason_0x01", V5, bytes({0x20, 0x03, 0x00, 0x01, 0x00}), Errc::InvalidReasonCode},
      // ---- PUBLISH (§3.3) ----
      {"publish_qos1_packet_id_0", V3, bytes({0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00}),
       Errc::InvalidPacketIdentifier},
      {"publish_qos2_packet_id_0_v5", V5, bytes({0x34, 0x06, 0x00, 0x01, 't', 0x00, 0x00, 0x00}),
       Errc::InvalidPacketIdentifier},
      {"publish_topic_plus", V3, bytes({0x30, 0x05, 0x00, 0x03, 'a', '/', '+'}), Errc::InvalidTopicName},
      {"publish_topic_hash", V5, bytes({0x30, 0x04, 0x00, 0x01, '#', 0x00}), Errc::InvalidTopicName},
      {"publish_empty_topic_v311", V3, bytes({0x30, 0x02, 0x00, 0x00}), Errc::InvalidTopicName},
      {"publish_empty_topic_v5_without_alias", V5, bytes({0x30, 0x03, 0x00, 0x00, 0x00}), Errc::InvalidTopicName},
      {"publish_topic_alias_0", V5, bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x00}),
       Errc::TopicAliasInvalid},
      // ---- acks (§3.4-§3.7) ----
      {"puback_packet_id_0", V3, bytes({0x40, 0x02, 0x00, 0x00}), Errc::InvalidPacketIdentifier},
      {"pubrec_packet_id_0_v5", V5, bytes({0x50, 0x02, 0x00, 0x00}), Errc::InvalidPacketIdentifier},
      {"pubrel_packet_id_0", V3, bytes({0x62, 0x02, 0x00, 0x00}), Errc::InvalidPacketIdentifier},
      {"pubcomp_packet_id_0", V5, bytes({0x70, 0x02, 0x00, 0x00}), Errc::InvalidPacketIdentifier},
      {"puback_reason_0x92", V5, bytes({0x40, 0x03, 0x00, 0x01, 0x92}), Errc::InvalidReasonCode},
      {"pubrec_reason_0x01", V5, bytes({0x50, 0x03, 0x00, 0x01, 0x01}), Errc::InvalidReasonCode},
      {"pubrel_reason_0x10", V5, bytes({0x62, 0x03, 0x00, 0x01, 0x10}), Errc::InvalidReasonCode},
      {"pubcomp_reason_0x80", V5, bytes({0x70, 0x03, 0x00, 0x01, 0x80}), Errc::InvalidReasonCode},
      // ---- SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK (§3.8-§3.11) ----
      {"subscribe_packet_id_0", V3, bytes({0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 'a', 0x00}),
       Errc::InvalidPacketIdentifier},
      {"subscribe_empty", V3, bytes({0x82, 0x02, 0x00, 0x01}), Errc::EmptySubscriptionList},
      {"subscribe_empty_v5", V5, bytes({0x82, 0x03, 0x00, 0x01, 0x00}), Errc::EmptySubscriptionList},
      {"subscribe_v311_reserved_bits", V3, bytes({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x04}),
       Errc::InvalidSubscriptionOptions},
      {"subscribe_v5_reserved_bits", V5, bytes({0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x40}),
       Errc::InvalidSubscriptionOptions},
      {"subscribe_retain_handling_3", V5, bytes({0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x30}),
       Errc::InvalidSubscriptionOptions},
      {"subscribe_qos_3", V3, bytes({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x03}), Errc::InvalidQoS},
      {"subscribe_no_local_on_shared", V5,
       cat({bytes({0x82, 0x12, 0x00, 0x01, 0x00}), lp("$share/g/a/b"), bytes({0x04})}),
       Errc::InvalidSubscriptionOptions},
      {"subscribe_filter_hash_not_last", V3, cat({bytes({0x82, 0x0A, 0x00, 0x01}), lp("a/#/b"), bytes({0})}),
       Errc::InvalidTopicFilter},
      {"subscribe_filter_plus_in_level", V5, cat({bytes({0x82, 0x08, 0x00, 0x01, 0x00}), lp("a+"), bytes({0})}),
       Errc::InvalidTopicFilter},
      {"subscribe_filter_empty", V3, bytes({0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00}), Errc::InvalidTopicFilter},
      {"subscribe_share_without_filter", V5, cat({bytes({0x82, 0x0E, 0x00, 0x01, 0x00}), lp("$share/g"), bytes({0})}),
       Errc::InvalidTopicFilter},
      {"subscribe_two_subscription_ids", V5,
       bytes({0x82, 0x0B, 0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B, 0x02, 0x00, 0x01, 'a', 0x00}),
       Errc::DuplicateProperty},
      {"suback_packet_id_0", V3, bytes({0x90, 0x03, 0x00, 0x00, 0x00}), Errc::InvalidPacketIdentifier},
      {"suback_empty", V3, bytes({0x90, 0x02, 0x00, 0x01}), Errc::EmptySubscriptionList},
      {"suback_v311_code_3", V3, bytes({0x90, 0x03, 0x00, 0x01, 0x03}), Errc::InvalidReasonCode},
      {"suback_v311_code_0x87", V3, bytes({0x90, 0x03, 0x00, 0x01, 0x87}), Errc::InvalidReasonCode},
      {"suback_v5_code_0x04", V5, bytes({0x90, 0x04, 0x00, 0x01, 0x00, 0x04}), Errc::InvalidReasonCode},
      {"unsubscribe_packet_id_0", V3, bytes({0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 'a'}),
       Errc::InvalidPacketIdentifier},
      {"unsubscribe_empty", V3, bytes({0xA2, 0x02, 0x00, 0x01}), Errc::EmptySubscriptionList},
      {"unsubscribe_bad_filter", V5, bytes({0xA2, 0x07, 0x00, 0x01, 0x00, 0x00, 0x02, '#', 'a'}),
       Errc::InvalidTopicFilter},
      {"unsuback_packet_id_0", V3, bytes({0xB0, 0x02, 0x00, 0x00}), Errc::InvalidPacketIdentifier},
      {"unsuback_v5_empty", V5, bytes({0xB0, 0x03, 0x00, 0x01, 0x00}), Errc::EmptySubscriptionList},
      {"unsuback_v5_code_0x01", V5, bytes({0xB0, 0x04, 0x00, 0x01, 0x00, 0x01}), Errc::InvalidReasonCode},
      // ---- DISCONNECT / AUTH (§3.14, §3.15) ----
      {"disconnect_reason_0x01", V5, bytes({0xE0, 0x01, 0x01}), Errc::InvalidReasonCode},
      {"disconnect_reason_0x84", V5, bytes({0xE0, 0x01, 0x84}), Errc::InvalidReasonCode},
      {"auth_reason_0x87", V5, bytes({0xF0, 0x02, 0x87, 0x00}), Errc::InvalidReasonCode},
      {"auth_property_past_end", V5, bytes({0xF0, 0x03, 0x18, 0x05, 0x15}), Errc::TruncatedField},
      // ---- properties (§2.2.2) ----
      {"property_id_0", V5, bytes({0x30, 0x06, 0x00, 0x01, 't', 0x01, 0x00, 0x00}), Errc::UnknownProperty},
      {"property_id_0x04", V5, bytes({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x04, 0x00}), Errc::UnknownProperty},
      {"property_id_0x2b", V5, bytes({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x2B, 0x00}), Errc::UnknownProperty},
      {"property_id_two_byte_vbi", V5, bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x81, 0x01, 0x00}),
       Errc::UnknownProperty},
      {"property_id_overlong_vbi", V5, bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x81, 0x00, 0x00}),
       Errc::MalformedVariableByteInteger},
      {"property_length_overlong_vbi", V5, bytes({0x30, 0x05, 0x00, 0x01, 't', 0x80, 0x00}),
       Errc::MalformedVariableByteInteger},
      {"subscription_id_overlong_vbi", V5, bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x0B, 0x81, 0x00}),
       Errc::MalformedVariableByteInteger},
      {"subscription_id_0", V5, bytes({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x0B, 0x00}),
       Errc::InvalidPropertyValue},
      {"payload_format_2", V5, bytes({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x01, 0x02}),
       Errc::InvalidPropertyValue},
      {"response_topic_with_wildcard", V5, bytes({0x30, 0x09, 0x00, 0x01, 't', 0x05, 0x08, 0x00, 0x02, 'a', '#'}),
       Errc::InvalidPropertyValue},
      {"receive_maximum_0", V5, bytes({0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00}), Errc::InvalidPropertyValue},
      {"maximum_packet_size_0", V5, bytes({0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0, 0, 0, 0}),
       Errc::InvalidPropertyValue},
      {"maximum_qos_2", V5, bytes({0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02}), Errc::InvalidPropertyValue},
      {"retain_available_2", V5, bytes({0x20, 0x05, 0x00, 0x00, 0x02, 0x25, 0x02}), Errc::InvalidPropertyValue},
      {"wildcard_available_2", V5, bytes({0x20, 0x05, 0x00, 0x00, 0x02, 0x28, 0x02}), Errc::InvalidPropertyValue},
      {"subscription_id_available_2", V5, bytes({0x20, 0x05, 0x00, 0x00, 0x02, 0x29, 0x02}),
       Errc::InvalidPropertyValue},
      {"shared_available_2", V5, bytes({0x20, 0x05, 0x00, 0x00, 0x02, 0x2A, 0x02}), Errc::InvalidPropertyValue},
      {"duplicate_reason_string", V5,
       bytes({0x40, 0x0C, 0x00, 0x01, 0x80, 0x08, 0x1F, 0x00, 0x01, 'a', 0x1F, 0x00, 0x01, 'b'}),
       Errc::DuplicateProperty},
      {"duplicate_topic_alias", V5, bytes({0x30, 0x0A, 0x00, 0x01, 't', 0x06, 0x23, 0x00, 0x01, 0x23, 0x00, 0x02}),
       Errc::DuplicateProperty},
      {"topic_alias_in_connack", V5, bytes({0x20, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01}),
       Errc::PropertyNotAllowed},
      {"will_delay_in_connect_properties", V5,
       packet(0x10, cat({connect_head(5), bytes({0x02, 0, 0, 0x05, 0x18, 0, 0, 0, 1}), cid})),
       Errc::PropertyNotAllowed},
      {"session_expiry_in_will_properties", V5,
       packet(0x10, cat({connect_head(5), bytes({0x06, 0, 0, 0x00}), cid, bytes({0x05, 0x11, 0, 0, 0, 1}), lp("w"),
                         lp("p")})),
       Errc::PropertyNotAllowed},
  };
}

class MqttMalformedTest : public ::testing::TestWithParam<Bad> {};

TEST_P(MqttMalformedTest, DecodeGivesTheExactError) {
  const Bad& b = GetParam();
  HeapCopy copy(b.wire);
  Packet out;
  DecodeResult r = decode(copy.span(), opts(b.version), out);
  ASSERT_EQ(r.status, DecodeStatus::Error) << hex(b.wire);
  EXPECT_EQ(r.error, b.expected) << "got: " << r.error.message() << "\nbytes: " << hex(b.wire);
  EXPECT_EQ(r.consumed, 0u);
}

// The stream decoder reports the same error, and keeps reporting it (sticky).
TEST_P(MqttMalformedTest, StreamDecoderErrorIsSticky) {
  const Bad& b = GetParam();
  StreamDecoder d(opts(b.version));
  d.append(b.wire);
  Packet out;
  EXPECT_EQ(d.next(out).error, b.expected);
  d.append(bytes({0xC0, 0x00}));
  DecodeResult again = d.next(out);
  EXPECT_EQ(again.status, DecodeStatus::Error);
  EXPECT_EQ(again.error, b.expected);
}

INSTANTIATE_TEST_SUITE_P(mqtt, MqttMalformedTest, ::testing::ValuesIn(bad_packets()),
                         [](const ::testing::TestParamInfo<Bad>& info) { return std::string(info.param.name); });

TEST(mqtt_decode_limits, PacketTooLargeAsSoonAsTheFixedHeaderSaysSo) {
  // PUBLISH announcing 100 bytes of body, only the fixed header present.
  HeapCopy copy(bytes({0x30, 0x64}));
  Packet out;
  DecodeResult r = decode(copy.span(), opts(Version::V5, 101), out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, Errc::PacketTooLarge);
  // Exactly at the limit is fine: it only needs more bytes.
  r = decode(copy.span(), opts(Version::V5, 102), out);
  EXPECT_EQ(r.status, DecodeStatus::NeedMore);
  EXPECT_EQ(r.needed, 102u);
}

TEST(mqtt_decode_limits, LargestRemainingLengthIsAcceptedAsHeader) {
  HeapCopy copy(bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F}));
  Packet out;
  DecodeResult r = decode(copy.span(), opts(Version::V311), out);
  EXPECT_EQ(r.status, DecodeStatus::NeedMore);
  EXPECT_EQ(r.needed, kMaxPacketSize);
}

TEST(mqtt_decode_limits, EmptyInputNeedsMoreWithoutKnownSize) {
  Packet out;
  DecodeResult r = decode({}, opts(Version::V5), out);
  EXPECT_EQ(r.status, DecodeStatus::NeedMore);
  EXPECT_EQ(r.needed, 0u);
}

TEST(mqtt_decode_connect, VersionMismatchRejectedWhenNotAcceptingAny) {
  const ByteVec wire = packet(0x10, cat({connect_head(5), bytes({0x02, 0, 0, 0}), lp("c")}));
  HeapCopy copy(wire);
  Packet out;
  DecodeOptions o = opts(Version::V311);
  EXPECT_EQ(decode(copy.span(), o, out).status, DecodeStatus::Ok);  // accepts any by default
  EXPECT_EQ(std::get<Connect>(out).version, Version::V5);
  o.accept_any_connect_version = false;
  EXPECT_EQ(decode(copy.span(), o, out).error, Errc::UnsupportedProtocolVersion);
  o.version = Version::V5;
  EXPECT_EQ(decode(copy.span(), o, out).status, DecodeStatus::Ok);
}

// aedes answers an MQTT 5 CONNECT with the 3.1.1 CONNACK 20 02 00 01 ([MQTT-3.1.2-2]): on an
// MQTT 5 connection it decodes as that answer (named by the session), not as malformed.
TEST(mqtt_decode_connack, Mqtt311UnacceptableVersionOnAnMqtt5ConnectionIsDecodedAsSuch) {
  HeapCopy copy(bytes({0x20, 0x02, 0x00, 0x01}));
  Packet out;
  ASSERT_EQ(decode(copy.span(), opts(Version::V5), out).status, DecodeStatus::Ok);
  EXPECT_TRUE(std::get<Connack>(out).mqtt311_answer);
  EXPECT_EQ(std::get<Connack>(out).reason_code, 0x01);
  ASSERT_EQ(decode(copy.span(), opts(Version::V311), out).status, DecodeStatus::Ok);
  EXPECT_FALSE(std::get<Connack>(out).mqtt311_answer);
  // Any other 2-byte body stays malformed on MQTT 5 (no Property Length).
  HeapCopy other(bytes({0x20, 0x02, 0x00, 0x05}));
  EXPECT_EQ(decode(other.span(), opts(Version::V5), out).status, DecodeStatus::Error);
}

TEST(mqtt_decode_connect, V5AllowsPasswordWithoutUsername) {
  const ByteVec wire = packet(0x10, cat({connect_head(5), bytes({0x42, 0, 0, 0}), lp("c"), lp("pw")}));
  HeapCopy copy(wire);
  Packet out;
  ASSERT_EQ(decode(copy.span(), opts(Version::V5), out).status, DecodeStatus::Ok);
  const Connect& c = std::get<Connect>(out);
  EXPECT_FALSE(c.username.has_value());
  ASSERT_TRUE(c.password.has_value());
  EXPECT_EQ(c.password->size(), 2u);
}

}  // namespace
}  // namespace fleetload::mqtt::test
