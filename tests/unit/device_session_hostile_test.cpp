// Device session against a broker that breaks the protocol: SUBACK/UNSUBACK with the wrong
// number of reason codes, invalid inbound topic aliases, packets announced larger than our
// receive limit, an inbound QoS 2 flood without PUBREL. Each is counted, refused the way the
// spec (and the SDK) says, and costs bounded memory. Fake clock, our codec as the broker.
#include <gtest/gtest.h>

#include <vector>

#include "device/payload.hpp"
#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using namespace std::chrono_literals;
using mqtt::PacketType;
using test::Harness;

constexpr auto kProtocolError = static_cast<std::size_t>(DropReason::ProtocolError);

std::optional<std::uint8_t> last_disconnect_code(const Harness& h) {
  auto d = h.last_of(PacketType::Disconnect);
  if (!d) return std::nullopt;
  return std::get<mqtt::Disconnect>(*d).reason_code;
}

mqtt::Publish inbound(std::vector<std::uint8_t>& buf, std::uint64_t seq, mqtt::QoS q = mqtt::QoS::AtMostOnce,
                      std::uint16_t id = 0, std::string_view topic = "t/x") {
  mqtt::Publish p;
  p.topic = topic;
  p.qos = q;
  p.packet_id = id;
  p.payload = build_payload(buf, 64, PayloadHeader{0, seq, 1});
  return p;
}

// ---- SUBACK / UNSUBACK reason-code count --------------------------------------------------

TEST(DeviceHostile, SubackWithMoreCodesThanFiltersIsAProtocolError) {
  // Before: 40 filters counted as granted for a 20-filter SUBSCRIBE. Both SDK clients close;
  // MQTT 5 says DISCONNECT 0x82 first.
  for (const auto v : {mqtt::Version::V5, mqtt::Version::V311}) {
    auto s = test::make_scenario(v);
    test::add_subscribe(s, "a/#", 1);
    test::add_subscribe(s, "b/#", 1);
    Harness h(s);
    h.auto_suback = false;
    h.start();
    const auto sub = std::get<mqtt::Subscribe>(*h.last_of(PacketType::Subscribe));
    mqtt::Suback sa;
    sa.packet_id = sub.packet_id;
    sa.reason_codes = {1, 1, 1, 1};
    h.feed(sa);
    const auto snap = snapshot(*h.stats);
    EXPECT_EQ(snap.suback_count_mismatch, 1u);
    EXPECT_EQ(snap.subscribe_filters_ok, 0u);
    EXPECT_EQ(snap.drops_by_reason[kProtocolError], 1u);
    EXPECT_EQ(h.closes, 1);
    if (v == mqtt::Version::V5)
      EXPECT_EQ(last_disconnect_code(h), 0x82);
    else
      EXPECT_EQ(h.count(PacketType::Disconnect), 0u);
  }
}

TEST(DeviceHostile, SubackWithFewerCodesIsAProtocolErrorToo) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_subscribe(s, "a/#", 1);
  test::add_subscribe(s, "b/#", 1);
  Harness h(s);
  h.auto_suback = false;
  h.start();
  mqtt::Suback sa;
  sa.packet_id = std::get<mqtt::Subscribe>(*h.last_of(PacketType::Subscribe)).packet_id;
  sa.reason_codes = {0};
  h.feed(sa);
  EXPECT_EQ(snapshot(*h.stats).suback_count_mismatch, 1u);
  EXPECT_EQ(h.session.state(), State::BackingOff);
}

TEST(DeviceHostile, Mqtt5UnsubackCountMismatchIsAProtocolError) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_subscribe(s, "a/#", 1);
  Harness h(s);
  h.start();
  h.call([&](Context& c) { h.session.unsubscribe(c); });
  mqtt::Unsuback ua;
  ua.packet_id = std::get<mqtt::Unsubscribe>(*h.last_of(PacketType::Unsubscribe)).packet_id;
  ua.reason_codes = {0, 0, 0};
  h.feed(ua);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.suback_count_mismatch, 1u);
  EXPECT_EQ(snap.unsuback_received, 0u);
  EXPECT_EQ(last_disconnect_code(h), 0x82);
}

// ---- inbound topic aliases ------------------------------------------------------------------

TEST(DeviceHostile, TopicAliasZeroOrWithoutOurMaximumIsInvalid) {
  for (const std::optional<std::uint16_t> our_max : {std::optional<std::uint16_t>{}, std::optional<std::uint16_t>{5}}) {
    for (const std::uint16_t alias : {std::uint16_t{0}, std::uint16_t{1}}) {
      if (our_max && alias != 0) continue;  // 1 is valid under a maximum of 5
      auto s = test::make_scenario(mqtt::Version::V5);
      s.session.topic_alias_maximum = our_max;
      test::add_subscribe(s, "t/#", 0);
      Harness h(s);
      h.start();
      std::vector<std::uint8_t> buf;
      auto m = inbound(buf, 1);
      m.properties.topic_alias = 1;
      auto bytes = mqtt::encode_to_vector(mqtt::Packet(m), mqtt::Version::V5);
      // Our encoder refuses alias 0: patch it into the property (0x23, then 2 bytes).
      const std::size_t at = 2 + 2 + m.topic.size() + 1;
      ASSERT_EQ(bytes[at], 0x23);
      bytes[at + 2] = static_cast<std::uint8_t>(alias);
      h.feed_bytes(bytes);
      EXPECT_EQ(snapshot(*h.stats).topic_alias_invalid, 1u) << "alias " << alias;
      EXPECT_EQ(snapshot(*h.stats).messages_received, 0u);
      EXPECT_EQ(last_disconnect_code(h), 0x94) << "alias " << alias;
      EXPECT_EQ(h.closes, 1);
    }
  }
}

