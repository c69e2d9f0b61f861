// A capacity search split over two shards (two fleetload processes started with one
// --start-at) against mosquitto behind the test's proxy, which admits a known number of
// new connections per second from both together: each shard runs the whole fixed ladder at
// the same instants, neither can tell the knee from its half, and `fleetload report merge`
// judges every step on both shards' windows and finds the same knee as one process
// searching alone — the proxy's limit, to the ladder's resolution. The proxy counts what it
// admitted and refused itself.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/rate_limit_proxy.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

const json::object& search_of(const json::value& report) { return report.at("search").as_object(); }

// The highest passing value among the ladder's own steps (not bisection's).
double last_passing_ladder_value(const json::object& s) {
  double v = 0;
  for (const auto& st : s.at("steps").as_array())
    if (st.at("kind").as_string() == "ladder" && st.at("passed").as_bool()) v = std::max(v, f64(st.at("value")));
  return v;
}

TEST(SearchShards, TwoShardsOnOneLadderMergeToTheKneeOfOneProcess) {
  const fs::path dir = make_temp_dir("search-shards");
  MosquittoBroker broker;
  // 45 new connections a second, whoever opens them: 40/s passes, 50/s cannot.
  constexpr double kLimit = 45.0;
  RateLimitProxy proxy(broker.port(), kLimit, 0.1);
  const std::string yaml = "target: {endpoint: 127.0.0.1, port: " + std::to_string(proxy.port()) + "}\n"
                           "fleet: {devices: 300, client_id: \"sh-{index}\", connect_rate: 20/s}\n"
                           "reconnect: {min_delay: 5s, max_delay: 5s}\n"
                           "phases:\n"
                           "  - type: search\n"
                           "    vary: connect_rate\n"
                           "    from: 20/s\n"
                           "    to: 60/s\n"
                           "    step: 10/s\n"
                           "    hold: 1500ms\n"
                           "    settle: 500ms\n"
                           "    precision: 5/s\n"
                           "    abort: {connect_success_below: 10%, errors_above: 100000/s}\n"
                           "thresholds: {connect_success_ratio: \">= 95%\"}\n";
  const auto file = write_file(dir, "search.yaml", yaml);
  const std::vector<std::string> common{"run", file.string(), "--no-progress", "--no-metrics", "--threads", "1"};

  // One process, searching adaptively.
  auto args = common;
  args.insert(args.end(), {"--report", (dir / "single.json").string()});
  const Outcome single = run_fleetload(args, dir, 90s, dir / "single.json");
  ASSERT_TRUE(single.report) << single.describe();
  const auto& one = search_of(*single.report);
  const double one_ladder_knee = last_passing_ladder_value(one);
  const double one_sustainable = f64(one.at("sustainable"));

  // Two shards, each told to start 3 s from now (after their own set-up).
  const auto start = std::chrono::system_clock::now() + 3s;
  const double start_s = std::chrono::duration<double>(start.time_since_epoch()).count();
  char at[32];
  std::snprintf(at, sizeof at, "@%.3f", start_s);
  std::vector<ChildProcess> shards;
  for (const char* k : {"0", "1"}) {
    auto a = common;
    a.insert(a.end(), {"--shard", std::string(k) + "/2", "--start-at", at, "--report",
                       (dir / ("s" + std::string(k) + ".json")).string()});
    shards.push_back(spawn_fleetload(a, dir, std::string("shard") + k));
  }
  std::vector<Outcome> outs;
  for (int k = 0; k < 2; ++k) outs.push_back(finish(shards[k], 90s, dir / ("s" + std::to_string(k) + ".json")));
  for (const auto& o : outs) {
    ASSERT_TRUE(o.report) << o.describe();
    EXPECT_NE(o.err.find("starting at " + std::string(at)), std::string::npos) << o.describe();
    // Both began at the instant given, not when each happened to be ready.
    EXPECT_NEAR(static_cast<double>(o.report->at("started_at_unix_ms").as_int64()) / 1000.0, start_s, 0.25)
        << o.describe();
    const auto& s = search_of(*o.report);
    // The whole ladder, each step at half the fleet's rate, with the figures merge needs.
    const auto& steps = s.at("steps").as_array();
    ASSERT_EQ(steps.size(), 5u) << o.describe();
    for (const auto& st : steps) {
      EXPECT_EQ(st.at("kind").as_string(), "ladder");
      EXPECT_DOUBLE_EQ(f64(st.at("target")), f64(st.at("value")) / 2);
      EXPECT_TRUE(st.as_object().contains("window"));
    }
    EXPECT_EQ(s.at("stop_reason").as_string(), "fixed ladder: every step ran");
    EXPECT_NE(o.out.find("this shard"), std::string::npos) << o.out;
  }
  // Step k of both shards began within the merge's tolerance of each other.
  for (std::size_t i = 0; i < 5; ++i) {
    const auto w = [&](int k) {
      return static_cast<double>(outs[k].report->at("started_at_unix_ms").as_int64()) / 1000.0 +
             f64(search_of(*outs[k].report).at("steps").as_array()[i].at("window_start_s"));
    };
    EXPECT_LT(std::fabs(w(0) - w(1)), 0.3) << "step " << i;
  }

  const Outcome m = run_fleetload({"report", "merge", (dir / "s0.json").string(), (dir / "s1.json").string(), "--out",
                                   (dir / "merged.json").string()},
                                  dir, 30s, dir / "merged.json");
  ASSERT_TRUE(m.report) << m.describe();
  const auto& merged = search_of(*m.report);
  // The fleet's answer: 40/s sustained, 50/s not, broken by the success ratio — the same
  // knee as the single process's ladder, whose bisection only narrowed it further.
  EXPECT_EQ(m.status.code, 0) << m.describe();
  EXPECT_EQ(f64(merged.at("sustainable")), 40.0) << m.describe();
  EXPECT_EQ(f64(merged.at("first_failing")), 50.0) << m.describe();
  EXPECT_EQ(merged.at("broken_by").as_array().at(0).as_string(), "connect_success_ratio");
  EXPECT_EQ(one_ladder_knee, 40.0) << single.describe();
  EXPECT_GE(one_sustainable, 40.0) << single.describe();
  EXPECT_LT(one_sustainable, 50.0) << single.describe();
  for (const auto& st : merged.at("steps").as_array()) {
    EXPECT_DOUBLE_EQ(f64(st.at("target")), f64(st.at("value")));
    // A passing step connected at about its rate, from both shards together.
    if (st.at("passed").as_bool()) {
      EXPECT_NEAR(f64(st.at("achieved")), f64(st.at("value")), 0.25 * f64(st.at("value")));
    }
  }
  EXPECT_NE(m.out.find("sustainable: 40/s, first failing: 50/s"), std::string::npos) << m.out;
  EXPECT_GT(proxy.refused(), 0u);
  if (!::testing::Test::HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir);
}

// A start already past would leave that shard behind the others for the whole run: refused
// before anything connects (exit 2), naming the time.
TEST(SearchShards, AStartTimeAlreadyPastIsRefused) {
  const fs::path dir = make_temp_dir("search-late");
  MosquittoBroker broker;
  const auto file = write_file(dir, "late.yaml", "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
                                                     "}\nfleet: {devices: 2}\nrun: {duration: 2s}\n");
  const Outcome o = run_fleetload({"run", file.string(), "--no-progress", "--no-metrics", "--start-at",
                                   "2026-01-01T00:00:00Z"},
                                  dir, 30s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_NE(o.err.find("--start-at 2026-01-01T00:00:00Z is "), std::string::npos) << o.describe();
  EXPECT_NE(o.err.find("s in the past: start every shard before that time"), std::string::npos) << o.describe();
  EXPECT_EQ(broker.log().find("New client connected"), std::string::npos) << broker.log();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::e2e
