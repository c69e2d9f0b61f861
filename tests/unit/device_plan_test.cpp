// FleetPlan: templates, topic matching, who publishes/subscribes, rates and per-protocol
// settings resolved from the scenario.
#include <gtest/gtest.h>

#include <string>

#include "device/fleet_plan.hpp"
#include "device_harness.hpp"

namespace fleetload::device {
namespace {

std::string render(std::string_view tpl, scenario::TemplateVars v) {
  std::string out;
  Template(tpl).render_to(out, v);
  return out;
}

TEST(DeviceTemplate, RendersPlaceholdersAndEscapes) {
  scenario::TemplateVars v;
  v.index = 42;
  v.shard = 3;
  v.client_id = "dev-42";
  v.seq = 7;
  v.timestamp_ms = 1700000000123;
  EXPECT_EQ(render("plain", v), "plain");
  EXPECT_EQ(render("d/{index}/s{shard}/{client_id}", v), "d/42/s3/dev-42");
  // JSON needs no escaping: only {identifier} is a placeholder (scenario/template.hpp).
  EXPECT_EQ(render("{\"seq\":{seq},\"ts\":{timestamp}}", v), "{\"seq\":7,\"ts\":1700000000123}");
  EXPECT_EQ(render("{{seq}} is {seq}", v), "{seq} is 7");
  v.index_width = 6;
  EXPECT_EQ(render("x{index}", v), "x000042");
  EXPECT_EQ(render("{unknown}/{index", v), "{unknown}/{index");  // kept as written
  EXPECT_TRUE(Template("a/{client_id}").uses(scenario::Placeholder::ClientId));
  EXPECT_FALSE(Template("a/{index}").uses(scenario::Placeholder::ClientId));
  EXPECT_TRUE(Template("").empty());
}

TEST(DeviceTemplate, TopicMatchingFollowsTheSpec) {
  EXPECT_TRUE(topic_matches("a/b", "a/b"));
  EXPECT_FALSE(topic_matches("a/b", "a/c"));
  EXPECT_TRUE(topic_matches("a/+", "a/b"));
  EXPECT_FALSE(topic_matches("a/+", "a/b/c"));
  EXPECT_FALSE(topic_matches("a/+", "a"));
  EXPECT_TRUE(topic_matches("a/+", "a/"));
  EXPECT_TRUE(topic_matches("a/#", "a"));
  EXPECT_TRUE(topic_matches("a/#", "a/b/c"));
  EXPECT_TRUE(topic_matches("#", "x/y"));
  EXPECT_FALSE(topic_matches("#", "$SYS/x"));
  EXPECT_FALSE(topic_matches("+/x", "$SYS/x"));
  EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/x"));
  EXPECT_TRUE(topic_matches("+/+/c", "a/b/c"));
  EXPECT_TRUE(topic_matches("$share/g/t/+", "t/1"));
  EXPECT_FALSE(topic_matches("$share/g/t/+", "u/1"));
  EXPECT_FALSE(topic_matches("a/b/c", "a/b"));
}

TEST(DevicePlan, SelectsPublishersFirstAndSubscribersLast) {
  auto s = test::make_scenario(mqtt::Version::V5, 100);
  test::add_publish(s, 1.0, 1);
  s.publish.front().publishers.kind = scenario::Selection::Kind::Count;
  s.publish.front().publishers.selected = 10;
  test::add_subscribe(s, "t/#", 1);
  s.subscribe.subscribers.kind = scenario::Selection::Kind::Count;
  s.subscribe.subscribers.selected = 5;
  FleetPlan p(s);
  EXPECT_TRUE(p.is_publisher(0));
  EXPECT_TRUE(p.is_publisher(9));
  EXPECT_FALSE(p.is_publisher(10));
  EXPECT_FALSE(p.is_subscriber(94));
  EXPECT_TRUE(p.is_subscriber(95));
  EXPECT_TRUE(p.is_subscriber(99));
  EXPECT_TRUE(p.subscriber_expects(99, 3));
  EXPECT_FALSE(p.subscriber_expects(99, 50));  // not a publisher
  EXPECT_TRUE(p.track_loss);
}

TEST(DevicePlan, FleetRateIsSpreadOverPublishers) {
  auto s = test::make_scenario(mqtt::Version::V311, 1000);
  test::add_publish(s, 0.0, 0);
  s.publish.front().rate.reset();
  s.publish.front().per_device_rate = scenario::Rate{0.0};
  s.publish.front().fleet_rate = scenario::Rate{500.0};
  s.publish.front().publishers.kind = scenario::Selection::Kind::Share;
  s.publish.front().publishers.selected = 250;
  s.fleet.shard = {1, 4};
  FleetPlan p(s);
  EXPECT_DOUBLE_EQ(p.streams.at(0).per_device_rate, 2.0);
  EXPECT_EQ(p.streams.at(0).publish_interval.count(), 500'000'000);
  EXPECT_EQ(p.devices_in_shard(), 250u);
  EXPECT_EQ(p.device_index(0), 1u);
  EXPECT_EQ(p.device_index(2), 9u);
  EXPECT_EQ(p.publishers_in_shard(), 63u);  // 1, 5, ..., 249
  EXPECT_DOUBLE_EQ(p.shard_publish_rate(), 126.0);
}

TEST(DevicePlan, ProtocolSpecificSettings) {
  auto s5 = test::make_scenario(mqtt::Version::V5);
  s5.session.session_expiry = std::chrono::seconds(3600);
  s5.session.receive_maximum = 20;
  s5.reconnect.jitter = scenario::Jitter::Default;
  FleetPlan p5(s5);
  EXPECT_EQ(p5.session_expiry_s, 3600u);
  EXPECT_EQ(p5.receive_maximum, 20);
  EXPECT_EQ(p5.backoff.mode, JitterMode::Full);  // DEFAULT is FULL (§7)
  EXPECT_EQ(p5.backoff.reset_after_ms, 30000u);

  auto s3 = test::make_scenario(mqtt::Version::V311);
  s3.session.session_expiry = std::chrono::seconds(3600);  // MQTT 5 only: not sent in 3.1.1
  FleetPlan p3(s3);
  EXPECT_FALSE(p3.session_expiry_s.has_value());
  EXPECT_EQ(p3.backoff.mode, JitterMode::None);
  EXPECT_EQ(p3.backoff.min_ms, 5000u);
  EXPECT_EQ(p3.backoff.reset_after_ms, 10000u);  // the 3.1.1 client's fixed 10 s
}

TEST(DevicePlan, ReceiveLimitSessionBehaviourAndFirstConnectFailure) {
  auto s3 = test::make_scenario(mqtt::Version::V311);
  FleetPlan p3(s3);
  EXPECT_EQ(p3.receive_limit, 1024u * 1024u);  // the default limit holds for 3.1.1 too
  EXPECT_FALSE(p3.maximum_packet_size.has_value());
  EXPECT_FALSE(p3.stop_after_failed_first_connect);
  EXPECT_FALSE(p3.clean_start_for(false));  // 3.1.1: the clean_session flag, every attempt
  EXPECT_FALSE(p3.clean_start_for(true));
  s3.session.maximum_packet_size = 4096;
  s3.reconnect.first_connect_failure = scenario::FirstConnectFailure::Stop;
  s3.reconnect.jitter = scenario::Jitter::DecorrelatedTextbook;
  FleetPlan q3(s3);
  EXPECT_EQ(q3.receive_limit, 4096u);
  EXPECT_FALSE(q3.maximum_packet_size.has_value());  // never sent by a 3.1.1 CONNECT
  EXPECT_TRUE(q3.stop_after_failed_first_connect);
  EXPECT_EQ(q3.backoff.mode, JitterMode::DecorrelatedTextbook);

  auto s5 = test::make_scenario(mqtt::Version::V5);
  s5.session.maximum_packet_size = 4096;
  s5.reconnect.jitter = scenario::Jitter::Decorrelated;
  FleetPlan p5(s5);
  EXPECT_EQ(p5.receive_limit, 4096u);
  EXPECT_EQ(p5.maximum_packet_size, 4096u);
  EXPECT_EQ(p5.backoff.mode, JitterMode::Decorrelated);
  EXPECT_EQ(p5.inbound_receive_maximum(), 65535);
  using B = scenario::SessionBehavior;
  const std::pair<B, std::pair<bool, bool>> expected[] = {
      {B::Clean, {true, true}}, {B::RejoinPostSuccess, {true, false}}, {B::RejoinAlways, {false, false}}};
  for (const auto& [b, clean] : expected) {
    s5.session.session_behavior = b;
    FleetPlan p(s5);
    EXPECT_EQ(p.clean_start_for(false), clean.first) << scenario::to_string(b);
    EXPECT_EQ(p.clean_start_for(true), clean.second) << scenario::to_string(b);
  }
}

// Shared filters keep loss tracking on: they are booked per share group (share_books.hpp).
TEST(DevicePlan, SharedSubscriptionsAreMarkedForTheirShareGroup) {
  auto s = test::make_scenario(mqtt::Version::V5, 10);
  test::add_subscribe(s, "t/own", 1);
  test::add_subscribe(s, "$share/g/t/#", 1);
  FleetPlan p(s);
  EXPECT_TRUE(p.track_loss);
  EXPECT_FALSE(p.subscriptions[0].shared);
  EXPECT_TRUE(p.subscriptions[1].shared);
  EXPECT_EQ(p.shared_filters, 2u);
  EXPECT_FALSE(p.all_filters_shared);
}

}  // namespace
}  // namespace fleetload::device
