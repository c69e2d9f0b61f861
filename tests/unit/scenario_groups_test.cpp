// Scenario `groups:`: per-key inheritance at the YAML node level, diagnostics positioned
// inside groups, sizes and shares, client id collisions named, --set groups.<name>.<path>,
// {group}/{group_index}, and a scenario without groups unchanged.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "device/fleet_plan.hpp"
#include "scenario/checks.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

// Line numbers below are 1-based positions in this text.
const char* kMixed =
    "target: {endpoint: 127.0.0.1, port: 1883}\n"               // 1
    "fleet: {devices: 100, client_id: \"dev-{index}\", connect_rate: 100/s}\n"  // 2
    "session: {keepalive: 60s, connack_timeout: 7s}\n"          // 3
    "publish:\n"                                                // 4
    "  topic: \"t/{group}/{group_index}\"\n"                    // 5
    "  qos: 1\n"                                                // 6
    "  rate: 1/s\n"                                             // 7
    "  payload: {size: 100}\n"                                  // 8
    "groups:\n"                                                 // 9
    "  - name: sensors\n"                                       // 10
    "    share: 60%\n"                                          // 11
    "    publish: {rate: 2/s, payload: {size: 200}}\n"          // 12
    "  - name: gateways\n"                                      // 13
    "    devices: 30\n"                                         // 14
    "    target: {protocol: mqtt5}\n"                           // 15
    "    session: {keepalive: 30s}\n"                           // 16
    "    fleet: {client_id: \"gw-{group_index}\"}\n"            // 17
    "  - name: apps\n"                                          // 18
    "    devices: 10\n"                                         // 19
    "    subscribe: {filters: [{filter: \"t/#\", qos: 1}]}\n";  // 20

TEST(ScenarioGroups, InheritancePerKeyNotPerSection) {
  const Scenario s = parse_scenario(kMixed, "mixed.yaml");
  ASSERT_EQ(s.groups.size(), 3u);
  const Scenario& sensors = s.groups[0];
  const Scenario& gateways = s.groups[1];
  const Scenario& apps = s.groups[2];
  // Sizes: 60% of 100, then 30 and 10, in contiguous fleet index ranges in file order.
  EXPECT_EQ(sensors.group_devices, 60u);
  EXPECT_EQ(sensors.group_first, 0u);
  EXPECT_EQ(gateways.group_first, 60u);
  EXPECT_EQ(apps.group_first, 90u);
  // publish: rate and payload.size overridden, topic and qos inherited key by key.
  ASSERT_FALSE(sensors.publish.empty());
  EXPECT_DOUBLE_EQ(sensors.publish.front().per_device_rate.per_second, 2.0);
  EXPECT_EQ(sensors.publish.front().payload.size, 200u);
  EXPECT_EQ(sensors.publish.front().qos, 1);
  EXPECT_EQ(sensors.publish.front().topic, "t/{group}/{group_index}");
  // session: keepalive replaced, connack_timeout kept.
  EXPECT_EQ(gateways.session.keepalive, std::chrono::seconds(30));
  EXPECT_EQ(gateways.session.connack_timeout, std::chrono::milliseconds(7000));
  EXPECT_EQ(sensors.session.keepalive, std::chrono::seconds(60));
  // target: protocol per group, endpoint inherited; protocol defaults follow the group's.
  EXPECT_EQ(gateways.target.protocol, mqtt::Version::V5);
  EXPECT_EQ(sensors.target.protocol, mqtt::Version::V311);
  ASSERT_EQ(gateways.target.endpoints.size(), 1u);
  EXPECT_EQ(gateways.target.endpoints[0].port, 1883);
  EXPECT_EQ(gateways.session.ack_timeout, std::chrono::milliseconds(60000));  // mqtt5 default
  EXPECT_EQ(sensors.session.ack_timeout, std::chrono::milliseconds(0));       // mqtt311 default
  // The top-level publish applies to apps too; its subscribe is its own.
  EXPECT_FALSE(apps.publish.empty());
  EXPECT_EQ(apps.subscribe.filters.size(), 1u);
  EXPECT_TRUE(sensors.subscribe.filters.empty());
  // A group without its own connect_rate gets its share of the fleet's.
  EXPECT_DOUBLE_EQ(sensors.fleet.connect_rate.per_second, 60.0);
}