TEST(DeviceHostile, EmptyTopicWithAnAliasNeverSetIsAProtocolError) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.topic_alias_maximum = 10;
  test::add_subscribe(s, "t/#", 0);
  s.reconnect.jitter = scenario::Jitter::None;
  Harness h(s);
  h.start();
  std::vector<std::uint8_t> buf;
  auto set = inbound(buf, 1);
  set.properties.topic_alias = 3;
  h.feed(set);  // sets alias 3
  auto use = inbound(buf, 2, mqtt::QoS::AtMostOnce, 0, "");
  use.properties.topic_alias = 3;
  h.feed(use);  // uses it: fine
  EXPECT_EQ(snapshot(*h.stats).messages_received, 2u);
  auto unset = use;
  unset.properties.topic_alias = 4;
  h.feed(unset);
  EXPECT_EQ(snapshot(*h.stats).topic_alias_invalid, 1u);
  EXPECT_EQ(last_disconnect_code(h), 0x82);
  // Aliases do not outlive the connection [MQTT-3.3.2-7]: alias 3 is unknown after a reconnect.
  h.advance(h.session.deadline() - h.now);
  ASSERT_EQ(h.session.state(), State::Connected);
  h.feed(use);
  EXPECT_EQ(snapshot(*h.stats).topic_alias_invalid, 2u);
  EXPECT_EQ(snapshot(*h.stats).messages_received, 2u);
}

// ---- packets larger than the receive limit --------------------------------------------------

// A PUBLISH fixed header announcing `remaining` bytes, then `body` bytes of it.
std::vector<std::uint8_t> announced_publish(std::uint32_t remaining, std::size_t body) {
  std::vector<std::uint8_t> b{0x30};
  std::uint32_t x = remaining;
  do {
    std::uint8_t byte = x % 128;
    x /= 128;
    if (x) byte |= 0x80;
    b.push_back(byte);
  } while (x);
  b.insert(b.end(), body, std::uint8_t{'z'});
  return b;
}

TEST(DeviceHostile, PacketAnnouncedAt256MBIsRefusedAtItsFixedHeaderByDefault) {
  // No session.maximum_packet_size: the 1 MiB default holds for both protocols. Before,
  // 3.1.1 had no limit and buffered whatever the announced packet brought.
  for (const auto v : {mqtt::Version::V311, mqtt::Version::V5}) {
    Harness h(test::make_scenario(v));
    h.start();
    const auto before = h.session.heap_bytes();
    auto bytes = announced_publish(268'435'455, 0);  // the largest Remaining Length
    // The header arrives split over two reads, then 64 KiB of body in 4 KiB reads.
    h.feed_bytes({bytes[0], bytes[1]});
    h.feed_bytes(std::vector<std::uint8_t>(bytes.begin() + 2, bytes.end()));
    for (int i = 0; i < 16 && h.session.state() == State::Connected; ++i)
      h.feed_bytes(std::vector<std::uint8_t>(4096, 'z'));
    EXPECT_EQ(h.session.state(), State::BackingOff) << "version " << static_cast<int>(v);
    const auto snap = snapshot(*h.stats);
    EXPECT_EQ(snap.packets_too_large, 1u);
    EXPECT_EQ(snap.decode_errors, 0u);
    EXPECT_EQ(snap.drops_by_reason[kProtocolError], 1u);
    EXPECT_EQ(h.closes, 1);
    EXPECT_LE(h.session.heap_bytes(), before + 256) << "nothing of the announced packet was kept";
    if (v == mqtt::Version::V5)
      EXPECT_EQ(last_disconnect_code(h), 0x95);  // Packet too large
    else
      EXPECT_EQ(h.count(PacketType::Disconnect), 0u);
  }
}

TEST(DeviceHostile, ExplicitMaximumPacketSizeIsTheLimitAndIsAnnouncedOnMqtt5Only) {
  for (const auto v : {mqtt::Version::V311, mqtt::Version::V5}) {
    auto s = test::make_scenario(v);
    s.session.maximum_packet_size = 2048;
    Harness h(s);
    h.start();
    const auto connect = h.packet(0);
    const auto& c = std::get<mqtt::Connect>(connect);
    if (v == mqtt::Version::V5)
      EXPECT_EQ(c.properties.maximum_packet_size, 2048u);
    else
      EXPECT_FALSE(c.properties.maximum_packet_size.has_value());
    h.feed_bytes(announced_publish(2048 - 3, 0));  // exactly 2048 bytes in all: accepted
    EXPECT_EQ(h.session.state(), State::Connected) << "version " << static_cast<int>(v);
    EXPECT_EQ(snapshot(*h.stats).packets_too_large, 0u);
  }
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.start();
  EXPECT_FALSE(std::get<mqtt::Connect>(h.packet(0)).properties.maximum_packet_size.has_value())
      << "the default limit is not announced (the SDK sends no CONNECT properties)";
}

