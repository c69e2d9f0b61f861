// `fleetload certs` end to end: the binary writes a fleet PKI, then `fleetload run` connects
// a small mTLS fleet with exactly the scenario lines it printed, against a mosquitto TLS
// listener built from its server certificate that requires client certificates (PEM files
// and PKCS#12 bundles). Also: a non-empty directory is refused without --force, the CA is
// reused with it, bad arguments exit 2, and the PKCS#12 password is never printed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kDevices = 12;
constexpr const char* kPassword = "e2e-P12-Secret-7f3a";

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The scenario lines `fleetload certs` printed (from "fleet:" to the blank line after them).
std::string printed_snippet(const std::string& out) {
  const auto head = out.find("# Scenario lines");
  if (head == std::string::npos) return "";
  const auto start = out.find("fleet:\n", head);
  const auto end = out.find("\n\n", start);
  return start == std::string::npos ? "" : out.substr(start, end == std::string::npos ? end : end - start + 1);
}

std::string listener_config(const fs::path& pki) {
  return "cafile " + (pki / "ca.crt").string() + "\ncertfile " + (pki / "server.crt").string() + "\nkeyfile " +
         (pki / "server.key").string() + "\nrequire_certificate true\nuse_identity_as_username true\n";
}

// Runs a short fleet with `snippet` (fleet + auth sections) against the broker: every device
// connects once over TLS and publishes; no secret in the output.
void run_fleet(const fs::path& dir, std::uint16_t port, const std::string& protocol, const std::string& snippet,
               const std::string& broker_log_hint) {
  const std::string yaml = "name: certs-e2e\n"
                           "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: " + protocol +
                           ", connect_timeout: 5s}\n" + snippet +
                           "session: {keepalive: 30s, clean_session: true}\n"
                           "publish: {topic: \"certs/{client_id}\", qos: 1, rate: 2/s, payload: 32B}\n"
                           "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 1500ms}\n";
  const auto file = write_file(dir, "fleet-" + protocol + ".yaml", yaml);
  const auto report = dir / ("report-" + protocol + ".json");
  const Outcome o = run_fleetload({"run", file.string(), "--report", report.string(), "--no-progress", "--no-metrics"},
                                  dir, 60s, report);
  ASSERT_TRUE(o.report) << o.describe() << broker_log_hint;
  EXPECT_EQ(o.status.code, 0) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(counter(r, "connects_ok"), static_cast<std::uint64_t>(kDevices)) << o.describe() << broker_log_hint;
  EXPECT_EQ(counter(r, "connect_failures"), 0u) << o.describe();
  EXPECT_GT(qos_counter(r, "publishes_acked", 1), 0u);
  EXPECT_EQ(o.out.find(kPassword), std::string::npos);
  EXPECT_EQ(o.err.find(kPassword), std::string::npos);
}

