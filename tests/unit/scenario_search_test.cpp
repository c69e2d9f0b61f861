// Unit tests for `type: search` phases: typed fields, defaults, to_yaml round trip, and one
// file:line:col error per mistake.
#include <gtest/gtest.h>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

using namespace std::chrono_literals;

constexpr const char* kHead =
    "target: {endpoint: 127.0.0.1}\n"
    "fleet: {devices: 1000, connect_rate: 100/s}\n"
    "publish: {topic: \"t/{index}\", rate: 1/s}\n"
    "thresholds: {connect_success_ratio: \">= 99%\", p99_connect_time: \"<= 200ms\"}\n";

Scenario parse(const std::string& phases) {
  return parse_scenario(std::string(kHead) + "phases:\n" + phases, "search.yaml");
}

std::string error_of(const std::string& phases, const char* head = kHead) {
  try {
    parse_scenario(std::string(head) + "phases:\n" + phases, "search.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << phases;
  return {};
}

TEST(ScenarioSearch, FullSearchFillsTypedFields) {
  Scenario s = parse(
      "  - {type: ramp, duration: 5s}\n"
      "  - type: search\n"
      "    vary: connect_rate\n"
      "    from: 50/s\n"
      "    to: 3200/s\n"
      "    hold: 10s\n"
      "    settle: 2s\n"
      "    steps: geometric 1.5\n"
      "    precision: 25/s\n"
      "    max_steps: 12\n"
      "    criteria: [p99_connect_time]\n"
      "    require: \">= 400/s\"\n"
      "    abort: {connect_success_below: 20%, errors_above: 50/s}\n");
  ASSERT_EQ(s.phases.size(), 2u);
  const Phase& p = s.phases[1];
  EXPECT_EQ(p.type, PhaseType::Search);
  EXPECT_EQ(p.name, "search-1");
  ASSERT_TRUE(p.search.has_value());
  const Search& q = *p.search;
  EXPECT_EQ(q.vary, SearchVary::ConnectRate);
  EXPECT_DOUBLE_EQ(q.from, 50.0);
  EXPECT_DOUBLE_EQ(q.to, 3200.0);
  EXPECT_EQ(q.hold, 10s);
  EXPECT_EQ(q.settle, 2s);
  EXPECT_EQ(q.steps.kind, SearchSteps::Kind::Geometric);
  EXPECT_DOUBLE_EQ(q.steps.value, 1.5);
  EXPECT_FALSE(q.precision_relative);
  EXPECT_DOUBLE_EQ(q.precision, 25.0);
  EXPECT_EQ(q.max_steps, 12u);
  EXPECT_EQ(q.criteria, (std::vector<std::string>{"p99_connect_time"}));
  ASSERT_TRUE(q.require_op.has_value());
  EXPECT_EQ(*q.require_op, ThresholdOp::Ge);
  EXPECT_DOUBLE_EQ(q.require_value, 400.0);
  EXPECT_DOUBLE_EQ(q.abort.connect_success_below, 0.2);
  EXPECT_DOUBLE_EQ(q.abort.errors_per_second_above, 50.0);
  // A search lasts at most max_steps holds; the run with it.
  EXPECT_EQ(p.duration, 120s);
  EXPECT_EQ(s.run.duration, 125s);
}

TEST(ScenarioSearch, DefaultsJudgeByEveryThresholdWithSafeAbortLimits) {
  Scenario s = parse("  - {type: search, vary: devices, from: 100, to: 1000, hold: 5s}\n");
  const Search& q = *s.phases[0].search;
  EXPECT_EQ(q.vary, SearchVary::Devices);
  EXPECT_EQ(q.steps.kind, SearchSteps::Kind::Geometric);
  EXPECT_DOUBLE_EQ(q.steps.value, 2.0);
  EXPECT_TRUE(q.precision_relative);
  EXPECT_DOUBLE_EQ(q.precision, 0.10);
  EXPECT_EQ(q.max_steps, 20u);
  EXPECT_EQ(q.settle, 0s);
  EXPECT_EQ(q.criteria, (std::vector<std::string>{"connect_success_ratio", "p99_connect_time"}));
  EXPECT_FALSE(q.require_op.has_value());
  EXPECT_DOUBLE_EQ(q.abort.connect_success_below, 0.5);
  EXPECT_DOUBLE_EQ(q.abort.errors_per_second_above, 100.0);
}

TEST(ScenarioSearch, LinearStepIncrementAndPerDevicePublishRate) {
  Scenario a = parse("  - {type: search, vary: publish_rate, per: device, from: 1/s, to: 10/s, hold: 5s, steps: linear 4}\n");
  const Search& qa = *a.phases[0].search;
  EXPECT_TRUE(qa.per_device);
  EXPECT_EQ(qa.steps.kind, SearchSteps::Kind::Linear);
  EXPECT_DOUBLE_EQ(qa.steps.value, 4.0);
  Scenario b = parse("  - {type: search, vary: publish_rate, from: 100/s, to: 1000/s, hold: 5s, step: 100/s, precision: 5%}\n");
  const Search& qb = *b.phases[0].search;
  EXPECT_FALSE(qb.per_device);
  EXPECT_EQ(qb.steps.kind, SearchSteps::Kind::Step);
  EXPECT_DOUBLE_EQ(qb.steps.value, 100.0);
  EXPECT_TRUE(qb.precision_relative);
  EXPECT_DOUBLE_EQ(qb.precision, 0.05);
}

TEST(ScenarioSearch, ToYamlRoundTrips) {
  Scenario s = parse(
      "  - {type: search, vary: connect_rate, from: 50/s, to: 800/s, hold: 4s, settle: 1s, step: 50/s,\n"
      "     precision: 10/s, max_steps: 9, criteria: [p99_connect_time], require: \"> 200/s\",\n"
      "     abort: {connect_success_below: 0%}}\n");
  Scenario again = parse_scenario(to_yaml(s), "again.yaml");
  ASSERT_TRUE(again.phases.at(0).search.has_value());
  const Search& a = *s.phases[0].search;
  const Search& b = *again.phases[0].search;
  EXPECT_EQ(b.vary, a.vary);
  EXPECT_DOUBLE_EQ(b.from, a.from);
  EXPECT_DOUBLE_EQ(b.to, a.to);
  EXPECT_EQ(b.hold, a.hold);
  EXPECT_EQ(b.settle, a.settle);
  EXPECT_EQ(b.steps.kind, a.steps.kind);
  EXPECT_DOUBLE_EQ(b.steps.value, a.steps.value);
  EXPECT_DOUBLE_EQ(b.precision, a.precision);
  EXPECT_EQ(b.precision_relative, a.precision_relative);
  EXPECT_EQ(b.max_steps, a.max_steps);
  EXPECT_EQ(b.criteria, a.criteria);
  EXPECT_EQ(b.require_op, a.require_op);
  EXPECT_DOUBLE_EQ(b.require_value, a.require_value);
  EXPECT_DOUBLE_EQ(b.abort.connect_success_below, 0.0);
  EXPECT_EQ(again.phases[0].duration, s.phases[0].duration);
}

struct SearchErrorCase {
  const char* phases;
  const char* message;
};

class ScenarioSearchErrors : public ::testing::TestWithParam<SearchErrorCase> {};

TEST_P(ScenarioSearchErrors, NameFileLineColumnAndField) {
  EXPECT_NE(error_of(GetParam().phases).find(GetParam().message), std::string::npos)
      << error_of(GetParam().phases);
}

// kHead has 4 lines and "phases:" is line 5: a phase on one line is line 6.
INSTANTIATE_TEST_SUITE_P(
    Table, ScenarioSearchErrors,
    ::testing::Values(
        SearchErrorCase{"  - {type: search, from: 1/s, to: 2/s, hold: 5s}\n",
                        "search.yaml:6:5: phases.0.vary: required for a search: one of connect_rate, publish_rate, devices"},
        SearchErrorCase{"  - {type: search, vary: speed, from: 1/s, to: 2/s, hold: 5s}\n", "search.yaml:6:26: phases.0.vary:"},
        SearchErrorCase{"  - {type: search, vary: connect_rate, from: 10/s, to: 5/s, hold: 5s}\n",
                        "search.yaml:6:56: phases.0.to: expected a value above from (10/s), got \"5/s\""},
        SearchErrorCase{"  - {type: search, vary: connect_rate, from: fast, to: 5/s, hold: 5s}\n",
                        "search.yaml:6:46: phases.0.from: expected a rate like 500/s above 0, got \"fast\""},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10/s, to: 50, hold: 5s}\n",
                        "search.yaml:6:41: phases.0.from: expected a device count like 1000 above 0, got \"10/s\""},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 5000, hold: 5s}\n",
                        "search.yaml:6:49: phases.0.to: expected at most fleet.devices (1000), got \"5000\""},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50}\n",
                        "search.yaml:6:5: phases.0.hold: required for a search"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, settle: 5s}\n",
                        "search.yaml:6:71: phases.0.settle: expected less than hold (5s)"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, steps: cubic 3}\n",
                        "search.yaml:6:70: phases.0.steps: expected linear N"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, steps: geometric 1}\n",
                        "search.yaml:6:70: phases.0.steps: expected geometric F with a factor F above 1"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, steps: linear 2, step: 5}\n",
                        "phases.0.step: give either steps (linear N | geometric F) or step (an increment), not both"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, precision: 150%}\n",
                        "search.yaml:6:74: phases.0.precision: expected a share like 5% (below 100%)"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, criteria: [max_loss]}\n",
                        "search.yaml:6:74: phases.0.criteria.0: \"max_loss\" is not one of the scenario's thresholds "
                        "(connect_success_ratio, p99_connect_time)"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, require: \"<= 40\"}\n",
                        "search.yaml:6:72: phases.0.require: a sustainable value is a floor"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, duration: 60s}\n",
                        "search.yaml:6:73: phases.0.duration: a search lasts max_steps * hold"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, group: sensors}\n",
                        "search.yaml:6:70: phases.0.group: this scenario has no groups"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s, abort: {connect_success_below: 2}}\n",
                        "phases.0.abort.connect_success_below: expected a share like 50%"},
        SearchErrorCase{"  - {type: search, vary: devices, per: device, from: 10, to: 50, hold: 5s}\n",
                        "search.yaml:6:40: phases.0.per: only with vary: publish_rate"},
        SearchErrorCase{"  - {type: steady, duration: 5s, hold: 5s}\n",
                        "search.yaml:6:40: phases.0.hold: only for phases of type search"},
        SearchErrorCase{"  - {type: search, vary: devices, from: 10, to: 50, hold: 5s}\n"
                        "  - {type: search, vary: devices, from: 10, to: 50, hold: 5s}\n",
                        "search.yaml:7:12: phases.1.type: one search per run"}));

