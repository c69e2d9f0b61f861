// The Prometheus families built from a snapshot: names, labels, values, and histogram
// buckets folded from the log-linear ns layout into fixed second bounds.
#include <gtest/gtest.h>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <boost/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "metrics/exporter.hpp"
#include "metrics/exporter_push.hpp"

namespace fleetload::metrics {
namespace {

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

ExporterOptions options() {
  ExporterOptions o;
  o.labels = {"cap test", "3", "mqtt5", "mtls_from_path"};
  o.protocol = mqtt::Version::V5;
  o.target_publish_rate = 1600;
  o.listen.clear();
  return o;
}

// A capacity search shows live: the running step's value and the last step's verdict, and
// neither series exists outside a search.
TEST(MetricsFamilies, SearchStepGaugesOnlyDuringASearch) {
  ExportState st;
  EXPECT_EQ(find(build_families(st, options()), "fleetload_search_step_value"), nullptr);
  EXPECT_EQ(find(build_families(st, options()), "fleetload_search_step_passed"), nullptr);
  st.search_step_value = 450.0;
  st.search_step_passed = false;
  const auto fs = build_families(st, options());
  const auto* value = find(fs, "fleetload_search_step_value");
  const auto* passed = find(fs, "fleetload_search_step_passed");
  ASSERT_NE(value, nullptr);
  ASSERT_NE(passed, nullptr);
  EXPECT_DOUBLE_EQ(value->metric[0].gauge.value, 450.0);
  EXPECT_DOUBLE_EQ(passed->metric[0].gauge.value, 0.0);
  st.search_step_passed = true;
  EXPECT_DOUBLE_EQ(find(build_families(st, options()), "fleetload_search_step_passed")->metric[0].gauge.value, 1.0);
}

TEST(MetricsFamilies, CountersCarryValuesAndProcessLabels) {
  ExportState st;
  st.total.connect_attempts = 12;
  st.total.connects_ok = 10;
  st.total.publishes_sent[1] = 77;
  st.total.bytes_sent = 4096;
  st.connected = 9;
  st.target = 10;
  const auto fs = build_families(st, options());
  const auto* attempts = find(fs, "fleetload_connect_attempts_total");
  ASSERT_NE(attempts, nullptr);
  ASSERT_EQ(attempts->metric.size(), 1u);
  EXPECT_EQ(attempts->type, prometheus::MetricType::Counter);
  EXPECT_DOUBLE_EQ(attempts->metric[0].counter.value, 12.0);
  EXPECT_EQ(label(attempts->metric[0], "scenario"), "cap test");
  EXPECT_EQ(label(attempts->metric[0], "shard"), "3");
  EXPECT_EQ(label(attempts->metric[0], "protocol"), "mqtt5");
  EXPECT_EQ(label(attempts->metric[0], "auth_mode"), "mtls_from_path");
  const auto* sent = find(fs, "fleetload_publishes_sent_total");
  ASSERT_NE(sent, nullptr);
  ASSERT_EQ(sent->metric.size(), 3u);
  EXPECT_EQ(label(sent->metric[1], "qos"), "1");
  EXPECT_DOUBLE_EQ(sent->metric[1].counter.value, 77.0);
  EXPECT_DOUBLE_EQ(find(fs, "fleetload_bytes_sent_total")->metric[0].counter.value, 4096.0);
  EXPECT_DOUBLE_EQ(find(fs, "fleetload_devices_connected")->metric[0].gauge.value, 9.0);
  EXPECT_DOUBLE_EQ(find(fs, "fleetload_devices_target")->metric[0].gauge.value, 10.0);
  EXPECT_DOUBLE_EQ(find(fs, "fleetload_publish_rate_target")->metric[0].gauge.value, 1600.0);
}

TEST(MetricsFamilies, ReasonsAreLabelsNeverSeparateNamesAndAlwaysPresent) {
  ExportState st;
  st.total.connect_failed_by_reason[static_cast<int>(device::DropReason::ConnackTimeout)] = 4;
  st.total.drops_by_reason[static_cast<int>(device::DropReason::PingTimeout)] = 2;
  const auto fs = build_families(st, options());
  const auto* cf = find(fs, "fleetload_connect_failures_total");
  ASSERT_NE(cf, nullptr);
  EXPECT_EQ(cf->metric.size(), device::kDropReasonCount - 1);  // every reason but None
  double timeouts = -1;
  for (const auto& m : cf->metric)
    if (label(m, "reason") == "connack_timeout") timeouts = m.counter.value;
  EXPECT_DOUBLE_EQ(timeouts, 4.0);
  const auto* dr = find(fs, "fleetload_drops_total");
  ASSERT_NE(dr, nullptr);
  double pings = -1;
  for (const auto& m : dr->metric)
    if (label(m, "reason") == "ping_timeout") pings = m.counter.value;
  EXPECT_DOUBLE_EQ(pings, 2.0);
  // No family name appears twice (Prometheus rejects a repeated family).
  std::set<std::string> names;
  for (const auto& f : fs) EXPECT_TRUE(names.insert(f.name).second) << f.name;
}

TEST(MetricsFamilies, CodeFamiliesListOnlyCodesSeen) {
  ExportState st;
  st.total.connack_codes[0] = 5;
  st.total.connack_codes[0x87] = 2;
  const auto fs = build_families(st, options());
  const auto* cc = find(fs, "fleetload_connack_codes_total");
  ASSERT_NE(cc, nullptr);
  ASSERT_EQ(cc->metric.size(), 2u);
  EXPECT_EQ(label(cc->metric[1], "code"), "135");
  EXPECT_FALSE(label(cc->metric[1], "code_name").empty());
  EXPECT_DOUBLE_EQ(cc->metric[1].counter.value, 2.0);
}

TEST(MetricsFamilies, HistogramBucketsAreCumulativeAndMatchRecordedValues) {
  ExportState st;
  // 3 x 0.8 ms, 2 x 40 ms, 1 x 3 s, 1 x 20 min (beyond the last bound: +Inf only).
  st.total.ack_latency.record(800'000, 3);
  st.total.ack_latency.record(40'000'000, 2);
  st.total.ack_latency.record(3'000'000'000ULL);
  st.total.ack_latency.record(1'200'000'000'000ULL);
  const auto fs = build_families(st, options());
  const auto* h = find(fs, "fleetload_ack_latency_seconds");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, prometheus::MetricType::Histogram);
  const auto& hist = h->metric.at(0).histogram;
  EXPECT_EQ(hist.sample_count, 7u);
  EXPECT_NEAR(hist.sample_sum, 3 * 0.0008 + 2 * 0.04 + 3.0 + 1200.0, 1e-6);
  const auto& bounds = histogram_bounds_seconds();
  ASSERT_EQ(hist.bucket.size(), bounds.size() + 1);
  EXPECT_TRUE(std::isinf(hist.bucket.back().upper_bound));
  EXPECT_EQ(hist.bucket.back().cumulative_count, 7u);
  auto at = [&](double le) {
    for (const auto& b : hist.bucket)
      if (b.upper_bound == le) return b.cumulative_count;
    return std::uint64_t{999};
  };
  EXPECT_EQ(at(0.0005), 0u);
  EXPECT_EQ(at(0.001), 3u);
  EXPECT_EQ(at(0.025), 3u);
  EXPECT_EQ(at(0.05), 5u);
  EXPECT_EQ(at(2.5), 5u);
  EXPECT_EQ(at(5.0), 6u);
  EXPECT_EQ(at(300.0), 6u);
  for (std::size_t i = 1; i < hist.bucket.size(); ++i)
    EXPECT_GE(hist.bucket[i].cumulative_count, hist.bucket[i - 1].cumulative_count);
}

TEST(MetricsFamilies, ConnectStagesShareOneFamilyWithAStageLabel) {
  ExportState st;
  st.total.tcp_connect.record(200'000);
  st.total.connect_duration.record(2'000'000);
  const auto fs = build_families(st, options());
  const auto* f = find(fs, "fleetload_connect_stage_duration_seconds");
  ASSERT_NE(f, nullptr);
  std::set<std::string> stages;
  for (const auto& m : f->metric) stages.insert(label(m, "stage"));
  EXPECT_EQ(stages, (std::set<std::string>{"tcp", "tls", "websocket", "connack"}));
  EXPECT_EQ(f->metric[0].histogram.sample_count, 1u);
}

TEST(MetricsFamilies, FinishedStateSaysHowTheRunEnded) {
  ExportState st;
  st.finished = true;
  st.exit_reason = "completed";
  const auto fs = build_families(st, options());
  EXPECT_DOUBLE_EQ(find(fs, "fleetload_run_finished")->metric[0].gauge.value, 1.0);
  const auto* ex = find(fs, "fleetload_run_exit_info");
  ASSERT_NE(ex, nullptr);
  EXPECT_EQ(label(ex->metric[0], "result"), "completed");
  ExportState running;
  EXPECT_EQ(find(build_families(running, options()), "fleetload_run_exit_info"), nullptr);
}

TEST(MetricsFamilies, VerdictGaugeIsSetAtTheEndOnly) {
  ExportState st;
  st.finished = true;
  st.exit_reason = "completed";
  st.verdict = Verdict::Inconclusive;
  const auto fs = build_families(st, options());
  const auto* v = find(fs, "fleetload_verdict");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->type, prometheus::MetricType::Gauge);
  std::map<std::string, double> values;
  for (const auto& m : v->metric) values[label(m, "verdict")] = m.gauge.value;
  EXPECT_EQ(values, (std::map<std::string, double>{{"pass", 0.0}, {"fail", 0.0}, {"inconclusive", 1.0}}));
  EXPECT_EQ(label(v->metric[0], "scenario"), "cap test");  // the process labels too
  ExportState running;  // no verdict while the run goes
  running.verdict = Verdict::Pass;
  EXPECT_EQ(find(build_families(running, options()), "fleetload_verdict"), nullptr);
}

TEST(MetricsFamilies, TextExpositionHasHelpTypeAndEscapedLabels) {
  ExportState st;
  ExporterOptions o = options();
  o.labels.scenario = "quote\" and \\ backslash";
  const std::string text = prometheus::TextSerializer().Serialize(build_families(st, o));
  EXPECT_NE(text.find("# TYPE fleetload_ack_latency_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("# HELP fleetload_devices_connected"), std::string::npos);
  EXPECT_NE(text.find("scenario=\"quote\\\" and \\\\ backslash\""), std::string::npos);
  EXPECT_NE(text.find("fleetload_ack_latency_seconds_bucket{"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\""), std::string::npos);
}

TEST(PushTarget, GroupsByJobScenarioAndShardWithBase64Names) {
  const auto t = parse_push_target("http://pgw.example:9091", "fleetload", "a/b c", "7");
  EXPECT_EQ(t.host, "pgw.example");
  EXPECT_EQ(t.port, "9091");
  EXPECT_EQ(t.host_header, "pgw.example:9091");
  // base64url("fleetload") = ZmxlZXRsb2Fk, base64url("a/b c") = YS9iIGM
  EXPECT_EQ(t.target, "/metrics/job@base64/ZmxlZXRsb2Fk/scenario@base64/YS9iIGM/shard/7");
  const auto p = parse_push_target("http://[::1]/prefix/", "j", "s", "0");
  EXPECT_EQ(p.host, "::1");
  EXPECT_EQ(p.port, "80");
  EXPECT_EQ(p.target.rfind("/prefix/metrics/job@base64/ag/", 0), 0u) << p.target;
  EXPECT_THROW(parse_push_target("https://pgw:9091", "j", "s", "0"), std::runtime_error);
  EXPECT_THROW(parse_push_target("pgw:9091", "j", "s", "0"), std::runtime_error);
  EXPECT_THROW(parse_push_target("http://:9091", "j", "s", "0"), std::runtime_error);
}

void collect(const boost::json::value& v, const char* key, std::vector<const boost::json::value*>& out) {
  if (v.is_object()) {
    for (const auto& [k, x] : v.as_object()) {
      if (k == key) out.push_back(&x);
      collect(x, key, out);
    }
  } else if (v.is_array()) {
    for (const auto& x : v.as_array()) collect(x, key, out);
  }
}

// Without a Prometheus: every metric the dashboard names is one the exporter produces (a
// renamed family would otherwise only show up as an empty panel), and panel ids are unique.
TEST(Dashboard, NamesOnlyExportedFamiliesAndHasUniquePanelIds) {
  std::ifstream in(std::string(FLEETLOAD_UNIT_SOURCE_DIR) + "/dashboards/fleetload-capacity.json");
  ASSERT_TRUE(in) << "dashboard JSON missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const auto dash = boost::json::parse(ss.str());
  std::set<std::string> exported;
  for (const auto& f : build_families({}, options())) {
    exported.insert(f.name);
    if (f.type == prometheus::MetricType::Histogram)
      for (const char* suffix : {"_bucket", "_sum", "_count"}) exported.insert(f.name + suffix);
  }
  // Code families are empty until a code is seen, threshold families until a scenario has
  // thresholds; they still exist by name.
  ExportState with_threshold;
  with_threshold.thresholds.push_back({"max_loss", "<=", 0, "count", 0, true, true, "<= 0"});
  // A capacity search's step gauges exist while a search runs, the shadow's, jobs' and
  // provisioning's latencies once such a request was answered (and a device provisioned).
  with_threshold.search_step_value = 100.0;
  with_threshold.search_step_passed = true;
  with_threshold.total.shadow_get_latency.record(1'000'000);
  with_threshold.total.job_start_next_latency.record(1'000'000);
  with_threshold.total.provisioning_create_latency.record(1'000'000);
  with_threshold.total.provisioning_latency.record(1'000'000);
  for (const auto& f : build_families(with_threshold, options())) {
    exported.insert(f.name);
    if (f.type == prometheus::MetricType::Histogram)
      for (const char* suffix : {"_bucket", "_sum", "_count"}) exported.insert(f.name + suffix);
  }
  for (const char* c : {"fleetload_connack_codes_total", "fleetload_server_disconnect_codes_total",
                        "fleetload_suback_codes_total", "fleetload_puback_codes_total", "fleetload_run_exit_info"})
    exported.insert(c);
  std::vector<const boost::json::value*> exprs;
  collect(dash, "expr", exprs);
  collect(dash, "definition", exprs);
  ASSERT_GE(exprs.size(), 40u);
  const std::regex metric(R"(fleetload_[a-z0-9_]+)");
  std::set<std::string> used;
  for (const auto* e : exprs) {
    const std::string text(e->as_string().c_str());
    for (std::sregex_iterator it(text.begin(), text.end(), metric), end; it != end; ++it) {
      used.insert(it->str());
      EXPECT_TRUE(exported.count(it->str())) << it->str() << " in " << text;
    }
  }
  EXPECT_GE(used.size(), 30u);
  // The AWS IoT rows name every Jobs and Fleet Provisioning family users watch.
  for (const char* f : {"fleetload_job_requests_total", "fleetload_job_executions_total", "fleetload_job_starts_total",
                        "fleetload_job_notifications_total", "fleetload_job_foreign_responses_total",
                        "fleetload_job_requests_in_flight", "fleetload_job_executions_in_progress",
                        "fleetload_job_request_latency_seconds_bucket", "fleetload_job_time_to_start_seconds_bucket",
                        "fleetload_job_duration_seconds_bucket", "fleetload_provisioning_operations_total",
                        "fleetload_provisioning_rejections_total", "fleetload_provisioning_request_latency_seconds_bucket",
                        "fleetload_provisioning_latency_seconds_bucket", "fleetload_provisioning_in_flight",
                        "fleetload_provisioning_attempts_total", "fleetload_provisioning_failures_total",
                        "fleetload_provisioning_bad_answers_total", "fleetload_provisioning_devices_total"})
    EXPECT_TRUE(used.count(f)) << f << " on no panel";
  // Every panel's selector filters on every template variable, so picking a group, protocol
  // or auth mode narrows every panel (the variables' own definitions are not panels).
  std::vector<const boost::json::value*> panel_exprs;
  for (const auto& p : dash.at("panels").as_array()) collect(p, "expr", panel_exprs);
  const std::regex selector(R"((fleetload_[a-z0-9_]+)(\{[^}]*\})?)");
  for (const auto* e : panel_exprs) {
    const std::string text(e->as_string().c_str());
    for (std::sregex_iterator it(text.begin(), text.end(), selector), end; it != end; ++it) {
      const std::string labels = (*it)[2].str();
      for (const char* v : {"scenario=~\"$scenario\"", "shard=~\"$shard\"", "protocol=~\"$protocol\"",
                            "auth_mode=~\"$auth_mode\"", "group=~\"$group\""})
        EXPECT_NE(labels.find(v), std::string::npos) << (*it)[1] << " without " << v << " in " << text;
    }
  }
  // Panel ids (transformations have string ids of their own: "merge", "organize").
  std::set<std::int64_t> unique;
  std::set<std::string> rows;
  for (const auto& p : dash.at("panels").as_array()) {
    const auto id = p.at("id").as_int64();
    EXPECT_TRUE(unique.insert(id).second) << id;
    if (p.at("type").as_string() == "row") rows.insert(std::string(p.at("title").as_string()));
  }
  for (const char* r : {"Capacity search", "AWS IoT: Device Shadow", "AWS IoT: Jobs", "AWS IoT: Fleet Provisioning"})
    EXPECT_TRUE(rows.count(r)) << "no row " << r;
  std::set<std::string> vars;
  for (const auto& v : dash.at("templating").at("list").as_array()) vars.insert(std::string(v.at("name").as_string()));
  EXPECT_EQ(vars, (std::set<std::string>{"datasource", "scenario", "shard", "protocol", "auth_mode", "group"}));
}

TEST(MetricsFamilies, EachThresholdExportsItsLimitValueAndVerdict) {
  ExportState st;
  st.thresholds.push_back({"p99_ack_latency", "<=", 0.25, "seconds", 0.3, true, false, "<= 250ms"});
  st.thresholds.push_back({"max_loss", "<=", 0, "count", 0, false, false, "<= 0"});  // nothing measured
  const auto fs = build_families(st, options());
  const auto* limit = find(fs, "fleetload_threshold_limit");
  const auto* value = find(fs, "fleetload_threshold_value");
  const auto* passed = find(fs, "fleetload_threshold_passed");
  const auto* measured = find(fs, "fleetload_threshold_measured");
  ASSERT_TRUE(limit && value && passed && measured);
  ASSERT_EQ(limit->metric.size(), 2u);
  EXPECT_EQ(label(limit->metric[0], "threshold"), "p99_ack_latency");
  EXPECT_EQ(label(limit->metric[0], "rule"), "<= 250ms");
  EXPECT_EQ(label(limit->metric[0], "unit"), "seconds");
  EXPECT_EQ(label(limit->metric[0], "scenario"), "cap test");
  EXPECT_DOUBLE_EQ(limit->metric[0].gauge.value, 0.25);
  ASSERT_EQ(value->metric.size(), 1u);  // the unmeasured one has no value, not a 0
  EXPECT_DOUBLE_EQ(value->metric[0].gauge.value, 0.3);
  EXPECT_DOUBLE_EQ(passed->metric[0].gauge.value, 0.0);
  EXPECT_DOUBLE_EQ(measured->metric[1].gauge.value, 0.0);
  EXPECT_EQ(find(build_families(ExportState{}, options()), "fleetload_threshold_limit"), nullptr);
}

// Fleet Provisioning by claim: requests by operation and outcome, rejections by errorCode,
// latencies, devices; only what was seen.
TEST(MetricsFamilies, ProvisioningByOperationOutcomeAndErrorCodeOnlyWhatWasSeen) {
  ExportState st;
  const ExporterOptions o = options();
  const auto none = build_families(st, o);
  const auto* empty = find(none, "fleetload_provisioning_operations_total");
  EXPECT_TRUE(empty == nullptr || empty->metric.empty());  // nothing seen, nothing exported
  EXPECT_EQ(find(none, "fleetload_provisioning_latency_seconds"), nullptr);
  using device::ProvisioningErrorCode;
  using device::ProvisioningOp;
  using device::ProvisioningOutcome;
  auto& s = st.total;
  s.provisioning_attempts = 10;
  s.provisioning_devices = 7;
  s.provisioning_ops[device::provisioning_index(ProvisioningOp::CreateCertificate, ProvisioningOutcome::Accepted)] = 10;
  s.provisioning_ops[device::provisioning_index(ProvisioningOp::RegisterThing, ProvisioningOutcome::Accepted)] = 7;
  s.provisioning_ops[device::provisioning_index(ProvisioningOp::RegisterThing, ProvisioningOutcome::Rejected404)] = 3;
  s.provisioning_errors[static_cast<std::size_t>(ProvisioningErrorCode::ResourceNotFound)] = 3;
  s.provisioning_create_latency.record(2'000'000, 10);
  s.provisioning_register_latency.record(1'000'000, 10);
  s.provisioning_latency.record(40'000'000, 7);
  st.total.provisioning_in_flight = 2;
  const auto fs = build_families(st, o);
  const auto* ops = find(fs, "fleetload_provisioning_operations_total");
  ASSERT_NE(ops, nullptr);
  ASSERT_EQ(ops->metric.size(), 3u);
  std::map<std::string, double> by;
  for (const auto& m : ops->metric) by[label(m, "op") + "/" + label(m, "outcome")] = m.counter.value;
  EXPECT_DOUBLE_EQ(by["create_certificate/accepted"], 10.0);
  EXPECT_DOUBLE_EQ(by["register_thing/accepted"], 7.0);
  EXPECT_DOUBLE_EQ(by["register_thing/rejected_404"], 3.0);
  const auto* rej = find(fs, "fleetload_provisioning_rejections_total");
  ASSERT_NE(rej, nullptr);
  ASSERT_EQ(rej->metric.size(), 1u);
  EXPECT_EQ(label(rej->metric[0], "error_code"), "ResourceNotFound");
  EXPECT_DOUBLE_EQ(rej->metric[0].counter.value, 3.0);
  const auto* lat = find(fs, "fleetload_provisioning_request_latency_seconds");
  ASSERT_NE(lat, nullptr);
  EXPECT_EQ(lat->metric.size(), 2u);
  ASSERT_NE(find(fs, "fleetload_provisioning_latency_seconds"), nullptr);
  EXPECT_EQ(find(fs, "fleetload_provisioning_latency_seconds")->metric[0].histogram.sample_count, 7u);
  EXPECT_DOUBLE_EQ(find(fs, "fleetload_provisioning_in_flight")->metric[0].gauge.value, 2.0);
  for (const char* c : {"fleetload_provisioning_attempts_total", "fleetload_provisioning_failures_total",
                        "fleetload_provisioning_bad_answers_total", "fleetload_provisioning_devices_total"})
    EXPECT_NE(find(fs, c), nullptr) << c;
  EXPECT_DOUBLE_EQ(find(fs, "fleetload_provisioning_devices_total")->metric[0].counter.value, 7.0);
}

}  // namespace
}  // namespace fleetload::metrics
