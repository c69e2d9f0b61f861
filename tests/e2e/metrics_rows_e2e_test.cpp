// The dashboard's rows for what only some runs do, evaluated against a run that does it: a
// fleet of AWS IoT devices (Device Shadow get and updates, `fleetload responder` playing the
// service on mosquitto) whose publish rate a capacity search varies, scraped by a real
// Prometheus. Every query of those rows must return data over the run (the plain run of
// metrics_e2e_test has none of it, so it skips them), and most must have moved.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/report_builder.hpp"
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

TEST(MetricsRows, EveryFeatureRowQueryReturnsDataFromARunThatDoesIt) {
  const fs::path dir = make_temp_dir("metrics-rows");
  MosquittoBroker broker;
  const fs::path cfg = write_file(dir, "responder.yaml", "services: [shadow]\n");
  ChildProcess responder = spawn_fleetload({"responder", "--config", cfg.string(), "--broker",
                                            "127.0.0.1:" + std::to_string(broker.port()), "--duration", "90s"},
                                           dir, "responder");
  ASSERT_TRUE(wait_for_stderr(responder, "fleetload responder: ready", 15s)) << responder.stderr_text();

  auto s = scenario::parse_scenario(
      "name: metrics-rows\n"
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + ", protocol: mqtt311}\n"
      "fleet: {devices: 20, connect_rate: 200/s, client_id: \"row-{index}\"}\n"
      "publish: {topic: \"rows/{index}\", qos: 1, rate: 1/s}\n"
      "shadow: {get: on_connect, update: {rate: 2/s}, timeout: 5s}\n"
      "phases:\n"
      "  - {type: ramp}\n"
      "  - {type: search, vary: publish_rate, from: 20/s, to: 40/s, steps: linear 2, hold: 2s, settle: 500ms}\n"
      "thresholds: {p99_ack_latency: \"<= 2s\"}\n",
      "metrics-rows.yaml");
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
  // The rate asked of the run is what the search's steps asked (20/s, then 40/s, a pause
  // between them), not the scenario's 20 x 1/s: the broker took all of it, so what was sent
  // matches it.
  EXPECT_GT(result.requested_publish_rate, 24.0);
  EXPECT_LT(result.requested_publish_rate, 36.0);
  EXPECT_LT(std::fabs(result.publish_rate_error), 0.05)
      << result.requested_publish_rate << " asked, " << result.achieved_publish_rate << " sent";
  ASSERT_TRUE(wait_until([&] { return prometheus.query("fleetload_run_finished == 1").find("\"value\"") != std::string::npos; },
                         20s))
      << prometheus.log();

  int queries = 0, moved = 0;
  for (const auto& q : dashboard_queries(source_dir() / "dashboards" / "fleetload-capacity.json")) {
    if (!is_feature_row(q.row)) continue;
    ++queries;
    // Over the whole run: a search's step value exists only while a step runs.
    const std::string expr = "max_over_time((" + substitute_variables(q.expr, "metrics-rows", "mqtt311", "plain_tcp") +
                             ")[2m:1s])";
    const std::string body = prometheus.query(expr);
    ASSERT_FALSE(body.empty()) << "query failed: " << expr;
    const auto j = boost::json::parse(body);
    ASSERT_EQ(j.at("status").as_string(), "success") << expr << "\n" << body;
    const auto& res = j.at("data").at("result").as_array();
    EXPECT_FALSE(res.empty()) << q.row << ": no data for " << expr;
    for (const auto& sample : res) {
      const std::string v(sample.at("value").as_array().at(1).as_string().c_str());
      if (v != "0" && v != "NaN") {
        ++moved;
        break;
      }
    }
  }
  // Both rows are there (a capacity search, the Device Shadow) and most of their panels moved.
  EXPECT_GE(queries, 9);
  EXPECT_GE(moved, queries - 2) << moved << " of " << queries;
  responder.kill_and_wait();
  if (!::testing::Test::HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::e2e
