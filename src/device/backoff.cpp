// Reconnect delay formulas (aws-c-mqtt mqtt5_client.c, client.c).
#include "device/backoff.hpp"

#include <algorithm>
#include <limits>

#include "device/rng.hpp"

namespace fleetload::device {

const char* to_string(JitterMode m) noexcept {
  switch (m) {
    case JitterMode::None: return "none";
    case JitterMode::Full: return "full";
    case JitterMode::Decorrelated: return "decorrelated";
    case JitterMode::DecorrelatedTextbook: return "decorrelated_textbook";
  }
  return "unknown";
}

std::uint64_t exponential_ms(std::uint64_t min_ms, std::uint32_t n) noexcept {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  if (min_ms == 0) return 0;
  if (n >= 64 || min_ms > (kMax >> n)) return kMax;
  return min_ms << n;
}

std::uint64_t reconnect_delay_ms(const BackoffPolicy& p, std::uint32_t n, std::uint64_t prev_ms,
                                 std::uint64_t& rng) noexcept {
  const std::uint64_t grown = exponential_ms(p.min_ms, n);
  switch (p.mode) {
    case JitterMode::None:
      return std::min(p.max_ms, grown);
    case JitterMode::DecorrelatedTextbook:
      if (prev_ms != 0) {
        const std::uint64_t three = prev_ms > std::numeric_limits<std::uint64_t>::max() / 3
                                        ? std::numeric_limits<std::uint64_t>::max()
                                        : prev_ms * 3;
        // rand(min, 3 * prev): when 3 * prev < min (a tiny first Full draw), the SDK's
        // random_in_range draws between the two bounds whichever is lower.
        const auto lo = std::min(p.min_ms, three);
        const auto hi = std::max(p.min_ms, three);
        return std::min(p.max_ms, uniform_in(rng, lo, hi));
      }
      [[fallthrough]];
    case JitterMode::Decorrelated:  // as the SDK runs it: prev is always 0 there
    case JitterMode::Full:
      return std::min(p.max_ms, uniform_in(rng, 0, grown));
  }
  return p.min_ms;
}

std::uint64_t BackoffState::next(const BackoffPolicy& p, std::uint64_t& rng) noexcept {
  const auto d = reconnect_delay_ms(p, attempts, prev_ms, rng);
  if (attempts < 64) ++attempts;
  prev_ms = static_cast<std::uint32_t>(std::min<std::uint64_t>(d, std::numeric_limits<std::uint32_t>::max()));
  return d;
}

}  // namespace fleetload::device
