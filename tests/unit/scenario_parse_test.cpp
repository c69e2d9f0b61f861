// Unit tests for parse_scenario: typed fields, protocol defaults, env, --set, to_yaml, warnings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

using namespace std::chrono_literals;

std::filesystem::path data_dir() {
  const char* src = std::getenv("FLEETLOAD_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "tests" / "data" / "scenarios";
}

constexpr const char* kMinimal = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 100}\n";

Scenario parse(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
  return parse_scenario(yaml, "test.yaml", overrides);
}

std::string error_of(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse(yaml, overrides);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return {};
}

bool contains(const std::vector<std::string>& v, std::string_view needle) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

TEST(ScenarioParse, FullFileFillsTypedFields) {
  Scenario s = load_scenario(data_dir() / "good" / "telemetry.yaml");
  EXPECT_EQ(s.name, "telemetry");
  ASSERT_EQ(s.target.endpoints.size(), 2u);
  EXPECT_EQ(s.target.endpoints[0], (Endpoint{"127.0.0.1", 1883}));
  EXPECT_EQ(s.target.endpoints[1], (Endpoint{"localhost", 1884}));
  EXPECT_EQ(s.target.protocol, mqtt::Version::V5);
  EXPECT_EQ(s.auth.username, "device-{index}");
  EXPECT_EQ(s.auth.password, "s3cr3t-Pa55");
  EXPECT_EQ(s.fleet.devices, 1000u);
  EXPECT_EQ(s.fleet.index_width, 6u);
  EXPECT_DOUBLE_EQ(s.fleet.connect_rate.per_second, 2000.0);
  EXPECT_EQ(s.fleet.source_addresses,
            (std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5",
                                      "127.0.0.9"}));
  EXPECT_EQ(s.session.keepalive, 60s);
  EXPECT_EQ(s.session.session_expiry, 300s);
  EXPECT_EQ(s.session.receive_maximum, 50);
  ASSERT_TRUE(s.session.will.has_value());
  EXPECT_EQ(s.session.will->topic, "status/{client_id}");
  EXPECT_EQ(s.session.will->delay, 10s);
  EXPECT_EQ(s.reconnect.jitter, Jitter::Decorrelated);
  ASSERT_TRUE(!s.publish.empty());
  EXPECT_EQ(s.publish.front().qos, 1);
  EXPECT_DOUBLE_EQ(s.publish.front().per_device_rate.per_second, 10.0 / 60.0);
  EXPECT_EQ(s.publish.front().arrival, Arrival::Poisson);
  EXPECT_EQ(s.publish.front().payload.size, 1024u);
  EXPECT_TRUE(s.publish.front().payload.accounting_header);
  EXPECT_EQ(s.publish.front().publishers.kind, Selection::Kind::Share);
  EXPECT_EQ(s.publish.front().publishers.selected, 900u);
  ASSERT_EQ(s.publish.front().user_properties.size(), 1u);
  EXPECT_EQ(s.publish.front().user_properties[0], (std::pair<std::string, std::string>{"site", "lab"}));
  ASSERT_EQ(s.subscribe.filters.size(), 2u);
  EXPECT_EQ(s.subscribe.filters[0].filter, "$share/readers/telemetry/+/data");
  EXPECT_EQ(s.subscribe.filters[0].qos, 1);
  EXPECT_EQ(s.subscribe.filters[1].filter, "cmd/{client_id}");
  EXPECT_EQ(s.subscribe.subscribers.selected, 10u);
  ASSERT_EQ(s.phases.size(), 4u);
  EXPECT_EQ(s.phases[0].type, PhaseType::Ramp);
  EXPECT_EQ(s.phases[0].duration, 500ms);  // 1000 devices at 2000/s
  EXPECT_EQ(s.phases[1].name, "hold");
  EXPECT_EQ(s.phases[2].type, PhaseType::Churn);
  EXPECT_DOUBLE_EQ(s.phases[2].churn_share_per_second, 0.01);
  EXPECT_EQ(s.phases[3].name, "storm-3");
  EXPECT_EQ(s.run.duration, 500ms + 2min + 30s + 1min);  // sum of the phases
  EXPECT_EQ(s.run.report, std::filesystem::path("out/report.json"));
  ASSERT_EQ(s.thresholds.size(), 4u);
  EXPECT_EQ(s.thresholds[0].metric, "connect_success_ratio");
  EXPECT_EQ(s.thresholds[0].op, ThresholdOp::Ge);
  EXPECT_DOUBLE_EQ(s.thresholds[0].value, 0.999);
  EXPECT_EQ(s.thresholds[1].unit, Threshold::Unit::Count);
  EXPECT_EQ(s.thresholds[2].op, ThresholdOp::Lt);
  EXPECT_DOUBLE_EQ(s.thresholds[2].value, 0.25);
  EXPECT_EQ(s.thresholds[2].unit, Threshold::Unit::Seconds);
}

