// The dashboard's rows for what only some runs do, evaluated against a run that does it: an
// AWS IoT fleet in four device groups against mosquitto, `fleetload responder` playing the
// services: Device Shadow get and updates from devices whose publish rate a capacity search
// varies; Jobs (two jobs queued for every jobs device, half of them reported FAILED); Fleet
// Provisioning by claim over an mTLS listener (one group provisioned, one refused by an
// unknown template); those three groups join after the shadow's, slowly, so their requests
// span several scrapes. A real Prometheus scrapes the run. Every query of those rows must
// return data over the run (the plain run of metrics_e2e_test has none of it, so it skips
// them) and every one must have moved, but the gauges of requests in flight and the counts
// of ignored or unusable answers, which a healthy run may keep at 0. The rows' run totals
// must match what the responder (the service's books) and mosquitto's log counted.
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>

#include "cli/report_builder.hpp"
#include "e2e/aws_iot_support.hpp"
#include "e2e/dashboard_queries.hpp"
#include "e2e/fleetload_runner.hpp"
#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "engine/engine.hpp"
#include "metrics/exporter.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kShadowDevices = 20, kJobDevices = 10, kClaimDevices = 10, kRefusedDevices = 4;

// Grafana's value for a multi-value variable with these picked, as it formats them for
// Prometheus: the groups' protocols and auth modes (the run has both of each).
const std::string kProtocols = "(mqtt311|mqtt5)";
const std::string kAuthModes = "(plain_tcp|mtls_from_path)";

// An instant query's series, by the label named `by` ("" when the query keeps none).
std::map<std::string, double> instant(PrometheusServer& p, const std::string& expr, const std::string& by) {
  std::map<std::string, double> out;
  const std::string body = p.query(expr);
  if (body.empty()) return out;
  const auto j = boost::json::parse(body);
  if (j.at("status").as_string() != "success") return out;
  for (const auto& s : j.at("data").at("result").as_array()) {
    const auto& metric = s.at("metric").as_object();
    const auto* label = by.empty() ? nullptr : metric.if_contains(by);
    out[label ? std::string(label->as_string()) : ""] =
        std::stod(std::string(s.at("value").as_array().at(1).as_string()));
  }
  return out;
}

// The run totals a stat panel shows now, by legend: a fixed legend ("started") names its
// query's one value; "{{label}}" one value per label value.
std::map<std::string, double> panel_values(PrometheusServer& p, const std::vector<DashboardQuery>& queries,
                                           const std::string& panel) {
  std::map<std::string, double> out;
  static const std::regex templated(R"(\{\{(\w+)\}\})");
  for (const auto& q : queries) {
    if (q.panel != panel) continue;
    const std::string expr = substitute_variables(q.expr, "metrics-rows", kProtocols, kAuthModes);
    std::smatch m;
    const bool by_label = std::regex_match(q.legend, m, templated);
    for (const auto& [k, v] : instant(p, expr, by_label ? m[1].str() : "")) out[by_label ? k : q.legend] = v;
  }
  return out;
}

