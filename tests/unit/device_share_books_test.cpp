// Books judged by what the protocol allows: shared subscriptions booked per share group
// across its members (device/share_books.hpp), and duplicates / loss by the QoS the
// subscriber's SUBACK granted (at least once may duplicate, at most once may lose).
#include <gtest/gtest.h>

#include <vector>

#include "device/payload.hpp"
#include "device/share_books.hpp"
#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using mqtt::PacketType;
using test::Harness;

mqtt::Publish message(std::vector<std::uint8_t>& buf, std::uint32_t pub, std::uint64_t seq, std::uint64_t sent_ns,
                      mqtt::QoS q = mqtt::QoS::AtMostOnce, std::uint16_t id = 0) {
  static const char* const kTopics[] = {"t/0", "t/1", "t/2"};  // Publish::topic is a view
  mqtt::Publish p;
  p.topic = kTopics[pub];
  p.qos = q;
  p.packet_id = id;
  p.payload = build_payload(buf, 64, PayloadHeader{pub, seq, sent_ns});
  return p;
}

// Connects, and answers the SUBSCRIBE of its one filter granting `code`.
void start_granting(Harness& h, std::uint8_t code) {
  h.auto_suback = false;
  h.start();
  mqtt::Suback sa;
  sa.packet_id = std::get<mqtt::Subscribe>(*h.last_of(PacketType::Subscribe)).packet_id;
  sa.reason_codes = {code};
  h.feed(sa);
}

TEST(ShareBooks, SplitsSharedFilters) {
  EXPECT_EQ(split_shared_filter("$share/g/t/#").first, "g");
  EXPECT_EQ(split_shared_filter("$share/g/t/#").second, "t/#");
  EXPECT_TRUE(split_shared_filter("t/#").first.empty());
  EXPECT_TRUE(split_shared_filter("$share//t").first.empty());
  EXPECT_TRUE(split_shared_filter("$share/g").first.empty());
}

// Two members of "$share/g/t/#": between them they got 1, 2, 3 and 4 twice of publisher 0's
// six messages. The group lost 5 and 6, once each — no member's own books could say so.
TEST(ShareBooks, LossAndDuplicatesAreCountedAcrossTheMembers) {
  auto s = test::make_scenario(mqtt::Version::V5, 3);
  test::add_publish(s, 1.0, 1, "t/{index}");
  test::add_subscribe(s, "$share/g/t/#", 1);
  ShareBooks books;
  Harness a(s, 1), b(s, 2);
  a.plan.share_books = &books;
  b.plan.share_books = &books;
  a.start();
  b.start();
  ASSERT_EQ(books.groups(), 1u);
  std::vector<std::uint8_t> buf;
  for (std::uint64_t seq : {1, 2, 4}) a.feed(message(buf, 0, seq, a.wall_ns, mqtt::QoS::AtLeastOnce, 7));
  for (std::uint64_t seq : {3, 4}) b.feed(message(buf, 0, seq, b.wall_ns, mqtt::QoS::AtLeastOnce, 7));
  // QoS 1 granted and delivered: the second copy of 4 is one the protocol allows.
  EXPECT_EQ(snapshot(*b.stats).messages_duplicated_qos1, 1u);
  EXPECT_EQ(snapshot(*b.stats).messages_duplicated, 0u);
  const std::vector<std::uint64_t> last{6, 0, 0};
  a.session.finalize_receive(*a.stats, last);
  b.session.finalize_receive(*b.stats, last);
  // Not the members' own loss: nothing was owed to either alone.
  EXPECT_EQ(snapshot(*a.stats).messages_lost, 0u);
  EXPECT_EQ(snapshot(*b.stats).messages_lost, 0u);
  EXPECT_EQ(snapshot(*a.stats).messages_out_of_order, 0u);
  const auto groups = books.settle(last, a.plan, true);
  ASSERT_EQ(groups.size(), 1u);
  const auto& g = groups[0];
  EXPECT_EQ(g.group, "g");
  EXPECT_EQ(g.filter, "t/#");
  EXPECT_EQ(g.members, 2u);
  EXPECT_EQ(g.publishes, 6u);
  EXPECT_EQ(g.expected, 6u);
  EXPECT_EQ(g.received, 5u);
  EXPECT_EQ(g.duplicated, 1u);
  EXPECT_EQ(g.lost, 2u);
  ASSERT_EQ(g.lost_by_stream.size(), 1u);
  EXPECT_EQ(g.lost_by_stream[0], 2u);
  EXPECT_FALSE(g.nothing_delivered());
  // In a sharded run the group's members and publishers are partly elsewhere: not judged.
  const auto sharded = books.settle(last, a.plan, false);
  EXPECT_EQ(sharded[0].lost, 0u);
  EXPECT_EQ(sharded[0].expected, 0u);
  EXPECT_EQ(sharded[0].received, 5u);
  EXPECT_FALSE(sharded[0].nothing_delivered());
}

