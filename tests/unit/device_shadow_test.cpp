// The Device Shadow behaviour of a device session (behaviour_shadow.hpp), driven by the
// scripted broker of device_harness.hpp on a simulated clock: the reserved topics exactly as
// "Device Shadow MQTT topics" names them, subscribe-before-request, clientToken matching,
// outcomes by code, the 409 get-then-update retry, deltas reported back, version
// monotonicity, timeouts, and what a device without a shadow keeps (nothing).
#include <algorithm>

#include <boost/json.hpp>

#include "awsiot/shadow.hpp"
#include "device/behaviour_shadow.hpp"
#include "aws_harness.hpp"

namespace fleetload::device::test {
namespace {

namespace json = boost::json;

scenario::Scenario shadow_scenario(mqtt::Version v, std::optional<std::string> name = std::nullopt) {
  auto s = make_scenario(v);
  s.fleet.thing_name = "thing-{index}";
  scenario::Shadow sh;
  sh.name = std::move(name);
  sh.get = scenario::ShadowGet::OnConnect;
  sh.update = scenario::ShadowUpdate{scenario::Rate{1.0}, "{\"seq\": {seq}}"};
  sh.on_delta = scenario::ShadowOnDelta::Report;
  sh.version = true;
  sh.timeout = std::chrono::milliseconds(5000);
  s.shadow = std::move(sh);
  return s;
}

std::uint64_t ops(const Harness& h, ShadowOp op, ShadowOutcome o) {
  return h.stats->shadow_ops[shadow_index(op, o)].load();
}

class ShadowSession : public ::testing::TestWithParam<mqtt::Version> {};

TEST_P(ShadowSession, SubscribesToTheFiveAnswerTopicsThenGetsWithAClientToken) {
  Harness h(shadow_scenario(GetParam()));
  h.start();
  const auto subs = h.of_type(mqtt::PacketType::Subscribe);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(filters_of(h, subs[0]), (std::vector<std::string>{
                         "$aws/things/thing-0/shadow/get/accepted", "$aws/things/thing-0/shadow/get/rejected",
                         "$aws/things/thing-0/shadow/update/accepted", "$aws/things/thing-0/shadow/update/rejected",
                         "$aws/things/thing-0/shadow/update/delta"}));
  // The get is written after the SUBACK (the auto broker answers the SUBSCRIBE first).
  const auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_GT(h.of_type(mqtt::PacketType::Publish)[0], subs[0]);
  EXPECT_EQ(pubs[0].topic, "$aws/things/thing-0/shadow/get");
  EXPECT_EQ(pubs[0].body.at("clientToken"), "fl0-1");
}

TEST_P(ShadowSession, NamedShadowTopicsCarryTheName) {
  Harness h(shadow_scenario(GetParam(), "config"));
  h.start();
  const auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].topic, "$aws/things/thing-0/shadow/name/config/get");
}

TEST_P(ShadowSession, WithoutTheSubackNoRequestIsSent) {
  Harness h(shadow_scenario(GetParam()));
  h.auto_suback = false;
  h.start();
  EXPECT_EQ(h.of_type(mqtt::PacketType::Subscribe).size(), 1u);
  h.advance(std::chrono::seconds(3));  // update slots fall, but nothing is subscribed yet
  EXPECT_TRUE(publishes(h).empty());
}

