// Device session, connection side: CONNECT fields for both versions, CONNACK codes and
// properties, keepalive and ping timeout, server DISCONNECT, decoder errors, backoff and
// resubscription, stop and drop. The broker side is our codec (device_harness.hpp).
#include <gtest/gtest.h>

#include <string>

#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using namespace std::chrono_literals;
using mqtt::PacketType;
using test::Harness;

std::size_t reason(DropReason r) { return static_cast<std::size_t>(r); }

TEST(DeviceSession, ConnectFieldsMqtt311) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  s.auth.username = "user-{index}";
  s.auth.password = "secret";
  s.session.will = scenario::Will{"wills/{client_id}", "gone {index}", 1, true, std::nullopt,
                                  std::nullopt, std::nullopt};
  Harness h(s, 7);
  h.start();
  ASSERT_EQ(h.opens, 1);
  auto pkt = h.packet(0);
  const auto& c = std::get<mqtt::Connect>(pkt);
  EXPECT_EQ(c.version, mqtt::Version::V311);
  EXPECT_FALSE(c.clean_start);  // the 3.1.1 SDK default: clean_session = False
  EXPECT_EQ(c.keep_alive, 60);
  EXPECT_EQ(c.client_id, "dev-7");
  EXPECT_EQ(c.username, "user-7");
  ASSERT_TRUE(c.password.has_value());
  EXPECT_EQ(std::string(c.password->begin(), c.password->end()), "secret");
  ASSERT_TRUE(c.will.has_value());
  EXPECT_EQ(c.will->topic, "wills/dev-7");
  EXPECT_EQ(std::string(c.will->payload.begin(), c.will->payload.end()), "gone 7");
  EXPECT_EQ(c.will->qos, mqtt::QoS::AtLeastOnce);
  EXPECT_TRUE(c.will->retain);
  EXPECT_TRUE(c.properties.empty());
  EXPECT_EQ(h.session.state(), State::Connected);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.connect_attempts, 1u);
  EXPECT_EQ(snap.connects_ok, 1u);
  EXPECT_EQ(snap.connected, 1);
  EXPECT_EQ(snap.connecting, 0);
  EXPECT_EQ(snap.connack_codes[0], 1u);
  EXPECT_EQ(snap.connect_duration.count, 1u);
}

TEST(DeviceSession, ConnectFieldsMqtt5) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.session_expiry = std::chrono::seconds(3600);
  s.session.receive_maximum = 10;
  s.session.maximum_packet_size = 4096;
  s.session.topic_alias_maximum = 5;
  s.session.will = scenario::Will{"w/{index}", "bye", 0, false, std::chrono::seconds(5),
                                  std::chrono::seconds(60), std::string("text/plain")};
  Harness h(s);
  h.start();
  auto pkt = h.packet(0);
  const auto& c = std::get<mqtt::Connect>(pkt);
  EXPECT_EQ(c.version, mqtt::Version::V5);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.client_id, "dev-0");
  EXPECT_FALSE(c.username.has_value());
  EXPECT_EQ(c.properties.session_expiry_interval, 3600u);
  EXPECT_EQ(c.properties.receive_maximum, 10);
  EXPECT_EQ(c.properties.maximum_packet_size, 4096u);
  EXPECT_EQ(c.properties.topic_alias_maximum, 5);
  ASSERT_TRUE(c.will.has_value());
  EXPECT_EQ(c.will->properties.will_delay_interval, 5u);
  EXPECT_EQ(c.will->properties.message_expiry_interval, 60u);
  EXPECT_EQ(c.will->properties.content_type, "text/plain");
}

TEST(DeviceSession, Mqtt5SendsNoConnectPropertiesByDefault) {
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.start();
  auto pkt = h.packet(0);
  EXPECT_TRUE(std::get<mqtt::Connect>(pkt).properties.empty());  // aws doc §6
}

