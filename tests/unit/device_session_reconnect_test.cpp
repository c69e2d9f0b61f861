// Device session reconnect rules as the SDK clients run them (aws-c-mqtt): the 3.1.1 delay
// doubling across short connections and resetting only 10 s past a CONNACK; the refused
// first connect with first_connect_failure; MQTT 5 session behaviours (Clean Start per
// attempt, resubscription, a session present that was not asked for). Fake clock.
#include <gtest/gtest.h>

#include <vector>

#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using namespace std::chrono_literals;
using mqtt::PacketType;
using test::Harness;

std::vector<bool> clean_starts(const Harness& h) {
  std::vector<bool> v;
  for (std::size_t i : h.of_type(PacketType::Connect)) v.push_back(std::get<mqtt::Connect>(h.packet(i)).clean_start);
  return v;
}

// The broker closes the connection (EOF), as one that accepts and then drops does.
void broker_drops(Harness& h) {
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::SocketError, {}); });
}

scenario::Scenario mqtt311_1s_to_4s() {
  auto s = test::make_scenario(mqtt::Version::V311);
  s.reconnect.min_delay = 1s;
  s.reconnect.max_delay = 4s;  // jitter none, reset_after 10 s: the 3.1.1 defaults
  return s;
}

TEST(DeviceReconnect, Mqtt311DelayDoublesAcrossShortConnectionsAndSaturatesAtMax) {
  // Measured against the SDK: min 1 s, max 4 s, a broker dropping 0.3 s after CONNACK:
  // waits 1, 2, 4, 4, 4 s (successful reconnects do not reset the delay).
  Harness h(mqtt311_1s_to_4s());
  h.start();
  std::vector<Clock::duration> delays;
  for (int k = 0; k < 5; ++k) {
    ASSERT_EQ(h.session.state(), State::Connected) << "connection " << k;
    h.advance(300ms);
    broker_drops(h);
    delays.push_back(h.session.deadline() - h.now);
    h.advance(delays.back());
  }
  EXPECT_EQ(delays, (std::vector<Clock::duration>{1s, 2s, 4s, 4s, 4s}));
  EXPECT_EQ(snapshot(*h.stats).connects_ok, 6u);
}

TEST(DeviceReconnect, Mqtt311DelayResetsOnlyTenSecondsPastTheConnack) {
  Harness h(mqtt311_1s_to_4s());
  h.start();
  for (int k = 0; k < 3; ++k) {  // 1, 2, 4 s: the delay is at max
    h.advance(300ms);
    broker_drops(h);
    h.advance(h.session.deadline() - h.now);
  }
  // Up 11 s since the transport came up but only 9 s since a late CONNACK: no reset.
  h.advance(300ms);
  broker_drops(h);
  h.auto_connack = false;
  h.advance(4s);
  ASSERT_EQ(h.session.state(), State::AwaitConnack);
  h.advance(2s);
  h.feed(mqtt::Connack{});
  h.advance(9s);
  broker_drops(h);
  EXPECT_EQ(h.session.deadline() - h.now, Clock::duration(4s));
  h.auto_connack = true;
  h.advance(4s);
  // 10.5 s past the CONNACK: back to min, then doubling again.
  h.advance(10500ms);
  broker_drops(h);
  EXPECT_EQ(h.session.deadline() - h.now, Clock::duration(1s));
  h.advance(1s);
  h.advance(300ms);
  broker_drops(h);
  EXPECT_EQ(h.session.deadline() - h.now, Clock::duration(2s));
}

TEST(DeviceReconnect, RefusedFirstConnectIsRetriedByDefault) {
  Harness h(test::make_scenario(mqtt::Version::V311));
  h.connack.reason_code = 5;  // not authorized
  h.start();
  EXPECT_EQ(h.session.state(), State::BackingOff);
  h.connack.reason_code = 0;
  h.advance(5s);
  EXPECT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(snapshot(*h.stats).first_connect_stops, 0u);
}

TEST(DeviceReconnect, FirstConnectFailureStopGivesUpAfterARefusedFirstConnect) {
  // The 3.1.1 SDK: connect() fails and the library never retries a connection that never
  // succeeded.
  auto s = test::make_scenario(mqtt::Version::V311);
  s.reconnect.first_connect_failure = scenario::FirstConnectFailure::Stop;
  Harness h(s);
  h.connack.reason_code = 5;
  h.start();
  EXPECT_EQ(h.session.state(), State::Stopped);
  EXPECT_EQ(h.closes, 1);
  EXPECT_EQ(h.session.deadline(), kNever);
  h.advance(1h);
  EXPECT_EQ(h.opens, 1);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.first_connect_stops, 1u);
  EXPECT_EQ(snap.connect_failures, 1u);
  EXPECT_EQ(snap.reconnects, 0u);
  EXPECT_EQ(snap.backing_off, 0);
  EXPECT_EQ(snap.connecting, 0);
}

