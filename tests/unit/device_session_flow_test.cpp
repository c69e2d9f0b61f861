// Device session, publish side: schedule and rate, QoS 1/2 flows, ack latency and timeouts
// with balanced books, CONNACK limits (Receive Maximum, Maximum QoS, Retain Available, Topic
// Alias Maximum, Maximum Packet Size), offline queue, retransmission.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "device/payload.hpp"
#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using namespace std::chrono_literals;
using mqtt::PacketType;
using test::Harness;

std::size_t fail(PublishFailReason r) { return static_cast<std::size_t>(r); }

std::vector<mqtt::Publish> publishes(const Harness& h, std::vector<mqtt::Packet>& keep) {
  std::vector<mqtt::Publish> out;
  for (auto i : h.of_type(PacketType::Publish)) {
    keep.push_back(h.packet(i));
    out.push_back(std::get<mqtt::Publish>(keep.back()));
  }
  return out;
}

// requests == acked + timed out + failed + in flight + queued, for QoS q.
void expect_books_balance(const StatsSnapshot& s, unsigned q) {
  const auto pending = static_cast<std::uint64_t>(s.in_flight + s.offline_queued);
  EXPECT_EQ(s.publish_requests[q], s.publishes_acked[q] + s.ack_timeouts[q] +
                                       s.publishes_failed_by_qos[q] + pending)
      << "requested " << s.publish_requests[q] << " acked " << s.publishes_acked[q] << " timed out "
      << s.ack_timeouts[q] << " failed " << s.publishes_failed_by_qos[q] << " pending " << pending;
}

TEST(DeviceSessionPublish, RateHoldsWithinOnePercentWithALateTimer) {
  auto s = test::make_scenario(mqtt::Version::V311, 40);
  test::add_publish(s, 10.0, 0);
  std::uint64_t total = 0, late = 0;
  std::vector<double> first_offsets;
  for (std::uint32_t d = 0; d < 40; ++d) {
    Harness h(s, d, 1000 + d);
    h.start();
    // The first publish is due at a random phase after the CONNACK.
    first_offsets.push_back(std::chrono::duration<double, std::milli>(h.session.deadline() - h.now).count());
    h.advance_ticks(60s, 7ms);  // the engine looks only every 7 ms
    total += h.count(PacketType::Publish);
    late += snapshot(*h.stats).publishes_late;
  }
  const double expected = 40 * 10.0 * 60;
  EXPECT_NEAR(static_cast<double>(total), expected, expected * 0.01);
  EXPECT_EQ(late, 0u);  // 7 ms late is within one 100 ms interval
  // Random phases: the first publishes spread over the whole first interval.
  std::sort(first_offsets.begin(), first_offsets.end());
  EXPECT_LT(first_offsets.front(), 20.0);
  EXPECT_GT(first_offsets.back(), 80.0);
  EXPECT_LT(first_offsets.back(), 100.0);
  const auto distinct = std::unique(first_offsets.begin(), first_offsets.end()) - first_offsets.begin();
  EXPECT_EQ(distinct, 40);
}

TEST(DeviceSessionPublish, ScheduleDoesNotDriftAndSkipsWhenHopelesslyBehind) {
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_publish(s, 100.0, 0);
  Harness h(s);
  h.start();
  h.advance(100s);
  EXPECT_NEAR(static_cast<double>(h.count(PacketType::Publish)), 10000.0, 1.0);
  // A thread that stalls for 10 s catches up at most 64 publishes, skips and counts the rest.
  const auto before = h.count(PacketType::Publish);
  h.advance_ticks(10s, 10s);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(h.count(PacketType::Publish) - before, 64u);
  EXPECT_NEAR(static_cast<double>(snap.publish_slots_skipped), 1000.0 - 64.0, 2.0);
  EXPECT_GE(snap.publishes_late, 60u);
}

TEST(DeviceSessionPublish, PoissonArrivalsHaveTheRateAndExponentialGaps) {
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_publish(s, 20.0, 0);
  s.publish.front().arrival = scenario::Arrival::Poisson;
  Harness h(s);
  h.start();
  h.advance(1000s);
  const auto pubs = h.of_type(PacketType::Publish);
  EXPECT_NEAR(static_cast<double>(pubs.size()), 20000.0, 600.0);  // ~4 standard deviations
  double sum = 0, sum2 = 0;
  for (std::size_t i = 1; i < pubs.size(); ++i) {
    const double g = std::chrono::duration<double, std::milli>(h.sent_at[pubs[i]] - h.sent_at[pubs[i - 1]]).count();
    sum += g;
    sum2 += g * g;
  }
  const double n = static_cast<double>(pubs.size() - 1);
  const double mean = sum / n;
  const double sd = std::sqrt(sum2 / n - mean * mean);
  EXPECT_NEAR(mean, 50.0, 2.0);
  EXPECT_NEAR(sd / mean, 1.0, 0.05);  // exponential: coefficient of variation 1
}

