// The engine's WebSocket transport against a real WebSocket server (websockify, behind the
// request-checking hook of ws_verify_server.py) in front of mosquitto, over TLS and plain
// TCP: every WebSocket auth mode x {3.1.1, 5} connects, publishes and subscribes; the
// SigV4 signature is verified by botocore; a wrong secret key, expired or missing
// credentials and a wrong custom header are refused and counted by reason while the other
// devices carry on; server pings are answered.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>

#include "auth/certgen.hpp"
#include "e2e/child_process.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/ws_front.hpp"
#include "engine/engine.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::engine {
namespace {

namespace fs = std::filesystem;
using e2e::WsFront;

constexpr int kDevices = 6;
constexpr const char* kAkid = "AKIDWSFLEETTEST";
constexpr const char* kSecret = "wsFleet/Secret+Key0123456789abcdefEXAMPLE";
constexpr const char* kToken = "FwoGZXIvYXdzWsFleet/TOKEN+with=chars";
constexpr const char* kAuthzPassword = "ws-authz-Pw-secret";
// What websockets_with_custom_authorizer puts in CONNECT for the options below, written out
// from aws doc §4 (metrics off): the exact name mosquitto's password file knows.
constexpr const char* kAuthzUsername = "wsauth?x-amz-customauthorizer-name=FleetAuth&token=tok7";

std::size_t idx(net::WsFailure f) { return static_cast<std::size_t>(f); }

struct Pki {
  fs::path dir;
  Pki() : dir(e2e::make_temp_dir("ws-e2e-pki")) {
    auth::CertOptions o;
    o.out_dir = dir;
    o.devices = 1;
    o.threads = 1;
    auth::generate_fleet_certs(o);
  }
  ~Pki() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};
const Pki& pki() {
  static const Pki p;
  return p;
}

std::string sigv4_config(const std::string& secret) {
  return std::string(R"({"mode": "sigv4", "sigv4": {"access_key_id": ")") + kAkid + R"(", "secret_access_key": ")" +
         secret + R"(", "session_token": ")" + kToken + R"(", "region": "eu-west-1"}})";
}

// Device i sends X-Fleet-Token: tok-<i> and ?device=ws-<i>; `accepted` limits the indices.
std::string handshake_config(const std::string& accepted = "\\\\d+") {
  return R"J({"mode": "handshake", "handshake": {"devices": )J" + std::to_string(kDevices) +
         R"J(, "headers": {"X-Fleet-Token": "tok-()J" + accepted + R"J()", "X-Static": "fixed"},)J"
         R"J( "query": {"device": "ws-(\\d+)"}}})J";
}

const char* kAuthorizerConfig = R"({"mode": "authorizer"})";

std::string auth_yaml(const std::string& mode, const std::string& secret) {
  if (mode == "sigv4") {
    return "  mode: websockets_with_default_aws_signing\n  region: eu-west-1\n"
           "  credentials: {access_key_id: " + std::string(kAkid) + ", secret_access_key: \"" + secret +
           "\", session_token: \"" + kToken + "\"}\n";
  }
  if (mode == "handshake") {
    return "  mode: websockets_with_custom_handshake\n"
           "  websocket:\n    headers: {X-Fleet-Token: \"tok-{index}\", X-Static: fixed}\n"
           "    query: {device: \"{client_id}\"}\n";
  }
  return "  mode: websockets_with_custom_authorizer\n  enable_metrics_collection: false\n"
         "  auth_username: wsauth\n  auth_authorizer_name: FleetAuth\n"
         "  auth_token_key_name: token\n  auth_token_value: tok7\n"
         "  auth_password: " + std::string(kAuthzPassword) + "\n";
}

std::string scenario_yaml(std::uint16_t port, const std::string& protocol, bool tls, const std::string& auth,
                          const std::string& rest, int devices = kDevices) {
  std::string tls_part = tls ? "  ca_filepath: " + (pki().dir / "ca.crt").string() + "\n" : "  tls: {enabled: false}\n";
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: " + protocol +
         ", connect_timeout: 5s}\n"
         "fleet: {devices: " + std::to_string(devices) + ", connect_rate: 200/s, client_id: \"ws-{index}\"}\n"
         "session: {keepalive: 30s, clean_session: true}\n"
         "reconnect: {min_delay: 300ms, max_delay: 600ms}\n"
         "auth:\n" + auth + tls_part + rest;
}

RunResult run(const std::string& yaml) {
  RunOptions o;
  o.threads = 2;
  Engine e(scenario::parse_scenario(yaml, "ws-test.yaml"), o);
  return e.run();
}

// mosquitto accepting only the custom authorizer's exact username and password.
std::string password_config(const fs::path& dir) {
  const fs::path file = dir / "passwd";
  std::ofstream(file).close();
  e2e::ChildProcess p({"/usr/bin/mosquitto_passwd", "-b", file.string(), kAuthzUsername, kAuthzPassword},
                      dir / "passwd.out", dir / "passwd.err");
  const auto st = p.wait_for(std::chrono::seconds(10));
  if (!st || st->code != 0) throw std::runtime_error("mosquitto_passwd failed: " + p.stderr_text());
  return "password_file " + file.string() + "\nallow_anonymous false\n";
}

