// The metrics flags of the real `fleetload` binary, as a CI job uses them: two shards of one
// fleet run at once against a real mosquitto, each with --metrics-listen (scraped while it
// runs and after it ends, linted by promtool), --pushgateway (a real Pushgateway) and
// --report DIR; then `fleetload report merge` joins their reports. metrics_e2e_test covers
// the exporter in-process against a real Prometheus and the dashboards; this test covers the
// command line, the files it writes, and that every channel tells the same numbers.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/metrics_browser.hpp"
#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/shared_world.hpp"
#include "metrics/report_html_charts.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kDevices = 60;  // 30 per shard
constexpr int kShards = 2;

struct Shard {
  std::uint16_t metrics_port = 0;
  fs::path report_dir;
  std::string live;   // /metrics while the run was going
  std::string final;  // /metrics after the run (what --metrics-linger waited for)
  Outcome outcome;
  json::value report;
};

struct World {
  std::unique_ptr<MosquittoBroker> broker;
  std::unique_ptr<Pushgateway> pushgateway;
  fs::path dir;
  Shard shards[kShards];
  std::string pushed;  // the Pushgateway's /metrics after both runs
  Outcome merge;
  json::value merged;
  std::string error;
};
World* world = nullptr;

// Every device publishes QoS 1 to its own topic and subscribes to it before its first
// publish (SUBSCRIBE goes out right after CONNACK, on the same connection), so every
// message sent is expected by a subscriber: sent = received + lost, in every shard.
std::string scenario_yaml(std::uint16_t port) {
  return "name: metrics-cli-e2e\n"
         "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: mqtt311, connect_timeout: 2s}\n"
         "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 600/s}\n"
         "session: {keepalive: 5s, clean_session: true}\n"
         "publish: {topic: \"mc/{index}/t\", qos: 1, rate: 5/s, payload: 64B}\n"
         "subscribe: {subscribers: all, filters: [{filter: \"mc/{index}/t\", qos: 1}]}\n"
         "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 4s}\n"
         "thresholds:\n  connect_success_ratio: \">= 99%\"\n  p99_ack_latency: \"<= 2s\"\n";
}

double value_or(const std::optional<double>& v) { return v.value_or(-1.0); }

void build_world(World& w) {
  w.dir = make_temp_dir("metrics-cli-e2e");
  w.broker = std::make_unique<MosquittoBroker>(MosquittoBroker::Options{.extra_config = "", .log_connections = false});
  w.pushgateway = std::make_unique<Pushgateway>();
  const fs::path scenario = write_file(w.dir, "scenario.yaml", scenario_yaml(w.broker->port()));
  std::vector<ChildProcess> procs;
  procs.reserve(kShards);
  for (int k = 0; k < kShards; ++k) {
    Shard& s = w.shards[k];
    s.metrics_port = pick_free_port();
    s.report_dir = w.dir / ("shard" + std::to_string(k));
    procs.push_back(spawn_fleetload(
        {"run", scenario.string(), "--shard", std::to_string(k) + "/" + std::to_string(kShards), "--metrics-listen",
         "127.0.0.1:" + std::to_string(s.metrics_port), "--pushgateway", w.pushgateway->url(), "--push-interval", "1s",
         "--report", s.report_dir.string(), "--threads", "1", "--no-progress", "--metrics-linger", "30s"},
        w.dir, "shard" + std::to_string(k)));
  }
  // While shard 0 runs: its exposition with devices connected and the run not finished.
  Shard& s0 = w.shards[0];
  wait_until([&] {
    const auto r = http_get(s0.metrics_port, "/metrics", 2000ms);
    if (r.status != 200 || value_or(sample_value(r.body, "fleetload_run_finished")) != 0.0 ||
        value_or(sample_value(r.body, "fleetload_messages_received_total")) <= 0.0)
      return false;
    s0.live = r.body;
    return true;
  }, 30s);
  // Each report is written after the final values are set and before the linger; the
  // scrape that follows is the one the linger waits for, so the process then exits.
  for (int k = 0; k < kShards; ++k) {
    Shard& s = w.shards[k];
    if (!wait_until([&] { return fs::exists(s.report_dir / "report.html") || !procs[k].running(); }, 60s))
      throw std::runtime_error("shard " + std::to_string(k) + " wrote no report within 60 s:\n" + procs[k].stderr_text());
    s.final = http_get(s.metrics_port, "/metrics").body;
    s.outcome = finish(procs[k], 30s, s.report_dir / "report.json");
    if (!s.outcome.report) throw std::runtime_error("shard " + std::to_string(k) + " has no report:\n" + s.outcome.describe());
    s.report = *s.outcome.report;
  }
  w.pushed = http_get(w.pushgateway->port(), "/metrics").body;
  w.merge = run_fleetload({"report", "merge", (w.shards[0].report_dir / "report.json").string(),
                           (w.shards[1].report_dir / "report.json").string(), "--out", (w.dir / "fleet").string()},
                          w.dir, 60s, w.dir / "fleet" / "report.json");
  if (w.merge.report) w.merged = *w.merge.report;
}

