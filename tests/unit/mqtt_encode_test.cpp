// Encoder rules: every packet the spec forbids is refused by encoded_size/encode with the
// exact error; buffers are never overrun; names and the error category are right.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "mqtt_test_util.hpp"

namespace fleetload::mqtt::test {
namespace {

constexpr Version V3 = Version::V311;
constexpr Version V5 = Version::V5;

Publish pub(std::string_view topic, QoS q = QoS::AtMostOnce, std::uint16_t id = 0) {
  Publish p;
  p.topic = topic;
  p.qos = q;
  p.packet_id = id;
  return p;
}

const std::string& long_string() {
  static const std::string s(65'536, 'a');
  return s;
}

TEST(mqtt_encode_errors, Publish) {
  Publish p = pub("t");
  p.qos = static_cast<QoS>(3);
  p.packet_id = 1;
  EXPECT_EQ(encoded_size(p, V3).error, Errc::InvalidQoS);
  p = pub("t");
  p.dup = true;
  EXPECT_EQ(encoded_size(p, V5).error, Errc::InvalidFixedHeaderFlags);
  EXPECT_EQ(encoded_size(pub("t", QoS::AtLeastOnce, 0), V3).error, Errc::InvalidPacketIdentifier);
  EXPECT_EQ(encoded_size(pub("t", QoS::ExactlyOnce, 0), V5).error, Errc::InvalidPacketIdentifier);
  EXPECT_EQ(encoded_size(pub("a/+"), V3).error, Errc::InvalidTopicName);
  EXPECT_EQ(encoded_size(pub("a/#"), V5).error, Errc::InvalidTopicName);
  EXPECT_EQ(encoded_size(pub(""), V3).error, Errc::InvalidTopicName);
  EXPECT_EQ(encoded_size(pub(""), V5).error, Errc::InvalidTopicName);
  EXPECT_EQ(encoded_size(pub("a\xED\xA0\x80"), V3).error, Errc::InvalidUtf8);
  EXPECT_EQ(encoded_size(pub(std::string_view("a\0", 2)), V5).error, Errc::InvalidUtf8);
  EXPECT_EQ(encoded_size(pub(long_string()), V3).error, Errc::FieldTooLong);
  p = pub("");
  p.properties.topic_alias = 3;
  EXPECT_FALSE(encoded_size(p, V5).error);  // empty topic with an alias: fine in MQTT 5
  EXPECT_EQ(encoded_size(p, V3).error, Errc::InvalidTopicName);
  p = pub("t");
  p.properties.message_expiry_interval = 1;
  EXPECT_EQ(encoded_size(p, V3).error, Errc::PropertyNotAllowed);
  // The Packet overload agrees with the typed one.
  EXPECT_EQ(encoded_size(Packet(p), V3).error, Errc::PropertyNotAllowed);
  EXPECT_EQ(encode(p, V3, std::span<std::uint8_t>()).error, Errc::PropertyNotAllowed);
}

TEST(mqtt_encode_errors, Acks) {
  EXPECT_EQ(encoded_size(PubAck{PacketType::Connect, 1, 0, {}}, V3).error, Errc::UnknownPacketType);
  EXPECT_EQ(encoded_size(PubAck{PacketType::Suback, 1, 0, {}}, V5).error, Errc::UnknownPacketType);
  EXPECT_EQ(encoded_size(PubAck{PacketType::Puback, 0, 0, {}}, V3).error, Errc::InvalidPacketIdentifier);
  EXPECT_EQ(encoded_size(PubAck{PacketType::Pubrel, 0, 0, {}}, V5).error, Errc::InvalidPacketIdentifier);
  EXPECT_EQ(encoded_size(PubAck{PacketType::Puback, 1, 0x80, {}}, V3).error, Errc::InvalidReasonCode);
  EXPECT_EQ(encoded_size(PubAck{PacketType::Puback, 1, 0x92, {}}, V5).error, Errc::InvalidReasonCode);
  EXPECT_EQ(encoded_size(PubAck{PacketType::Pubcomp, 1, 0x10, {}}, V5).error, Errc::InvalidReasonCode);
  PubAck a{PacketType::Pubrec, 1, 0, {}};
  a.properties.topic_alias = 1;
  EXPECT_EQ(encoded_size(a, V5).error, Errc::PropertyNotAllowed);
}

TEST(mqtt_encode_errors, ConnectAndConnack) {
  Connect c = make_connect(V5);
  EXPECT_EQ(encode_error(c, V3), Errc::UnsupportedProtocolVersion);  // version must match
  c.version = static_cast<Version>(3);
  EXPECT_EQ(encode_error(c, static_cast<Version>(3)), Errc::UnsupportedProtocolVersion);
  c = make_connect(V3);
  c.password = as_bytes("pw");
  EXPECT_EQ(encode_error(c, V3), Errc::InvalidConnectFlags);
  c = make_connect(V3, "\xC0\x80");
  EXPECT_EQ(encode_error(c, V3), Errc::InvalidUtf8);
  c = make_connect(V5, long_string());
  EXPECT_EQ(encode_error(c, V5), Errc::FieldTooLong);
  c = make_connect(V3);
  c.username = "\xFF";
  EXPECT_EQ(encode_error(c, V3), Errc::InvalidUtf8);
  c.username = "u";
  c.password = as_bytes(long_string());
  EXPECT_EQ(encode_error(c, V3), Errc::FieldTooLong);
  c = make_connect(V3);
  c.will = Will{"w/+", as_bytes("x"), QoS::AtMostOnce, false, {}};
  EXPECT_EQ(encode_error(c, V3), Errc::InvalidTopicName);
  c.will->topic = "";
  EXPECT_EQ(encode_error(c, V3), Errc::InvalidTopicName);
  c.will->topic = "w";
  c.will->qos = static_cast<QoS>(3);
  EXPECT_EQ(encode_error(c, V3), Errc::InvalidQoS);
  c.will->qos = QoS::AtMostOnce;
  c.will->payload = as_bytes(long_string());
  EXPECT_EQ(encode_error(c, V3), Errc::FieldTooLong);
  c.will->payload = as_bytes("x");
  c.will->properties.will_delay_interval = 1;
  EXPECT_EQ(encode_error(c, V3), Errc::PropertyNotAllowed);  // no Will Properties in 3.1.1
  c.will->properties.session_expiry_interval = 1;
  c.version = V5;
  EXPECT_EQ(encode_error(c, V5), Errc::PropertyNotAllowed);  // not a Will property

  EXPECT_EQ(encode_error(Connack{false, 6, {}}, V3), Errc::InvalidReasonCode);
  EXPECT_EQ(encode_error(Connack{false, 0x8E, {}}, V5), Errc::InvalidReasonCode);
  EXPECT_EQ(encode_error(Connack{true, 5, {}}, V3), Errc::InvalidConnectFlags);
  EXPECT_EQ(encode_error(Connack{true, 0x87, {}}, V5), Errc::InvalidConnectFlags);
}

TEST(mqtt_encode_errors, SubscribeFamily) {
  EXPECT_EQ(encode_error(Subscribe{0, {{"a"}}, {}}, V3), Errc::InvalidPacketIdentifier);
  EXPECT_EQ(encode_error(Subscribe{1, {}, {}}, V5), Errc::EmptySubscriptionList);
  EXPECT_EQ(encode_error(Subscribe{1, {{"a/#/b"}}, {}}, V3), Errc::InvalidTopicFilter);
  EXPECT_EQ(encode_error(Subscribe{1, {{""}}, {}}, V5), Errc::InvalidTopicFilter);
  EXPECT_EQ(encode_error(Subscribe{1, {{"a\xED\xBF\xBF"}}, {}}, V5), Errc::InvalidUtf8);
  EXPECT_EQ(encode_error(Subscribe{1, {{"a", static_cast<QoS>(3)}}, {}}, V3), Errc::InvalidQoS);
  EXPECT_EQ(encode_error(Subscribe{1, {{"a", QoS::AtMostOnce, true}}, {}}, V3), Errc::InvalidSubscriptionOptions);
  EXPECT_EQ(encode_error(Subscribe{1, {{"a", QoS::AtMostOnce, false, true}}, {}}, V3),
            Errc::InvalidSubscriptionOptions);
  EXPECT_EQ(encode_error(Subscribe{1, {{"a", QoS::AtMostOnce, false, false, static_cast<RetainHandling>(3)}}, {}}, V5),
            Errc::InvalidSubscriptionOptions);
  EXPECT_EQ(encode_error(Subscribe{1, {{"$share/g/a", QoS::AtMostOnce, true}}, {}}, V5),
            Errc::InvalidSubscriptionOptions);
  EXPECT_EQ(encode_error(Suback{0, {0}, {}}, V3), Errc::InvalidPacketIdentifier);
  EXPECT_EQ(encode_error(Suback{1, {}, {}}, V3), Errc::EmptySubscriptionList);
  EXPECT_EQ(encode_error(Suback{1, {0x87}, {}}, V3), Errc::InvalidReasonCode);
  EXPECT_EQ(encode_error(Suback{1, {0x11}, {}}, V5), Errc::InvalidReasonCode);
  EXPECT_EQ(encode_error(Unsubscribe{0, {"a"}, {}}, V3), Errc::InvalidPacketIdentifier);
  EXPECT_EQ(encode_error(Unsubscribe{1, {}, {}}, V5), Errc::EmptySubscriptionList);
  EXPECT_EQ(encode_error(Unsubscribe{1, {"+a"}, {}}, V5), Errc::InvalidTopicFilter);
  EXPECT_EQ(encode_error(Unsuback{0, {}, {}}, V3), Errc::InvalidPacketIdentifier);
  EXPECT_EQ(encode_error(Unsuback{1, {0}, {}}, V3), Errc::InvalidReasonCode);
  EXPECT_EQ(encode_error(Unsuback{1, {}, {}}, V5), Errc::EmptySubscriptionList);
  EXPECT_EQ(encode_error(Unsuback{1, {0x10}, {}}, V5), Errc::InvalidReasonCode);
}

TEST(mqtt_encode_errors, DisconnectAndAuth) {
  EXPECT_EQ(encode_error(Disconnect{0x04, {}}, V3), Errc::InvalidReasonCode);
  Disconnect d;
  d.properties.reason_string = "x";
  EXPECT_EQ(encode_error(d, V3), Errc::PropertyNotAllowed);
  EXPECT_FALSE(encode_error(Disconnect{0x97, {}}, V5));
  EXPECT_EQ(encode_error(Disconnect{0x01, {}}, V5), Errc::InvalidReasonCode);
  EXPECT_EQ(encode_error(Auth{}, V3), Errc::UnknownPacketType);
  EXPECT_EQ(encode_error(Auth{0x87, {}}, V5), Errc::InvalidReasonCode);
  Auth a;
  a.properties.session_expiry_interval = 1;
  EXPECT_EQ(encode_error(a, V5), Errc::PropertyNotAllowed);
}

TEST(mqtt_encode_errors, UnknownVersionRejected) {
  EXPECT_EQ(encode_error(Pingreq{}, static_cast<Version>(3)), Errc::UnsupportedProtocolVersion);
}

TEST(mqtt_encode, BufferTooSmallWritesNothingPastTheSpan) {
  Publish p = pub("a/b", QoS::AtLeastOnce, 9);
  p.payload = as_bytes("payload");
  const std::size_t n = encoded_size(p, V5).size;
  ASSERT_EQ(n, 2 + 5 + 2 + 1 + 7u);
  for (std::size_t len = 0; len < n; ++len) {
    ByteVec buf(n + 4, 0xEE);
    EncodeResult r = encode(p, V5, std::span<std::uint8_t>(buf.data(), len));
    EXPECT_EQ(r.error, Errc::BufferTooSmall);
    EXPECT_EQ(r.written, 0u);
    for (std::size_t i = len; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xEE) << "byte " << i << " overwritten";
  }
  ByteVec exact(n);
  EXPECT_EQ(encode(p, V5, exact).written, n);
}

TEST(mqtt_encode, Pingreq) {
  std::uint8_t buf[2] = {0xAA, 0xAA};
  EXPECT_EQ(encode_pingreq(std::span<std::uint8_t>(buf, 1)).error, Errc::BufferTooSmall);
  EXPECT_EQ(buf[0], 0xAA);
  EncodeResult r = encode_pingreq(buf);
  EXPECT_EQ(r.written, 2u);
  EXPECT_EQ(buf[0], 0xC0);
  EXPECT_EQ(buf[1], 0x00);
}

TEST(mqtt_encode, EncodeToVectorGivesEmptyOnError) {
  EXPECT_TRUE(encode_to_vector(Suback{1, {}, {}}, V3).empty());
  EXPECT_EQ(encode_to_vector(Pingresp{}, V3), bytes({0xD0, 0x00}));
}

TEST(mqtt_names, ReasonCodesAreSnakeCase) {
  EXPECT_STREQ(to_string(ReasonCode::Success), "success");
  EXPECT_STREQ(to_string(ReasonCode::NotAuthorized), "not_authorized");
  EXPECT_STREQ(to_string(ReasonCode::QoSNotSupported), "qos_not_supported");
  EXPECT_STREQ(to_string(ReasonCode::GrantedQoS2), "granted_qos_2");
  EXPECT_STREQ(to_string(ReasonCode::WildcardSubscriptionsNotSupported), "wildcard_subscriptions_not_supported");
  EXPECT_STREQ(to_string(static_cast<ReasonCode>(0x03)), "unknown");
  // Every defined value has its own lower-case name.
  std::set<std::string> names;
  int defined = 0;
  for (int c = 0; c < 256; ++c) {
    const std::string name = to_string(static_cast<ReasonCode>(c));
    if (name == "unknown") continue;
    ++defined;
    names.insert(name);
    for (char ch : name) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') << name;
  }
  EXPECT_EQ(defined, 43);
  EXPECT_EQ(names.size(), 43u);
}

TEST(mqtt_names, ReturnCodesAndPacketTypes) {
  EXPECT_STREQ(to_string(ConnectReturnCode::Accepted), "accepted");
  EXPECT_STREQ(to_string(ConnectReturnCode::BadUsernameOrPassword), "bad_username_or_password");
  EXPECT_STREQ(to_string(ConnectReturnCode::NotAuthorized), "not_authorized");
  EXPECT_STREQ(to_string(static_cast<ConnectReturnCode>(6)), "unknown");
  EXPECT_STREQ(to_string(PacketType::Publish), "publish");
  EXPECT_STREQ(to_string(PacketType::Pubrel), "pubrel");
  EXPECT_STREQ(to_string(PacketType::Auth), "auth");
  EXPECT_STREQ(to_string(static_cast<PacketType>(0)), "unknown");
  EXPECT_EQ(packet_type(PubAck{PacketType::Pubcomp, 1, 0, {}}), PacketType::Pubcomp);
  EXPECT_EQ(packet_type(Pingresp{}), PacketType::Pingresp);
  EXPECT_EQ(packet_type(Auth{}), PacketType::Auth);
}

TEST(mqtt_names, ErrorCategoryDescribesEachRule) {
  EXPECT_STREQ(mqtt_category().name(), "mqtt");
  std::set<std::string> messages;
  for (int e = static_cast<int>(Errc::MalformedVariableByteInteger); e <= static_cast<int>(Errc::FieldTooLong); ++e) {
    const std::error_code ec = static_cast<Errc>(e);
    EXPECT_EQ(&ec.category(), &mqtt_category());
    EXPECT_FALSE(ec.message().empty());
    messages.insert(ec.message());
  }
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(Errc::FieldTooLong));
  EXPECT_NE(std::error_code(Errc::InvalidUtf8).message().find("UTF-8"), std::string::npos);
}

TEST(mqtt_reason_codes, AllowedPerPacketType) {
  using P = PacketType;
  EXPECT_TRUE(reason_code_allowed(P::Connack, 0x00));
  EXPECT_TRUE(reason_code_allowed(P::Connack, 0x87));
  EXPECT_FALSE(reason_code_allowed(P::Connack, 0x8B));
  EXPECT_TRUE(reason_code_allowed(P::Disconnect, 0x8B));
  EXPECT_TRUE(reason_code_allowed(P::Disconnect, 0x04));
  EXPECT_FALSE(reason_code_allowed(P::Puback, 0x04));
  EXPECT_TRUE(reason_code_allowed(P::Puback, 0x10));
  EXPECT_TRUE(reason_code_allowed(P::Pubrec, 0x10));
  EXPECT_FALSE(reason_code_allowed(P::Pubrel, 0x10));
  EXPECT_TRUE(reason_code_allowed(P::Pubrel, 0x92));
  EXPECT_TRUE(reason_code_allowed(P::Pubcomp, 0x92));
  EXPECT_FALSE(reason_code_allowed(P::Puback, 0x92));
  EXPECT_TRUE(reason_code_allowed(P::Suback, 0x02));
  EXPECT_TRUE(reason_code_allowed(P::Suback, 0xA2));
  EXPECT_FALSE(reason_code_allowed(P::Unsuback, 0xA2));
  EXPECT_TRUE(reason_code_allowed(P::Unsuback, 0x11));
  EXPECT_TRUE(reason_code_allowed(P::Auth, 0x18));
  EXPECT_TRUE(reason_code_allowed(P::Auth, 0x19));
  EXPECT_FALSE(reason_code_allowed(P::Auth, 0x80));
  EXPECT_FALSE(reason_code_allowed(P::Publish, 0x00));
  EXPECT_FALSE(reason_code_allowed(P::Connect, 0x00));
  for (int c = 0xA3; c < 256; ++c) EXPECT_FALSE(reason_code_allowed(P::Disconnect, static_cast<std::uint8_t>(c)));
  // Disconnect accepts every code from 0x80 up to 0xA2 except those of CONNACK and the acks only.
  const std::set<int> not_in_disconnect = {0x84, 0x85, 0x86, 0x88, 0x8A, 0x91, 0x92};
  for (int c = 0x80; c <= 0xA2; ++c)
    EXPECT_EQ(reason_code_allowed(P::Disconnect, static_cast<std::uint8_t>(c)), not_in_disconnect.count(c) == 0)
        << std::hex << c;
}

}  // namespace
}  // namespace fleetload::mqtt::test
