// Inputs that must take effect or be refused, never be ignored, through the fleetload binary:
// --set target.port, --report checked before the run, --duration as --set run.duration,
// strict --metrics-listen / --pushgateway addresses, secrets on the command line, and
// `fleetload certs --force` never writing through a planted symlink.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class CliInputs : public ::testing::Test {
 protected:
  fs::path dir_ = make_temp_dir("inputs");
  void TearDown() override {
    if (!HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_);
  }
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size())) ++n;
  return n;
}

std::size_t mqtt_connections(const MosquittoBroker& b) { return count_of(b.log(), "New client connected from"); }

TEST_F(CliInputs, SetTargetPortWinsOverThePortInTheEndpointString) {
  MosquittoBroker broker;
  const std::uint16_t stale = pick_free_port();  // the file names a port nobody listens on
  const auto file = write_file(dir_, "port.yaml",
                               "target: {endpoint: \"127.0.0.1:" + std::to_string(stale) +
                                   "\", connect_timeout: 1s}\n"
                                   "fleet: {devices: 6}\nrun: {duration: 1s}\n");
  const auto report = dir_ / "r.json";
  const Outcome o = run_fleetload({"run", file.string(), "--set", "target.port=" + std::to_string(broker.port()),
                                   "--report", report.string(), "--no-progress", "--no-metrics"},
                                  dir_, 30s, report);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(mqtt_connections(broker), 6u) << "the run reached the broker on the overridden port\n" << broker.log();
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_NE(std::string(o.report->at("scenario").at("resolved_yaml").as_string())
                .find("127.0.0.1:" + std::to_string(broker.port())),
            std::string::npos);
  // The same for every endpoint of a list.
  const auto list = write_file(dir_, "list.yaml",
                               "target:\n  endpoints: [\"127.0.0.1:" + std::to_string(stale) + "\", {host: 127.0.0.1, port: " +
                                   std::to_string(stale) + "}]\nfleet: {devices: 2}\n");
  const Outcome v = run_fleetload({"validate", list.string(), "--set", "target.port=1884"}, dir_, 10s);
  EXPECT_EQ(v.status.code, 0) << v.describe();
  EXPECT_EQ(count_of(v.out, "127.0.0.1:1884"), 2u) << v.out;
  EXPECT_EQ(v.out.find(std::to_string(stale)), std::string::npos) << v.out;
}

