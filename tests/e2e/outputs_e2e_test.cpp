// What people and pipelines read from the real binary: two real runs against mosquitto (the
// second publishing at half the rate, a regression made on purpose) watched by the test's own
// subscriber (mosquitto_sub), which counts every message independently of fleetload. Checks:
// the progress line never passes $COLUMNS, `--out csv=` / `--out ndjson=` carry the series
// (and add up to what the subscriber counted), and `report diff` flags the slower run with
// exit code 1 and passes a report compared with itself.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/fleetload_runner.hpp"
#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/shared_world.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kDevices = 40;

struct RunOutputs {
  Outcome outcome;
  json::value report;
  std::string csv, ndjson;
  std::uint64_t received_by_test = 0;  // messages the test's subscriber got on this run's topics
};

struct World {
  std::unique_ptr<MosquittoBroker> broker;
  fs::path dir;
  RunOutputs base, slow;
  Outcome diff, self_diff;
  json::value diff_json;
  std::string error;
};
World* world = nullptr;

// QoS 1 to a topic per run ("base/..." or "slow/..."), so the test's subscriber can tell the
// runs apart; 4 s of steady publishing after a 0.2 s ramp.
std::string scenario_yaml(std::uint16_t port) {
  return "name: outputs-e2e\n"
         "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: mqtt5, connect_timeout: 2s}\n"
         "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 200/s}\n"
         "publish: {topic: \"base/{index}\", qos: 1, rate: 10/s, payload: 32B}\n"
         "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 4s}\n";
}

std::uint64_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::uint64_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0;
  return n;
}

RunOutputs run_once(World& w, const fs::path& scenario, const std::string& name, const std::vector<std::string>& extra,
             const std::string& columns) {
  RunOutputs r;
  const fs::path report = w.dir / (name + ".json");
  std::vector<std::string> argv{"/usr/bin/env", "COLUMNS=" + columns, fleetload_binary().string(), "run",
                                scenario.string(), "--no-metrics", "--threads", "1", "--report", report.string(),
                                "--out", "csv=" + (w.dir / (name + ".csv")).string(),
                                "--out", "ndjson=" + (w.dir / (name + ".ndjson")).string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ChildProcess p(argv, w.dir / (name + ".out"), w.dir / (name + ".err"));
  r.outcome = finish(p, 60s, report);
  if (!r.outcome.report) throw std::runtime_error(name + " wrote no report:\n" + r.outcome.describe());
  r.report = *r.outcome.report;
  r.csv = read_file(w.dir / (name + ".csv"));
  r.ndjson = read_file(w.dir / (name + ".ndjson"));
  return r;
}

void build_world(World& w) {
  w.dir = make_temp_dir("outputs-e2e");
  w.broker = std::make_unique<MosquittoBroker>(MosquittoBroker::Options{.extra_config = "", .log_connections = false});
  const auto port = std::to_string(w.broker->port());
  // The test's own subscriber: one line per message, its topic.
  ChildProcess sub({"/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "base/#", "-t",
                    "slow/#", "-t", "probe", "-F", "%t"},
                   w.dir / "sub.out", w.dir / "sub.err");
  // Subscribed once a probe message comes through.
  if (!wait_until([&] {
        ChildProcess pub({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "probe", "-m", "x"},
                         w.dir / "pub.out", w.dir / "pub.err");
        pub.wait_for(5s);
        return sub.stdout_text().find("probe") != std::string::npos;
      }, 20s))
    throw std::runtime_error("the test's subscriber never subscribed:\n" + sub.stderr_text());
  const fs::path scenario = write_file(w.dir, "outputs.yaml", scenario_yaml(w.broker->port()));
  w.base = run_once(w, scenario, "base", {}, "80");
  w.slow = run_once(w, scenario, "slow", {"--set", "publish.topic=slow/{index}", "--set", "publish.rate=5/s"}, "50");
  // Every message sent is delivered to the subscriber (QoS 1 both ways on loopback): wait
  // until its count stops growing at what the runs sent, at most 20 s.
  const auto sent = [](const RunOutputs& r) { return qos_counter(r.report, "publishes_sent", 1); };
  wait_until([&] {
    const std::string t = sub.stdout_text();
    return count_lines_starting(t, "base/") >= sent(w.base) && count_lines_starting(t, "slow/") >= sent(w.slow);
  }, 20s);
  sub.kill_and_wait();
  w.base.received_by_test = count_lines_starting(sub.stdout_text(), "base/");
  w.slow.received_by_test = count_lines_starting(sub.stdout_text(), "slow/");

  const fs::path djson = w.dir / "diff.json";
  w.diff = run_fleetload({"report", "diff", (w.dir / "base.json").string(), (w.dir / "slow.json").string(), "--json",
                          djson.string(), "--html", (w.dir / "diff.html").string()},
                         w.dir, 30s);
  if (fs::exists(djson)) w.diff_json = json::parse(read_file(djson));
  w.self_diff = run_fleetload({"report", "diff", (w.dir / "base.json").string(), (w.dir / "base.json").string()}, w.dir,
                              30s);
}

class OutputsE2E : public SharedWorldTest<World, world, build_world> {};

std::size_t columns_of(const std::string& utf8) {
  std::size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

TEST_F(OutputsE2E, BothRunsCompletedAndTheSubscriberCountedEveryMessage) {
  for (const RunOutputs* r : {&world->base, &world->slow}) {
    EXPECT_EQ(r->outcome.status.code, 0) << r->outcome.describe();
    EXPECT_EQ(counter(r->report, "connects_ok"), static_cast<std::uint64_t>(kDevices));
    const std::uint64_t sent = qos_counter(r->report, "publishes_sent", 1);
    EXPECT_GT(sent, 0u);
    EXPECT_EQ(r->received_by_test, sent) << "the broker delivered what fleetload says it sent";
  }
  // Half the rate, about half the messages (both over the same 4 s hold).
  const double ratio = static_cast<double>(world->slow.received_by_test) / static_cast<double>(world->base.received_by_test);
  EXPECT_GT(ratio, 0.4);
  EXPECT_LT(ratio, 0.6);
}

TEST_F(OutputsE2E, ProgressLinesNeverPassTheColumnsTheyAreGiven) {
  for (const auto& [run, width] : {std::pair{&world->base, 80u}, std::pair{&world->slow, 50u}}) {
    std::istringstream in(run->outcome.err);
    int lines = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("[", 0) != 0) continue;  // warnings and the "report written" lines are not progress
      ++lines;
      EXPECT_LE(columns_of(line), width) << line;
      EXPECT_NE(line.find("conn"), std::string::npos) << line;  // the essentials survive
    }
    EXPECT_GE(lines, 3) << run->outcome.err;  // one per second of a ~4 s run
  }
}

