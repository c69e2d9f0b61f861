// A latency distribution kept sparse (non-empty buckets only) and coarser: what the
// per-interval time series carries, so a long run does not hold a 4608-bucket array per
// interval, its report stays small, and shard reports can still be merged bucket by bucket.
// Header-only: the engine fills it, the report code expands it back into a
// device::HistogramSnapshot.
//
// Coarser: above the exact range each group of 8 adjacent buckets (16 per doubling instead
// of 128) is kept as its highest bucket, so a percentile read from it is the highest value
// of the group, at most 1/16 (6.25 %) above the true one (clamped to the exact max), and
// never below it. A coarse histogram maps onto itself, so reading a report back is exact.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "device/stats.hpp"

namespace fleetload::metrics {

struct SparseHistogram {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;  // (hist bucket index, count), ascending
  std::uint64_t count = 0;
  std::uint64_t sum = 0;  // ns
  std::uint64_t min = 0;  // ns; 0 when empty
  std::uint64_t max = 0;  // ns

  static constexpr std::uint32_t kGroup = 8;        // fine buckets per coarse one
  static constexpr std::uint32_t kExactBelow = 256;  // buckets below this index are single values

  // The coarse bucket a fine bucket index belongs to (its group's highest index; groups of 8
  // never straddle a doubling, which spans 128 buckets aligned on 128).
  static constexpr std::uint32_t coarse(std::uint32_t i) noexcept { return i < kExactBelow ? i : (i | (kGroup - 1)); }

  static SparseHistogram of(const device::HistogramSnapshot& h) {
    SparseHistogram s;
    if (h.count == 0) return s;
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      if (!h.counts[i]) continue;
      const std::uint32_t c = coarse(static_cast<std::uint32_t>(i));
      if (!s.buckets.empty() && s.buckets.back().first == c) s.buckets.back().second += h.counts[i];
      else s.buckets.emplace_back(c, h.counts[i]);
    }
    s.count = h.count;
    s.sum = h.sum;
    s.min = h.min;
    s.max = h.max;
    return s;
  }

  device::HistogramSnapshot expand() const {
    device::HistogramSnapshot h;
    if (count == 0) return h;
    h.counts.assign(device::hist::kBuckets, 0);
    for (const auto& [i, n] : buckets)
      if (i < device::hist::kBuckets) h.counts[i] += n;
    h.count = count;
    h.sum = sum;
    h.min = min;
    h.max = max;
    return h;
  }

  bool operator==(const SparseHistogram&) const = default;
};

}  // namespace fleetload::metrics