TEST(ScenarioParse, Mqtt311DefaultsFollowTheSdk) {
  Scenario s = parse(kMinimal);
  EXPECT_EQ(s.target.protocol, mqtt::Version::V311);
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"127.0.0.1", 1883}}));
  EXPECT_EQ(s.target.connect_timeout, 5s);
  EXPECT_EQ(s.session.keepalive, 1200s);
  EXPECT_EQ(s.session.ping_timeout, 3s);
  EXPECT_EQ(s.session.connack_timeout, 20s);
  EXPECT_FALSE(s.session.clean_session);
  EXPECT_EQ(s.session.ack_timeout, 0s);
  EXPECT_EQ(s.session.offline_queue, OfflineQueue::FailQos0PublishOnDisconnect);
  EXPECT_FALSE(s.session.receive_maximum.has_value());
  EXPECT_EQ(s.reconnect.min_delay, 5s);
  EXPECT_EQ(s.reconnect.max_delay, 60s);
  EXPECT_EQ(s.reconnect.jitter, Jitter::None);
  // The 3.1.1 client resets its delay only 10 s past a CONNACK (its fixed constant).
  EXPECT_EQ(s.reconnect.reset_after, 10s);
  EXPECT_EQ(s.reconnect.first_connect_failure, FirstConnectFailure::Retry);
  EXPECT_FALSE(s.session.maximum_packet_size.has_value());
  EXPECT_EQ(s.session.receive_limit(), 1024u * 1024u);  // the default receive limit
  EXPECT_EQ(s.fleet.client_id, "fleetload-{index}");
  EXPECT_EQ(s.fleet.shard, (Shard{0, 1}));
  EXPECT_TRUE(s.publish.empty());
  EXPECT_EQ(s.subscribe.subscribers.kind, Selection::Kind::None);
  EXPECT_EQ(s.name, "test");
  // No phases: a ramp (100 devices at 500/s = 200ms), then steady to the 60s bound.
  EXPECT_EQ(s.run.duration, 60s);
  ASSERT_EQ(s.phases.size(), 2u);
  EXPECT_EQ(s.phases[0].type, PhaseType::Ramp);
  EXPECT_EQ(s.phases[0].duration, 200ms);
  EXPECT_EQ(s.phases[1].type, PhaseType::Steady);
  EXPECT_EQ(s.phases[1].duration, 60s - 200ms);
  EXPECT_EQ(s.run.progress_interval, 1s);
}

TEST(ScenarioParse, Mqtt5DefaultsFollowTheSdk) {
  Scenario s = parse("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\n");
  EXPECT_EQ(s.target.protocol, mqtt::Version::V5);
  EXPECT_EQ(s.target.connect_timeout, 10s);
  EXPECT_EQ(s.session.keepalive, 1200s);
  EXPECT_EQ(s.session.ping_timeout, 30s);
  EXPECT_TRUE(s.session.clean_session);
  EXPECT_EQ(s.session.ack_timeout, 60s);
  EXPECT_EQ(s.reconnect.min_delay, 1s);
  EXPECT_EQ(s.reconnect.max_delay, 120s);
  EXPECT_EQ(s.reconnect.jitter, Jitter::Full);
  EXPECT_EQ(s.reconnect.reset_after, 30s);
  EXPECT_EQ(s.session.session_behavior, SessionBehavior::Clean);
  EXPECT_EQ(s.reconnect.first_connect_failure, FirstConnectFailure::Retry);
  EXPECT_EQ(s.session.receive_limit(), 1024u * 1024u);
}

