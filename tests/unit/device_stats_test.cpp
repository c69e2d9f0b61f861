// Per-thread statistics: counters, the log-linear histogram's precision, snapshots, merge
// and delta.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "device/stats.hpp"

namespace fleetload::device {
namespace {

TEST(DeviceStats, BucketBoundsAreContiguousAndCoverTheRange) {
  EXPECT_EQ(hist::bucket_index(0), 0u);
  EXPECT_EQ(hist::bucket_index(255), 255u);
  std::uint64_t expected_low = 0;
  for (std::size_t i = 0; i < hist::kBuckets; ++i) {
    ASSERT_EQ(hist::bucket_lowest(i), expected_low) << "bucket " << i;
    ASSERT_GE(hist::bucket_highest(i), hist::bucket_lowest(i));
    ASSERT_EQ(hist::bucket_index(hist::bucket_lowest(i)), i);
    ASSERT_EQ(hist::bucket_index(hist::bucket_highest(i)), i);
    expected_low = hist::bucket_highest(i) + 1;
  }
  // The last bucket ends at 2^42 - 1 ns (~73 min): an hour fits with 1% precision.
  EXPECT_EQ(expected_low, std::uint64_t{1} << hist::kTopBit);
  EXPECT_EQ(hist::bucket_index(~0ull), hist::kBuckets - 1);
}

TEST(DeviceStats, BucketWidthIsUnderOnePercentAboveOneMicrosecond) {
  for (std::size_t i = hist::bucket_index(1000); i < hist::kBuckets; ++i) {
    const double width = static_cast<double>(hist::bucket_highest(i) - hist::bucket_lowest(i) + 1);
    ASSERT_LE(width / static_cast<double>(hist::bucket_lowest(i)), 0.01) << "bucket " << i;
  }
}

TEST(DeviceStats, PercentilesMatchExactQuantilesWithinOnePercent) {
  Histogram h;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(std::log(2e6), 1.0);  // ~2 ms median latencies
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::uint64_t>(d(rng)) + 1000;
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  HistogramSnapshot s;
  h.merge_into(s);
  EXPECT_EQ(s.count, values.size());
  EXPECT_EQ(s.min, values.front());
  EXPECT_EQ(s.max, values.back());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = values[static_cast<std::size_t>(std::ceil(q * values.size())) - 1];
    const auto got = s.percentile(q);
    EXPECT_NEAR(static_cast<double>(got), static_cast<double>(exact), exact * 0.01) << "q=" << q;
  }
  EXPECT_EQ(s.percentile(1.0), values.back());
  EXPECT_EQ(s.percentile(0.0), values.front());
}

TEST(DeviceStats, EmptyHistogramAnswersZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.percentile(0.99), 0u);
  HistogramSnapshot s;
  h.merge_into(s);
  EXPECT_TRUE(s.counts.empty());
  EXPECT_EQ(s.percentile(0.5), 0u);
}

TEST(DeviceStats, SnapshotsMergeAcrossThreadsAndSubtract) {
  auto a = std::make_unique<ThreadStats>();
  auto b = std::make_unique<ThreadStats>();
  a->connects_ok.add(3);
  b->connects_ok.add(4);
  a->publish_requests[1].add(10);
  b->publish_requests[1].add(5);
  a->connected.add(2);
  b->connected.add(-1);
  a->drops_by_reason[static_cast<std::size_t>(DropReason::PingTimeout)].add();
  a->connack_codes[0x87].add(2);
  a->ack_latency.record(1'000'000);
  b->ack_latency.record(3'000'000);
  auto sa = snapshot(*a);
  const auto sb = snapshot(*b);
  const auto before = sa;
  merge(sa, sb);
  EXPECT_EQ(sa.connects_ok, 7u);
  EXPECT_EQ(sa.publish_requests[1], 15u);
  EXPECT_EQ(sa.connected, 1);
  EXPECT_EQ(sa.drops_by_reason[static_cast<std::size_t>(DropReason::PingTimeout)], 1u);
  EXPECT_EQ(sa.connack_codes[0x87], 2u);
  EXPECT_EQ(sa.ack_latency.count, 2u);
  EXPECT_EQ(sa.ack_latency.min, 1'000'000u);
  EXPECT_EQ(sa.ack_latency.max, 3'000'000u);

  const auto d = delta(sa, before);
  EXPECT_EQ(d.connects_ok, 4u);
  EXPECT_EQ(d.publish_requests[1], 5u);
  EXPECT_EQ(d.connected, 1);  // gauges: the later level
  EXPECT_EQ(d.ack_latency.count, 1u);
  EXPECT_NEAR(static_cast<double>(d.ack_latency.percentile(0.5)), 3e6, 3e6 * 0.01);
  EXPECT_GE(d.ack_latency.min, 2'900'000u);  // the window's own min, not the run's
}

