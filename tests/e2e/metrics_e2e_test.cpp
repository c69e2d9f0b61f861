// Metrics against real components: one short real run against mosquitto feeds the exporter
// while a real Prometheus scrapes it and a real Pushgateway receives its pushes; then
// promtool lints the exposition, every dashboard expression is evaluated in Prometheus, the
// Pushgateway serves the final values, counters agree with the JSON report, and the HTML
// report renders in headless Chromium.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>

#include "cli/report_builder.hpp"
#include "e2e/dashboard_queries.hpp"
#include "e2e/metrics_browser.hpp"
#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/shared_world.hpp"
#include "engine/engine.hpp"
#include "metrics/exporter.hpp"
#include "metrics/report_html.hpp"
#include "metrics/report_html_charts.hpp"
#include "metrics/report_json.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kDevices = 200;

// Everything the tests look at, built once: the run takes ~7 s and feeds all of them.
struct World {
  std::unique_ptr<MosquittoBroker> broker;
  std::unique_ptr<Pushgateway> pushgateway;
  std::unique_ptr<metrics::Exporter> exporter;
  std::unique_ptr<PrometheusServer> prometheus;
  engine::RunResult result;
  metrics::RunReport report;
  fs::path dir;
  int progress_calls = 0;
  bool final_push_ok = false;
  std::string error;  // set when the setup failed; every test reports it
};
World* world = nullptr;

std::string scenario_yaml(std::uint16_t port) {
  return "name: metrics-e2e\n"
         "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: mqtt311, connect_timeout: 2s}\n"
         "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 1000/s}\n"
         "session: {keepalive: 2s, clean_session: true}\n"
         "reconnect: {min_delay: 200ms, max_delay: 1s}\n"
         "publish: {topic: \"m/{index}/t\", qos: 1, rate: 5/s, payload: 64B}\n"
         "subscribe: {filters: [{filter: \"m/+/t\", qos: 1}], subscribers: 2}\n"
         "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 5s}\n"
         "thresholds:\n  connect_success_ratio: \">= 99%\"\n  p99_ack_latency: \"<= 2s\"\n";
}

void build_world(World& w) {
  w.dir = make_temp_dir("metrics-e2e");
  w.broker = std::make_unique<MosquittoBroker>(MosquittoBroker::Options{.extra_config = "", .log_connections = false});
  w.pushgateway = std::make_unique<Pushgateway>();
  auto s = scenario::parse_scenario(scenario_yaml(w.broker->port()), "metrics-e2e.yaml");
  metrics::ExporterOptions o = metrics::exporter_options_for(s);
  o.listen = "127.0.0.1:0";
  o.pushgateway = w.pushgateway->url();
  o.push_interval = 1s;
  w.exporter = std::make_unique<metrics::Exporter>(o);
  const std::string target = "127.0.0.1:" + std::to_string(w.exporter->listen_port());
  w.prometheus = std::make_unique<PrometheusServer>(std::vector<std::string>{target});
  // The run starts once Prometheus scrapes us, so its series cover the whole run.
  if (!wait_until([&] { return w.prometheus->query("up{job=\"fleetload\"} == 1").find("\"value\"") != std::string::npos; },
                  20s))
    throw std::runtime_error("prometheus never scraped the exporter:\n" + w.prometheus->log());

  engine::RunOptions ro;
  ro.threads = 2;
  ro.on_progress = [&](const engine::Progress& p) {
    ++w.progress_calls;
    w.exporter->update(p);
  };
  const std::string started = cli::utc_now_iso8601();
  engine::Engine e(s, ro);
  w.result = e.run();
  w.final_push_ok = w.exporter->finish(w.result);
  w.report = cli::build_run_report(w.result, s, started);
  metrics::write_json_report(w.report, w.dir / "report.json");
  metrics::write_html_report(w.report, w.dir / "report.html");
  // Final values are in Prometheus once a scrape saw the finished flag.
  if (!wait_until([&] { return w.prometheus->query("fleetload_run_finished == 1").find("\"value\"") != std::string::npos; },
                  20s))
    throw std::runtime_error("prometheus never scraped the final values:\n" + w.prometheus->log());
}

class MetricsE2E : public SharedWorldTest<World, world, build_world> {
 protected:
  static std::string scrape() {
    const auto r = http_get(world->exporter->listen_port(), "/metrics");
    EXPECT_EQ(r.status, 200);
    return r.body;
  }
};

