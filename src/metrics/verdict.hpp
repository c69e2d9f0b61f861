// The verdict of a run (or of a merged report, a capacity-search step, a group's thresholds):
// pass, fail or inconclusive, decided in one place from plain figures, so that every caller
// gates the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetload::metrics {

enum class Verdict : std::uint8_t {
  Pass,          // something was measured and every threshold held
  Fail,          // a measured threshold was breached
  Inconclusive,  // nothing to judge: no device ever connected, or a threshold measured nothing
};
// "pass", "fail", "inconclusive" (the JSON and metric label values).
const char* to_string(Verdict v) noexcept;
// The inverse of to_string; nullopt for anything else.
std::optional<Verdict> verdict_from_string(std::string_view text) noexcept;

// One threshold as measured: what the verdict needs, nothing more.
struct ThresholdOutcome {
  std::string name;    // e.g. "p99_ack_latency" (callers may prefix a group)
  bool measured = false;  // false: the metric has no samples (see `detail`)
  bool met = false;       // measured and within its limit
  // For the reasons: when measured, "312 ms, limit <= 250ms"; else why nothing was
  // measured ("no subscriber received anything").
  std::string detail;
  // When measured: the figure and the limit in the threshold's unit (seconds, ratio, count),
  // for charts of the criteria against a search's steps.
  double value = 0.0;
  double limit = 0.0;
};

struct VerdictResult {
  Verdict verdict = Verdict::Pass;
  // Why, most important first: each breach ("p99_ack_latency: 312 ms, limit <= 250ms"), or
  // "no device connected", or each unmeasured threshold ("max_loss: not measured: ...").
  // Empty for a pass.
  std::vector<std::string> reasons;
  // "PASS", "FAIL (reason; reason)", "INCONCLUSIVE (reason; reason)".
  std::string headline() const;
};

// The rules, in order (docs/cli.md "Verdicts"):
//   1. a measured threshold breached -> Fail (definitive even when another is unmeasured);
//   2. no device ever connected -> Inconclusive, thresholds or not;
//   3. a threshold whose metric has no samples -> Inconclusive;
//   4. else Pass.
VerdictResult decide_verdict(std::span<const ThresholdOutcome> thresholds, bool any_device_connected);

}  // namespace fleetload::metrics
