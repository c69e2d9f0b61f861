// The scenario-less one-liner and broker URLs through the real binary. Four runs, each a
// fleet built from flags only (`fleetload run --broker URL --devices N --publish R --qos 1`),
// one per URL scheme: mqtt:// straight to mosquitto, mqtts:// to a TLS listener of the same
// mosquitto (CA from `fleetload certs`), ws:// and wss:// with a path of their own through the
// WebSocket front (websockify + tests/e2e/ws_verify_server.py), which refuses any other path.
// Counted independently of fleetload: the test's own subscriber (mosquitto_sub) gets every
// message each run says it sent, and the front logs one accepted upgrade per device with the
// URL's path (and TLS for wss://).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/fleetload_runner.hpp"
#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/shared_world.hpp"
#include "e2e/ws_front.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kDevices = 6;

struct OneRun {
  std::string topic_root;  // each run publishes under its own root
  Outcome outcome;
  std::uint64_t received_by_test = 0;
};

struct World {
  fs::path dir;
  std::unique_ptr<MosquittoBroker> broker;
  std::unique_ptr<WsFront> front;
  std::uint16_t tls_port = 0;
  OneRun mqtt{"plain", {}, 0}, mqtts{"tls", {}, 0}, ws{"ws", {}, 0}, wss{"wss", {}, 0};
  std::string error;
};
World* world = nullptr;

std::uint64_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::uint64_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0;
  return n;
}

