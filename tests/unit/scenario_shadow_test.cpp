// `shadow:` and `fleet.thing_name` / `session.subscribe_batch`: values, defaults, groups
// inheriting, --set, to_yaml round trip, and the errors with file:line:column.
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

TEST(ScenarioShadow, ReadsEveryKeyAndRoundTripsThroughToYaml) {
  const std::string yaml = std::string(kBase) +
                           "shadow:\n"
                           "  name: cfg\n"
                           "  get: on_connect\n"
                           "  update: {rate: 2/m, reported: '{\"t\": {seq}}'}\n"
                           "  on_delta: report\n"
                           "  version: true\n"
                           "  timeout: 3s\n"
                           "session: {subscribe_batch: 8}\n";
  const Scenario s = parse_scenario(yaml, "s.yaml");
  ASSERT_TRUE(s.shadow);
  EXPECT_EQ(s.shadow->name, "cfg");
  EXPECT_EQ(s.shadow->get, ShadowGet::OnConnect);
  ASSERT_TRUE(s.shadow->update);
  EXPECT_DOUBLE_EQ(s.shadow->update->rate.per_second, 2.0 / 60.0);
  EXPECT_EQ(s.shadow->update->reported, "{\"t\": {seq}}");
  EXPECT_EQ(s.shadow->on_delta, ShadowOnDelta::Report);
  EXPECT_TRUE(s.shadow->version);
  EXPECT_EQ(s.shadow->timeout, Duration(3000));
  EXPECT_EQ(s.session.subscribe_batch, 8);
  const Scenario again = parse_scenario(to_yaml(s), "again.yaml");
  ASSERT_TRUE(again.shadow);
  EXPECT_EQ(again.shadow->name, s.shadow->name);
  EXPECT_EQ(again.shadow->update->reported, s.shadow->update->reported);
  EXPECT_DOUBLE_EQ(again.shadow->update->rate.per_second, s.shadow->update->rate.per_second);
  EXPECT_EQ(again.shadow->version, true);
  EXPECT_EQ(again.session.subscribe_batch, 8);
}

TEST(ScenarioShadow, DefaultsAndOverrides) {
  const Scenario s = parse_scenario(std::string(kBase) + "shadow: {}\n", "s.yaml", {"shadow.get=on_connect"});
  ASSERT_TRUE(s.shadow);
  EXPECT_FALSE(s.shadow->name);
  EXPECT_EQ(s.shadow->get, ShadowGet::OnConnect);
  EXPECT_FALSE(s.shadow->update);
  EXPECT_EQ(s.shadow->on_delta, ShadowOnDelta::Ignore);
  EXPECT_FALSE(s.shadow->version);
  EXPECT_EQ(s.shadow->timeout, Duration(10000));
  EXPECT_FALSE(parse_scenario(kBase, "s.yaml").shadow);
}

TEST(ScenarioShadow, GroupsInheritAndOverride) {
  const std::string yaml = std::string(kBase) +
                           "shadow: {get: on_connect}\n"
                           "groups:\n"
                           "  - {name: a, devices: 5}\n"
                           "  - {name: b, devices: 5, fleet: {client_id: \"b-{index}\", thing_name: \"thing-{group_index}\"}, "
                           "shadow: {name: other, version: true}}\n";
  const Scenario s = parse_scenario(yaml, "s.yaml");
  ASSERT_EQ(s.groups.size(), 2u);
  ASSERT_TRUE(s.groups[0].shadow);
  EXPECT_FALSE(s.groups[0].shadow->name);
  ASSERT_TRUE(s.groups[1].shadow);
  EXPECT_EQ(s.groups[1].shadow->name, "other");
  EXPECT_EQ(s.groups[1].shadow->get, ShadowGet::OnConnect);  // inherited
  EXPECT_TRUE(s.groups[1].shadow->version);
  EXPECT_EQ(s.groups[1].fleet.thing_name, "thing-{group_index}");
}

