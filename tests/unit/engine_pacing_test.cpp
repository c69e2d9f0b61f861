// Placement and pacing arithmetic: shards, workers, endpoints/sources, ramp offsets, churn.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/pacing.hpp"

namespace fleetload::engine::pacing {
namespace {

TEST(EnginePacing, ShardsPartitionTheFleet) {
  const std::uint64_t fleet = 100'003;
  std::uint64_t total = 0;
  for (std::uint32_t k = 0; k < 6; ++k) total += shard_devices(fleet, k, 6);
  EXPECT_EQ(total, fleet);
  EXPECT_EQ(shard_devices(5, 0, 1), 5u);
  EXPECT_EQ(shard_devices(5, 4, 6), 1u);
  EXPECT_EQ(shard_devices(5, 5, 6), 0u);
  EXPECT_EQ(global_index(3, 2, 6), 20u);
}

TEST(EnginePacing, WorkersOwnDisjointSlicesCoveringTheShard) {
  const std::uint64_t m = 1001;
  const std::uint32_t W = 4;
  std::set<std::uint64_t> seen;
  for (std::uint32_t w = 0; w < W; ++w) {
    for (std::uint64_t l = 0; l < worker_devices(m, w, W); ++l) {
      const auto ord = ordinal_of(l, w, W);
      EXPECT_EQ(worker_of(ord, W), w);
      EXPECT_EQ(local_of(ord, W), l);
      EXPECT_TRUE(seen.insert(ord).second);
    }
  }
  EXPECT_EQ(seen.size(), m);
  EXPECT_EQ(*seen.rbegin(), m - 1);
}

TEST(EnginePacing, EverySourceEndpointPairGetsAnEqualShare) {
  const std::uint32_t E = 6, S = 5;
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> per_pair;
  for (std::uint64_t j = 0; j < 30 * 100; ++j) ++per_pair[{source_of(j, E, S), endpoint_of(j, E)}];
  EXPECT_EQ(per_pair.size(), 30u);
  for (const auto& [pair, n] : per_pair) EXPECT_EQ(n, 100);
  EXPECT_EQ(source_of(7, 6, 0), 0u);
}

TEST(EnginePacing, RampIsEvenlySpacedAcrossWorkers) {
  // 2000/s: ordinal j starts at j * 0.5 ms, whichever worker owns it.
  EXPECT_EQ(start_offset(0, 2000.0).count(), 0);
  EXPECT_EQ(start_offset(1, 2000.0).count(), 500'000);
  EXPECT_EQ(start_offset(2000, 2000.0).count(), 1'000'000'000);
  // All at once when the rate is zero.
  EXPECT_EQ(start_offset(12345, 0.0).count(), 0);
  // Consecutive ordinals on different workers are half a millisecond apart: no bursts.
  const std::uint32_t W = 2;
  for (std::uint64_t j = 1; j < 100; ++j) {
    EXPECT_NE(worker_of(j, W), worker_of(j - 1, W));
    EXPECT_EQ((start_offset(j, 2000.0) - start_offset(j - 1, 2000.0)).count(), 500'000);
  }
}

TEST(EnginePacing, ChurnQuotaCarriesFractionsSoSmallFleetsStillChurn) {
  // 1%/s of 50 connected devices, 100 ms windows: 0.05 per window, one drop every 20 windows.
  double carry = 0.0;
  std::uint64_t dropped = 0;
  for (int i = 0; i < 200; ++i) dropped += churn_quota(0.01, 50, 0.1, carry);
  EXPECT_EQ(dropped, 10u);  // 20 s * 0.5/s
  carry = 0.0;
  EXPECT_EQ(churn_quota(0.10, 1000, 1.0, carry), 100u);
  EXPECT_EQ(churn_quota(0.0, 1000, 1.0, carry), 0u);
}


// Threads per device group: one each for groups with devices, the rest to the most loaded
// per thread, never more than devices; the total is --threads unless groups outnumber it.
TEST(Pacing, ThreadsSplitOverGroupsAddUpToTheRequestedCount) {
  using V = std::vector<unsigned>;
  EXPECT_EQ(split_threads({100, 1}, 2), (V{1, 1}));
  EXPECT_EQ(split_threads({90, 10}, 4), (V{3, 1}));
  EXPECT_EQ(split_threads({0, 5}, 3), (V{0, 3}));
  EXPECT_EQ(split_threads({2, 2}, 8), (V{2, 2}));            // a thread per device at most
  EXPECT_EQ(split_threads({100, 50, 1}, 2), (V{1, 1, 1}));   // more groups than threads
  for (unsigned t : {1u, 2u, 3u, 7u, 16u}) {
    const std::vector<std::uint64_t> d{40000, 2000, 50, 300};
    const auto s = split_threads(d, t);
    unsigned sum = 0;
    for (auto x : s) sum += x;
    EXPECT_EQ(sum, std::max<unsigned>(t, 4)) << t;
    for (std::size_t g = 0; g < d.size(); ++g) EXPECT_GE(s[g], 1u) << t;
  }
}

}  // namespace
}  // namespace fleetload::engine::pacing
