// Step verdicts and the knee of a capacity search.
#include "metrics/search_steps.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "metrics/format.hpp"
#include "metrics/run_report.hpp"

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

std::vector<ThresholdOutcome> measure_step_criteria(const std::vector<scenario::Threshold>& thresholds,
                                                    const std::vector<std::string>& criteria,
                                                    const device::StatsSnapshot& window,
                                                    double requested_publish_rate, double achieved_publish_rate) {
  std::vector<scenario::Threshold> chosen;
  for (const auto& name : criteria)
    for (const auto& t : thresholds)
      if (t.metric == name) chosen.push_back(t);
  // The window in the shape the threshold measures read (a group's view: figures only).
  GroupReport view;
  view.stats = window;
  view.publish_rate = rate_figure(requested_publish_rate, achieved_publish_rate);
  evaluate_group_thresholds(chosen, view);
  std::vector<ThresholdOutcome> out;
  for (const auto& t : view.thresholds) {
    ThresholdOutcome o;
    o.name = t.metric;
    o.measured = t.measured;
    o.met = t.passed;
    o.detail = t.measured ? threshold_value_text(t) + ", limit " + (t.text.empty() ? t.op : t.text) : t.reason;
    o.value = t.value;
    o.limit = t.limit;
    out.push_back(std::move(o));
  }
  return out;
}

void judge_window(SearchStep& st, const StepWindow& w, const scenario::Search& search,
                  const std::vector<scenario::Threshold>& thresholds) {
  const double len = std::max(1e-9, w.seconds);
  const double sent_per_s = static_cast<double>(w.varied_sent) / len;
  const bool devices = search.vary == scenario::SearchVary::Devices;
  const bool publish = search.vary == scenario::SearchVary::PublishRate;
  st.achieved = devices   ? static_cast<double>(w.varied_connected)
                : publish ? (search.per_device ? sent_per_s / std::max(1.0, w.publishing_devices) : sent_per_s)
                          : static_cast<double>(w.varied_connects_ok) / len;
  st.criteria = measure_step_criteria(thresholds, search.criteria, w.fleet, w.requested_publish_rate,
                                      w.achieved_publish_rate);
  if (devices) {
    // A devices step is only what it claims when that many devices are connected at its end.
    ThresholdOutcome c;
    c.name = "devices_connected";
    c.measured = true;
    c.met = static_cast<double>(w.varied_connected) >= st.target;
    c.detail = format_search_value(search.vary, static_cast<double>(w.varied_connected)) + " connected, target " +
               format_search_value(search.vary, st.target);
    st.criteria.insert(st.criteria.begin(), std::move(c));
  }
  judge_step(st, w.varied_connected > 0 || w.varied_connects_ok > 0, search.abort,
             w.varied_connects_ok + w.varied_connect_failures, w.varied_connects_ok, w.broker_errors_per_s);
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

std::string search_text(const SearchReport& r) {
  const auto v = [&](double x) { return format_search_value(r.search.vary, x); };
  std::string out = "\n  capacity search (" + r.phase + "): vary " + scenario::to_string(r.search.vary) +
                    (r.search.vary == scenario::SearchVary::PublishRate ? (r.search.per_device ? " per device" : " per fleet") : "") + "\n";
  // A shard ran its part of each step's (fleet-wide) value: shown beside it.
  const bool parts = std::any_of(r.steps.begin(), r.steps.end(), [](const SearchStep& st) {
    return std::fabs(st.target - st.value) > 1e-9 * std::max(1.0, st.value);
  });
  char buf[192];
  if (parts)
    std::snprintf(buf, sizeof buf, "    %-4s %-7s %12s %12s %12s %-13s %s\n", "step", "kind", "value", "this shard",
                  "achieved", "result", "criteria");
  else
    std::snprintf(buf, sizeof buf, "    %-4s %-7s %12s %12s %-13s %s\n", "step", "kind", "value", "achieved", "result",
                  "criteria");
  out += buf;
  for (const auto& st : r.steps) {
    const char* res = st.collapse ? "COLLAPSE" : st.verdict == Verdict::Pass ? "pass" : st.verdict == Verdict::Fail ? "FAIL" : "inconclusive";
    std::string crit;
    for (const auto& c : st.criteria) crit += (crit.empty() ? "" : "; ") + c.name + " " + c.detail;
    if (parts)
      std::snprintf(buf, sizeof buf, "    %-4u %-7s %12s %12s %12s %-13s ", st.index, to_string(st.kind), v(st.value).c_str(),
                    v(st.target).c_str(), v(st.achieved).c_str(), res);
    else
      std::snprintf(buf, sizeof buf, "    %-4u %-7s %12s %12s %-13s ", st.index, to_string(st.kind), v(st.value).c_str(),
                    v(st.achieved).c_str(), res);
    out += buf + crit + "\n";
  }
  if (parts)
    out += "    (this shard's part of each step; `fleetload report merge` of every shard judges the fleet's steps)\n";
  const auto& s = r.summary;
  out += "    sustainable: " + (s.sustainable ? v(*s.sustainable) : std::string("none"));
  if (s.first_failing) {
    std::string by;
    for (const auto& b : s.broken_by) by += (by.empty() ? "" : ", ") + b;
    out += ", first failing: " + v(*s.first_failing) + (by.empty() ? "" : " (broken by " + by + ")");
  }
  if (!r.search.require_text.empty()) out += ", require " + r.search.require_text;
  out += "\n    stopped: " + r.stop_reason + "\n";
  return out;
}

}  // namespace fleetload::metrics