TEST_F(MetricsE2E, RunWentAsPlanned) {
  const auto& r = world->result;
  ASSERT_EQ(r.exit_reason, engine::ExitReason::Completed) << r.failure << world->broker->log();
  EXPECT_EQ(r.stats.connects_ok, static_cast<std::uint64_t>(kDevices));
  EXPECT_GT(r.stats.publishes_sent[1], 1000u);
  EXPECT_GT(r.stats.messages_received, 0u);
  EXPECT_GE(world->progress_calls, 4);
  // Prometheus's scrape after finish() is what lets the CLI's linger end early.
  EXPECT_TRUE(world->exporter->wait_for_final_scrape(0ms));
}

TEST_F(MetricsE2E, PromtoolAcceptsTheExpositionOfARealRun) {
  const std::string text = scrape();
  ASSERT_NE(text.find("fleetload_publishes_sent_total"), std::string::npos);
  const auto [code, out] = promtool_check(text, world->dir);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out.find("fleetload_"), std::string::npos) << "promtool lint problems:\n" << out;
}

TEST_F(MetricsE2E, PromtoolAcceptsEveryFamilyFilledIn) {
  // A synthetic state where every optional family (codes, exit info) has series.
  metrics::ExportState st;
  st.total = world->result.stats;
  st.total.connack_codes[0x87] = 3;
  st.total.server_disconnect_codes[0x8B] = 1;
  st.total.suback_codes[0x80] = 2;
  st.total.puback_codes[0x97] = 4;
  st.total.connect_failed_by_reason[1] = 5;
  st.finished = true;
  st.exit_reason = "completed";
  metrics::ExporterOptions o;
  o.labels.scenario = "synthetic";
  o.protocol = mqtt::Version::V5;
  const std::string text = prometheus::TextSerializer().Serialize(metrics::build_families(st, o));
  ASSERT_NE(text.find("fleetload_puback_codes_total{"), std::string::npos);
  const auto [code, out] = promtool_check(text, world->dir);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out.find("fleetload_"), std::string::npos) << "promtool lint problems:\n" << out;
}

// The template variables as a user picks them; $group as "All" (.*): the run has no groups,
// so the filter must match series without the label.
std::string substitute(std::string e) { return substitute_variables(std::move(e), "metrics-e2e", "mqtt311", "plain_tcp"); }

TEST_F(MetricsE2E, EveryDashboardExpressionReturnsDataFromARealPrometheus) {
  const fs::path file = fs::path(FLEETLOAD_E2E_SOURCE_DIR) / "dashboards" / "fleetload-capacity.json";
  const auto dashboard = boost::json::parse(read_file(file));
  // Every row's but those of what this run does not do (a search, AWS IoT behaviours):
  // metrics_rows_e2e_test evaluates those against a run that does.
  std::vector<std::string> exprs;
  for (const auto& q : dashboard_queries(file))
    if (!is_feature_row(q.row)) exprs.push_back(q.expr);
  ASSERT_GE(exprs.size(), 40u);
  // Template variables: Grafana's label_values(selector, label) as the equivalent PromQL.
  for (const auto& var : dashboard.at("templating").at("list").as_array()) {
    if (var.at("type").as_string() != "query") continue;
    static const std::regex lv(R"(label_values\((.*), *(\w+)\))");
    std::smatch m;
    const std::string def(var.at("definition").as_string().c_str());
    ASSERT_TRUE(std::regex_match(def, m, lv)) << def;
    exprs.push_back("count by (" + m[2].str() + ") (" + m[1].str() + ")");
  }
  std::set<std::string> seen_panels_with_values;
  int non_zero = 0;
  for (const auto& raw : exprs) {
    const std::string e = substitute(raw);
    ASSERT_EQ(e.find('$'), std::string::npos) << "unsubstituted variable in " << raw;
    const std::string body = world->prometheus->query(e);
    ASSERT_FALSE(body.empty()) << "query failed: " << e;
    const auto j = boost::json::parse(body);
    ASSERT_EQ(j.at("status").as_string(), "success") << e << "\n" << body;
    const auto& result = j.at("data").at("result").as_array();
    EXPECT_FALSE(result.empty()) << "no data for: " << e;
    for (const auto& sample : result) {
      const std::string v(sample.at("value").as_array().at(1).as_string().c_str());
      if (v != "0" && v != "NaN") {
        ++non_zero;
        break;
      }
    }
  }
  // The new panels and annotations are among them: verdict, thresholds, phases, variables.
  for (const char* needle : {"fleetload_threshold_passed", "fleetload_threshold_limit", "fleetload_threshold_value",
                             "fleetload_phase_info", "group=~\"$group\"", "protocol=~\"$protocol\""}) {
    EXPECT_TRUE(std::any_of(exprs.begin(), exprs.end(), [&](const std::string& e) { return e.find(needle) != e.npos; }))
        << needle;
  }
  // A real run moves most panels: not only zeros and NaNs came back.
  EXPECT_GE(non_zero, static_cast<int>(exprs.size()) / 2) << non_zero << " of " << exprs.size();
  // Spot checks with known answers.
  auto scalar = [](const std::string& body) {
    const auto j = boost::json::parse(body);
    const auto& res = j.at("data").at("result").as_array();
    return res.empty() ? -1.0 : std::stod(std::string(res.at(0).at("value").as_array().at(1).as_string().c_str()));
  };
  EXPECT_DOUBLE_EQ(scalar(world->prometheus->query("sum(fleetload_devices_target{scenario=\"metrics-e2e\"})")), kDevices);
  EXPECT_DOUBLE_EQ(scalar(world->prometheus->query("max_over_time(fleetload_devices_connected[1m])")), kDevices);
  EXPECT_DOUBLE_EQ(scalar(world->prometheus->query("fleetload_publish_rate_target")), kDevices * 5.0);
}