TEST(ScenarioGroups, PlansRenderGroupPlaceholdersAndSelectWithinTheGroup) {
  const Scenario s = parse_scenario(kMixed, "mixed.yaml");
  const auto gs = group_scenarios(s);
  ASSERT_EQ(gs.size(), 3u);
  const device::FleetPlan gw(gs[1]);
  std::string id, topic;
  gw.render_client_id(id, 65);
  EXPECT_EQ(id, "gw-5");
  gw.render_topic(topic, gw.streams.at(0), 65, id);
  EXPECT_EQ(topic, "t/gateways/5");
  EXPECT_TRUE(gw.is_publisher(60));
  EXPECT_TRUE(gw.is_publisher(89));
  EXPECT_FALSE(gw.is_publisher(90));
  EXPECT_FALSE(gw.is_publisher(59));
  EXPECT_EQ(gw.devices_in_shard(), 30u);
  // Subscribers of one group expect the publishers of another through the shared plans.
  std::vector<device::FleetPlan> plans;
  for (const auto& g : gs) plans.emplace_back(g);
  std::vector<const device::FleetPlan*> ptrs;
  for (auto& p : plans) ptrs.push_back(&p);
  for (auto& p : plans) p.fleet_groups = &ptrs;
  EXPECT_TRUE(plans[2].is_subscriber(95));
  EXPECT_TRUE(plans[2].subscriber_expects(95, 3));   // a sensor
  EXPECT_TRUE(plans[2].subscriber_expects(95, 61));  // a gateway
  EXPECT_FALSE(plans[0].subscriber_expects(3, 61));  // sensors subscribe to nothing
}

TEST(ScenarioGroups, WithoutGroupsOneImplicitDefaultGroup) {
  const char* yaml =
      "target: {endpoint: 127.0.0.1}\n"
      "fleet: {devices: 10}\n"
      "publish: {topic: \"t/{index}\", rate: 1/s}\n";
  const Scenario s = parse_scenario(yaml, "plain.yaml");
  EXPECT_TRUE(s.groups.empty());
  const auto gs = group_scenarios(s);
  ASSERT_EQ(gs.size(), 1u);
  EXPECT_EQ(gs[0].group, "default");
  EXPECT_EQ(gs[0].group_devices, 10u);
  const device::FleetPlan p(gs[0]);
  const device::FleetPlan q(s);
  EXPECT_EQ(p.publishers, q.publishers);
  EXPECT_EQ(p.devices_in_shard(), q.devices_in_shard());
  EXPECT_EQ(to_yaml(s).find("groups"), std::string::npos);
}

std::vector<Diagnostic> errors_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  try {
    parse_scenario(yaml, "g.yaml", sets);
  } catch (const ScenarioError& e) {
    return e.diagnostics();
  }
  return {};
}

TEST(ScenarioGroups, DiagnosticsPointInsideTheGroupAndNameIt) {
  const std::string yaml =
      "target: {endpoint: 127.0.0.1}\n"
      "fleet: {devices: 10}\n"
      "groups:\n"
      "  - name: a\n"
      "    devices: 5\n"
      "    publish: {topic: \"t\", rate: fast}\n"
      "  - name: b\n"
      "    devices: 5\n"
      "    session: {keepalivee: 30s}\n";
  const auto ds = errors_of(yaml);
  ASSERT_EQ(ds.size(), 2u) << ds[0].format();
  EXPECT_EQ(ds[0].path, "groups.a.publish.rate");
  EXPECT_EQ(ds[0].line, 6);
  EXPECT_EQ(ds[0].column, 33);
  EXPECT_EQ(ds[1].path, "groups.b.session.keepalivee");
  EXPECT_EQ(ds[1].line, 9);
}

TEST(ScenarioGroups, SizesMustAddUpAndTheMessageShowsTheArithmetic) {
  const std::string yaml =
      "target: {endpoint: 127.0.0.1}\n"
      "fleet: {devices: 1000}\n"
      "groups:\n"
      "  - {name: a, share: 40%}\n"
      "  - {name: b, devices: 500}\n";
  const auto ds = errors_of(yaml);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].path, "groups");
  EXPECT_NE(ds[0].message.find("add up to 900 devices (a 40% = 400 + b 500), but fleet.devices is 1000"),
            std::string::npos)
      << ds[0].message;
}

TEST(ScenarioGroups, NamesAreRequiredUniqueAndPlain) {
  const std::string yaml =
      "target: {endpoint: 127.0.0.1}\n"
      "fleet: {devices: 3}\n"
      "groups:\n"
      "  - {name: a, devices: 1}\n"
      "  - {name: a, devices: 1}\n"
      "  - {name: Big, devices: 1}\n";
  const auto ds = errors_of(yaml);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_NE(ds[0].message.find("duplicate group name \"a\" (also groups.0)"), std::string::npos);
  EXPECT_EQ(ds[0].line, 5);
  EXPECT_NE(ds[1].message.find("a-z, 0-9"), std::string::npos);
}

