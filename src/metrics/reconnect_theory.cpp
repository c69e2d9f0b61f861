// Observed reconnect delays against the backoff formula, attempt by attempt.
#include "metrics/reconnect_theory.hpp"

#include <algorithm>
#include <cmath>

#include "metrics/format.hpp"

namespace fleetload::metrics {

namespace {

std::uint64_t ms_of(double s) { return s <= 0 ? 0 : static_cast<std::uint64_t>(std::llround(s * 1000.0)); }

std::string formula_text(const device::BackoffPolicy& p) {
  const std::string range = "min " + human::duration_ms(static_cast<double>(p.min_ms)) + ", max " +
                            human::duration_ms(static_cast<double>(p.max_ms));
  switch (p.mode) {
    case device::JitterMode::None:
      return "no jitter (" + range + "): attempt n waits min x 2^(n-1), at most max";
    case device::JitterMode::Full:
      return "full jitter (" + range + "): attempt n waits a uniform draw in [0, min x 2^(n-1)), at most max";
    case device::JitterMode::Decorrelated:
      return "decorrelated jitter (" + range + "): drawn as the SDK's MQTT 5 client draws it, a full-jitter draw "
             "every attempt";
    case device::JitterMode::DecorrelatedTextbook:
      return "decorrelated_textbook jitter (" + range + "): attempt n waits a uniform draw in [min, 3 x previous), "
             "at most max";
  }
  return range;
}

}  // namespace

std::optional<device::BackoffPolicy> backoff_policy_of(const ReconnectPolicy& p) {
  if (!p.known) return std::nullopt;
  device::BackoffPolicy b;
  b.min_ms = ms_of(p.min_s);
  b.max_ms = std::max(b.min_ms, ms_of(p.max_s));
  b.reset_after_ms = ms_of(p.reset_after_s);
  for (auto m : {device::JitterMode::None, device::JitterMode::Full, device::JitterMode::Decorrelated,
                 device::JitterMode::DecorrelatedTextbook}) {
    if (p.jitter == device::to_string(m)) {
      b.mode = m;
      return b;
    }
  }
  return std::nullopt;
}

ReconnectDelayComparison compare_reconnect_delays(const device::HistogramSnapshot& observed,
                                                  const ReconnectPolicy& policy, unsigned max_attempts,
                                                  unsigned points, unsigned draws) {
  ReconnectDelayComparison out;
  out.observed_count = observed.count;
  const double observed_max_s = observed.count ? static_cast<double>(observed.max) / 1e9 : 0.0;

  // Draws per attempt from the devices' own formula: draws[k] holds the delays (s) of
  // attempt k + 1, each from a fresh sequence of k + 1 draws after a reset.
  std::vector<std::vector<double>> samples;
  const auto b = backoff_policy_of(policy);
  if (b) {
    out.formula = formula_text(*b);
    std::uint64_t rng = 0x5EED0F1EE7104Dull;  // fixed: the same report draws the same curves
    for (unsigned k = 1; k <= std::max(1u, max_attempts); ++k) {
      std::vector<double> d;
      d.reserve(draws);
      for (unsigned i = 0; i < draws; ++i) {
        device::BackoffState st;
        std::uint64_t ms = 0;
        for (unsigned a = 0; a < k; ++a) ms = st.next(*b, rng);
        d.push_back(static_cast<double>(ms) / 1e3);
      }
      std::sort(d.begin(), d.end());
      const double support = d.back();
      samples.push_back(std::move(d));
      // Enough attempts: this one reaches every observed delay, or the cap.
      if (support >= observed_max_s || support >= static_cast<double>(b->max_ms) / 1e3) break;
    }
  } else if (policy.known) {
    out.formula = "jitter \"" + policy.jitter + "\" is not known to this fleetload: no theoretical curve";
  }

  double x_max = observed_max_s;
  for (const auto& d : samples) x_max = std::max(x_max, d.back());
  if (x_max <= 0) x_max = 1.0;
  x_max *= 1.05;
  const unsigned n = std::max(2u, points);
  out.x_s.reserve(n);
  for (unsigned i = 0; i < n; ++i) out.x_s.push_back(x_max * static_cast<double>(i) / static_cast<double>(n - 1));

  if (observed.count) {
    // Share of delays whose bucket lies wholly at or below x (buckets are 0.8 % wide).
    out.observed.reserve(n);
    std::size_t bucket = 0;
    std::uint64_t seen = 0;
    for (double x : out.x_s) {
      const double x_ns = x * 1e9;
      while (bucket < observed.counts.size() &&
             static_cast<double>(device::hist::bucket_highest(bucket)) <= x_ns) {
        seen += observed.counts[bucket];
        ++bucket;
      }
      out.observed.push_back(static_cast<double>(seen) / static_cast<double>(observed.count));
    }
  }
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const auto& d = samples[k];
    DelayCurve c;
    c.label = "attempt " + std::to_string(k + 1);
    c.support_max_s = d.back();
    c.share.reserve(n);
    for (double x : out.x_s) {
      const auto at = std::upper_bound(d.begin(), d.end(), x) - d.begin();
      c.share.push_back(static_cast<double>(at) / static_cast<double>(d.size()));
    }
    out.theory.push_back(std::move(c));
  }
  return out;
}

}  // namespace fleetload::metrics