TEST(ScenarioParse, SessionBehaviorAndItsOlderCleanSessionSpelling) {
  Scenario s = parse("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\n"
                     "session: {session_behavior: rejoin_post_success, session_expiry: 1h}\n");
  EXPECT_EQ(s.session.session_behavior, SessionBehavior::RejoinPostSuccess);
  EXPECT_FALSE(s.session.clean_session);
  s = parse("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\nsession: {clean_session: false}\n");
  EXPECT_EQ(s.session.session_behavior, SessionBehavior::RejoinAlways);  // Clean Start 0 every time
  s = parse("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\nsession: {clean_session: true}\n");
  EXPECT_EQ(s.session.session_behavior, SessionBehavior::Clean);
  EXPECT_EQ(error_of("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\n"
                     "session: {clean_session: true, session_behavior: clean}\n"),
            "test.yaml:3:50: session.session_behavior: give either session_behavior or clean_session (its "
            "older mqtt5 spelling), not both");
  EXPECT_EQ(error_of("target: {endpoint: h}\nfleet: {devices: 1}\nsession: {session_behavior: clean}\n"),
            "test.yaml:3:29: session.session_behavior: only with target.protocol mqtt5 (MQTT 3.1.1 has no "
            "such feature)");
  EXPECT_NE(error_of("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\n"
                     "session: {session_behavior: sometimes}\n")
                .find("expected one of clean, rejoin_post_success, rejoin_always"),
            std::string::npos);
}

TEST(ScenarioParse, ReconnectJitterNamesAndFirstConnectFailure) {
  Scenario s = parse("target: {endpoint: h}\nfleet: {devices: 1}\n"
                     "reconnect: {jitter: decorrelated_textbook, first_connect_failure: stop}\n");
  EXPECT_EQ(s.reconnect.jitter, Jitter::DecorrelatedTextbook);
  EXPECT_EQ(s.reconnect.first_connect_failure, FirstConnectFailure::Stop);
  EXPECT_NE(error_of("target: {endpoint: h}\nfleet: {devices: 1}\nreconnect: {first_connect_failure: never}\n")
                .find("reconnect.first_connect_failure: expected one of retry, stop"),
            std::string::npos);
}

TEST(ScenarioParse, MaximumPacketSizeIsTheReceiveLimitOfBothProtocols) {
  Scenario s = parse("target: {endpoint: h}\nfleet: {devices: 1}\nsession: {maximum_packet_size: 128KiB}\n");
  EXPECT_EQ(s.session.maximum_packet_size, 128u * 1024u);
  EXPECT_EQ(s.session.receive_limit(), 128u * 1024u);
}

TEST(ScenarioToYaml, SessionAndReconnectKeysRoundTrip) {
  for (const char* yaml : {
           "target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\n"
           "session: {session_behavior: rejoin_always, session_expiry: 10m, maximum_packet_size: 4KiB}\n"
           "reconnect: {jitter: decorrelated_textbook, first_connect_failure: stop}\n",
           "target: {endpoint: h}\nfleet: {devices: 1}\nsession: {clean_session: true}\n"}) {
    const Scenario s = parse(yaml);
    const std::string y = to_yaml(s);
    const Scenario again = parse(y);
    EXPECT_EQ(to_yaml(again), y);
    EXPECT_EQ(again.session.session_behavior, s.session.session_behavior);
    EXPECT_EQ(again.session.clean_session, s.session.clean_session);
    EXPECT_EQ(again.session.maximum_packet_size, s.session.maximum_packet_size);
    EXPECT_EQ(again.reconnect.jitter, s.reconnect.jitter);
    EXPECT_EQ(again.reconnect.first_connect_failure, s.reconnect.first_connect_failure);
  }
  const std::string y = to_yaml(parse(kMinimal));
  EXPECT_NE(y.find("maximum_packet_size: 1MiB (default receive limit, not sent)"), std::string::npos) << y;
  EXPECT_NE(y.find("first_connect_failure: retry"), std::string::npos) << y;
  EXPECT_NE(y.find("reset_after: 10s"), std::string::npos) << y;
}

