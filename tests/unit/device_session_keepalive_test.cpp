// Device session keepalive as each SDK client runs it (aws-c-mqtt): MQTT 5 pings every
// keepalive from the CONNACK whatever it sends, with the dynamic ping timeout and a
// DISCONNECT 0x8D when it expires; MQTT 3.1.1 pushes the ping off only with acknowledged
// requests, timed from the request's send time. Fake clock, our codec as the broker.
#include <gtest/gtest.h>

#include <vector>

#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using namespace std::chrono_literals;
using mqtt::PacketType;
using test::Harness;

std::vector<TimePoint> times_of(const Harness& h, PacketType t) {
  std::vector<TimePoint> v;
  for (std::size_t i : h.of_type(t)) v.push_back(h.sent_at[i]);
  return v;
}

TEST(DeviceKeepalive, Mqtt5PingsEveryKeepaliveWhilePublishingAcknowledgedQos1) {
  // Measured against the SDK: keepalive 3 s, QoS 1 once a second, 19-20 PINGREQ a minute.
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.keepalive = 3s;
  s.session.ping_timeout = 1s;
  test::add_publish(s, 1.0, 1);
  Harness h(s);
  h.start();
  const TimePoint connack = h.now;
  h.advance(60s + 1ms);
  EXPECT_GE(h.count(PacketType::Publish), 59u);
  EXPECT_EQ(snapshot(*h.stats).publishes_acked[1], h.count(PacketType::Publish));
  const auto pings = times_of(h, PacketType::Pingreq);
  ASSERT_EQ(pings.size(), 20u);
  for (std::size_t k = 0; k < pings.size(); ++k)
    EXPECT_EQ(pings[k], connack + 3s * static_cast<int>(k + 1)) << "PINGREQ " << k;
}

TEST(DeviceKeepalive, Mqtt311AcknowledgedQos1PushesThePingOff) {
  auto s = test::make_scenario(mqtt::Version::V311);
  s.session.keepalive = 3s;
  s.session.ping_timeout = 1s;
  test::add_publish(s, 1.0, 1);
  Harness h(s);
  h.start();
  h.advance(60s);
  EXPECT_GE(h.count(PacketType::Publish), 59u);
  EXPECT_EQ(h.count(PacketType::Pingreq), 0u);
}

TEST(DeviceKeepalive, Mqtt311PushOffRunsFromTheRequestSendTimeNotTheAck) {
  // keepalive 10 s; the first PUBLISH goes out at s0 < 1 s and is acknowledged only at 8 s;
  // nothing else is acknowledged. The SDK's next ping is max(CONNACK + 10 s, s0 + 10 s):
  // s0 + 10 s, not 8 s + 10 s, and unacknowledged PUBLISHes in between move nothing.
  auto s = test::make_scenario(mqtt::Version::V311);
  s.session.keepalive = 10s;
  s.session.ping_timeout = 2s;
  test::add_publish(s, 1.0, 1);
  Harness h(s);
  h.auto_ack = false;
  h.start();
  h.advance(8s);
  const auto pubs = h.of_type(PacketType::Publish);
  ASSERT_GE(pubs.size(), 7u);
  const TimePoint s0 = h.sent_at[pubs[0]];
  mqtt::PubAck a;
  a.packet_id = std::get<mqtt::Publish>(h.packet(pubs[0])).packet_id;
  h.feed(a);
  h.advance(12s);
  const auto pings = times_of(h, PacketType::Pingreq);
  ASSERT_GE(pings.size(), 1u);
  EXPECT_EQ(pings[0], s0 + 10s);
}

