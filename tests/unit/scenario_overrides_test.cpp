// Overrides that must take effect or be refused (target.port, fleet.connect_rate, keys read
// only with some credential source), secrets kept out of every message, and the AWS IoT Core
// endpoint test behind the AWS-only warnings.
#include <gtest/gtest.h>

#include <cstdlib>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

std::string error_of(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_scenario(yaml, "s.yaml", overrides);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string error_with(std::string_view yaml, const std::vector<Override>& overrides) {
  try {
    parse_scenario(yaml, "s.yaml", overrides);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::vector<std::string>& w, std::string_view what) {
  for (const auto& x : w)
    if (x.find(what) != std::string::npos) return true;
  return false;
}

std::vector<std::uint16_t> ports(const Scenario& s) {
  std::vector<std::uint16_t> out;
  for (const auto& e : s.target.endpoints) out.push_back(e.port);
  return out;
}

TEST(ScenarioOverrides, SetTargetPortAppliesToEveryEndpointEvenOneNamingAPort) {
  const std::string yaml = "target:\n  endpoints: [\"a:18830\", b, {host: c, port: 7}]\nfleet: {devices: 3}\n";
  EXPECT_EQ(ports(parse_scenario(yaml, "s.yaml")), (std::vector<std::uint16_t>{18830, 1883, 7}));
  EXPECT_EQ(ports(parse_scenario(yaml, "s.yaml", {"target.port=18932"})),
            (std::vector<std::uint16_t>{18932, 18932, 18932}));
  // The quickstart's own advice: endpoint and port both overridden.
  const std::string one = "target: {endpoint: \"127.0.0.1:18830\"}\nfleet: {devices: 1}\n";
  const Scenario q = parse_scenario(one, "s.yaml", {"target.endpoint=broker.lan", "target.port=1884"});
  ASSERT_EQ(q.target.endpoints.size(), 1u);
  EXPECT_EQ(q.target.endpoints[0].host, "broker.lan");
  EXPECT_EQ(q.target.endpoints[0].port, 1884);
  // An endpoint given with --set keeps the port it names over the file's target.port.
  const Scenario e = parse_scenario("target: {endpoint: h, port: 1883}\nfleet: {devices: 1}\n", "s.yaml",
                                    {"target.endpoint=other:2000"});
  EXPECT_EQ(ports(e), std::vector<std::uint16_t>{2000});
}

TEST(ScenarioOverrides, FilePortContradictingAnEndpointPortIsAnError) {
  EXPECT_EQ(error_of("target:\n  endpoint: \"h:18830\"\n  port: 1883\nfleet: {devices: 1}\n"),
            "s.yaml:3:9: target.port: 1883 conflicts with the port of target.endpoint \"h:18830\" (line 2); "
            "give the port in one place");
  EXPECT_EQ(error_of("target:\n  port: 1883\n  endpoints:\n    - {host: h, port: 9}\nfleet: {devices: 1}\n"),
            "s.yaml:2:9: target.port: 1883 conflicts with the port of target.endpoints.0.port 9 (line 4); "
            "give the port in one place");
  // The same port twice is no contradiction.
  EXPECT_EQ(ports(parse_scenario("target: {endpoint: \"h:1883\", port: 1883}\nfleet: {devices: 1}\n", "s.yaml")),
            std::vector<std::uint16_t>{1883});
}

TEST(ScenarioOverrides, OverrideThatCannotTakeEffectIsRefused) {
  const std::string ramp = "target: {endpoint: h}\nfleet: {devices: 10}\nphases: [{type: ramp, connect_rate: 50/s}, "
                           "{type: steady, duration: 1s}]\n";
  EXPECT_EQ(error_of(ramp, {"fleet.connect_rate=500/s"}),
            "--set fleet.connect_rate=500/s: fleet.connect_rate: has no effect: phases.0.connect_rate (50/s) paces "
            "the run; override phases.0.connect_rate instead");
  EXPECT_NO_THROW(parse_scenario(ramp, "s.yaml", {"phases.0.connect_rate=500/s"}));
  // A second ramp's own rate would be ignored too: one rate paces the whole run.
  const std::string two = "target: {endpoint: h}\nfleet: {devices: 10}\nphases:\n  - {type: ramp, connect_rate: 50/s}\n"
                          "  - {type: steady, duration: 1s}\n  - {type: ramp, connect_rate: 80/s}\n";
  EXPECT_EQ(error_of(two), "s.yaml:6:32: phases.2.connect_rate: has no effect: one rate paces the whole run, the "
                           "first ramp's (phases.0.connect_rate 50/s); give every ramp the same rate");
  EXPECT_NO_THROW(parse_scenario(two, "s.yaml", {"phases.2.connect_rate=50/s"}));
  // Credential keys another source would read.
  const std::string aws = "target: {endpoint: h}\nfleet: {devices: 1}\nauth:\n  mode: websockets_with_default_aws_signing\n"
                          "  region: us-east-1\n  credentials: {source: profile, profile: dev}\n";
  EXPECT_EQ(error_of(aws, {"auth.credentials.credential_process=/bin/creds"}),
            "--set auth.credentials.credential_process=/bin/creds: auth.credentials.credential_process: only read "
            "with source process, not profile (a profile's credential_process goes in its shared config file)");
  EXPECT_NE(error_of(aws, {"auth.credentials.source=environment"})
                .find("auth.credentials.profile: not read with source environment"),
            std::string::npos);
}

TEST(ScenarioOverrides, DurationOverrideIsNamedAsTheUserWroteIt) {
  const std::string yaml = "target: {endpoint: h}\nfleet: {devices: 100, connect_rate: 50/s}\n";
  const std::vector<Override> d{{"run.duration=7s", "--duration 7s"}};
  const Scenario s = parse_scenario(yaml, "s.yaml", d);
  EXPECT_EQ(to_yaml(s), to_yaml(parse_scenario(yaml, "s.yaml", {"run.duration=7s"})));
  ASSERT_EQ(s.phases.size(), 2u);
  EXPECT_EQ(s.phases[1].duration, std::chrono::seconds(5));  // 7 s run - 2 s ramp
  EXPECT_EQ(error_with(yaml, {{"run.duration=0", "--duration 0"}}),
            "--duration 0: run.duration: expected a duration above 0, got \"0\"");
}

TEST(ScenarioSecrets, KeysThatLookSecretAndKeysThatDoNot) {
  for (const char* p : {"auth.password", "auth.pasword", "auth.Password", "auth.passwrd", "auth.mqtt_password",
                        "auth.user_pinn", "auth.credentials.secret_acess_key", "auth.credentials.sesion_token",
                        "auth.auth_passwd", "auth.websocket.headers.X-Api-Key", "auth.pkcs12_pasword", "auth.tokn"})
    EXPECT_TRUE(looks_secret(p)) << p;
  // Every key the scenario knows that is not a secret: none is mistaken for one.
  for (const char* k : {"access_key_id", "ack_timeout", "alpn", "arrival", "auth_authorizer_name", "auth_token_key_name",
                        "auth_username", "ca_bytes", "ca_dirpath", "ca_filepath", "cert_bytes", "cert_filepath",
                        "cert_store_path", "clean_session", "client_id", "connack_timeout", "connect_rate",
                        "connect_success_ratio", "connect_timeout", "content_type", "credential_process", "credentials",
                        "crt_version", "delay", "devices", "drain_timeout", "duration", "enable_metrics_collection", "enabled",
                        "endpoint", "endpoints", "features", "filter", "filters", "fleet_rate", "format", "header",
                        "headers", "host", "id", "index_width", "jitter", "keepalive", "max_delay", "max_duplicates",
                        "max_loss", "max_publish_rate_error", "maximum_packet_size", "message_expiry", "metrics",
                        "min_delay", "mode", "name", "no_local", "offline_queue", "p99_ack_latency",
                        "p99_connect_time", "p99_e2e_latency", "payload", "ping_timeout", "pkcs11_lib",
                        "pkcs12_filepath", "platform", "port", "pri_key_filepath", "private_key_label", "profile",
                        "progress_interval", "protocol", "publishers", "qos", "query", "rate", "receive_maximum",
                        "region", "report", "reset_after", "retain", "retain_as_published", "retain_handling",
                        "sdk_language", "sdk_version", "session_expiry", "session_resumption", "size", "slot_id",
                        "sni", "source", "source_addresses", "subscribers", "template", "tls", "token_label", "topic",
                        "topic_alias", "topic_alias_maximum", "type", "user_properties", "username", "verify_peer",
                        "websocket", "will"})
    EXPECT_FALSE(looks_secret(std::string("x.") + k)) << k;
}

constexpr const char* kBase = "target: {endpoint: h, port: 1}\nfleet: {devices: 2}\n";

TEST(ScenarioSecrets, NoMessageShowsASecretValue) {
  // A typo of a secret key: refused as unknown, its value masked in the override's name.
  EXPECT_EQ(error_of(kBase, {"auth.pasword=Typo-Secret-4417"}),
            "--set auth.pasword=***: auth.pasword: unknown key \"pasword\"; did you mean 'password'?");
  // A known secret quoted as another field's value, from an override or from the file.
  std::string e = error_of(kBase, {"fleet.devices=Hunter-Two-9931", "auth.password=Hunter-Two-9931"});
  EXPECT_EQ(e.find("Hunter-Two-9931"), std::string::npos) << e;
  EXPECT_NE(e.find("fleet.devices: expected a whole number from 1 to 100000000, got \"***\""), std::string::npos) << e;
  e = error_of("target: {endpoint: h, port: Hunter-File-7}\nfleet: {devices: 2}\nauth: {password: Hunter-File-7}\n");
  EXPECT_EQ(e.find("Hunter-File-7"), std::string::npos) << e;
  // From the environment too.
  ::setenv("SCENARIO_SECRET_PW", "Env-Secret-5150", 1);
  e = error_of("target: {endpoint: h, port: Env-Secret-5150}\nfleet: {devices: 2}\nauth: {password: ${SCENARIO_SECRET_PW}}\n");
  EXPECT_EQ(e.find("Env-Secret-5150"), std::string::npos) << e;
  // Unknown secret-looking keys in the file: their values are secret as well.
  e = error_of("target: {endpoint: h, port: 1}\nfleet: {devices: Typo-File-88}\nauth: {pasword: Typo-File-88}\n");
  EXPECT_EQ(e.find("Typo-File-88"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'password'"), std::string::npos) << e;
}

TEST(ScenarioSecrets, ResolvedScenarioAndWarningsMaskASecretReusedElsewhere) {
  const Scenario s = parse_scenario(std::string(kBase) + "auth: {password: Reused-Secret-42}\n"
                                                         "publish: {topic: \"t/Reused-Secret-42/{index}\", rate: 1/s}\n",
                                    "s.yaml", {"fleet.client_id=Reused-Secret-42-{index}"});
  const std::string masked = to_yaml(s, true);
  EXPECT_EQ(masked.find("Reused-Secret-42"), std::string::npos) << masked;
  EXPECT_NE(masked.find("client_id: \"***-{index}\""), std::string::npos) << masked;
  EXPECT_NE(to_yaml(s, false).find("Reused-Secret-42"), std::string::npos);
  for (const auto& w : warnings(s)) EXPECT_EQ(w.find("Reused-Secret-42"), std::string::npos) << w;
  // Short secrets are masked in their own field only: masking "ab" everywhere would garble.
  EXPECT_EQ(mask_secret_values("abc abcd", {"abcd", "ab"}), "abc ***");
}

TEST(ScenarioSecrets, SecretsOnTheCommandLineAreWarnedAbout) {
  const std::vector<Override> ovs{{"auth.password=Cmd-Secret-1", "--set auth.password=Cmd-Secret-1"},
                                  {"auth.password=${PW}", "--set auth.password=${PW}"},
                                  {"fleet.devices=5", "--set fleet.devices=5"},
                                  {"auth.websocket.headers.X-Token=tok-123456", "--set auth.websocket.headers.X-Token=tok-123456"}};
  const auto w = override_warnings(ovs);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].rfind("--set auth.password=***: a secret on the command line is visible to every user", 0), 0u) << w[0];
  EXPECT_NE(w[0].find("/proc/PID/cmdline"), std::string::npos);
  EXPECT_NE(w[0].find("${ENV_VAR}"), std::string::npos);
  EXPECT_EQ(w[1].find("tok-123456"), std::string::npos) << w[1];
}

TEST(ScenarioWarnings, AwsIotCoreEndpointsAreRecognised) {
  for (const char* h : {"a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com", "abc.iot.eu-west-2.amazonaws.com",
                        "ABC-ATS.IOT.AP-SOUTHEAST-1.AMAZONAWS.COM", "x-ats.iot.cn-north-1.amazonaws.com.cn",
                        "data.iot-fips.us-gov-west-1.amazonaws.com", "d-ats.iot.us-east-1.amazonaws.com."})
    EXPECT_TRUE(is_aws_iot_endpoint(h)) << h;
  for (const char* h : {"127.0.0.1", "localhost", "broker.lan", "iot.us-east-1.amazonaws.com",
                        "c1.credentials.iot.us-east-1.amazonaws.com", "x.iot.us-east-1.amazonaws.com.evil.example",
                        "x.iot.amazonaws.com", "s3.us-east-1.amazonaws.com", "x.iot.us-east-1.example.com", ""})
    EXPECT_FALSE(is_aws_iot_endpoint(h)) << h;
}

TEST(ScenarioWarnings, ConnectRateLimitOnlyForAwsIotCore) {
  const std::string rest = "fleet: {devices: 3000, connect_rate: 1000/s}\nphases: [{type: ramp, connect_rate: 800/s}]\n";
  const auto local = warnings(parse_scenario("target: {endpoint: 127.0.0.1}\n" + rest, "s.yaml"));
  EXPECT_FALSE(contains(local, "connects/s per account")) << (local.empty() ? "" : local[0]);
  const auto aws = warnings(parse_scenario("target: {endpoint: x-ats.iot.us-east-1.amazonaws.com}\n" + rest, "s.yaml"));
  EXPECT_TRUE(contains(aws, "fleet.connect_rate: 1000/s exceeds AWS IoT Core's default of 500 connects/s per account"));
  EXPECT_TRUE(contains(aws, "phases.ramp-0.connect_rate: 800/s exceeds"));
}

TEST(ScenarioWarnings, MetricsSettingsWithoutTheSuffixAreSaidToHaveNoEffect) {
  const auto w = warnings(parse_scenario(std::string(kBase) + "auth: {metrics: {sdk_language: Java}}\n", "s.yaml"));
  EXPECT_TRUE(contains(w, "auth.metrics: has no effect")) << (w.empty() ? "" : w[0]);
  const auto on = warnings(parse_scenario(
      std::string(kBase) + "auth: {enable_metrics_collection: true, metrics: {sdk_language: Java}}\n", "s.yaml"));
  EXPECT_FALSE(contains(on, "auth.metrics"));
}

}  // namespace
}  // namespace fleetload::scenario
