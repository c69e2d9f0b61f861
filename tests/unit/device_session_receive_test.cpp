// Device session, receive side: end-to-end latency, loss / duplicates / reordering per
// publisher, inbound QoS 1/2 acknowledgement, end-of-run finalisation.
#include <gtest/gtest.h>

#include <vector>

#include "device/payload.hpp"
#include "device/subscription_clock.hpp"
#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using mqtt::PacketType;
using test::Harness;

mqtt::Publish message(std::vector<std::uint8_t>& buf, std::uint32_t pub, std::uint64_t seq,
                      std::uint64_t sent_ns, mqtt::QoS q = mqtt::QoS::AtMostOnce, std::uint16_t id = 0) {
  mqtt::Publish p;
  p.topic = "t/x";
  p.qos = q;
  p.packet_id = id;
  p.payload = build_payload(buf, 64, PayloadHeader{pub, seq, sent_ns});
  return p;
}

TEST(DeviceSessionReceive, SubscriberCountsLatencyLossDuplicatesAndReordering) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  test::add_publish(s, 1.0, 0, "t/{index}");
  test::add_subscribe(s, "t/+", 1);
  Harness h(s, 9);
  h.start();
  std::vector<std::uint8_t> buf;
  const std::uint64_t sent = h.wall_ns - 5'000'000;  // sent 5 ms ago
  for (std::uint64_t seq : {1, 2, 4, 3, 3, 6})
    h.feed(message(buf, 3, seq, sent, mqtt::QoS::AtLeastOnce, static_cast<std::uint16_t>(seq + 100)));
  auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_received, 6u);
  EXPECT_EQ(snap.messages_out_of_order, 1u);
  // Granted and delivered at QoS 1 (at least once): the second 3 is a duplicate it allows.
  EXPECT_EQ(snap.messages_duplicated, 0u);
  EXPECT_EQ(snap.messages_duplicated_qos1, 1u);
  EXPECT_EQ(snap.messages_lost, 0u);  // 5 may still come
  EXPECT_EQ(snap.e2e_latency.count, 6u);
  EXPECT_NEAR(static_cast<double>(snap.e2e_latency.percentile(0.5)), 5e6, 5e6 * 0.01);
  EXPECT_EQ(h.count_pubacks_of(PacketType::Puback), 6u);
  // End of run: publisher 3 sent 8, publisher 5 sent 4 and was never seen (its topic matches).
  std::vector<std::uint64_t> last(10, 0);
  last[3] = 8;
  last[5] = 4;
  h.session.finalize_receive(*h.stats, last);
  snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_lost, 3u + 4u);  // 5, 7, 8 of publisher 3; all of publisher 5
  EXPECT_EQ(snap.messages_lost_qos0, 3u + 4u);  // a QoS 0 stream: at most once
}

// Owed is what a publisher sent while the broker held the subscription: after the SUBACK,
// until the connection was lost, and again after the resubscription of a clean session.
// Publishers 3 and 5 "send" through the run's subscription clock as the session would.
TEST(DeviceSessionReceive, OnlyWhatWasSentWhileSubscribedIsOwed) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  test::add_publish(s, 1.0, 0, "t/{index}");
  test::add_subscribe(s, "t/+", 1);
  Harness h(s, 9);
  SubscriptionClock clock(10);
  h.plan.clock = &clock;
  auto send = [&](std::uint32_t pub, std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t q = from; q <= to; ++q) clock.on_send(h.plan.clock_slot(pub), q);
  };
  std::vector<std::uint8_t> buf;
  auto deliver = [&](std::uint32_t pub, std::uint64_t seq) { h.feed(message(buf, pub, seq, h.wall_ns)); };
  send(5, 1, 4);  // before the subscriber exists
  send(3, 1, 3);
  h.start();      // CONNACK, SUBSCRIBE, SUBACK
  ASSERT_EQ(h.session.state(), State::Connected);
  send(5, 5, 6);  // owed, never delivered
  send(3, 4, 8);
  for (std::uint64_t q : {5, 6, 8}) deliver(3, q);  // 4 and 7 missing
  // The broker drops the subscriber; the clean session resubscribes.
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::SocketError, {}); });
  send(5, 7, 8);   // sent while it was not subscribed: not owed
  send(3, 9, 10);
  h.advance(std::chrono::seconds(10));  // past the reconnect delay: CONNACK (no session), SUBACK again
  ASSERT_EQ(h.session.state(), State::Connected);
  send(5, 9, 9);   // owed, never delivered
  send(3, 11, 12);
  deliver(3, 12);  // 11 missing
  std::vector<std::uint64_t> last(10, 0);
  last[3] = 12;
  last[5] = 9;
  h.session.finalize_receive(*h.stats, last);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_received, 4u);
  // publisher 5: 5, 6, 9; publisher 3: 7 (between delivered ones) and 11. Publisher 3's
  // seq 4 (owed in interval 1, before the first delivered there) is the documented gap:
  // an interval that is not the publisher's last seen is settled only between deliveries.
  EXPECT_EQ(snap.messages_lost, 5u);
  EXPECT_EQ(snap.messages_duplicated, 0u);
}