TEST_P(ShadowSession, OutcomesByCodeAndForeignTokensIgnored) {
  Harness h(shadow_scenario(GetParam()));
  h.start();
  // Another client's answer on the same topic: ignored, counted, the request still open.
  answer(h, "$aws/things/thing-0/shadow/get/rejected",
         R"({"code":404,"message":"No shadow exists with name: 'thing-0'","clientToken":"someone-else"})");
  EXPECT_EQ(h.stats->shadow_foreign_responses.load(), 1u);
  EXPECT_EQ(ops(h, ShadowOp::Get, ShadowOutcome::Rejected404), 0u);
  // Ours (the error document of "Device Shadow error messages").
  answer(h, "$aws/things/thing-0/shadow/get/rejected",
         R"({"code":404,"message":"No shadow exists with name: 'thing-0'","clientToken":"fl0-1"})");
  EXPECT_EQ(ops(h, ShadowOp::Get, ShadowOutcome::Rejected404), 1u);
  EXPECT_EQ(h.stats->shadow_get_latency.count(), 1u);
  EXPECT_EQ(h.stats->shadow_in_flight.load(), 0);
  // The same answer again matches nothing in flight.
  answer(h, "$aws/things/thing-0/shadow/get/rejected",
         R"({"code":404,"message":"No shadow exists with name: 'thing-0'","clientToken":"fl0-1"})");
  EXPECT_EQ(ops(h, ShadowOp::Get, ShadowOutcome::Rejected404), 1u);
  EXPECT_EQ(h.stats->shadow_foreign_responses.load(), 2u);
  // Each code of its own label; 401 (not one named) as rejected_other.
  for (int code : {400, 413, 429, 500, 401}) {
    h.advance(std::chrono::seconds(1));  // the next periodic update
    const auto pubs = publishes(h);
    ASSERT_EQ(pubs.back().topic, "$aws/things/thing-0/shadow/update");
    const std::string token(pubs.back().body.at("clientToken").as_string());
    answer(h, "$aws/things/thing-0/shadow/update/rejected",
           R"({"code":)" + std::to_string(code) + R"(,"message":"x","clientToken":")" + token + "\"}");
    EXPECT_EQ(ops(h, ShadowOp::Update, shadow_outcome_of_code(code)), 1u) << code;
  }
  EXPECT_EQ(ops(h, ShadowOp::Update, ShadowOutcome::RejectedOther), 1u);
  EXPECT_EQ(h.stats->shadow_update_latency.count(), 5u);
}

TEST_P(ShadowSession, ConflictIsRetriedByGetThenUpdateWithTheNewVersion) {
  Harness h(shadow_scenario(GetParam()));
  h.start();
  awsiot::ShadowAccepted got;
  got.version = 7;
  got.timestamp = 1;
  got.client_token = "fl0-1";
  answer(h, "$aws/things/thing-0/shadow/get/accepted", awsiot::to_json(got));
  EXPECT_EQ(ops(h, ShadowOp::Get, ShadowOutcome::Accepted), 1u);
  h.advance(std::chrono::seconds(1));
  auto pubs = publishes(h);
  ASSERT_EQ(pubs.back().topic, "$aws/things/thing-0/shadow/update");
  EXPECT_EQ(pubs.back().body.at("version"), 7);
  EXPECT_EQ(pubs.back().body.at("state"), json::parse(R"({"reported":{"seq":1}})"));
  const std::string token(pubs.back().body.at("clientToken").as_string());
  answer(h, "$aws/things/thing-0/shadow/update/rejected",
         R"({"code":409,"message":"Version conflict","clientToken":")" + token + "\"}");
  EXPECT_EQ(ops(h, ShadowOp::Update, ShadowOutcome::Rejected409), 1u);
  EXPECT_EQ(h.stats->shadow_conflict_retries.load(), 1u);
  pubs = publishes(h);
  ASSERT_EQ(pubs.back().topic, "$aws/things/thing-0/shadow/get");
  got.version = 9;
  got.client_token = std::string(pubs.back().body.at("clientToken").as_string());
  answer(h, "$aws/things/thing-0/shadow/get/accepted", awsiot::to_json(got));
  pubs = publishes(h);
  ASSERT_EQ(pubs.back().topic, "$aws/things/thing-0/shadow/update");
  EXPECT_EQ(pubs.back().body.at("version"), 9);
  EXPECT_EQ(pubs.back().body.at("state"), json::parse(R"({"reported":{"seq":1}})"));  // the same update again
}

TEST_P(ShadowSession, DeltaIsReportedBackAndOlderVersionsAreCounted) {
  Harness h(shadow_scenario(GetParam()));
  h.start();
  const std::size_t before = publishes(h).size();
  // The /update/delta example of "Device Shadow MQTT topics" (device-shadow-mqtt.html).
  answer(h, "$aws/things/thing-0/shadow/update/delta",
         R"({"version":12,"timestamp":1591131910,"state":{"color":"green"},"metadata":{"color":{"timestamp":1591131910}}})");
  EXPECT_EQ(h.stats->shadow_deltas_received.load(), 1u);
  auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), before + 1);
  EXPECT_EQ(pubs.back().topic, "$aws/things/thing-0/shadow/update");
  EXPECT_EQ(pubs.back().body.at("state"), json::parse(R"({"reported":{"color":"green"}})"));
  EXPECT_EQ(pubs.back().body.at("version"), 12);
  EXPECT_EQ(h.stats->shadow_version_regressions.load(), 0u);
  answer(h, "$aws/things/thing-0/shadow/update/delta",
         R"({"version":11,"timestamp":1591131911,"state":{"color":"red"},"metadata":{"color":{"timestamp":1591131911}}})");
  EXPECT_EQ(h.stats->shadow_version_regressions.load(), 1u);
}

