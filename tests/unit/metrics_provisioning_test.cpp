// The Fleet Provisioning books in the reports: the JSON report read back and merged across
// shards, the summary, the HTML table, and the two thresholds (the Prometheus families:
// metrics_exporter_test.cpp).
#include <gtest/gtest.h>

#include <string>

#include "metrics/report_html.hpp"
#include "metrics/report_json.hpp"
#include "metrics/report_merge.hpp"
#include "metrics/report_read.hpp"
#include "metrics/report_text.hpp"
#include "metrics/run_report.hpp"

namespace fleetload::metrics {
namespace {

using device::ProvisioningErrorCode;
using device::ProvisioningOp;
using device::ProvisioningOutcome;

void provisioned(device::StatsSnapshot& s, std::uint64_t n, std::uint64_t rejected) {
  s.provisioning_attempts = n + rejected;
  s.provisioning_devices = n;
  s.provisioning_failures = rejected;
  s.provisioning_ops[device::provisioning_index(ProvisioningOp::CreateCertificate, ProvisioningOutcome::Accepted)] =
      n + rejected;
  s.provisioning_ops[device::provisioning_index(ProvisioningOp::RegisterThing, ProvisioningOutcome::Accepted)] = n;
  s.provisioning_ops[device::provisioning_index(ProvisioningOp::RegisterThing, ProvisioningOutcome::Rejected404)] =
      rejected;
  s.provisioning_errors[static_cast<std::size_t>(ProvisioningErrorCode::ResourceNotFound)] = rejected;
  s.provisioning_create_latency.record(2'000'000, n + rejected);
  s.provisioning_register_latency.record(1'000'000, n + rejected);
  s.provisioning_latency.record(40'000'000, n);
}

RunReport report(std::uint32_t k, std::uint64_t n, std::uint64_t rejected) {
  RunReport r;
  r.fleetload_version = "0.1.0";
  r.scenario_name = "prov";
  r.scenario_source = "prov.yaml";
  r.scenario_yaml = "name: prov\n";
  r.started_at_utc = "2026-12-04T10:00:00Z";
  r.protocol = mqtt::Version::V5;
  r.shard_k = k;
  r.shard_n = 2;
  r.exit_reason = "completed";
  r.devices = n + rejected;
  provisioned(r.stats, n, rejected);
  return r;
}

TEST(ProvisioningMetrics, JsonReadsBackAndShardsMerge) {
  const RunReport a = report(0, 7, 3), b = report(1, 5, 0);
  const std::string text = report_to_json(a);
  const RunReport back = report_from_json(text, "a.json");
  EXPECT_EQ(report_to_json(back), text);
  EXPECT_EQ(back.stats.provisioning_count(ProvisioningOp::RegisterThing, ProvisioningOutcome::Rejected404), 3u);
  EXPECT_EQ(back.stats.provisioning_errors[static_cast<std::size_t>(ProvisioningErrorCode::ResourceNotFound)], 3u);
  EXPECT_EQ(back.stats.provisioning_latency.count, 7u);
  const RunReport m = merge_reports({MergeInput{"a.json", report_from_json(text, "a.json")},
                                     MergeInput{"b.json", report_from_json(report_to_json(b), "b.json")}})
                           .report;
  EXPECT_EQ(m.stats.provisioning_count(ProvisioningOp::RegisterThing, ProvisioningOutcome::Accepted), 12u);
  EXPECT_EQ(m.stats.provisioning_devices, 12u);
  EXPECT_EQ(m.stats.provisioning_failures, 3u);
  EXPECT_EQ(m.stats.provisioning_latency.count, 12u);
}

TEST(ProvisioningMetrics, SummaryAndHtmlShowTheBooks) {
  const RunReport r = report(0, 7, 3);
  const std::string text = format_summary(r);
  EXPECT_NE(text.find("10 requests: 10 accepted"), std::string::npos) << text;
  EXPECT_NE(text.find("10 requests: 7 accepted, 3 rejected_404"), std::string::npos) << text;
  EXPECT_NE(text.find("3 ResourceNotFound"), std::string::npos) << text;
  EXPECT_NE(text.find("10 attempts, 7 devices connected with their new identity, 3 failed attempts"), std::string::npos)
      << text;
  const std::string html = report_to_html(r);
  EXPECT_NE(html.find("<h2>Fleet Provisioning</h2>"), std::string::npos);
  EXPECT_NE(html.find("<td>register_thing</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>ResourceNotFound</td>"), std::string::npos);
  // A run without provisioning has no such section.
  EXPECT_EQ(report_to_html(RunReport{}).find("Fleet Provisioning"), std::string::npos);
}

TEST(ProvisioningMetrics, ThresholdsOnFailuresAndTheProvisionedLatency) {
  const RunReport r = report(0, 7, 3);
  scenario::Threshold t;
  t.metric = "max_provisioning_failures";
  t.op = scenario::ThresholdOp::Le;
  t.unit = scenario::Threshold::Unit::Count;
  t.value = 0;
  EXPECT_DOUBLE_EQ(*measure_threshold(t, r).value, 3.0);
  t.unit = scenario::Threshold::Unit::Ratio;
  EXPECT_DOUBLE_EQ(*measure_threshold(t, r).value, 0.3);
  scenario::Threshold p;
  p.metric = "p99_provisioning_latency";
  p.op = scenario::ThresholdOp::Le;
  p.unit = scenario::Threshold::Unit::Seconds;
  p.value = 1;
  ASSERT_TRUE(measure_threshold(p, r).value);
  EXPECT_NEAR(*measure_threshold(p, r).value, 0.040, 0.001);
  // Without any attempt: not measured, never a pass.
  EXPECT_FALSE(measure_threshold(t, RunReport{}).value);
  EXPECT_FALSE(measure_threshold(p, RunReport{}).value);
}

}  // namespace
}  // namespace fleetload::metrics