struct TempDir {
  fs::path path = e2e::make_temp_dir("ws-e2e");
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

e2e::MosquittoBroker::Options quiet_broker(std::string extra = "") {
  return {.extra_config = std::move(extra), .log_connections = false};
}

// The front, accepting TLS too when `tls` (the server certificate of pki()).
WsFront::Options front_options(std::uint16_t broker_port, std::string config, bool tls = true, int heartbeat = 0) {
  return {.broker_port = broker_port, .config_json = std::move(config),
          .cert = tls ? pki().dir / "server.crt" : fs::path(), .key = tls ? pki().dir / "server.key" : fs::path(),
          .heartbeat_s = heartbeat};
}

using Case = std::tuple<std::string, std::string, bool>;  // mode, protocol, tls

class WsModes : public ::testing::TestWithParam<Case> {};

TEST_P(WsModes, FleetConnectsPublishesAndSubscribesThroughTheWebSocketServer) {
  const auto& [mode, protocol, tls] = GetParam();
  const TempDir dir;
  e2e::MosquittoBroker broker(quiet_broker(mode == "authorizer" ? password_config(dir.path) : std::string()));
  const std::string config = mode == "sigv4" ? sigv4_config(kSecret) : mode == "handshake" ? handshake_config()
                                                                                           : kAuthorizerConfig;
  WsFront front(front_options(broker.port(), config));
  const RunResult r =
      run(scenario_yaml(front.port(), protocol, tls, auth_yaml(mode, kSecret),
                        "publish: {topic: \"ws/{index}/t\", qos: 1, rate: 5/s, payload: 48B}\n"
                        "subscribe: {filters: [{filter: \"ws/+/t\", qos: 1}], subscribers: 2}\n"
                        "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 1500ms}\n"));
  const std::string why = r.ws_error + "\n" + front.log() + broker.log();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, static_cast<std::uint64_t>(kDevices)) << why;
  EXPECT_EQ(r.ws_upgrades, static_cast<std::uint64_t>(kDevices));
  for (std::size_t i = 0; i < net::kWsFailureCount; ++i) EXPECT_EQ(r.ws_failures[i], 0u) << net::to_string(net::WsFailure(i));
  EXPECT_EQ(r.stats.websocket_handshake.count, static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.tls_handshakes, tls ? static_cast<std::uint64_t>(kDevices) : 0u);
  EXPECT_EQ(r.broker_errors, 0u);
  EXPECT_GT(r.stats.publish_requests[1], 0u);
  EXPECT_EQ(r.stats.publishes_acked[1], r.stats.publish_requests[1]);
  EXPECT_GT(r.stats.messages_received, 0u);  // deliveries came back through the frames
  EXPECT_EQ(r.stats.messages_lost, 0u);
  EXPECT_EQ(r.stats.clean_disconnects, static_cast<std::uint64_t>(kDevices));
  // The front saw (and accepted) one upgrade per device, over the transport asked for.
  EXPECT_EQ(front.count("\"accepted\""), static_cast<std::size_t>(kDevices)) << why;
  EXPECT_EQ(front.count("\"refused\""), 0u);
  EXPECT_EQ(front.count(tls ? "\"tls\": true" : "\"tls\": false"), static_cast<std::size_t>(kDevices));
  if (mode == "handshake") {
    for (int i = 0; i < kDevices; ++i) EXPECT_EQ(front.count("\"index\": " + std::to_string(i) + ","), 1u) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, WsModes,
    ::testing::Combine(::testing::Values("sigv4", "handshake", "authorizer"), ::testing::Values("mqtt311", "mqtt5"),
                       ::testing::Bool()),
    [](const ::testing::TestParamInfo<Case>& i) {
      return std::get<0>(i.param) + "_" + std::get<1>(i.param) + (std::get<2>(i.param) ? "_tls" : "_plain");
    });

const char* kHold = "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 1500ms}\n";

TEST(WsFailures, WrongSecretKeyIsRefusedAndCountedWhileAGoodFleetConnects) {
  e2e::MosquittoBroker broker(quiet_broker());
  WsFront front(front_options(broker.port(), sigv4_config(kSecret)));
  const std::string wrong = "wsFleet/WRONG+Key0123456789abcdefEXAMPLE";
  RunResult good, bad;
  // Two fleets at once against the same server: one signs with the wrong secret.
  std::thread t([&] { bad = run(scenario_yaml(front.port(), "mqtt5", true, auth_yaml("sigv4", wrong), kHold)); });
  good = run(scenario_yaml(front.port(), "mqtt5", true, auth_yaml("sigv4", kSecret), kHold));
  t.join();
  EXPECT_EQ(good.stats.connects_ok, static_cast<std::uint64_t>(kDevices)) << good.ws_error << front.log();
  EXPECT_EQ(good.ws_failures[idx(net::WsFailure::UpgradeForbidden)], 0u);
  ASSERT_EQ(bad.exit_reason, ExitReason::Completed) << bad.failure;
  EXPECT_EQ(bad.stats.connects_ok, 0u);
  EXPECT_GE(bad.ws_failures[idx(net::WsFailure::UpgradeForbidden)], static_cast<std::uint64_t>(kDevices));
  const auto cf = static_cast<std::size_t>(device::DropReason::ConnectFailed);
  EXPECT_EQ(bad.stats.connect_failed_by_reason[cf], bad.ws_failures[idx(net::WsFailure::UpgradeForbidden)]);
  EXPECT_GE(front.count("signature mismatch"), static_cast<std::size_t>(kDevices));
  // A clear message, with the server's reason and the request, every value withheld.
  EXPECT_NE(bad.ws_error.find("upgrade_forbidden: HTTP 403 signature mismatch for GET /mqtt?"), std::string::npos)
      << bad.ws_error;
  EXPECT_NE(bad.ws_error.find("X-Amz-Signature=…"), std::string::npos) << bad.ws_error;
  for (const std::string& secret : {wrong, std::string(kSecret), std::string(kToken), std::string(kAkid)})
    EXPECT_EQ(bad.ws_error.find(secret), std::string::npos) << bad.ws_error;
}

TEST(WsFailures, ExpiredCredentialsAreCountedAndNothingIsSent) {
  e2e::MosquittoBroker broker(quiet_broker());
  WsFront front(front_options(broker.port(), sigv4_config(kSecret), false));
  const TempDir tmp;
  const fs::path& dir = tmp.path;
  std::ofstream(dir / "creds.sh") << "echo '{\"Version\": 1, \"AccessKeyId\": \"" << kAkid
                                  << "\", \"SecretAccessKey\": \"" << kSecret
                                  << "\", \"SessionToken\": \"" << kToken
                                  << "\", \"Expiration\": \"2020-01-01T00:00:00Z\"}'\n";
  const std::string auth = "  mode: websockets_with_default_aws_signing\n  region: eu-west-1\n"
                           "  credentials: {credential_process: \"/bin/sh " + (dir / "creds.sh").string() + "\"}\n";
  const RunResult r = run(scenario_yaml(front.port(), "mqtt311", false, auth, kHold, 3));
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, 0u);
  EXPECT_GE(r.ws_failures[idx(net::WsFailure::CredentialsExpired)], 3u) << r.ws_error;
  EXPECT_NE(r.ws_error.find("credentials_expired"), std::string::npos) << r.ws_error;
  EXPECT_EQ(r.ws_error.find(kSecret), std::string::npos);
  EXPECT_EQ(r.ws_error.find(kToken), std::string::npos);
  EXPECT_TRUE(front.verdicts().empty());  // refused before anything reached the server
}

