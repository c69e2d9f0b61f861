// The fleetload binary as users meet it: help, version, validate over the shipped scenarios,
// bad input with exact messages and exit code 2, preflight refusal, SIGINT mid-run.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <iterator>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;

class FleetloadCli : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = make_temp_dir("cli");
  void TearDown() override {
    if (!HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) std::filesystem::remove_all(dir_);
  }
};

TEST_F(FleetloadCli, VersionPrintsTheProjectVersion) {
  const Outcome o = run_fleetload({"version"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(o.out.rfind("fleetload ", 0), 0u) << o.out;
}

TEST_F(FleetloadCli, HelpOnEveryCommandDocumentsExitCodes) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"run", "--help"}, {"help", "run"}, {"validate", "--help"}, {"version", "--help"}}) {
    const Outcome o = run_fleetload(args, dir_, 10s);
    EXPECT_EQ(o.status.code, 0) << o.describe();
    EXPECT_NE(o.out.find("Usage"), std::string::npos) << o.out;
    if (args[0] != "version") {
      EXPECT_NE(o.out.find("Exit codes"), std::string::npos) << o.out;
      EXPECT_NE(o.out.find("2 "), std::string::npos) << o.out;
    }
  }
}

TEST_F(FleetloadCli, BadArgumentsExitTwoWithTheReason) {
  Outcome o = run_fleetload({"launch"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err, "fleetload: unknown command \"launch\"; commands: run, validate, init, schema, certs, report, responder, version, help\n");
  o = run_fleetload({"run", "x.yaml", "--shard", "3/3"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err, "fleetload: --shard: K must be below N (shards are numbered 0..N-1), got \"3/3\"\n");
}

TEST_F(FleetloadCli, ValidateAcceptsEveryShippedScenario) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    ++files;
    // A scenario naming the user's own PKI (pki/..., e.g. the claim certificate of
    // aws-provisioning-by-claim.yaml) is validated without loading those files.
    std::ifstream in(e.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args{"validate", e.path().string()};
    if (text.find("\n  cert_filepath: pki/") != std::string::npos) args.push_back("--no-file-checks");
    const Outcome o = run_fleetload(args, dir_, 20s);
    EXPECT_EQ(o.status.code, 0) << e.path() << "\n" << o.describe();
    EXPECT_NE(o.out.find("target:"), std::string::npos) << e.path() << ": no resolved scenario on stdout";
  }
  EXPECT_GE(files, 5);
}

TEST_F(FleetloadCli, ValidatePrintsResolvedScenarioWithSecretsMasked) {
  const auto file = write_file(dir_, "secret.yaml",
                               "target: {endpoint: 127.0.0.1, port: 1883}\n"
                               "auth: {username: \"dev-{index}\", password: hunter2-not-shown}\n"
                               "fleet: {devices: 10}\n");
  const Outcome o = run_fleetload({"validate", file.string(), "--set", "fleet.devices=25"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(o.out.find("hunter2"), std::string::npos) << o.out;
  EXPECT_EQ(o.err.find("hunter2"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("***"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("devices: 25"), std::string::npos) << o.out;  // the override applied
  EXPECT_NE(o.out.find("keepalive"), std::string::npos) << o.out;    // defaults filled in
}

// Each bad file gives exit code 2 and exactly this message on stderr (file:line:col).
struct BadScenario {
  const char* name;
  const char* yaml;
  const char* message;  // after "<file>:"
};

TEST_F(FleetloadCli, BadScenariosExitTwoWithFileLineColumnMessages) {
  const BadScenario table[] = {
#include "e2e/bad_scenarios.inc"
  };
  for (const auto& b : table) {
    const auto file = write_file(dir_, std::string(b.name) + ".yaml", b.yaml);
    for (const char* cmd : {"validate", "run"}) {
      const Outcome o = run_fleetload({cmd, file.string()}, dir_, 10s);
      EXPECT_EQ(o.status.code, 2) << b.name << " " << cmd << "\n" << o.describe();
      EXPECT_EQ(o.err, file.string() + ":" + b.message + "\n") << b.name << " " << cmd;
      EXPECT_EQ(o.out, "") << b.name << " " << cmd << ": a bad file must not start anything";
    }
  }
}

TEST_F(FleetloadCli, BadOverrideNamesTheOverrideAndTheField) {
  const auto file = write_file(dir_, "ok.yaml", "target: {endpoint: 127.0.0.1, port: 1}\nfleet: {devices: 1}\n");
  Outcome o = run_fleetload({"validate", file.string(), "--set", "fleet.devics=3"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err, "--set fleet.devics=3: fleet.devics: unknown key \"devics\"; did you mean 'devices'?\n");
  o = run_fleetload({"run", file.string(), "--set", "fleet.devices=abc"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_EQ(o.err, "--set fleet.devices=abc: fleet.devices: expected a whole number from 1 to 100000000, got \"abc\"\n");
}

TEST_F(FleetloadCli, MissingFileIsBadInput) {
  const Outcome o = run_fleetload({"run", (dir_ / "nope.yaml").string()}, dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_NE(o.err.find("nope.yaml"), std::string::npos) << o.err;
}

TEST_F(FleetloadCli, BadDurationOptionIsBadInput) {
  const auto file = write_file(dir_, "ok.yaml", "target: {endpoint: 127.0.0.1, port: 1}\nfleet: {devices: 1}\n");
  const Outcome o = run_fleetload({"run", file.string(), "--duration", "soon"}, dir_, 10s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  // --duration is --set run.duration: the same parser names the field.
  EXPECT_EQ(o.err, "--duration soon: run.duration: expected a duration like 250ms, 30s, 5m or 1h (bare numbers are "
                   "seconds), got \"soon\"\n");
}

TEST_F(FleetloadCli, FleetBeyondTheDescriptorLimitIsRefusedBeforeStarting) {
  // The process may hold at most 20,000 files here; 50,000 devices cannot fit one process.
  const auto file =
      write_file(dir_, "big.yaml", "target: {endpoint: 127.0.0.1, port: 1}\nfleet: {devices: 50000}\n");
  const Outcome o = run_fleetload({"run", file.string(), "--report", (dir_ / "r.json").string()}, dir_, 20s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_NE(o.err.find("refusing to start"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("50000"), std::string::npos) << "the message gives the arithmetic\n" << o.err;
  EXPECT_NE(o.err.find("shard"), std::string::npos) << "the message says what to do\n" << o.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "r.json"));
  // With --shard the same fleet fits.
  const Outcome v = run_fleetload({"validate", file.string(), "--shard", "0/4"}, dir_, 20s);
  EXPECT_EQ(v.status.code, 0) << v.describe();
  EXPECT_EQ(v.err.find("would refuse"), std::string::npos) << v.err;
}

std::string idle_scenario(std::uint16_t port, int devices, const std::string& extra = "") {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) +
         ", protocol: mqtt5}\n"
         "fleet: {devices: " + std::to_string(devices) + ", connect_rate: 1000/s}\n"
         "session: {keepalive: 30s}\n"
         "publish: {topic: \"sig/{index}\", qos: 1, rate: 2/s}\n"
         "phases:\n  - type: ramp\n  - type: steady\n    duration: 60s\n" + extra;
}

TEST_F(FleetloadCli, SigintMidRunStopsCleanlyWritesReportAndExitsWithVerdict) {
  MosquittoBroker broker;
  const int devices = 200;
  const auto file = write_file(dir_, "sigint.yaml",
                               idle_scenario(broker.port(), devices, "thresholds: {connect_success_ratio: \">= 99%\"}\n"));
  const auto report = dir_ / "report.json";
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string()}, dir_);
  ASSERT_TRUE(wait_for_stderr(p, "connected 200/200", 30s)) << p.stderr_text() << broker.log();
  const auto sent_at = std::chrono::steady_clock::now();
  p.send_signal(SIGINT);
  const Outcome o = finish(p, 30s, report);
  const auto took = std::chrono::steady_clock::now() - sent_at;
  // Documented: an interrupted run exits with the thresholds verdict on what ran.
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_LT(took, 10s) << "graceful stop must finish within the shutdown grace";
  ASSERT_TRUE(o.report) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(r.at("run").at("exit_reason").as_string(), "interrupted");
  EXPECT_EQ(r.at("run").at("failure").as_string(), "SIGINT");
  EXPECT_EQ(counter(r, "connects_ok"), static_cast<std::uint64_t>(devices));
  EXPECT_EQ(counter(r, "clean_disconnects"), static_cast<std::uint64_t>(devices)) << "DISCONNECT from every device";
  EXPECT_TRUE(r.at("thresholds").at("passed").as_bool());
  EXPECT_NE(o.out.find("verdict: PASS"), std::string::npos) << o.out;
  EXPECT_LT(f64(r.at("run").at("wall_s")), 40.0) << "the run stopped at the signal, not at its 60 s end";
}

TEST_F(FleetloadCli, InterruptedRunWithBreachedThresholdExitsOne) {
  MosquittoBroker broker;
  // No connect takes 0 ms: the threshold is measured and breached.
  const auto file = write_file(dir_, "sigint-fail.yaml",
                               idle_scenario(broker.port(), 50, "thresholds: {p99_connect_time: \"<= 0ms\"}\n"));
  const auto report = dir_ / "report.json";
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string()}, dir_);
  ASSERT_TRUE(wait_for_stderr(p, "connected 50/50", 30s)) << p.stderr_text();
  p.send_signal(SIGTERM);
  const Outcome o = finish(p, 30s, report);
  EXPECT_EQ(o.status.code, 1) << o.describe();
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_FALSE(o.report->at("thresholds").at("passed").as_bool());
  EXPECT_EQ(o.report->at("verdict").as_string(), "fail");
  EXPECT_NE(o.out.find("verdict: FAIL"), std::string::npos) << o.out;
}

TEST_F(FleetloadCli, InterruptedRunWithNothingMeasuredIsInconclusive) {
  MosquittoBroker broker;
  // No subscriber: an e2e latency threshold has nothing measured: neither pass nor fail.
  const auto file = write_file(dir_, "sigint-none.yaml",
                               idle_scenario(broker.port(), 20, "thresholds: {p99_e2e_latency: \"<= 1s\"}\n"));
  const auto report = dir_ / "report.json";
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string()}, dir_);
  ASSERT_TRUE(wait_for_stderr(p, "connected 20/20", 30s)) << p.stderr_text();
  p.send_signal(SIGINT);
  const Outcome o = finish(p, 30s, report);
  EXPECT_EQ(o.status.code, 4) << o.describe();
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_EQ(o.report->at("verdict").as_string(), "inconclusive");
  EXPECT_EQ(o.report->at("run").at("exit_reason").as_string(), "interrupted");
  EXPECT_NE(o.out.find("verdict: INCONCLUSIVE (p99_e2e_latency: not measured: no subscriber received anything)"),
            std::string::npos) << o.out;
}

TEST_F(FleetloadCli, SecondSignalStopsAtOnceAndStillWritesTheReport) {
  MosquittoBroker broker;
  const auto file = write_file(dir_, "sig2.yaml", idle_scenario(broker.port(), 100));
  const auto report = dir_ / "report.json";
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string()}, dir_);
  ASSERT_TRUE(wait_for_stderr(p, "connected 100/100", 30s)) << p.stderr_text();
  // Freeze the broker so a graceful stop cannot complete by itself, then insist.
  broker.pause();
  p.send_signal(SIGINT);
  ASSERT_TRUE(wait_for_stderr(p, "send it again to stop at once", 5s)) << p.stderr_text();
  p.send_signal(SIGINT);
  const Outcome o = finish(p, 20s, report);
  broker.resume();
  EXPECT_TRUE(o.status.code == 0 || o.status.code == 1) << o.describe();
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_EQ(o.report->at("run").at("exit_reason").as_string(), "interrupted");
  EXPECT_EQ(o.report->at("run").at("failure").as_string(), "SIGINT twice: stopped at once");
  EXPECT_NE(o.err.find("stopping now"), std::string::npos) << o.err;
}

TEST_F(FleetloadCli, ReportLostDuringTheRunIsARuntimeFailure) {
  MosquittoBroker broker;
  const auto file = write_file(dir_, "short.yaml",
                               "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
                                   "}\nfleet: {devices: 10}\nphases:\n  - type: ramp\n  - {type: steady, duration: 2s}\n");
  // The place was fine when the run started (checked then); it is gone when the run ends.
  const auto report = dir_ / "gone" / "report.json";
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string()}, dir_);
  ASSERT_TRUE(wait_for_stderr(p, "connected 10/10", 30s)) << p.stderr_text();
  std::filesystem::remove_all(dir_ / "gone");
  write_file(dir_, "gone", "a file where the report directory was\n");
  const Outcome o = finish(p, 30s);
  EXPECT_EQ(o.status.code, 3) << o.describe();
  EXPECT_NE(o.err.find("cannot write the report to " + report.string()), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("verdict: PASS"), std::string::npos) << "the summary is still printed\n" << o.out;
}

TEST_F(FleetloadCli, NoProgressPrintsNoProgress) {
  MosquittoBroker broker;
  const auto file = write_file(dir_, "quiet.yaml",
                               "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
                                   "}\nfleet: {devices: 10}\nphases:\n  - type: ramp\n  - {type: steady, duration: 1500ms}\n");
  const Outcome o = run_fleetload({"run", file.string(), "--no-progress"}, dir_, 30s);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(o.err.find("connected 10/10"), std::string::npos) << "--no-progress prints no progress\n" << o.err;
  EXPECT_NE(o.out.find("verdict: PASS"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace fleetload::e2e
