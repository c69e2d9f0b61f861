// The engine over TLS against a real mosquitto TLS listener that requires client
// certificates (certificates made by the test): an mTLS fleet publishes and subscribes
// without loss on MQTT 3.1.1 and 5; an untrusted broker CA and refused client certificates
// are counted by reason while the other devices carry on; session resumption on reconnect.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "auth/certgen.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "engine/engine.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kDevices = 50;

std::size_t idx(net::TlsFailure f) { return static_cast<std::size_t>(f); }

// One PKI per test binary run: a good fleet (its CA signs the broker) and a foreign one.
struct Pki {
  fs::path dir, good, foreign;
  Pki() {
    dir = fs::temp_directory_path() / ("fleetload-tls-e2e-" + std::to_string(::getpid()));
    good = dir / "good";
    foreign = dir / "foreign";
    auth::CertOptions o;
    o.out_dir = good;
    o.devices = kDevices;
    o.threads = 2;
    auth::generate_fleet_certs(o);
    o.out_dir = foreign;
    o.ca_common_name = "someone else's CA";
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

std::string tls_listener_config(const fs::path& d) {
  return "cafile " + (d / "ca.crt").string() + "\ncertfile " + (d / "server.crt").string() +
         "\nkeyfile " + (d / "server.key").string() + "\nrequire_certificate true\n";
}

std::string scenario_yaml(std::uint16_t port, const std::string& protocol, const fs::path& certs,
                          const fs::path& ca, const std::string& tls_extra, const std::string& rest) {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: " + protocol +
         ", connect_timeout: 3s}\n"
         "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 500/s}\n"
         "session: {keepalive: 30s, clean_session: true}\n"
         "reconnect: {min_delay: 200ms, max_delay: 400ms}\n"
         "auth:\n  mode: mtls_from_path\n"
         "  cert_filepath: " + (certs / "device-{index}.crt").string() + "\n"
         "  pri_key_filepath: " + (certs / "device-{index}.key").string() + "\n"
         "  ca_filepath: " + (ca / "ca.crt").string() + "\n" + tls_extra + rest;
}

scenario::Scenario make(const std::string& yaml) { return scenario::parse_scenario(yaml, "tls-test.yaml"); }

class TlsFleet : public ::testing::TestWithParam<std::string> {};

TEST_P(TlsFleet, MtlsFleetPublishesAndSubscribesWithoutLoss) {
  const auto& p = pki();
  e2e::MosquittoBroker broker({.extra_config = tls_listener_config(p.good), .log_connections = false});
  auto s = make(scenario_yaml(broker.port(), GetParam(), p.good, p.good, "",
                              "publish: {topic: \"tls/{index}/t\", qos: 1, rate: 5/s, payload: 64B}\n"
                              "subscribe: {filters: [{filter: \"tls/+/t\", qos: 1}], subscribers: 2}\n"
                              // Per-device identities: each device's first connect loads
                              // its own SSL_CTX (slow under ASan), hence the settle phase.
                              "phases:\n  - type: ramp\n  - {name: settle, type: steady, duration: 2500ms}\n"
                              "  - {name: hold, type: steady, duration: 2s}\n"));
  RunOptions o;
  o.threads = 2;
  Engine e(s, o);
  const RunResult r = e.run();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure << broker.log();
  ASSERT_TRUE(r.time_to_all_connected.has_value());
  EXPECT_LT(r.time_to_all_connected->count(), 2.5);
  EXPECT_EQ(r.stats.connects_ok, static_cast<std::uint64_t>(kDevices)) << r.tls_identity_error << broker.log();
  EXPECT_EQ(r.tls_handshakes, static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.tls_resumed, 0u);  // resumption is off by default
  for (std::size_t i = 0; i < net::kTlsFailureCount; ++i) EXPECT_EQ(r.tls_failures[i], 0u) << i;
  EXPECT_EQ(r.broker_errors, 0u);
  EXPECT_EQ(r.stats.tls_handshake.count, static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.stats.tcp_connect.count, static_cast<std::uint64_t>(kDevices));
  EXPECT_GT(r.stats.tls_handshake.max, 0u);
  EXPECT_GT(r.stats.publish_requests[1], 0u);
  EXPECT_EQ(r.stats.publishes_acked[1], r.stats.publish_requests[1]);
  EXPECT_EQ(r.stats.messages_lost, 0u);
  EXPECT_EQ(r.stats.messages_duplicated, 0u);
  ASSERT_EQ(r.phases.size(), 3u);
  // Both subscribers get about everything published in the hold phase, when all are up.
  EXPECT_GE(static_cast<double>(r.stats.messages_received), 0.99 * 2.0 * r.phases[2].stats.publishes_sent[1]);
  EXPECT_LE(r.stats.messages_received, 2 * r.stats.publishes_sent[1]);
  EXPECT_EQ(r.stats.clean_disconnects, static_cast<std::uint64_t>(kDevices));
}

INSTANTIATE_TEST_SUITE_P(Protocols, TlsFleet, ::testing::Values("mqtt311", "mqtt5"));

TEST(TlsFailures, UntrustedBrokerCaIsCountedAndTheRunCompletes) {
  const auto& p = pki();
  e2e::MosquittoBroker broker({.extra_config = tls_listener_config(p.good), .log_connections = false});
  // The devices trust only the foreign CA: the broker's certificate is unknown to them.
  auto s = make(scenario_yaml(broker.port(), "mqtt311", p.good, p.foreign, "",
                              "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 4s}\n"));
  RunOptions o;
  o.threads = 2;
  Engine e(s, o);
  const RunResult r = e.run();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, 0u);
  EXPECT_GE(r.tls_failures[idx(net::TlsFailure::UnknownCa)], static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.tls_failures[idx(net::TlsFailure::ClientCertRejected)], 0u);
  const auto cf = static_cast<std::size_t>(device::DropReason::ConnectFailed);
  EXPECT_EQ(r.stats.connect_failed_by_reason[cf], r.tls_failures[idx(net::TlsFailure::UnknownCa)]);
  EXPECT_EQ(r.tls_handshakes, 0u);
  EXPECT_GT(r.broker_errors, 0u);
}

TEST(TlsFailures, RefusedClientCertificatesFailWhileTheRestConnect) {
  const auto& p = pki();
  e2e::MosquittoBroker broker({.extra_config = tls_listener_config(p.good), .log_connections = false});
  // Odd devices present a certificate from the foreign CA, which the broker refuses.
  const fs::path mixed = p.dir / "mixed";
  fs::create_directories(mixed);
  for (int i = 0; i < kDevices; ++i) {
    const fs::path& from = (i % 2 == 1) ? p.foreign : p.good;
    fs::copy_file(auth::device_cert_path(from, i), auth::device_cert_path(mixed, i), fs::copy_options::overwrite_existing);
    fs::copy_file(auth::device_key_path(from, i), auth::device_key_path(mixed, i), fs::copy_options::overwrite_existing);
  }
  auto s = make(scenario_yaml(broker.port(), "mqtt5", mixed, p.good, "",
                              "publish: {topic: \"tls/{index}/t\", qos: 1, rate: 5/s}\n"
                              "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 4s}\n"));
  RunOptions o;
  o.threads = 2;
  Engine e(s, o);
  const RunResult r = e.run();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, static_cast<std::uint64_t>(kDevices / 2)) << broker.log();
  std::string causes;
  for (const auto& c : r.connect_failures) causes += std::string(c.result) + "/" + c.reason + "=" + std::to_string(c.count) + " ";
  EXPECT_GE(r.tls_failures[idx(net::TlsFailure::ClientCertRejected)], static_cast<std::uint64_t>(kDevices / 2))
      << "causes: " << causes << " attempts=" << r.stats.connect_attempts << " drops=" << r.stats.drops;
  EXPECT_EQ(r.tls_failures[idx(net::TlsFailure::UnknownCa)], 0u);
  // The good half published and had everything acknowledged.
  EXPECT_GT(r.stats.publishes_acked[1], 0u);
  EXPECT_EQ(r.stats.ack_timeouts[1], 0u);
  EXPECT_EQ(r.stats.drops, 0u);
}

