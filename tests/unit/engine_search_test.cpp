// Unit tests of the capacity-search controller and the step judging it relies on: ladders,
// bisection to the known limit, fixed ladders, collapse, max_steps and the summary's
// verdict (sustainable, first failing, require).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "engine/search.hpp"

namespace fleetload::engine {
namespace {

using metrics::Verdict;
using scenario::Search;
using scenario::SearchSteps;
using scenario::SearchVary;

Search connect_search(double from, double to, SearchSteps steps) {
  Search s;
  s.vary = SearchVary::ConnectRate;
  s.from = from;
  s.to = to;
  s.steps = steps;
  s.hold = std::chrono::seconds(5);
  s.criteria = {"p99_connect_time"};
  return s;
}

// A broker whose p99 connect time exceeds the limit above `limit` connects/s: the step's
// one criterion is met iff the value is at most `limit`. The achieved value is the target.
metrics::SearchStep step_at(double value, double limit) {
  metrics::SearchStep st;
  st.value = value;
  st.achieved = value;
  const bool met = value <= limit;
  st.criteria.push_back({"p99_connect_time", true, met, met ? "80 ms, limit <= 200ms" : "900 ms, limit <= 200ms"});
  metrics::judge_step(st, true, scenario::SearchAbort{}, 100, 100, 0.0);
  return st;
}

// Runs the controller to its end against `judge` (value -> judged step); returns the values run.
std::vector<double> drive(SearchController& c, const std::function<metrics::SearchStep(double)>& judge) {
  std::vector<double> values;
  for (int guard = 0; c.next() && guard < 1000; ++guard) {
    values.push_back(c.next()->value);
    c.record(judge(c.next()->value));
  }
  return values;
}

TEST(SearchLadder, LinearGeometricAndStepReachToExactly) {
  EXPECT_EQ(search_ladder(connect_search(100, 400, {SearchSteps::Kind::Linear, 4})),
            (std::vector<double>{100, 200, 300, 400}));
  EXPECT_EQ(search_ladder(connect_search(100, 1000, {SearchSteps::Kind::Geometric, 2})),
            (std::vector<double>{100, 200, 400, 800, 1000}));
  EXPECT_EQ(search_ladder(connect_search(100, 1000, {SearchSteps::Kind::Step, 250})),
            (std::vector<double>{100, 350, 600, 850, 1000}));
  // 1.1^n never lands on 121 exactly in floating point: `to` is still one step, not two.
  EXPECT_EQ(search_ladder(connect_search(100, 121, {SearchSteps::Kind::Geometric, 1.1})).size(), 3u);
  Search d = connect_search(10, 40, {SearchSteps::Kind::Geometric, 1.3});
  d.vary = SearchVary::Devices;
  EXPECT_EQ(search_ladder(d), (std::vector<double>{10, 13, 17, 22, 29, 37, 40}));
  Search capped = connect_search(1, 1000, {SearchSteps::Kind::Step, 1});
  capped.max_steps = 6;
  EXPECT_EQ(search_ladder(capped).size(), 6u);
}

TEST(SearchController, BisectsToTheKnownLimitWithinAbsolutePrecision) {
  Search s = connect_search(100, 1600, {SearchSteps::Kind::Geometric, 2});
  s.precision = 20, s.precision_relative = false;
  SearchController c(s, true);
  const double limit = 730;
  const auto values = drive(c, [&](double v) { return step_at(v, limit); });
  // Ladder 100 200 400 800 (fails), then bisection in (400, 800).
  ASSERT_GE(values.size(), 5u);
  EXPECT_EQ((std::vector<double>(values.begin(), values.begin() + 4)), (std::vector<double>{100, 200, 400, 800}));
  EXPECT_EQ(c.steps()[4].kind, metrics::StepKind::Bisect);
  EXPECT_DOUBLE_EQ(values[4], 600);
  const auto sum = c.summary();
  ASSERT_TRUE(sum.sustainable && sum.first_failing);
  EXPECT_LE(*sum.sustainable, limit);
  EXPECT_GT(*sum.first_failing, limit);
  EXPECT_LE(*sum.first_failing - *sum.sustainable, 20.0);
  EXPECT_EQ(sum.broken_by, (std::vector<std::string>{"p99_connect_time"}));
  EXPECT_EQ(sum.verdict.verdict, Verdict::Pass);
  EXPECT_NE(c.stop_reason().find("precision reached"), std::string::npos) << c.stop_reason();
}

TEST(SearchController, RelativePrecisionAndWholeDevices) {
  Search s = connect_search(100, 5000, {SearchSteps::Kind::Linear, 3});
  s.vary = SearchVary::Devices;
  s.precision = 0.01;  // 1% of the passing value
  SearchController c(s, true);
  drive(c, [](double v) { return step_at(v, 3333); });
  const auto sum = c.summary();
  ASSERT_TRUE(sum.sustainable && sum.first_failing);
  EXPECT_LE(*sum.sustainable, 3333);
  EXPECT_GT(*sum.first_failing, 3333);
  EXPECT_LE(*sum.first_failing - *sum.sustainable, 0.01 * *sum.sustainable);
  for (const auto& st : c.steps()) EXPECT_EQ(st.value, std::floor(st.value)) << "devices are whole";
}

// A shard's ladder: every value, past failures (report merge judges the fleet's steps), and
// never bisects.
TEST(SearchController, FixedLadderRunsEveryValueAndNeverBisects) {
  SearchController c(connect_search(100, 1600, {SearchSteps::Kind::Geometric, 2}), false);
  const auto values = drive(c, [](double v) { return step_at(v, 730); });
  EXPECT_EQ(values, (std::vector<double>{100, 200, 400, 800, 1600}));
  EXPECT_EQ(c.stop_reason(), "fixed ladder: every step ran");
  const auto sum = c.summary();
  EXPECT_EQ(sum.sustainable, 400);
  EXPECT_EQ(sum.first_failing, 800);
}

TEST(SearchController, AllPassAndFirstStepFailsEndTheSearch) {
  SearchController all(connect_search(100, 400, {SearchSteps::Kind::Linear, 4}), true);
  EXPECT_EQ(drive(all, [](double v) { return step_at(v, 1e9); }).size(), 4u);
  EXPECT_EQ(all.summary().sustainable, 400);
  EXPECT_FALSE(all.summary().first_failing);
  EXPECT_NE(all.stop_reason().find("above 400/s"), std::string::npos) << all.stop_reason();

  SearchController none(connect_search(100, 400, {SearchSteps::Kind::Linear, 4}), true);
  EXPECT_EQ(drive(none, [](double v) { return step_at(v, 50); }).size(), 1u);
  EXPECT_FALSE(none.summary().sustainable);
  EXPECT_EQ(none.summary().verdict.verdict, Verdict::Fail);
  EXPECT_NE(none.stop_reason().find("below 100/s"), std::string::npos) << none.stop_reason();
}

TEST(SearchController, CollapseStopsAtOnceWithoutBisecting) {
  SearchController c(connect_search(100, 1600, {SearchSteps::Kind::Geometric, 2}), true);
  const auto values = drive(c, [](double v) {
    metrics::SearchStep st;
    st.criteria.push_back({"p99_connect_time", true, true, "80 ms, limit <= 200ms"});
    // Past 300/s the broker refuses 90% of connects: criteria that look elsewhere still pass.
    const std::uint64_t ok = v > 300 ? 10 : 100;
    metrics::judge_step(st, true, scenario::SearchAbort{}, 100, ok, 0.0);
    return st;
  });
  EXPECT_EQ(values, (std::vector<double>{100, 200, 400}));
  ASSERT_TRUE(c.steps().back().collapse);
  EXPECT_EQ(c.steps().back().verdict, Verdict::Fail);
  const auto sum = c.summary();
  EXPECT_TRUE(sum.collapsed);
  EXPECT_EQ(sum.sustainable, 200);
  EXPECT_EQ(sum.first_failing, 400);
  EXPECT_EQ(sum.broken_by, (std::vector<std::string>{"abort"}));
  EXPECT_NE(c.stop_reason().find("collapse at 400/s"), std::string::npos) << c.stop_reason();
}

TEST(SearchController, ErrorBurstIsACollapse) {
  metrics::SearchStep st;
  st.criteria.push_back({"p99_connect_time", true, true, ""});
  scenario::SearchAbort abort;
  abort.errors_per_second_above = 50;
  metrics::judge_step(st, true, abort, 0, 0, 49.0);
  EXPECT_FALSE(st.collapse);
  EXPECT_EQ(st.verdict, Verdict::Pass);
  metrics::judge_step(st, true, abort, 0, 0, 51.0);
  EXPECT_TRUE(st.collapse);
  EXPECT_EQ(st.verdict, Verdict::Fail);
}

TEST(SearchController, MaxStepsBoundsLadderAndBisection) {
  Search s = connect_search(100, 1600, {SearchSteps::Kind::Geometric, 2});
  s.precision = 1, s.precision_relative = false;
  s.max_steps = 6;
  SearchController c(s, true);
  EXPECT_EQ(drive(c, [](double v) { return step_at(v, 730); }).size(), 6u);
  EXPECT_NE(c.stop_reason().find("max_steps (6)"), std::string::npos) << c.stop_reason();
}

TEST(SearchSummary, RequireDecidesTheVerdict) {
  Search s = connect_search(100, 1600, {SearchSteps::Kind::Geometric, 2});
  std::vector<metrics::SearchStep> steps{step_at(100, 300), step_at(200, 300), step_at(400, 300)};
  s.require_op = scenario::ThresholdOp::Ge;
  s.require_value = 200;
  EXPECT_EQ(metrics::summarize_search(steps, s).verdict.verdict, Verdict::Pass);
  s.require_op = scenario::ThresholdOp::Gt;
  const auto below = metrics::summarize_search(steps, s);
  EXPECT_EQ(below.verdict.verdict, Verdict::Fail);
  EXPECT_EQ(below.verdict.headline(), "FAIL (sustainable 200/s, required > 200/s)");
}

TEST(SearchSummary, APassAboveAFailIsNoEvidenceAndUnjudgedIsInconclusive) {
  Search s = connect_search(100, 1600, {SearchSteps::Kind::Geometric, 2});
  // A noisy window: 400 failed but 800 passed; sustainable stays below the failure.
  std::vector<metrics::SearchStep> steps{step_at(100, 1e9), step_at(200, 1e9), step_at(400, 0), step_at(800, 1e9)};
  const auto sum = metrics::summarize_search(steps, s);
  EXPECT_EQ(sum.sustainable, 200);
  EXPECT_EQ(sum.first_failing, 400);

  metrics::SearchStep unmeasured;
  unmeasured.value = 100;
  unmeasured.criteria.push_back({"p99_connect_time", false, false, "no connect completed"});
  metrics::judge_step(unmeasured, true, scenario::SearchAbort{}, 0, 0, 0.0);
  EXPECT_EQ(unmeasured.verdict, Verdict::Inconclusive);
  std::vector<metrics::SearchStep> one{unmeasured};
  EXPECT_EQ(metrics::summarize_search(one, s).verdict.verdict, Verdict::Inconclusive);
}

}  // namespace
}  // namespace fleetload::engine

