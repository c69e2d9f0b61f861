// The open-files preflight counts what the worker threads cost, through the fleetload binary
// under a limit the test sets for it (ulimit -n in a shell that then execs fleetload): 900
// devices on 32 threads under 1000 descriptors are refused with the arithmetic before
// anything connects, and at exactly the number the refusal says is needed the same fleet
// runs with every device connected (mosquitto counts them) and no local-limit error.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kDevices = 900;

std::size_t occurrences(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// fleetload run under `ulimit -n limit` (soft and hard, for the child only).
Outcome run_limited(const fs::path& dir, const fs::path& scenario, std::uint64_t limit, const fs::path& report) {
  ChildProcess p({"/bin/sh", "-c", "ulimit -n \"$1\" && shift && exec \"$@\"", "sh", std::to_string(limit),
                  fleetload_binary().string(), "run", scenario.string(), "--threads", "32", "--no-progress",
                  "--no-metrics", "--report", report.string()},
                 dir / ("run-" + std::to_string(limit) + ".out"), dir / ("run-" + std::to_string(limit) + ".err"));
  return finish(p, 120s, report);
}

TEST(Limits, WorkerThreadsDescriptorsAreCountedBeforeTheRun) {
  MosquittoBroker broker;
  const fs::path dir = make_temp_dir("limits");
  const fs::path scenario = write_file(
      dir, "s.yaml",
      "target: {endpoint: \"127.0.0.1:" + std::to_string(broker.port()) + "\"}\n"
      "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 3000/s}\n"
      "session: {keepalive: 60s}\n"
      "phases:\n  - type: ramp\n  - {type: steady, duration: 1500ms}\n");
  const fs::path report = dir / "report.json";
  // 900 + 64 fit under 1000, which is all the old check counted: the 32 worker loops and the
  // two control loops do not.
  const Outcome refused = run_limited(dir, scenario, 1000, report);
  ASSERT_EQ(refused.status.code, 2) << refused.describe();
  EXPECT_FALSE(refused.report.has_value());
  EXPECT_EQ(occurrences(broker.log(), "New client connected"), 0u);
  std::smatch m;
  const std::regex need("open files \\(RLIMIT_NOFILE\\): need ([0-9]+), have 1000; 900 devices \\+ [0-9]+ open now \\+ "
                        "32 worker threads x ([0-9]+) \\+ 2 control loops x ([0-9]+) \\+ 32 spare");
  ASSERT_TRUE(std::regex_search(refused.err, m, need)) << refused.err;
  const std::uint64_t needed = std::stoull(m[1]);
  EXPECT_GT(needed, 1000u);
  EXPECT_NE(refused.err.find("use at most --threads"), std::string::npos) << refused.err;

  // At exactly what it said it needs, the same run holds every device without a local error.
  const Outcome ok = run_limited(dir, scenario, needed, report);
  ASSERT_TRUE(ok.report.has_value()) << ok.describe();
  const auto& rep = *ok.report;
  EXPECT_EQ(counter(rep, "connects_ok"), static_cast<std::uint64_t>(kDevices)) << ok.describe();
  EXPECT_EQ(u64(rep.at("errors").at("local_limit")), 0u);
  EXPECT_EQ(occurrences(broker.log(), "New client connected"), static_cast<std::size_t>(kDevices));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::e2e
