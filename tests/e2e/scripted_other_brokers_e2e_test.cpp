// What brokers other than mosquitto do, played by the scripted broker and counted on its own
// log: RabbitMQ's MQTT plugin has no QoS 2 and answers a QoS 2 PUBLISH with PUBACK. The
// messages were accepted (at QoS 1): booked as acknowledged and named as the broker's
// downgrade, never failed at shutdown, and the publish rate holds (left in flight, the
// entries stalled publishing once the window filled).
#include <gtest/gtest.h>

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

struct World {
  std::unique_ptr<ScriptedBroker> broker;
  std::filesystem::path dir;
  Outcome outcome;
  std::uint64_t qos2_publishes_seen = 0;  // by the broker, every one answered with PUBACK
  std::string error;
};
World* world = nullptr;

void build_world(World& w) {
  w.dir = make_temp_dir("scripted-brokers");
  w.broker = std::make_unique<ScriptedBroker>(R"({"profiles": [{"match": ".*", "qos2_ack": "puback"}]})");
  const auto file = write_file(
      w.dir, "s.yaml",
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(w.broker->port()) + ", protocol: mqtt311}\n"
      "fleet: {devices: " + std::to_string(kDevices) + ", client_id: \"d-{index}\", connect_rate: 1000/s}\n"
      "publish: {topic: \"t/{index}\", qos: 2, rate: 10/s}\n"
      "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 3s}\n");
  const auto report = w.dir / "report.json";
  w.outcome = run_fleetload({"run", file.string(), "--report", report.string(), "--no-metrics"}, w.dir, 60s, report);
  if (!w.outcome.report) throw std::runtime_error("no report:\n" + w.outcome.describe());
  for (const auto& e : w.broker->events())
    if (e.at("event").as_string() == "publish" && e.at("qos").to_number<int>() == 2) ++w.qos2_publishes_seen;
}

class OtherBrokers : public SharedWorldTest<World, world, build_world> {};

TEST_F(OtherBrokers, PubackForQos2IsBookedAsAcceptedAndNamedAsTheDowngrade) {
  const auto& rep = *world->outcome.report;
  ASSERT_GE(world->qos2_publishes_seen, static_cast<std::uint64_t>(kDevices * 20)) << world->outcome.describe();
  EXPECT_EQ(qos_counter(rep, "publishes_acked", 2), world->qos2_publishes_seen) << world->outcome.out;
  EXPECT_EQ(counter(rep, "qos2_answered_with_puback"), world->qos2_publishes_seen);
  EXPECT_EQ(qos_counter(rep, "publishes_failed", 2), 0u) << world->outcome.out;
  EXPECT_EQ(counter(rep, "unexpected_acks"), 0u);
  EXPECT_NE(world->outcome.out.find("qos2_answered_with_puback: broker answered QoS 2 with PUBACK"), std::string::npos)
      << world->outcome.out;
  EXPECT_NE(world->outcome.out.find("[balanced]"), std::string::npos) << world->outcome.out;
}

TEST_F(OtherBrokers, PublishRateHoldsWhenTheBrokerDowngradesQos2) {
  const auto& rate = world->outcome.report->at("publish_rate");
  EXPECT_LT(std::abs(rate.at("error_percent").to_number<double>()), 5.0) << world->outcome.out;
}

}  // namespace
}  // namespace fleetload::e2e