TEST(DeviceSession, RefusedConnackIsCountedByCodeAndBacksOffDoubling) {
  Harness h(test::make_scenario(mqtt::Version::V311));
  h.connack.reason_code = static_cast<std::uint8_t>(mqtt::ConnectReturnCode::NotAuthorized);
  h.start();
  EXPECT_EQ(h.session.state(), State::BackingOff);
  EXPECT_EQ(h.closes, 1);
  auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.connack_codes[5], 1u);
  EXPECT_EQ(snap.connect_failures, 1u);
  EXPECT_EQ(snap.connect_failed_by_reason[reason(DropReason::ConnackRefused)], 1u);
  EXPECT_EQ(snap.connects_ok, 0u);
  EXPECT_EQ(snap.backing_off, 1);
  EXPECT_EQ(h.session.deadline(), h.now + 5s);  // 3.1.1: min 5 s, no jitter

  h.advance(5s);
  ASSERT_EQ(h.opens, 2);
  EXPECT_EQ(h.session.deadline(), h.now + 10s);  // refused again: doubled
  h.connack.reason_code = 0;
  h.advance(10s);
  EXPECT_EQ(h.opens, 3);
  EXPECT_EQ(h.session.state(), State::Connected);
  snap = snapshot(*h.stats);
  EXPECT_EQ(snap.reconnects, 2u);
  EXPECT_EQ(snap.connack_codes[5], 2u);
  EXPECT_EQ(snap.reconnect_delay.count, 2u);
  // The 3.1.1 client does not reset its backoff on success, only after a connection lasted
  // 10 s past its CONNACK: a drop at once keeps doubling.
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::SocketError, {}); });
  EXPECT_EQ(h.session.deadline(), h.now + 20s);
}

TEST(DeviceSession, Mqtt5ConnackReasonCodesAreCountedByName) {
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.connack.reason_code = static_cast<std::uint8_t>(mqtt::ReasonCode::ServerBusy);
  h.start();
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.connack_codes[0x89], 1u);
  EXPECT_STREQ(connack_code_name(mqtt::Version::V5, 0x89), "server_busy");
  EXPECT_EQ(h.session.state(), State::BackingOff);
  // FULL jitter, n = 0: the delay is below min (1 s).
  EXPECT_LT(h.session.deadline(), h.now + 1s);
}

TEST(DeviceSession, ConnackTimeoutDropsAndCounts) {
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.auto_connack = false;
  h.start();
  EXPECT_EQ(h.session.state(), State::AwaitConnack);
  EXPECT_EQ(h.session.deadline(), h.now + 20s);
  h.advance(20s);
  EXPECT_EQ(h.session.state(), State::BackingOff);
  EXPECT_EQ(h.closes, 1);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.connect_failed_by_reason[reason(DropReason::ConnackTimeout)], 1u);
  EXPECT_EQ(snap.connecting, 0);
}

TEST(DeviceSession, TransportFailureBeforeConnackIsAConnectFailure) {
  Harness h(test::make_scenario(mqtt::Version::V311));
  h.auto_transport = false;
  h.start();
  EXPECT_EQ(h.session.state(), State::Connecting);
  EXPECT_EQ(h.session.deadline(), kNever);  // the engine owns the TCP connect timeout
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::LocalLimit, {}); });
  EXPECT_EQ(h.closes, 0);  // the transport is already gone
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.connect_failed_by_reason[reason(DropReason::LocalLimit)], 1u);
  EXPECT_EQ(snap.drops, 0u);
}

TEST(DeviceSession, ServerKeepAliveOverridesOursAndPingsAtThatInterval) {
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.connack.properties.server_keep_alive = 5;
  h.start();
  h.advance(4900ms);
  EXPECT_EQ(h.count(PacketType::Pingreq), 0u);
  h.advance(100ms);
  EXPECT_EQ(h.count(PacketType::Pingreq), 1u);
  h.advance(5s);
  EXPECT_EQ(h.count(PacketType::Pingreq), 2u);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.pings_sent, 2u);
  EXPECT_EQ(snap.pings_answered, 2u);
  EXPECT_EQ(snap.ping_rtt.count, 2u);
}

TEST(DeviceSession, Mqtt311Qos0TrafficDoesNotPushThePingOff) {
  // The 3.1.1 client pushes its ping off only with acknowledged requests; QoS 0 PUBLISHes
  // are never acknowledged, so a device publishing QoS 0 every second still pings every
  // keepalive (aws-c-mqtt client_channel_handler.c s_pushoff_next_ping_time).
  auto s = test::make_scenario(mqtt::Version::V311);
  s.session.keepalive = std::chrono::seconds(10);
  test::add_publish(s, 1.0, 0);  // something sent every second
  Harness h(s);
  h.start();
  h.advance(60s);
  EXPECT_EQ(h.count(PacketType::Pingreq), 6u);
  EXPECT_GE(h.count(PacketType::Publish), 59u);
}

