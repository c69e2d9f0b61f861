// Placement and pacing arithmetic: which devices this shard runs, which worker owns each,
// which endpoint and source address each uses, and when each one starts connecting.
//
// A shard's devices are numbered by ordinal j = 0..m-1 (global index k + j*n). Ordinal j
// lives on worker j % W and starts at j / rate after the ramp begins, so the W workers
// interleave into one evenly paced stream instead of W bursts. With device groups the same
// holds within each group (its ordinals, its W slices).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>

namespace fleetload::engine::pacing {

// Devices with index % n == k among `fleet` devices.
constexpr std::uint64_t shard_devices(std::uint64_t fleet, std::uint32_t k, std::uint32_t n) noexcept {
  if (n == 0 || k >= n || k >= fleet) return 0;
  return (fleet - k + n - 1) / n;
}
constexpr std::uint64_t global_index(std::uint64_t ordinal, std::uint32_t k, std::uint32_t n) noexcept {
  return k + ordinal * n;
}

constexpr std::uint32_t worker_of(std::uint64_t ordinal, std::uint32_t workers) noexcept {
  return static_cast<std::uint32_t>(ordinal % workers);
}
constexpr std::uint64_t local_of(std::uint64_t ordinal, std::uint32_t workers) noexcept {
  return ordinal / workers;
}
constexpr std::uint64_t ordinal_of(std::uint64_t local, std::uint32_t worker, std::uint32_t workers) noexcept {
  return local * workers + worker;
}
// Devices owned by `worker` when m devices are spread over `workers`.
constexpr std::uint64_t worker_devices(std::uint64_t m, std::uint32_t worker, std::uint32_t workers) noexcept {
  return worker < m ? (m - worker + workers - 1) / workers : 0;
}

// Every (source, endpoint) pair gets an equal share: endpoint j % E, source (j / E) % S.
constexpr std::uint32_t endpoint_of(std::uint64_t ordinal, std::uint32_t endpoints) noexcept {
  return static_cast<std::uint32_t>(ordinal % endpoints);
}
constexpr std::uint32_t source_of(std::uint64_t ordinal, std::uint32_t endpoints, std::uint32_t sources) noexcept {
  return sources == 0 ? 0 : static_cast<std::uint32_t>((ordinal / endpoints) % sources);
}

// Offset from ramp start at which ordinal j starts connecting, at `rate` per second for
// this shard (0 or negative rate = all at once).
inline std::chrono::nanoseconds start_offset(std::uint64_t ordinal, double rate) noexcept {
  if (!(rate > 0.0)) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(static_cast<double>(ordinal) * 1e9 / rate)));
}

// Churn: devices to drop now, given `share` of connected devices per second over `dt`,
// carrying the fractional remainder in `carry` so small shards still churn on average.
inline std::uint64_t churn_quota(double share_per_second, std::uint64_t connected, double dt_seconds,
                                 double& carry) noexcept {
  const double want = share_per_second * static_cast<double>(connected) * dt_seconds + carry;
  const double whole = std::floor(want);
  carry = want - whole;
  return whole > 0 ? static_cast<std::uint64_t>(whole) : 0;
}

// Device groups over threads. Every group is split into slices, one per thread (fewer
// when the group has fewer devices than threads); a slice is one Worker, and ordinal j of
// the group lives in slice j % slices (worker_of above). Slice s of a group whose devices
// follow `before` devices of the groups ahead of it in the shard runs on thread
// (before + s) % threads: the shard's devices, group after group, are dealt round-robin
// over the threads, so the threads' device counts differ by at most one and a group's
// slices are on distinct threads.
constexpr std::uint32_t group_slices(std::uint64_t group_devices, unsigned threads) noexcept {
  return static_cast<std::uint32_t>(group_devices < threads ? group_devices : threads);
}
constexpr unsigned thread_of_slice(std::uint64_t before, std::uint32_t slice, unsigned threads) noexcept {
  return static_cast<unsigned>((before + slice) % threads);
}

}  // namespace fleetload::engine::pacing