std::string scenario_text(std::uint16_t plain, std::uint16_t tls, const fs::path& pki) {
  const std::string claim_target = "    target: {port: " + std::to_string(tls) + ", protocol: mqtt5}\n" +
                                   claim_auth_yaml(pki, 4) + "    publish: {publishers: none}\n";
  return "name: metrics-rows\n"
         "target: {endpoint: 127.0.0.1, port: " + std::to_string(plain) + ", protocol: mqtt311}\n"
         "fleet: {devices: " + std::to_string(kShadowDevices + kJobDevices + kClaimDevices + kRefusedDevices) +
         ", connect_rate: 200/s}\n"
         // Only the shadow group publishes (the others' `publishers: none`): the search's rates.
         "publish: {topic: \"rows/{index}\", qos: 1, rate: 1/s}\n"
         // The shadow group first; the others join once Prometheus has scraped their counters
         // at 0, and over 2-2.5 s: a series' first sample is no increase to rate(), and the
         // outcome and error-code series appear only once seen, so requests spread over
         // several scrapes are what the per-second panels can show.
         "run: {progress_interval: 250ms}\n"
         "phases:\n"
         "  - {type: ramp, groups: shadow}\n"
         "  - {name: scraped, type: steady, duration: 2s}\n"
         "  - {type: ramp, groups: [jobs, claims, refused]}\n"
         "  - {type: search, vary: publish_rate, from: 20/s, to: 40/s, steps: linear 2, hold: 2s, settle: 500ms}\n"
         "thresholds: {p99_ack_latency: \"<= 2s\"}\n"
         "groups:\n"
         "  - name: shadow\n"
         "    devices: " + std::to_string(kShadowDevices) + "\n"
         "    fleet: {client_id: \"row-{group_index}\"}\n"
         "    shadow: {get: on_connect, update: {rate: 2/s}, timeout: 5s}\n"
         "  - name: jobs\n"
         "    devices: " + std::to_string(kJobDevices) + "\n"
         "    fleet: {client_id: \"job-{group_index}\", connect_rate: 5/s}\n"
         "    publish: {publishers: none}\n"
         "    jobs: {work_time: 100ms..500ms, fail_share: 50%, timeout: 5s}\n"
         "  - name: claims\n"
         "    devices: " + std::to_string(kClaimDevices) + "\n"
         "    fleet: {client_id: \"claim-{group_index}\", connect_rate: 4/s}\n" + claim_target +
         "    provisioning: {template: FleetTemplate, parameters: {SerialNumber: \"{group_index}\"}, timeout: 10s}\n"
         "  - name: refused\n"
         "    devices: " + std::to_string(kRefusedDevices) + "\n"
         "    fleet: {client_id: \"refused-{group_index}\", connect_rate: 2/s}\n" + claim_target +
         "    provisioning: {template: NoSuchTemplate, timeout: 10s}\n";
}