TEST(ScenarioShadow, ErrorsNameFileLineColumnAndField) {
  EXPECT_EQ(error_of(std::string(kBase) + "shadow: {get: sometimes}\n"),
            "s.yaml:3:15: shadow.get: expected one of never, on_connect, got \"sometimes\"");
  EXPECT_EQ(error_of(std::string(kBase) + "shadow: {name: \"bad name\"}\n").substr(0, 28),
            "s.yaml:3:16: shadow.name: ex");
  const std::string not_object = error_of(std::string(kBase) + "shadow:\n  update: {rate: 1/m, reported: '[1, 2]'}\n");
  EXPECT_NE(not_object.find("s.yaml:4:33: shadow.update.reported: expected a JSON object template"), std::string::npos)
      << not_object;
  const std::string no_rate = error_of(std::string(kBase) + "shadow:\n  update: {reported: '{}'}\n");
  EXPECT_NE(no_rate.find("s.yaml:4:11: shadow.update.rate: required"), std::string::npos) << no_rate;
  const std::string thing = error_of("target: {endpoint: h}\nfleet: {devices: 10, thing_name: \"a/{index}\"}\nshadow: {}\n");
  EXPECT_NE(thing.find("fleet.thing_name: the shadow's thing name must be a thing name"), std::string::npos) << thing;
  const std::string batch = error_of(std::string(kBase) + "session: {subscribe_batch: 4}\nshadow: {}\n");
  EXPECT_NE(batch.find("session.subscribe_batch: a shadow subscribes to 5 answer topics"), std::string::npos) << batch;
  EXPECT_NE(error_of(std::string(kBase) + "thresholds: {max_shadow_rejections: lots}\n").find(
                "s.yaml:3:37: thresholds.max_shadow_rejections: expected a count like 0 or a share"),
            std::string::npos);
}

// `qos` of shadow and jobs (provisioning's: device_provisioning_test.cpp): 1 unless set, as
// the SDK samples; 0 kept; 2 refused (AWS IoT Core has no QoS 2), as anything else.
TEST(ScenarioShadow, QosOfShadowAndJobsDefaultsToOneAndRefusesTwo) {
  const Scenario d = parse_scenario(std::string(kBase) + "shadow: {}\njobs: {}\n", "s.yaml");
  EXPECT_EQ(d.shadow->qos, 1u);
  EXPECT_EQ(d.jobs->qos, 1u);
  const Scenario z = parse_scenario(std::string(kBase) + "shadow: {qos: 0}\njobs: {qos: 0}\n", "s.yaml");
  EXPECT_EQ(z.shadow->qos, 0u);
  EXPECT_EQ(z.jobs->qos, 0u);
  const Scenario again = parse_scenario(to_yaml(z), "again.yaml");
  EXPECT_EQ(again.shadow->qos, 0u);
  EXPECT_EQ(again.jobs->qos, 0u);
  const Scenario g = parse_scenario(std::string(kBase) + "shadow: {qos: 0}\ngroups:\n  - {name: a, devices: 5}\n"
                                    "  - {name: b, devices: 5, shadow: {qos: 1}}\n", "s.yaml");
  EXPECT_EQ(g.groups[0].shadow->qos, 0u);  // inherited
  EXPECT_EQ(g.groups[1].shadow->qos, 1u);
  EXPECT_EQ(error_of(std::string(kBase) + "shadow: {qos: 2}\n"),
            "s.yaml:3:15: shadow.qos: expected 0 or 1, got 2: AWS IoT Core does not support QoS 2");
  EXPECT_EQ(error_of(std::string(kBase) + "jobs: {qos: 2}\n"),
            "s.yaml:3:13: jobs.qos: expected 0 or 1, got 2: AWS IoT Core does not support QoS 2");
  EXPECT_EQ(error_of(std::string(kBase) + "jobs: {qos: 3}\n"),
            "s.yaml:3:13: jobs.qos: expected a whole number from 0 to 1, got \"3\"");
}

}  // namespace
}  // namespace fleetload::scenario