TEST_P(ShadowSession, UnansweredRequestsTimeOutAndGetRepeatsAfterReconnect) {
  Harness h(shadow_scenario(GetParam()));
  h.start();
  h.advance(std::chrono::milliseconds(5001));
  EXPECT_EQ(ops(h, ShadowOp::Get, ShadowOutcome::TimedOut), 1u);
  EXPECT_EQ(h.stats->shadow_get_latency.count(), 0u);  // a timeout is no latency sample
  const auto gets = [&] {
    std::size_t n = 0;
    for (const auto& p : publishes(h)) n += p.topic == "$aws/things/thing-0/shadow/get";
    return n;
  };
  EXPECT_EQ(gets(), 1u);
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance(std::chrono::seconds(130));  // backoff, reconnect, resubscribe, get again
  EXPECT_EQ(h.of_type(mqtt::PacketType::Subscribe).size(), 2u);
  EXPECT_EQ(gets(), 2u);
}

TEST_P(ShadowSession, ADeviceWithoutAShadowKeepsNoShadowState) {
  auto s = make_scenario(GetParam());
  Harness plain(s);
  plain.start();
  EXPECT_EQ(plain.session.heap_bytes(), 0u);
  EXPECT_TRUE(plain.of_type(mqtt::PacketType::Subscribe).empty());
  Harness with(shadow_scenario(GetParam()));
  with.start();
  // The shadow state lives on the heap: sizeof(ShadowBehaviour) plus names and requests.
  EXPECT_GE(with.session.heap_bytes(), sizeof(ShadowBehaviour));
  EXPECT_LT(with.session.heap_bytes(), 1024u);
  // For the docs' memory figure (--gtest_output=xml shows it).
  RecordProperty("shadow_device_heap_bytes", static_cast<int>(with.session.heap_bytes()));
  RecordProperty("sizeof_session", static_cast<int>(sizeof(Session)));
}

// ---- shadow.qos: 1 (the default, as the SDK's shadow sample), or 0 -------------------------

TEST_P(ShadowSession, AtQos1RequestsAndAnswersAreAcknowledgedAsTheSdkDoes) {
  auto s = shadow_scenario(GetParam());
  ASSERT_EQ(s.shadow->qos, 1u);  // the default
  Harness h(s);
  h.auto_ack = false;  // PUBACKs by hand
  h.start();
  // SUBSCRIBE of the five answer topics at QoS 1 (AWS_MQTT_QOS_AT_LEAST_ONCE).
  const auto subs = h.of_type(mqtt::PacketType::Subscribe);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(filter_qos_of(h, subs[0]), std::vector<mqtt::QoS>(5, mqtt::QoS::AtLeastOnce));
  const auto sub_id = std::get<mqtt::Subscribe>(h.packet(subs[0])).packet_id;
  // The get: a QoS 1 PUBLISH with a packet id of the session's (not the SUBSCRIBE's).
  auto pubs = publish_packets(h);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].qos, mqtt::QoS::AtLeastOnce);
  EXPECT_NE(pubs[0].packet_id, 0u);
  EXPECT_NE(pubs[0].packet_id, sub_id);
  EXPECT_EQ(h.stats->publishes_sent[1].load(), 0u);  // not an application publish
  // Its PUBACK is the request's, not an unexpected ack.
  mqtt::PubAck ack;
  ack.packet_id = pubs[0].packet_id;
  h.feed(ack);
  EXPECT_EQ(h.stats->unexpected_acks.load(), 0u);
  EXPECT_EQ(h.stats->aws_requests_acked.load(), 1u);
  EXPECT_EQ(h.stats->publishes_acked[1].load(), 0u);
  // The same id again is no longer awaited.
  h.feed(ack);
  EXPECT_EQ(h.stats->unexpected_acks.load(), 1u);
  EXPECT_EQ(h.stats->aws_requests_acked.load(), 1u);
  // The answer, delivered at QoS 1 (the subscription's): taken by the shadow and PUBACKed.
  awsiot::ShadowAccepted got;
  got.version = 3;
  got.timestamp = 1;
  got.client_token = "fl0-1";
  answer(h, "$aws/things/thing-0/shadow/get/accepted", awsiot::to_json(got), 4321);
  EXPECT_EQ(ops(h, ShadowOp::Get, ShadowOutcome::Accepted), 1u);
  EXPECT_EQ(pubacks_sent(h), std::vector<std::uint16_t>{4321});
  EXPECT_EQ(h.stats->messages_received.load(), 0u);  // not an application delivery
  EXPECT_EQ(h.stats->aws_requests_unacked.load(), 0u);
}