TEST(ScenarioParse, ExplicitValuesBeatProtocolDefaults) {
  Scenario s = parse(R"(
target: {endpoint: h, protocol: mqtt5, connect_timeout: 2s}
fleet: {devices: 1}
session: {ping_timeout: 4s, clean_session: false, ack_timeout: 0, offline_queue: fail_all_on_disconnect}
reconnect: {min_delay: 250ms, max_delay: 10s, jitter: none, reset_after: 0}
)");
  EXPECT_EQ(s.target.connect_timeout, 2s);
  EXPECT_EQ(s.session.ping_timeout, 4s);
  EXPECT_FALSE(s.session.clean_session);
  EXPECT_EQ(s.session.ack_timeout, 0s);
  EXPECT_EQ(s.session.offline_queue, OfflineQueue::FailAllOnDisconnect);
  EXPECT_EQ(s.reconnect.min_delay, 250ms);
  EXPECT_EQ(s.reconnect.max_delay, 10s);
  EXPECT_EQ(s.reconnect.jitter, Jitter::None);
  EXPECT_EQ(s.reconnect.reset_after, 0s);
}

TEST(ScenarioParse, ShortKeepaliveLowersTheDefaultPingTimeout) {
  Scenario s = parse("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\n"
                     "session: {keepalive: 10}\n");
  EXPECT_EQ(s.session.keepalive, 10s);
  EXPECT_EQ(s.session.ping_timeout, 5s);
}

TEST(ScenarioParse, EndpointForms) {
  Scenario s = parse(R"(
target:
  endpoints: ["a:1", "[::1]:2", {host: c}, d]
fleet: {devices: 1}
)");
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"a", 1}, {"::1", 2}, {"c", 1883}, {"d", 1883}}));
  // target.port is the port of the endpoints that name none (naming another one is an
  // error: scenario_overrides_test.cpp).
  Scenario p = parse(R"(
target:
  endpoints: ["a:8883", {host: c}, d]
  port: 8883
fleet: {devices: 1}
)");
  EXPECT_EQ(p.target.endpoints, (std::vector<Endpoint>{{"a", 8883}, {"c", 8883}, {"d", 8883}}));
  Scenario one = parse("target: {endpoint: broker, port: 1884}\nfleet: {devices: 1}\n");
  EXPECT_EQ(one.target.endpoints, (std::vector<Endpoint>{{"broker", 1884}}));
}

TEST(ScenarioParse, SourceAddressRangesAndBlocksExpand) {
  Scenario s = parse(R"(
target: {endpoint: h}
fleet:
  devices: 1
  source_addresses: [127.0.0.250-127.0.1.1, 10.0.0.0/30, 10.1.0.0/31, "::1"]
)");
  EXPECT_EQ(s.fleet.source_addresses,
            (std::vector<std::string>{"127.0.0.250", "127.0.0.251", "127.0.0.252", "127.0.0.253",
                                      "127.0.0.254", "127.0.0.255", "127.0.1.0", "127.0.1.1",
                                      "10.0.0.1", "10.0.0.2", "10.1.0.0", "10.1.0.1", "::1"}));
}

TEST(ScenarioParse, FleetRateIsSpreadOverThePublishers) {
  Scenario s = parse(R"(
target: {endpoint: h}
fleet: {devices: 200}
publish: {topic: "t/{index}", fleet_rate: 1000/s, publishers: 25%}
)");
  ASSERT_TRUE(!s.publish.empty());
  EXPECT_EQ(s.publish.front().publishers.selected, 50u);
  EXPECT_DOUBLE_EQ(s.publish.front().per_device_rate.per_second, 20.0);
  EXPECT_FALSE(s.publish.front().rate.has_value());
  EXPECT_DOUBLE_EQ(s.publish.front().fleet_rate->per_second, 1000.0);
}

