// Round trips: every packet type in both versions (rich properties in MQTT 5) encodes,
// decodes back equal, and re-encodes to the same bytes; plus Remaining Length boundaries.
#include <gtest/gtest.h>

#include <set>

#include "mqtt_test_util.hpp"

namespace fleetload::mqtt::test {
namespace {

constexpr std::uint8_t kBin[] = {0x00, 0xFF, 0x10, 0x80};

// Every property a packet of type `t` may carry, with edge values (max ints, Unicode).
Properties rich(PacketType t) {
  Properties p;
  p.user_properties = {{"k\xC3\xBC", "v\xE2\x82\xAC"}, {"k\xC3\xBC", ""}, {"", "\xF0\x9F\x98\x80"}};
  switch (t) {
    case PacketType::Connect:
      p.session_expiry_interval = 0xFFFFFFFF;
      p.receive_maximum = 65535;
      p.maximum_packet_size = 268'435'460;
      p.topic_alias_maximum = 0;
      p.request_response_information = 1;
      p.request_problem_information = 0;
      p.authentication_method = "SCRAM-SHA-1";
      p.authentication_data = Bytes(kBin);
      break;
    case PacketType::Connack:
      p.session_expiry_interval = 7;
      p.receive_maximum = 1;
      p.maximum_qos = 0;
      p.retain_available = 0;
      p.maximum_packet_size = 1;
      p.assigned_client_identifier = "auto-\xE4\xB8\xAD";
      p.topic_alias_maximum = 65535;
      p.reason_string = "welcome";
      p.wildcard_subscription_available = 0;
      p.subscription_identifier_available = 1;
      p.shared_subscription_available = 0;
      p.server_keep_alive = 0;
      p.response_information = "resp/";
      p.server_reference = "other:1883";
      p.authentication_method = "m";
      p.authentication_data = Bytes(kBin);
      break;
    case PacketType::Publish:
      p.payload_format_indicator = 0;
      p.message_expiry_interval = 0xFFFFFFFF;
      p.topic_alias = 65535;
      p.response_topic = "reply/\xC3\xA9";
      p.correlation_data = Bytes(kBin);
      p.subscription_identifiers = {1, 127, 128, 16'383, 16'384, 2'097'151, 2'097'152, 268'435'455};
      p.content_type = "application/octet-stream";
      break;
    case PacketType::Subscribe:
      p.subscription_identifiers = {268'435'455};
      break;
    case PacketType::Disconnect:
      p.session_expiry_interval = 0;
      p.server_reference = "s";
      p.reason_string = "bye";
      break;
    case PacketType::Auth:
      p.authentication_method = "m";
      p.authentication_data = Bytes(kBin);
      p.reason_string = "again";
      break;
    case PacketType::Puback:
    case PacketType::Pubrec:
    case PacketType::Pubrel:
    case PacketType::Pubcomp:
    case PacketType::Suback:
    case PacketType::Unsuback:
      p.reason_string = "why";
      break;
    default:
      p.user_properties.clear();
      break;
  }
  return p;
}

Properties props_for(PacketType t, Version v) { return v == Version::V5 ? rich(t) : Properties{}; }

std::vector<Packet> packets(Version v) {
  const bool v5 = v == Version::V5;
  std::vector<Packet> out;
  {
    Connect c = make_connect(v, "client-\xC3\xA4");
    c.keep_alive = 65535;
    c.clean_start = false;
    c.properties = props_for(PacketType::Connect, v);
    out.push_back(c);  // without will / credentials
    Will w{"last/will", Bytes(kBin), QoS::ExactlyOnce, true, {}};
    if (v5) {
      w.properties.will_delay_interval = 30;
      w.properties.payload_format_indicator = 1;
      w.properties.message_expiry_interval = 5;
      w.properties.content_type = "text/plain";
      w.properties.response_topic = "r";
      w.properties.correlation_data = Bytes(kBin);
      w.properties.user_properties = {{"a", "b"}};
    }
    c.will = w;
    c.username = "";
    c.password = Bytes();
    out.push_back(c);  // empty credentials are still present
    c.will->qos = QoS::AtLeastOnce;
    c.will->retain = false;
    c.username = "user";
    c.password = Bytes(kBin);
    out.push_back(c);
    if (v5) {
      c.username.reset();  // MQTT 5 allows a password without a user name
      out.push_back(c);
    }
  }
  out.push_back(Connack{true, 0, props_for(PacketType::Connack, v)});
  out.push_back(Connack{false, static_cast<std::uint8_t>(v5 ? 0x9F : 3), props_for(PacketType::Connack, v)});
  for (QoS q : {QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce}) {
    for (bool retain : {false, true}) {
      Publish p;
      p.topic = "fleet/\xE6\x97\xA5/telemetry";
      p.payload = Bytes(kBin);
      p.qos = q;
      p.retain = retain;
      p.dup = q != QoS::AtMostOnce && retain;
      p.packet_id = q == QoS::AtMostOnce ? 0 : 65535;
      p.properties = props_for(PacketType::Publish, v);
      out.push_back(p);
    }
  }
  const std::uint8_t ack_codes[] = {0x00, 0x10, 0x80, 0x87, 0x97, 0x92};
  for (PacketType t : {PacketType::Puback, PacketType::Pubrec, PacketType::Pubrel, PacketType::Pubcomp}) {
    out.push_back(PubAck{t, 1, 0, {}});
    if (!v5) continue;
    for (std::uint8_t code : ack_codes) {
      if (!reason_code_allowed(t, code)) continue;
      out.push_back(PubAck{t, 2, code, {}});
      out.push_back(PubAck{t, 3, code, rich(t)});
    }
  }
  {
    Subscribe s{65535, {}, props_for(PacketType::Subscribe, v)};
    s.subscriptions.push_back({"a/+/c", QoS::AtMostOnce});
    s.subscriptions.push_back({"#", QoS::AtLeastOnce});
    s.subscriptions.push_back({"$share/grp/dev/#", QoS::ExactlyOnce});
    if (v5) {
      s.subscriptions.push_back({"x", QoS::AtLeastOnce, true, true, RetainHandling::DoNotSend});
      s.subscriptions.push_back({"+", QoS::ExactlyOnce, false, true, RetainHandling::SendIfNew});
    }
    out.push_back(s);
  }
  out.push_back(Suback{7, v5 ? std::vector<std::uint8_t>{0, 1, 2, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2}
                             : std::vector<std::uint8_t>{0, 1, 2, 0x80},
                       props_for(PacketType::Suback, v)});
  out.push_back(Unsubscribe{8, {"a/b", "$share/g/#", "+/+"}, props_for(PacketType::Unsubscribe, v)});
  out.push_back(Unsuback{8, v5 ? std::vector<std::uint8_t>{0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91}
                               : std::vector<std::uint8_t>{},
                         props_for(PacketType::Unsuback, v)});
  out.push_back(Pingreq{});
  out.push_back(Pingresp{});
  out.push_back(Disconnect{});
  if (v5) {
    out.push_back(Disconnect{0x04, {}});
    out.push_back(Disconnect{0x00, rich(PacketType::Disconnect)});
    out.push_back(Disconnect{0x8B, rich(PacketType::Disconnect)});
    out.push_back(Auth{});
    out.push_back(Auth{0x19, {}});
    out.push_back(Auth{0x18, rich(PacketType::Auth)});
    out.push_back(Auth{0x00, rich(PacketType::Auth)});
  }
  return out;
}

void expect_round_trip(const Packet& p, Version v) {
  SizeResult size = encoded_size(p, v);
  ASSERT_FALSE(size.error) << to_string(packet_type(p)) << ": " << size.error.message();
  ByteVec wire(size.size);
  EncodeResult w = encode(p, v, wire);
  ASSERT_FALSE(w.error);
  ASSERT_EQ(w.written, size.size);
  Packet back;
  std::unique_ptr<HeapCopy> keep;
  DecodeResult r = decode_exact(wire, v, back, keep);
  ASSERT_EQ(r.status, DecodeStatus::Ok) << to_string(packet_type(p)) << ": " << r.error.message() << "\n" << hex(wire);
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_TRUE(back == p) << to_string(packet_type(p)) << "\n" << hex(wire);
  EXPECT_EQ(encode_to_vector(back, v), wire);
}

TEST(mqtt_round_trip, EveryPacketTypeMqtt311) {
  std::set<PacketType> seen;
  for (const Packet& p : packets(Version::V311)) {
    expect_round_trip(p, Version::V311);
    seen.insert(packet_type(p));
  }
  EXPECT_EQ(seen.size(), 14u);  // all but AUTH
}

TEST(mqtt_round_trip, EveryPacketTypeMqtt5WithProperties) {
  std::set<PacketType> seen;
  for (const Packet& p : packets(Version::V5)) {
    expect_round_trip(p, Version::V5);
    seen.insert(packet_type(p));
  }
  EXPECT_EQ(seen.size(), 15u);
}

TEST(mqtt_round_trip, DecodeReusesTheOutputAcrossPacketTypes) {
  // One Packet object decoding a mix of types: stale fields never leak between packets.
  Packet out;
  for (Version v : {Version::V311, Version::V5}) {
    for (int pass = 0; pass < 2; ++pass) {
      for (const Packet& p : packets(v)) {
        const ByteVec wire = encode_to_vector(p, v);
        std::unique_ptr<HeapCopy> keep;
        ASSERT_EQ(decode_exact(wire, v, out, keep).status, DecodeStatus::Ok);
        EXPECT_TRUE(out == p) << to_string(packet_type(p));
      }
    }
  }
}

TEST(mqtt_round_trip, RemainingLengthBoundaries) {
  // §1.5.5: 127 / 128 / 16,383 / 16,384 / 2,097,151 / 2,097,152 switch the VBI length.
  const std::pair<std::size_t, ByteVec> cases[] = {
      {127, bytes({0x7F})},
      {128, bytes({0x80, 0x01})},
      {16'383, bytes({0xFF, 0x7F})},
      {16'384, bytes({0x80, 0x80, 0x01})},
      {2'097'151, bytes({0xFF, 0xFF, 0x7F})},
      {2'097'152, bytes({0x80, 0x80, 0x80, 0x01})},
  };
  for (const auto& [rl, vbi] : cases) {
    const ByteVec payload(rl - 3, 0xAB);  // topic "t" takes 3 bytes
    Publish p;
    p.topic = "t";
    p.payload = Bytes(payload.data(), payload.size());
    const ByteVec wire = encode_to_vector(p, Version::V311);
    ASSERT_EQ(wire.size(), 1 + vbi.size() + rl);
    EXPECT_EQ(ByteVec(wire.begin() + 1, wire.begin() + 1 + static_cast<std::ptrdiff_t>(vbi.size())), vbi);
    Packet out;
    std::unique_ptr<HeapCopy> keep;
    ASSERT_EQ(decode_exact(wire, Version::V311, out, keep).status, DecodeStatus::Ok) << rl;
    EXPECT_TRUE(out == Packet(p));
  }
}

TEST(mqtt_round_trip, TypedOverloadsMatchTheVariantOverload) {
  for (Version v : {Version::V311, Version::V5}) {
    for (const Packet& p : packets(v)) {
      const ByteVec expected = encode_to_vector(p, v);
      ByteVec out(expected.size());
      if (const auto* pub = std::get_if<Publish>(&p)) {
        EXPECT_EQ(encoded_size(*pub, v).size, expected.size());
        EXPECT_EQ(encode(*pub, v, out).written, expected.size());
        EXPECT_EQ(out, expected);
      } else if (const auto* ack = std::get_if<PubAck>(&p)) {
        EXPECT_EQ(encoded_size(*ack, v).size, expected.size());
        EXPECT_EQ(encode(*ack, v, out).written, expected.size());
        EXPECT_EQ(out, expected);
      }
    }
  }
}

}  // namespace
}  // namespace fleetload::mqtt::test
