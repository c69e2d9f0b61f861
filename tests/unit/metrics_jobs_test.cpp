// The AWS IoT Jobs books in every output: Prometheus families (names, labels, only what was
// seen), the JSON report written and read back (what report merge reads), the HTML section,
// and the two thresholds (max_job_failures as a count and a share, p99_job_duration).
#include <gtest/gtest.h>

#include <prometheus/metric_family.h>

#include <memory>
#include <string>

#include "metrics/exporter.hpp"
#include "metrics/report_html.hpp"
#include "metrics/report_json.hpp"
#include "metrics/report_read.hpp"
#include "metrics/run_report.hpp"

namespace fleetload::metrics {
namespace {

using device::JobEnd;
using device::JobOp;
using device::JobOutcome;

const prometheus::MetricFamily* find(const std::vector<prometheus::MetricFamily>& fs, const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return &f;
  return nullptr;
}

std::string label(const prometheus::ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label)
    if (l.name == name) return l.value;
  return {};
}

// 10 jobs started: 7 succeeded, 1 failed, 1 rejected (VersionMismatch), 1 timed out.
device::StatsSnapshot jobs_snapshot() {
  auto t = std::make_unique<device::ThreadStats>();
  t->job_requests[device::job_index(JobOp::StartNext, JobOutcome::Accepted)].add(10);
  t->job_requests[device::job_index(JobOp::Update, JobOutcome::Accepted)].add(16);
  t->job_requests[device::job_index(JobOp::Update, JobOutcome::RejectedVersionMismatch)].add(1);
  t->job_requests[device::job_index(JobOp::Update, JobOutcome::TimedOut)].add(1);
  t->job_executions[static_cast<std::size_t>(JobEnd::Succeeded)].add(7);
  t->job_executions[static_cast<std::size_t>(JobEnd::Failed)].add(1);
  t->job_executions[static_cast<std::size_t>(JobEnd::Rejected)].add(1);
  t->job_executions[static_cast<std::size_t>(JobEnd::TimedOut)].add(1);
  t->job_starts.add(10);
  for (int i = 0; i < 10; ++i) t->job_start_next_latency.record(2'000'000);
  for (int i = 0; i < 17; ++i) t->job_update_latency.record(3'000'000);
  for (int i = 0; i < 8; ++i) t->job_duration.record(4'000'000'000ull);
  return device::snapshot(*t);
}

ExporterOptions options() {
  ExporterOptions o;
  o.labels = {"jobs test", "0", "mqtt5", "plain_tcp"};
  o.protocol = mqtt::Version::V5;
  o.listen.clear();
  return o;
}

TEST(JobsOutputs, PrometheusFamiliesByOpOutcomeAndResultOnlyThoseSeen) {
  ExportState st;
  st.total = jobs_snapshot();
  const auto fs = build_families(st, options());
  const auto* req = find(fs, "fleetload_job_requests_total");
  ASSERT_NE(req, nullptr);
  ASSERT_EQ(req->metric.size(), 4u);  // start_next accepted; update accepted, version_mismatch, timed_out
  bool mismatch = false;
  for (const auto& m : req->metric)
    if (label(m, "op") == "update" && label(m, "outcome") == "rejected_version_mismatch") {
      mismatch = true;
      EXPECT_DOUBLE_EQ(m.counter.value, 1.0);
    }
  EXPECT_TRUE(mismatch);
  const auto* ex = find(fs, "fleetload_job_executions_total");
  ASSERT_NE(ex, nullptr);
  ASSERT_EQ(ex->metric.size(), 4u);
  EXPECT_EQ(label(ex->metric[0], "result"), "succeeded");
  EXPECT_DOUBLE_EQ(ex->metric[0].counter.value, 7.0);
  ASSERT_NE(find(fs, "fleetload_job_request_latency_seconds"), nullptr);
  EXPECT_EQ(find(fs, "fleetload_job_request_latency_seconds")->metric.size(), 2u);
  ASSERT_NE(find(fs, "fleetload_job_duration_seconds"), nullptr);
  EXPECT_EQ(find(fs, "fleetload_job_duration_seconds")->metric[0].histogram.sample_count, 8u);
  ASSERT_NE(find(fs, "fleetload_job_starts_total"), nullptr);
  ASSERT_NE(find(fs, "fleetload_job_executions_in_progress"), nullptr);

  // A fleet without jobs: no request or execution series, no jobs histograms.
  const auto none = build_families(ExportState{}, options());
  EXPECT_TRUE(find(none, "fleetload_job_requests_total")->metric.empty());
  EXPECT_TRUE(find(none, "fleetload_job_executions_total")->metric.empty());
  EXPECT_EQ(find(none, "fleetload_job_duration_seconds"), nullptr);
}

TEST(JobsOutputs, JsonReportCarriesTheBooksAndReadsBackExactly) {
  RunReport r;
  r.stats = jobs_snapshot();
  const std::string text = report_to_json(r);
  const RunReport back = report_from_json(text, "jobs.json");
  EXPECT_EQ(back.stats.job_requests, r.stats.job_requests);
  EXPECT_EQ(back.stats.job_executions, r.stats.job_executions);
  EXPECT_EQ(back.stats.job_starts, 10u);
  EXPECT_EQ(back.stats.job_duration.count, 8u);
  EXPECT_NE(text.find("\"job_executions\""), std::string::npos);
}

TEST(JobsOutputs, HtmlHasAnAwsIotJobsSectionOnlyWhenJobsRan) {
  RunReport r;
  r.stats = jobs_snapshot();
  const std::string html = report_to_html(r);
  EXPECT_NE(html.find("<h2>AWS IoT Jobs</h2>"), std::string::npos);
  EXPECT_NE(html.find("version_mismatch 1"), std::string::npos);
  EXPECT_EQ(html.find("<h2>AWS IoT Device Shadow</h2>"), std::string::npos);
  EXPECT_EQ(report_to_html(RunReport{}).find("AWS IoT Jobs"), std::string::npos);
}

TEST(JobsOutputs, ThresholdsCountOrShareFailuresAndTakeTheDurationP99) {
  RunReport r;
  r.stats = jobs_snapshot();
  scenario::Threshold count{"max_job_failures", scenario::ThresholdOp::Le, 0, scenario::Threshold::Unit::Count, "0"};
  EXPECT_EQ(threshold_value(count, r), 3.0);  // failed + rejected + timed out
  scenario::Threshold share{"max_job_failures", scenario::ThresholdOp::Le, 0.01, scenario::Threshold::Unit::Ratio, "1%"};
  EXPECT_DOUBLE_EQ(*threshold_value(share, r), 0.3);
  scenario::Threshold p99{"p99_job_duration", scenario::ThresholdOp::Le, 5, scenario::Threshold::Unit::Seconds, "5s"};
  ASSERT_TRUE(threshold_value(p99, r));
  EXPECT_NEAR(*threshold_value(p99, r), 4.0, 0.05);
  // Nothing ended: not measured (inconclusive), never 0.
  EXPECT_FALSE(threshold_value(count, RunReport{}));
  EXPECT_FALSE(threshold_value(p99, RunReport{}));
}

}  // namespace
}  // namespace fleetload::metrics