class MetricsCliE2E : public SharedWorldTest<World, world, build_world> {
};

std::uint64_t sum_counter(const char* name) {
  std::uint64_t n = 0;
  for (const auto& s : world->shards) n += counter(s.report, name);
  return n;
}
std::uint64_t sum_qos(const char* name, unsigned q) {
  std::uint64_t n = 0;
  for (const auto& s : world->shards) n += qos_counter(s.report, name, q);
  return n;
}

TEST_F(MetricsCliE2E, BothShardsCompletedAndWroteJsonAndHtmlReports) {
  for (int k = 0; k < kShards; ++k) {
    const Shard& s = world->shards[k];
    EXPECT_EQ(s.outcome.status.code, 0) << s.outcome.describe();
    EXPECT_EQ(s.report.at("run").at("exit_reason").as_string(), "completed");
    EXPECT_EQ(u64(s.report.at("shard").at("k")), static_cast<std::uint64_t>(k));
    EXPECT_EQ(u64(s.report.at("run").at("devices")), static_cast<std::uint64_t>(kDevices / kShards));
    EXPECT_EQ(counter(s.report, "connects_ok"), static_cast<std::uint64_t>(kDevices / kShards));
    EXPECT_TRUE(s.report.at("thresholds").at("passed").as_bool());
    EXPECT_NE(s.outcome.err.find("report written to " + (s.report_dir / "report.json").string()), std::string::npos)
        << s.outcome.err;
    // The series carries the per-interval latency percentiles.
    bool ack_interval = false;
    for (const auto& p : s.report.at("series").as_array())
      ack_interval = ack_interval || u64(p.at("latency").at("ack_latency").at("count")) > 0;
    EXPECT_TRUE(ack_interval);
  }
  // The HTML report the binary wrote renders: every chart box drawn, nothing sticking out.
  const RenderedReport r = render_report(world->shards[0].report_dir / "report.html", world->dir);
  ASSERT_TRUE(r.ok) << r.log << r.dom_head;
  EXPECT_FALSE(r.console_messages) << r.log;
  EXPECT_EQ(r.boxes, static_cast<int>(metrics::report_charts().size()));
  // Every chart drawn, but a capacity search's two: this run has none, so they say so.
  for (const auto& c : metrics::report_charts()) {
    const bool search = std::string_view(c.id).starts_with("chart-search");
    EXPECT_EQ(r.drawn.count(c.id), search ? 0u : 1u) << c.id;
    EXPECT_EQ(r.empty.count(c.id), search ? 1u : 0u) << c.id;
  }
  EXPECT_TRUE(r.overflow.empty()) << r.overflow.front();
}

