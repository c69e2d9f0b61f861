// The client CPU per TLS handshake reaches the report (JSON tls.handshake_cpu_ms and the
// summary's tls line) after a real mTLS run against mosquitto: full handshakes while the
// fleet ramps, resumed ones after a storm, checked against the process CPU the kernel counted.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>

#include "auth/certgen.hpp"
#include "cli/report_builder.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "engine/engine.hpp"
#include "metrics/report_json.hpp"
#include "metrics/report_text.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::engine {
namespace {

namespace fs = std::filesystem;
constexpr int kDevices = 8;

TEST(TlsHandshakeCpu, FullAndResumedCpuPerHandshakeAreReported) {
  const fs::path dir = fs::temp_directory_path() / ("fleetload-tls-cpu-" + std::to_string(::getpid()));
  auth::CertOptions co;
  co.out_dir = dir;
  co.devices = kDevices;
  co.threads = 1;
  auth::generate_fleet_certs(co);
  e2e::MosquittoBroker broker({.extra_config = "cafile " + (dir / "ca.crt").string() + "\ncertfile " +
                                               (dir / "server.crt").string() + "\nkeyfile " +
                                               (dir / "server.key").string() + "\nrequire_certificate true\n",
                               .log_connections = false});
  const std::string yaml =
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
      ", protocol: mqtt311, connect_timeout: 5s}\n"
      "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 200/s}\n"
      "session: {keepalive: 30s, clean_session: true}\n"
      "reconnect: {min_delay: 200ms, max_delay: 400ms, jitter: none}\n"
      "auth:\n  mode: mtls_from_path\n"
      "  cert_filepath: " + (dir / "device-{index}.crt").string() + "\n"
      "  pri_key_filepath: " + (dir / "device-{index}.key").string() + "\n"
      "  ca_filepath: " + (dir / "ca.crt").string() + "\n"
      "  tls: {session_resumption: true}\n"
      "phases:\n  - type: ramp\n  - {name: settle, type: steady, duration: 2s}\n"
      "  - {name: boom, type: storm, duration: 2s}\n";
  const auto s = scenario::parse_scenario(yaml, "tls-cpu.yaml");
  RunOptions o;
  o.threads = 1;
  Engine e(s, o);
  const RunResult r = e.run();
  std::error_code ec;
  fs::remove_all(dir, ec);
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure << broker.log();
  ASSERT_EQ(r.tls_handshakes, r.stats.connects_ok);
  ASSERT_GE(r.tls_resumed, 1u);
  ASSERT_GE(r.tls_handshakes - r.tls_resumed, static_cast<std::uint64_t>(kDevices));

  const auto report = cli::build_run_report(r, s, "2026-12-03T00:00:00Z");
  const auto root = boost::json::parse(metrics::report_to_json(report)).as_object();
  ASSERT_TRUE(root.contains("tls")) << metrics::report_to_json(report);
  const auto& tls = root.at("tls").as_object();
  EXPECT_EQ(tls.at("handshakes").to_number<std::uint64_t>(), r.tls_handshakes);
  EXPECT_EQ(tls.at("resumed").to_number<std::uint64_t>(), r.tls_resumed);
  const double full = tls.at("handshake_cpu_ms").at("full").to_number<double>();
  const double resumed = tls.at("handshake_cpu_ms").at("resumed").to_number<double>();
  EXPECT_GT(full, 0.0);
  EXPECT_GT(resumed, 0.0);
  // A full mTLS handshake verifies the broker's chain and signs with the device key; a
  // resumed one skips both.
  EXPECT_GT(full, resumed);
  // The handshakes' CPU is part of what the kernel charged the whole process.
  const double handshake_cpu_s =
      (full * static_cast<double>(r.tls_handshakes - r.tls_resumed) + resumed * static_cast<double>(r.tls_resumed)) / 1e3;
  EXPECT_LE(handshake_cpu_s, (r.cpu_user + r.cpu_system).count());

  const std::string summary = metrics::format_summary(report);
  EXPECT_NE(summary.find("client CPU per handshake: full "), std::string::npos) << summary;
}

}  // namespace
}  // namespace fleetload::engine