// A connect_rate search connects new devices every step, from alternate halves of the fleet:
// a fleet too small for `to` x `hold` twice is refused before any device connects, naming
// the size it needs (the example's 1600/s x 20 s x 2).
TEST_F(CliInputs, ConnectRateSearchOnATooSmallFleetIsRefusedBeforeAnyConnect) {
  MosquittoBroker broker;
  const auto file = source_dir() / "scenarios" / "find-max-connect-rate.yaml";
  const Outcome v = run_fleetload({"validate", file.string()}, dir_, 10s);
  EXPECT_EQ(v.status.code, 0) << v.describe();
  EXPECT_NE(v.out.find("vary: \"connect_rate\""), std::string::npos) << v.out;
  const Outcome o = run_fleetload({"run", file.string(), "--set", "target.port=" + std::to_string(broker.port()),
                                   "--set", "fleet.devices=20", "--no-progress", "--no-metrics"},
                                  dir_, 30s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_NE(o.err.find("phases.0: fleet.devices (20) is too small for this connect_rate search"), std::string::npos)
      << o.describe();
  EXPECT_NE(o.err.find("2 x to x hold = 64000 devices"), std::string::npos) << o.describe();
  EXPECT_EQ(mqtt_connections(broker), 0u) << broker.log();
}

TEST_F(CliInputs, PortAndAnEndpointNamingAnotherPortInTheFileIsAnError) {
  const auto file = write_file(dir_, "conflict.yaml",
                               "target:\n  endpoint: \"127.0.0.1:18830\"\n  port: 1883\nfleet: {devices: 1}\n");
  const Outcome o = run_fleetload({"validate", file.string()}, dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err, file.string() +
                       ":3:9: target.port: 1883 conflicts with the port of target.endpoint \"127.0.0.1:18830\" "
                       "(line 2); give the port in one place\n");
  EXPECT_EQ(o.out, "");
}

TEST_F(CliInputs, UnwritableReportIsRefusedBeforeTheRunStarts) {
  MosquittoBroker broker;
  const auto file = write_file(dir_, "long.yaml",
                               "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
                                   "}\nfleet: {devices: 5}\nrun: {duration: 30s}\n");
  write_file(dir_, "plain-file", "not a directory\n");
  const auto report = dir_ / "plain-file" / "sub" / "report.json";
  const auto t0 = std::chrono::steady_clock::now();
  const Outcome o = run_fleetload({"run", file.string(), "--report", report.string(), "--no-progress", "--no-metrics"},
                                  dir_, 60s);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_LT(took, 1s) << "refused before the run, not after 30 s";
  EXPECT_NE(o.err.find("--report " + report.string() + ": cannot create the directory"), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "") << "no run, no summary";
  EXPECT_EQ(mqtt_connections(broker), 0u) << broker.log();
  // An existing directory where the JSON file should go is refused the same way.
  fs::create_directories(dir_ / "taken.json");
  const Outcome d = run_fleetload({"run", file.string(), "--report", (dir_ / "taken.json").string(), "--no-progress",
                                   "--no-metrics"},
                                  dir_, 60s);
  EXPECT_EQ(d.status.code, 2) << d.describe();
  EXPECT_NE(d.err.find("is a directory"), std::string::npos) << d.err;
  EXPECT_EQ(mqtt_connections(broker), 0u) << broker.log();
}

TEST_F(CliInputs, ReportParentDirectoriesAreCreated) {
  MosquittoBroker broker;
  const auto file = write_file(dir_, "short.yaml",
                               "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
                                   "}\nfleet: {devices: 3}\nrun: {duration: 1s}\n");
  const auto report = dir_ / "new" / "deeper" / "report.json";
  const Outcome o = run_fleetload({"run", file.string(), "--report", report.string(), "--no-progress", "--no-metrics"},
                                  dir_, 30s, report);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_TRUE(fs::exists(dir_ / "new" / "deeper" / "report.html"));
}

TEST_F(CliInputs, DurationFlagIsExactlySetRunDuration) {
  // No phases: the default ramp + steady phases fill run.duration, whichever way it is given.
  const auto file = write_file(dir_, "d.yaml", "target: {endpoint: 127.0.0.1, port: 1}\nfleet: {devices: 100, "
                                               "connect_rate: 50/s}\n");
  const Outcome flag = run_fleetload({"validate", file.string(), "--duration", "7s"}, dir_, 10s);
  const Outcome set = run_fleetload({"validate", file.string(), "--set", "run.duration=7s"}, dir_, 10s);
  ASSERT_EQ(flag.status.code, 0) << flag.describe();
  ASSERT_EQ(set.status.code, 0) << set.describe();
  EXPECT_EQ(flag.out, set.out);
  EXPECT_NE(flag.out.find("duration: 5s"), std::string::npos) << "steady = 7 s - 2 s of ramp\n" << flag.out;
  // Same parsing, same errors.
  const Outcome bad = run_fleetload({"run", file.string(), "--duration", "0"}, dir_, 10s);
  EXPECT_EQ(bad.status.code, 2) << bad.describe();
  EXPECT_EQ(bad.err, "--duration 0: run.duration: expected a duration above 0, got \"0\"\n");
}

TEST_F(CliInputs, MetricsListenAndPushgatewayAddressesAreParsedStrictly) {
  const auto file = write_file(dir_, "m.yaml", "target: {endpoint: 127.0.0.1, port: 1}\nfleet: {devices: 1}\n"
                                               "run: {duration: 20s}\n");
  const std::string port = std::to_string(pick_free_port());
  // inet_aton would read 383.0.0.1 as 127.0.0.1 and 999.1.1.1 as 231.1.1.1.
  for (const std::string& bad : std::vector<std::string>{"999.1.1.1:" + port, "383.0.0.1:" + port, "127.1:" + port,
                                                          "127.0.0.1:99999", "127.0.0.1:", "[::1:" + port}) {
    const auto t0 = std::chrono::steady_clock::now();
    const Outcome o = run_fleetload({"run", file.string(), "--no-progress", "--metrics-listen", bad}, dir_, 30s);
    EXPECT_EQ(o.status.code, 2) << bad << "\n" << o.describe();
    EXPECT_EQ(o.err.rfind("fleetload: --metrics-listen: ", 0), 0u) << o.err;
    EXPECT_NE(o.err.find(bad), std::string::npos) << o.err;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << "refused before the run";
  }
  for (const std::string& bad : std::vector<std::string>{"http://999.1.1.1:" + port, "http://383.0.0.1:" + port,
                                                          "http://127.1:" + port, "http://127.0.0.1:99999",
                                                          "http://:9091"}) {
    const Outcome o =
        run_fleetload({"run", file.string(), "--no-progress", "--no-metrics", "--pushgateway", bad}, dir_, 30s);
    EXPECT_EQ(o.status.code, 2) << bad << "\n" << o.describe();
    EXPECT_EQ(o.err.rfind("fleetload: --pushgateway: ", 0), 0u) << o.err;
  }
  // A host name is resolved once, before the run: localhost listens on loopback.
  const Outcome ok = run_fleetload({"run", file.string(), "--no-progress", "--duration", "1s", "--metrics-listen",
                                    "localhost:" + port},
                                   dir_, 30s);
  EXPECT_EQ(ok.err.find("--metrics-listen"), std::string::npos) << ok.describe();
}

TEST_F(CliInputs, SecretsInOverridesAreMaskedAndWarnedAbout) {
  const auto file = write_file(dir_, "s.yaml", "target: {endpoint: 127.0.0.1, port: 1}\nfleet: {devices: 2}\n");
  // A typo of a secret key: the value is masked in the error.
  Outcome o = run_fleetload({"validate", file.string(), "--set", "auth.pasword=Typo-Secret-4417"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err.find("Typo-Secret-4417"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("auth.pasword=***"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("did you mean 'password'"), std::string::npos) << o.err;
  // A known secret reused in another field is masked there too (resolved output, errors).
  o = run_fleetload({"validate", file.string(), "--set", "auth.password=Hunter-Two-9931", "--set",
                     "fleet.client_id=Hunter-Two-9931-{index}"},
                    dir_, 10s);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(o.out.find("Hunter-Two-9931"), std::string::npos) << o.out;
  EXPECT_EQ(o.err.find("Hunter-Two-9931"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("visible to every user"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("/proc"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("${"), std::string::npos) << "points to ${ENV}\n" << o.err;
  o = run_fleetload({"validate", file.string(), "--set", "auth.password=Hunter-Two-9931", "--set",
                     "fleet.devices=Hunter-Two-9931"},
                    dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err.find("Hunter-Two-9931"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("fleet.devices: expected a whole number"), std::string::npos) << o.err;
  // A secret taken from the environment is not on the command line: no warning.
  ::setenv("CLI_INPUTS_PW", "from-the-env", 1);
  o = run_fleetload({"validate", file.string(), "--set", "auth.password=${CLI_INPUTS_PW}"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(o.err.find("visible to every user"), std::string::npos) << o.err;
  EXPECT_EQ(o.out.find("from-the-env"), std::string::npos) << o.out;
}

TEST_F(CliInputs, CertsForceNeverWritesThroughAPlantedSymlink) {
  const fs::path out = dir_ / "pki";
  ASSERT_EQ(run_fleetload({"certs", "--devices", "2", "--out", out.string()}, dir_, 60s).status.code, 0);
  // Someone with write access to DIR plants links where the keys and certificates go.
  const fs::path victim = dir_ / "victim.txt";
  write_file(dir_, "victim.txt", "precious\n");
  for (const char* name : {"device-0.key", "device-1.crt", "server.key", "devices.csv"}) {
    fs::remove(out / name);
    fs::create_symlink(victim, out / name);
  }
  const Outcome o = run_fleetload({"certs", "--devices", "2", "--out", out.string(), "--force"}, dir_, 60s);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(read_file(victim), "precious\n") << "written through a symlink";
  for (const char* name : {"device-0.key", "device-1.crt", "server.key", "devices.csv"}) {
    EXPECT_FALSE(fs::is_symlink(out / name)) << name;
    EXPECT_TRUE(fs::is_regular_file(out / name)) << name;
  }
  struct stat st{};
  ASSERT_EQ(::stat((out / "device-0.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(read_file(out / "device-0.key").find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace fleetload::e2e