TEST(DeviceReconnect, FirstConnectFailureStopAlsoCoversATransportThatNeverCameUp) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.reconnect.first_connect_failure = scenario::FirstConnectFailure::Stop;
  Harness h(s);
  h.auto_transport = false;
  h.start();
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::ConnectFailed, {}); });
  EXPECT_EQ(h.session.state(), State::Stopped);
  EXPECT_EQ(h.closes, 0);
  h.advance(1h);
  EXPECT_EQ(h.opens, 1);
}

TEST(DeviceReconnect, FirstConnectFailureStopStillReconnectsOnceConnected) {
  auto s = test::make_scenario(mqtt::Version::V311);
  s.reconnect.first_connect_failure = scenario::FirstConnectFailure::Stop;
  Harness h(s);
  h.start();
  ASSERT_EQ(h.session.state(), State::Connected);
  broker_drops(h);
  h.connack.reason_code = 3;  // server unavailable: refused reconnects keep retrying
  h.advance(5s);
  EXPECT_EQ(h.session.state(), State::BackingOff);
  h.connack.reason_code = 0;
  h.advance(10s);
  EXPECT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(snapshot(*h.stats).first_connect_stops, 0u);
}

TEST(DeviceReconnect, CleanSessionBehaviourStartsCleanEveryTimeAndResubscribes) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_subscribe(s, "t/#", 1);
  s.reconnect.jitter = scenario::Jitter::None;
  Harness h(s);
  h.start();
  for (int k = 0; k < 2; ++k) {
    broker_drops(h);
    h.advance(h.session.deadline() - h.now);
  }
  EXPECT_EQ(clean_starts(h), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(h.count(PacketType::Subscribe), 3u);
}

TEST(DeviceReconnect, RejoinPostSuccessIsCleanUntilAConnackAcceptsThenRejoins) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.session_behavior = scenario::SessionBehavior::RejoinPostSuccess;
  s.session.session_expiry = 3600s;
  test::add_subscribe(s, "t/#", 1);
  s.reconnect.jitter = scenario::Jitter::None;
  Harness h(s);
  h.connack.reason_code = 0x88;  // server unavailable: a failure is not a success
  h.start();
  h.connack.reason_code = 0;
  h.advance(1s);
  ASSERT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(h.count(PacketType::Subscribe), 1u);
  h.connack.session_present = true;  // the broker kept the session
  broker_drops(h);
  h.advance(h.session.deadline() - h.now);
  ASSERT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(h.count(PacketType::Subscribe), 1u);  // rejoined: subscriptions are there
  h.connack.session_present = false;  // it lost the session: subscribe again
  broker_drops(h);
  h.advance(h.session.deadline() - h.now);
  EXPECT_EQ(h.count(PacketType::Subscribe), 2u);
  EXPECT_EQ(clean_starts(h), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(snapshot(*h.stats).subscribes_skipped_resumed, 1u);
  EXPECT_EQ(snapshot(*h.stats).unexpected_session_present, 0u);
}

TEST(DeviceReconnect, RejoinAlwaysAsksToRejoinFromTheFirstConnect) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.session_behavior = scenario::SessionBehavior::RejoinAlways;
  s.session.session_expiry = 3600s;
  test::add_subscribe(s, "t/#", 1);
  s.reconnect.jitter = scenario::Jitter::None;
  Harness h(s);
  h.connack.session_present = true;  // a session left by an earlier run: the SDK accepts it
  h.start();
  ASSERT_EQ(h.session.state(), State::Connected);
  // Never subscribed on this device's life yet: the application subscribes anyway.
  EXPECT_EQ(h.count(PacketType::Subscribe), 1u);
  broker_drops(h);
  h.advance(h.session.deadline() - h.now);
  EXPECT_EQ(clean_starts(h), (std::vector<bool>{false, false}));
  EXPECT_EQ(h.count(PacketType::Subscribe), 1u);
}

TEST(DeviceReconnect, Mqtt5SessionPresentAfterACleanStartIsRefused) {
  // [MQTT-3.2.2-2]; the SDK's MQTT 5 client closes (CANCELLED_FOR_CLEAN_SESSION), no DISCONNECT.
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.connack.session_present = true;
  h.start();
  EXPECT_EQ(h.session.state(), State::BackingOff);
  EXPECT_EQ(h.closes, 1);
  EXPECT_EQ(h.count(PacketType::Disconnect), 0u);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.unexpected_session_present, 1u);
  EXPECT_EQ(snap.connects_ok, 0u);
  EXPECT_EQ(snap.connect_failed_by_reason[static_cast<std::size_t>(DropReason::ProtocolError)], 1u);
}

TEST(DeviceReconnect, Mqtt311CleanSessionFlagIsTheSameOnEveryAttempt) {
  auto s = test::make_scenario(mqtt::Version::V311);  // clean_session false (SDK default)
  Harness h(s);
  h.connack.session_present = true;  // the 3.1.1 client does not check it
  h.start();
  ASSERT_EQ(h.session.state(), State::Connected);
  broker_drops(h);
  h.advance(h.session.deadline() - h.now);
  EXPECT_EQ(clean_starts(h), (std::vector<bool>{false, false}));
}

}  // namespace
}  // namespace fleetload::device
