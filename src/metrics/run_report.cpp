// Figures derived from a run for the report: percentiles, rate errors, books, thresholds.
#include "metrics/run_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fleetload::metrics {

namespace {

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

const char* op_text(scenario::ThresholdOp op) {
  switch (op) {
    case scenario::ThresholdOp::Lt: return "<";
    case scenario::ThresholdOp::Le: return "<=";
    case scenario::ThresholdOp::Gt: return ">";
    case scenario::ThresholdOp::Ge: return ">=";
    case scenario::ThresholdOp::Eq: return "==";
  }
  return "?";
}

const char* unit_text(scenario::Threshold::Unit u) {
  switch (u) {
    case scenario::Threshold::Unit::Count: return "count";
    case scenario::Threshold::Unit::Ratio: return "ratio";
    case scenario::Threshold::Unit::Seconds: return "seconds";
  }
  return "?";
}

bool compare(double value, scenario::ThresholdOp op, double limit) {
  switch (op) {
    case scenario::ThresholdOp::Lt: return value < limit;
    case scenario::ThresholdOp::Le: return value <= limit;
    case scenario::ThresholdOp::Gt: return value > limit;
    case scenario::ThresholdOp::Ge: return value >= limit;
    case scenario::ThresholdOp::Eq: return value == limit;
  }
  return false;
}

// The value, or why there is none.
ThresholdMeasure measured(double v) { return {v, {}}; }
ThresholdMeasure unmeasured(std::string why) { return {std::nullopt, std::move(why)}; }

ThresholdMeasure p99_seconds(const device::HistogramSnapshot& h, const char* why_empty) {
  if (h.count == 0) return unmeasured(why_empty);
  return measured(static_cast<double>(h.percentile(0.99)) / 1e9);
}

// A count, or that count as a share of `base` when the threshold is a ratio.
ThresholdMeasure count_or_ratio(const scenario::Threshold& t, std::uint64_t count, std::uint64_t base,
                                const char* why_no_base) {
  if (t.unit != scenario::Threshold::Unit::Ratio) return measured(static_cast<double>(count));
  if (base == 0) return unmeasured(why_no_base);
  return measured(static_cast<double>(count) / static_cast<double>(base));
}

// Loss and duplicates are counted by sequence number among the messages that carry
// fleetload's header: with none of those received (and no gap seen), nothing was measured.
const char* why_no_tracked(const device::StatsSnapshot& s) {
  if (s.messages_received == 0) return "no subscriber received anything";
  return "no received message carried fleetload's sequence header (payload.template or header: false)";
}

// The rule as written ("<= 250ms"), with the op in front when the file gave only a value.
std::string limit_text(const ThresholdResult& t) {
  if (t.text.empty()) return t.op + " " + std::to_string(t.limit);
  if (t.text.find_first_of("<>=") == std::string::npos) return t.op + " " + t.text;
  return t.text;
}

}  // namespace

Percentiles percentiles_of(const device::HistogramSnapshot& h) {
  Percentiles p;
  p.count = h.count;
  if (h.count == 0) return p;
  p.min_ms = ms(h.min);
  p.mean_ms = h.mean() / 1e6;
  p.p50_ms = ms(h.percentile(0.50));
  p.p90_ms = ms(h.percentile(0.90));
  p.p99_ms = ms(h.percentile(0.99));
  p.p999_ms = ms(h.percentile(0.999));
  p.max_ms = ms(h.max);
  return p;
}

RateFigure rate_figure(double requested, double achieved) {
  RateFigure r{requested, achieved, 0.0};
  if (requested > 0.0) r.error_percent = (achieved - requested) / requested * 100.0;
  return r;
}

std::vector<MessageBooks> message_books(const device::StatsSnapshot& s) {
  std::vector<MessageBooks> out;
  const auto pending = static_cast<std::uint64_t>(std::max<std::int64_t>(0, s.in_flight + s.offline_queued));
  for (unsigned q = 1; q <= 2; ++q) {
    if (s.publish_requests[q] == 0) continue;
    MessageBooks b;
    b.qos = q;
    b.requests = s.publish_requests[q];
    b.acked = s.publishes_acked[q];
    b.timed_out = s.ack_timeouts[q];
    b.failed = s.publishes_failed_by_qos[q];
    // The gauges do not split by QoS; a scenario publishes at one QoS, so they belong to it.
    b.pending = pending;
    b.balanced = s.books_balance(q, pending);
    out.push_back(b);
  }
  return out;
}