TEST(TlsFailures, MissingIdentityFilesAreCountedWithAClearMessage) {
  const auto& p = pki();
  e2e::MosquittoBroker broker({.extra_config = tls_listener_config(p.good), .log_connections = false});
  auto s = make(scenario_yaml(broker.port(), "mqtt311", p.dir / "nowhere", p.good, "",
                              "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 1s}\n"));
  RunOptions o;
  o.threads = 1;
  Engine e(s, o);
  const RunResult r = e.run();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, 0u);
  // Missing files are a local fault, by their own reason, and not the broker's doing.
  std::uint64_t missing = 0;
  for (const auto& c : r.connect_failures)
    if (std::string(c.result) == "identity_failed" && std::string(c.reason) == "file_missing") missing += c.count;
  EXPECT_GE(missing, static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.local_errors, missing);
  EXPECT_EQ(r.broker_errors, 0u);
  EXPECT_EQ(r.stats.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::LocalError)], missing);
  EXPECT_NE(r.tls_identity_error.find("nowhere"), std::string::npos) << r.tls_identity_error;
}

TEST(TlsResumption, StormReconnectsResumeSessionsOnlyWhenEnabled) {
  const auto& p = pki();
  e2e::MosquittoBroker broker({.extra_config = tls_listener_config(p.good), .log_connections = false});
  for (const bool resume : {false, true}) {
    auto s = make(scenario_yaml(broker.port(), "mqtt311", p.good, p.good,
                                resume ? "  tls: {session_resumption: true}\n" : "",
                                "phases:\n  - type: ramp\n  - {name: settle, type: steady, duration: 2500ms}\n"
                                "  - {name: boom, type: storm, duration: 2500ms}\n"));
    s.reconnect.jitter = scenario::Jitter::None;
    RunOptions o;
    o.threads = 2;
    Engine e(s, o);
    const RunResult r = e.run();
    ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
    ASSERT_TRUE(r.time_to_all_connected.has_value());
    EXPECT_LT(r.time_to_all_connected->count(), 2.5);  // before the storm
    // Everyone connected, was dropped by the storm and came back.
    std::string why = "resume=" + std::to_string(resume) + " attempts=" + std::to_string(r.stats.connect_attempts) +
                      " drops=" + std::to_string(r.stats.drops) + " reconnects=" + std::to_string(r.stats.reconnects) +
                      " all_at=" + std::to_string(r.time_to_all_connected ? r.time_to_all_connected->count() : -1.0);
    for (const auto& ph : r.phases) why += " " + ph.name + "@" + std::to_string(ph.start.count()) + "-" + std::to_string(ph.end.count());
    for (std::size_t i = 0; i < device::kDropReasonCount; ++i)
      why += std::string(" ") + device::to_string(static_cast<device::DropReason>(i)) + "=" +
             std::to_string(r.stats.connect_failed_by_reason[i]) + "/" + std::to_string(r.stats.drops_by_reason[i]);
    for (std::size_t i = 0; i < net::kTlsFailureCount; ++i)
      why += std::string(" ") + net::to_string(static_cast<net::TlsFailure>(i)) + "=" + std::to_string(r.tls_failures[i]);
    EXPECT_GE(r.stats.connects_ok, static_cast<std::uint64_t>(2 * kDevices - 2)) << why;
    EXPECT_EQ(r.tls_handshakes, r.stats.connects_ok) << resume;
    if (resume) {
      EXPECT_GE(r.tls_resumed, static_cast<std::uint64_t>(kDevices - 2));
    } else {
      EXPECT_EQ(r.tls_resumed, 0u);
    }
  }
}

}  // namespace
}  // namespace fleetload::engine
