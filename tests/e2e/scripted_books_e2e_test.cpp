// Truthful books where a broker answers subscriptions and connects unlike mosquitto, played
// by the scripted broker and counted on its own log (issue 18 items 2, 6, 7):
//   downgrade     SUBACK grants QoS 0 for a QoS 1 filter (RabbitMQ-like suback_grant)
//   refused       SUBACK 0x80 for the only filter: the subscribers hold no subscription
//   no_suback     the SUBACK never comes (ack timeout): not subscribed either
//   mqtt311_ack   an MQTT 5 CONNECT answered with the 3.1.1 CONNACK 20 02 00 01 (aedes)
//   silent_close  every MQTT 5 CONNECT closed without a CONNACK (RabbitMQ 3.10)
//   twice_qos1    QoS 2 requested, QoS 1 granted, every message delivered twice at QoS 1:
//                 duplicates the grant allows (at least once), apart from duplicated
//   twice_qos0    QoS 1 requested, QoS 0 granted, every message delivered twice at QoS 0:
//                 duplicates at most once forbids
// The scripted broker routes nothing, so a subscriber gets no message: refused or
// unanswered, that is not loss; the messages it was not owed are the broker's PUBLISH count
// times the subscribers.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/scripted_broker_fixture.hpp"
#include "e2e/shared_world.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr int kDevices = 4;
constexpr int kSubscribers = 2;

struct Spec {
  const char* name;
  const char* protocol;
  const char* profile;  // the scripted broker's profile keys
  const char* extra;    // more scenario lines
  int filter_qos = 1;   // the QoS the subscribers request
};
const Spec kSpecs[] = {
    {"downgrade", "mqtt311", R"("suback_grant": 0)", ""},
    {"refused", "mqtt5", R"("suback_grant": 128)", ""},
    {"no_suback", "mqtt311", R"("suback": false)", "session: {ack_timeout: 1s}\n"},
    {"mqtt311_ack", "mqtt5", R"("connect_answer": "mqtt311_connack")", "reconnect: {first_connect_failure: stop}\n"},
    {"silent_close", "mqtt5", R"("connect_answer": "close")", "reconnect: {first_connect_failure: stop}\n"},
    {"twice_qos1", "mqtt5", R"("suback_grant": 1, "route": 2)", "", 2},
    {"twice_qos0", "mqtt311", R"("suback_grant": 0, "route": 2)", "", 1},
};
constexpr int kRuns = 7;
enum { kDowngrade, kRefused, kNoSuback, kMqtt311Ack, kSilentClose, kTwiceQos1, kTwiceQos0 };

struct BrokerRun {
  std::unique_ptr<ScriptedBroker> broker;
  Outcome outcome;
  std::uint64_t publishes = 0;   // PUBLISHes the broker received
  std::uint64_t subscribes = 0;  // SUBSCRIBEs the broker received
  std::uint64_t suback_zero = 0; // SUBACK codes 0 it sent
  std::uint64_t connacks = 0;    // CONNACKs it sent
  std::uint64_t broker_closes = 0;
  std::uint64_t delivered = 0;   // PUBLISHes it handed the subscribers (route), each copy
};
struct World {
  std::filesystem::path dir;
  BrokerRun runs[kRuns];
  std::string error;
};
World* world = nullptr;

