// Bad scenarios -> the exact messages: file:line:col, field path, what was found and allowed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

std::filesystem::path bad_dir() {
  const char* src = std::getenv("FLEETLOAD_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "tests" / "data" / "scenarios" / "bad";
}

std::string error_of(std::string_view yaml) {
  try {
    parse_scenario(yaml, "s.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string file_error_of(const std::string& name) {
  try {
    load_scenario(bad_dir() / name);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

// A valid prefix, so each case below shows only its own error.
constexpr const char* kBase = "target: {endpoint: h}\nfleet: {devices: 10}\n";

struct Case {
  const char* name;
  std::string yaml;
  const char* expected;
};

std::string base(std::string_view more) { return kBase + std::string(more); }

const Case kCases[] = {
    {"unknown_section", base("fleeet: {}\n"),
     "s.yaml:3:1: fleeet: unknown key \"fleeet\"; did you mean 'fleet'?"},
    {"unknown_key_no_hint", base("run: {colour: red}\n"),
     "s.yaml:3:7: run.colour: unknown key \"colour\"; allowed: duration, report, progress_interval, drain_timeout, id"},
    {"duplicate_key", "target: {endpoint: h}\nfleet:\n  devices: 10\n  devices: 20\n",
     "s.yaml:4:3: fleet.devices: duplicate key \"devices\""},
    {"missing_everything", "",
     "s.yaml: target.endpoint: required: the broker as target.endpoint (\"host:port\") or "
     "target.endpoints (a list)\n"
     "s.yaml: fleet.devices: required: how many devices the fleet has (1 or more)"},
    {"root_not_mapping", "- a\n- b\n",
     "s.yaml:1:1: expected a mapping with sections target, fleet, publish, ..., got a list"},
    {"section_not_mapping", base("session: 30s\n"),
     "s.yaml:3:10: session: expected a mapping with keys keepalive, ping_timeout, connack_timeout, "
     "clean_session, session_behavior, session_expiry, receive_maximum, maximum_packet_size, "
     "topic_alias_maximum, ack_timeout, offline_queue, subscribe_batch, publish_limit, will, got \"30s\""},
    {"list_for_scalar", base("run: {duration: [1, 2]}\n"),
     "s.yaml:3:17: run.duration: expected a duration like 250ms, 30s, 5m or 1h (bare numbers are "
     "seconds), got a list"},
    {"empty_value", "target: {endpoint: h}\nfleet:\n  devices:\n",
     "s.yaml:3:3: fleet.devices: expected a whole number from 1 to 100000000, got nothing"},
    {"auth_unknown_mode", base("auth: {mode: mtls}\n"),
     "s.yaml:3:14: auth.mode: expected one of plain_tcp, mtls_from_path, mtls_from_bytes, "
     "mtls_with_pkcs11, mtls_with_pkcs12, mtls_with_windows_cert_store_path, "
     "websockets_with_default_aws_signing, websockets_with_custom_handshake, "
     "direct_with_custom_authorizer, websockets_with_custom_authorizer, new_default_builder, "
     "got \"mtls\""},
    {"bad_rate", "target: {endpoint: h}\nfleet:\n  devices: 10\n  connect_rate: fast\n",
     "s.yaml:4:17: fleet.connect_rate: expected a rate like 2000/s, 10/m or 3600/h, got \"fast\""},
    {"zero_rate", base("publish: {topic: t, rate: 0/s}\n"),
     "s.yaml:3:27: publish.rate: expected a rate above 0 like 10/s, got \"0/s\""},
    {"client_id_without_index", "target: {endpoint: h}\nfleet: {devices: 10, client_id: dev}\n",
     "s.yaml:2:33: fleet.client_id: must contain {index} so that 10 devices get distinct client "
     "ids (the broker drops duplicates), got \"dev\""},
    {"unknown_placeholder", base("publish: {topic: \"t/{idx}\", rate: 1/s}\n"),
     "s.yaml:3:18: publish.topic: unknown placeholder {idx}; allowed here: {index} {shard} "
     "{client_id} {group} {group_index}, got \"t/{idx}\""},
    {"seq_not_allowed_in_topic", base("publish: {topic: \"t/{seq}\", rate: 1/s}\n"),
     "s.yaml:3:18: publish.topic: unknown placeholder {seq}; allowed here: {index} {shard} "
     "{client_id} {group} {group_index}, got \"t/{seq}\""},
    {"wildcard_topic", base("publish: {topic: \"t/#\", rate: 1/s}\n"),
     "s.yaml:3:18: publish.topic: expected a topic name (not empty, no + or # wildcards), got "
     "\"t/#\""},
    {"bad_filter", base("subscribe: [\"a/#/b\"]\n"),
     "s.yaml:3:13: subscribe.0: expected a topic filter (+ and # only as whole levels, # last; "
     "$share/group/filter), got \"a/#/b\""},
    {"rate_and_fleet_rate", base("publish: {topic: t, rate: 1/s, fleet_rate: 10/s}\n"),
     "s.yaml:3:44: publish.fleet_rate: give exactly one of publish.rate (per device) or "
     "publish.fleet_rate (whole fleet), not both"},
    {"no_rate", base("publish: {topic: t}\n"),
     "s.yaml:3:10: publish.rate: required: publish.rate per device (e.g. 1/s) or "
     "publish.fleet_rate for the whole fleet (e.g. 5000/s)"},
    {"publishers_over_fleet", base("publish: {topic: t, rate: 1/s, publishers: 11}\n"),
     "s.yaml:3:44: publish.publishers: expected at most fleet.devices (10), got \"11\""},
    {"bad_share", base("publish: {topic: t, rate: 1/s, publishers: half}\n"),
     "s.yaml:3:44: publish.publishers: expected all, none, a device count like 10 or a share like "
     "10%, got \"half\""},
    {"payload_size_and_template", base("publish: {topic: t, rate: 1/s, payload: {size: 10, template: x}}\n"),
     "s.yaml:3:62: publish.payload.template: give either payload.size or payload.template, not "
     "both"},
    {"payload_bad_size", base("publish: {topic: t, rate: 1/s, payload: 1KIB}\n"),
     "s.yaml:3:41: publish.payload: expected a size like 64, 512B, 1KiB, 1MiB or 1KB, got \"1KIB\""},
    {"mqtt5_only_in_311", base("publish: {topic: t, rate: 1/s, user_properties: {a: b}}\n"),
     "s.yaml:3:49: publish.user_properties: only with target.protocol mqtt5 (MQTT 3.1.1 has no "
     "such feature)"},
    {"shared_no_local",
     "target: {endpoint: h, protocol: mqtt5}\nfleet: {devices: 10}\n"
     "subscribe: [{filter: \"$share/g/t\", no_local: true}]\n",
     "s.yaml:3:13: subscribe.0.no_local: no_local is not allowed on a shared subscription (MQTT 5 "
     "§3.8.3.1)"},
    {"subscribers_without_filters", base("subscribe: {subscribers: 5}\n"),
     "s.yaml:3:26: subscribe.subscribers: subscribe.filters is empty: nothing to subscribe to"},
    {"endpoint_and_endpoints", "target: {endpoint: a, endpoints: [b]}\nfleet: {devices: 1}\n",
     "s.yaml:1:34: target.endpoints: give either endpoint (one broker) or endpoints (a list), not "
     "both"},
    {"empty_endpoints", "target: {endpoints: []}\nfleet: {devices: 1}\n",
     "s.yaml:1:21: target.endpoints: expected a non-empty list of endpoints like \"broker:1883\", "
     "got a list"},
    {"bad_port", "target: {endpoint: h, port: 0}\nfleet: {devices: 1}\n",
     "s.yaml:1:29: target.port: expected a whole number from 1 to 65535, got \"0\""},
    {"ipv6_without_brackets", "target: {endpoint: \"::1:1883\"}\nfleet: {devices: 1}\n",
     "s.yaml:1:20: target.endpoint: expected an endpoint like \"broker:1883\" or {host, port} "
     "(write IPv6 endpoints as [addr]:port), got \"::1:1883\""},
    {"ping_not_below_keepalive", base("session: {keepalive: 10s, ping_timeout: 10s}\n"),
     "s.yaml:3:41: session.ping_timeout: must be shorter than session.keepalive (10s), as the SDK "
     "requires, got \"10s\""},
    {"keepalive_fraction", base("session: {keepalive: 1500ms}\n"),
     "s.yaml:3:22: session.keepalive: expected whole seconds from 1 to 65535 (like 30s, 5m, 1h or a "
     "bare number of seconds), got \"1500ms\""},
    {"offline_queue_typo", base("session: {offline_queue: fail_all}\n"),
     "s.yaml:3:26: session.offline_queue: expected one of fail_qos0_publish_on_disconnect, "
     "fail_non_qos1_publish_on_disconnect, fail_all_on_disconnect, got \"fail_all\""},
    {"will_without_topic", base("session: {will: {payload: bye}}\n"),
     "s.yaml:3:17: session.will.topic: required when session.will is given"},
    {"min_above_max", base("reconnect: {min_delay: 2m, max_delay: 1m}\n"),
     "s.yaml:3:39: reconnect.max_delay: must not be below reconnect.min_delay (2m), got \"1m\""},
    {"bad_source_range", "target: {endpoint: h}\nfleet: {devices: 1, source_addresses: [10.0.0.300]}\n",
     "s.yaml:2:40: fleet.source_addresses.0: expected an IP address, an IPv4 range like "
     "127.0.0.2-127.0.0.20 or an IPv4 block like 10.0.0.0/24, got \"10.0.0.300\""},
    {"huge_block", "target: {endpoint: h}\nfleet: {devices: 1, source_addresses: 10.0.0.0/8}\n",
     "s.yaml:2:39: fleet.source_addresses: block \"10.0.0.0/8\" holds more than 65536 addresses; "
     "use /16 or longer"},
    {"phase_without_type", base("phases: [{duration: 10s}]\n"),
     "s.yaml:3:10: phases.0.type: required: one of ramp, steady, churn, storm, search"},
    {"phase_without_duration", base("phases: [{type: steady}]\n"),
     "s.yaml:3:10: phases.0.duration: required for a steady phase, e.g. 60s"},
    {"churn_rate_not_share", base("phases: [{type: churn, duration: 1m, rate: 5/s}]\n"),
     "s.yaml:3:44: phases.0.rate: expected a share of devices per time like 1%/s or 30%/m, got "
     "\"5/s\""},
    {"rate_on_steady", base("phases: [{type: steady, duration: 1m, rate: 1%/s}]\n"),
     "s.yaml:3:45: phases.0.rate: only for phases of type churn (share of devices per second)"},
    {"phases_not_list", base("phases: {type: ramp}\n"),
     "s.yaml:3:9: phases: expected a list of phases like {type: ramp} / {type: steady, duration: "
     "60s}, got a mapping"},
    {"threshold_ratio_over_one", base("thresholds: {connect_success_ratio: 1.5}\n"),
     "s.yaml:3:37: thresholds.connect_success_ratio: expected a share like 99.9% or 0.999 with an "
     "optional <, <=, >, >= or == in front, got \"1.5\""},
    {"threshold_typo", base("thresholds: {p99_ack_latncy: 1s}\n"),
     "s.yaml:3:14: thresholds.p99_ack_latncy: unknown key \"p99_ack_latncy\"; did you mean "
     "'p99_ack_latency'?"},
    {"unknown_threshold_lists_allowed", base("thresholds: {latency: 1s}\n"),
     "s.yaml:3:14: thresholds.latency: unknown key \"latency\"; allowed: connect_success_ratio, "
     "max_loss, max_duplicates, p99_ack_latency, p99_e2e_latency, p99_connect_time, p99_shadow_update_latency, "
     "max_shadow_rejections, max_job_failures, p99_job_duration, max_provisioning_failures, p99_provisioning_latency, max_publish_rate_error"},
};

class ScenarioErrorTable : public ::testing::TestWithParam<Case> {};

TEST_P(ScenarioErrorTable, GivesTheExactMessage) {
  EXPECT_EQ(error_of(GetParam().yaml), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(BadSnippets, ScenarioErrorTable, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ScenarioErrorFiles, TyposGetDidYouMean) {
  const std::string f = (bad_dir() / "typos.yaml").string();
  EXPECT_EQ(file_error_of("typos.yaml"),
            f + ":4:3: target.protocl: unknown key \"protocl\"; did you mean 'protocol'?\n" +
            f + ":7:3: fleet.conect_rate: unknown key \"conect_rate\"; did you mean 'connect_rate'?\n" +
            f + ":8:1: sesion: unknown key \"sesion\"; did you mean 'session'?\n" +
            f + ":11:11: reconnect.jitter: expected one of none, full, decorrelated, default, "
                "decorrelated_textbook, got \"ful\" (did you mean 'full'?)");
}

TEST(ScenarioErrorFiles, EveryWrongTypeIsReportedInFileOrder) {
  const std::string f = (bad_dir() / "types.yaml").string();
  EXPECT_EQ(file_error_of("types.yaml"),
            f + ":3:13: target.endpoint: expected an endpoint like \"broker:1883\" or {host, port} "
                "(port must be 1..65535), got \"localhost:99999\"\n" +
            f + ":5:12: fleet.devices: expected a whole number from 1 to 100000000, got \"lots\"\n" +
            f + ":6:17: fleet.connect_rate: expected a rate like 2000/s, 10/m or 3600/h, got \"fast\"\n" +
            f + ":7:22: fleet.source_addresses.0: range \"127.0.0.20-127.0.0.2\" ends before it starts\n" +
            f + ":9:14: session.keepalive: expected whole seconds from 1 to 65535 (like 30s, 5m, 1h "
                "or a bare number of seconds), got \"0\"\n" +
            f + ":10:17: session.ping_timeout: expected a duration like 250ms, 30s, 5m or 1h (bare "
                "numbers are seconds), got a list\n" +
            f + ":12:10: publish.topic: expected a topic name (not empty, no + or # wildcards), got "
                "\"telemetry/#\"\n" +
            f + ":13:8: publish.qos: expected a whole number from 0 to 2, got \"3\"\n" +
            f + ":15:12: publish.payload: expected a size like 64, 512B, 1KiB, 1MiB or 1KB, got "
                "\"1KIB\"\n" +
            f + ":17:5: phases.0.duration: required for a steady phase, e.g. 60s\n" +
            f + ":18:11: phases.1.type: expected one of ramp, steady, churn, storm, search, got \"warp\" (did you mean 'ramp'?)\n" +
            f + ":21:20: thresholds.p99_ack_latency: expected a duration like 250ms with an optional "
                "<, <=, >, >= or == in front, got \"soon\"");
}

TEST(ScenarioErrorFiles, YamlSyntaxErrorHasAPosition) {
  const std::string f = (bad_dir() / "syntax.yaml").string();
  EXPECT_EQ(file_error_of("syntax.yaml"),
            f + ":3:6: invalid YAML: end of sequence flow not found");
}

TEST(ScenarioErrorFiles, MissingEnvVariableIsAnErrorButEmptyDefaultIsNot) {
  ::unsetenv("FLEETLOAD_TEST_BROKER");
  ::unsetenv("FLEETLOAD_TEST_PASSWORD");
  const std::string f = (bad_dir() / "env.yaml").string();
  EXPECT_EQ(file_error_of("env.yaml"),
            f + ":2:13: target.endpoint: environment variable FLEETLOAD_TEST_BROKER is not set (use "
                "${FLEETLOAD_TEST_BROKER:-default} for a default)");
  ::setenv("FLEETLOAD_TEST_BROKER", "127.0.0.1:1999", 1);
  Scenario s = load_scenario(bad_dir() / "env.yaml");
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"127.0.0.1", 1999}}));
  EXPECT_EQ(s.auth.password, "");
  ::unsetenv("FLEETLOAD_TEST_BROKER");
}

TEST(ScenarioErrorFiles, MissingFileIsOneClearError) {
  const std::string f = (bad_dir() / "does-not-exist.yaml").string();
  EXPECT_EQ(file_error_of("does-not-exist.yaml"), f + ": cannot open the scenario file: No such file or directory");
}

// Any prefix or byte-flipped variant of a good file either parses or fails with a
// ScenarioError: no other exception, no crash (the suite runs under ASan/UBSan).
TEST(ScenarioErrors, MangledFilesNeverEscapeAsOtherExceptions) {
  std::ifstream in(bad_dir().parent_path() / "good" / "telemetry.yaml");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(text.size(), 500u);
  std::size_t errors = 0;
  auto attempt = [&](const std::string& t) {
    try {
      parse_scenario(t, "m.yaml");
    } catch (const ScenarioError& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()), "");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "escaped: " << e.what() << "\nfor:\n" << t;
    }
  };
  for (std::size_t n = 0; n < text.size(); n += 7) attempt(text.substr(0, n));
  const std::string flips = ":{}[]-#&*!|>'\"%@` \n";
  for (std::size_t i = 0; i < text.size(); i += 11) {
    std::string t = text;
    t[i] = flips[i % flips.size()];
    attempt(t);
  }
  EXPECT_GT(errors, 0u);
}

TEST(ScenarioErrors, DiagnosticsAreStructured) {
  try {
    parse_scenario("target: {endpoint: h}\nfleet: {devices: 0}\n", "x.yaml");
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    const Diagnostic& d = e.diagnostics().front();
    EXPECT_EQ(d.file, "x.yaml");
    EXPECT_EQ(d.line, 2);
    EXPECT_EQ(d.column, 18);
    EXPECT_EQ(d.path, "fleet.devices");
    EXPECT_EQ(d.message, "expected a whole number from 1 to 100000000, got \"0\"");
    EXPECT_EQ(d.format(), std::string(e.what()));
  }
}

}  // namespace
}  // namespace fleetload::scenario