// With the filters split over several SUBSCRIBEs (session.subscribe_batch), the broker
// holds a later batch's filters only from that batch's SUBACK: what publishers sent between
// the first SUBACK and the last is not owed (it could not have matched yet).
TEST(DeviceSessionReceive, BatchedSubscribesOweFromTheLastSuback) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  test::add_publish(s, 1.0, 0, "t/{index}");
  test::add_subscribe(s, "other/+", 1);  // batch 1: matches no publisher
  test::add_subscribe(s, "t/+", 1);      // batch 2
  s.session.subscribe_batch = 1;
  Harness h(s, 9);
  SubscriptionClock clock(10);
  h.plan.clock = &clock;
  h.auto_suback = false;
  auto suback_last = [&] {
    const auto sub = std::get<mqtt::Subscribe>(*h.last_of(PacketType::Subscribe));
    mqtt::Suback a;
    a.packet_id = sub.packet_id;
    a.reason_codes.assign(sub.subscriptions.size(), 1);
    h.feed(mqtt::Packet(std::move(a)));
  };
  h.start();
  ASSERT_EQ(h.count(PacketType::Subscribe), 1u);
  suback_last();  // batch 1 granted; batch 2 goes out
  ASSERT_EQ(h.count(PacketType::Subscribe), 2u);
  for (std::uint64_t q = 1; q <= 2; ++q) clock.on_send(h.plan.clock_slot(3), q);  // "t/+" not held yet
  suback_last();
  std::vector<std::uint8_t> buf;
  for (std::uint64_t q = 3; q <= 4; ++q) {
    clock.on_send(h.plan.clock_slot(3), q);
    h.feed(message(buf, 3, q, h.wall_ns));
  }
  std::vector<std::uint64_t> last(10, 0);
  last[3] = 4;
  h.session.finalize_receive(*h.stats, last);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_received, 2u);
  EXPECT_EQ(snap.messages_lost, 0u);  // 1 and 2 were sent before "t/+" was held
}

// A resumed session (CONNACK session present) continues the subscription interval: what
// was sent while the subscriber was away is owed (the broker queued it), and a message the
// broker redelivers after the reconnect fills its gap instead of starting over.
TEST(DeviceSessionReceive, AResumedSessionOwesWhatWasSentWhileAway) {
  auto s = test::make_scenario(mqtt::Version::V311);  // clean_session false
  test::add_publish(s, 1.0, 0, "t/{index}");
  test::add_subscribe(s, "t/+", 1);
  Harness h(s, 9);
  SubscriptionClock clock(10);
  h.plan.clock = &clock;
  auto send = [&](std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t q = from; q <= to; ++q) clock.on_send(h.plan.clock_slot(3), q);
  };
  std::vector<std::uint8_t> buf;
  auto deliver = [&](std::uint64_t seq) { h.feed(message(buf, 3, seq, h.wall_ns)); };
  h.start();
  send(1, 4);
  for (std::uint64_t q : {1, 2, 4}) deliver(q);  // 3 still on its way when the link drops
  h.connack.session_present = true;
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::SocketError, {}); });
  send(5, 7);  // while away: queued by the broker
  h.advance(std::chrono::seconds(10));
  ASSERT_EQ(h.session.state(), State::Connected);
  for (std::uint64_t q : {3, 5, 6}) deliver(q);  // 3 redelivered; the queued ones
  send(8, 9);
  deliver(9);  // 7 and 8 never come
  std::vector<std::uint64_t> last(10, 0);
  last[3] = 9;
  h.session.finalize_receive(*h.stats, last);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_received, 7u);
  EXPECT_EQ(snap.messages_lost, 2u);  // 7 and 8; not 3
  EXPECT_EQ(snap.messages_duplicated, 0u);
}