void build_world(World& w) {
  w.dir = make_temp_dir("scripted-books");
  std::vector<ChildProcess> procs;
  for (int i = 0; i < kRuns; ++i) {
    const Spec& s = kSpecs[i];
    w.runs[i].broker = std::make_unique<ScriptedBroker>(std::string(R"({"profiles": [{"match": ".*", )") + s.profile + "}]}");
    const auto sub = w.dir / s.name;
    std::filesystem::create_directories(sub);
    const auto file = write_file(
        sub, "s.yaml",
        std::string("target: {endpoint: 127.0.0.1, port: ") + std::to_string(w.runs[i].broker->port()) +
            ", protocol: " + s.protocol + "}\n"
            "fleet: {devices: " + std::to_string(kDevices) + ", client_id: \"d-{index}\", connect_rate: 1000/s}\n" +
            s.extra +
            "publish: {topic: \"t/{index}\", qos: 1, rate: 10/s}\n"
            "subscribe: {subscribers: " + std::to_string(kSubscribers) + ", filters: [{filter: \"t/#\", qos: " +
            std::to_string(s.filter_qos) + "}]}\n"
            "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 2s}\n");
    procs.push_back(spawn_fleetload({"run", file.string(), "--report", (sub / "report.json").string(), "--no-metrics"}, sub));
  }
  for (int i = 0; i < kRuns; ++i) {
    BrokerRun& r = w.runs[i];
    r.outcome = finish(procs[static_cast<std::size_t>(i)], 60s, w.dir / kSpecs[i].name / "report.json");
    if (!r.outcome.report) throw std::runtime_error(std::string(kSpecs[i].name) + ": no report\n" + r.outcome.describe());
    for (const auto& e : r.broker->events()) {
      const auto& ev = e.at("event").as_string();
      if (ev == "publish") ++r.publishes;
      if (ev == "deliver") ++r.delivered;
      if (ev == "subscribe") ++r.subscribes;
      if (ev == "connack") ++r.connacks;
      if (ev == "close" && e.at("by").as_string() == "broker") ++r.broker_closes;
      if (ev == "suback")
        for (const auto& c : e.at("codes").as_array()) r.suback_zero += c.to_number<int>() == 0 ? 1 : 0;
    }
  }
}

class Books : public SharedWorldTest<World, world, build_world> {};

std::uint64_t code_count(const json::value& rep, const char* table, const std::string& name) {
  for (const auto& e : rep.at("totals").at(table).as_array())
    if (e.at("name").as_string() == name) return e.at("count").to_number<std::uint64_t>();
  return 0;
}

TEST_F(Books, SubackGrantLowerThanRequestedIsCountedPerFilter) {
  const BrokerRun& r = world->runs[kDowngrade];
  const auto& rep = *r.outcome.report;
  ASSERT_EQ(r.subscribes, static_cast<std::uint64_t>(kSubscribers)) << r.outcome.describe();
  ASSERT_EQ(r.suback_zero, r.subscribes);
  EXPECT_EQ(code_count(rep, "suback_grants", "filter 0 requested qos 1 granted qos 0"), r.suback_zero) << r.outcome.out;
  EXPECT_EQ(counter(rep, "subscribe_qos_downgraded"), r.suback_zero);
  EXPECT_EQ(code_count(rep, "suback_codes", "granted_qos_0"), r.suback_zero);
  EXPECT_NE(r.outcome.out.find("filter 0 requested QoS 1: granted QoS 0 " + std::to_string(r.suback_zero)),
            std::string::npos)
      << r.outcome.out;
  EXPECT_NE(r.outcome.out.find("subscribe_qos_downgraded: topic filters granted a lower QoS"), std::string::npos);
}

// Refused and unanswered alike: no subscription, so nothing owed and nothing lost.
void expect_not_subscribed(const BrokerRun& r) {
  const auto& rep = *r.outcome.report;
  ASSERT_EQ(r.subscribes, static_cast<std::uint64_t>(kSubscribers)) << r.outcome.describe();
  ASSERT_GE(r.publishes, static_cast<std::uint64_t>(kDevices * 10)) << r.outcome.describe();
  EXPECT_EQ(counter(rep, "messages_received"), 0u);
  EXPECT_EQ(counter(rep, "messages_lost"), 0u) << r.outcome.out;
  EXPECT_EQ(counter(rep, "subscribers_unsubscribed"), static_cast<std::uint64_t>(kSubscribers)) << r.outcome.out;
  EXPECT_EQ(counter(rep, "messages_not_subscribed"), kSubscribers * r.publishes) << r.outcome.out;
  EXPECT_NE(r.outcome.out.find(std::to_string(kSubscribers) + " subscribers never subscribed"), std::string::npos)
      << r.outcome.out;
}

TEST_F(Books, RefusedSubscriptionIsNotLoss) {
  const BrokerRun& r = world->runs[kRefused];
  expect_not_subscribed(r);
  EXPECT_EQ(counter(*r.outcome.report, "subscribe_filters_failed"), r.subscribes);
  EXPECT_EQ(code_count(*r.outcome.report, "suback_grants", "filter 0 requested qos 1 refused"), r.subscribes);
  EXPECT_NE(r.outcome.out.find("filter 0 requested QoS 1: refused"), std::string::npos) << r.outcome.out;
}

