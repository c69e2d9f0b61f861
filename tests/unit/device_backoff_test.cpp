// Reconnect delays as the SDK computes them (aws-c-mqtt mqtt5_client.c): exact sequence for
// NONE, the shape of the FULL and textbook DECORRELATED distributions over many seeded
// draws, and DECORRELATED drawing exactly as FULL, as it does in the SDK.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "device/backoff.hpp"
#include "device/rng.hpp"

namespace fleetload::device {
namespace {

std::vector<double> draws(const BackoffPolicy& p, std::uint32_t n, std::uint64_t prev, int count,
                          std::uint64_t seed = 12345) {
  std::vector<double> v;
  std::uint64_t rng = seed;
  for (int i = 0; i < count; ++i) v.push_back(static_cast<double>(reconnect_delay_ms(p, n, prev, rng)));
  std::sort(v.begin(), v.end());
  return v;
}
double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double quantile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
}

TEST(DeviceBackoff, NoneDoublesFromMinToMaxWithoutJitter) {
  // The MQTT 3.1.1 client's defaults: 5 s doubling to 60 s.
  BackoffPolicy p{5000, 60000, JitterMode::None, 0};
  BackoffState s;
  std::uint64_t rng = 1;
  std::vector<std::uint64_t> got;
  for (int i = 0; i < 7; ++i) got.push_back(s.next(p, rng));
  EXPECT_EQ(got, (std::vector<std::uint64_t>{5000, 10000, 20000, 40000, 60000, 60000, 60000}));
  s.reset();
  EXPECT_EQ(s.next(p, rng), 5000u);
}

TEST(DeviceBackoff, ExponentSaturatesInsteadOfOverflowing) {
  EXPECT_EQ(exponential_ms(1000, 0), 1000u);
  EXPECT_EQ(exponential_ms(1000, 10), 1024000u);
  EXPECT_EQ(exponential_ms(1000, 63), ~0ull);
  EXPECT_EQ(exponential_ms(1000, 200), ~0ull);
  BackoffPolicy p{1000, 120000, JitterMode::None, 30000};
  std::uint64_t rng = 1;
  EXPECT_EQ(reconnect_delay_ms(p, 1000, 0, rng), 120000u);
}

TEST(DeviceBackoff, FullJitterIsUniformBelowTheExponential) {
  BackoffPolicy p{1000, 120000, JitterMode::Full, 30000};
  for (std::uint32_t n : {0u, 1u, 3u}) {
    const double hi = 1000.0 * (1u << n);
    const auto v = draws(p, n, 0, 20000);
    EXPECT_GE(v.front(), 0.0);
    EXPECT_LT(v.back(), hi);
    EXPECT_NEAR(mean(v), hi / 2, hi * 0.01) << "n=" << n;
    EXPECT_NEAR(quantile(v, 0.25), hi * 0.25, hi * 0.015) << "n=" << n;
    EXPECT_NEAR(quantile(v, 0.75), hi * 0.75, hi * 0.015) << "n=" << n;
    EXPECT_LT(quantile(v, 0.01), hi * 0.02);  // reaches down to 0, not to min
  }
}

TEST(DeviceBackoff, FullJitterIsCappedAtMaxAfterTheDraw) {
  // n = 8: rand(0, 256 s) capped at 120 s: 120/256 of the draws are uniform below the cap,
  // the rest sit exactly at max.
  BackoffPolicy p{1000, 120000, JitterMode::Full, 30000};
  const auto v = draws(p, 8, 0, 20000);
  const auto at_max = std::count(v.begin(), v.end(), 120000.0);
  EXPECT_NEAR(static_cast<double>(at_max) / v.size(), 1.0 - 120.0 / 256.0, 0.015);
  EXPECT_LE(v.back(), 120000.0);
}

TEST(DeviceBackoff, DecorrelatedIsAFullDrawWhateverThePreviousDelay) {
  // The SDK's MQTT 5 client never records the previous delay, so its DECORRELATED takes the
  // "previous is 0" branch every time: the same draws as FULL from the same random state.
  BackoffPolicy dec{1000, 120000, JitterMode::Decorrelated, 30000};
  BackoffPolicy full{1000, 120000, JitterMode::Full, 30000};
  for (std::uint32_t n : {0u, 1u, 4u, 9u}) {
    for (std::uint64_t prev : {0ull, 700ull, 40000ull}) {
      EXPECT_EQ(draws(dec, n, prev, 500, n + 7), draws(full, n, 0, 500, n + 7)) << "n=" << n << " prev=" << prev;
    }
  }
  BackoffState a, b;
  std::uint64_t ra = 3, rb = 3;
  for (int i = 0; i < 12; ++i) EXPECT_EQ(a.next(dec, ra), b.next(full, rb)) << "attempt " << i;
}

TEST(DeviceBackoff, TextbookDecorrelatedStartsAsFullThenDrawsBetweenMinAndThreePrev) {
  BackoffPolicy p{1000, 120000, JitterMode::DecorrelatedTextbook, 30000};
  const auto first = draws(p, 0, 0, 20000);
  EXPECT_NEAR(mean(first), 500.0, 10.0);  // prev == 0: as FULL with n = 0
  const auto v = draws(p, 3, 4000, 20000);  // rand(1000, 12000), independent of n
  EXPECT_GE(v.front(), 1000.0);
  EXPECT_LT(v.back(), 12000.0);
  EXPECT_NEAR(mean(v), 6500.0, 110.0);
  EXPECT_NEAR(quantile(v, 0.5), 6500.0, 165.0);
  const auto capped = draws(p, 3, 100000, 20000);  // rand(1 s, 300 s) capped at 120 s
  EXPECT_LE(capped.back(), 120000.0);
  const auto at_max = std::count(capped.begin(), capped.end(), 120000.0);
  EXPECT_NEAR(static_cast<double>(at_max) / capped.size(), 180.0 / 299.0, 0.015);
}

TEST(DeviceBackoff, TextbookDecorrelatedChainGrowsAndStaysWithinBounds) {
  BackoffPolicy p{1000, 120000, JitterMode::DecorrelatedTextbook, 30000};
  double sum_tenth = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    BackoffState s;
    std::uint64_t rng = seed;
    std::uint64_t d = 0;
    for (int i = 0; i < 10; ++i) {
      const std::uint64_t prev = s.prev_ms;
      d = s.next(p, rng);
      ASSERT_LE(d, 120000u);
      if (prev > 0) {
        ASSERT_GE(d, std::min<std::uint64_t>(1000, 3 * prev));  // rand(min, 3 * prev)
        ASSERT_LT(d, std::max<std::uint64_t>(1000, 3 * prev));
      }
    }
    sum_tenth += static_cast<double>(d);
  }
  // Each step multiplies by ~1.5-2 on average until the cap: after 10 steps most chains are
  // far above min.
  EXPECT_GT(sum_tenth / 2000, 20000.0);
}

TEST(DeviceBackoff, StateCountsAttemptsAndResets) {
  BackoffPolicy p{1000, 120000, JitterMode::Full, 30000};
  BackoffState s;
  std::uint64_t rng = 9;
  for (int i = 0; i < 5; ++i) s.next(p, rng);
  EXPECT_EQ(s.attempts, 5u);
  s.reset();
  EXPECT_EQ(s.attempts, 0u);
  EXPECT_EQ(s.prev_ms, 0u);
  EXPECT_LT(s.next(p, rng), 1000u);
}

TEST(DeviceBackoff, RngHelpersStayInRange) {
  std::uint64_t rng = 0;  // splitmix accepts a zero state
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto u = uniform_in(rng, 10, 20);
    ASSERT_GE(u, 10u);
    ASSERT_LT(u, 20u);
    const double e = exponential(rng, 5.0);
    ASSERT_GE(e, 0.0);
    sum += e;
  }
  EXPECT_NEAR(sum / 100000, 5.0, 0.1);
  EXPECT_EQ(uniform_in(rng, 7, 7), 7u);
}

}  // namespace
}  // namespace fleetload::device