TEST(DeviceHostile, PacketOneByteAboveAnExplicitLimitIsRefused) {
  auto s = test::make_scenario(mqtt::Version::V311);
  s.session.maximum_packet_size = 2048;
  Harness h(s);
  h.start();
  h.feed_bytes(announced_publish(2048 - 2, 0));  // 2049 bytes in all
  EXPECT_EQ(snapshot(*h.stats).packets_too_large, 1u);
  EXPECT_EQ(h.session.state(), State::BackingOff);
}

// ---- inbound QoS 2 flood --------------------------------------------------------------------

TEST(DeviceHostile, Qos2BeyondOurReceiveMaximumWithoutPubrelIsDisconnectedWith0x93) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.receive_maximum = 10;
  test::add_subscribe(s, "t/#", 2);
  Harness h(s);
  h.start();
  std::vector<std::uint8_t> buf;
  for (std::uint16_t id = 1; id <= 10; ++id) h.feed(inbound(buf, id, mqtt::QoS::ExactlyOnce, id));
  EXPECT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(h.count_pubacks_of(PacketType::Pubrec), 10u);
  h.feed(inbound(buf, 10, mqtt::QoS::ExactlyOnce, 10));  // a re-send of a pending one: fine
  EXPECT_EQ(h.session.state(), State::Connected);
  h.feed(inbound(buf, 11, mqtt::QoS::ExactlyOnce, 11));  // the 11th unacknowledged one
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.receive_maximum_exceeded, 1u);
  EXPECT_EQ(snap.messages_received, 10u);
  EXPECT_EQ(last_disconnect_code(h), 0x93);  // Receive Maximum exceeded
  EXPECT_EQ(h.closes, 1);
}

TEST(DeviceHostile, Qos2FloodWithoutPubrelCostsAtMostEightKiB) {
  // MQTT 3.1.1 has no Receive Maximum: a broker may leave every one of the 65,535 ids
  // pending (the set alone is checked at that size in device_packet_id_set_test). Here
  // 20,000 of them through the session: before, a vector of ids (40 KB, and a linear scan
  // per PUBLISH); now at most the 8 KiB bitmap.
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_subscribe(s, "t/#", 2);
  Harness h(s);
  h.start();
  std::vector<std::uint8_t> buf;
  h.feed(inbound(buf, 1, mqtt::QoS::AtMostOnce));  // the receive side exists now
  const auto before = h.session.heap_bytes();
  std::vector<std::uint8_t> bytes;
  constexpr std::uint32_t kIds = 20000;
  for (std::uint32_t id = 1; id <= kIds; ++id) {
    auto b = mqtt::encode_to_vector(mqtt::Packet(inbound(buf, id + 1, mqtt::QoS::ExactlyOnce, static_cast<std::uint16_t>(id))),
                                    mqtt::Version::V311);
    bytes.insert(bytes.end(), b.begin(), b.end());
    if (bytes.size() > 64 * 1024 || id == kIds) {
      h.feed_bytes(bytes);
      bytes.clear();
    }
  }
  EXPECT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(snapshot(*h.stats).messages_received, kIds + 1);
  EXPECT_LE(h.session.heap_bytes(), before + 8192);
  mqtt::PubAck rel;
  rel.type = PacketType::Pubrel;
  rel.packet_id = 12345;
  h.feed(rel);
  const auto last = h.packet(h.sent.size() - 1);  // (last_of would decode every PUBREC)
  ASSERT_EQ(mqtt::packet_type(last), PacketType::Pubcomp);
  EXPECT_EQ(std::get<mqtt::PubAck>(last).reason_code, 0);
}

TEST(DeviceHostile, PendingInboundQos2IsForgottenWhenTheSessionIsLost) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_subscribe(s, "t/#", 2);
  s.reconnect.jitter = scenario::Jitter::None;
  Harness h(s);
  h.start();
  std::vector<std::uint8_t> buf;
  h.feed(inbound(buf, 1, mqtt::QoS::ExactlyOnce, 9));
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::SocketError, {}); });
  h.advance(h.session.deadline() - h.now);  // reconnects; CONNACK without a session
  ASSERT_EQ(h.session.state(), State::Connected);
  // Id 9 again is a new message in a new session, not the re-send of the old one.
  h.feed(inbound(buf, 2, mqtt::QoS::ExactlyOnce, 9));
  EXPECT_EQ(snapshot(*h.stats).messages_received, 2u);
}

}  // namespace
}  // namespace fleetload::device