TEST_F(MetricsCliE2E, MetricsEndpointServedALiveRunAndPromtoolAcceptsIt) {
  const std::string& live = world->shards[0].live;
  ASSERT_FALSE(live.empty()) << "never scraped shard 0 while it ran";
  EXPECT_EQ(sample_value(live, "fleetload_run_finished"), 0.0);
  EXPECT_EQ(sample_value(live, "fleetload_devices_target", {"shard=\"0\""}), kDevices / kShards);
  EXPECT_EQ(sample_value(live, "fleetload_shards"), kShards);
  const auto [code, out] = promtool_check(live, world->dir);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out.find("fleetload_"), std::string::npos) << "promtool lint problems:\n" << out;
  for (const auto& s : world->shards) {
    ASSERT_FALSE(s.final.empty());
    EXPECT_EQ(sample_value(s.final, "fleetload_run_finished"), 1.0);
    const auto [fcode, fout] = promtool_check(s.final, world->dir);
    EXPECT_EQ(fcode, 0) << fout;
  }
}

TEST_F(MetricsCliE2E, FinalScrapeAndPushgatewayEqualEachShardsJsonReport) {
  const std::vector<const char*> counters{"connect_attempts", "connects_ok",  "messages_received", "messages_lost",
                                          "messages_duplicated", "bytes_sent", "bytes_received",    "subscribe_requests"};
  for (int k = 0; k < kShards; ++k) {
    const Shard& s = world->shards[k];
    const std::vector<std::string> group{"job=\"fleetload\"", "scenario=\"metrics-cli-e2e\"",
                                         "shard=\"" + std::to_string(k) + "\""};
    auto pushed = [&](const std::string& name, std::vector<std::string> extra = {}) {
      extra.insert(extra.end(), group.begin(), group.end());
      return value_or(sample_value(world->pushed, name, extra));
    };
    EXPECT_EQ(pushed("fleetload_run_finished"), 1.0) << world->pushed.substr(0, 2000);
    for (const char* c : counters) {
      const std::string metric = std::string("fleetload_") + c + "_total";
      const double want = static_cast<double>(counter(s.report, c));
      EXPECT_EQ(value_or(sample_value(s.final, metric)), want) << "scrape, shard " << k << ": " << c;
      EXPECT_EQ(pushed(metric), want) << "pushgateway, shard " << k << ": " << c;
    }
    for (const char* c : {"publish_requests", "publishes_sent", "publishes_acked", "ack_timeouts"}) {
      const std::string metric = std::string("fleetload_") + c + "_total";
      const double want = static_cast<double>(qos_counter(s.report, c, 1));
      EXPECT_EQ(value_or(sample_value(s.final, metric, {"qos=\"1\""})), want) << "scrape, shard " << k << ": " << c;
      EXPECT_EQ(pushed(metric, {"qos=\"1\""}), want) << "pushgateway, shard " << k << ": " << c;
    }
    for (const char* h : {"ack_latency", "e2e_latency"}) {
      const std::string metric = std::string("fleetload_") + h + "_seconds_count";
      const double want = static_cast<double>(u64(histogram(s.report, h).at("count")));
      EXPECT_EQ(value_or(sample_value(s.final, metric)), want) << h;
      EXPECT_EQ(pushed(metric), want) << h;
    }
  }
}

TEST_F(MetricsCliE2E, EveryQos1MessageIsAccountedForAcrossTheFleet) {
  const std::uint64_t sent = sum_qos("publishes_sent", 1);
  ASSERT_GT(sent, 500u);  // 60 devices x 5/s over ~4 s
  // Each device is its own subscriber: every message sent was received or lost.
  EXPECT_EQ(sent, sum_counter("messages_received") + sum_counter("messages_lost"));
  EXPECT_EQ(sum_counter("messages_lost"), 0u);  // loopback mosquitto loses nothing
  EXPECT_EQ(sum_counter("messages_duplicated"), 0u);
  EXPECT_EQ(sum_counter("messages_untracked"), 0u);
  // Books: every request acknowledged, none pending after the clean stop.
  EXPECT_EQ(sum_qos("publish_requests", 1), sum_qos("publishes_acked", 1));
  EXPECT_EQ(sum_qos("ack_timeouts", 1), 0u);
  for (const auto& s : world->shards) {
    for (const auto& b : s.report.at("message_books").as_array()) EXPECT_TRUE(b.at("balanced").as_bool());
  }
}