// The one-liner of the issue, scaled down: every flag a user types, no file.
void run_oneliner(World& w, OneRun& r, const std::string& url, const std::vector<std::string>& extra = {}) {
  const fs::path report = w.dir / (r.topic_root + ".json");
  std::vector<std::string> args{"run", "--broker", url, "--devices", std::to_string(kDevices), "--connect-rate",
                                "100/s", "--publish", "4/s", "--qos", "1", "--topic", r.topic_root + "/{client_id}",
                                "--payload-size", "48B", "--duration", "2s", "--no-metrics", "--no-progress",
                                "--threads", "1", "--report", report.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  r.outcome = run_fleetload(args, w.dir, 60s, report);
  if (!r.outcome.report) throw std::runtime_error(r.topic_root + " wrote no report:\n" + r.outcome.describe());
}

void build_world(World& w) {
  w.dir = make_temp_dir("oneliner-e2e");
  const fs::path pki = w.dir / "pki";
  const Outcome certs = run_fleetload({"certs", "--devices", "1", "--out", pki.string()}, w.dir, 60s);
  if (certs.status.code != 0) throw std::runtime_error("fleetload certs failed:\n" + certs.describe());
  w.tls_port = pick_free_port();
  // A second listener of the same broker: TLS, server certificate only (no client certificate).
  const std::string tls_listener = "listener " + std::to_string(w.tls_port) + " 127.0.0.1\ncafile " +
                                   (pki / "ca.crt").string() + "\ncertfile " + (pki / "server.crt").string() +
                                   "\nkeyfile " + (pki / "server.key").string() + "\n";
  w.broker = std::make_unique<MosquittoBroker>(MosquittoBroker::Options{.extra_config = tls_listener, .log_connections = true});
  w.front = std::make_unique<WsFront>(WsFront::Options{.broker_port = w.broker->port(),
                                                       .config_json = R"({"mode": "handshake", "handshake": {}, "path": "/fleet/ws"})",
                                                       .cert = pki / "server.crt",
                                                       .key = pki / "server.key"});
  const auto port = std::to_string(w.broker->port());
  ChildProcess sub({"/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "plain/#", "-t", "tls/#",
                    "-t", "ws/#", "-t", "wss/#", "-t", "probe", "-F", "%t"},
                   w.dir / "sub.out", w.dir / "sub.err");
  if (!wait_until([&] {
        ChildProcess pub({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "probe", "-m", "x"},
                         w.dir / "pub.out", w.dir / "pub.err");
        pub.wait_for(5s);
        return sub.stdout_text().find("probe") != std::string::npos;
      }, 20s))
    throw std::runtime_error("the test's subscriber never subscribed:\n" + sub.stderr_text());

  const std::string ca = (pki / "ca.crt").string();
  const std::string front = "127.0.0.1:" + std::to_string(w.front->port());
  run_oneliner(w, w.mqtt, "mqtt://127.0.0.1:" + port);
  run_oneliner(w, w.mqtts, "mqtts://127.0.0.1:" + std::to_string(w.tls_port), {"--ca", ca});
  run_oneliner(w, w.ws, "ws://" + front + "/fleet/ws");
  run_oneliner(w, w.wss, "wss://" + front + "/fleet/ws", {"--ca", ca});

  const auto sent = [](const OneRun& r) { return qos_counter(*r.outcome.report, "publishes_sent", 1); };
  OneRun* runs[] = {&w.mqtt, &w.mqtts, &w.ws, &w.wss};
  wait_until([&] {
    const std::string t = sub.stdout_text();
    for (const OneRun* r : runs)
      if (count_lines_starting(t, r->topic_root + "/") < sent(*r)) return false;
    return true;
  }, 20s);
  sub.kill_and_wait();
  for (OneRun* r : runs) r->received_by_test = count_lines_starting(sub.stdout_text(), r->topic_root + "/");
}

class OnelinerE2E : public SharedWorldTest<World, world, build_world> {
 protected:
  static void expect_full_run(const OneRun& r) {
    const json::value& report = *r.outcome.report;
    EXPECT_EQ(r.outcome.status.code, 0) << r.outcome.describe();
    EXPECT_EQ(counter(report, "connects_ok"), static_cast<std::uint64_t>(kDevices)) << r.outcome.describe();
    const std::uint64_t sent = qos_counter(report, "publishes_sent", 1);
    // 6 devices at 4/s for about 2 s: well above one message each.
    EXPECT_GE(sent, static_cast<std::uint64_t>(kDevices) * 4) << r.outcome.describe();
    EXPECT_EQ(r.received_by_test, sent) << r.topic_root << ": the broker delivered what fleetload says it sent";
  }
};

TEST_F(OnelinerE2E, MqttUrlRunsTheFleetStraightToTheBroker) {
  expect_full_run(world->mqtt);
  // Each device is one TCP connection of the broker's own count (the WebSocket front's runs
  // and the TLS listener's add to it, so at least the fleets of all four runs).
  const std::string log = world->broker->log();
  std::size_t connected = 0;
  for (std::size_t at = 0; (at = log.find("New client connected from", at)) != std::string::npos; ++at) ++connected;
  EXPECT_GE(connected, static_cast<std::size_t>(4 * kDevices)) << log;
}

TEST_F(OnelinerE2E, MqttsUrlConnectsOverTlsWithTheDefaultBuilder) {
  expect_full_run(world->mqtts);
  // The URL chose the mode (new_default_builder: TLS, server verification against --ca); the
  // port is the broker's TLS listener, which speaks nothing but TLS.
  const json::value& report = *world->mqtts.outcome.report;
  const std::string resolved(report.at("scenario").at("resolved_yaml").as_string());
  EXPECT_NE(resolved.find("mode: new_default_builder"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find(std::to_string(world->tls_port)), std::string::npos) << resolved;
}

TEST_F(OnelinerE2E, WsUrlUpgradesOnItsOwnPath) {
  expect_full_run(world->ws);
  // The front refuses any path but /fleet/ws: every device was accepted there, in clear.
  EXPECT_GE(world->front->count(R"("path": "/fleet/ws", "tls": false, "index": null, "verdict": "accepted")"),
            static_cast<std::size_t>(kDevices))
      << world->front->log();
}

TEST_F(OnelinerE2E, WssUrlUpgradesOnItsOwnPathOverTls) {
  expect_full_run(world->wss);
  EXPECT_GE(world->front->count(R"("path": "/fleet/ws", "tls": true, "index": null, "verdict": "accepted")"),
            static_cast<std::size_t>(kDevices))
      << world->front->log();
  EXPECT_EQ(world->front->count(R"("verdict": "refused")"), 0u) << world->front->log();
}

// The one-liner builds the Scenario a file would: `validate` with the flags prints the same
// resolved YAML as `validate` of the file written by hand, and that YAML, saved, is itself a
// scenario file that validates to the same text (how a user graduates to a file).
TEST(Oneliner, ValidatePrintsTheScenarioAFileWouldGive) {
  const fs::path dir = make_temp_dir("oneliner-validate");
  const Outcome flags = run_fleetload({"validate", "--broker", "mqtt://127.0.0.1:1883", "--devices", "50", "--connect-rate",
                                       "25/s", "--publish", "1/s", "--qos", "1", "--subscribers", "2", "--duration", "30s"},
                                      dir, 30s);
  ASSERT_EQ(flags.status.code, 0) << flags.describe();
  const fs::path by_hand = write_file(dir, "by-hand.yaml",
                                      "name: command-line\n"
                                      "target: {endpoint: \"127.0.0.1:1883\"}\n"
                                      "fleet: {devices: 50, connect_rate: 25/s}\n"
                                      "publish: {topic: \"telemetry/{client_id}\", qos: 1, rate: 1/s}\n"
                                      "subscribe:\n  filters: [{filter: \"telemetry/+\", qos: 1}]\n  subscribers: 2\n"
                                      "run: {duration: 30s}\n");
  const Outcome file = run_fleetload({"validate", by_hand.string()}, dir, 30s);
  ASSERT_EQ(file.status.code, 0) << file.describe();
  EXPECT_EQ(flags.out, file.out);
  EXPECT_NE(flags.err.find("command line: valid"), std::string::npos) << flags.describe();

  const fs::path graduated = write_file(dir, "graduated.yaml", flags.out);
  const Outcome again = run_fleetload({"validate", graduated.string()}, dir, 30s);
  ASSERT_EQ(again.status.code, 0) << again.describe();
  EXPECT_EQ(again.out, flags.out);
  fs::remove_all(dir);
}

TEST(Oneliner, ABadFlagValueIsNamedByItsFlagAndField) {
  const fs::path dir = make_temp_dir("oneliner-bad");
  const Outcome o = run_fleetload({"run", "--broker", "mqtt://127.0.0.1:1", "--devices", "lots"}, dir, 30s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_NE(o.err.find("--devices lots: fleet.devices: expected"), std::string::npos) << o.describe();
  const Outcome w = run_fleetload({"validate", "--broker", "ws://127.0.0.1:1", "--devices", "1", "--auth", "mtls_from_path",
                                   "--cert", "c.pem", "--key", "k.pem"},
                                  dir, 30s);
  EXPECT_EQ(w.status.code, 2) << w.describe();
  EXPECT_NE(w.err.find("--broker ws://127.0.0.1:1: target.endpoint: \"ws://127.0.0.1:1\": ws:// (MQTT over WebSocket, no "
                       "TLS) does not match auth.mode mtls_from_path"),
            std::string::npos)
      << w.describe();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::e2e