TEST(ScenarioSearch, NeedsThresholdsAndPublishersForWhatItVaries) {
  const char* bare = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 10}\n";
  const std::string e1 = error_of("  - {type: search, vary: devices, from: 1, to: 5, hold: 1s}\n", bare);
  EXPECT_NE(e1.find("search.yaml:4:12: phases.0.type: a search needs thresholds"), std::string::npos) << e1;
  const char* no_publish = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 10}\nthresholds: {max_loss: 0}\n";
  const std::string e2 = error_of("  - {type: search, vary: publish_rate, from: 1/s, to: 5/s, hold: 1s}\n", no_publish);
  EXPECT_NE(e2.find("search.yaml:5:26: phases.0.vary: publish_rate needs a publish: section"), std::string::npos) << e2;
}

// `group`: the search varies one group, named among the scenario's groups.
TEST(ScenarioSearch, GroupNamesOneOfTheScenariosGroups) {
  const std::string groups =
      "groups:\n"
      "  - {name: sensors, devices: 900}\n"
      "  - {name: gateways, devices: 100}\n";
  const Scenario s = parse_scenario(std::string(kHead) + groups +
                                        "phases:\n  - {type: search, vary: publish_rate, group: gateways, from: 10/s, "
                                        "to: 100/s, hold: 2s}\n",
                                    "search.yaml");
  ASSERT_TRUE(s.phases.at(0).search);
  EXPECT_EQ(s.phases[0].search->group, "gateways");
  EXPECT_NE(to_yaml(s).find("group: \"gateways\""), std::string::npos) << to_yaml(s);
  std::string e;
  try {
    parse_scenario(std::string(kHead) + groups +
                       "phases:\n  - {type: search, vary: devices, group: apps, from: 1, to: 50, hold: 2s}\n",
                   "search.yaml");
  } catch (const ScenarioError& x) {
    e = x.what();
  }
  EXPECT_NE(e.find("search.yaml:9:42: phases.0.group: no group named \"apps\"; groups: sensors, gateways"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace fleetload::scenario