// A second run against the same broker: the first run's retained copy and its queued
// messages carry another run id; a retained copy of this run carries RETAIN. None of them is
// a duplicate, a latency or a start of tracking; each is counted apart.
TEST(DeviceSessionReceive, EarlierRunAndRetainedDeliveriesStayOutOfTheBooks) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  test::add_publish(s, 1.0, 0, "t/{index}");
  test::add_subscribe(s, "t/+", 1);
  Harness h(s, 9);
  h.plan.run_id = 0x2222;
  h.start();
  std::vector<std::uint8_t> buf;
  auto from_run = [&](std::uint32_t run, std::uint64_t seq, std::uint64_t sent, bool retain) {
    mqtt::Publish p;
    p.topic = "t/3";
    p.retain = retain;
    p.payload = build_payload(buf, 64, PayloadHeader{3, seq, sent, run});
    h.feed(p);
  };
  const std::uint64_t long_ago = h.wall_ns - 60'000'000'000ull;  // a minute old
  from_run(0x1111, 40, long_ago, true);   // the earlier run's retained message
  from_run(0x1111, 41, long_ago, false);  // queued for a persistent session
  from_run(0x2222, 1, h.wall_ns - 1'000'000, false);
  from_run(0x2222, 2, h.wall_ns - 1'000'000, false);
  from_run(0x2222, 2, long_ago, true);  // this run's seq 2 again, from the retained store
  from_run(0x2222, 3, h.wall_ns - 1'000'000, false);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_received, 6u);
  EXPECT_EQ(snap.messages_from_earlier_run, 2u);
  EXPECT_EQ(snap.retained_received, 2u);
  EXPECT_EQ(snap.messages_duplicated, 0u);
  EXPECT_EQ(snap.messages_out_of_order, 0u);
  EXPECT_EQ(snap.e2e_latency.count, 3u);
  EXPECT_LE(snap.e2e_latency.max, 2'000'000u);  // no minute-old latency
}

// The drain gave up while deliveries were still arriving: what is missing then was not yet
// delivered, not lost.
TEST(DeviceSessionReceive, MissingAtATimedOutDrainIsNotYetDelivered) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  test::add_publish(s, 1.0, 0, "t/{index}");
  test::add_subscribe(s, "t/+", 1);
  Harness h(s, 9);
  h.start();
  std::vector<std::uint8_t> buf;
  for (std::uint64_t seq : {1, 2, 3}) h.feed(message(buf, 3, seq, h.wall_ns));
  std::vector<std::uint64_t> last(10, 0);
  last[3] = 10;
  h.session.finalize_receive(*h.stats, last, /*still_arriving=*/true);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_not_yet_delivered, 7u);
  EXPECT_EQ(snap.messages_lost, 0u);
}

// A filter the SUBACK refused holds no subscription: the publishers only it matched were
// never owed to the subscriber, so their messages are counted apart, not lost.
TEST(DeviceSessionReceive, RefusedFilterIsNotLoss) {
  auto s = test::make_scenario(mqtt::Version::V311, 10);
  test::add_publish(s, 1.0, 0, "t/{index}");
  test::add_subscribe(s, "t/3", 1);
  test::add_subscribe(s, "t/5", 1);
  Harness h(s, 9);
  h.auto_suback = false;
  h.start();
  const auto sub = h.last_of(PacketType::Subscribe);
  ASSERT_TRUE(sub);
  mqtt::Suback sa;
  sa.packet_id = std::get<mqtt::Subscribe>(*sub).packet_id;
  sa.reason_codes = {0x01, 0x80};  // t/3 granted, t/5 refused
  h.feed(sa);
  std::vector<std::uint64_t> last(10, 0);
  last[3] = 6;
  last[5] = 4;
  h.session.finalize_receive(*h.stats, last);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_lost, 6u);  // all of t/3, nothing of t/5
  EXPECT_EQ(snap.messages_not_subscribed, 4u);
  EXPECT_EQ(snap.subscribers_unsubscribed, 0u);
  EXPECT_EQ(snap.subscribe_filters_failed, 1u);
}

