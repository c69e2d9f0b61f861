// MQTT 5 devices against the scripted broker, measured on the wire by the broker's own
// timestamps: PINGREQ every keepalive from the CONNACK while publishing, DISCONNECT 0x8D
// after the SDK's dynamic ping timeout (half a 1 s Server Keep Alive), and the answers to a
// hostile broker: a SUBACK with too many codes (0x82), topic aliases 0 / above our maximum
// (0x94) or never set (0x82), a PUBLISH announced at 256 MB (0x95, refused at its header), a
// QoS 2 flood beyond our Receive Maximum (0x93). One fleetload run, groups by client id.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/scripted_broker_fixture.hpp"
#include "e2e/shared_world.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// Groups (client id d-<index>; 0-9 publish QoS 1 twice a second, 20-39 subscribe to two
// filters): 0-4 a broker that answers everything; 5-9 Server Keep Alive 1 s and no PINGRESP;
// 20-24 SUBACK with two codes too many; 25-26 a PUBLISH with alias 9 (our maximum is 5);
// 27-28 alias 0; 29 an empty topic with alias 3, never set; 30-34 a PUBLISH header announcing
// 268,435,455 bytes, its body 0.3 s later (so the device's close after its DISCONNECT is not a
// reset that would destroy the DISCONNECT on the wire); 35-39 eleven QoS 2 PUBLISHes and no
// PUBREL (our Receive Maximum is 10).
constexpr const char* kConfig = R"({"profiles": [
  {"match": "d-[0-4]"},
  {"match": "d-[5-9]", "server_keep_alive": 1, "pingresp": false},
  {"match": "d-2[0-4]", "suback_extra_codes": 2},
  {"match": "d-2[5-6]", "actions": [{"after": "suback", "type": "publish", "topic": "s/x", "alias": 9}]},
  {"match": "d-2[7-8]", "actions": [{"after": "suback", "type": "publish", "topic": "s/x", "alias": 0}]},
  {"match": "d-29", "actions": [{"after": "suback", "type": "publish", "topic": "", "alias": 3}]},
  {"match": "d-3[0-4]", "actions": [{"after": "connack", "delay": 0.5, "type": "announce_huge",
                                     "remaining_length": 268435455, "body_bytes": 33554432, "body_delay": 0.3}]},
  {"match": "d-3[5-9]", "actions": [{"after": "suback", "type": "qos2_flood", "count": 11}]}
]})";
constexpr double kHugeBody = 33554432;

std::string scenario_yaml(std::uint16_t port) {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: mqtt5}\n"
         "fleet: {devices: 40, client_id: \"d-{index}\", connect_rate: 1000/s}\n"
         "session: {keepalive: 2s, ping_timeout: 1500ms, topic_alias_maximum: 5, receive_maximum: 10}\n"
         "reconnect: {min_delay: 1s, max_delay: 2s, jitter: none}\n"
         "publish: {topic: \"t/{index}\", qos: 1, rate: 2/s, publishers: 10}\n"
         "subscribe: {subscribers: 20, filters: [{filter: \"s/{index}/a\", qos: 2}, {filter: \"s/{index}/b\", qos: 1}]}\n"
         "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 6s}\n";
}

struct World {
  std::unique_ptr<ScriptedBroker> broker;
  std::filesystem::path dir;
  Outcome outcome;
  std::map<std::string, std::vector<ConnTrace>> clients;
  std::string error;
};
World* world = nullptr;

void build_world(World& w) {
  w.dir = make_temp_dir("scripted-5");
  w.broker = std::make_unique<ScriptedBroker>(kConfig);
  const auto file = write_file(w.dir, "s.yaml", scenario_yaml(w.broker->port()));
  const auto report = w.dir / "report.json";
  w.outcome = run_fleetload({"run", file.string(), "--report", report.string(), "--no-metrics"}, w.dir, 60s, report);
  w.clients = by_client(connections(w.broker->events()));
  if (!w.outcome.report) throw std::runtime_error("no report:\n" + w.outcome.describe());
}

class Mqtt5OnTheWire : public SharedWorldTest<World, world, build_world> {};

const ConnTrace& first(const std::string& id) {
  static const ConnTrace none;
  const auto it = world->clients.find(id);
  return it == world->clients.end() || it->second.empty() ? none : it->second.front();
}

double time_of(const ConnTrace& c, std::string_view event) {
  for (const auto& e : c.events)
    if (e.at("event").as_string() == event) return e.at("t").to_number<double>();
  return ConnTrace::kNone;
}

// The device's first DISCONNECT says `code`, and it closes right after.
void expect_disconnect_then_close(const ConnTrace& c, int code, const std::string& who) {
  ASSERT_EQ(c.disconnects.size(), 1u) << who;
  EXPECT_EQ(c.disconnects[0].second, code) << who;
  EXPECT_EQ(c.closed_by, "device") << who;
  EXPECT_LT(c.close - c.disconnects[0].first, 0.1) << who;
}