TEST(DeviceSessionPublish, PayloadCarriesPublisherSequenceAndSendTime) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  test::add_publish(s, 1.0, 1);
  s.publish.front().payload.size = 128;
  Harness h(s, 4);
  h.start();
  h.advance(3s);
  std::vector<mqtt::Packet> keep;
  const auto pubs = publishes(h, keep);
  ASSERT_EQ(pubs.size(), 3u);
  for (std::size_t i = 0; i < pubs.size(); ++i) {
    EXPECT_EQ(pubs[i].topic, "t/4");
    EXPECT_EQ(pubs[i].payload.size(), 128u);
    const auto hdr = read_payload_header(pubs[i].payload);
    ASSERT_TRUE(hdr.has_value());
    EXPECT_EQ(hdr->publisher, 4u);
    EXPECT_EQ(hdr->seq, i + 1);
  }
  EXPECT_EQ(h.session.last_sequence(), 3u);
}

TEST(DeviceSessionPublish, PayloadTemplateIsRendered) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  test::add_publish(s, 1.0, 0, "d/{client_id}");
  s.publish.front().payload.template_text = "{\"id\":\"{client_id}\",\"seq\":{seq}}";
  s.publish.front().payload.accounting_header = false;
  Harness h(s, 2);
  h.start();
  h.advance(2s);
  std::vector<mqtt::Packet> keep;
  const auto pubs = publishes(h, keep);
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[1].topic, "d/dev-2");
  EXPECT_EQ(std::string(pubs[1].payload.begin(), pubs[1].payload.end()), "{\"id\":\"dev-2\",\"seq\":2}");
}

TEST(DeviceSessionPublish, Qos1AckLatencyIsMeasured) {
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_publish(s, 1.0, 1);
  Harness h(s);
  h.auto_ack = false;
  h.start();
  h.advance(1s);  // the first publish is somewhere in this second
  ASSERT_EQ(h.count(PacketType::Publish), 1u);
  const TimePoint sent = h.sent_at[h.of_type(PacketType::Publish)[0]];
  h.now = sent + 37ms;
  EXPECT_EQ(h.ack_new_publishes([](const mqtt::Publish&) { return true; }), 1u);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.publishes_acked[1], 1u);
  EXPECT_EQ(snap.in_flight, 0);
  EXPECT_NEAR(static_cast<double>(snap.ack_latency.percentile(0.5)), 37e6, 37e6 * 0.01);
}

TEST(DeviceSessionPublish, AckTimeoutsAreCountedAndBooksBalance) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.ack_timeout = 1000ms;
  test::add_publish(s, 10.0, 1);
  Harness h(s);
  h.auto_ack = false;
  h.start();
  for (int i = 0; i < 100; ++i) {
    h.advance(100ms);
    h.ack_new_publishes([](const mqtt::Publish& p) { return p.packet_id % 3 != 0; });
  }
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.publish_requests[1], 100u);
  EXPECT_GE(snap.ack_timeouts[1], 25u);  // every third one, but those still in flight
  EXPECT_GE(snap.publishes_acked[1], 60u);
  expect_books_balance(snap, 1);
  EXPECT_EQ(snap.unexpected_acks, 0u);
  // A late PUBACK for a timed-out message is unexpected, not double counted.
  mqtt::PubAck late;
  late.packet_id = 3;
  h.feed(late);
  EXPECT_EQ(snapshot(*h.stats).unexpected_acks, 1u);
  expect_books_balance(snapshot(*h.stats), 1);
}

