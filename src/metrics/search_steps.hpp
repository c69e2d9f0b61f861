// The steps of a capacity search (phase type search) and what they add up to: each step's
// verdict on its own window, the highest passing value ("sustainable"), the first failing
// one and the criterion that broke. Shared by the single-process search (engine/search.hpp)
// and `fleetload report merge`, which judges a fixed ladder's steps on the merged data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "device/stats.hpp"
#include "metrics/verdict.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::metrics {

enum class StepKind : std::uint8_t {
  Ladder,  // a value of the fixed ladder (from .. to)
  Bisect,  // a value between the last passing and the first failing step
};
const char* to_string(StepKind k) noexcept;

// What report merge needs of one shard's step to judge it on the whole fleet's data: the
// window's figures before any verdict (written to the JSON report of sharded runs only).
struct StepWindow {
  double seconds = 0.0;           // the window's length
  device::StatsSnapshot fleet;    // this shard's whole fleet over the window (the criteria)
  // The groups the search varies (all, without `group`): connected at the window's end,
  // CONNACKs accepted and PUBLISHes sent in it, and their publishing devices.
  std::uint64_t varied_connected = 0;
  std::uint64_t varied_connects_ok = 0;
  std::uint64_t varied_connect_failures = 0;
  std::uint64_t varied_sent = 0;
  double publishing_devices = 0.0;
  double requested_publish_rate = 0.0;  // msg/s due in the window (0: none asked)
  double achieved_publish_rate = 0.0;   // msg/s sent in it, the whole fleet of the shard
  double broker_errors_per_s = 0.0;
};

struct SearchStep {
  std::uint32_t index = 0;  // 0-based, in the order run
  StepKind kind = StepKind::Ladder;
  double value = 0.0;     // the target of the step (connects/s, msgs/s, devices), fleet-wide
  // The part of `value` this process ran: `value` itself in a single process; in a shard
  // its share (its devices of the step, its part of the rate; a per-device rate is the same).
  double target = 0.0;
  double achieved = 0.0;  // what the step's window measured of the same quantity (this process's)
  double window_start_s = 0.0;  // measurement window (settle end .. step end), from run start
  double window_end_s = 0.0;
  std::vector<ThresholdOutcome> criteria;  // the search's criteria, measured on the window
  Verdict verdict = Verdict::Inconclusive;
  std::vector<std::string> reasons;  // decide_verdict's, plus the collapse when there is one
  // The window crossed a search abort limit (connect success collapsing, error burst):
  // the search ended at this step.
  bool collapse = false;
  std::optional<StepWindow> window;  // sharded runs: for report merge
};

// A step's verdict from its criteria (the run's verdict rules, verdict.hpp), and whether its
// window crossed an abort limit: accepted CONNACKs / attempts below
// abort.connect_success_below (only when there were attempts), or broker errors per second
// above abort.errors_per_second_above.
void judge_step(SearchStep& step, bool any_device_connected, const scenario::SearchAbort& abort,
                std::uint64_t connect_attempts, std::uint64_t connects_ok, double broker_errors_per_s);

// The search's criteria (threshold names, `criteria`) measured on a step's window alone:
// `window` is the stats delta from settle end to step end, the publish rates those of the
// window. The same measures as the run's thresholds (run_report.hpp measure_threshold).
std::vector<ThresholdOutcome> measure_step_criteria(const std::vector<scenario::Threshold>& thresholds,
                                                    const std::vector<std::string>& criteria,
                                                    const device::StatsSnapshot& window,
                                                    double requested_publish_rate, double achieved_publish_rate);

// Judges `step` (its value and target set) on its window's figures, one process's or the
// shards' merged (counts summed, rates summed, `seconds` their common length): the achieved
// value, the criteria (with devices_connected first for a devices search: the target must be
// connected at the window's end), the verdict and any collapse.
void judge_window(SearchStep& step, const StepWindow& w, const scenario::Search& search,
                  const std::vector<scenario::Threshold>& thresholds);

struct SearchSummary {
  // The highest passing value below the lowest non-passing one; none when no step passed.
  std::optional<double> sustainable;
  std::optional<double> first_failing;  // the lowest value whose step failed
  std::vector<std::string> broken_by;   // criteria not met at first_failing (names)
  bool collapsed = false;               // a step crossed an abort limit
  // PASS when a sustainable value meets `require` (any, without one); FAIL when none does
  // or a step failed before any passed; INCONCLUSIVE when no step could be judged.
  VerdictResult verdict;
};

SearchSummary summarize_search(std::span<const SearchStep> steps, const scenario::Search& search);

// A capacity search as it ran, for the reports: the phase, the search as configured, every
// step judged on its own window, what they add up to, and why the search ended.
struct SearchReport {
  std::string phase;
  scenario::Search search;
  std::vector<SearchStep> steps;
  SearchSummary summary;
  std::string stop_reason;  // "precision reached between ...", "collapse at ...", ...
};

// The step table and the answer for the end-of-run summary (plain text, two-space indent).
std::string search_text(const SearchReport& r);

// How a search's quantity reads: "500/s" for the rates, "1,000" for devices.
std::string format_search_value(scenario::SearchVary vary, double value);

}  // namespace fleetload::metrics