TEST(ScenarioParse, PayloadTemplateTurnsTheHeaderOff) {
  Scenario s = parse(R"(
target: {endpoint: h}
fleet: {devices: 2}
publish: {topic: t, rate: 1/s, payload: {template: '{"seq":{seq},"ts":{timestamp}}'}}
subscribe: ["t", {filter: "x/{client_id}/#", qos: 2}]
)");
  EXPECT_EQ(s.publish.front().payload.template_text, R"({"seq":{seq},"ts":{timestamp}})");
  EXPECT_FALSE(s.publish.front().payload.accounting_header);
  ASSERT_EQ(s.subscribe.filters.size(), 2u);
  EXPECT_EQ(s.subscribe.filters[1].qos, 2);
  // Filters without `subscribers`: every device subscribes.
  EXPECT_EQ(s.subscribe.subscribers.kind, Selection::Kind::All);
  EXPECT_EQ(s.subscribe.subscribers.selected, 2u);
}

TEST(ScenarioParse, EnvSubstitutionWithDefaults) {
  ::setenv("FLEETLOAD_TEST_HOST", "broker.example", 1);
  ::unsetenv("FLEETLOAD_TEST_UNSET");
  Scenario s = parse(R"(
target: {endpoint: "${FLEETLOAD_TEST_HOST}:${FLEETLOAD_TEST_UNSET:-1999}"}
fleet: {devices: "${FLEETLOAD_TEST_UNSET:-7}", client_id: "$$dev-{index}"}
)");
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"broker.example", 1999}}));
  EXPECT_EQ(s.fleet.devices, 7u);
  EXPECT_EQ(s.fleet.client_id, "$dev-{index}");
}

TEST(ScenarioParse, MissingEnvVariableNamesItAndThePosition) {
  ::unsetenv("FLEETLOAD_TEST_UNSET");
  EXPECT_EQ(error_of("target: {endpoint: h}\nfleet:\n  devices: ${FLEETLOAD_TEST_UNSET}\n"),
            "test.yaml:3:12: fleet.devices: environment variable FLEETLOAD_TEST_UNSET is not set "
            "(use ${FLEETLOAD_TEST_UNSET:-default} for a default)");
  EXPECT_EQ(error_of("target: {endpoint: h}\nfleet: {devices: \"${9x}\"}\n"),
            "test.yaml:2:18: fleet.devices: bad variable reference ${9x}; write ${NAME} or "
            "${NAME:-default} (NAME: letters, digits, _)");
}

TEST(ScenarioParse, SetOverridesScalarsListItemsAndNewKeys) {
  Scenario s = parse(R"(
target: {endpoint: h}
fleet: {devices: 10}
phases:
  - {type: ramp}
  - {type: steady, duration: 10s}
)", {"fleet.devices=20", "phases.1.duration=30s", "target.protocol=mqtt5",
     "publish.topic=t/{index}", "publish.rate=2/s", "phases.2.type=storm",
     "phases.2.duration=5s", "fleet.client_id=a=b-{index}"});
  EXPECT_EQ(s.fleet.devices, 20u);
  EXPECT_EQ(s.target.protocol, mqtt::Version::V5);
  EXPECT_EQ(s.target.connect_timeout, 10s);  // protocol defaults follow the override
  ASSERT_EQ(s.phases.size(), 3u);
  EXPECT_EQ(s.phases[1].duration, 30s);
  EXPECT_EQ(s.phases[2].type, PhaseType::Storm);
  ASSERT_TRUE(!s.publish.empty());
  EXPECT_EQ(s.publish.front().topic, "t/{index}");
  EXPECT_EQ(s.fleet.client_id, "a=b-{index}");
  // Overrides apply to a file without the sections too.
  Scenario m = parse(kMinimal, {"run.duration=5m", "phases.0.type=steady", "phases.0.duration=1m"});
  EXPECT_EQ(m.run.duration, 5min);
  ASSERT_EQ(m.phases.size(), 1u);
}

