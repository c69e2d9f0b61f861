// The per-connection publish limit (session.publish_limit; on AWS IoT Core endpoints its
// quota of 100 publishes per second per connection): the plan's gap, and a session that
// never puts two PUBLISHes closer than it, whatever its schedule, queue or reconnects ask.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using namespace std::chrono_literals;
using mqtt::PacketType;
using test::Harness;

// The times of the PUBLISH packets the session wrote, in order.
std::vector<TimePoint> publish_times(const Harness& h) {
  std::vector<TimePoint> t;
  for (auto i : h.of_type(PacketType::Publish)) t.push_back(h.sent_at.at(i));
  return t;
}

// The most PUBLISHes in any half-open window [t, t + 1 s) that starts at a publish.
std::size_t most_in_one_second(const std::vector<TimePoint>& t) {
  std::size_t most = 0;
  for (std::size_t i = 0, j = 0; i < t.size(); ++i) {
    while (j < t.size() && t[j] < t[i] + 1s) ++j;
    most = std::max(most, j - i);
  }
  return most;
}

TEST(PublishLimitPlan, AwsIotCoreEndpointsGetOneHundredPerSecondOthersNone) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 1.0, 1);
  EXPECT_EQ(FleetPlan(s).publish_gap.count(), 0);
  s.target.endpoints = {{"a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com", 8883}};
  EXPECT_EQ(FleetPlan(s).publish_gap, std::chrono::nanoseconds(10ms));
  s.session.publish_limit = scenario::Rate{40.0};  // an explicit limit wins, anywhere
  EXPECT_EQ(FleetPlan(s).publish_gap, std::chrono::nanoseconds(25ms));
  s.target.endpoints = {{"127.0.0.1", 1883}};
  EXPECT_EQ(FleetPlan(s).publish_gap, std::chrono::nanoseconds(25ms));
}

TEST(PublishLimit, ScheduleAboveTheLimitIsHeldToItAndNeverBursts) {
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_publish(s, 250.0, 0);
  s.session.publish_limit = scenario::Rate{100.0};
  Harness h(s);
  h.start();
  h.advance_ticks(10s, 1ms);  // the worker's timer tick
  const auto t = publish_times(h);
  // At most 100/s; at least 1 per gap plus one tick (the held publish goes at the tick
  // after the gap ends).
  ASSERT_GE(t.size(), 900u);
  EXPECT_LE(t.size(), 1001u);
  for (std::size_t i = 1; i < t.size(); ++i) ASSERT_GE(t[i] - t[i - 1], 10ms) << "publish " << i;
  EXPECT_LE(most_in_one_second(t), 100u);
  const auto snap = snapshot(*h.stats);
  EXPECT_GT(snap.publishes_held_by_limit, 0u);
  // Held, not lost: every publish requested went out.
  EXPECT_EQ(snap.publish_requests[0], snap.publishes_sent[0]);
}

TEST(PublishLimit, BelowTheLimitTheScheduleIsUntouched) {
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_publish(s, 50.0, 0);
  s.session.publish_limit = scenario::Rate{100.0};
  Harness h(s);
  h.start();
  h.advance(20s);
  EXPECT_NEAR(static_cast<double>(h.count(PacketType::Publish)), 1000.0, 1.0);
  EXPECT_EQ(snapshot(*h.stats).publishes_held_by_limit, 0u);
}

TEST(PublishLimit, QueueDrainedAfterAReconnectGoesOutAtTheLimit) {
  // QoS 1 publishes queued while offline must not leave as one burst on the reconnect.
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 100.0, 1);
  s.session.publish_limit = scenario::Rate{50.0};
  Harness h(s);
  h.start();
  h.advance_ticks(1s, 1ms);
  h.auto_transport = false;  // the reconnect's transport comes up when the test says
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance_ticks(3s, 1ms);
  ASSERT_EQ(h.opens, 2) << "the reconnect was requested";
  const auto queued = snapshot(*h.stats).offline_queued;
  ASSERT_GE(queued, 200) << "100/s queued for 3 s";
  const std::size_t before = h.count(PacketType::Publish);
  h.call([&](Context& c) { h.session.on_transport_up(c); });  // CONNECT, CONNACK
  h.advance_ticks(3s, 1ms);
  std::vector<TimePoint> t = publish_times(h);
  t.erase(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(before));
  EXPECT_GE(t.size(), 149u);  // 3 s at 50/s
  EXPECT_LE(t.size(), 151u);
  for (std::size_t i = 1; i < t.size(); ++i) ASSERT_GE(t[i] - t[i - 1], 20ms) << "publish " << i;
}

}  // namespace
}  // namespace fleetload::device