TEST_P(ShadowSession, RequestIdsNeverCollideWithTheApplicationsInFlightIds) {
  auto s = shadow_scenario(GetParam());
  add_publish(s, 20.0, 1);  // QoS 1 telemetry beside the shadow's updates
  s.session.ack_timeout = std::chrono::milliseconds(0);
  s.shadow->timeout = std::chrono::seconds(60);
  Harness h(s);
  h.auto_ack = false;  // nothing acknowledged: every id stays taken
  h.start();
  h.advance(std::chrono::seconds(3));
  const auto pubs = publish_packets(h);
  std::vector<std::uint16_t> ids;
  std::size_t shadow_requests = 0;
  for (const auto& p : pubs) {
    ASSERT_EQ(p.qos, mqtt::QoS::AtLeastOnce);
    ids.push_back(p.packet_id);
    shadow_requests += std::string_view(p.topic).starts_with("$aws/");
  }
  ASSERT_GE(shadow_requests, 3u);  // the get and an update a second
  ASSERT_GT(pubs.size(), shadow_requests + 40);  // ~60 telemetry publishes, none acked
  auto sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "a packet id used twice";
  // Every PUBACK finds its own: the application's acked, the shadow's booked apart.
  for (const auto& p : pubs) {
    mqtt::PubAck a;
    a.packet_id = p.packet_id;
    h.feed(a);
  }
  EXPECT_EQ(h.stats->unexpected_acks.load(), 0u);
  EXPECT_EQ(h.stats->publishes_acked[1].load(), pubs.size() - shadow_requests);
  EXPECT_EQ(h.stats->aws_requests_acked.load(), shadow_requests);
}

TEST_P(ShadowSession, ShadowRequestsCountTowardsTheConnectionsPublishLimit) {
  // 95/s of telemetry and 40/s of shadow updates under a 100/s limit: the requests never
  // wait, but the telemetry after them does, so the connection stays at the limit.
  auto s = shadow_scenario(GetParam());
  s.shadow->update->rate = scenario::Rate{40.0};
  add_publish(s, 95.0, 0);
  s.session.publish_limit = scenario::Rate{100.0};
  Harness h(s);
  h.start();
  h.advance_ticks(std::chrono::seconds(10), std::chrono::milliseconds(1));
  std::size_t shadow_n = 0, telemetry_n = 0;
  for (const auto& p : publish_packets(h)) (std::string_view(p.topic).starts_with("$aws/") ? shadow_n : telemetry_n)++;
  ASSERT_GE(shadow_n, 100u);  // without the charge the total would be 950 + shadow_n
  EXPECT_LE(shadow_n + telemetry_n, 1005u) << shadow_n << " shadow, " << telemetry_n << " telemetry";
  EXPECT_GT(h.stats->publishes_held_by_limit.load(), 0u);
}