TEST(MetricsRows, EveryFeatureRowQueryReturnsDataFromARunThatDoesIt) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path dir = make_temp_dir("metrics-rows");
  const fs::path pki = dir / "pki";
  generate_claim_pki(pki);
  const std::uint16_t tls_port = pick_free_port();
  MosquittoBroker broker({.extra_config = mtls_listener_config(tls_port, pki), .log_connections = true});
  // Two jobs for every jobs device, both queued before the fleet connects: each device takes
  // the first at connect and the second when notify-next announces it (the first ended).
  std::string jobs;
  for (const char* id : {"rows-1", "rows-2"})
    jobs += std::string("  - id: ") + id + "\n    document: {operation: update}\n"
            "    targets: {template: \"job-{index}\", count: " + std::to_string(kJobDevices) + "}\n";
  const fs::path cfg = write_file(dir, "responder.yaml",
                                  "services: [shadow, jobs, provisioning]\njobs:\n" + jobs +
                                      responder_provisioning_config(pki));
  // MQTT 5: the provisioning answers carry each request's Correlation Data back, so the
  // claim devices tell their answers apart on mosquitto.
  ChildProcess responder = spawn_fleetload({"responder", "--config", cfg.string(), "--broker",
                                            "127.0.0.1:" + std::to_string(broker.port()), "--protocol", "5",
                                            "--duration", "90s"},
                                           dir, "responder");
  ASSERT_TRUE(wait_for_stderr(responder, "fleetload responder: ready", 15s)) << responder.stderr_text();

  auto s = scenario::parse_scenario(scenario_text(broker.port(), tls_port, pki), "metrics-rows.yaml");
  metrics::ExporterOptions o = metrics::exporter_options_for(s);
  o.listen = "127.0.0.1:0";
  metrics::Exporter exporter(o);
  PrometheusServer prometheus({"127.0.0.1:" + std::to_string(exporter.listen_port())});
  ASSERT_TRUE(wait_until([&] { return prometheus.query("up{job=\"fleetload\"} == 1").find("\"value\"") != std::string::npos; },
                         20s))
      << prometheus.log();
  engine::RunOptions ro;
  ro.threads = 1;
  ro.on_progress = [&](const engine::Progress& p) { exporter.update(p); };
  engine::Engine e(s, ro);
  const engine::RunResult result = e.run();
  (void)exporter.finish(result);  // no Pushgateway here: nothing to push
  ASSERT_EQ(result.exit_reason, engine::ExitReason::Completed) << result.failure;
  ASSERT_TRUE(result.search);
  ASSERT_EQ(result.search->steps.size(), 2u);
  ASSERT_GT(result.stats.shadow_count(device::ShadowOp::Update, device::ShadowOutcome::Accepted), 0u);
  // The rate asked of the search phase is what its steps asked (20/s, then 40/s, a pause
  // between them), not the shadow group's 20 x 1/s, which the phases before it asked: the
  // broker took all of it, so what was sent over the run matches what was asked.
  const engine::PhaseResult* search = nullptr;
  for (const auto& ph : result.phases)
    if (ph.type == scenario::PhaseType::Search) search = &ph;
  ASSERT_NE(search, nullptr);
  EXPECT_GT(search->requested_publish_rate, 24.0);
  EXPECT_LT(search->requested_publish_rate, 36.0);
  for (const auto& ph : result.phases) {
    if (ph.name == "scraped") {
      EXPECT_NEAR(ph.requested_publish_rate, 20.0, 0.5);
    }
  }
  EXPECT_LT(std::fabs(result.publish_rate_error), 0.05)
      << result.requested_publish_rate << " asked, " << result.achieved_publish_rate << " sent";
  ASSERT_TRUE(wait_until([&] { return prometheus.query("fleetload_run_finished == 1").find("\"value\"") != std::string::npos; },
                         20s))
      << prometheus.log();

  // A healthy run may keep these at 0 over the whole run: requests in flight and executions
  // in progress between two scrapes, answers ignored (another device's) or unusable.
  static const std::regex may_stay_zero(R"(_in_flight|_in_progress|foreign_responses|bad_answers)");
  const auto queries = dashboard_queries(source_dir() / "dashboards" / "fleetload-capacity.json");
  std::set<std::string> rows;
  int evaluated = 0;
  for (const auto& q : queries) {
    if (!is_feature_row(q.row)) continue;
    ++evaluated;
    rows.insert(q.row);
    // Over the whole run: a search's step value exists only while a step runs.
    const std::string expr =
        "max_over_time((" + substitute_variables(q.expr, "metrics-rows", kProtocols, kAuthModes) + ")[2m:1s])";
    const std::string body = prometheus.query(expr);
    ASSERT_FALSE(body.empty()) << "query failed: " << expr;
    const auto j = boost::json::parse(body);
    ASSERT_EQ(j.at("status").as_string(), "success") << expr << "\n" << body;
    const auto& res = j.at("data").at("result").as_array();
    EXPECT_FALSE(res.empty()) << q.row << " / " << q.panel << ": no data for " << expr;
    bool moved = false;
    for (const auto& sample : res) {
      const std::string v(sample.at("value").as_array().at(1).as_string().c_str());
      moved = moved || (v != "0" && v != "NaN");
    }
    if (!std::regex_search(q.expr, may_stay_zero)) {
      EXPECT_TRUE(moved) << q.row << " / " << q.panel << " (" << q.legend << "): only 0 over the run for " << expr;
    }
  }
  EXPECT_EQ(rows, (std::set<std::string>{"Capacity search", "AWS IoT: Device Shadow", "AWS IoT: Jobs",
                                         "AWS IoT: Fleet Provisioning"}));
  EXPECT_GE(evaluated, 35);

  // The service's books: the responder's summary, a separate process.
  responder.send_signal(SIGTERM);
  const Outcome rs = finish(responder, 20s);
  ASSERT_EQ(rs.status.code, 0) << rs.describe();
  const std::string& summary = rs.out;

  // Jobs: what the run-total stat shows is what the service recorded, job by job summed;
  // every execution ended (20 = 10 devices x 2 jobs), none left queued or in progress.
  const auto jobs_total = panel_values(prometheus, queries, "Job executions (run total)");
  std::uint64_t succeeded = 0, failed = 0;
  for (const char* id : {"rows-1", "rows-2"}) {
    succeeded += responder_job_count(summary, id, "SUCCEEDED");
    failed += responder_job_count(summary, id, "FAILED");
    EXPECT_EQ(responder_job_count(summary, id, "QUEUED"), 0u) << summary;
    EXPECT_EQ(responder_job_count(summary, id, "IN_PROGRESS"), 0u) << summary;
  }
  EXPECT_EQ(succeeded + failed, 2u * kJobDevices) << summary;
  EXPECT_EQ(jobs_total.count("succeeded") ? jobs_total.at("succeeded") : 0.0, static_cast<double>(succeeded)) << summary;
  EXPECT_EQ(jobs_total.count("failed") ? jobs_total.at("failed") : 0.0, static_cast<double>(failed)) << summary;
  EXPECT_EQ(jobs_total.count("started") ? jobs_total.at("started") : -1.0, 2.0 * kJobDevices);
  const auto job_ratio = panel_values(prometheus, queries, "Job failure ratio");
  ASSERT_EQ(job_ratio.count("not succeeded"), 1u);
  EXPECT_NEAR(job_ratio.at("not succeeded"), static_cast<double>(failed) / (2.0 * kJobDevices), 1e-9);

  // Provisioning: devices provisioned as the responder registered them and as mosquitto saw
  // them come back (a thing-N client under a certificate that is not the claim's); the
  // refused group's attempts failed, as the responder rejected them (404 ResourceNotFound).
  const BrokerView v = read_log(broker.log());
  std::uint64_t things_with_own_certificate = 0;
  for (const auto& [id, seen] : v.connects)
    if (id.starts_with("thing-") && !seen.empty() && seen.front().username != kClaimCn) ++things_with_own_certificate;
  EXPECT_EQ(things_with_own_certificate, static_cast<std::uint64_t>(kClaimDevices));
  EXPECT_EQ(responder_things_provisioned(summary), static_cast<std::uint64_t>(kClaimDevices)) << summary;
  EXPECT_EQ(responder_requests(summary, "provisioning_register_thing", "ResourceNotFound"),
            static_cast<std::uint64_t>(kRefusedDevices))
      << summary;
  const auto prov_total = panel_values(prometheus, queries, "Provisioning (run total)");
  EXPECT_EQ(prov_total.count("provisioned") ? prov_total.at("provisioned") : -1.0,
            static_cast<double>(things_with_own_certificate));
  EXPECT_EQ(prov_total.count("attempts") ? prov_total.at("attempts") : -1.0,
            static_cast<double>(kClaimDevices + kRefusedDevices));
  EXPECT_EQ(prov_total.count("failed") ? prov_total.at("failed") : -1.0, static_cast<double>(kRefusedDevices));
  EXPECT_EQ(prov_total.count("ResourceNotFound") ? prov_total.at("ResourceNotFound") : -1.0,
            static_cast<double>(responder_requests(summary, "provisioning_register_thing", "ResourceNotFound")));

  // The group variable narrows the rows: picking the jobs group keeps every execution,
  // picking the provisioning groups leaves none.
  int narrowed = 0;
  for (const auto& q : queries) {
    if (q.panel != "Job executions (run total)" || q.legend != "{{result}}") continue;
    ++narrowed;
    const std::string all = substitute_variables(q.expr, "metrics-rows", kProtocols, kAuthModes);
    const auto pick = [&](const char* groups) {
      return std::regex_replace(all, std::regex(R"(group=~"\.\*")"), std::string("group=~\"") + groups + "\"");
    };
    EXPECT_EQ(instant(prometheus, pick("jobs"), "result"), instant(prometheus, all, "result")) << pick("jobs");
    EXPECT_TRUE(instant(prometheus, pick("claims|refused"), "result").empty()) << pick("claims|refused");
  }
  EXPECT_EQ(narrowed, 1);

  const auto wall = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  EXPECT_LT(wall.count(), 90) << "the test should stay well under its ctest timeout";
  if (!::testing::Test::HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::e2e