TEST(DeviceSessionPublish, PubackForQos2IsTheBrokersDowngradeAndFreesTheSlot) {
  // RabbitMQ has no QoS 2: it answers a QoS 2 PUBLISH with PUBACK. The message was accepted;
  // left in flight waiting for a PUBREC that never comes, it would fail at shutdown and
  // block the window.
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_publish(s, 10.0, 2);
  Harness h(s);
  h.auto_ack = false;
  h.start();
  std::size_t scan = 0, answered = 0;
  for (int i = 0; i < 30; ++i) {
    h.advance(100ms);
    for (; scan < h.sent.size(); ++scan) {
      const mqtt::Packet p = h.packet(scan);
      const auto* pub = std::get_if<mqtt::Publish>(&p);
      if (!pub || pub->qos != mqtt::QoS::ExactlyOnce) continue;
      mqtt::PubAck a;
      a.type = PacketType::Puback;
      a.packet_id = pub->packet_id;
      h.feed(a);
      ++answered;
    }
  }
  const auto snap = snapshot(*h.stats);
  ASSERT_GE(answered, 25u);
  EXPECT_EQ(snap.publishes_acked[2], answered);
  EXPECT_EQ(snap.qos2_answered_with_puback, answered);
  EXPECT_EQ(snap.unexpected_acks, 0u);
  EXPECT_EQ(snap.in_flight, 0);
  EXPECT_EQ(h.count_pubacks_of(PacketType::Pubrel), 0u);  // no second half for a QoS 1 answer
  expect_books_balance(snap, 2);
  // A PUBACK for an id not in flight is still unexpected.
  mqtt::PubAck stray;
  stray.type = PacketType::Puback;
  stray.packet_id = 999;
  h.feed(stray);
  EXPECT_EQ(snapshot(*h.stats).unexpected_acks, 1u);
}

TEST(DeviceSessionPublish, ReceiveMaximumCapsInFlight) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 100.0, 1);
  Harness h(s);
  h.auto_ack = false;
  h.connack.properties.receive_maximum = 2;
  h.start();
  h.advance(1s);
  EXPECT_EQ(h.count(PacketType::Publish), 2u);
  auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.in_flight, 2);
  EXPECT_GE(snap.flow_control_stalls, 90u);
  EXPECT_EQ(snap.offline_queued, static_cast<std::int64_t>(snap.publish_requests[1] - 2));
  expect_books_balance(snap, 1);
  // One ack opens the window for exactly one more.
  h.ack_new_publishes([](const mqtt::Publish& p) { return p.packet_id == 1; });
  EXPECT_EQ(h.count(PacketType::Publish), 3u);
  EXPECT_EQ(snapshot(*h.stats).in_flight, 2);
}

TEST(DeviceSessionPublish, Qos2ExchangeCompletes) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 1.0, 2);
  Harness h(s);
  h.start();
  h.advance(1s);
  ASSERT_EQ(h.count(PacketType::Publish), 1u);
  EXPECT_EQ(h.count_pubacks_of(PacketType::Pubrel), 1u);  // PUBREC answered with PUBREL
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.publishes_acked[2], 1u);  // PUBCOMP completes it
  EXPECT_EQ(snap.in_flight, 0);
  EXPECT_EQ(snap.ack_latency.count, 1u);
  expect_books_balance(snap, 2);
}

TEST(DeviceSessionPublish, MaximumQosDowngradesPublishes) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 1.0, 2);
  Harness h(s);
  h.connack.properties.maximum_qos = 1;
  h.start();
  h.advance(1s);
  std::vector<mqtt::Packet> keep;
  const auto pubs = publishes(h, keep);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].qos, mqtt::QoS::AtLeastOnce);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.qos_downgraded, 1u);
  EXPECT_EQ(snap.publish_requests[1], 1u);
  EXPECT_EQ(snap.publishes_acked[1], 1u);
}

TEST(DeviceSessionPublish, RetainIsClearedWhenTheServerHasNoRetain) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 1.0, 0);
  s.publish.front().retain = true;
  Harness h(s);
  h.connack.properties.retain_available = 0;
  h.start();
  h.advance(1s);
  std::vector<mqtt::Packet> keep;
  const auto pubs = publishes(h, keep);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_FALSE(pubs[0].retain);
  EXPECT_EQ(snapshot(*h.stats).retain_cleared, 1u);

  Harness r(s);  // and kept when the server has retain
  r.start();
  r.advance(1s);
  keep.clear();
  EXPECT_TRUE(publishes(r, keep).at(0).retain);
}

