// Keepalive against a real mosquitto: PINGREQs at the configured interval, and a broker that
// stops answering (SIGSTOP) detected within keepalive + ping timeout, counted as ping_timeout,
// whether the devices are idle or publish QoS 1 faster than their keepalive.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;

std::string keepalive_scenario(std::uint16_t port, int devices, int keepalive_s, const std::string& ping_timeout,
                               const std::string& steady, const std::string& extra = "") {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) +
         ", protocol: mqtt311}\n"
         "fleet: {devices: " + std::to_string(devices) + ", connect_rate: 1000/s}\n"
         "session: {keepalive: " + std::to_string(keepalive_s) + "s, ping_timeout: " + ping_timeout +
         ", connack_timeout: 2s, clean_session: true}\n"
         "reconnect: {min_delay: 1s, max_delay: 2s, jitter: none}\n" + extra +
         "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: " + steady + "}\n";
}

TEST(KeepaliveE2e, PingsAreSentEveryKeepaliveIntervalAndAnswered) {
  MosquittoBroker broker;
  const auto dir = make_temp_dir("keepalive");
  constexpr int kDevices = 200;
  constexpr int kKeepalive = 2;
  const auto file = write_file(dir, "ka.yaml", keepalive_scenario(broker.port(), kDevices, kKeepalive, "1s", "10s"));
  const auto report = dir / "report.json";
  const Outcome o = run_fleetload({"run", file.string(), "--report", report.string()}, dir, 60s, report);
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_EQ(o.status.code, 0) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(counter(r, "connects_ok"), static_cast<std::uint64_t>(kDevices));
  // Idle devices send nothing but PINGREQ: one per keepalive interval while connected.
  // The steady phase is 10 s and the ramp 0.2 s, so each device is connected ~10 s: 5 pings,
  // give or take one at either end.
  const double connected_s = 10.0;
  const double per_device = static_cast<double>(counter(r, "pings_sent")) / kDevices;
  EXPECT_GE(per_device, connected_s / kKeepalive - 1.0) << "pings per device " << per_device;
  EXPECT_LE(per_device, connected_s / kKeepalive + 1.0) << "pings per device " << per_device;
  // mosquitto answers every PINGREQ; only one per device may be unanswered at the stop.
  EXPECT_LE(counter(r, "pings_answered"), counter(r, "pings_sent"));
  EXPECT_GE(counter(r, "pings_answered") + kDevices, counter(r, "pings_sent"));
  EXPECT_EQ(counter(r, "ping_timeouts"), 0u);
  const auto& rtt = histogram(r, "ping_rtt");
  EXPECT_EQ(u64(rtt.at("count")), counter(r, "pings_answered"));
  EXPECT_LT(f64(rtt.at("p99_ms")), 500.0);
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}

// Freezes the broker once every device is connected (after one keepalive round), keeps it
// frozen past keepalive + ping timeout, and checks every device was dropped for a missing
// PINGRESP within keepalive + ping timeout of the freeze (+1 s for the series sampling).
void expect_stopped_broker_detected(const std::string& extra, const std::string& tag) {
  MosquittoBroker broker;
  const auto dir = make_temp_dir(tag);
  constexpr int kDevices = 100;
  constexpr double kKeepalive = 2.0;
  constexpr double kPingTimeout = 1.0;
  const auto file = write_file(dir, "pt.yaml", keepalive_scenario(broker.port(), kDevices, 2, "1s", "14s", extra));
  const auto report = dir / "report.json";
  const auto spawned = std::chrono::steady_clock::now();
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string()}, dir);
  ASSERT_TRUE(wait_for_stderr(p, "connected 100/100", 20s)) << p.stderr_text();
  // Let one keepalive round pass with the broker answering, then freeze it: the socket stays
  // open (the kernel even accepts new connections), only the answers stop.
  std::this_thread::sleep_for(2500ms);
  broker.pause();
  const double paused_at = std::chrono::duration<double>(std::chrono::steady_clock::now() - spawned).count();
  // Keep it frozen past the worst case (keepalive + ping timeout) plus a margin, then thaw
  // so the run can end cleanly.
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>((kKeepalive + kPingTimeout + 2.0) * 1000)));
  broker.resume();
  const Outcome o = finish(p, 60s, report);
  ASSERT_TRUE(o.report) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(counter(r, "ping_timeouts"), static_cast<std::uint64_t>(kDevices)) << o.describe();
  EXPECT_EQ(u64(r.at("totals").at("drops_by_reason").at("ping_timeout")), static_cast<std::uint64_t>(kDevices));
  // Detection time: the series sample taken once keepalive + ping timeout (+1 s sampling
  // slack) has passed since the freeze shows no device connected. Run time starts after the
  // spawn, so `paused_at` measured from the spawn can only make this check later, not earlier.
  const double deadline = paused_at + kKeepalive + kPingTimeout + 1.0;
  bool checked = false;
  for (const auto& s : r.at("series").as_array()) {
    if (f64(s.at("t_s")) < deadline) continue;
    EXPECT_EQ(u64(s.at("connected")), 0u) << "at t=" << f64(s.at("t_s")) << " s, frozen at " << paused_at << " s";
    checked = true;
    break;
  }
  EXPECT_TRUE(checked) << "no series sample after " << deadline << " s";
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}

TEST(KeepaliveE2e, StoppedBrokerIsDetectedWithinThePingTimeout) {
  expect_stopped_broker_detected("", "pingtimeout");
}

TEST(KeepaliveE2e, DevicesPublishingQos1FasterThanKeepaliveDetectAStoppedBroker) {
  // QoS 1 four times a second with a 2 s keepalive. The 3.1.1 SDK pushes its ping off only
  // with acknowledged requests: once the broker stops acknowledging, the PINGREQ is due a
  // keepalive after the last acknowledged PUBLISH was sent. (Before, any PUBLISH sent pushed
  // the ping off: 0 pings, 0 drops, only ack timeouts told.)
  const auto qos1 = std::string("publish: {topic: \"ka/{index}\", qos: 1, rate: 4/s}\n");
  expect_stopped_broker_detected(qos1, "pingtimeout-publishing");
}

}  // namespace
}  // namespace fleetload::e2e