ThresholdMeasure measure_threshold(const scenario::Threshold& t, const RunReport& r) {
  const auto& s = r.stats;
  // Deliveries that carried this run's header: not untracked, not from an earlier run.
  const std::uint64_t tracked =
      s.messages_received - std::min(s.messages_received, s.messages_untracked + s.messages_from_earlier_run);
  if (t.metric == "connect_success_ratio") {
    // Completed attempts only: attempts still in progress when the run ended are neither.
    const std::uint64_t done = s.connects_ok + s.connect_failures;
    if (done == 0) return unmeasured("no connect attempt completed");
    return measured(static_cast<double>(s.connects_ok) / static_cast<double>(done));
  }
  if (t.metric == "max_loss") {
    if (tracked == 0 && s.messages_lost == 0) return unmeasured(why_no_tracked(s));
    return count_or_ratio(t, s.messages_lost, tracked + s.messages_lost, why_no_tracked(s));
  }
  if (t.metric == "max_duplicates") {
    if (tracked == 0) return unmeasured(why_no_tracked(s));
    return count_or_ratio(t, s.messages_duplicated, s.messages_received, why_no_tracked(s));
  }
  if (t.metric == "p99_ack_latency") {
    const bool acked_qos = s.publish_requests[1] + s.publish_requests[2] > 0;
    return p99_seconds(s.ack_latency, acked_qos             ? "no publish was acknowledged"
                                      : s.connects_ok == 0 ? "no device connected"
                                                           : "no QoS 1/2 publish was requested");
  }
  if (t.metric == "p99_e2e_latency") {
    return p99_seconds(s.e2e_latency, s.messages_received == 0 ? "no subscriber received anything"
                                                              : "no received message carried a send time");
  }
  if (t.metric == "p99_connect_time") return p99_seconds(s.time_to_connect, "no device connected");
  if (t.metric == "p99_shadow_update_latency")
    return p99_seconds(s.shadow_update_latency, "no shadow update was answered");
  if (t.metric == "max_shadow_rejections") {
    std::uint64_t answered = 0, rejected = 0;
    for (std::size_t op = 0; op < device::kShadowOpCount; ++op)
      for (std::size_t k = 0; k < device::kShadowOutcomeCount; ++k) {
        const auto o = static_cast<device::ShadowOutcome>(k);
        const auto c = s.shadow_ops[op * device::kShadowOutcomeCount + k];
        if (o == device::ShadowOutcome::TimedOut) continue;
        answered += c;
        if (o != device::ShadowOutcome::Accepted) rejected += c;
      }
    if (answered == 0) return unmeasured("no shadow request was answered");
    return count_or_ratio(t, rejected, answered, "no shadow request was answered");
  }
  if (t.metric == "p99_job_duration") return p99_seconds(s.job_duration, "no job execution ended SUCCEEDED or FAILED");
  if (t.metric == "max_job_failures") {
    // Of the executions that ended, those that did not end SUCCEEDED.
    std::uint64_t ended = 0;
    for (const auto c : s.job_executions) ended += c;
    if (ended == 0) return unmeasured("no job execution ended");
    return count_or_ratio(t, ended - s.job_ended(device::JobEnd::Succeeded), ended, "no job execution ended");
  }
  // ---- Fleet Provisioning by claim ----
  if (t.metric == "p99_provisioning_latency")
    return p99_seconds(s.provisioning_latency, s.provisioning_attempts == 0 ? "no device attempted provisioning"
                                                                           : "no device connected with a provisioned identity");
  if (t.metric == "max_provisioning_failures") {
    if (s.provisioning_attempts == 0) return unmeasured("no device attempted provisioning");
    return count_or_ratio(t, s.provisioning_failures, s.provisioning_attempts, "no device attempted provisioning");
  }
  // ---- end Fleet Provisioning ----
  if (t.metric == "max_publish_rate_error") {
    if (r.publish_rate.requested <= 0.0) return unmeasured("no publishes were requested");
    return measured(std::fabs(r.publish_rate.error_percent) / 100.0);
  }
  return unmeasured("unknown metric \"" + t.metric + "\"");
}

