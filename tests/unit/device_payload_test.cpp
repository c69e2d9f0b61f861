// The payload accounting header and the subscriber's ReceiveTracker (loss, duplicates,
// reordering, end-of-run finalisation).
#include <gtest/gtest.h>

#include <vector>

#include "device/payload.hpp"

namespace fleetload::device {
namespace {

TEST(DevicePayload, HeaderRoundTrips) {
  std::vector<std::uint8_t> buf;
  const PayloadHeader h{123456, 0x01020304050607ull, 1'700'000'000'123'456'789ull, 0xdeadbeef, 3};
  auto p = build_payload(buf, 100, h);
  EXPECT_EQ(p.size(), 100u);
  const auto back = read_payload_header(p);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, h);
  // Padding is stable when the buffer is reused for the next message.
  const std::vector<std::uint8_t> tail(p.begin() + kPayloadHeaderSize, p.end());
  auto p2 = build_payload(buf, 100, PayloadHeader{1, 2, 3});
  EXPECT_EQ(std::vector<std::uint8_t>(p2.begin() + kPayloadHeaderSize, p2.end()), tail);
  EXPECT_EQ(read_payload_header(p2)->seq, 2u);
}

// Version 2 on the wire: "FLD2", run id, publisher, stream byte, 7-byte sequence, send time.
TEST(DevicePayload, HeaderV2LayoutCarriesRunIdAndStream) {
  std::vector<std::uint8_t> buf;
  auto p = build_payload(buf, 28, PayloadHeader{0x04030201, 0x0d0c0b0a0908ull, 0x1817161514131211ull, 0xa4a3a2a1, 7});
  const std::vector<std::uint8_t> want{'F',  'L',  'D',  '2',  0xa1, 0xa2, 0xa3, 0xa4, 1,    2,
                                       3,    4,    7,    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0,
                                       0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
  EXPECT_EQ(std::vector<std::uint8_t>(p.begin(), p.end()), want);
  EXPECT_EQ(read_payload_header(p)->version, 2);
}

// Messages of fleetload before run ids (retained on a broker, say) are still recognised, as
// version 1: they can only be from an earlier run.
TEST(DevicePayload, HeaderV1StaysReadable) {
  std::vector<std::uint8_t> v1{'F', 'L', 'D', '1', 5, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  const auto h = read_payload_header(v1);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->version, 1);
  EXPECT_EQ(h->publisher, 5u);
  EXPECT_EQ(h->seq, 9u);
  EXPECT_EQ(h->sent_ns, 1u);
  EXPECT_EQ(h->run_id, 0u);
}

TEST(DevicePayload, SmallSizesStillCarryTheHeader) {
  std::vector<std::uint8_t> buf;
  auto p = build_payload(buf, 4, PayloadHeader{1, 2, 3});
  EXPECT_EQ(p.size(), kPayloadHeaderSize);
  EXPECT_TRUE(read_payload_header(p).has_value());
}

TEST(DevicePayload, ForeignPayloadsAreNotOurs) {
  const std::vector<std::uint8_t> text(40, 'x');
  EXPECT_FALSE(read_payload_header(text).has_value());
  const std::vector<std::uint8_t> shorter(10, 0);
  EXPECT_FALSE(read_payload_header(shorter).has_value());
}

ReceiveCounts feed(ReceiveTracker& t, std::uint32_t pub, std::initializer_list<std::uint64_t> seqs) {
  ReceiveCounts c;
  for (auto s : seqs) c += t.on_message(pub, s);
  return c;
}

TEST(DeviceReceiveTracker, InOrderStreamHasNothingToReport) {
  ReceiveTracker t;
  ReceiveCounts c;
  for (std::uint64_t s = 1; s <= 1000; ++s) c += t.on_message(5, s);
  EXPECT_EQ(c.lost + c.duplicated + c.out_of_order, 0u);
  EXPECT_EQ(t.finalize(5, 1000).lost, 0u);
}

TEST(DeviceReceiveTracker, GapsBecomeLossOnceTheyLeaveTheWindow) {
  ReceiveTracker t;
  auto c = feed(t, 1, {1, 2, 5});  // 3 and 4 missing, still within the window
  EXPECT_EQ(c.lost, 0u);
  ReceiveCounts later;
  for (std::uint64_t s = 6; s <= 80; ++s) later += t.on_message(1, s);
  EXPECT_EQ(later.lost, 2u);  // 3 and 4 fell out of the 64-message window
  EXPECT_EQ(t.finalize(1, 80).lost, 0u);
}

TEST(DeviceReceiveTracker, LateArrivalWithinTheWindowIsOutOfOrderNotLost) {
  ReceiveTracker t;
  auto c = feed(t, 1, {1, 2, 4, 3, 5});
  EXPECT_EQ(c.out_of_order, 1u);
  EXPECT_EQ(c.lost, 0u);
  EXPECT_EQ(t.finalize(1, 5).lost, 0u);
}

TEST(DeviceReceiveTracker, DuplicatesAreCounted) {
  ReceiveTracker t;
  auto c = feed(t, 1, {1, 2, 2, 3, 1});
  EXPECT_EQ(c.duplicated, 2u);
  EXPECT_EQ(c.out_of_order, 0u);
}

TEST(DeviceReceiveTracker, HugeJumpCountsEverythingSkipped) {
  ReceiveTracker t;
  feed(t, 1, {1});
  auto c = t.on_message(1, 1000);
  // 2..1000-64 left the window at once; 937..999 are still pending in the window.
  EXPECT_EQ(c.lost, 1000u - 1 - 1 - 63);
  EXPECT_EQ(t.finalize(1, 1000).lost, 63u);
}

TEST(DeviceReceiveTracker, FinalisationCountsTheTailAndUnseenPublishers) {
  ReceiveTracker t;
  feed(t, 1, {1, 2, 3});
  EXPECT_EQ(t.finalize(1, 10).lost, 7u);
  EXPECT_EQ(t.finalize(1, 10).lost, 0u);  // idempotent
  EXPECT_FALSE(t.seen(2));
  EXPECT_EQ(t.finalize(2, 4).lost, 4u);
}

TEST(DeviceReceiveTracker, OwedIsWhatWasSentWhileSubscribed) {
  // A subscriber that joined after the publisher sent 49 sees seq 50 first: 1..49 were
  // never owed (sent before its SUBACK).
  ReceiveTracker t;
  auto c = feed(t, 9, {50, 51, 52});
  EXPECT_EQ(c.lost, 0u);
  const OwedRange after49{49, 52};
  EXPECT_EQ(t.finalize(9, std::span<const OwedRange>(&after49, 1)).lost, 0u);
  // Joined after 40: 41..49 were sent while subscribed and never came.
  ReceiveTracker u;
  feed(u, 9, {50, 51, 52});
  const OwedRange after40{40, 52};
  EXPECT_EQ(u.finalize(9, std::span<const OwedRange>(&after40, 1)).lost, 9u);
  // Delivered although sent just before the SUBACK (the broker already held the
  // subscription): not owed, so neither it nor its gaps before the owed range are loss...
  ReceiveTracker v;
  feed(v, 9, {49, 52});
  // ...but once seq 49 came, 50 and 51 were routed too: missing, so lost.
  EXPECT_EQ(v.finalize(9, std::span<const OwedRange>(&after49, 1)).lost, 2u);
  // A late message below the first seen is out of order, not a duplicate.
  ReceiveTracker w;
  c = feed(w, 9, {52, 50, 51});
  EXPECT_EQ(c.duplicated, 0u);
  EXPECT_EQ(c.out_of_order, 2u);
  EXPECT_EQ(w.finalize(9, std::span<const OwedRange>(&after49, 1)).lost, 0u);
}

TEST(DeviceReceiveTracker, ASubscriptionGapIsNotLoss) {
  // Interval 1 owed (0, 10], nothing while away, interval 2 owed (20, 30].
  const OwedRange owed[] = {{0, 10}, {20, 30}};
  ReceiveTracker t;
  ReceiveCounts c;
  for (std::uint64_t s = 1; s <= 10; ++s) c += t.on_message(4, s, 1);
  for (std::uint64_t s = 21; s <= 30; ++s) c += t.on_message(4, s, 2);
  EXPECT_EQ(c.lost, 0u);
  EXPECT_EQ(t.finalize(4, owed).lost, 0u);
  // Never seen: everything owed in both intervals, nothing of the gap.
  EXPECT_EQ(t.finalize(5, owed).lost, 20u);
  // Seen in interval 1 only: interval 2 all lost.
  ReceiveTracker u;
  for (std::uint64_t s = 1; s <= 10; ++s) u.on_message(4, s, 1);
  EXPECT_EQ(u.finalize(4, owed).lost, 10u);
}

TEST(DeviceReceiveTracker, ManyPublishersAreTrackedSeparately) {
  ReceiveTracker t;
  ReceiveCounts c;
  for (std::uint32_t pub = 0; pub < 5000; ++pub) {
    c += t.on_message(pub * 7, 1);
    c += t.on_message(pub * 7, 2);
    if (pub % 2) c += t.on_message(pub * 7, 2);
  }
  EXPECT_EQ(t.publishers(), 5000u);
  EXPECT_EQ(c.duplicated, 2500u);
  EXPECT_EQ(c.lost, 0u);
  std::size_t seen = 0;
  t.for_each_publisher([&](std::uint32_t) { ++seen; });
  EXPECT_EQ(seen, 5000u);
  EXPECT_LE(t.heap_bytes(), 8192u * 32u);  // 32 bytes a slot, load factor <= 3/4
}

}  // namespace
}  // namespace fleetload::device