TEST(CertsCommand, PemFleetConnectsWithThePrintedScenarioLines) {
  const fs::path dir = make_temp_dir("certs-pem");
  const fs::path pki = dir / "pki";
  const Outcome gen = run_fleetload({"certs", "--devices", std::to_string(kDevices), "--out", pki.string(),
                                     "--client-id", "car-{index}", "--name", "ids/{client_id}", "--threads", "2"},
                                    dir, 60s);
  ASSERT_EQ(gen.status.code, 0) << gen.describe();
  const std::string snippet = printed_snippet(gen.out);
  ASSERT_NE(snippet.find("  mode: mtls_from_path\n"), std::string::npos) << gen.out;
  EXPECT_NE(snippet.find("ids/{client_id}.crt"), std::string::npos) << snippet;
  EXPECT_NE(gen.out.find("require_certificate true"), std::string::npos);  // the mosquitto lines
  EXPECT_TRUE(fs::exists(pki / "ids" / "car-0.crt"));
  EXPECT_TRUE(fs::exists(pki / "ids" / ("car-" + std::to_string(kDevices - 1) + ".key")));
  EXPECT_FALSE(fs::exists(pki / "ids" / ("car-" + std::to_string(kDevices) + ".key")));
  EXPECT_NE(read_text(pki / "devices.csv").find("\n3,car-3,ids/car-3.crt,ids/car-3.key\n"), std::string::npos);

  MosquittoBroker broker({.extra_config = listener_config(pki), .log_connections = true});
  run_fleet(dir, broker.port(), "mqtt311", snippet, broker.log());
  run_fleet(dir, broker.port(), "mqtt5", snippet, broker.log());
  // use_identity_as_username: the broker saw the certificate CN, which is the client id.
  EXPECT_NE(broker.log().find("u'car-5'"), std::string::npos) << broker.log();

  // The directory is not empty now: refused without --force, nothing touched.
  const std::string ca = read_text(pki / "ca.crt");
  const Outcome again = run_fleetload({"certs", "--devices", "2", "--out", pki.string()}, dir, 30s);
  EXPECT_EQ(again.status.code, 2) << again.describe();
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  // With --force the fleet grows under the same CA.
  const Outcome grow = run_fleetload({"certs", "--devices", "2", "--first-index", std::to_string(kDevices), "--out",
                                      pki.string(), "--client-id", "car-{index}", "--name", "ids/{client_id}", "--force"},
                                     dir, 30s);
  EXPECT_EQ(grow.status.code, 0) << grow.describe();
  EXPECT_NE(grow.out.find("(reused)"), std::string::npos) << grow.out;
  EXPECT_EQ(read_text(pki / "ca.crt"), ca);
  EXPECT_TRUE(fs::exists(pki / "ids" / ("car-" + std::to_string(kDevices + 1) + ".crt")));
}

TEST(CertsCommand, Pkcs12FleetConnectsAndThePasswordIsNeverPrinted) {
  const fs::path dir = make_temp_dir("certs-p12");
  const fs::path pki = dir / "pki";
  ::setenv("CERTS_E2E_P12", kPassword, 1);
  const Outcome gen = run_fleetload({"certs", "--devices", std::to_string(kDevices), "--out", pki.string(),
                                     "--key-type", "rsa2048", "--pkcs12", "--pkcs12-password-env", "CERTS_E2E_P12"},
                                    dir, 60s);
  ASSERT_EQ(gen.status.code, 0) << gen.describe();
  EXPECT_EQ(gen.out.find(kPassword), std::string::npos);
  EXPECT_EQ(gen.err.find(kPassword), std::string::npos);
  const std::string snippet = printed_snippet(gen.out);
  ASSERT_NE(snippet.find("  mode: mtls_with_pkcs12\n"), std::string::npos) << gen.out;
  EXPECT_NE(snippet.find("${CERTS_E2E_P12}"), std::string::npos) << snippet;
  for (const auto& e : fs::recursive_directory_iterator(pki)) {
    if (e.is_regular_file()) {
      EXPECT_EQ(read_text(e.path()).find(kPassword), std::string::npos) << e.path();
    }
  }
  MosquittoBroker broker({.extra_config = listener_config(pki), .log_connections = false});
  run_fleet(dir, broker.port(), "mqtt311", snippet, broker.log());
}

TEST(CertsCommand, BadArgumentsExitTwoWithOneClearLine) {
  const fs::path dir = make_temp_dir("certs-bad");
  Outcome o = run_fleetload({"certs", "--devices", "lots", "--out", (dir / "x").string()}, dir, 30s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err, "fleetload: certs: --devices: expected a whole number from 1 to 100000000, got \"lots\"\n");
  EXPECT_FALSE(fs::exists(dir / "x"));
  o = run_fleetload({"certs", "--devices", "1", "--out", (dir / "x").string(), "--pkcs12-password", "pw"}, dir, 30s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err.find("pw\""), std::string::npos) << o.err;
  // A file where the directory should be.
  std::ofstream(dir / "file") << "x";
  o = run_fleetload({"certs", "--devices", "1", "--out", (dir / "file").string()}, dir, 30s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_NE(o.err.find("not a directory"), std::string::npos) << o.err;
  o = run_fleetload({"help", "certs"}, dir, 30s);
  EXPECT_EQ(o.status.code, 0);
  EXPECT_NE(o.out.find("Usage: fleetload certs --devices N --out DIR"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace fleetload::e2e