std::optional<double> threshold_value(const scenario::Threshold& t, const RunReport& r) {
  return measure_threshold(t, r).value;
}

std::string threshold_value_text(const ThresholdResult& t) {
  char buf[64];
  if (t.unit == "ratio") std::snprintf(buf, sizeof buf, "%.4g%%", t.value * 100.0);
  else if (t.unit == "seconds") std::snprintf(buf, sizeof buf, "%.4g ms", t.value * 1000.0);
  else std::snprintf(buf, sizeof buf, "%.0f", t.value);
  return buf;
}

namespace {
ThresholdOutcome outcome_of(const ThresholdResult& t, const std::string& prefix) {
  ThresholdOutcome o;
  o.name = prefix + t.metric;
  o.measured = t.measured;
  o.met = t.passed;
  o.detail = t.measured ? threshold_value_text(t) + ", limit " + limit_text(t) : t.reason;
  return o;
}

std::vector<ThresholdResult> evaluate(const std::vector<scenario::Threshold>& thresholds, const RunReport& report) {
  std::vector<ThresholdResult> out;
  for (const auto& t : thresholds) {
    ThresholdResult res;
    res.metric = t.metric;
    res.op = op_text(t.op);
    res.limit = t.value;
    res.unit = unit_text(t.unit);
    res.text = t.text;
    ThresholdMeasure m = measure_threshold(t, report);
    res.measured = m.value.has_value();
    res.value = m.value.value_or(0.0);
    res.reason = std::move(m.unmeasured_reason);
    res.passed = res.measured && compare(res.value, t.op, t.value);
    out.push_back(std::move(res));
  }
  return out;
}
}  // namespace

void evaluate_group_thresholds(const std::vector<scenario::Threshold>& thresholds, GroupReport& group) {
  // The group's figures in the shape the measures read.
  RunReport view;
  view.stats = group.stats;
  view.publish_rate = group.publish_rate;
  view.books = group.books;
  view.devices = group.devices;
  group.thresholds = evaluate(thresholds, view);
  std::vector<ThresholdOutcome> outcomes;
  for (const auto& t : group.thresholds) outcomes.push_back(outcome_of(t, ""));
  group.verdict = decide_verdict(outcomes, group.stats.connects_ok > 0).verdict;
}

void decide_report_verdict(RunReport& report) {
  std::vector<ThresholdOutcome> outcomes;
  outcomes.reserve(report.thresholds.size());
  for (const auto& t : report.thresholds) outcomes.push_back(outcome_of(t, ""));
  // A group's breach names the group: "group gateways: p99_ack_latency: 412 ms, limit <= 250ms".
  for (const auto& g : report.groups)
    for (const auto& t : g.thresholds) outcomes.push_back(outcome_of(t, "group " + g.name + ": "));
  VerdictResult v = decide_verdict(outcomes, report.stats.connects_ok > 0);
  report.verdict = v.verdict;
  report.verdict_reasons = std::move(v.reasons);
  if (report.search) {
    // A search pushes the broker past its limit on purpose: the whole run's thresholds then
    // break by design, so the gate is the search's answer (each step judged on its window).
    report.verdict = report.search->summary.verdict.verdict;
    report.verdict_reasons.clear();
    for (const auto& why : report.search->summary.verdict.reasons) report.verdict_reasons.push_back("search: " + why);
  }
}

void evaluate_thresholds(const std::vector<scenario::Threshold>& thresholds, RunReport& report) {
  report.thresholds = evaluate(thresholds, report);
  report.thresholds_passed = true;
  for (const auto& t : report.thresholds) report.thresholds_passed = report.thresholds_passed && t.passed;
  for (const auto& g : report.groups)
    for (const auto& t : g.thresholds) report.thresholds_passed = report.thresholds_passed && t.passed;
  decide_report_verdict(report);
}

}  // namespace fleetload::metrics