TEST(DeviceSession, MissingPingrespDropsWithinThePingTimeout) {
  auto s = test::make_scenario(mqtt::Version::V311);
  s.session.keepalive = std::chrono::seconds(30);
  Harness h(s);
  h.auto_pingresp = false;
  h.start();
  h.advance(30s);
  ASSERT_EQ(h.count(PacketType::Pingreq), 1u);
  EXPECT_EQ(h.session.deadline(), h.now + 3s);  // 3.1.1 ping timeout
  h.advance(2999ms);
  EXPECT_EQ(h.session.state(), State::Connected);
  h.advance(1ms);
  EXPECT_EQ(h.session.state(), State::BackingOff);
  EXPECT_EQ(h.closes, 1);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.ping_timeouts, 1u);
  EXPECT_EQ(snap.drops_by_reason[reason(DropReason::PingTimeout)], 1u);
  EXPECT_EQ(snap.connected, 0);
}

TEST(DeviceSession, ServerDisconnectIsCountedByReasonCode) {
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.start();
  mqtt::Disconnect d;
  d.reason_code = static_cast<std::uint8_t>(mqtt::ReasonCode::ServerShuttingDown);
  h.feed(d);
  EXPECT_EQ(h.session.state(), State::BackingOff);
  EXPECT_EQ(h.closes, 1);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.server_disconnect_codes[0x8B], 1u);
  EXPECT_EQ(snap.drops_by_reason[reason(DropReason::ServerDisconnect)], 1u);
}

TEST(DeviceSession, GarbageFromTheBrokerIsAProtocolErrorDrop) {
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.start();
  h.feed_bytes({0x00, 0x00});  // packet type 0 does not exist
  EXPECT_EQ(h.session.state(), State::BackingOff);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.decode_errors, 1u);
  EXPECT_EQ(snap.drops_by_reason[reason(DropReason::ProtocolError)], 1u);
  // An MQTT 5 client says why: DISCONNECT with Malformed Packet before closing.
  auto last = h.last_of(PacketType::Disconnect);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(std::get<mqtt::Disconnect>(*last).reason_code, 0x81);
}

TEST(DeviceSession, PacketsSplitAcrossReadsAreReassembled) {
  // No subscription here: the harness broker would answer SUBSCRIBE in the middle of the
  // byte stream, which a real TCP stream cannot do.
  Harness h(test::make_scenario(mqtt::Version::V311));
  h.auto_connack = false;
  h.start();
  mqtt::Publish p;
  p.topic = "t/x";
  std::vector<std::uint8_t> payload(300, 'p');
  p.payload = payload;
  auto bytes = mqtt::encode_to_vector(mqtt::Packet(mqtt::Connack{}), mqtt::Version::V311);
  auto pub = mqtt::encode_to_vector(mqtt::Packet(p), mqtt::Version::V311);
  bytes.insert(bytes.end(), pub.begin(), pub.end());
  bytes.insert(bytes.end(), pub.begin(), pub.end());
  for (std::size_t i = 0; i < bytes.size(); i += 7) {
    std::vector<std::uint8_t> chunk(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                                    bytes.begin() + static_cast<std::ptrdiff_t>(std::min(bytes.size(), i + 7)));
    h.feed_bytes(chunk);
  }
  EXPECT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(snapshot(*h.stats).messages_received, 2u);
  EXPECT_EQ(snapshot(*h.stats).messages_untracked, 2u);
}

TEST(DeviceSession, SubackResultsAreCountedPerFilter) {
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_subscribe(s, "a/{index}", 1);
  test::add_subscribe(s, "b/#", 2);
  Harness h(s, 3);
  h.auto_suback = false;
  h.start();
  auto sub = h.last_of(PacketType::Subscribe);
  ASSERT_TRUE(sub.has_value());
  const auto& sp = std::get<mqtt::Subscribe>(*sub);
  ASSERT_EQ(sp.subscriptions.size(), 2u);
  EXPECT_EQ(sp.subscriptions[0].filter, "a/3");
  EXPECT_EQ(sp.subscriptions[1].qos, mqtt::QoS::ExactlyOnce);
  mqtt::Suback sa;
  sa.packet_id = sp.packet_id;
  sa.reason_codes = {1, 0x80};
  h.feed(sa);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.subscribe_requests, 1u);
  EXPECT_EQ(snap.subscribe_filters_ok, 1u);
  EXPECT_EQ(snap.subscribe_filters_failed, 1u);
  EXPECT_EQ(snap.suback_codes[0x80], 1u);
  EXPECT_EQ(snap.suback_codes[1], 1u);
  EXPECT_EQ(snap.subscribe_latency.count, 1u);
}