TEST(ScenarioGroups, ClientIdCollisionsAcrossGroupsAreNamed) {
  const std::string yaml =
      "target: {endpoint: 127.0.0.1}\n"
      "fleet: {devices: 20}\n"
      "groups:\n"
      "  - {name: a, devices: 10, fleet: {client_id: \"d-{group_index}\"}}\n"
      "  - {name: b, devices: 10, fleet: {client_id: \"d-{group_index}\"}}\n";
  const auto ds = errors_of(yaml);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].path, "groups.b.fleet.client_id");
  EXPECT_EQ(ds[0].line, 5);
  EXPECT_NE(ds[0].message.find("\"d-0\" of device 10 (group b) is also device 0's (group a)"), std::string::npos)
      << ds[0].message;
}

TEST(ScenarioGroups, RenderingAMillionIdsTakesWellUnderASecond) {
  const std::string yaml =
      "target: {endpoint: 127.0.0.1}\n"
      "fleet: {devices: 1000000}\n"
      "groups:\n"
      "  - {name: a, share: 50%}\n"
      "  - {name: b, share: 50%, fleet: {client_id: \"b-{group_index}\"}}\n";
  const auto t0 = std::chrono::steady_clock::now();
  const Scenario s = parse_scenario(yaml, "big.yaml");
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(s.groups.size(), 2u);
  // Generous for sanitizer builds on a shared machine; release takes ~0.2 s.
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(ScenarioGroups, SetOverridesAGroupKeyByName) {
  const Scenario s = parse_scenario(kMixed, "mixed.yaml", {"groups.gateways.publish.rate=5/s",
                                                           "groups.sensors.session.keepalive=90s"});
  ASSERT_FALSE(s.groups[1].publish.empty());
  EXPECT_DOUBLE_EQ(s.groups[1].publish.front().per_device_rate.per_second, 5.0);
  EXPECT_EQ(s.groups[0].session.keepalive, std::chrono::seconds(90));
  // The others keep theirs.
  EXPECT_DOUBLE_EQ(s.groups[2].publish.front().per_device_rate.per_second, 1.0);
  const auto ds = errors_of(kMixed, {"groups.nosuch.publish.rate=5/s"});
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_NE(ds[0].message.find("no item named \"nosuch\"; named: sensors, gateways, apps"), std::string::npos)
      << ds[0].message;
  const auto bad = errors_of(kMixed, {"groups.gateways.publish.rate=fast"});
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].path, "groups.gateways.publish.rate");
  EXPECT_NE(bad[0].file.find("--set groups.gateways.publish.rate=fast"), std::string::npos);
}


// `fleetload validate` prints the scenario as YAML: with groups it must read back as the
// same fleet (every group with its resolved sections), and print the same text again.
TEST(ScenarioGroups, ValidateOutputReadsBackAsTheSameGroups) {
  const Scenario s = parse_scenario(kMixed, "mixed.yaml");
  const std::string y = to_yaml(s, true);
  const Scenario back = parse_scenario(y, "printed.yaml");
  ASSERT_EQ(back.groups.size(), s.groups.size()) << y;
  for (std::size_t i = 0; i < s.groups.size(); ++i) {
    const Scenario& a = s.groups[i];
    const Scenario& b = back.groups[i];
    EXPECT_EQ(b.group, a.group);
    EXPECT_EQ(b.group_devices, a.group_devices);
    EXPECT_EQ(b.group_first, a.group_first);
    EXPECT_EQ(b.fleet.client_id, a.fleet.client_id);
    EXPECT_EQ(b.target.protocol, a.target.protocol);
    EXPECT_EQ(b.session.keepalive, a.session.keepalive);
    EXPECT_EQ(b.session.connack_timeout, a.session.connack_timeout);
    EXPECT_DOUBLE_EQ(b.fleet.connect_rate.per_second, a.fleet.connect_rate.per_second);
    ASSERT_EQ(b.publish.size(), a.publish.size());
    if (!a.publish.empty()) {
      EXPECT_DOUBLE_EQ(b.publish.front().per_device_rate.per_second, a.publish.front().per_device_rate.per_second);
      EXPECT_EQ(b.publish.front().payload.size, a.publish.front().payload.size);
    }
    EXPECT_EQ(b.subscribe.filters.size(), a.subscribe.filters.size());
  }
  EXPECT_EQ(to_yaml(back, true), y);
}


