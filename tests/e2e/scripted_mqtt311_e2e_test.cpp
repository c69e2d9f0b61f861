// MQTT 3.1.1 devices against the scripted broker, measured on the wire by the broker's own
// timestamps: the SDK's reconnect delay (doubling across short connections, saturating at
// max, back to min only after a connection lasted 10 s past its CONNACK), PINGREQ pushed off
// by acknowledged QoS 1 and sent every keepalive by idle devices, a refused first CONNECT
// retried by default, and a PUBLISH announced at 256 MB refused at its header (the default
// receive limit) with fleetload's memory unchanged. One fleetload run, device groups by
// client id, shared by every case.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/scripted_broker_fixture.hpp"
#include "e2e/shared_world.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// Device groups (client id d-<index>): 0-9 publish QoS 1 twice a second and stay; 10-19 are
// dropped 0.3 s after every CONNACK; 20-29 after 0.3 s, 0.3 s, then 10.5 s, then 0.3 s;
// 30-34 are refused (not authorized) on their first CONNECT; 35 receives a PUBLISH header
// announcing 268,435,455 bytes one second after each CONNACK, then up to 48 MiB of its body.
constexpr const char* kConfig = R"({"profiles": [
  {"match": "d-[0-9]"},
  {"match": "d-1[0-9]", "drop_after": 0.3},
  {"match": "d-2[0-9]", "drop_after": [0.3, 0.3, 10.5, 0.3]},
  {"match": "d-3[0-4]", "connack_codes": [5, 0]},
  {"match": "d-35", "actions": [{"after": "connack", "delay": 1.0, "type": "announce_huge",
                                 "remaining_length": 268435455, "body_bytes": 50331648}]}
]})";
constexpr int kDevices = 36;
constexpr double kHugeBody = 50331648;

std::string scenario_yaml(std::uint16_t port) {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: mqtt311}\n"
         "fleet: {devices: " + std::to_string(kDevices) + ", client_id: \"d-{index}\", connect_rate: 1000/s}\n"
         "session: {keepalive: 2s, ping_timeout: 1s, connack_timeout: 3s}\n"
         // min 1 s, max 4 s, jitter none and reset_after 10 s: the 3.1.1 SDK's rules with small
         // delays (the 10 s reset is the SDK's fixed constant, left at its default).
         "reconnect: {min_delay: 1s, max_delay: 4s}\n"
         "publish: {topic: \"t/{index}\", qos: 1, rate: 2/s, publishers: 10}\n"
         "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 18500ms}\n";
}

// Peak resident set of a process (VmHWM), read by the test from /proc: independent of
// what fleetload reports about itself.
double vm_hwm_mib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

struct World {
  std::unique_ptr<ScriptedBroker> broker;
  std::filesystem::path dir;
  Outcome outcome;
  std::map<std::string, std::vector<ConnTrace>> clients;
  double hwm_before_mib = -1;  // fleetload's VmHWM once connected, before the huge header
  double hwm_after_mib = -1;   // ... once the broker saw device 35 close on it
  std::string error;
};
World* world = nullptr;

bool huge_answered(const std::vector<json::object>& events) {
  for (const auto& e : events)
    if (e.at("event").as_string() == "huge_end") return true;
  return false;
}

void build_world(World& w) {
  w.dir = make_temp_dir("scripted-311");
  w.broker = std::make_unique<ScriptedBroker>(kConfig);
  const auto file = write_file(w.dir, "s.yaml", scenario_yaml(w.broker->port()));
  const auto report = w.dir / "report.json";
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string(), "--no-metrics"}, w.dir);
  const bool connected = w.broker->wait_until(
      [](const auto& ev) {
        for (const auto& t : connections(ev))
          if (t.client_id == "d-35" && !std::isnan(t.connack)) return true;
        return false;
      },
      20s);
  if (connected) {
    w.hwm_before_mib = vm_hwm_mib(p.pid());
    if (w.broker->wait_until(huge_answered, 10s)) w.hwm_after_mib = vm_hwm_mib(p.pid());
  }
  w.outcome = finish(p, 60s, report);
  w.clients = by_client(connections(w.broker->events()));
  if (!w.outcome.report) throw std::runtime_error("no report:\n" + w.outcome.describe());
}

class Mqtt311OnTheWire : public SharedWorldTest<World, world, build_world> {};

// accept of connection k+1 minus the broker's close of connection k.
std::vector<double> delays(const std::vector<ConnTrace>& conns) {
  std::vector<double> d;
  for (std::size_t k = 0; k + 1 < conns.size(); ++k) d.push_back(conns[k + 1].accept - conns[k].close);
  return d;
}

// A measured delay of `want` seconds: never early, at most 0.3 s late (EOF noticed, timer,
// TCP connect, on a loaded 2-core machine running an ASan build).
void expect_delay(double got, double want, const std::string& what) {
  EXPECT_GE(got, want - 0.02) << what;
  EXPECT_LE(got, want + 0.3) << what;
}

TEST_F(Mqtt311OnTheWire, DelayDoublesAcrossShortConnectionsAndSaturatesAtMax) {
  // The SDK measured: 1, 2, 4, 4 s after connections the broker drops at 0.3 s (fleetload
  // waited 1, 1, 1, 1 s before: it reset the delay on every accepted CONNACK).
  for (int i = 10; i <= 19; ++i) {
    const auto& conns = world->clients["d-" + std::to_string(i)];
    ASSERT_GE(conns.size(), 5u) << "d-" << i;
    const auto d = delays(conns);
    const double want[] = {1, 2, 4, 4};
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(conns[k].closed_by, "broker");
      expect_delay(d[k], want[k], "d-" + std::to_string(i) + " delay " + std::to_string(k));
    }
  }
}