TEST(WsFailures, MissingCredentialsAreCounted) {
  e2e::MosquittoBroker broker(quiet_broker());
  WsFront front(front_options(broker.port(), sigv4_config(kSecret), false));
  for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) ::unsetenv(v);
  const std::string auth = "  mode: websockets_with_default_aws_signing\n  region: eu-west-1\n"
                           "  credentials: {source: environment}\n";
  const RunResult r = run(scenario_yaml(front.port(), "mqtt5", false, auth, kHold, 3));
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, 0u);
  EXPECT_GE(r.ws_failures[idx(net::WsFailure::CredentialsMissing)], 3u) << r.ws_error;
  EXPECT_TRUE(front.verdicts().empty());
}

TEST(WsFailures, WrongCustomHeaderIsRefusedAndCountedOthersConnect) {
  e2e::MosquittoBroker broker(quiet_broker());
  // The server knows devices 0-2 only: 3-5 send a header value it refuses.
  WsFront front(front_options(broker.port(), handshake_config("[0-2]")));
  const RunResult r = run(scenario_yaml(front.port(), "mqtt311", true, auth_yaml("handshake", ""), kHold));
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, 3u) << r.ws_error << front.log();
  EXPECT_GE(r.ws_failures[idx(net::WsFailure::UpgradeForbidden)], 3u);
  EXPECT_GE(front.count("wrong header X-Fleet-Token"), 3u);
  EXPECT_EQ(front.count("\"accepted\""), 3u);
  EXPECT_NE(r.ws_error.find("HTTP 403 wrong header X-Fleet-Token for GET /mqtt?device=…"), std::string::npos)
      << r.ws_error;
}

TEST(WsTransport, ServerPingsAreAnswered) {
  e2e::MosquittoBroker broker(quiet_broker());
  WsFront front(front_options(broker.port(), handshake_config(), false, 1));
  const RunResult r = run(scenario_yaml(front.port(), "mqtt5", false, auth_yaml("handshake", ""),
                                        "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 2500ms}\n"));
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, static_cast<std::uint64_t>(kDevices)) << r.ws_error;
  EXPECT_GE(front.count("\"pong\""), static_cast<std::size_t>(kDevices)) << front.log();
  EXPECT_EQ(r.stats.clean_disconnects, static_cast<std::uint64_t>(kDevices));
}

}  // namespace
}  // namespace fleetload::engine
