// 5,000 devices against a real mosquitto: connect, publish QoS 1, subscribe; zero loss and
// balanced books, over MQTT 3.1.1 and MQTT 5, checked from the JSON report of `fleetload run`.
#include <gtest/gtest.h>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;

constexpr int kDevices = 5000;
constexpr int kSubscribers = 2;

std::string fleet_scenario(std::uint16_t port, const char* protocol) {
  return std::string("name: fleet-") + protocol +
         "\n"
         "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: " + protocol +
         "}\n"
         "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 2500/s}\n"
         "session: {keepalive: 60s, clean_session: true, ack_timeout: 20s}\n"
         "publish:\n"
         "  topic: \"e2e/{index}/t\"\n"
         "  qos: 1\n"
         "  rate: 0.5/s\n"
         "  payload: 128B\n"
         "subscribe:\n"
         "  filters: [{filter: \"e2e/+/t\", qos: 1}]\n"
         "  subscribers: " + std::to_string(kSubscribers) +
         "\n"
         "phases:\n"
         "  - type: ramp\n"
         // Subscribers may be among the last devices of the ramp; give them time to be
         // subscribed before the phase whose every message they must receive.
         "  - {name: settle, type: steady, duration: 2s}\n"
         "  - {name: measured, type: steady, duration: 10s}\n"
         "thresholds:\n"
         "  connect_success_ratio: \">= 100%\"\n"
         "  max_loss: 0\n"
         "  max_duplicates: 0\n";
}

void check_fleet_run(const char* protocol) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  const auto dir = make_temp_dir(std::string("fleet-") + protocol);
  const auto file = write_file(dir, "fleet.yaml", fleet_scenario(broker.port(), protocol));
  const auto report_path = dir / "report.json";
  const Outcome o = run_fleetload({"run", file.string(), "--report", report_path.string()}, dir, 90s, report_path);
  ASSERT_TRUE(o.report) << o.describe() << broker.log();
  const auto& r = *o.report;
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(r.at("run").at("exit_reason").as_string(), "completed");

  // Every device connected, once, and stayed.
  EXPECT_EQ(counter(r, "connects_ok"), static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(counter(r, "connect_failures"), 0u);
  EXPECT_EQ(counter(r, "drops"), 0u);
  EXPECT_EQ(u64(r.at("run").at("peak_connected")), static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(u64(r.at("run").at("connected_at_end")), static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(counter(r, "subscribe_filters_ok"), static_cast<std::uint64_t>(kSubscribers));
  EXPECT_EQ(counter(r, "clean_disconnects"), static_cast<std::uint64_t>(kDevices));

  // QoS 1 books: every request is acked, timed out, failed or pending, and here all acked
  // but what was in flight when the run stopped.
  const auto requests = qos_counter(r, "publish_requests", 1);
  const auto acked = qos_counter(r, "publishes_acked", 1);
  EXPECT_GT(requests, static_cast<std::uint64_t>(kDevices) * 4) << "about 7 publishes per device expected";
  const auto& books = r.at("message_books").as_array();
  ASSERT_EQ(books.size(), 1u);
  EXPECT_TRUE(books.at(0).at("balanced").as_bool()) << boost::json::serialize(books);
  EXPECT_EQ(qos_counter(r, "ack_timeouts", 1), 0u);
  EXPECT_EQ(u64(books.at(0).at("timed_out")), 0u);
  EXPECT_EQ(requests, acked + u64(books.at(0).at("failed")) + u64(books.at(0).at("pending_at_end")));

  // Subscribers: no loss, no duplicates, nothing out of order; each subscriber saw the
  // fleet's messages (all of them, minus those still in transit at the stop).
  EXPECT_EQ(counter(r, "messages_lost"), 0u);
  EXPECT_EQ(counter(r, "messages_duplicated"), 0u);
  EXPECT_EQ(counter(r, "messages_out_of_order"), 0u);
  EXPECT_EQ(counter(r, "messages_untracked"), 0u);
  const auto received = counter(r, "messages_received");
  const auto sent = qos_counter(r, "publishes_sent", 1);
  // Subscribers were subscribed for the whole measured phase, and the engine waits for
  // deliveries to settle before stopping: each of them got every message of that phase.
  const auto& phases = r.at("phases").as_array();
  ASSERT_EQ(phases.size(), 3u);
  const auto steady_sent = u64(phases.at(2).at("counters_by_qos").at("publishes_sent").as_array().at(1));
  EXPECT_GE(received, steady_sent * kSubscribers) << "received " << received << ", steady phase sent " << steady_sent;
  EXPECT_LE(received, sent * kSubscribers);
  EXPECT_EQ(u64(histogram(r, "e2e_latency").at("count")), received);
  EXPECT_EQ(u64(histogram(r, "ack_latency").at("count")), acked);

  // Rates: requested vs achieved over the steady phase.
  const auto& steady = phases.at(2).at("publish_rate");
  EXPECT_NEAR(f64(steady.at("requested_per_s")), kDevices / 2.0, 1.0);
  EXPECT_LT(std::abs(f64(steady.at("error_percent"))), 5.0) << boost::json::serialize(steady);

  // The report's scaffolding is there: thresholds verdict, cost, scenario echo, summary.
  EXPECT_TRUE(r.at("thresholds").at("passed").as_bool());
  EXPECT_GT(u64(r.at("cost").at("peak_rss_bytes")), 0u);
  EXPECT_GT(f64(r.at("cost").at("cpu_s_per_100k_messages")), 0.0);
  EXPECT_NE(std::string(r.at("scenario").at("resolved_yaml").as_string()).find("devices: 5000"), std::string::npos);
  EXPECT_NE(o.out.find("QoS 1 books"), std::string::npos) << o.out;
  EXPECT_FALSE(r.at("series").as_array().empty());
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}

TEST(FleetE2e, FiveThousandDevicesMqtt311ZeroLossBalancedBooks) { check_fleet_run("mqtt311"); }
TEST(FleetE2e, FiveThousandDevicesMqtt5ZeroLossBalancedBooks) { check_fleet_run("mqtt5"); }

}  // namespace
}  // namespace fleetload::e2e
