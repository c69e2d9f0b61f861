// Capacity-search controller: the ladder, then bisection.
#include "engine/search.hpp"

#include <algorithm>
#include <cmath>

namespace fleetload::engine {
namespace {

bool whole(const scenario::Search& s) { return s.vary == scenario::SearchVary::Devices; }

}  // namespace

std::vector<double> search_ladder(const scenario::Search& s) {
  std::vector<double> out;
  auto push = [&](double v) {
    if (whole(s)) v = std::round(v);
    v = std::min(v, s.to);
    if (out.empty() || v > out.back()) out.push_back(v);
  };
  // 1e-9 relative slack: 100 * 1.1 * 1.1 ... must not miss `to` by a rounding error.
  const double slack = s.to * 1e-9;
  switch (s.steps.kind) {
    case scenario::SearchSteps::Kind::Linear: {
      const auto n = static_cast<std::size_t>(s.steps.value);
      for (std::size_t i = 0; i < n; ++i)
        push(s.from + (s.to - s.from) * static_cast<double>(i) / static_cast<double>(n - 1));
      break;
    }
    case scenario::SearchSteps::Kind::Geometric:
      for (double v = s.from; v < s.to - slack && out.size() < s.max_steps; v *= s.steps.value) push(v);
      push(s.to);
      break;
    case scenario::SearchSteps::Kind::Step:
      for (std::size_t i = 0; out.size() < s.max_steps; ++i) {
        const double v = s.from + s.steps.value * static_cast<double>(i);
        if (v >= s.to - slack) break;
        push(v);
      }
      push(s.to);
      break;
  }
  if (out.size() > s.max_steps) out.resize(s.max_steps);
  return out;
}

SearchController::SearchController(scenario::Search search, bool adaptive)
    : search_(std::move(search)), adaptive_(adaptive), ladder_(search_ladder(search_)) {
  if (ladder_.empty()) stop("no step to run");
  else next_ = NextStep{metrics::StepKind::Ladder, ladder_[0]};
}

void SearchController::stop(std::string why) {
  next_.reset();
  stop_reason_ = std::move(why);
}

bool SearchController::narrow_enough(double lo, double hi) const {
  const double gap = hi - lo;
  if (whole(search_) && gap <= 1.0) return true;
  return gap <= (search_.precision_relative ? search_.precision * lo : search_.precision);
}

void SearchController::record(metrics::SearchStep step) {
  if (!next_) return;
  step.index = static_cast<std::uint32_t>(steps_.size());
  step.kind = next_->kind;
  step.value = next_->value;
  const bool passed = step.verdict == metrics::Verdict::Pass;
  const bool collapse = step.collapse;
  steps_.push_back(std::move(step));
  const auto& v = steps_.back();
  const auto text = [&](double x) { return metrics::format_search_value(search_.vary, x); };
  if (collapse) return stop("collapse at " + text(v.value) + ": the search stopped there");
  if (steps_.size() >= search_.max_steps) return stop("max_steps (" + std::to_string(search_.max_steps) + ") reached");

  if (!adaptive_) {
    // A shard sees only its share of the fleet: it runs every value of the ladder (only a
    // collapse or max_steps ends it sooner), and report merge judges the fleet's steps.
    if (++ladder_pos_ < ladder_.size()) {
      next_ = NextStep{metrics::StepKind::Ladder, ladder_[ladder_pos_]};
      return;
    }
    return stop("fixed ladder: every step ran");
  }
  if (!bisecting_) {
    if (passed) {
      if (++ladder_pos_ < ladder_.size()) {
        next_ = NextStep{metrics::StepKind::Ladder, ladder_[ladder_pos_]};
        return;
      }
      return stop("every step passed: the limit is above " + text(search_.to));
    }
    if (ladder_pos_ == 0) return stop("the first step did not pass: the limit is below " + text(search_.from));
    bisecting_ = true;
    lo_ = ladder_[ladder_pos_ - 1];
    hi_ = v.value;
  } else if (passed) {
    lo_ = v.value;
  } else {
    hi_ = v.value;
  }
  if (narrow_enough(lo_, hi_)) return stop("precision reached between " + text(lo_) + " and " + text(hi_));
  double mid = (lo_ + hi_) / 2.0;
  if (whole(search_)) mid = std::floor(mid);
  if (mid <= lo_ || mid >= hi_) return stop("precision reached between " + text(lo_) + " and " + text(hi_));
  next_ = NextStep{metrics::StepKind::Bisect, mid};
}

}  // namespace fleetload::engine