TEST(DeviceSession, ResubscribesOnlyWhenTheSessionIsGone) {
  auto s = test::make_scenario(mqtt::Version::V311);  // clean_session = false
  test::add_subscribe(s, "t/#", 1);
  Harness h(s);
  h.start();
  EXPECT_EQ(h.count(PacketType::Subscribe), 1u);
  h.connack.session_present = true;
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance(5s);
  EXPECT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(h.count(PacketType::Subscribe), 1u);  // the broker kept them
  EXPECT_EQ(snapshot(*h.stats).subscribes_skipped_resumed, 1u);
  EXPECT_EQ(snapshot(*h.stats).sessions_resumed, 1u);
  h.connack.session_present = false;
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance(10s);
  EXPECT_EQ(h.count(PacketType::Subscribe), 2u);  // session gone: subscribe again
  h.call([&](Context& c) { h.session.unsubscribe(c); });
  ASSERT_EQ(h.count(PacketType::Unsubscribe), 1u);
  mqtt::Unsuback ua;
  ua.packet_id = std::get<mqtt::Unsubscribe>(*h.last_of(PacketType::Unsubscribe)).packet_id;
  h.feed(ua);
  EXPECT_EQ(snapshot(*h.stats).unsuback_received, 1u);
}

TEST(DeviceSession, AssignedClientIdentifierIsReusedOnReconnect) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.fleet.client_id = "";
  Harness h(s);
  h.connack.properties.assigned_client_identifier = "srv-assigned-1";
  h.start();
  EXPECT_EQ(std::get<mqtt::Connect>(h.packet(0)).client_id, "");
  h.connack.properties.assigned_client_identifier.reset();
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance(2s);
  auto last = h.last_of(PacketType::Connect);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(std::get<mqtt::Connect>(*last).client_id, "srv-assigned-1");
}

TEST(DeviceSession, BackoffResetsOnlyAfterStayingConnectedLongEnough) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.reconnect.jitter = scenario::Jitter::None;  // deterministic: 1, 2, 4 s ...
  Harness h(s);
  h.start();
  h.advance(10s);
  h.call([&](Context& c) { h.session.drop(c); });
  EXPECT_EQ(h.session.deadline(), h.now + 1s);
  h.advance(1s);
  h.advance(10s);  // connected 10 s < 30 s: no reset
  h.call([&](Context& c) { h.session.drop(c); });
  EXPECT_EQ(h.session.deadline(), h.now + 2s);
  h.advance(2s);
  h.advance(31s);  // connected 31 s: reset
  h.call([&](Context& c) { h.session.drop(c); });
  EXPECT_EQ(h.session.deadline(), h.now + 1s);
  EXPECT_EQ(snapshot(*h.stats).drops_by_reason[reason(DropReason::Churn)], 3u);
  EXPECT_EQ(h.count(PacketType::Disconnect), 0u);  // a drop sends no DISCONNECT
}

TEST(DeviceSession, StopSendsDisconnectAndNeverReconnects) {
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.start();
  h.call([&](Context& c) { h.session.stop(c); });
  EXPECT_EQ(h.session.state(), State::Stopped);
  EXPECT_EQ(h.closes, 1);
  auto d = h.last_of(PacketType::Disconnect);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<mqtt::Disconnect>(*d).reason_code, 0);
  EXPECT_EQ(h.session.deadline(), kNever);
  h.advance(1h);
  EXPECT_EQ(h.opens, 1);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.clean_disconnects, 1u);
  EXPECT_EQ(snap.connected, 0);
  EXPECT_EQ(snap.drops, 0u);
}

TEST(DeviceSession, StopWhileBackingOffOrConnectingClosesCleanly) {
  Harness h(test::make_scenario(mqtt::Version::V5));
  h.auto_transport = false;
  h.start();
  h.call([&](Context& c) { h.session.stop(c); });
  EXPECT_EQ(h.closes, 1);  // the opening transport is abandoned
  EXPECT_EQ(snapshot(*h.stats).connecting, 0);
  // A transport that comes up after stop is closed at once.
  h.call([&](Context& c) { h.session.on_transport_up(c); });
  EXPECT_EQ(h.closes, 2);
  EXPECT_EQ(h.count(PacketType::Connect), 0u);
}

TEST(DeviceSession, IdleSessionIsSmall) {
  Harness h(test::make_scenario(mqtt::Version::V311));
  h.start();
  h.advance(10min);
  EXPECT_EQ(h.session.state(), State::Connected);
  std::printf("sizeof(Session) = %zu bytes, heap per idle session = %zu bytes\n", sizeof(Session),
              h.session.heap_bytes());
  EXPECT_LE(sizeof(Session), 200u);
  EXPECT_EQ(h.session.heap_bytes(), 0u);
}

}  // namespace
}  // namespace fleetload::device