// q-quantile in ns of the union of report histograms, from their bucket triples, with the
// rank rule of the report (ceil(q * count), the bucket's highest value, clamped to max).
double union_quantile_ms(const std::vector<const json::value*>& hs, double q) {
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> buckets;  // lowest -> (highest, count)
  std::uint64_t total = 0;
  double max_ms = 0, min_ms = 1e300;
  for (const auto* h : hs) {
    if (u64(h->at("count")) == 0) continue;
    max_ms = std::max(max_ms, f64(h->at("max_ms")));
    min_ms = std::min(min_ms, f64(h->at("min_ms")));
    for (const auto& b : h->at("buckets").as_array()) {
      auto& e = buckets[u64(b.at(0))];
      e.first = u64(b.at(1));
      e.second += u64(b.at(2));
      total += u64(b.at(2));
    }
  }
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  std::uint64_t seen = 0;
  for (const auto& [lo, e] : buckets) {
    seen += e.second;
    if (seen >= rank) return std::clamp(static_cast<double>(e.first) / 1e6, min_ms, max_ms);
  }
  return max_ms;
}

TEST_F(MetricsCliE2E, ReportMergeOfTheShardsSumsCountsAndMergesTheDistributions) {
  ASSERT_EQ(world->merge.status.code, 0) << world->merge.describe();
  ASSERT_TRUE(world->merge.report) << world->merge.describe();
  const json::value& m = world->merged;
  EXPECT_EQ(m.at("shard").at("merged").as_array().size(), 2u);
  EXPECT_EQ(u64(m.at("run").at("devices")), static_cast<std::uint64_t>(kDevices));
  for (const char* c : {"connect_attempts", "connects_ok", "messages_received", "messages_lost", "bytes_sent"})
    EXPECT_EQ(counter(m, c), sum_counter(c)) << c;
  EXPECT_EQ(qos_counter(m, "publishes_sent", 1), sum_qos("publishes_sent", 1));
  EXPECT_EQ(qos_counter(m, "publishes_sent", 1), counter(m, "messages_received") + counter(m, "messages_lost"));
  // Percentiles of the merged report come from the union of the shards' buckets.
  for (const char* h : {"ack_latency", "e2e_latency", "time_to_connect"}) {
    const json::value& mh = histogram(m, h);
    const std::vector<const json::value*> parts{&histogram(world->shards[0].report, h),
                                                &histogram(world->shards[1].report, h)};
    EXPECT_EQ(u64(mh.at("count")), u64(parts[0]->at("count")) + u64(parts[1]->at("count"))) << h;
    EXPECT_DOUBLE_EQ(f64(mh.at("p50_ms")), union_quantile_ms(parts, 0.50)) << h;
    EXPECT_DOUBLE_EQ(f64(mh.at("p99_ms")), union_quantile_ms(parts, 0.99)) << h;
  }
  // Rates summed; thresholds evaluated again and passed; the HTML beside it.
  EXPECT_NEAR(f64(m.at("publish_rate").at("requested_per_s")),
              f64(world->shards[0].report.at("publish_rate").at("requested_per_s")) +
                  f64(world->shards[1].report.at("publish_rate").at("requested_per_s")),
              1e-6);
  EXPECT_TRUE(m.at("thresholds").at("passed").as_bool());
  EXPECT_EQ(m.at("thresholds").at("results").as_array().size(), 2u);
  EXPECT_TRUE(fs::exists(world->dir / "fleet" / "report.html"));
  EXPECT_NE(world->merge.out.find("metrics-cli-e2e"), std::string::npos) << world->merge.out;
}

}  // namespace
}  // namespace fleetload::e2e
