// Placement and pacing arithmetic: shards, workers, endpoints/sources, ramp offsets, churn.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

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


// Device groups over threads: every device of every group is in exactly one slice, a
// group has at most one slice per thread (on distinct threads), and the threads' device
// counts differ by at most one, for any number of groups and threads.
TEST(Pacing, GroupSlicesServeEveryDeviceOnceOnAtMostThreadsSlicesBalanced) {
  const std::vector<std::vector<std::uint64_t>> fleets{
      {1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500}, {100, 1}, {90, 10}, {0, 5}, {2, 2},
      {100, 50, 1}, {40000, 2000, 50, 300}, {1, 1, 1, 1, 1, 1, 1}, {7}, {3, 0, 3, 1, 9}};
  for (const auto& groups : fleets) {
    for (unsigned threads : {1u, 2u, 3u, 4u, 7u, 16u}) {
      std::vector<std::uint64_t> load(threads, 0);
      std::uint64_t before = 0;
      for (std::size_t g = 0; g < groups.size(); ++g) {
        const std::uint64_t m = groups[g];
        const std::uint32_t slices = group_slices(m, threads);
        EXPECT_LE(slices, threads);
        EXPECT_EQ(slices, m < threads ? m : threads);
        std::vector<int> served(m, 0);
        std::vector<int> slices_on(threads, 0);
        for (std::uint32_t s = 0; s < slices; ++s) {
          const unsigned t = thread_of_slice(before, s, threads);
          ASSERT_LT(t, threads);
          ++slices_on[t];
          const std::uint64_t mine = worker_devices(m, s, slices);
          EXPECT_GE(mine, 1u);  // no slice without devices
          for (std::uint64_t local = 0; local < mine; ++local) {
            const std::uint64_t ordinal = ordinal_of(local, s, slices);
            ASSERT_LT(ordinal, m);
            EXPECT_EQ(worker_of(ordinal, slices), s);
            ++served[ordinal];
          }
          load[t] += mine;
        }
        for (std::uint64_t j = 0; j < m; ++j) EXPECT_EQ(served[j], 1) << "group " << g << " device " << j;
        for (unsigned t = 0; t < threads; ++t) EXPECT_LE(slices_on[t], 1) << "group " << g << " thread " << t;
        before += m;
      }
      const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
      EXPECT_LE(*hi - *lo, 1u) << groups.size() << " groups, " << threads << " threads";
      std::uint64_t total = 0;
      for (auto x : load) total += x;
      EXPECT_EQ(total, before);
    }
  }
}

}  // namespace
}  // namespace fleetload::engine::pacing