TEST_F(MetricsE2E, DashboardPanelsAllHaveDescriptionsAndPhasesAnnotateThem) {
  const auto dashboard = boost::json::parse(read_file(fs::path(FLEETLOAD_E2E_SOURCE_DIR) / "dashboards" /
                                                      "fleetload-capacity.json"));
  for (const auto& p : dashboard.at("panels").as_array()) {
    if (p.at("type").as_string() == "row") continue;
    EXPECT_FALSE(p.at("description").as_string().empty()) << p.at("title").as_string();
  }
  std::string phases_expr;
  for (const auto& a : dashboard.at("annotations").at("list").as_array())
    if (a.as_object().contains("expr")) phases_expr = a.at("expr").as_string().c_str();
  ASSERT_FALSE(phases_expr.empty());
  // Over the run, the annotation query saw the "hold" phase (the 0.2 s ramp ends before the
  // first update), and only phases the run had.
  const auto j = boost::json::parse(world->prometheus->query("count by (phase) (max_over_time((" +
                                                               substitute(phases_expr) + ")[5m:1s]))"));
  std::set<std::string> seen;
  for (const auto& r : j.at("data").at("result").as_array())
    seen.insert(std::string(r.at("metric").at("phase").as_string().c_str()));
  EXPECT_TRUE(seen.count("hold")) << boost::json::serialize(j);
  for (const auto& name : seen) {
    EXPECT_TRUE(name == "stopping" || name == "none" || std::any_of(world->result.phases.begin(), world->result.phases.end(),
                                                  [&](const engine::PhaseResult& p) { return p.name == name; }))
        << name;
  }
}

TEST_F(MetricsE2E, ThresholdMetricsInPrometheusEqualTheReportsVerdict) {
  ASSERT_EQ(world->report.thresholds.size(), 2u);
  for (const auto& t : world->report.thresholds) {
    const std::string sel = "{scenario=\"metrics-e2e\",threshold=\"" + t.metric + "\"}";
    const auto value = [&](const std::string& metric) {
      const auto j = boost::json::parse(world->prometheus->query(metric + sel));
      const auto& res = j.at("data").at("result").as_array();
      return res.empty() ? std::nan("")
                         : std::stod(std::string(res.at(0).at("value").as_array().at(1).as_string().c_str()));
    };
    EXPECT_DOUBLE_EQ(value("fleetload_threshold_limit"), t.limit) << t.metric;
    EXPECT_DOUBLE_EQ(value("fleetload_threshold_passed"), t.passed ? 1.0 : 0.0) << t.metric;
    EXPECT_DOUBLE_EQ(value("fleetload_threshold_measured"), 1.0) << t.metric;
    // Prometheus stores what the exposition printed (%g-ish text): equal to 1e-12 relative.
    EXPECT_NEAR(value("fleetload_threshold_value"), t.value, std::fabs(t.value) * 1e-9) << t.metric;
  }
  EXPECT_TRUE(world->report.thresholds_passed);
}