TEST(ScenarioParse, ErrorsFromOverridesNameTheOverride) {
  EXPECT_EQ(error_of(kMinimal, {"fleet.devices=abc"}),
            "--set fleet.devices=abc: fleet.devices: expected a whole number from 1 to 100000000, "
            "got \"abc\"");
  EXPECT_EQ(error_of(kMinimal, {"fleet.conect_rate=5/s"}),
            "--set fleet.conect_rate=5/s: fleet.conect_rate: unknown key \"conect_rate\"; did you "
            "mean 'connect_rate'?");
  EXPECT_EQ(error_of(kMinimal, {"fleet.devices"}),
            "--set fleet.devices: expected path=value, e.g. --set fleet.devices=100");
  EXPECT_EQ(error_of(kMinimal, {"fleet.devices.x=1"}),
            "--set fleet.devices.x=1: fleet.devices.x: fleet.devices is a single value, not a "
            "mapping or list");
  EXPECT_EQ(error_of("target: {endpoint: h}\nfleet: {devices: 1}\nphases: [{type: ramp}]\n",
                     {"phases.3.type=ramp"}),
            "--set phases.3.type=ramp: phases.3.type: phases is a list of 1 items; expected an "
            "index 0..1, got \"3\"");
}

// Every example we ship must validate: our good test files, the README's example and the
// ready-made scenarios/ (when present), each also round-tripping through to_yaml.
TEST(ScenarioParse, EveryShippedExampleValidates) {
  std::vector<std::filesystem::path> files;
  const auto root = data_dir().parent_path().parent_path().parent_path();
  for (const auto& dir : {data_dir() / "good", root / "scenarios"}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
  }
  ASSERT_GE(files.size(), 3u);
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    try {
      Scenario s = load_scenario(f);
      const std::string y = to_yaml(s, false);
      EXPECT_EQ(to_yaml(parse_scenario(y, f.string()), false), y);
    } catch (const ScenarioError& e) {
      ADD_FAILURE() << e.what();
    }
  }
  // The doc example is a copy of the one in docs/scenario.md: keep them equal.
  std::ifstream doc(root / "docs" / "scenario.md");
  std::ifstream copy(data_dir() / "good" / "doc_example.yaml");
  if (doc && copy) {
    std::string doc_text((std::istreambuf_iterator<char>(doc)), {});
    std::string copy_text((std::istreambuf_iterator<char>(copy)), {});
    copy_text = copy_text.substr(copy_text.find('\n') + 1);  // drop the comment line
    EXPECT_NE(doc_text.find("```yaml\n" + copy_text + "```"), std::string::npos);
  }
}

TEST(ScenarioParse, ErrorsNeverShowASecret) {
  const std::string a = error_of(std::string(kMinimal) + "auth: {password: \"hunter2${oops\"}\n");
  EXPECT_EQ(a.find("hunter2"), std::string::npos) << a;
  EXPECT_NE(a.find("auth.password: unclosed ${ in the value"), std::string::npos) << a;
  const std::string b = error_of(std::string(kMinimal) + "auth: {password: \"${hunter 2}\"}\n");
  EXPECT_EQ(b.find("hunter"), std::string::npos) << b;
  const std::string c = error_of(kMinimal, {"auth.password=hunter2${x", "auth.pasword=x"});
  EXPECT_EQ(c.find("hunter2"), std::string::npos) << c;
  EXPECT_NE(c.find("--set auth.password=***: auth.password: unclosed"), std::string::npos) << c;
}

TEST(ScenarioToYaml, MasksSecretsAndRoundTrips) {
  Scenario s = load_scenario(data_dir() / "good" / "telemetry.yaml");
  const std::string masked = to_yaml(s);
  EXPECT_EQ(masked.find("s3cr3t-Pa55"), std::string::npos) << masked;
  EXPECT_NE(masked.find("password: \"***\""), std::string::npos) << masked;
  const std::string plain = to_yaml(s, false);
  EXPECT_NE(plain.find("s3cr3t-Pa55"), std::string::npos);
  // The resolved text parses back to the same scenario (same text again).
  Scenario again = parse_scenario(plain, "telemetry.yaml");
  EXPECT_EQ(to_yaml(again, false), plain);
  EXPECT_EQ(again.phases.size(), s.phases.size());
  EXPECT_EQ(again.fleet.source_addresses, s.fleet.source_addresses);
  EXPECT_DOUBLE_EQ(again.publish.front().per_device_rate.per_second, s.publish.front().per_device_rate.per_second);
}

