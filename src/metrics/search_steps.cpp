// Step verdicts and the knee of a capacity search.
#include "metrics/search_steps.hpp"

#include <algorithm>
#include <cmath>

#include "metrics/format.hpp"

namespace fleetload::metrics {

const char* to_string(StepKind k) noexcept {
  switch (k) {
    case StepKind::Ladder: return "ladder";
    case StepKind::Bisect: return "bisect";
  }
  return "?";
}

std::string format_search_value(scenario::SearchVary vary, double value) {
  if (vary == scenario::SearchVary::Devices) return human::count(static_cast<std::uint64_t>(std::llround(value)));
  return human::rate(value);
}

void judge_step(SearchStep& step, bool any_device_connected, const scenario::SearchAbort& abort,
                std::uint64_t connect_attempts, std::uint64_t connects_ok, double broker_errors_per_s) {
  const VerdictResult v = decide_verdict(step.criteria, any_device_connected);
  step.verdict = v.verdict;
  step.reasons = v.reasons;
  step.collapse = false;
  // A collapse is judged on what the broker did in the window, whatever the criteria say:
  // it ends the search so the broker is not pushed further into an outage.
  if (connect_attempts > 0 && abort.connect_success_below > 0.0) {
    const double ok = static_cast<double>(connects_ok) / static_cast<double>(connect_attempts);
    if (ok < abort.connect_success_below) {
      step.collapse = true;
      step.reasons.push_back("collapse: connect success " + human::ratio_percent(ok) + " below " +
                             human::ratio_percent(abort.connect_success_below));
    }
  }
  if (broker_errors_per_s > abort.errors_per_second_above) {
    step.collapse = true;
    step.reasons.push_back("collapse: " + human::rate(broker_errors_per_s) + " broker errors, above " +
                           human::rate(abort.errors_per_second_above));
  }
  // A collapse is never a pass, even when the chosen criteria do not see it.
  if (step.collapse) step.verdict = Verdict::Fail;
}

SearchSummary summarize_search(std::span<const SearchStep> steps, const scenario::Search& search) {
  SearchSummary out;
  // The lowest value that did not pass bounds what can be called sustainable: a pass above
  // it (a noisy window) is not evidence of capacity.
  std::optional<double> bound;
  for (const auto& s : steps) {
    if (s.collapse) out.collapsed = true;
    if (s.verdict != Verdict::Pass) bound = bound ? std::min(*bound, s.value) : s.value;
    if (s.verdict == Verdict::Fail) {
      if (!out.first_failing || s.value < *out.first_failing) {
        out.first_failing = s.value;
        out.broken_by.clear();
        for (const auto& c : s.criteria)
          if (c.measured && !c.met) out.broken_by.push_back(c.name);
        if (out.broken_by.empty() && s.collapse) out.broken_by.push_back("abort");
      }
    }
  }
  for (const auto& s : steps) {
    if (s.verdict != Verdict::Pass || (bound && s.value >= *bound)) continue;
    if (!out.sustainable || s.value > *out.sustainable) out.sustainable = s.value;
  }
  const auto v = [&](double x) { return format_search_value(search.vary, x); };
  if (out.sustainable) {
    bool meets = true;
    if (search.require_op) {
      meets = *search.require_op == scenario::ThresholdOp::Gt ? *out.sustainable > search.require_value
                                                               : *out.sustainable >= search.require_value;
    }
    if (meets) {
      out.verdict.verdict = Verdict::Pass;
    } else {
      out.verdict.verdict = Verdict::Fail;
      out.verdict.reasons.push_back("sustainable " + v(*out.sustainable) + ", required " +
                                    scenario::to_string(*search.require_op) + " " + v(search.require_value));
    }
  } else if (out.first_failing) {
    out.verdict.verdict = Verdict::Fail;
    out.verdict.reasons.push_back("no step passed: " + v(*out.first_failing) + " already fails");
  } else {
    out.verdict.verdict = Verdict::Inconclusive;
    out.verdict.reasons.push_back(steps.empty() ? "no search step ran" : "no search step could be judged");
  }
  return out;
}

}  // namespace fleetload::metrics