TEST(DeviceStats, ReadersSeeConsistentSnapshotsWhileTheOwnerWrites) {
  auto s = std::make_unique<ThreadStats>();
  constexpr int kN = 200000;
  std::thread owner([&] {
    for (int i = 0; i < kN; ++i) {
      s->messages_received.add();
      s->e2e_latency.record(static_cast<std::uint64_t>(1000 + i));
    }
  });
  std::uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    const auto snap = snapshot(*s);
    EXPECT_GE(snap.messages_received, last);  // monotonic for a reader
    last = snap.messages_received;
    std::uint64_t sum = 0;
    for (auto c : snap.e2e_latency.counts) sum += c;
    EXPECT_EQ(sum, snap.e2e_latency.count);  // count comes from the buckets read
  }
  owner.join();
  EXPECT_EQ(snapshot(*s).messages_received, static_cast<std::uint64_t>(kN));
  EXPECT_EQ(s->e2e_latency.count(), static_cast<std::uint64_t>(kN));
}

// Code tables (CONNACK, SUBACK, ... codes) cost memory only once a count lands in them:
// a fresh ThreadStats has none of their pages resident, a count makes one page resident,
// and counts read back by code.
TEST(DeviceStats, CodeTablesTakeAPageOnlyOnceCounted) {
  auto s = std::make_unique<ThreadStats>();
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  auto resident = [&](const void* p) {
    unsigned char v = 0;
    EXPECT_EQ(::mincore(const_cast<void*>(p), page, &v), 0);
    return (v & 1) != 0;
  };
  EXPECT_FALSE(resident(s->connack_codes.data()));
  EXPECT_FALSE(resident(s->suback_grants.data()));
  s->connack_codes[0].add();
  s->connack_codes[0x87].add(3);
  EXPECT_TRUE(resident(s->connack_codes.data()));
  EXPECT_FALSE(resident(s->suback_grants.data()));
  const auto snap = snapshot(*s);
  EXPECT_EQ(snap.connack_codes[0], 1u);
  EXPECT_EQ(snap.connack_codes[0x87], 3u);
  EXPECT_EQ(snap.connack_codes[1], 0u);
  EXPECT_EQ(snap.suback_grants[0], 0u);
}

TEST(DeviceStats, NamesForLabels) {
  EXPECT_STREQ(to_string(DropReason::PingTimeout), "ping_timeout");
  EXPECT_STREQ(to_string(PublishFailReason::OfflineQueuePolicy), "offline_queue_policy");
  EXPECT_STREQ(connack_code_name(mqtt::Version::V311, 5), "not_authorized");
  EXPECT_STREQ(connack_code_name(mqtt::Version::V5, 0x87), "not_authorized");
  EXPECT_STREQ(connack_code_name(mqtt::Version::V311, 9), "unknown");
  for (std::size_t i = 0; i < kDropReasonCount; ++i)
    EXPECT_STRNE(to_string(static_cast<DropReason>(i)), "unknown");
  for (std::size_t i = 0; i < kPublishFailReasonCount; ++i)
    EXPECT_STRNE(to_string(static_cast<PublishFailReason>(i)), "unknown");
}

TEST(DeviceStats, BooksBalanceHelper) {
  StatsSnapshot s;
  s.publish_requests[1] = 10;
  s.publishes_acked[1] = 6;
  s.ack_timeouts[1] = 1;
  s.publishes_failed_by_qos[1] = 2;
  EXPECT_TRUE(s.books_balance(1, 1));
  EXPECT_FALSE(s.books_balance(1, 0));
}

}  // namespace
}  // namespace fleetload::device