TEST(ScenarioToYaml, DefaultsAreWrittenOut) {
  const std::string y = to_yaml(parse(kMinimal));
  for (auto line : {"protocol: mqtt311", "connect_timeout: 5s", "ping_timeout: 3s",
                    "clean_session: false", "jitter: none", "duration: 1m", "connect_rate: 500/s"}) {
    EXPECT_NE(y.find(line), std::string::npos) << line << " missing in\n" << y;
  }
  Scenario again = parse(y);
  EXPECT_EQ(to_yaml(again), y);
}

TEST(ScenarioWarnings, AwsIotCoreLimits) {
  Scenario s = parse(R"(
target: {endpoint: a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com, protocol: mqtt5}
fleet: {devices: 10, client_id: "{index}-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", connect_rate: 600/s}
session: {keepalive: 10s}
publish: {topic: "a/b/c/d/e/f/g/h/i", qos: 2, rate: 200/s, payload: 200KiB}
subscribe: [{filter: "$share/g/a/b/c/d/e/f/g/#", qos: 2}]
run: {duration: 1s}
phases: [{type: steady, duration: 2s}]
thresholds: {max_loss: 0}
)");
  auto w = warnings(s);
  EXPECT_TRUE(contains(w, "session.keepalive: 10s is outside AWS IoT Core's 30s..1200s range"));
  EXPECT_TRUE(contains(w, "fleet.client_id:")) ;
  EXPECT_TRUE(contains(w, "AWS IoT Core allows at most 128"));
  EXPECT_TRUE(contains(w, "fleet.connect_rate: 600/s exceeds"));
  EXPECT_TRUE(contains(w, "publish: 200/s per device exceeds AWS IoT Core's 100 publishes/s"));
  EXPECT_TRUE(contains(w, "publish.qos: AWS IoT Core does not support QoS 2"));
  EXPECT_TRUE(contains(w, "subscribe.filters.0.qos: AWS IoT Core does not support QoS 2"));
  EXPECT_TRUE(contains(w, "publish.topic: topic \"a/b/c/d/e/f/g/h/i\" has 9 levels"));
  EXPECT_FALSE(contains(w, "subscribe.filters.0: topic"));  // $share/g/ does not count: 8 levels
  EXPECT_TRUE(contains(w, "publish.payload: 200KiB exceeds AWS IoT Core's 128KiB"));
  EXPECT_TRUE(contains(w, "per device exceeds AWS IoT Core's 512KiB/s per connection"));
  EXPECT_TRUE(contains(w, "run.duration: 1s ends the run before the phases do (they last 2s)"));
  EXPECT_FALSE(contains(w, "thresholds.max_loss"));  // there are subscribers
}

TEST(ScenarioWarnings, PayloadLargerThanOurMaximumPacketSize) {
  Scenario s = parse(R"(
target: {endpoint: h, protocol: mqtt5}
fleet: {devices: 10}
session: {maximum_packet_size: 1KiB}
publish: {topic: t, rate: 1/s, payload: 2KiB}
subscribe: [t]
)");
  EXPECT_TRUE(contains(warnings(s), "publish.payload: 2KiB exceeds session.maximum_packet_size (1KiB)"));
}

TEST(ScenarioWarnings, DecorrelatedJitterAndRejoinWithoutExpiryAreExplained) {
  Scenario s = parse("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\n"
                     "session: {keepalive: 60s, session_behavior: rejoin_post_success}\n"
                     "reconnect: {jitter: decorrelated}\n");
  const auto w = warnings(s);
  EXPECT_TRUE(contains(w, "reconnect.jitter: decorrelated runs as the SDK's MQTT 5 client really runs it"));
  EXPECT_TRUE(contains(w, "session.session_behavior: rejoin_post_success without session.session_expiry"));
  s = parse("target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 1}\n"
            "session: {keepalive: 60s, session_behavior: rejoin_always, session_expiry: 1h}\n"
            "reconnect: {jitter: decorrelated_textbook}\n");
  EXPECT_FALSE(contains(warnings(s), "reconnect.jitter"));
  EXPECT_FALSE(contains(warnings(s), "session.session_behavior"));
}

