// The capacity-search controller (phase type search): which value the next step targets.
// A fixed ladder from `from` to `to`, then (adaptive, single process only) bisection between
// the last passing and the first failing step down to `precision`; it ends at a collapse,
// at max_steps, or when there is nothing left to narrow. The controller only decides
// values: the engine applies each value to the plans it varies (today the whole fleet's
// one plan; with groups, the plan of `group:`) and hands back the judged step.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "metrics/search_steps.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::engine {

// The ladder's values in order: linear N (N values from..to), geometric F (from, from*F, ...,
// to) or a fixed increment (from, from+d, ..., to); whole numbers for devices, duplicates
// dropped, at most max_steps values. Deterministic: shards on a fixed ladder all run it.
std::vector<double> search_ladder(const scenario::Search& s);

struct NextStep {
  metrics::StepKind kind = metrics::StepKind::Ladder;
  double value = 0.0;
};

class SearchController {
 public:
  // adaptive = false: every value of the fixed ladder, whatever each step's verdict (sharded
  // runs: no shard sees the whole fleet, so none may choose the next value or stop from its
  // own share; report merge judges the steps). Only a collapse or max_steps ends it sooner.
  SearchController(scenario::Search search, bool adaptive);

  // The step to run now; nullopt when the search is over (see stop_reason()).
  const std::optional<NextStep>& next() const { return next_; }
  // The step just run, judged (metrics::judge_step); decides the next one.
  void record(metrics::SearchStep step);

  const std::vector<metrics::SearchStep>& steps() const { return steps_; }
  // Why the search ended (empty while it runs): "precision reached", "collapse at 800/s" ...
  const std::string& stop_reason() const { return stop_reason_; }
  metrics::SearchSummary summary() const { return metrics::summarize_search(steps_, search_); }

 private:
  void stop(std::string why);
  bool narrow_enough(double lo, double hi) const;

  scenario::Search search_;
  bool adaptive_;
  std::vector<double> ladder_;
  std::size_t ladder_pos_ = 0;
  bool bisecting_ = false;
  double lo_ = 0.0;  // bisection: highest passing value
  double hi_ = 0.0;  // bisection: lowest non-passing value
  std::optional<NextStep> next_;
  std::vector<metrics::SearchStep> steps_;
  std::string stop_reason_;
};

}  // namespace fleetload::engine