// session_behavior and clean_session spell one setting two ways: a group's own spelling
// overrides the other one inherited from the top level instead of clashing with it.
TEST(ScenarioGroups, AGroupsSessionBehaviorOverridesAnInheritedCleanSession) {
  const Scenario s = parse_scenario(
      "target: {endpoint: 127.0.0.1, port: 1883}\n"
      "fleet: {devices: 4}\n"
      "session: {clean_session: true}\n"
      "groups:\n"
      "  - {name: a, devices: 2}\n"
      "  - {name: b, devices: 2, target: {protocol: mqtt5},\n"
      "     session: {session_behavior: rejoin_always, session_expiry: 1h}}\n",
      "spell.yaml");
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[1].session.session_behavior, SessionBehavior::RejoinAlways);
  EXPECT_EQ(s.groups[0].session.session_behavior, SessionBehavior::Clean);
}


// validate renders the templates of each group for the group's own first and last device of
// the shard, and names a bad one as the group's.
TEST(ScenarioGroups, RenderingChecksRunPerGroupOnTheGroupsOwnDevices) {
  // Group b's client ids are 65,536 bytes: one too many for an MQTT string.
  const std::string yaml =
      "target: {endpoint: 127.0.0.1, port: 1883}\n"
      "fleet: {devices: 10, client_id: \"{group}-{group_index}\"}\n"
      "groups:\n"
      "  - {name: a, devices: 4}\n"
      "  - {name: b, devices: 6, fleet: {client_id: \"" + std::string(65535, 'b') + "{group_index}\"}}\n";
  Scenario s = parse_scenario(yaml, "r.yaml");
  s.fleet.shard = Shard{1, 3};  // as --shard 1/3 sets it
  const auto gs = group_scenarios(s);
  // Shard 1/3 runs indices 1, 4, 7: group a (0..3) has 1 only, group b (4..9) has 4 and 7.
  EXPECT_EQ(checked_devices(gs[0]), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(checked_devices(gs[1]), (std::vector<std::uint64_t>{4, 7}));
  const auto r = check_each_group(s, check_rendering);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "groups.b.fleet.client_id");
  EXPECT_EQ(r.errors[0].line, 5u);
  EXPECT_NE(r.errors[0].message.find("rendered for device 4"), std::string::npos) << r.errors[0].message;
}


// Phases naming groups: names checked, steady refused, one joining ramp per group, and a
// ramp's default duration is the time to connect the devices it connects.
TEST(ScenarioGroups, PhasesNameExistingGroupsAndRampsLastForTheirOwnDevices) {
  const std::string base =
      "target: {endpoint: 127.0.0.1, port: 1883}\n"
      "fleet: {devices: 100, connect_rate: 10/s}\n"
      "groups:\n"
      "  - {name: a, devices: 60}\n"
      "  - {name: b, devices: 40, fleet: {connect_rate: 20/s}}\n";
  const Scenario s = parse_scenario(base + "phases:\n  - type: ramp\n  - {type: churn, rate: 1%/s, duration: 5s, groups: a}\n"
                                           "  - {type: ramp, groups: [b]}\n", "p.yaml");
  ASSERT_EQ(s.phases.size(), 3u);
  EXPECT_EQ(s.phases[0].duration, std::chrono::seconds(6));  // a's 60 devices at 10/s
  EXPECT_EQ(s.phases[1].groups, (std::vector<std::string>{"a"}));
  EXPECT_EQ(s.phases[2].duration, std::chrono::seconds(2));  // b's 40 at its own 20/s
  EXPECT_EQ(s.run.duration, std::chrono::seconds(13));

  auto first_error = [&](const std::string& phases) {
    const auto ds = errors_of(base + "phases:\n" + phases);
    return ds.empty() ? std::string("no error") : ds[0].path + ": " + ds[0].message;
  };
  EXPECT_EQ(first_error("  - {type: storm, duration: 1s, groups: [a, c]}\n"),
            "phases.0.groups.1: no group named \"c\"; groups: a, b");
  EXPECT_EQ(first_error("  - {type: steady, duration: 1s, groups: a}\n"),
            "phases.0.groups: only for ramp, churn and storm phases: a steady phase holds every group");
  EXPECT_EQ(first_error("  - {type: ramp, groups: b}\n  - {type: ramp, groups: b}\n"),
            "phases.1.groups: group b already joins at phases.0: a group connects at one ramp");
  const auto none = errors_of("target: {endpoint: 127.0.0.1, port: 1883}\nfleet: {devices: 2}\n"
                              "phases:\n  - {type: storm, duration: 1s, groups: a}\n");
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].path, "phases.0.groups");
  EXPECT_EQ(none[0].line, 4);
}

}  // namespace
}  // namespace fleetload::scenario
