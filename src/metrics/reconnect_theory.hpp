// The reconnect delays a run chose, against the distribution the configured backoff
// (min, max, jitter) should give: the report's "did the jitter spread the storm?" chart.
//
// The delay of a reconnect depends on how many attempts in a row failed before it (the n of
// the SDK's formula), which no counter records, so the theory is one curve per attempt:
// attempt 1 is the delay after a reset (e.g. the first reconnect after a drop), attempt 2
// follows one failed reconnect, and so on. A storm whose devices all come back at the first
// try follows the "attempt 1" curve; delays beyond it came from later attempts. The curves
// come from the device code's own formula (device::BackoffState, drawn with a fixed seed), so
// they are what the devices were told to do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "device/backoff.hpp"
#include "device/stats.hpp"
#include "metrics/run_report.hpp"

namespace fleetload::metrics {

struct DelayCurve {
  std::string label;           // "attempt 1", ...
  std::vector<double> share;   // share of delays <= x_s[i], 0..1
  double support_max_s = 0.0;  // the largest delay this attempt can draw
};

struct ReconnectDelayComparison {
  std::vector<double> x_s;       // delay grid, seconds, ascending from 0
  std::vector<double> observed;  // share of the run's delays <= x_s[i]; empty without any
  std::uint64_t observed_count = 0;
  std::vector<DelayCurve> theory;  // attempts 1, 2, ... (empty when the jitter is unknown)
  std::string formula;             // the formula in words, for the reader
};

// The device policy named by a report's `reconnect` figures; nullopt for a jitter name this
// build does not know (a report of another version).
std::optional<device::BackoffPolicy> backoff_policy_of(const ReconnectPolicy& p);

// Theory curves for attempts 1..`max_attempts`, stopping after the first attempt whose
// largest delay covers the observed maximum (or reaches the policy's max), on a grid of
// `points` delays from 0 to a little beyond the larger of the two. `draws` per attempt.
ReconnectDelayComparison compare_reconnect_delays(const device::HistogramSnapshot& observed,
                                                  const ReconnectPolicy& policy, unsigned max_attempts = 6,
                                                  unsigned points = 200, unsigned draws = 20000);

}  // namespace fleetload::metrics