TEST_F(MetricsE2E, PushgatewayServesTheFinalValues) {
  EXPECT_TRUE(world->final_push_ok) << world->exporter->last_push_error() << world->pushgateway->log();
  EXPECT_GE(world->exporter->pushes_ok(), 2u);  // periodic pushes during the run + the final one
  const auto r = http_get(world->pushgateway->port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  const auto& s = world->result.stats;
  // The grouping key (job, scenario sent base64-encoded, shard) comes back as labels.
  const std::vector<std::string> group{"job=\"fleetload\"", "scenario=\"metrics-e2e\"", "shard=\"0\""};
  auto at = [&](const std::string& name, std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), group.begin(), group.end());
    return sample_value(r.body, name, extra);
  };
  EXPECT_EQ(at("fleetload_run_finished"), 1.0) << r.body.substr(0, 2000);
  EXPECT_EQ(at("fleetload_publishes_sent_total", {"qos=\"1\""}), static_cast<double>(s.publishes_sent[1]));
  EXPECT_EQ(at("fleetload_publishes_acked_total", {"qos=\"1\""}), static_cast<double>(s.publishes_acked[1]));
  EXPECT_EQ(at("fleetload_messages_received_total"), static_cast<double>(s.messages_received));
  EXPECT_EQ(at("fleetload_connects_ok_total"), static_cast<double>(s.connects_ok));
  EXPECT_EQ(at("fleetload_bytes_sent_total"), static_cast<double>(s.bytes_sent));
  EXPECT_EQ(at("fleetload_ack_latency_seconds_count"), static_cast<double>(s.ack_latency.count));
  EXPECT_EQ(at("fleetload_devices_target"), static_cast<double>(kDevices));
}

TEST_F(MetricsE2E, CountersMatchTheJsonReportPrometheusAndTheRunsBooks) {
  const auto& s = world->result.stats;
  const std::string text = scrape();
  const auto json = boost::json::parse(read_file(world->dir / "report.json"));
  const auto& totals = json.at("totals");
  auto json_counter = [&](const char* name) { return static_cast<double>(totals.at("counters").at(name).to_number<std::uint64_t>()); };
  auto json_qos = [&](const char* name, int q) {
    return static_cast<double>(totals.at("counters_by_qos").at(name).as_array().at(q).to_number<std::uint64_t>());
  };
  auto prom = [&](const std::string& q) {
    const auto j = boost::json::parse(world->prometheus->query(q));
    const auto& res = j.at("data").at("result").as_array();
    return res.empty() ? -1.0 : std::stod(std::string(res.at(0).at("value").as_array().at(1).as_string().c_str()));
  };
  for (const char* name : {"connect_attempts", "connects_ok", "messages_received", "messages_lost",
                           "messages_duplicated", "bytes_sent", "bytes_received", "pings_sent"}) {
    const std::string metric = std::string("fleetload_") + name + "_total";
    EXPECT_EQ(sample_value(text, metric), json_counter(name)) << name;
    EXPECT_DOUBLE_EQ(prom(metric), json_counter(name)) << name;
  }
  for (const char* name : {"publish_requests", "publishes_sent", "publishes_acked", "ack_timeouts"}) {
    const std::string metric = std::string("fleetload_") + name + "_total";
    EXPECT_EQ(sample_value(text, metric, {"qos=\"1\""}), json_qos(name, 1)) << name;
    EXPECT_DOUBLE_EQ(prom(metric + "{qos=\"1\"}"), json_qos(name, 1)) << name;
  }
  // The run's own books: mosquitto acknowledges every QoS 1 publish, subscribers lose
  // nothing on loopback, and the devices connected exactly once each.
  EXPECT_EQ(s.publish_requests[1], s.publishes_acked[1] + s.ack_timeouts[1] + s.publishes_failed_by_qos[1]);
  EXPECT_EQ(s.ack_timeouts[1], 0u);
  EXPECT_EQ(s.messages_lost, 0u);
  EXPECT_EQ(s.messages_duplicated, 0u);
  EXPECT_EQ(sample_value(text, "fleetload_connects_ok_total"), static_cast<double>(kDevices));
  // Two subscribers each get every message sent once they subscribed (they connect last,
  // at the end of the ramp): at most twice the sends, at least twice the hold phase's.
  const auto& phases = world->result.phases;
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_LE(s.messages_received, 2 * s.publishes_sent[1]);
  EXPECT_GE(static_cast<double>(s.messages_received), 0.99 * 2.0 * static_cast<double>(phases[1].stats.publishes_sent[1]));
  // Histogram counts in Prometheus equal the report's histogram counts.
  EXPECT_DOUBLE_EQ(prom("fleetload_ack_latency_seconds_count"),
                   static_cast<double>(totals.at("histograms").at("ack_latency").at("count").to_number<std::uint64_t>()));
  EXPECT_DOUBLE_EQ(prom("fleetload_e2e_latency_seconds_count"), static_cast<double>(s.e2e_latency.count));
}