TEST_F(Books, UnansweredSubscriptionIsNotLoss) {
  const BrokerRun& r = world->runs[kNoSuback];
  expect_not_subscribed(r);
  EXPECT_EQ(counter(*r.outcome.report, "subscribe_timeouts"), r.subscribes);
  EXPECT_NE(r.outcome.out.find("subscribe_timeouts: SUBSCRIBEs without a SUBACK"), std::string::npos) << r.outcome.out;
}

TEST_F(Books, Mqtt311ConnackToAnMqtt5ConnectIsNamed) {
  const BrokerRun& r = world->runs[kMqtt311Ack];
  const auto& rep = *r.outcome.report;
  ASSERT_EQ(r.connacks, static_cast<std::uint64_t>(kDevices)) << r.outcome.describe();
  const char* reason =
      "broker answered with MQTT 3.1.1 CONNACK 0x01 unacceptable protocol version: it does not speak MQTT 5";
  std::uint64_t named = 0;
  for (const auto& c : rep.at("errors").at("connect_failures").as_array())
    if (c.at("reason").as_string() == reason) named += c.at("count").to_number<std::uint64_t>();
  EXPECT_EQ(named, r.connacks) << r.outcome.out;
  EXPECT_EQ(counter(rep, "connack_mqtt311_on_v5"), r.connacks);
  EXPECT_EQ(counter(rep, "decode_errors"), 0u);
  EXPECT_NE(r.outcome.out.find(reason), std::string::npos) << r.outcome.out;
}

TEST_F(Books, SilentCloseAfterAnMqtt5ConnectGivesAHint) {
  const BrokerRun& r = world->runs[kSilentClose];
  ASSERT_EQ(r.broker_closes, static_cast<std::uint64_t>(kDevices)) << r.outcome.describe();
  EXPECT_EQ(r.connacks, 0u);
  EXPECT_EQ(counter(*r.outcome.report, "connect_failures"), r.broker_closes) << r.outcome.out;
  EXPECT_NE(r.outcome.out.find("it may not speak MQTT 5"), std::string::npos) << r.outcome.out;
  // A broker that does speak MQTT 5 and refuses gets no such hint.
  EXPECT_EQ(world->runs[kMqtt311Ack].outcome.out.find("it may not speak MQTT 5"), std::string::npos);
}

// Every message handed over twice: half the deliveries are second copies. At the granted
// QoS 1 the protocol allows them (at least once): counted apart, not as duplicated; at the
// granted QoS 0 (at most once) they are duplicated. Nothing is lost either way.
void expect_twice(const BrokerRun& r, bool allowed) {
  const auto& rep = *r.outcome.report;
  ASSERT_GE(r.delivered, 2u * 10) << r.outcome.describe();
  ASSERT_EQ(r.delivered % 2, 0u);
  std::printf("%s: the broker delivered %llu copies; fleetload: %llu received, %llu duplicated, %llu allowed at QoS 1\n",
              allowed ? "granted QoS 1" : "granted QoS 0", static_cast<unsigned long long>(r.delivered),
              static_cast<unsigned long long>(counter(rep, "messages_received")),
              static_cast<unsigned long long>(counter(rep, "messages_duplicated")),
              static_cast<unsigned long long>(counter(rep, "messages_duplicated_qos1")));
  EXPECT_EQ(counter(rep, "messages_received"), r.delivered) << r.outcome.out;
  EXPECT_EQ(counter(rep, "messages_duplicated_qos1"), allowed ? r.delivered / 2 : 0u) << r.outcome.out;
  EXPECT_EQ(counter(rep, "messages_duplicated"), allowed ? 0u : r.delivered / 2) << r.outcome.out;
  EXPECT_EQ(counter(rep, "messages_lost"), 0u) << r.outcome.out;
  EXPECT_EQ(counter(rep, "subscribe_qos_downgraded"), static_cast<std::uint64_t>(kSubscribers));
  EXPECT_EQ(r.outcome.out.find(" duplicates (QoS 1 allowed)") != std::string::npos, allowed) << r.outcome.out;
}

TEST_F(Books, DuplicatesAtTheGrantedQos1AreAllowedApart) { expect_twice(world->runs[kTwiceQos1], true); }
TEST_F(Books, DuplicatesAtTheGrantedQos0AreDuplicated) { expect_twice(world->runs[kTwiceQos0], false); }

}  // namespace
}  // namespace fleetload::e2e
