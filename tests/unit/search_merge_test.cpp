// Merging a sharded capacity search (report merge): two shards of one connect_rate ladder,
// through the JSON writer and reader, judged again on the shards' windows together. The
// shards' own views disagree with the fleet's (one shard alone fails a step the fleet
// passes), so an answer taken from either shard, or from the shards' verdicts, is wrong.
// Also: a ladder not every shard finished, windows that did not line up in time, and
// different ladders are named.
#include <gtest/gtest.h>

#include <string>

#include "metrics/report_json.hpp"
#include "metrics/report_merge.hpp"
#include "metrics/report_read.hpp"

namespace fleetload::metrics {
namespace {

constexpr std::int64_t kStartMs = 1'796'000'000'000;

scenario::Search connect_search() {
  scenario::Search q;
  q.vary = scenario::SearchVary::ConnectRate;
  q.from = 10;
  q.to = 80;
  q.hold = std::chrono::seconds(4);
  q.settle = std::chrono::seconds(1);
  q.criteria = {"connect_success_ratio"};
  q.abort.connect_success_below = 0.0;
  q.abort.errors_per_second_above = 1e9;
  return q;
}

scenario::Threshold success_ratio() {
  scenario::Threshold t;
  t.metric = "connect_success_ratio";
  t.op = scenario::ThresholdOp::Ge;
  t.value = 0.95;
  t.unit = scenario::Threshold::Unit::Ratio;
  t.text = ">= 95%";
  return t;
}

// Shard k's step at `value` connects/s: half of it, `ok` of `attempts` accepted in a 3 s
// window starting 1 s into the step (+ skew seconds).
SearchStep step(std::uint32_t i, double value, std::uint64_t attempts, std::uint64_t ok, double skew = 0) {
  SearchStep st;
  st.index = i;
  st.value = value;
  st.target = value / 2;
  st.window_start_s = 1.0 + 4.0 * i + skew;
  st.window_end_s = st.window_start_s + 3.0;
  StepWindow w;
  w.seconds = 3.0;
  w.fleet.connect_attempts = attempts;
  w.fleet.connects_ok = ok;
  w.fleet.connect_failures = attempts - ok;
  w.varied_connects_ok = ok;
  w.varied_connect_failures = attempts - ok;
  w.varied_connected = ok;
  st.window = w;
  judge_window(st, w, connect_search(), {success_ratio()});
  return st;
}

// Shard k of 2; `ok[i]` of 100 attempts accepted at ladder step i.
RunReport shard(std::uint32_t k, const std::vector<std::uint64_t>& ok, double skew = 0) {
  RunReport r;
  r.fleetload_version = "0.1.0";
  r.scenario_name = "search";
  r.scenario_source = "search.yaml";
  r.scenario_yaml = "name: search\n# shard " + std::to_string(k) + "/2 (from --shard)\n";
  r.started_at_utc = "2026-12-04T10:00:00Z";
  r.started_at_unix_ms = kStartMs;
  r.protocol = mqtt::Version::V5;
  r.shard_k = k;
  r.shard_n = 2;
  r.exit_reason = "completed";
  r.devices = 200;
  const std::vector<double> ladder{10, 20, 40, 80};
  SearchReport s;
  s.phase = "search-0";
  s.search = connect_search();
  for (std::size_t i = 0; i < ok.size(); ++i) {
    s.steps.push_back(step(static_cast<std::uint32_t>(i), ladder[i], 100, ok[i], skew));
    r.stats.connect_attempts += 100;
    r.stats.connects_ok += ok[i];
    r.stats.connect_failures += 100 - ok[i];
  }
  s.summary = summarize_search(s.steps, s.search);
  s.stop_reason = ok.size() == ladder.size() ? "fixed ladder: every step ran" : "collapse at 40/s: the search stopped there";
  r.search = std::move(s);
  evaluate_thresholds({success_ratio()}, r);
  return r;
}

// Through the report files' JSON, as `report merge` reads them.
MergeInput via_json(const RunReport& r, const std::string& name) {
  return MergeInput{name, report_from_json(report_to_json(r), name)};
}

TEST(SearchMerge, EachStepJudgedOnTheShardsTogether) {
  // Step 40/s: shard 0 alone accepts 93 % (fails), shard 1 99 %: the fleet 96 % (passes).
  // Step 80/s: 90 % and 98 %: the fleet 94 % (fails).
  const RunReport a = shard(0, {100, 99, 93, 90});
  const RunReport b = shard(1, {100, 100, 99, 98});
  ASSERT_EQ(a.search->summary.sustainable, 20.0);  // shard 0's own view
  const auto m = merge_reports({via_json(a, "s0.json"), via_json(b, "s1.json")});
  ASSERT_TRUE(m.report.search);
  const auto& s = *m.report.search;
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_TRUE(s.steps[2].verdict == Verdict::Pass) << s.steps[2].criteria[0].detail;
  EXPECT_TRUE(s.steps[3].verdict == Verdict::Fail);
  EXPECT_EQ(s.summary.sustainable, 40.0);
  EXPECT_EQ(s.summary.first_failing, 80.0);
  ASSERT_EQ(s.summary.broken_by.size(), 1u);
  EXPECT_EQ(s.summary.broken_by[0], "connect_success_ratio");
  // The fleet's figures: both halves of the rate, connects summed over the common window.
  EXPECT_DOUBLE_EQ(s.steps[2].target, 40.0);
  EXPECT_NEAR(s.steps[2].achieved, (93.0 + 99.0) / 3.0, 1e-9);
  EXPECT_NEAR(s.steps[3].criteria[0].value, 188.0 / 200.0, 1e-12);
  // The search's answer is the merged run's verdict.
  EXPECT_TRUE(m.report.verdict == Verdict::Pass);
  // Merged again (with nothing more) it stays the same.
  const auto again = merge_reports({via_json(m.report, "merged.json")});
  EXPECT_EQ(again.report.search->summary.sustainable, 40.0);
}

TEST(SearchMerge, AShardsShorterLadderEndsTheMergedOne) {
  const RunReport a = shard(0, {100, 100, 40});  // collapsed at 40/s and stopped
  const RunReport b = shard(1, {100, 100, 100, 100});
  const auto m = merge_reports({via_json(a, "s0.json"), via_json(b, "s1.json")});
  const auto& s = *m.report.search;
  EXPECT_EQ(s.steps.size(), 3u);
  EXPECT_NE(s.stop_reason.find("the ladder of s0.json ended after 3 steps (collapse at 40/s"), std::string::npos)
      << s.stop_reason;
  EXPECT_EQ(s.summary.sustainable, 20.0);
  EXPECT_EQ(s.summary.first_failing, 40.0);
}

TEST(SearchMerge, WindowsThatDidNotLineUpAreRefused) {
  const RunReport a = shard(0, {100, 100});
  const RunReport late = shard(1, {100, 100}, 2.5);  // started 2.5 s after the other
  try {
    merge_reports({via_json(a, "s0.json"), via_json(late, "s1.json")});
    FAIL() << "merged misaligned steps";
  } catch (const MergeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("search step 0: the shards' measurement windows began 2.5 s apart (s0.json first, s1.json last)"),
              std::string::npos) << what;
    EXPECT_NE(what.find("--start-at"), std::string::npos) << what;
  }
  // Within the tolerance (a tenth of the hold, at least 1 s) they merge.
  EXPECT_NO_THROW(merge_reports({via_json(a, "s0.json"), via_json(shard(1, {100, 100}, 0.8), "s1.json")}));
}

TEST(SearchMerge, DifferentLaddersAndMissingWindowsAreRefused) {
  RunReport a = shard(0, {100, 100});
  RunReport b = shard(1, {100, 100});
  b.search->steps[1].value = 25;
  EXPECT_THROW(
      {
        try {
          merge_reports({via_json(a, "s0.json"), via_json(b, "s1.json")});
        } catch (const MergeError& e) {
          EXPECT_NE(std::string(e.what()).find("search step 1: s0.json ran 20/s, s1.json 25/s"), std::string::npos)
              << e.what();
          throw;
        }
      },
      MergeError);
  RunReport single = shard(1, {100, 100});
  single.search->steps[0].window.reset();  // as a single-process search writes it
  EXPECT_THROW(merge_reports({via_json(a, "s0.json"), via_json(single, "s1.json")}), MergeError);
  RunReport none = shard(1, {100, 100});
  none.search.reset();
  EXPECT_THROW(merge_reports({via_json(a, "s0.json"), via_json(none, "s1.json")}), MergeError);
}

}  // namespace
}  // namespace fleetload::metrics
