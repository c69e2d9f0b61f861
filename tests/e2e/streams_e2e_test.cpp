// Publish streams through the real binary against a real mosquitto: MQTT 3.1.1 sensors with
// two streams (QoS 0 telemetry, QoS 1 Poisson alarms) and MQTT 5 apps with a stream of their
// own (QoS 1, 10 KiB status documents, a shared body) that also subscribe to everything. The
// test's own subscriber (mosquitto_sub) counts each stream's messages by topic; fleetload's
// per-stream books must agree, lose nothing, and reach the summary, the JSON report, a
// sharded merge and a real Pushgateway.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/topic_counter.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

const json::object& stream_of(const json::value& report, const std::string& name) { return named(report, "streams", name); }

std::string scenario(std::uint16_t port, const std::string& extra = "") {
  return "name: streams-e2e\n"
         "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + "}\n"
         "fleet: {devices: 20, connect_rate: 400/s}\n"
         "session: {keepalive: 30s, clean_session: true}\n"
         "publish:\n"
         "  - {name: telemetry, topic: \"st/tel/{index}\", qos: 0, rate: 5/s}\n"
         "  - {name: alarm, topic: \"st/alarm/{index}\", qos: 1, rate: 1/s, arrival: poisson, payload: 200B}\n"
         "phases:\n"
         "  - type: ramp\n"
         "  - {name: measured, type: steady, duration: 4s}\n"
         "groups:\n"
         "  - name: sensors\n"
         "    devices: 16\n"
         "  - name: apps\n"
         "    devices: 4\n"
         "    target: {protocol: mqtt5}\n"
         "    publish: [{name: status, topic: \"st/status/{index}\", qos: 1, rate: 1/s, payload: 10KiB}]\n"
         "    subscribe: {filters: [{filter: \"st/#\", qos: 1}], subscribers: 2}\n" + extra;
}

TEST(StreamsE2E, EachStreamItsOwnBooksCountedIndependently) {
  const auto dir = make_temp_dir("streams-e2e");
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  const auto port = std::to_string(broker.port());
  bool subscribed = false;
  ChildProcess sub = counting_subscriber(port, "st/#", dir, subscribed);
  ASSERT_TRUE(subscribed) << sub.stderr_text();

  const auto file = write_file(dir, "streams.yaml", scenario(broker.port()));
  const auto report_path = dir / "report.json";
  Pushgateway gateway;
  const Outcome o = run_fleetload({"run", file.string(), "--report", report_path.string(), "--pushgateway",
                                   gateway.url(), "--push-interval", "1s"},
                                  dir, 90s, report_path);
  ASSERT_TRUE(o.report) << o.describe() << broker.log();
  EXPECT_EQ(o.status.code, 0) << o.describe();
  const auto& r = *o.report;
  ASSERT_EQ(r.at("streams").as_array().size(), 3u) << json::serialize(r.at("streams"));

  // Streams merge by name: the apps publish status besides the inherited telemetry and alarm.
  const std::map<std::string, std::string> topic_of{{"telemetry", "st/tel/"}, {"alarm", "st/alarm/"},
                                                    {"status", "st/status/"}};
  std::map<std::string, std::uint64_t> sent;
  for (const auto& [name, prefix] : topic_of) {
    const auto& s = stream_of(r, name);
    sent[name] = u64(s.at("sent"));
    EXPECT_GT(sent[name], 0u) << name;
    EXPECT_EQ(u64(s.at("lost")), 0u) << name;
    EXPECT_EQ(u64(s.at("duplicated")), 0u) << name;
    EXPECT_EQ(u64(s.at("failed")), 0u) << name;
    // Two subscribers, each every message of every stream sent after its SUBACK (QoS 1
    // subscriptions, loopback): what was sent during the ramp before they subscribed is
    // not owed, so at most twice what was sent and nearly that.
    EXPECT_LE(u64(s.at("received")), 2 * sent[name]) << name;
    EXPECT_GE(u64(s.at("received")), 2 * sent[name] * 8 / 10) << name;
    EXPECT_GT(f64(s.at("requested_per_s")), 0.0) << name;
  }
  EXPECT_EQ(u64(stream_of(r, "telemetry").at("acked")), 0u);  // QoS 0
  EXPECT_EQ(u64(stream_of(r, "alarm").at("acked")), sent["alarm"]);
  EXPECT_EQ(u64(stream_of(r, "status").at("acked")), sent["status"]);
  // 5/s and 1/s per device: telemetry is about five times the alarms.
  EXPECT_GT(sent["telemetry"], 3 * sent["alarm"]);
  // The streams add up to the run's totals.
  EXPECT_EQ(sent["telemetry"] + sent["alarm"] + sent["status"],
            qos_counter(r, "publishes_sent", 0) + qos_counter(r, "publishes_sent", 1));
  EXPECT_EQ(counter(r, "messages_lost"), 0u);
  // The summary has a row per stream, the HTML report beside the JSON one a table.
  const std::string html = read_file(dir / "report.html");
  EXPECT_NE(html.find("<h2>Publish streams</h2>"), std::string::npos);
  for (const auto& [name, prefix] : topic_of) {
    EXPECT_NE(o.out.find(name + ": requested "), std::string::npos) << o.out;
    EXPECT_NE(html.find("<td>" + name + "</td><td class=\"num\">"), std::string::npos) << name;
  }

  // The test's own count per stream, by topic: exactly what was sent.
  wait_until([&] {
    const std::string t = sub.stdout_text();
    for (const auto& [name, prefix] : topic_of)
      if (lines_starting(t, prefix) < sent[name]) return false;
    return true;
  }, 20s);
  sub.kill_and_wait();
  const std::string seen = sub.stdout_text();
  for (const auto& [name, prefix] : topic_of) EXPECT_EQ(lines_starting(seen, prefix), sent[name]) << name;

  // Prometheus: the final push to a real Pushgateway, per group and stream.
  const std::string pushed = http_get(gateway.port(), "/metrics").body;
  double pushed_alarms = 0.0;
  for (const char* g : {"sensors", "apps"}) {
    const auto v = sample_value(pushed, "fleetload_stream_messages_total",
                                {std::string("group=\"") + g + "\"", "stream=\"alarm\"", "event=\"sent\""});
    ASSERT_TRUE(v) << g << "\n" << pushed;
    pushed_alarms += *v;
  }
  EXPECT_EQ(pushed_alarms, static_cast<double>(sent["alarm"]));
}