TEST(DeviceSessionPublish, TopicAliasReplacesTheTopicAfterTheFirstPublish) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 1.0, 0, "telemetry/{index}/data");
  s.publish.front().topic_alias = true;
  s.publish.front().user_properties = {{"k", "v"}};
  s.publish.front().content_type = "application/octet-stream";
  s.publish.front().message_expiry = std::chrono::seconds(30);
  Harness h(s);
  h.connack.properties.topic_alias_maximum = 10;
  h.start();
  h.advance(3s);
  std::vector<mqtt::Packet> keep;
  auto pubs = publishes(h, keep);
  ASSERT_EQ(pubs.size(), 3u);
  EXPECT_EQ(pubs[0].topic, "telemetry/0/data");
  EXPECT_EQ(pubs[0].properties.topic_alias, 1);
  EXPECT_EQ(pubs[1].topic, "");
  EXPECT_EQ(pubs[1].properties.topic_alias, 1);
  EXPECT_EQ(pubs[2].properties.user_properties.size(), 1u);
  EXPECT_EQ(pubs[2].properties.content_type, "application/octet-stream");
  EXPECT_EQ(pubs[2].properties.message_expiry_interval, 30u);
  EXPECT_EQ(snapshot(*h.stats).topic_alias_used, 2u);
  // A new connection starts a new alias mapping: the topic is sent again.
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance(2s);
  keep.clear();
  pubs = publishes(h, keep);
  const auto it = std::find_if(pubs.begin() + 3, pubs.end(), [](const mqtt::Publish& p) { return !p.topic.empty(); });
  EXPECT_NE(it, pubs.end());

  Harness no_alias(s);  // the server allows none: plain topics
  no_alias.start();
  no_alias.advance(2s);
  keep.clear();
  for (const auto& p : publishes(no_alias, keep)) {
    EXPECT_EQ(p.topic, "telemetry/0/data");
    EXPECT_FALSE(p.properties.topic_alias.has_value());
  }
}

TEST(DeviceSessionPublish, MaximumPacketSizeIsNeverExceeded) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 1.0, 1);
  s.publish.front().payload.size = 200;
  Harness h(s);
  h.connack.properties.maximum_packet_size = 100;
  h.start();
  h.advance(3s);
  EXPECT_EQ(h.count(PacketType::Publish), 0u);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.oversize_packets, 3u);
  EXPECT_EQ(snap.publishes_failed[fail(PublishFailReason::PacketTooLarge)], 3u);
  expect_books_balance(snap, 1);
}

TEST(DeviceSessionPublish, OfflineQueueKeepsQos1AndFailsQos0ByDefault) {
  for (std::uint8_t qos : {0, 1}) {
    auto s = test::make_scenario(mqtt::Version::V5);
    s.reconnect.jitter = scenario::Jitter::None;
    test::add_publish(s, 1.0, qos);
    Harness h(s);
    h.start();
    h.advance(5s);
    h.auto_transport = false;  // the broker is unreachable for a while
    h.call([&](Context& c) { h.session.drop(c); });
    h.advance(10s);
    auto snap = snapshot(*h.stats);
    if (qos == 0) {
      EXPECT_EQ(snap.publishes_failed[fail(PublishFailReason::OfflineQueuePolicy)], 10u);
      EXPECT_EQ(snap.offline_queued, 0);
    } else {
      EXPECT_EQ(snap.offline_queued, 10);
      expect_books_balance(snap, 1);
    }
    const auto sent_before = h.count(PacketType::Publish);
    h.auto_transport = true;
    h.call([&](Context& c) { h.session.on_transport_up(c); });
    EXPECT_EQ(h.session.state(), State::Connected);
    snap = snapshot(*h.stats);
    EXPECT_EQ(snap.offline_queued, 0);
    if (qos == 1) {
      EXPECT_EQ(h.count(PacketType::Publish) - sent_before, 10u);  // flushed on reconnect
      EXPECT_EQ(snap.publishes_acked[1], snap.publish_requests[1]);
      expect_books_balance(snap, 1);
    }
  }
}

TEST(DeviceSessionPublish, FailAllOnDisconnectFailsInFlightAndQueued) {
  auto s = test::make_scenario(mqtt::Version::V5);
  s.session.offline_queue = scenario::OfflineQueue::FailAllOnDisconnect;
  test::add_publish(s, 10.0, 1);
  Harness h(s);
  h.auto_ack = false;
  h.start();
  h.advance(1s);
  const auto in_flight = snapshot(*h.stats).in_flight;
  EXPECT_EQ(in_flight, 10);
  h.auto_transport = false;
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance(500ms);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.publishes_failed[fail(PublishFailReason::Disconnect)], 10u);
  EXPECT_GE(snap.publishes_failed[fail(PublishFailReason::OfflineQueuePolicy)], 4u);
  EXPECT_EQ(snap.in_flight, 0);
  expect_books_balance(snap, 1);
}