TEST_F(MetricsE2E, SeriesLatencyIntervalsPartitionTheRunsHistograms) {
  // Each interval's distribution is the difference of the cumulative histograms at its two
  // ends: together the intervals hold what the run recorded up to the last sample, no more.
  const auto& r = world->report;
  ASSERT_GE(r.series.size(), 4u);
  device::HistogramSnapshot ack, e2e, connack;
  for (const auto& p : r.series) {
    ack.merge(p.ack_latency.expand());
    e2e.merge(p.e2e_latency.expand());
    connack.merge(p.connect_duration.expand());
  }
  const auto& s = r.stats;
  EXPECT_LE(ack.count, s.ack_latency.count);
  EXPECT_GE(static_cast<double>(ack.count), 0.9 * static_cast<double>(s.ack_latency.count));
  EXPECT_LE(e2e.count, s.e2e_latency.count);
  EXPECT_GE(static_cast<double>(e2e.count), 0.9 * static_cast<double>(s.e2e_latency.count));
  EXPECT_EQ(connack.count, s.connect_duration.count);  // all connects happen in the ramp
  // Bucket by (coarse) bucket, no interval holds more than the run recorded there.
  std::map<std::uint32_t, std::uint64_t> run_groups;
  for (std::size_t i = 0; i < s.ack_latency.counts.size(); ++i)
    run_groups[metrics::SparseHistogram::coarse(static_cast<std::uint32_t>(i))] += s.ack_latency.counts[i];
  for (std::size_t i = 0; i < ack.counts.size(); ++i)
    if (ack.counts[i]) {
      EXPECT_LE(ack.counts[i], run_groups[static_cast<std::uint32_t>(i)]) << i;
    }
  // Intervals of the hold phase all carry ack latencies; their p99 stays within the run's range.
  const auto json = boost::json::parse(read_file(world->dir / "report.json"));
  int with_acks = 0;
  for (const auto& p : json.at("series").as_array()) {
    const auto& a = p.at("latency").at("ack_latency");
    if (a.at("count").to_number<std::uint64_t>() == 0) continue;
    ++with_acks;
    EXPECT_LE(a.at("p50_ms").to_number<double>(), a.at("p99_ms").to_number<double>());
    EXPECT_LE(a.at("p99_ms").to_number<double>(), static_cast<double>(s.ack_latency.max) / 1e6);
    EXPECT_GE(a.at("p50_ms").to_number<double>(), static_cast<double>(s.ack_latency.min) / 1e6);
  }
  EXPECT_GE(with_acks, 4);
}

