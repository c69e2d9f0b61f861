// Session behaviour and refused first connects as the SDK clients run them, read from the
// scripted broker's log: the Clean Start flag of every CONNECT under each MQTT 5
// session_behavior, the resubscription each implies (only when the broker had no session),
// the MQTT 3.1.1 client's resubscription on session loss, and first_connect_failure: stop
// (one CONNECT, never another). Four fleetload runs at once, one per behaviour.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/scripted_broker_fixture.hpp"
#include "e2e/shared_world.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;

// Every run: devices s-0..s-14 (the last ten, 5-14, subscribe); 5-9 talk to a broker that
// keeps sessions, 10-14 to one that loses them; both drop each connection 0.3 s after
// CONNACK; 0-4 are refused on every CONNECT (server unavailable). Under MQTT 5 the first
// CONNECT of 5-14 is refused once too, so "rejoin after a success" is told apart from
// "rejoin after an attempt".
struct Spec {
  const char* name;
  const char* protocol;
  const char* session;  // the session: line
  const char* extra;    // more scenario lines
};
const Spec kSpecs[] = {
    {"clean", "mqtt5", "{session_behavior: clean}", ""},
    {"rejoin_post_success", "mqtt5", "{session_behavior: rejoin_post_success, session_expiry: 1h}", ""},
    {"rejoin_always", "mqtt5", "{session_behavior: rejoin_always, session_expiry: 1h}", ""},
    {"mqtt311_stop", "mqtt311", "{clean_session: false}", "  first_connect_failure: stop\n"},
};
constexpr int kRuns = 4;

std::string config(const char* protocol) {
  const bool v5 = std::string(protocol) == "mqtt5";
  const int refused = v5 ? 0x88 : 3;
  const std::string codes = v5 ? "[" + std::to_string(refused) + ", 0]" : "[0]";
  return R"({"profiles": [
    {"match": "s-[5-9]", "session": "keep", "drop_after": 0.3, "connack_codes": )" + codes + R"(},
    {"match": "s-1[0-4]", "session": "lose", "drop_after": 0.3, "connack_codes": )" + codes + R"(},
    {"match": "s-[0-4]", "connack_codes": [)" + std::to_string(refused) + R"(]}
  ]})";
}

std::string scenario_yaml(std::uint16_t port, const Spec& s) {
  return std::string("target: {endpoint: 127.0.0.1, port: ") + std::to_string(port) + ", protocol: " + s.protocol + "}\n" +
         "fleet: {devices: 15, client_id: \"s-{index}\", connect_rate: 1000/s}\n"
         "session: " + s.session + "\n"
         "reconnect:\n  min_delay: 200ms\n  max_delay: 400ms\n  jitter: none\n" + s.extra +
         "subscribe: {subscribers: 10, filters: [{filter: \"x/{index}\", qos: 1}]}\n"
         "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 3s}\n";
}

struct Run {
  std::unique_ptr<ScriptedBroker> broker;
  Outcome outcome;
  std::map<std::string, std::vector<ConnTrace>> clients;
};
struct World {
  std::filesystem::path dir;
  Run runs[kRuns];
  std::string error;
};
World* world = nullptr;

void build_world(World& w) {
  w.dir = make_temp_dir("scripted-session");
  std::vector<ChildProcess> procs;
  for (int i = 0; i < kRuns; ++i) {
    w.runs[i].broker = std::make_unique<ScriptedBroker>(config(kSpecs[i].protocol));
    const auto sub = w.dir / kSpecs[i].name;
    std::filesystem::create_directories(sub);
    const auto file = write_file(sub, "s.yaml", scenario_yaml(w.runs[i].broker->port(), kSpecs[i]));
    procs.push_back(spawn_fleetload({"run", file.string(), "--report", (sub / "report.json").string(), "--no-metrics"}, sub));
  }
  for (int i = 0; i < kRuns; ++i) {
    Run& r = w.runs[i];
    const auto sub = w.dir / kSpecs[i].name;
    r.outcome = finish(procs[static_cast<std::size_t>(i)], 60s, sub / "report.json");
    if (!r.outcome.report) throw std::runtime_error(std::string(kSpecs[i].name) + ": no report\n" + r.outcome.describe());
    r.clients = by_client(connections(r.broker->events()));
  }
}

class SessionOnTheWire : public SharedWorldTest<World, world, build_world> {};

std::string dev(int i) { return "s-" + std::to_string(i); }