// A broker without shared subscriptions grants the filter literally and delivers nothing.
TEST(ShareBooks, AGroupThatReceivedNothingItWasOwedIsNamed) {
  auto s = test::make_scenario(mqtt::Version::V311, 2);
  test::add_publish(s, 1.0, 1, "t/{index}");
  test::add_subscribe(s, "$share/g/t/#", 1);
  ShareBooks books;
  Harness a(s, 1);
  a.plan.share_books = &books;
  a.start();
  const std::vector<std::uint64_t> last{5, 0};
  a.session.finalize_receive(*a.stats, last);
  EXPECT_EQ(snapshot(*a.stats).subscribers_unsubscribed, 0u);  // it was subscribed, to a group
  const auto g = books.settle(last, a.plan, true).at(0);
  EXPECT_EQ(g.expected, 5u);
  EXPECT_EQ(g.lost, 5u);
  EXPECT_TRUE(g.nothing_delivered());
  // Not when the group was owed nothing (no publisher sent on its filter).
  EXPECT_FALSE(books.settle(std::vector<std::uint64_t>{0, 0}, a.plan, true).at(0).nothing_delivered());
}

// A subscriber with a shared and an own filter: deliveries on the shared one's topics go
// to the group, the rest to its own books (loss judged there as before).
TEST(ShareBooks, OwnFiltersKeepTheirOwnBooks) {
  auto s = test::make_scenario(mqtt::Version::V5, 3);
  test::add_publish(s, 1.0, 1, "t/{index}");
  test::add_subscribe(s, "$share/g/t/0", 1);
  test::add_subscribe(s, "t/1", 1);
  ShareBooks books;
  Harness a(s, 2);
  a.plan.share_books = &books;
  a.start();
  std::vector<std::uint8_t> buf;
  a.feed(message(buf, 0, 1, a.wall_ns, mqtt::QoS::AtLeastOnce, 3));
  a.feed(message(buf, 1, 1, a.wall_ns, mqtt::QoS::AtLeastOnce, 4));
  const std::vector<std::uint64_t> last{2, 3, 0};
  a.session.finalize_receive(*a.stats, last);
  EXPECT_EQ(snapshot(*a.stats).messages_lost, 2u);  // 2, 3 of publisher 1
  const auto g = books.settle(last, a.plan, true).at(0);
  EXPECT_EQ(g.expected, 2u);
  EXPECT_EQ(g.received, 1u);
  EXPECT_EQ(g.lost, 1u);  // 2 of publisher 0
}

// The SUBACK's grant caps the delivery QoS, and what a duplicate means follows from it:
// at QoS 1 (at least once) a second copy is allowed, at QoS 0 (at most once) it is not —
// even when the broker hands it over at a QoS above the grant.
TEST(GrantedQos, DuplicatesAreJudgedByTheGrantedQos) {
  struct Case {
    std::uint8_t requested, granted;
    mqtt::QoS delivered;
    bool allowed;
  };
  for (const Case c : {Case{1, 1, mqtt::QoS::AtLeastOnce, true}, Case{2, 1, mqtt::QoS::AtLeastOnce, true},
                       Case{2, 1, mqtt::QoS::ExactlyOnce, true}, Case{1, 0, mqtt::QoS::AtLeastOnce, false},
                       Case{0, 0, mqtt::QoS::AtMostOnce, false}}) {
    SCOPED_TRACE(testing::Message() << "requested " << int{c.requested} << " granted " << int{c.granted});
    auto s = test::make_scenario(mqtt::Version::V311, 2);
    test::add_publish(s, 1.0, 1, "t/{index}");
    test::add_subscribe(s, "t/#", c.requested);
    Harness h(s, 1);
    start_granting(h, c.granted);
    std::vector<std::uint8_t> buf;
    // Two packet ids: two deliveries of sequence 1 (at QoS 2 not a re-send before PUBREL).
    for (std::uint16_t id : {11, 12}) h.feed(message(buf, 0, 1, h.wall_ns, c.delivered, id));
    const auto snap = snapshot(*h.stats);
    EXPECT_EQ(snap.messages_received, 2u);
    EXPECT_EQ(snap.messages_duplicated_qos1, c.allowed ? 1u : 0u);
    EXPECT_EQ(snap.messages_duplicated, c.allowed ? 0u : 1u);
    EXPECT_EQ(snap.stream_count(0, StreamCount::Duplicated), c.allowed ? 0u : 1u);
  }
}

// Loss is loss at every QoS (a loss threshold counts it), but what was owed at QoS 0 — the
// stream's QoS, or the grant capping it — is also told apart: at most once allows it.
TEST(GrantedQos, LossOwedAtQos0IsToldApart) {
  for (const std::uint8_t granted : {0, 1}) {
    auto s = test::make_scenario(mqtt::Version::V311, 2);
    test::add_publish(s, 1.0, 1, "t/{index}");
    test::add_subscribe(s, "t/#", 1);
    Harness h(s, 1);
    start_granting(h, granted);
    std::vector<std::uint8_t> buf;
    h.feed(message(buf, 0, 1, h.wall_ns, granted ? mqtt::QoS::AtLeastOnce : mqtt::QoS::AtMostOnce, 5));
    h.session.finalize_receive(*h.stats, std::vector<std::uint64_t>{4, 0});
    const auto snap = snapshot(*h.stats);
    EXPECT_EQ(snap.messages_lost, 3u);
    EXPECT_EQ(snap.messages_lost_qos0, granted == 0 ? 3u : 0u);
  }
}

}  // namespace
}  // namespace fleetload::device