TEST(DeviceSessionReceive, SubscriberWithoutSubackIsNotSubscribed) {
  auto s = test::make_scenario(mqtt::Version::V5, 10);
  test::add_publish(s, 1.0, 0, "t/{index}");
  test::add_subscribe(s, "t/+", 1);
  Harness h(s, 9);
  h.auto_suback = false;
  h.start();
  std::vector<std::uint64_t> last(10, 0);
  last[3] = 6;
  h.session.finalize_receive(*h.stats, last);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_lost, 0u);
  EXPECT_EQ(snap.messages_not_subscribed, 6u);
  EXPECT_EQ(snap.subscribers_unsubscribed, 1u);
}

TEST(DeviceSessionReceive, InboundQos2IsDeliveredOnce) {
  auto s = test::make_scenario(mqtt::Version::V5, 2);
  test::add_subscribe(s, "t/#", 2);
  Harness h(s, 1);
  h.start();
  std::vector<std::uint8_t> buf;
  h.feed(message(buf, 0, 1, h.wall_ns, mqtt::QoS::ExactlyOnce, 9));
  h.feed(message(buf, 0, 1, h.wall_ns, mqtt::QoS::ExactlyOnce, 9));  // re-sent before PUBREL
  EXPECT_EQ(h.count_pubacks_of(PacketType::Pubrec), 2u);
  mqtt::PubAck rel;
  rel.type = PacketType::Pubrel;
  rel.packet_id = 9;
  h.feed(rel);
  EXPECT_EQ(h.count_pubacks_of(PacketType::Pubcomp), 1u);
  auto comp = h.last_of(PacketType::Pubcomp);
  EXPECT_EQ(std::get<mqtt::PubAck>(*comp).reason_code, 0);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_received, 1u);
  EXPECT_EQ(snap.messages_duplicated, 0u);
  // The same packet id after PUBCOMP is a new message (here: a true duplicate of seq 1).
  h.feed(message(buf, 0, 1, h.wall_ns, mqtt::QoS::ExactlyOnce, 9));
  EXPECT_EQ(snapshot(*h.stats).messages_duplicated, 1u);
}

TEST(DeviceSessionReceive, SharedSubscriptionsSkipLossAccounting) {
  auto s = test::make_scenario(mqtt::Version::V5, 2);
  test::add_subscribe(s, "$share/g/t/#", 1);
  Harness h(s, 1);
  h.start();
  std::vector<std::uint8_t> buf;
  h.feed(message(buf, 0, 1, h.wall_ns));
  h.feed(message(buf, 0, 5, h.wall_ns));  // the rest went to other group members
  std::vector<std::uint64_t> last{9, 0};
  h.session.finalize_receive(*h.stats, last);
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_received, 2u);
  EXPECT_EQ(snap.messages_lost, 0u);
  EXPECT_EQ(snap.e2e_latency.count, 2u);
}

TEST(DeviceSessionReceive, InboundTopicAliasBeyondOurMaximumIsDisconnectedWith0x94) {
  auto s = test::make_scenario(mqtt::Version::V5, 2);
  s.session.topic_alias_maximum = 4;
  test::add_subscribe(s, "t/#", 0);
  Harness h(s, 1);
  h.start();
  std::vector<std::uint8_t> buf;
  auto m = message(buf, 0, 1, h.wall_ns);
  m.properties.topic_alias = 4;
  h.feed(m);
  EXPECT_EQ(snapshot(*h.stats).topic_alias_invalid, 0u);
  EXPECT_EQ(h.session.state(), State::Connected);
  m.properties.topic_alias = 5;
  h.feed(m);
  // 5.0 §3.3.2.3.4: DISCONNECT with Topic Alias invalid, then close; the message is not taken.
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.topic_alias_invalid, 1u);
  EXPECT_EQ(snap.messages_received, 1u);
  EXPECT_EQ(snap.drops_by_reason[static_cast<std::size_t>(DropReason::ProtocolError)], 1u);
  EXPECT_EQ(h.closes, 1);
  auto d = h.last_of(PacketType::Disconnect);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::get<mqtt::Disconnect>(*d).reason_code, 0x94);
}

}  // namespace
}  // namespace fleetload::device