// Clean Start of each CONNECT and whether a SUBSCRIBE followed, per connection.
struct Attempt {
  bool clean;
  bool subscribed;
  bool present;
};
std::vector<Attempt> attempts(int run, int device) {
  std::vector<Attempt> v;
  for (const auto& c : world->runs[run].clients[dev(device)]) {
    bool sub = false;
    for (const auto& e : c.events) sub = sub || e.at("event").as_string() == "subscribe";
    v.push_back({c.clean_start, sub, c.session_present});
  }
  return v;
}

TEST_F(SessionOnTheWire, CleanStartsCleanAndResubscribesOnEveryConnection) {
  for (int i = 5; i <= 14; ++i) {
    const auto a = attempts(0, i);
    ASSERT_GE(a.size(), 4u) << dev(i);
    for (std::size_t k = 0; k < a.size(); ++k) {
      EXPECT_TRUE(a[k].clean) << dev(i) << " attempt " << k;
      EXPECT_FALSE(a[k].present) << dev(i) << " attempt " << k;
      if (k > 0 && k + 1 < a.size()) {
        EXPECT_TRUE(a[k].subscribed) << dev(i) << " attempt " << k;
      }
    }
  }
}

TEST_F(SessionOnTheWire, RejoinPostSuccessIsCleanUntilAnAcceptedConnectThenRejoins) {
  for (int i = 5; i <= 14; ++i) {
    const auto a = attempts(1, i);
    ASSERT_GE(a.size(), 4u) << dev(i);
    EXPECT_TRUE(a[0].clean) << dev(i) << ": refused, so never connected";
    EXPECT_TRUE(a[1].clean) << dev(i) << ": still never connected";
    EXPECT_TRUE(a[1].subscribed) << dev(i);
    for (std::size_t k = 2; k + 1 < a.size(); ++k) {
      EXPECT_FALSE(a[k].clean) << dev(i) << " attempt " << k;
      // The keeping broker resumed the session: no SUBSCRIBE; the losing one did not: again.
      EXPECT_EQ(a[k].present, i <= 9) << dev(i) << " attempt " << k;
      EXPECT_EQ(a[k].subscribed, i > 9) << dev(i) << " attempt " << k;
    }
  }
  EXPECT_EQ(counter(*world->runs[1].outcome.report, "unexpected_session_present"), 0u);
}

TEST_F(SessionOnTheWire, RejoinAlwaysAsksToRejoinFromTheFirstConnect) {
  for (int i = 5; i <= 14; ++i) {
    const auto a = attempts(2, i);
    ASSERT_GE(a.size(), 4u) << dev(i);
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_FALSE(a[k].clean) << dev(i) << " attempt " << k;
    for (std::size_t k = 2; k + 1 < a.size(); ++k) EXPECT_EQ(a[k].subscribed, i > 9) << dev(i) << " attempt " << k;
  }
}

TEST_F(SessionOnTheWire, Mqtt311ResubscribesOnlyWhenTheBrokerLostTheSession) {
  for (int i = 5; i <= 14; ++i) {
    const auto a = attempts(3, i);
    ASSERT_GE(a.size(), 4u) << dev(i);
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_FALSE(a[k].clean) << dev(i) << " attempt " << k;
    EXPECT_TRUE(a[0].subscribed) << dev(i);
    for (std::size_t k = 1; k + 1 < a.size(); ++k) {
      EXPECT_EQ(a[k].present, i <= 9) << dev(i) << " attempt " << k;
      EXPECT_EQ(a[k].subscribed, i > 9) << dev(i) << " attempt " << k;
    }
  }
}

TEST_F(SessionOnTheWire, FirstConnectFailureStopSendsOneConnectAndNeverAnother) {
  // s-0..4 are refused every time; with first_connect_failure: stop (the 3.1.1 SDK's
  // library behaviour) one CONNECT each for the whole run, while s-5..14, once connected,
  // reconnect after every drop as before.
  for (int i = 0; i <= 4; ++i) {
    const auto& conns = world->runs[3].clients[dev(i)];
    ASSERT_EQ(conns.size(), 1u) << dev(i);
    EXPECT_EQ(conns[0].connack_code, 3) << dev(i);
  }
  EXPECT_EQ(counter(*world->runs[3].outcome.report, "first_connect_stops"), 5u);
  // The MQTT 5 runs retry by default: the always-refused devices kept trying.
  for (int i = 0; i <= 4; ++i) EXPECT_GE(world->runs[0].clients[dev(i)].size(), 3u) << dev(i);
}

}  // namespace
}  // namespace fleetload::e2e
