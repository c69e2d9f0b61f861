// Device groups cost no threads: ten groups with --threads 2 run on two OS threads (counted
// from /proc/self/task while the run is on, not from the report), every device of every
// group connects, and the books of each group balance.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "e2e/mosquitto_fixture.hpp"
#include "engine/engine.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::engine {
namespace {

std::size_t os_threads() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST(EngineGroups, TenGroupsRunOnTheRequestedTwoThreadsAllConnectBooksBalanced) {
  e2e::MosquittoBroker broker({.extra_config = "", .log_connections = false});
  // Nine groups of 40 and one of a single device (fewer devices than threads: one slice).
  std::string yaml = "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
                     ", protocol: mqtt311, connect_timeout: 2s}\n"
                     "fleet: {devices: 361, connect_rate: 1000/s}\n"
                     "session: {keepalive: 30s, clean_session: true}\n"
                     "publish: {topic: \"grp/{index}/t\", qos: 1, rate: 2/s, payload: 32B}\n"
                     "run: {progress_interval: 500ms}\n"
                     "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 3s}\n"
                     "groups:\n";
  for (int g = 0; g < 9; ++g)
    yaml += "  - {name: g" + std::to_string(g) + ", devices: 40, session: {keepalive: " + std::to_string(20 + g) +
            "s}, fleet: {client_id: \"g" + std::to_string(g) + "-{group_index}\"}}\n";
  yaml += "  - {name: lone, devices: 1, fleet: {client_id: \"lone-{group_index}\"}}\n";
  const auto s = scenario::parse_scenario(yaml, "groups-threads.yaml");
  RunOptions o;
  o.threads = 2;
  std::size_t during = 0;  // OS threads while every device is connected
  o.on_progress = [&](const Progress& p) {
    if (p.connected == p.target && during == 0) during = os_threads();
  };
  Engine e(s, o);
  const std::size_t before = os_threads();
  const RunResult r = e.run();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure << broker.log();
  ASSERT_GT(during, 0u) << "never saw every device connected";
  EXPECT_EQ(during - before, 2u) << "threads before " << before << ", during " << during;
  EXPECT_EQ(r.threads, 2u);
  EXPECT_EQ(r.stats.connects_ok, 361u);
  EXPECT_EQ(r.stats.clean_disconnects, 361u);
  EXPECT_EQ(r.stats.connected, 0);
  EXPECT_EQ(r.local_limit_errors + r.broker_errors, 0u);
  EXPECT_GT(r.stats.publish_requests[1], 0u);
  EXPECT_TRUE(r.stats.books_balance(1, 0));
  EXPECT_EQ(r.stats.publishes_acked[1], r.stats.publish_requests[1]);
  ASSERT_EQ(r.groups.size(), 10u);
  std::uint64_t connects = 0;
  for (const auto& g : r.groups) {
    EXPECT_EQ(g.stats.connects_ok, g.devices) << g.name;
    EXPECT_EQ(g.stats.clean_disconnects, g.devices) << g.name;
    EXPECT_GT(g.stats.publish_requests[1], 0u) << g.name;
    EXPECT_TRUE(g.stats.books_balance(1, 0)) << g.name;
    connects += g.stats.connects_ok;
  }
  EXPECT_EQ(r.groups.back().devices, 1u);
  EXPECT_EQ(connects, 361u);
}

}  // namespace
}  // namespace fleetload::engine
