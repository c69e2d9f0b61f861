// Signals at every moment of a run's end: a second SIGINT/SIGTERM, however late (after the
// summary, while the report is written, while the process tears down), never kills the
// process; the exit code is always the verdict's.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Polls the child's stdout for `needle` (the summary is the only signal the test has that
// the run reached its end), bounded; false when the child ended first or time ran out.
bool wait_for_stdout(ChildProcess& p, const std::string& needle, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (p.stdout_text().find(needle) != std::string::npos) return true;
    if (!p.running()) return false;
    std::this_thread::sleep_for(200us);
  }
  return false;
}

TEST(CliSignals, SignalsDuringShutdownNeverChangeTheExitCode) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  const fs::path dir = make_temp_dir("signals");
  const auto file = write_file(dir, "sig.yaml",
                               "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
                                   "}\nfleet: {devices: 10, connect_rate: 1000/s}\n"
                                   "publish: {topic: \"sig/{index}\", qos: 1, rate: 10/s}\n"
                                   "run: {duration: 300ms}\n");
  constexpr int kRuns = 8;
  int flooded = 0;
  for (int i = 0; i < kRuns; ++i) {
    const auto report = dir / ("r" + std::to_string(i) + ".json");
    ChildProcess p = spawn_fleetload({"run", file.string(), "--no-progress", "--no-metrics", "--report", report.string()},
                                     dir, "run" + std::to_string(i));
    // Even runs: from the summary on (the report is being written, then the process tears
    // down), odd runs: from a varying point of the run itself; then SIGINT and SIGTERM
    // alternately every 100 us until the process has ended, so every moment of the
    // shutdown gets a signal, the very last ones included.
    if (i % 2 == 0) {
      if (!wait_for_stdout(p, "verdict:", 20s)) {
        ADD_FAILURE() << "run " << i << " printed no summary\n" << p.stderr_text();
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(300 * i));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + 40 * i));
    }
    const auto flood_end = std::chrono::steady_clock::now() + 10s;
    for (int n = 0; p.running() && std::chrono::steady_clock::now() < flood_end; ++n) {
      p.send_signal(n % 2 == 0 ? SIGINT : SIGTERM);
      std::this_thread::sleep_for(100us);
    }
    ++flooded;
    const Outcome o = finish(p, 30s, report);
    EXPECT_EQ(o.status.signal, 0) << "run " << i << " was killed by a signal\n" << o.describe();
    EXPECT_TRUE(o.status.code == 0 || o.status.code == 1 || o.status.code == 4) << "run " << i << "\n" << o.describe();
    EXPECT_NE(o.out.find("verdict:"), std::string::npos) << "run " << i << "\n" << o.describe();
    if (HasFailure()) break;
  }
  EXPECT_EQ(flooded, kRuns);
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::e2e