TEST(DeviceKeepalive, Mqtt311PublishingIntoASilentBrokerIsDetectedWithinKeepalivePlusPingTimeout) {
  // QoS 1 four times a second, faster than the keepalive: while the broker acknowledges, no
  // ping is needed; once it falls silent (as a SIGSTOPped broker does) the last acknowledged
  // PUBLISH's send time + keepalive brings a PINGREQ, and the ping timeout the drop.
  auto s = test::make_scenario(mqtt::Version::V311);
  s.session.keepalive = 2s;
  s.session.ping_timeout = 1s;
  test::add_publish(s, 4.0, 1);
  Harness h(s);
  h.start();
  h.advance(10s);
  EXPECT_EQ(h.count(PacketType::Pingreq), 0u);
  h.auto_ack = false;
  h.auto_pingresp = false;
  const TimePoint silent = h.now;
  h.advance(3s);  // keepalive + ping timeout
  EXPECT_EQ(h.session.state(), State::BackingOff);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.ping_timeouts, 1u);
  EXPECT_EQ(snap.drops_by_reason[static_cast<std::size_t>(DropReason::PingTimeout)], 1u);
  const auto pings = times_of(h, PacketType::Pingreq);
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_LE(pings[0], silent + 2s);
  EXPECT_EQ(h.count(PacketType::Disconnect), 0u);  // the 3.1.1 client only closes
  EXPECT_EQ(h.closes, 1);
}

TEST(DeviceKeepalive, Mqtt5KeepAliveTimeoutSendsDisconnect0x8DThenCloses) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.keepalive = 10s;
  s.session.ping_timeout = 3s;
  s.reconnect.jitter = scenario::Jitter::None;  // no reconnect inside the checked window
  Harness h(s);
  h.auto_pingresp = false;
  h.start();
  const TimePoint connack = h.now;
  h.advance(13s - 1ms);
  EXPECT_EQ(h.session.state(), State::Connected);
  h.advance(1ms);
  EXPECT_EQ(h.session.state(), State::BackingOff);
  ASSERT_EQ(times_of(h, PacketType::Pingreq), std::vector<TimePoint>{connack + 10s});
  const auto d = h.of_type(PacketType::Disconnect);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(std::get<mqtt::Disconnect>(h.packet(d[0])).reason_code, 0x8D);  // Keep Alive timeout
  EXPECT_EQ(h.sent_at[d[0]], connack + 13s);
  EXPECT_EQ(d[0], h.sent.size() - 1);  // the last thing written before the close
  EXPECT_EQ(h.closes, 1);
  EXPECT_EQ(snapshot(*h.stats).ping_timeouts, 1u);
}

TEST(DeviceKeepalive, Mqtt5PingTimeoutIsHalfAShortServerKeepAlive) {
  // ping_timeout 30 s (the MQTT 5 default) but Server Keep Alive 1 s: the SDK waits
  // min(30 s, 1 s / 2) for the PINGRESP.
  auto s = test::make_scenario(mqtt::Version::V5);
  s.reconnect.jitter = scenario::Jitter::None;
  Harness h(s);
  h.connack.properties.server_keep_alive = 1;
  h.auto_pingresp = false;
  h.start();
  const TimePoint connack = h.now;
  h.advance(1500ms - 1ms);
  EXPECT_EQ(h.session.state(), State::Connected);
  h.advance(1ms);
  EXPECT_EQ(h.session.state(), State::BackingOff);
  ASSERT_EQ(times_of(h, PacketType::Pingreq), std::vector<TimePoint>{connack + 1s});
  EXPECT_EQ(times_of(h, PacketType::Disconnect), std::vector<TimePoint>{connack + 1500ms});
}

TEST(DeviceKeepalive, Mqtt311PingTimeoutIsTheConfiguredOne) {
  // The 3.1.1 client has no dynamic timeout: 3 s even with a 4 s keepalive.
  auto s = test::make_scenario(mqtt::Version::V311);
  s.session.keepalive = 4s;
  s.session.ping_timeout = 3s;
  Harness h(s);
  h.auto_pingresp = false;
  h.start();
  h.advance(7s - 1ms);
  EXPECT_EQ(h.session.state(), State::Connected);
  h.advance(1ms);
  EXPECT_EQ(h.session.state(), State::BackingOff);
}

}  // namespace
}  // namespace fleetload::device