TEST_P(ShadowSession, PendingRequestAcksAreDroppedWithTheConnectionOrAfterTheTimeout) {
  auto s = shadow_scenario(GetParam());
  s.shadow->update.reset();  // the get at each connect only
  Harness h(s);
  h.auto_ack = false;
  h.start();
  ASSERT_EQ(publish_packets(h).size(), 1u);  // the get, unacknowledged
  h.call([&](Context& c) { h.session.drop(c); });
  EXPECT_EQ(h.stats->aws_requests_unacked.load(), 1u);
  // Reconnected: a new get (a new request, its own token), the old one not sent again.
  for (int i = 0; i < 1300 && publish_packets(h).size() < 2; ++i) h.advance(std::chrono::milliseconds(100));
  ASSERT_EQ(h.session.state(), State::Connected);
  const auto pubs = publish_packets(h);
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_FALSE(pubs[1].dup);
  EXPECT_EQ(pubs[1].qos, mqtt::QoS::AtLeastOnce);
  EXPECT_EQ(h.stats->aws_requests_unacked.load(), 1u);
  // No PUBACK ever: the wait ends with the shadow's timeout (5 s), as the get's does.
  h.advance(std::chrono::milliseconds(4800));  // the get went out at most 100 ms ago
  EXPECT_EQ(h.stats->aws_requests_unacked.load(), 1u);
  h.advance(std::chrono::milliseconds(300));
  EXPECT_EQ(h.stats->aws_requests_unacked.load(), 2u);
  EXPECT_EQ(h.stats->unexpected_acks.load(), 0u);
}

TEST_P(ShadowSession, AtQos0NothingIsAcknowledged) {
  auto s = shadow_scenario(GetParam());
  s.shadow->qos = 0;
  Harness h(s);
  h.start();
  const auto subs = h.of_type(mqtt::PacketType::Subscribe);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(filter_qos_of(h, subs[0]), std::vector<mqtt::QoS>(5, mqtt::QoS::AtMostOnce));
  const auto pubs = publish_packets(h);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].qos, mqtt::QoS::AtMostOnce);
  EXPECT_EQ(pubs[0].packet_id, 0u);
  answer(h, "$aws/things/thing-0/shadow/get/rejected", R"({"code":404,"message":"none","clientToken":"fl0-1"})");
  EXPECT_EQ(ops(h, ShadowOp::Get, ShadowOutcome::Rejected404), 1u);
  EXPECT_TRUE(pubacks_sent(h).empty());
  EXPECT_EQ(h.stats->aws_requests_acked.load() + h.stats->aws_requests_unacked.load(), 0u);
}

TEST(ShadowQos, Mqtt5PubackRefusingARequestIsCountedAndTheRequestTimesOut) {
  Harness h(shadow_scenario(mqtt::Version::V5));
  h.auto_ack = false;
  h.start();
  const auto get = publish_packets(h).at(0);
  mqtt::PubAck a;
  a.packet_id = get.packet_id;
  a.reason_code = 0x87;  // Not authorized
  h.feed(a);
  EXPECT_EQ(h.stats->aws_requests_refused.load(), 1u);
  EXPECT_EQ(h.stats->puback_codes[0x87].load(), 1u);
  EXPECT_EQ(h.stats->unexpected_acks.load(), 0u);
  h.advance(std::chrono::milliseconds(5001));
  EXPECT_EQ(ops(h, ShadowOp::Get, ShadowOutcome::TimedOut), 1u);
}

TEST(ShadowQos, ServerMaximumQos0SendsRequestsAtQos0) {
  auto s = shadow_scenario(mqtt::Version::V5);
  Harness h(s);
  h.connack.properties.maximum_qos = 0;
  h.start();
  const auto get = publish_packets(h).at(0);
  EXPECT_EQ(get.qos, mqtt::QoS::AtMostOnce);
  EXPECT_EQ(h.stats->qos_downgraded.load(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Both, ShadowSession, ::testing::Values(mqtt::Version::V311, mqtt::Version::V5),
                         [](const auto& i) { return i.param == mqtt::Version::V5 ? "Mqtt5" : "Mqtt311"; });

TEST(ShadowPlan, SubscribeBatchIsEightOnAwsIotCoreElseNoneUnlessSet) {
  auto s = make_scenario(mqtt::Version::V311);
  EXPECT_EQ(FleetPlan(s).subscribe_batch, 0u);
  s.target.endpoints[0].host = "a1b2c3-ats.iot.eu-west-1.amazonaws.com";
  EXPECT_EQ(FleetPlan(s).subscribe_batch, 8u);
  s.session.subscribe_batch = 3;
  EXPECT_EQ(FleetPlan(s).subscribe_batch, 3u);
}

}  // namespace
}  // namespace fleetload::device::test