std::string dev(int i) { return "d-" + std::to_string(i); }

TEST_F(Mqtt5OnTheWire, PingreqEveryKeepaliveFromTheConnackWhilePublishing) {
  // The SDK's MQTT 5 client pings on its cadence whatever it sends (fleetload sent none while
  // publishing, as the 3.1.1 client would).
  for (int i = 0; i <= 4; ++i) {
    const ConnTrace& c = first(dev(i));
    EXPECT_GE(c.publishes.size(), 8u) << dev(i);
    ASSERT_GE(c.pingreqs.size(), 2u) << dev(i);
    for (std::size_t k = 0; k < c.pingreqs.size(); ++k)
      EXPECT_NEAR(c.pingreqs[k] - c.connack, 2.0 * static_cast<double>(k + 1), 0.1) << dev(i) << " ping " << k;
    for (const auto& [at, code] : c.disconnects) EXPECT_EQ(code, 0) << dev(i) << ": only the normal one at the end";
  }
}

TEST_F(Mqtt5OnTheWire, StalledPingGetsDisconnect0x8DAfterHalfTheServerKeepAlive) {
  // Server Keep Alive 1 s: PINGREQ 1 s after CONNACK even while publishing twice a second,
  // then the dynamic ping timeout min(ping_timeout 1.5 s, 1 s / 2) = 0.5 s, DISCONNECT Keep
  // Alive timeout, close.
  for (int i = 5; i <= 9; ++i) {
    const ConnTrace& c = first(dev(i));
    ASSERT_GE(c.pingreqs.size(), 1u) << dev(i);
    EXPECT_NEAR(c.pingreqs[0] - c.connack, 1.0, 0.1) << dev(i);
    expect_disconnect_then_close(c, 0x8D, dev(i));
    if (!c.disconnects.empty()) {
      EXPECT_NEAR(c.disconnects[0].first - c.pingreqs[0], 0.5, 0.1) << dev(i);
    }
  }
  EXPECT_GE(counter(*world->outcome.report, "ping_timeouts"), 5u);
}

TEST_F(Mqtt5OnTheWire, SubackWithExtraReasonCodesIsAProtocolError) {
  for (int i = 20; i <= 24; ++i) {
    const ConnTrace& c = first(dev(i));
    const double suback = time_of(c, "suback");
    ASSERT_FALSE(std::isnan(suback)) << dev(i);
    expect_disconnect_then_close(c, 0x82, dev(i));
    if (!c.disconnects.empty()) {
      EXPECT_LT(c.disconnects[0].first - suback, 0.2) << dev(i);
    }
  }
  EXPECT_GE(counter(*world->outcome.report, "suback_count_mismatch"), 5u);
}

TEST_F(Mqtt5OnTheWire, InvalidInboundTopicAliasesAreRefused) {
  for (int i = 25; i <= 28; ++i) expect_disconnect_then_close(first(dev(i)), 0x94, dev(i) + " (alias 9 or 0)");
  expect_disconnect_then_close(first("d-29"), 0x82, "d-29 (alias never set)");
  EXPECT_GE(counter(*world->outcome.report, "topic_alias_invalid"), 5u);
}

TEST_F(Mqtt5OnTheWire, PacketAnnouncedAt256MBGetsDisconnect0x95AtItsHeader) {
  for (int i = 30; i <= 34; ++i) {
    const ConnTrace& c = first(dev(i));
    const double announced = time_of(c, "sent");
    ASSERT_FALSE(std::isnan(announced)) << dev(i);
    expect_disconnect_then_close(c, 0x95, dev(i));
    if (!c.disconnects.empty()) {
      EXPECT_LT(c.disconnects[0].first - announced, 0.5) << dev(i);
    }
    double written = -1;
    for (const auto& e : c.events)
      if (e.at("event").as_string() == "huge_end") written = e.at("bytes_written").to_number<double>();
    EXPECT_LT(written, kHugeBody / 2) << dev(i) << ": bytes accepted before the close";
  }
  EXPECT_GE(counter(*world->outcome.report, "packets_too_large"), 5u);
}

TEST_F(Mqtt5OnTheWire, Qos2FloodBeyondOurReceiveMaximumGetsDisconnect0x93) {
  for (int i = 35; i <= 39; ++i) {
    const ConnTrace& c = first(dev(i));
    int pubrecs = 0;
    for (const auto& e : c.events)
      if (e.at("event").as_string() == "pubrec") ++pubrecs;
    EXPECT_EQ(pubrecs, 10) << dev(i) << ": the ten within Receive Maximum are acknowledged";
    expect_disconnect_then_close(c, 0x93, dev(i));
  }
  EXPECT_GE(counter(*world->outcome.report, "receive_maximum_exceeded"), 5u);
}

}  // namespace
}  // namespace fleetload::e2e
