// The HTML report's AWS IoT sections (report_html_aws.hpp).
#include "metrics/report_html_aws.hpp"

#include <algorithm>
#include <string>

#include "metrics/format.hpp"

namespace fleetload::metrics {
namespace {

// One request row: operation, requests, accepted, rejections (by code, those seen), timed
// out, and the answer latency.
template <class Name>
void request_row(std::ostream& o, const char* op, const std::uint64_t* counts, std::size_t kinds, std::size_t timed_out,
                 Name&& name, const device::HistogramSnapshot& latency) {
  std::uint64_t total = 0;
  std::string rejected;
  for (std::size_t k = 0; k < kinds; ++k) {
    total += counts[k];
    if (k == 0 || k == timed_out || counts[k] == 0) continue;
    rejected += (rejected.empty() ? "" : ", ") + std::string(name(k)).substr(std::string_view("rejected_").size()) +
                " " + human::count(counts[k]);
  }
  if (total == 0) return;
  const Percentiles p = percentiles_of(latency);
  o << "<tr><td>" << op << "</td><td class=\"num\">" << human::count(total) << "</td><td class=\"num\">"
    << human::count(counts[0]) << "</td><td>" << (rejected.empty() ? "0" : rejected) << "</td><td class=\"num\">"
    << human::count(counts[timed_out]) << "</td>";
  for (double v : {p.p50_ms, p.p99_ms, p.max_ms}) o << "<td class=\"num\">" << human::duration_ms(v) << "</td>";
  o << "</tr>";
}

constexpr const char* kRequestHeader =
    "<tr><th>request</th><th>sent</th><th>accepted</th><th>rejected (code)</th><th>timed out</th>"
    "<th>p50</th><th>p99</th><th>max</th></tr>";

void shadow(std::ostream& o, const device::StatsSnapshot& s) {
  std::uint64_t any = 0;
  for (const auto c : s.shadow_ops) any += c;
  if (any == 0) return;
  o << "<h2>AWS IoT Device Shadow</h2><table class=\"aws\">" << kRequestHeader;
  const auto name = [](std::size_t k) { return device::to_string(static_cast<device::ShadowOutcome>(k)); };
  const auto timed_out = static_cast<std::size_t>(device::ShadowOutcome::TimedOut);
  request_row(o, "get", &s.shadow_ops[device::shadow_index(device::ShadowOp::Get, device::ShadowOutcome::Accepted)],
              device::kShadowOutcomeCount, timed_out, name, s.shadow_get_latency);
  request_row(o, "update", &s.shadow_ops[device::shadow_index(device::ShadowOp::Update, device::ShadowOutcome::Accepted)],
              device::kShadowOutcomeCount, timed_out, name, s.shadow_update_latency);
  o << "</table><p class=\"hint\">" << human::count(s.shadow_deltas_received) << " deltas received, "
    << human::count(s.shadow_conflict_retries) << " conflict retries, " << human::count(s.shadow_version_regressions)
    << " version regressions, " << human::count(s.shadow_foreign_responses) << " answers to other clients.</p>";
}

void jobs(std::ostream& o, const device::StatsSnapshot& s) {
  std::uint64_t any = s.job_starts + s.job_notifications;
  for (const auto c : s.job_requests) any += c;
  if (any == 0) return;
  o << "<h2>AWS IoT Jobs</h2><table class=\"aws\">" << kRequestHeader;
  const auto name = [](std::size_t k) { return device::to_string(static_cast<device::JobOutcome>(k)); };
  const auto timed_out = static_cast<std::size_t>(device::JobOutcome::TimedOut);
  request_row(o, "start-next", &s.job_requests[device::job_index(device::JobOp::StartNext, device::JobOutcome::Accepted)],
              device::kJobOutcomeCount, timed_out, name, s.job_start_next_latency);
  request_row(o, "update", &s.job_requests[device::job_index(device::JobOp::Update, device::JobOutcome::Accepted)],
              device::kJobOutcomeCount, timed_out, name, s.job_update_latency);
  o << "</table><table class=\"aws\"><tr><th>executions</th><th>started</th><th>succeeded</th><th>failed</th>"
       "<th>rejected</th><th>timed out</th><th>in progress</th></tr><tr><td>jobs</td>";
  using device::JobEnd;
  for (const auto n : {s.job_starts, s.job_ended(JobEnd::Succeeded), s.job_ended(JobEnd::Failed),
                       s.job_ended(JobEnd::Rejected), s.job_ended(JobEnd::TimedOut),
                       static_cast<std::uint64_t>(std::max<std::int64_t>(s.job_executions_in_progress, 0))})
    o << "<td class=\"num\">" << human::count(n) << "</td>";
  o << "</tr></table><table class=\"aws\"><tr><th>per job</th><th>count</th><th>p50</th><th>p90</th><th>p99</th>"
       "<th>max</th></tr>";
  for (const auto& [what, h] : {std::pair{"announced to started", &s.job_time_to_start},
                                std::pair{"announced to done", &s.job_duration}}) {
    const Percentiles p = percentiles_of(*h);
    o << "<tr><td>" << what << "</td><td class=\"num\">" << human::count(p.count) << "</td>";
    for (double v : {p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms}) o << "<td class=\"num\">" << human::duration_ms(v) << "</td>";
    o << "</tr>";
  }
  o << "</table><p class=\"hint\">" << human::count(s.job_notifications) << " notify-next announcing a job, "
    << human::count(s.job_version_retries) << " updates retried after a version mismatch, "
    << human::count(s.job_foreign_responses) << " answers to other clients.</p>";
}

}  // namespace

void write_aws_sections(std::ostream& o, const RunReport& r) {
  shadow(o, r.stats);
  jobs(o, r.stats);
}

}  // namespace fleetload::metrics
