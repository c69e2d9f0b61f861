// Publish streams: `publish` as a list of named streams (each its own topic, QoS, rate,
// payload), their names and limits, merging by name in groups, --set publish.<name>.<key>,
// to_yaml round trips, and the fleet-wide stream ids every plan agrees on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "device/fleet_plan.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

// Line numbers below are 1-based positions in this text.
const char* kStreams =
    "target: {endpoint: 127.0.0.1, port: 1883, protocol: mqtt5}\n"     // 1
    "fleet: {devices: 10, client_id: \"d-{index}\"}\n"                 // 2
    "publish:\n"                                                       // 3
    "  - name: telemetry\n"                                            // 4
    "    topic: \"t/{client_id}\"\n"                                   // 5
    "    rate: 1/s\n"                                                  // 6
    "  - name: alarm\n"                                                // 7
    "    topic: \"a/{client_id}\"\n"                                   // 8
    "    qos: 1\n"                                                     // 9
    "    rate: 1/h\n"                                                  // 10
    "    arrival: poisson\n"                                           // 11
    "  - topic: \"s/{client_id}\"\n"                                   // 12
    "    rate: 4/h\n"                                                  // 13
    "    payload: 10KiB\n"                                             // 14
    "    publishers: 2\n";                                             // 15

std::vector<Diagnostic> errors_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  try {
    parse_scenario(yaml, "s.yaml", sets);
  } catch (const ScenarioError& e) {
    return e.diagnostics();
  }
  return {};
}

TEST(ScenarioStreams, AListIsSeveralStreamsEachItsOwn) {
  const Scenario s = parse_scenario(kStreams, "s.yaml");
  ASSERT_EQ(s.publish.size(), 3u);
  EXPECT_EQ(s.publish[0].name, "telemetry");
  EXPECT_EQ(s.publish[1].name, "alarm");
  EXPECT_EQ(s.publish[2].name, "stream2");  // unnamed item i
  EXPECT_EQ(s.publish[1].qos, 1);
  EXPECT_EQ(s.publish[1].arrival, Arrival::Poisson);
  EXPECT_DOUBLE_EQ(s.publish[1].per_device_rate.per_second, 1.0 / 3600.0);
  EXPECT_EQ(s.publish[2].payload.size, 10u * 1024u);
  EXPECT_EQ(s.publish[2].publishers.selected, 2u);
  EXPECT_EQ(stream_names(s), (std::vector<std::string>{"telemetry", "alarm", "stream2"}));

  const device::FleetPlan p(s);
  ASSERT_EQ(p.streams.size(), 3u);
  EXPECT_EQ(p.publishers, 10u);  // the widest stream's
  EXPECT_EQ(p.streams[2].publishers, 2u);
  EXPECT_TRUE(p.publishes(1, p.streams[2]));
  EXPECT_FALSE(p.publishes(2, p.streams[2]));
  EXPECT_FALSE(p.streams[2].payload_body.empty());  // 10 KiB: one shared body
  EXPECT_NEAR(p.shard_publish_rate(), 10.0 + 10.0 / 3600.0 + 2.0 * 4.0 / 3600.0, 1e-12);
  EXPECT_EQ(p.stream_stride, 3u);
  EXPECT_EQ(p.stream_key(4, 2), 14u);
}

TEST(ScenarioStreams, OneMappingIsTheStreamNamedDefault) {
  const Scenario s = parse_scenario(
      "target: {endpoint: 127.0.0.1}\nfleet: {devices: 2}\npublish: {topic: t, rate: 1/s}\n", "s.yaml");
  ASSERT_EQ(s.publish.size(), 1u);
  EXPECT_EQ(s.publish[0].name, "default");
  // to_yaml writes one stream as a mapping, as the file had it.
  const std::string y = to_yaml(s);
  EXPECT_NE(y.find("publish:\n  name: \"default\"\n  topic:"), std::string::npos) << y;
}

TEST(ScenarioStreams, BadNamesAndTooManyStreamsAreRefusedWhereTheyAre) {
  auto d = errors_of(
      "target: {endpoint: 127.0.0.1}\nfleet: {devices: 2}\n"
      "publish:\n"
      "  - {name: a, topic: t, rate: 1/s}\n"
      "  - {name: a, topic: u, rate: 1/s}\n"
      "  - {name: \"B c\", topic: v, rate: 1/s}\n");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].line, 5);
  EXPECT_EQ(d[0].path, "publish.a.name");
  EXPECT_NE(d[0].message.find("duplicate stream name \"a\""), std::string::npos) << d[0].message;
  EXPECT_EQ(d[1].line, 6);
  EXPECT_NE(d[1].message.find("a-z, 0-9"), std::string::npos) << d[1].message;

  std::string many = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 2}\npublish:\n";
  for (int i = 0; i < 17; ++i) many += "  - {topic: t" + std::to_string(i) + ", rate: 1/s}\n";
  d = errors_of(many);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].line, 4);
  EXPECT_NE(d[0].message.find("1 to 16 streams, got a list of 17"), std::string::npos) << d[0].message;

  // A stream's own error names the stream and its line.
  d = errors_of(kStreams, {});
  EXPECT_TRUE(d.empty());
  d = errors_of(std::string(kStreams) + "  - {name: x, topic: \"y/+\", rate: 1/s}\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].path, "publish.x.topic");
  EXPECT_EQ(d[0].line, 16);
}