TEST_F(MetricsE2E, HtmlReportDrawsEveryChartInHeadlessChromiumAt1400And800PixelsWide) {
  const fs::path& dir = world->dir;
  std::string log;
  bool ok = false;
  // Control: the console detector sees an error when there is one.
  const fs::path bad = dir / "control.html";
  std::ofstream(bad) << "<html><body><script>console.error('control error')</script></body></html>";
  run_chromium({"--dump-dom"}, bad, dir, log, ok);
  ASSERT_TRUE(has_console_message(log)) << "the console check would not notice errors:\n" << log;
  // Control: the overflow probe sees a block wider than the viewport.
  const fs::path wide = dir / "wide.html";
  std::ofstream(wide) << "<html><body><div class=\"chart\" id=\"x\" style=\"width:1200px\"></div></body></html>";
  const RenderedReport control = render_report(wide, dir, 800);
  ASSERT_TRUE(control.ok) << control.log;
  ASSERT_FALSE(control.overflow.empty()) << "the overflow probe would not notice a wide element";

  // The run's own report, plus a capacity search laid over its time series (this run has
  // none, and a search's two charts are drawn only with one): every chart gets data.
  metrics::RunReport with_search = world->report;
  {
    metrics::SearchReport q;
    q.phase = "search";
    q.search.vary = scenario::SearchVary::ConnectRate;
    const double end = with_search.series.empty() ? 3.0 : with_search.series.back().t_s;
    const double values[] = {10.0, 20.0, 40.0};
    for (std::uint32_t i = 0; i < 3; ++i) {
      metrics::SearchStep st;
      st.index = i;
      st.value = values[i];
      st.achieved = values[i] * 0.98;
      st.window_start_s = end * i / 3.0;
      st.window_end_s = end * (i + 1) / 3.0;
      metrics::ThresholdOutcome c;
      c.name = "p99_connect_time";
      c.measured = true;
      c.met = i < 2;
      c.value = 0.05 * (i + 1) * (i + 1);
      c.limit = 0.25;
      c.detail = "limit <= 250ms";
      st.criteria.push_back(c);
      st.verdict = c.met ? metrics::Verdict::Pass : metrics::Verdict::Fail;
      q.steps.push_back(st);
    }
    q.summary = metrics::summarize_search(q.steps, q.search);
    q.stop_reason = "ladder ended";
    with_search.search = q;
  }
  const fs::path html = dir / "report-search.html";
  metrics::write_html_report(with_search, html);
  const char* keep = std::getenv("FLEETLOAD_SCREENSHOT_DIR");  // to look at them: set it to a directory
  for (int width : {1400, 800}) {
    const fs::path png = dir / ("report-" + std::to_string(width) + ".png");
    ASSERT_TRUE(screenshot(html, png, width, 6000, dir, log)) << "chromium failed:\n" << log;
    EXPECT_FALSE(has_console_message(log)) << log;
    const std::string bytes = read_file(png);
    EXPECT_EQ(png_size(bytes), std::make_pair(static_cast<unsigned>(width), 6000u));
    EXPECT_GT(bytes.size(), 100'000u);  // charts and tables, not a blank page
    if (keep) fs::copy_file(png, fs::path(keep) / png.filename(), fs::copy_options::overwrite_existing);

    const RenderedReport r = render_report(html, dir, width);
    ASSERT_TRUE(r.ok) << "chromium or the probe failed:\n" << r.log << r.dom_head;
    EXPECT_FALSE(r.console_messages) << r.log;
    EXPECT_EQ(r.viewport, width);
    // Every chart has its box, and this run fed every one of them: all drawn with ink.
    EXPECT_EQ(r.boxes, static_cast<int>(metrics::report_charts().size()));
    for (const auto& c : metrics::report_charts()) EXPECT_TRUE(r.drawn.count(c.id)) << c.id << " at " << width;
    EXPECT_TRUE(r.empty.empty()) << *r.empty.begin();
    std::string over;
    for (const auto& o : r.overflow) over += o + "\n";
    EXPECT_TRUE(r.overflow.empty()) << "at " << width << " px:\n" << over;
  }
}

TEST_F(MetricsE2E, HtmlReportOfAnEmptyRunSaysNoSamplesInsteadOfDrawing) {
  metrics::RunReport empty = world->report;
  for (auto& p : empty.series) p.ack_latency = p.e2e_latency = p.connect_duration = {};
  const fs::path html = world->dir / "empty-latency.html";
  metrics::write_html_report(empty, html);
  const RenderedReport r = render_report(html, world->dir, 800);
  ASSERT_TRUE(r.ok) << r.log;
  EXPECT_FALSE(r.console_messages) << r.log;
  for (const char* id : {"chart-latency-ack", "chart-latency-e2e", "chart-latency-connect"}) {
    EXPECT_TRUE(r.empty.count(id)) << id;
    EXPECT_FALSE(r.drawn.count(id)) << id;
  }
  EXPECT_TRUE(r.drawn.count("chart-connected"));
}

}  // namespace
}  // namespace fleetload::e2e