TEST(DeviceSessionPublish, FailNonQos1KeepsOnlyQos1WhileOffline) {
  for (std::uint8_t qos : {1, 2}) {
    auto s = test::make_scenario(mqtt::Version::V5);
    s.session.offline_queue = scenario::OfflineQueue::FailNonQos1PublishOnDisconnect;
    test::add_publish(s, 1.0, qos);
    Harness h(s);
    h.auto_ack = false;
    h.start();
    h.advance(2s);  // two in flight
    h.auto_transport = false;
    h.call([&](Context& c) { h.session.drop(c); });
    h.advance(3s);
    const auto snap = snapshot(*h.stats);
    if (qos == 1) {
      EXPECT_EQ(snap.in_flight, 2);  // kept for re-sending
      EXPECT_EQ(snap.offline_queued, 3);
      EXPECT_EQ(snap.publishes_failed_by_qos[1], 0u);
    } else {
      EXPECT_EQ(snap.in_flight, 0);
      EXPECT_EQ(snap.publishes_failed[fail(PublishFailReason::Disconnect)], 2u);
      EXPECT_EQ(snap.publishes_failed[fail(PublishFailReason::OfflineQueuePolicy)], 3u);
    }
    expect_books_balance(snap, qos);
  }
}

TEST(DeviceSessionPublish, InFlightIsResentWithDupAfterReconnect) {
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_publish(s, 1.0, 1);
  Harness h(s);
  h.auto_ack = false;
  h.start();
  h.advance(1s);
  ASSERT_EQ(h.count(PacketType::Publish), 1u);
  h.connack.session_present = true;
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance(5s);  // 3.1.1 min delay; the schedule keeps requesting meanwhile (queued)
  std::vector<mqtt::Packet> keep;
  const auto pubs = publishes(h, keep);
  ASSERT_GE(pubs.size(), 2u);
  EXPECT_FALSE(pubs[0].dup);
  EXPECT_TRUE(pubs[1].dup);
  EXPECT_EQ(pubs[1].packet_id, pubs[0].packet_id);
  const auto a = read_payload_header(pubs[0].payload);
  const auto b = read_payload_header(pubs[1].payload);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);  // the same message: same sequence and original send time
  EXPECT_EQ(snapshot(*h.stats).publishes_retransmitted, 1u);
  h.ack_new_publishes([](const mqtt::Publish&) { return true; });
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.in_flight, 0);
  expect_books_balance(snap, 1);
}

TEST(DeviceSessionPublish, StopFailsWhatIsPendingAsShutdown) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 10.0, 1);
  Harness h(s);
  h.auto_ack = false;
  h.start();
  h.advance(2s);
  h.call([&](Context& c) { h.session.stop(c); });
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.publishes_failed[fail(PublishFailReason::Shutdown)], 20u);
  EXPECT_EQ(snap.in_flight, 0);
  expect_books_balance(snap, 1);
}

TEST(DeviceSessionPublish, GracefulEndWaitsForAcks) {
  auto s = test::make_scenario(mqtt::Version::V5);
  test::add_publish(s, 10.0, 1);
  Harness h(s);
  h.auto_ack = false;
  h.start();
  h.advance(1s);
  h.session.stop_publishing();
  EXPECT_EQ(h.session.pending_publishes(), 10u);
  h.advance(5s);
  EXPECT_EQ(h.count(PacketType::Publish), 10u);  // no new publishes
  h.ack_new_publishes([](const mqtt::Publish&) { return true; });
  EXPECT_EQ(h.session.pending_publishes(), 0u);
  h.call([&](Context& c) { h.session.stop(c); });
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.publishes_acked[1], 10u);
  EXPECT_EQ(snap.publishes_failed_by_qos[1], 0u);
}

TEST(DeviceSessionPublish, BooksBalanceUnderChurnTimeoutsAndLoss) {
  auto s = test::make_scenario(mqtt::Version::V5, 20);
  s.session.ack_timeout = 2000ms;
  s.reconnect.min_delay = 200ms;
  s.reconnect.max_delay = 2000ms;
  test::add_publish(s, 5.0, 1);
  StatsSnapshot total;
  std::mt19937 rng(3);
  for (std::uint32_t d = 0; d < 20; ++d) {
    Harness h(s, d, 77 + d);
    h.auto_ack = false;
    h.start();
    for (int step = 0; step < 300; ++step) {
      h.advance(100ms);
      h.ack_new_publishes([&](const mqtt::Publish&) { return rng() % 10 < 8; });
      if (rng() % 40 == 0) h.call([&](Context& c) { h.session.drop(c); });
    }
    expect_books_balance(snapshot(*h.stats), 1);
    h.call([&](Context& c) { h.session.stop(c); });
    merge(total, snapshot(*h.stats));
  }
  expect_books_balance(total, 1);
  EXPECT_EQ(total.in_flight, 0);
  EXPECT_EQ(total.offline_queued, 0);
  EXPECT_GT(total.ack_timeouts[1], 0u);
  EXPECT_GT(total.drops, 0u);
  EXPECT_GT(total.publishes_acked[1], total.publish_requests[1] / 2);
}

}  // namespace
}  // namespace fleetload::device