TEST(ScenarioWarnings, PayloadLargerThanTheDefaultReceiveLimit) {
  Scenario s = parse("target: {endpoint: h}\nfleet: {devices: 10}\n"
                     "publish: {topic: t, rate: 1/s, payload: 2MiB}\nsubscribe: [t]\n");
  EXPECT_TRUE(contains(warnings(s), "publish.payload: 2MiB exceeds session.maximum_packet_size (1MiB, the default)"));
}

TEST(ScenarioWarnings, QuietForAnAwsFriendlyScenario) {
  Scenario s = parse(R"(
target: {endpoint: h}
fleet: {devices: 100}
session: {keepalive: 60s}
publish: {topic: "dt/{client_id}", qos: 1, rate: 1/s, payload: 1KiB}
thresholds: {max_loss: 0, p99_ack_latency: 1s}
)");
  auto w = warnings(s);
  ASSERT_EQ(w.size(), 1u) << w[0];
  EXPECT_EQ(w[0], "thresholds.max_loss: needs subscribers to measure; this scenario has none");
}

TEST(ScenarioWarnings, BehaviourThresholdsWithoutTheirBehaviourAreNamed) {
  // Each would be unmeasured at the end of the run (and fail it): validate says so first.
  Scenario s = parse(R"(
target: {endpoint: h}
fleet: {devices: 10}
session: {keepalive: 60s}
shadow: {get: on_connect}
thresholds: {p99_shadow_update_latency: 1s, max_shadow_rejections: 0, max_job_failures: 0,
             p99_provisioning_latency: 5s}
)");
  const auto w = warnings(s);
  const auto has = [&](const std::string& text) { return std::find(w.begin(), w.end(), text) != w.end(); };
  EXPECT_TRUE(has("thresholds.p99_shadow_update_latency: needs a shadow section with update or on_delta: report to "
                  "measure; this scenario has none, so the run cannot pass it"));
  EXPECT_TRUE(has("thresholds.max_job_failures: needs a jobs section to measure; this scenario has none, so the run "
                  "cannot pass it"));
  EXPECT_TRUE(has("thresholds.p99_provisioning_latency: needs a provisioning section to measure; this scenario has "
                  "none, so the run cannot pass it"));
  // The shadow section exists: its rejections can be measured.
  for (const auto& x : w) EXPECT_EQ(x.find("max_shadow_rejections"), std::string::npos) << x;
}

TEST(ScenarioWarnings, BehaviourThresholdInTheFleetIsMetByOneGroupsBehaviour) {
  Scenario s = parse(R"(
target: {endpoint: h}
fleet: {devices: 10}
session: {keepalive: 60s}
groups:
  - {name: plain, share: 50%}
  - {name: rollout, share: 50%, jobs: {work_time: 1s}}
thresholds: {max_job_failures: 0}
)");
  for (const auto& x : warnings(s)) EXPECT_EQ(x.find("max_job_failures"), std::string::npos) << x;
}

TEST(ScenarioWarnings, LongTopicIsMeasuredAtTheLargestIndex) {
  std::string topic(250, 'x');
  Scenario s = parse("target: {endpoint: h}\nfleet: {devices: 100000}\npublish: {topic: \"" + topic +
                     "/{index}\", rate: 1/s}\n");
  // "xxx.../99999" is 256 bytes: allowed; one more device would push it over.
  EXPECT_FALSE(contains(warnings(s), "publish.topic"));
  Scenario t = parse("target: {endpoint: h}\nfleet: {devices: 1000000}\npublish: {topic: \"" + topic +
                     "/{index}\", rate: 1/s}\n");
  EXPECT_TRUE(contains(warnings(t), "is 257 bytes; AWS IoT Core allows at most 256"));
}

}  // namespace
}  // namespace fleetload::scenario
