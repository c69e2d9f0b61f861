// What validate and run check after parsing, through the fleetload binary: rendered client
// ids and topics that are no valid MQTT strings (over 65,535 bytes, invalid UTF-8) and
// identity files that are missing are refused with exit 2 at the template's file:line:column
// before anything connects; validate says what it checked, and --no-file-checks skips files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "auth/certgen.hpp"
#include "e2e/fleetload_runner.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Checks : public ::testing::Test {
 protected:
  fs::path dir_ = make_temp_dir("checks");
  void TearDown() override {
    if (!HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_);
  }
  fs::path file(const std::string& yaml) { return write_file(dir_, "s.yaml", yaml); }
};

TEST_F(Checks, AnOverlongTopicIsRefusedByValidateAndRunAtItsTemplate) {
  const fs::path f = file("target: {endpoint: \"127.0.0.1:1\"}\nfleet: {devices: 2}\npublish: {rate: 1/s, topic: \"t/" +
                          std::string(70000, 'y') + "\"}\n");
  const std::string expected = f.string() +
                               ":3:29: publish.topic: rendered for device 0, is 70,002 bytes; an MQTT string holds at "
                               "most 65,535 (MQTT 5 §1.5.4)\n";
  const Outcome v = run_fleetload({"validate", f.string()}, dir_, 20s);
  EXPECT_EQ(v.status.code, 2) << v.describe();
  EXPECT_EQ(v.err, expected);
  EXPECT_EQ(v.out, "");
  const fs::path report = dir_ / "r.json";
  const Outcome r = run_fleetload({"run", f.string(), "--report", report.string(), "--no-metrics"}, dir_, 20s, report);
  EXPECT_EQ(r.status.code, 2) << r.describe();
  EXPECT_EQ(r.err, expected);
  EXPECT_FALSE(r.report.has_value());  // refused before starting: nothing ran
}

TEST_F(Checks, AClientIdThatIsNotUtf8IsRefused) {
  ::setenv("FLEETLOAD_CHECKS_E2E_ID", "dev\xc3(", 1);
  const fs::path f = file("target: {endpoint: \"127.0.0.1:1\"}\nfleet: {devices: 5, client_id: \"${FLEETLOAD_CHECKS_E2E_ID}{index}\"}\n");
  const Outcome v = run_fleetload({"validate", f.string()}, dir_, 20s);
  ::unsetenv("FLEETLOAD_CHECKS_E2E_ID");
  EXPECT_EQ(v.status.code, 2) << v.describe();
  EXPECT_EQ(v.err, f.string() + ":2:32: fleet.client_id: rendered for device 0, \"dev?(0\" is not valid UTF-8 (or holds "
                                "U+0000); MQTT strings must be (MQTT 5 §1.5.4)\n");
}

TEST_F(Checks, IdentityFilesMustExistUnlessValidateIsToldNotToLookAtThem) {
  auth::CertOptions o;
  o.out_dir = dir_ / "certs";
  o.devices = 3;
  o.threads = 1;
  auth::generate_fleet_certs(o);
  const std::string auth = "auth:\n  mode: mtls_from_path\n  cert_filepath: " + (o.out_dir / "device-{index}.crt").string() +
                           "\n  pri_key_filepath: " + (o.out_dir / "device-{index}.key").string() + "\n  ca_filepath: ";
  const std::string head = "target: {endpoint: \"127.0.0.1:8883\"}\nfleet: {devices: 3}\n";
  // All there: valid, and validate says what it loaded.
  Outcome v = run_fleetload({"validate", file(head + auth + (o.out_dir / "ca.crt").string() + "\n").string()}, dir_, 20s);
  EXPECT_EQ(v.status.code, 0) << v.describe();
  EXPECT_NE(v.err.find("checked: TLS identity and trust store loaded for devices 0 and 2"), std::string::npos) << v.err;
  // The last device's key is gone: refused, at the option, naming the file and the device.
  fs::remove(o.out_dir / "device-2.key");
  const fs::path f = file(head + auth + (o.out_dir / "ca.crt").string() + "\n");
  v = run_fleetload({"validate", f.string()}, dir_, 20s);
  EXPECT_EQ(v.status.code, 2) << v.describe();
  EXPECT_EQ(v.err, f.string() + ":6:21: auth.pri_key_filepath: file_missing: pri_key_filepath \"" +
                       (o.out_dir / "device-2.key").string() + "\": no such file (rendered for device 2)\n");
  // A scenario meant for another machine: the files are not looked at, and validate says so.
  v = run_fleetload({"validate", f.string(), "--no-file-checks"}, dir_, 20s);
  EXPECT_EQ(v.status.code, 0) << v.describe();
  EXPECT_NE(v.err.find("checked: identity files not loaded (--no-file-checks)"), std::string::npos) << v.err;
}

}  // namespace
}  // namespace fleetload::e2e