// Two shards merged have the same streams and add up their counts; the books still balance.
TEST(StreamsE2E, ShardedStreamsMerge) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  const auto dir = make_temp_dir("streams-shards");
  const auto file = write_file(dir, "streams.yaml", scenario(broker.port()));
  std::uint64_t sent = 0, received = 0;
  for (const char* k : {"0", "1"}) {
    const auto rp = dir / (std::string("s") + k + ".json");
    const Outcome o = run_fleetload({"run", file.string(), "--shard", std::string(k) + "/2", "--report", rp.string()},
                                    dir, 60s, rp);
    ASSERT_TRUE(o.report) << o.describe();
    sent += u64(stream_of(*o.report, "alarm").at("sent"));
    received += u64(stream_of(*o.report, "alarm").at("received"));
  }
  const auto merged_path = dir / "merged.json";
  const Outcome m = run_fleetload({"report", "merge", (dir / "s0.json").string(), (dir / "s1.json").string(), "--out",
                                   merged_path.string()},
                                  dir, 30s, merged_path);
  ASSERT_TRUE(m.report) << m.describe();
  const auto& alarm = stream_of(*m.report, "alarm");
  EXPECT_EQ(u64(alarm.at("sent")), sent);
  EXPECT_EQ(u64(alarm.at("received")), received);
  EXPECT_GT(sent, 0u);
  EXPECT_EQ(m.report->at("streams").as_array().size(), 3u);
}

// Two shards running at once, each with publishers and subscribers: each subscriber's books
// of the other shard's publishers go into its report (books_exchange) and report merge
// settles them against those publishers' spans.
TEST(StreamsE2E, ConcurrentShardsSettleTheBooksAcrossShards) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  const auto dir = make_temp_dir("streams-xshard");
  const std::string yaml =
      "name: xshard\n"
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + "}\n"
      "fleet: {devices: 20, connect_rate: 400/s}\n"
      "session: {keepalive: 30s, clean_session: true}\n"
      "publish:\n"
      "  - {name: telemetry, topic: \"x/tel/{index}\", qos: 1, rate: 4/s, publishers: 16}\n"
      "  - {name: alarm, topic: \"x/alarm/{index}\", qos: 1, rate: 1/s, publishers: 16}\n"
      "subscribe: {filters: [{filter: \"x/#\", qos: 1}], subscribers: 4}\n"
      "run: {duration: 4s}\n";
  const auto file = write_file(dir, "x.yaml", yaml);
  std::vector<ChildProcess> shards;
  for (const char* k : {"0", "1"})
    shards.push_back(spawn_fleetload({"run", file.string(), "--shard", std::string(k) + "/2", "--report",
                                      (dir / (std::string("s") + k + ".json")).string(), "--no-metrics"},
                                     dir, std::string("shard") + k));
  std::vector<json::value> reports;
  for (std::size_t k = 0; k < 2; ++k) {
    const Outcome o = finish(shards[k], 60s, dir / ("s" + std::to_string(k) + ".json"));
    ASSERT_TRUE(o.report) << o.describe();
    EXPECT_EQ(o.status.code, 0) << o.describe();
    reports.push_back(*o.report);
  }
  // Each shard: 8 publishers x 2 streams; its 2 subscribers each expected the other shard's
  // 8 x 2 publisher streams.
  for (const auto& r : reports) {
    const auto& x = r.at("books_exchange");
    EXPECT_EQ(x.at("publishers").as_array().size(), 16u) << json::serialize(x.at("publishers"));
    EXPECT_EQ(x.at("subscribers").as_array().size(), 2u * 16u);
  }
  const auto merged_path = dir / "merged.json";
  const Outcome m = run_fleetload({"report", "merge", (dir / "s0.json").string(), (dir / "s1.json").string(), "--out",
                                   merged_path.string()},
                                  dir, 30s, merged_path);
  ASSERT_TRUE(m.report) << m.describe();
  const auto& mr = *m.report;
  EXPECT_EQ(counter(mr, "messages_lost"), 0u);
  EXPECT_EQ(counter(mr, "messages_unjudged"), 0u);
  EXPECT_EQ(counter(mr, "messages_duplicated"), 0u);
  // Nothing is left unsettled: both shards' publishers are in the merge.
  const auto* x = mr.as_object().if_contains("books_exchange");
  if (x) {
    EXPECT_TRUE(x->at("subscribers").as_array().empty());
  }
  // Every subscriber received the other shard's publishers too: at least what they sent
  // after the last subscriber's SUBACK, from both shards.
  const std::uint64_t sent = qos_counter(reports[0], "publishes_sent", 1) + qos_counter(reports[1], "publishes_sent", 1);
  EXPECT_GT(counter(mr, "messages_received"), 3 * sent);
  EXPECT_LE(counter(mr, "messages_received"), 4 * sent);
}

}  // namespace
}  // namespace fleetload::e2e