TEST(ScenarioStreams, SetAddressesAStreamByName) {
  const Scenario s = parse_scenario(kStreams, "s.yaml", std::vector<std::string>{"publish.alarm.rate=2/m"});
  EXPECT_DOUBLE_EQ(s.publish[1].per_device_rate.per_second, 2.0 / 60.0);
  const auto d = errors_of(kStreams, {"publish.nosuch.rate=1/s"});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].message.find("named: telemetry, alarm"), std::string::npos) << d[0].message;
}

// Groups merge streams by name: a stream both have merges key by key, a group's new stream
// comes after the inherited ones, and the fleet's stream ids cover every group.
TEST(ScenarioStreams, GroupsMergeStreamsByName) {
  const std::string yaml =
      "target: {endpoint: 127.0.0.1, protocol: mqtt5}\n"
      "fleet: {devices: 10}\n"
      "publish:\n"
      "  - {name: telemetry, topic: \"t/{index}\", rate: 1/s}\n"
      "  - {name: alarm, topic: \"a/{index}\", rate: 1/h, qos: 1}\n"
      "groups:\n"
      "  - name: sensors\n"
      "    devices: 6\n"
      "    publish:\n"
      "      - {name: alarm, rate: 1/m}\n"
      "      - {name: status, topic: \"s/{index}\", rate: 1/m}\n"
      "  - name: gateways\n"
      "    devices: 4\n"
      "    publish: {name: telemetry, rate: 10/s}\n";
  const Scenario s = parse_scenario(yaml, "g.yaml");
  ASSERT_EQ(s.groups.size(), 2u);
  const auto& sensors = s.groups[0].publish;
  ASSERT_EQ(sensors.size(), 3u);
  EXPECT_EQ(sensors[0].name, "telemetry");
  EXPECT_EQ(sensors[1].name, "alarm");
  EXPECT_DOUBLE_EQ(sensors[1].per_device_rate.per_second, 1.0 / 60.0);
  EXPECT_EQ(sensors[1].qos, 1);             // inherited key
  EXPECT_EQ(sensors[1].topic, "a/{index}");  // inherited key
  EXPECT_EQ(sensors[2].name, "status");
  const auto& gateways = s.groups[1].publish;
  ASSERT_EQ(gateways.size(), 2u);
  EXPECT_DOUBLE_EQ(gateways[0].per_device_rate.per_second, 10.0);
  EXPECT_EQ(gateways[1].name, "alarm");
  EXPECT_EQ(stream_names(s), (std::vector<std::string>{"telemetry", "alarm", "status"}));

  // Every plan numbers the fleet's streams alike.
  const auto names = stream_names(s);
  auto specs = group_scenarios(s);
  device::FleetPlan a(specs[0]), b(specs[1]);
  a.set_fleet_streams(names);
  b.set_fleet_streams(names);
  EXPECT_EQ(a.streams[2].id, 2u);
  EXPECT_EQ(b.streams[1].id, 1u);  // gateways' alarm is the fleet's stream 1
  EXPECT_EQ(b.stream_stride, 3u);
  EXPECT_EQ(b.stream_by_id(2), nullptr);

  // validate's YAML reads back as the same streams.
  const Scenario back = parse_scenario(to_yaml(s), "back.yaml");
  ASSERT_EQ(back.groups.size(), 2u);
  for (std::size_t g = 0; g < 2; ++g) {
    ASSERT_EQ(back.groups[g].publish.size(), s.groups[g].publish.size());
    for (std::size_t i = 0; i < s.groups[g].publish.size(); ++i) {
      EXPECT_EQ(back.groups[g].publish[i].name, s.groups[g].publish[i].name);
      EXPECT_DOUBLE_EQ(back.groups[g].publish[i].per_device_rate.per_second,
                       s.groups[g].publish[i].per_device_rate.per_second);
    }
  }
}

TEST(ScenarioStreams, AGroupErrorInAStreamNamesGroupAndStream) {
  const auto d = errors_of(
      "target: {endpoint: 127.0.0.1}\nfleet: {devices: 4}\n"
      "publish: [{name: a, topic: t, rate: 1/s}]\n"
      "groups:\n"
      "  - name: g\n"
      "    devices: 4\n"
      "    publish: [{name: a, rate: often}]\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].path, "groups.g.publish.a.rate");
  EXPECT_EQ(d[0].line, 7);
}

}  // namespace
}  // namespace fleetload::scenario
