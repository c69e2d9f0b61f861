// The reconnect-delay chart's theory: per attempt, the distribution the SDK's formula gives
// for the configured min / max / jitter, checked against the closed forms (computed here,
// not by the code under test), and the observed share read from the run's histogram.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "metrics/reconnect_theory.hpp"

namespace fleetload::metrics {
namespace {

ReconnectPolicy policy(double min_s, double max_s, const char* jitter) { return {true, min_s, max_s, jitter, 30.0}; }

// Index of the grid point nearest to `x`.
std::size_t at(const ReconnectDelayComparison& c, double x) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < c.x_s.size(); ++i)
    if (std::fabs(c.x_s[i] - x) < std::fabs(c.x_s[best] - x)) best = i;
  return best;
}

TEST(ReconnectTheory, FullJitterAttemptsAreUniformUpToMinTimesTwoToTheN) {
  device::HistogramSnapshot observed;
  observed.record(3'500'000'000, 1);  // one delay of 3.5 s: needs attempt 3 (range 4 s) to explain
  const auto c = compare_reconnect_delays(observed, policy(1.0, 120.0, "full"));
  ASSERT_EQ(c.theory.size(), 3u);  // attempt 1 reaches 1 s, 2 reaches 2 s, 3 reaches 4 s >= 3.5 s
  for (std::size_t k = 0; k < 3; ++k) {
    const double range = 1.0 * std::pow(2.0, static_cast<double>(k));  // min x 2^(attempt-1)
    EXPECT_EQ(c.theory[k].label, "attempt " + std::to_string(k + 1));
    EXPECT_NEAR(c.theory[k].support_max_s, range, 0.01);
    for (double x : {0.25, 0.5, 0.9}) {
      const std::size_t i = at(c, x * range);
      EXPECT_NEAR(c.theory[k].share[i], std::min(1.0, c.x_s[i] / range), 0.015) << "attempt " << k + 1 << " x " << x;
    }
  }
  EXPECT_NE(c.formula.find("full jitter"), std::string::npos) << c.formula;
}

TEST(ReconnectTheory, NoJitterIsAStepAtEachDoublingCappedAtMax) {
  device::HistogramSnapshot observed;
  observed.record(3'000'000'000, 4);  // 3 s: the cap
  const auto c = compare_reconnect_delays(observed, policy(1.0, 3.0, "none"));
  ASSERT_EQ(c.theory.size(), 3u);  // 1 s, 2 s, then min(3 s, 4 s) = the cap
  for (std::size_t k = 0; k < 3; ++k) {
    const double step = std::min(3.0, std::pow(2.0, static_cast<double>(k)));
    const std::size_t below = at(c, step * 0.97), above = at(c, step * 1.03);
    EXPECT_DOUBLE_EQ(c.theory[k].share[below], 0.0) << k;
    EXPECT_DOUBLE_EQ(c.theory[k].share[above], 1.0) << k;
  }
  // The observed share jumps from 0 to 1 at 3 s, as the four delays say.
  EXPECT_EQ(c.observed_count, 4u);
  EXPECT_DOUBLE_EQ(c.observed[at(c, 2.9)], 0.0);
  EXPECT_DOUBLE_EQ(c.observed[at(c, 3.1)], 1.0);
}

TEST(ReconnectTheory, ObservedShareCountsTheHistogram) {
  device::HistogramSnapshot observed;
  observed.record(100'000'000, 30);  // 30 at 0.1 s
  observed.record(700'000'000, 10);  // 10 at 0.7 s
  const auto c = compare_reconnect_delays(observed, policy(1.0, 60.0, "full"));
  ASSERT_EQ(c.theory.size(), 1u);  // attempt 1 (0 .. 1 s) covers 0.7 s
  ASSERT_EQ(c.observed.size(), c.x_s.size());
  EXPECT_DOUBLE_EQ(c.observed[at(c, 0.05)], 0.0);
  EXPECT_DOUBLE_EQ(c.observed[at(c, 0.4)], 0.75);
  EXPECT_DOUBLE_EQ(c.observed.back(), 1.0);
  EXPECT_DOUBLE_EQ(c.x_s.front(), 0.0);
  EXPECT_GT(c.x_s.back(), 1.0);  // a little past the widest curve
}

TEST(ReconnectTheory, WithoutReconnectsTheFirstAttemptIsStillShown) {
  const auto c = compare_reconnect_delays(device::HistogramSnapshot{}, policy(5.0, 60.0, "none"));
  EXPECT_TRUE(c.observed.empty());
  ASSERT_EQ(c.theory.size(), 1u);
  EXPECT_DOUBLE_EQ(c.theory[0].support_max_s, 5.0);
}

TEST(ReconnectTheory, UnknownJitterOrAnOldReportGiveNoTheory) {
  device::HistogramSnapshot observed;
  observed.record(1'000'000'000, 1);
  const auto c = compare_reconnect_delays(observed, policy(1.0, 60.0, "exotic"));
  EXPECT_TRUE(c.theory.empty());
  EXPECT_NE(c.formula.find("not known"), std::string::npos) << c.formula;
  EXPECT_FALSE(c.observed.empty());
  EXPECT_FALSE(backoff_policy_of(ReconnectPolicy{}).has_value());  // reports before the field
  const auto b = backoff_policy_of(policy(0.5, 4.0, "decorrelated"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->min_ms, 500u);
  EXPECT_EQ(b->max_ms, 4000u);
  EXPECT_EQ(b->mode, device::JitterMode::Decorrelated);
}

}  // namespace
}  // namespace fleetload::metrics