namespace fleetload::engine {
namespace {

// A step's criteria are the named thresholds only, measured on the window's figures alone.
TEST(SearchStepCriteria, MeasuresTheNamedThresholdsOnTheWindow) {
  std::vector<scenario::Threshold> ts(2);
  ts[0] = {"connect_success_ratio", scenario::ThresholdOp::Ge, 0.95, scenario::Threshold::Unit::Ratio, ">= 95%"};
  ts[1] = {"p99_connect_time", scenario::ThresholdOp::Le, 0.2, scenario::Threshold::Unit::Seconds, "<= 200ms"};
  device::StatsSnapshot window;
  window.connects_ok = 9;
  window.connect_failures = 1;
  const auto only_ratio = metrics::measure_step_criteria(ts, {"connect_success_ratio"}, window, 0.0, 0.0);
  ASSERT_EQ(only_ratio.size(), 1u);
  EXPECT_EQ(only_ratio[0].name, "connect_success_ratio");
  EXPECT_TRUE(only_ratio[0].measured);
  EXPECT_FALSE(only_ratio[0].met);  // 90 % of the window's attempts
  EXPECT_NE(only_ratio[0].detail.find("90%"), std::string::npos) << only_ratio[0].detail;
  window.connect_failures = 0;
  const auto both = metrics::measure_step_criteria(ts, {"connect_success_ratio", "p99_connect_time"}, window, 0.0, 0.0);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_TRUE(both[0].met);
  // No connect time recorded in the window: not measured, so the step cannot pass.
  EXPECT_FALSE(both[1].measured);
  metrics::SearchStep st;
  st.criteria = both;
  metrics::judge_step(st, true, scenario::SearchAbort{}, 9, 9, 0.0);
  EXPECT_EQ(st.verdict, Verdict::Inconclusive);
}

}  // namespace
}  // namespace fleetload::engine