TEST_F(Mqtt311OnTheWire, DelayResetsAfterAConnectionOfTenSecondsPastItsConnack) {
  // 0.3 s, 0.3 s, 10.5 s, 0.3 s connections: 1, 2, then back to 1 after the long one, then 2.
  for (int i = 20; i <= 29; ++i) {
    const auto& conns = world->clients["d-" + std::to_string(i)];
    ASSERT_GE(conns.size(), 5u) << "d-" << i;
    EXPECT_NEAR(conns[2].close - conns[2].connack, 10.5, 0.05);
    const auto d = delays(conns);
    const double want[] = {1, 2, 1, 2};
    for (int k = 0; k < 4; ++k) expect_delay(d[k], want[k], "d-" + std::to_string(i) + " delay " + std::to_string(k));
  }
}

TEST_F(Mqtt311OnTheWire, AcknowledgedQos1TrafficPushesThePingOff) {
  // Keepalive 2 s, QoS 1 twice a second, every PUBLISH acknowledged: no PINGREQ in ~18 s.
  for (int i = 0; i <= 9; ++i) {
    const auto& conns = world->clients["d-" + std::to_string(i)];
    ASSERT_EQ(conns.size(), 1u) << "d-" << i;
    EXPECT_GE(conns[0].publishes.size(), 30u) << "d-" << i;
    EXPECT_EQ(conns[0].pingreqs.size(), 0u) << "d-" << i;
  }
}

TEST_F(Mqtt311OnTheWire, IdleDevicesPingEveryKeepaliveFromTheConnack) {
  // The refused group, once accepted, sends nothing but PINGREQ: one every 2 s from CONNACK.
  for (int i = 30; i <= 34; ++i) {
    const auto& conns = world->clients["d-" + std::to_string(i)];
    ASSERT_EQ(conns.size(), 2u) << "d-" << i;
    const auto& c = conns[1];
    ASSERT_GE(c.pingreqs.size(), 6u) << "d-" << i;
    for (std::size_t k = 0; k < c.pingreqs.size(); ++k)
      EXPECT_NEAR(c.pingreqs[k] - c.connack, 2.0 * static_cast<double>(k + 1), 0.1) << "d-" << i << " ping " << k;
  }
}

TEST_F(Mqtt311OnTheWire, RefusedFirstConnectIsRetriedAfterMinDelayByDefault) {
  for (int i = 30; i <= 34; ++i) {
    const auto& conns = world->clients["d-" + std::to_string(i)];
    ASSERT_EQ(conns.size(), 2u) << "d-" << i;
    EXPECT_EQ(conns[0].connack_code, 5);
    EXPECT_EQ(conns[0].closed_by, "device");
    EXPECT_EQ(conns[1].connack_code, 0);
    expect_delay(conns[1].accept - conns[0].close, 1.0, "d-" + std::to_string(i));
  }
  EXPECT_EQ(counter(*world->outcome.report, "first_connect_stops"), 0u);
}

TEST_F(Mqtt311OnTheWire, PacketAnnouncedAt256MBIsRefusedAtItsHeaderWithoutBuffering) {
  // Before, 3.1.1 could not set a limit and buffered the announced packet whole (778 MiB
  // peak with two such connections). Now the default 1 MiB receive limit closes the
  // connection (no DISCONNECT in 3.1.1) as soon as the fixed header is read.
  const auto& conns = world->clients["d-35"];
  ASSERT_GE(conns.size(), 1u);
  const ConnTrace& c = conns[0];
  double announced = ConnTrace::kNone, written = -1;
  for (const auto& e : c.events) {
    if (e.at("event").as_string() == "sent") announced = e.at("t").to_number<double>();
    if (e.at("event").as_string() == "huge_end") written = e.at("bytes_written").to_number<double>();
  }
  ASSERT_FALSE(std::isnan(announced));
  std::printf("256 MB announced: device closed after %.3f s, broker wrote %.0f of %.0f body bytes; "
              "fleetload VmHWM %.1f -> %.1f MiB\n",
              c.close - announced, written, kHugeBody, world->hwm_before_mib, world->hwm_after_mib);
  EXPECT_EQ(c.closed_by, "device");
  EXPECT_LT(c.close - announced, 1.0) << "closed at once, not after reading the body";
  EXPECT_TRUE(c.disconnects.empty());
  // What the broker managed to write before the close is what the kernels' socket buffers
  // absorbed, far from the 48 MiB offered.
  EXPECT_LT(written, kHugeBody / 2) << "bytes the device accepted before closing";
  ASSERT_GT(world->hwm_before_mib, 0.0);
  ASSERT_GT(world->hwm_after_mib, 0.0) << "the broker never saw the device close";
  EXPECT_LT(world->hwm_after_mib - world->hwm_before_mib, 4.0)
      << "fleetload peak RSS grew from " << world->hwm_before_mib << " MiB to " << world->hwm_after_mib << " MiB";
  EXPECT_GE(counter(*world->outcome.report, "packets_too_large"), 1u);
}

}  // namespace
}  // namespace fleetload::e2e
