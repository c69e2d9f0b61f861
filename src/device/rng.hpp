// The small, fast random numbers the device layer draws from a caller-held 64-bit state
// (Context::rng_state): splitmix64, which is well distributed from any state, zero included.
#pragma once

#include <cmath>
#include <cstdint>

namespace fleetload::device {

inline std::uint64_t next_u64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::uint64_t& state) noexcept {
  return static_cast<double>(next_u64(state) >> 11) * 0x1.0p-53;
}

// Uniform in [lo, hi); lo when the range is empty.
inline std::uint64_t uniform_in(std::uint64_t& state, std::uint64_t lo, std::uint64_t hi) noexcept {
  if (hi <= lo) return lo;
  const auto span = static_cast<double>(hi - lo);
  auto v = static_cast<std::uint64_t>(uniform01(state) * span);
  if (v >= hi - lo) v = hi - lo - 1;  // guards rounding of huge spans
  return lo + v;
}

// Exponentially distributed with the given mean (Poisson arrivals' gaps).
inline double exponential(std::uint64_t& state, double mean) noexcept {
  return -std::log1p(-uniform01(state)) * mean;
}

}  // namespace fleetload::device