TEST_F(OutputsE2E, CsvAndNdjsonCarryTheSeriesAndAddUpToTheSubscribersCount) {
  const RunOutputs& r = world->base;
  const auto& series = r.report.at("series").as_array();
  std::vector<std::string> lines;
  {
    std::istringstream in(r.csv);
    for (std::string l; std::getline(in, l);) lines.push_back(l.substr(0, l.size() - (l.back() == '\r')));
  }
  ASSERT_EQ(lines.size(), series.size() + 1);  // the header and one row per interval
  std::vector<std::string> header;
  {
    std::istringstream h(lines[0]);
    for (std::string c; std::getline(h, c, ',');) header.push_back(c);
  }
  auto col = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t t_col = col("t_s"), pub_col = col("publishes_per_s"), conn_col = col("connected"),
                    group_col = col("group");
  double previous_t = 0, published = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::vector<std::string> cells;
    std::istringstream row(lines[i + 1]);
    for (std::string c; std::getline(row, c, ',');) cells.push_back(c);
    ASSERT_GE(cells.size(), header.size() - 1) << lines[i + 1];
    const double t = std::stod(cells[t_col]);
    EXPECT_DOUBLE_EQ(t, f64(series[i].at("t_s")));
    EXPECT_EQ(std::stoull(cells[conn_col]), u64(series[i].at("connected")));
    EXPECT_EQ(cells[group_col], "all");
    published += std::stod(cells[pub_col]) * (t - previous_t);
    previous_t = t;
  }
  // The rows' rates over their intervals add up to the messages the test's subscriber got,
  // but for what was sent after the last sample (the run stops between two samples): at most
  // the steady rate times that tail.
  const double counted = static_cast<double>(r.received_by_test);
  const double tail_s = f64(r.report.at("phases").as_array().back().at("end_s")) - previous_t;
  const double rate = f64(r.report.at("publish_rate").at("requested_per_s"));
  EXPECT_LE(published, counted * 1.01 + 5) << "from the CSV " << published << ", counted " << counted;
  EXPECT_GE(published, counted - rate * std::max(0.0, tail_s) - counted * 0.01 - 5)
      << "from the CSV " << published << ", counted " << counted << ", tail " << tail_s << " s";

  std::istringstream nd(r.ndjson);
  std::size_t n = 0;
  for (std::string l; std::getline(nd, l); ++n) {
    const auto o = json::parse(l);
    ASSERT_LT(n, series.size());
    EXPECT_DOUBLE_EQ(f64(o.at("t_s")), f64(series[n].at("t_s")));
    EXPECT_DOUBLE_EQ(f64(o.at("publishes_per_s")), f64(series[n].at("publishes_per_s")));
    EXPECT_EQ(o.as_object().size(), header.size());
  }
  EXPECT_EQ(n, series.size());
}

TEST_F(OutputsE2E, ReportDiffFlagsTheSlowerRunAndPassesAReportAgainstItself) {
  ASSERT_EQ(world->diff.status.code, 1) << world->diff.describe();
  EXPECT_NE(world->diff.out.find("publish rate achieved"), std::string::npos);
  ASSERT_TRUE(world->diff_json.is_object()) << world->diff.describe();
  bool rate_flagged = false;
  for (const auto& f : world->diff_json.at("figures").as_array()) {
    if (f.at("section").as_string() != "publish" || f.at("name").as_string() != "publish rate achieved") continue;
    rate_flagged = f.at("regression").as_bool();
    // The figures are the reports' own, and the change is about -50 %.
    EXPECT_DOUBLE_EQ(f64(f.at("base")), f64(world->base.report.at("publish_rate").at("achieved_per_s")));
    EXPECT_DOUBLE_EQ(f64(f.at("new")), f64(world->slow.report.at("publish_rate").at("achieved_per_s")));
    EXPECT_NEAR(f64(f.at("relative")), -0.5, 0.1);
  }
  EXPECT_TRUE(rate_flagged) << world->diff.out;
  EXPECT_TRUE(fs::exists(world->dir / "diff.html"));
  EXPECT_EQ(world->self_diff.status.code, 0) << world->self_diff.describe();
  EXPECT_EQ(world->self_diff.out.find("  WORSE\n"), std::string::npos) << world->self_diff.out;
  EXPECT_NE(world->self_diff.out.find("0 regressions"), std::string::npos) << world->self_diff.out;
}

}  // namespace
}  // namespace fleetload::e2e
