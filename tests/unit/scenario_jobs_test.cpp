// `jobs:`: values, defaults, groups inheriting, --set, to_yaml round trip, the thresholds,
// and the errors with file:line:column and field.
#include <gtest/gtest.h>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

constexpr const char* kBase = "target: {endpoint: h}\nfleet: {devices: 10, client_id: \"dev-{index}\"}\n";

std::string error_of(std::string_view yaml, std::vector<std::string> overrides = {}) {
  try {
    parse_scenario(yaml, "s.yaml", overrides);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ScenarioJobs, ReadsEveryKeyAndRoundTripsThroughToYaml) {
  const std::string yaml = std::string(kBase) +
                           "jobs:\n"
                           "  start: on_notify\n"
                           "  work_time: 500ms..3s\n"
                           "  fail_share: 10%\n"
                           "  status_details: {device: \"{client_id}\", step: download}\n"
                           "  step_timeout: 30\n"
                           "  in_progress: false\n"
                           "  timeout: 4s\n"
                           "thresholds: {max_job_failures: 1%, p99_job_duration: 10s}\n";
  const Scenario s = parse_scenario(yaml, "s.yaml");
  ASSERT_TRUE(s.jobs);
  EXPECT_EQ(s.jobs->start, JobsStart::OnNotify);
  EXPECT_EQ(s.jobs->work_min, Duration(500));
  EXPECT_EQ(s.jobs->work_max, Duration(3000));
  EXPECT_DOUBLE_EQ(s.jobs->fail_share, 0.1);
  const std::vector<std::pair<std::string, std::string>> details{{"device", "{client_id}"}, {"step", "download"}};
  EXPECT_EQ(s.jobs->status_details, details);
  EXPECT_EQ(s.jobs->step_timeout_minutes, 30u);
  EXPECT_FALSE(s.jobs->in_progress);
  EXPECT_EQ(s.jobs->timeout, Duration(4000));
  ASSERT_EQ(s.thresholds.size(), 2u);
  EXPECT_EQ(s.thresholds[0].unit, Threshold::Unit::Ratio);
  EXPECT_EQ(s.thresholds[1].unit, Threshold::Unit::Seconds);
  const Scenario again = parse_scenario(to_yaml(s), "again.yaml");
  ASSERT_TRUE(again.jobs);
  EXPECT_EQ(again.jobs->start, s.jobs->start);
  EXPECT_EQ(again.jobs->work_min, s.jobs->work_min);
  EXPECT_EQ(again.jobs->work_max, s.jobs->work_max);
  EXPECT_DOUBLE_EQ(again.jobs->fail_share, s.jobs->fail_share);
  EXPECT_EQ(again.jobs->status_details, details);
  EXPECT_EQ(again.jobs->step_timeout_minutes, 30u);
  EXPECT_FALSE(again.jobs->in_progress);
}

TEST(ScenarioJobs, DefaultsAndOverrides) {
  const Scenario s = parse_scenario(std::string(kBase) + "jobs: {}\n", "s.yaml", {"jobs.work_time=2s"});
  ASSERT_TRUE(s.jobs);
  EXPECT_EQ(s.jobs->start, JobsStart::OnConnectAndNotify);
  EXPECT_EQ(s.jobs->work_min, Duration(2000));
  EXPECT_EQ(s.jobs->work_max, Duration(2000));
  EXPECT_EQ(s.jobs->fail_share, 0.0);
  EXPECT_TRUE(s.jobs->status_details.empty());
  EXPECT_FALSE(s.jobs->step_timeout_minutes);
  EXPECT_TRUE(s.jobs->in_progress);
  EXPECT_EQ(s.jobs->timeout, Duration(10000));
  EXPECT_FALSE(parse_scenario(kBase, "s.yaml").jobs);
}

TEST(ScenarioJobs, GroupsInheritAndOverride) {
  const std::string yaml = std::string(kBase) +
                           "jobs: {work_time: 1s}\n"
                           "groups:\n"
                           "  - {name: a, devices: 5}\n"
                           "  - {name: b, devices: 5, fleet: {client_id: \"b-{index}\"}, jobs: {fail_share: 0.5}}\n";
  const Scenario s = parse_scenario(yaml, "s.yaml");
  ASSERT_EQ(s.groups.size(), 2u);
  ASSERT_TRUE(s.groups[0].jobs);
  EXPECT_EQ(s.groups[0].jobs->fail_share, 0.0);
  ASSERT_TRUE(s.groups[1].jobs);
  EXPECT_EQ(s.groups[1].jobs->fail_share, 0.5);
  EXPECT_EQ(s.groups[1].jobs->work_min, Duration(1000));  // inherited
}

TEST(ScenarioJobs, ErrorsNameFileLineColumnAndField) {
  EXPECT_EQ(error_of(std::string(kBase) + "jobs: {start: sometimes}\n"),
            "s.yaml:3:15: jobs.start: expected one of on_notify, on_connect_and_notify, got \"sometimes\"");
  EXPECT_EQ(error_of(std::string(kBase) + "jobs: {work_time: 5s..1s}\n"),
            "s.yaml:3:19: jobs.work_time: expected a duration like 5s or a range like 1s..10s (min..max), got \"5s..1s\"");
  EXPECT_NE(error_of(std::string(kBase) + "jobs: {fail_share: 2}\n").find("s.yaml:3:20: jobs.fail_share: expected a share"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kBase) + "jobs: {step_timeout: 10081}\n").find("s.yaml:3:22: jobs.step_timeout:"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kBase) + "jobs: {status_details: [a]}\n")
                .find("s.yaml:3:24: jobs.status_details: expected a mapping of name: template"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kBase) + "jobs: {status_details: {a: \"{nope}\"}}\n").find("jobs.status_details.a:"),
            std::string::npos);
  const std::string thing = error_of("target: {endpoint: h}\nfleet: {devices: 10, thing_name: \"a/{index}\"}\njobs: {}\n");
  EXPECT_NE(thing.find("fleet.thing_name: the jobs topics' thing name must be a thing name"), std::string::npos) << thing;
  const std::string batch = error_of(std::string(kBase) + "session: {subscribe_batch: 4}\njobs: {}\n");
  EXPECT_NE(batch.find("session.subscribe_batch: jobs subscribe to 5 answer topics"), std::string::npos) << batch;
  EXPECT_NE(error_of(std::string(kBase) + "thresholds: {max_job_failures: lots}\n")
                .find("thresholds.max_job_failures: expected a count like 0 or a share"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kBase) + "jobs: {timeout: 0s}\n").find("s.yaml:3:17: jobs.timeout: expected a duration above 0"),
            std::string::npos);
}

}  // namespace
}  // namespace fleetload::scenario
