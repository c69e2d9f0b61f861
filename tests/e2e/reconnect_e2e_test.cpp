// Broker killed and restarted mid-run: every device returns, and the reconnect delays have
// the shape the jitter mode promises (aws doc §7), read from the report's delay histogram.
#include <gtest/gtest.h>

#include <cstdio>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;

constexpr int kDevices = 1000;

struct Restarted {
  Outcome outcome;
  std::filesystem::path dir;
};

// Runs the fleet, kills the broker once all are connected, restarts it on the same port at
// once, and lets the run finish.
Restarted run_with_broker_restart(const std::string& jitter, const std::string& protocol) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  Restarted res;
  res.dir = make_temp_dir("reconnect-" + jitter);
  const auto file = write_file(
      res.dir, "rc.yaml",
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + ", protocol: " + protocol +
          "}\n"
          "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 2000/s}\n"
          "session: {keepalive: 30s, clean_session: true}\n"
          "reconnect: {min_delay: 1s, max_delay: 8s, jitter: " + jitter + "}\n"
          "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 12s}\n");
  const auto report = res.dir / "report.json";
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string()}, res.dir);
  if (!wait_for_stderr(p, "connected 1000/1000", 20s)) {
    res.outcome = finish(p, 1s, report);
    return res;
  }
  broker.kill();
  broker.restart();
  res.outcome = finish(p, 60s, report);
  return res;
}

void expect_everyone_returned(const boost::json::value& r) {
  EXPECT_EQ(u64(r.at("run").at("connected_at_end")), static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(counter(r, "drops"), static_cast<std::uint64_t>(kDevices)) << "each device lost its connection once";
  EXPECT_EQ(u64(r.at("totals").at("drops_by_reason").at("socket_error")), static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(counter(r, "connects_ok"), static_cast<std::uint64_t>(2 * kDevices));
}

TEST(ReconnectE2e, FullJitterSpreadsDelaysUniformlyBelowMinDelay) {
  const Restarted res = run_with_broker_restart("full", "mqtt5");
  const Outcome& o = res.outcome;
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_EQ(o.status.code, 0) << o.describe();
  const auto& r = *o.report;
  expect_everyone_returned(r);
  // Full jitter, first attempt: delay = rand(0, min_delay) = U[0, 1 s). A few devices drew a
  // delay shorter than the broker's restart and retry from U[0, 2 s); the bulk stays uniform.
  const auto& h = histogram(r, "reconnect_delay");
  ASSERT_GE(u64(h.at("count")), static_cast<std::uint64_t>(kDevices));
  std::printf("reconnect_delay (full jitter): count %llu, p10 %.3f s, p25 %.3f s, p50 %.3f s, p75 %.3f s, p90 %.3f s\n",
              static_cast<unsigned long long>(u64(h.at("count"))), histogram_quantile_s(h, 0.1),
              histogram_quantile_s(h, 0.25), histogram_quantile_s(h, 0.5), histogram_quantile_s(h, 0.75),
              histogram_quantile_s(h, 0.9));
  // Quantiles of U[0, 1 s) are q seconds; 0.06 s is about 3.5 standard errors at n = 1000.
  for (double q : {0.1, 0.25, 0.5, 0.75, 0.9}) {
    EXPECT_NEAR(histogram_quantile_s(h, q), q, 0.06) << "quantile " << q;
  }
  EXPECT_GE(histogram_share_below(h, 1.0), 0.85) << "full jitter keeps first delays below min_delay";
  EXPECT_LT(f64(h.at("min_ms")), 50.0) << "delays start near zero";
  EXPECT_LE(f64(h.at("max_ms")), 8000.0) << "never above max_delay";
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(res.dir);
}

TEST(ReconnectE2e, NoJitterWaitsExactlyMinDelay) {
  const Restarted res = run_with_broker_restart("none", "mqtt311");
  const Outcome& o = res.outcome;
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_EQ(o.status.code, 0) << o.describe();
  const auto& r = *o.report;
  expect_everyone_returned(r);
  // No jitter: delay = min(max, min * 2^n); after one drop, n = 0, so exactly 1 s for all.
  const auto& h = histogram(r, "reconnect_delay");
  ASSERT_GE(u64(h.at("count")), static_cast<std::uint64_t>(kDevices));
  EXPECT_NEAR(f64(h.at("min_ms")), 1000.0, 10.0);
  EXPECT_NEAR(f64(h.at("p50_ms")), 1000.0, 10.0);
  EXPECT_NEAR(f64(h.at("p99_ms")), 1000.0, 10.0);
  // The whole fleet came back in the same second, one min_delay after the kill.
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(res.dir);
}

}  // namespace
}  // namespace fleetload::e2e
