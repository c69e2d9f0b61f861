// The capacity search run for real (phase type search), against mosquitto behind the test's
// own proxy: with the proxy capping open connections, the devices search finds that count;
// with it limiting accepts per second, the connect_rate search finds the proxy's accept rate within its
// precision; with it limiting the bytes towards the broker, the publish_rate search finds that
// throughput; and a rate the proxy mostly refuses ends the search at once as a collapse. The
// limits are the test's own configuration and the proxy counts what it admitted and refused
// itself; fleetload only reports what it found.
#include <gtest/gtest.h>

#include <cmath>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/rate_limit_proxy.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

class Search : public ::testing::Test {
 protected:
  fs::path dir_ = make_temp_dir("search");
  void TearDown() override {
    if (!HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_);
  }
  Outcome run(const std::string& tag, const std::string& yaml) {
    const auto file = write_file(dir_, tag + ".yaml", yaml);
    const auto report = dir_ / (tag + ".json");
    return run_fleetload({"run", file.string(), "--report", report.string(), "--no-progress", "--no-metrics",
                          "--threads", "1"},
                         dir_, 90s, report);
  }
};

const json::object& search_of(const Outcome& o) { return o.report->at("search").as_object(); }

// The search found the test's known limit: exit 0, the sustainable value within `precision`
// of it, the first failing value above it and within `precision` of the sustainable one,
// broken by `criterion`, stopped by the precision.
void expect_knee(const Outcome& o, double limit, double precision, const char* criterion) {
  EXPECT_EQ(o.status.code, 0) << o.describe();
  const auto& s = search_of(o);
  const double sustainable = f64(s.at("sustainable"));
  const double failing = f64(s.at("first_failing"));
  EXPECT_LE(std::fabs(sustainable - limit), precision) << o.describe();
  EXPECT_GT(failing, limit - 1.0) << o.describe();
  EXPECT_LE(failing - sustainable, precision + 1e-9) << o.describe();
  EXPECT_EQ(s.at("broken_by").as_array()[0].as_string(), criterion);
  EXPECT_NE(std::string(s.at("stop_reason").as_string()).find("precision reached"), std::string::npos);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::vector<std::string> kinds(const json::object& s) {
  std::vector<std::string> out;
  for (const auto& st : s.at("steps").as_array()) out.emplace_back(st.at("kind").as_string());
  return out;
}

TEST_F(Search, DevicesSearchFindsTheBrokersConnectionLimit) {
  MosquittoBroker broker;
  // A broker that holds 30 connections at once: the proxy refuses the 31st while 30 are open.
  constexpr std::uint64_t kLimit = 30;
  RateLimitProxy proxy(broker.port(), 1e6, 1.0, kLimit);
  // Publishers at QoS 1: every step's window measures ack latency. Any step above 30
  // cannot reach its count.
  const Outcome o = run("devices", "target: {endpoint: 127.0.0.1, port: " + std::to_string(proxy.port()) + "}\n"
                        "fleet: {devices: 80, client_id: \"dev-{index}\", connect_rate: 200/s}\n"
                        "reconnect: {min_delay: 1s, max_delay: 1s}\n"
                        "publish: {topic: \"t/{index}\", rate: 2/s, qos: 1}\n"
                        "phases:\n"
                        "  - type: search\n"
                        "    vary: devices\n"
                        "    from: 10\n"
                        "    to: 80\n"
                        "    steps: geometric 2\n"
                        "    hold: 1500ms\n"
                        "    settle: 500ms\n"
                        "    precision: 1\n"
                        "    require: \">= 25\"\n"
                        // The refused devices retry: failed attempts, not a collapse here.
                        "    abort: {connect_success_below: 0%, errors_above: 100000/s}\n"
                        "thresholds: {p99_ack_latency: \"<= 2s\"}\n");
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_EQ(o.status.code, 0) << o.describe();
  const auto& s = search_of(o);
  const double sustainable = f64(s.at("sustainable"));
  EXPECT_EQ(sustainable, 30.0) << o.describe();
  EXPECT_EQ(f64(s.at("first_failing")), 31.0) << o.describe();
  // The proxy's own count: it held its limit and refused beyond it.
  EXPECT_EQ(proxy.peak_open(), kLimit);
  EXPECT_GT(proxy.refused(), 0u);
  EXPECT_NE(std::string(s.at("stop_reason").as_string()).find("precision reached"), std::string::npos) << o.describe();
  ASSERT_FALSE(s.at("broken_by").as_array().empty());
  EXPECT_EQ(s.at("broken_by").as_array()[0].as_string(), "devices_connected");
  // The ladder 10, 20, 40 then bisection back down: devices were disconnected and others
  // brought back, and every passing step had its full count connected.
  const auto k = kinds(s);
  ASSERT_GE(k.size(), 4u) << o.describe();
  EXPECT_EQ(k[2], "ladder");
  EXPECT_EQ(k[3], "bisect");
  for (const auto& st : s.at("steps").as_array()) {
    if (st.at("passed").as_bool()) {
      EXPECT_EQ(f64(st.at("achieved")), f64(st.at("value")));
    }
    if (f64(st.at("value")) > sustainable) {
      EXPECT_FALSE(st.at("passed").as_bool());
    }
  }
  EXPECT_NE(o.out.find("sustainable: 30, first failing: 31"), std::string::npos) << o.out;
}

TEST_F(Search, ConnectRateSearchFindsTheProxyAcceptLimit) {
  MosquittoBroker broker;
  constexpr double kLimit = 40.0;
  RateLimitProxy proxy(broker.port(), kLimit, 0.1);
  // Refused devices wait 5 s before retrying: each step's window sees its own new attempts.
  const Outcome o = run("rate", "target: {endpoint: 127.0.0.1, port: " + std::to_string(proxy.port()) + "}\n"
                        "fleet: {devices: 260, client_id: \"rate-{index}\", connect_rate: 20/s}\n"
                        "reconnect: {min_delay: 5s, max_delay: 5s}\n"
                        "phases:\n"
                        "  - type: search\n"
                        "    vary: connect_rate\n"
                        "    from: 20/s\n"
                        "    to: 80/s\n"
                        "    steps: geometric 2\n"
                        "    hold: 1500ms\n"
                        "    settle: 500ms\n"
                        "    precision: 5/s\n"
                        "    abort: {connect_success_below: 10%, errors_above: 100000/s}\n"
                        "thresholds: {connect_success_ratio: \">= 95%\"}\n");
  ASSERT_TRUE(o.report) << o.describe();
  expect_knee(o, kLimit, 5.0, "connect_success_ratio");
  const auto& s = search_of(o);
  // The proxy's own books: the search pushed past its limit, and fleetload's accepted
  // connections are ones the proxy admitted.
  EXPECT_GT(proxy.refused(), 0u);
  EXPECT_LE(counter(*o.report, "connects_ok"), proxy.admitted());
  // Each step measured new connections at about its rate: a passing step achieved it.
  for (const auto& st : s.at("steps").as_array()) {
    if (st.at("passed").as_bool()) {
      EXPECT_NEAR(f64(st.at("achieved")), f64(st.at("value")), 0.25 * f64(st.at("value")));
    }
  }
}

// A broker that takes only so many bytes a second: the proxy forwards at most 230 PUBLISHes'
// worth per second towards mosquitto (each exactly 109 bytes: 3-byte topic, packet id,
// 100-byte payload, 2-byte fixed header), so acknowledgements fall ever further behind above
// that rate. The publish_rate search must find it within its precision.
TEST_F(Search, PublishRateSearchFindsTheBrokersThroughput) {
  MosquittoBroker broker;
  constexpr double kLimit = 230.0;  // messages per second
  constexpr double kPublishBytes = 109.0;
  RateLimitProxy proxy(broker.port(), 1e6);
  proxy.limit_upstream_bytes(kLimit * kPublishBytes);
  const Outcome o = run("pubrate", "target: {endpoint: 127.0.0.1, port: " + std::to_string(proxy.port()) + "}\n"
                        "fleet: {devices: 10, client_id: \"pr-{index}\", connect_rate: 200/s}\n"
                        "session: {keepalive: 300s}\n"
                        "publish: {topic: \"p/{index}\", rate: 5/s, qos: 1, payload: 100B}\n"
                        "phases:\n"
                        "  - type: ramp\n"
                        "  - type: search\n"
                        "    vary: publish_rate\n"
                        "    from: 50/s\n"
                        "    to: 800/s\n"
                        "    steps: geometric 2\n"
                        "    hold: 2s\n"
                        "    settle: 500ms\n"
                        "    precision: 20/s\n"
                        "    require: \">= 200/s\"\n"
                        "thresholds: {p99_ack_latency: \"<= 100ms\"}\n");
  ASSERT_TRUE(o.report) << o.describe();
  expect_knee(o, kLimit, 20.0, "p99_ack_latency");
  const auto& s = search_of(o);
  // Each step published at its value (the schedule follows the step), passing or not, and
  // the proxy forwarded no more than its limit allows over the run.
  for (const auto& st : s.at("steps").as_array())
    EXPECT_NEAR(f64(st.at("achieved")), f64(st.at("value")), 0.1 * f64(st.at("value"))) << json::serialize(st);
  EXPECT_EQ(counter(*o.report, "connects_ok"), 10u);
  EXPECT_GT(proxy.upstream_bytes(), 0u);
  // The HTML report beside the JSON one: the answer, a row per step, and the chart data of
  // the ladder over time and of the criterion against the value with the knee marked.
  const std::string html = read_file(dir_ / "pubrate.html");
  EXPECT_NE(html.find("<h2>Capacity search</h2>"), std::string::npos);
  EXPECT_NE(html.find("sustainable <b>"), std::string::npos);
  EXPECT_EQ(html.find("all thresholds met"), std::string::npos);  // the search decided, not the whole run
  EXPECT_NE(html.find("capacity search: sustainable "), std::string::npos);
  EXPECT_EQ(occurrences(html, "<td>bisect</td>") + occurrences(html, "<td>ladder</td>"),
            s.at("steps").as_array().size());
  EXPECT_NE(html.find("p99_ack_latency / its limit"), std::string::npos);
  EXPECT_NE(html.find("sustainable (knee)"), std::string::npos);
  EXPECT_NE(html.find("\"step value\""), std::string::npos);
}

// `group:` varies one group while the others hold steady, and a publish_rate search keeps
// every connection, so subscribers may watch it: the burst group's knee is the proxy's
// capacity less what the steady group uses; the steady group keeps its rate; the
// subscribers (straight to mosquitto) lose nothing.
TEST_F(Search, PublishRateSearchOfOneGroupWithSubscribers) {
  MosquittoBroker broker;
  RateLimitProxy proxy(broker.port(), 1e6);
  // 230/s of the burst group's 109-byte PUBLISHes ("p/0".."p/9") plus the steady group's
  // 25/s of 110 bytes ("s/10".."s/14").
  proxy.limit_upstream_bytes(230.0 * 109.0 + 25.0 * 110.0);
  const std::string via = "{endpoint: 127.0.0.1, port: " + std::to_string(proxy.port()) + "}";
  const Outcome o = run("group", "target: " + via + "\n"
                        "fleet: {devices: 17, client_id: \"g-{index}\", connect_rate: 200/s}\n"
                        "session: {keepalive: 300s}\n"
                        "publish: {topic: \"p/{index}\", rate: 5/s, qos: 1, payload: 100B}\n"
                        "groups:\n"
                        "  - {name: burst, devices: 10}\n"
                        "  - {name: steady, devices: 5, publish: {topic: \"s/{index}\"}}\n"
                        "  - name: subs\n"
                        "    devices: 2\n"
                        "    target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + "}\n"
                        "    publish: {publishers: none}\n"
                        "    subscribe: {filters: [{filter: \"#\", qos: 1}]}\n"
                        "phases:\n"
                        "  - type: ramp\n"
                        "  - type: search\n"
                        "    vary: publish_rate\n"
                        "    group: burst\n"
                        "    from: 50/s\n"
                        "    to: 800/s\n"
                        "    hold: 2s\n"
                        "    settle: 500ms\n"
                        "    precision: 20/s\n"
                        "thresholds: {p99_ack_latency: \"<= 100ms\", max_loss: 0}\n"
                        "run: {drain_timeout: 20s}\n");
  ASSERT_TRUE(o.report) << o.describe();
  expect_knee(o, 230.0, 20.0, "p99_ack_latency");
  const auto& r = *o.report;
  const auto& steady = named(r, "groups", "steady");
  EXPECT_NEAR(f64(steady.at("publish_rate").at("achieved_per_s")), 25.0, 2.5) << json::serialize(steady.at("publish_rate"));
  const auto& subs = named(r, "groups", "subs");
  EXPECT_GT(u64(subs.at("totals").at("counters").at("messages_received")), 0u);
  EXPECT_EQ(u64(subs.at("totals").at("counters").at("messages_lost")), 0u);
  EXPECT_EQ(u64(subs.at("totals").at("counters").at("messages_duplicated")), 0u);
}

TEST_F(Search, CollapseEndsTheSearchAtOnce) {
  MosquittoBroker broker;
  RateLimitProxy proxy(broker.port(), 10.0, 0.1);
  // 5/s passes; at 40/s the proxy refuses about three in four: below abort's 50%, a collapse
  // that must end the search without bisecting between 5/s and 40/s.
  const Outcome o = run("collapse", "target: {endpoint: 127.0.0.1, port: " + std::to_string(proxy.port()) + "}\n"
                        "fleet: {devices: 130, client_id: \"col-{index}\", connect_rate: 5/s}\n"
                        "reconnect: {min_delay: 5s, max_delay: 5s}\n"
                        "phases:\n"
                        "  - type: search\n"
                        "    vary: connect_rate\n"
                        "    from: 5/s\n"
                        "    to: 40/s\n"
                        "    steps: geometric 8\n"
                        "    hold: 1500ms\n"
                        "    settle: 500ms\n"
                        "    precision: 1/s\n"
                        "    require: \">= 20/s\"\n"
                        "thresholds: {connect_success_ratio: \">= 95%\"}\n");
  ASSERT_TRUE(o.report) << o.describe();
  // A sustainable 5/s does not meet require >= 20/s: exit 1.
  EXPECT_EQ(o.status.code, 1) << o.describe();
  const auto& s = search_of(o);
  EXPECT_EQ(kinds(s), (std::vector<std::string>{"ladder", "ladder"})) << o.describe();
  EXPECT_TRUE(s.at("collapsed").as_bool());
  EXPECT_TRUE(s.at("steps").as_array()[1].at("collapse").as_bool());
  EXPECT_EQ(std::string(s.at("stop_reason").as_string()), "collapse at 40/s: the search stopped there") << o.describe();
  EXPECT_EQ(f64(s.at("sustainable")), 5.0);
  EXPECT_EQ(o.report->at("verdict").as_string(), "fail");
  EXPECT_GT(proxy.refused(), proxy.admitted() / 2);
}

// What this build does not drive is refused before any device connects (exit 2), naming
// the phase: a publish_rate search, and a search in a fleet with subscribers.
TEST_F(Search, UndrivenSearchesAreRefusedBeforeAnyConnect) {
  MosquittoBroker broker;
  RateLimitProxy proxy(broker.port(), 1e6);
  const std::string head = "target: {endpoint: 127.0.0.1, port: " + std::to_string(proxy.port()) + "}\n"
                           "fleet: {devices: 10}\n"
                           "thresholds: {p99_ack_latency: \"<= 1s\"}\n";
  const Outcome pub = run("pub", head + "publish: {topic: \"t/{index}\", rate: 1/s, qos: 1, publishers: none}\n"
                                        "phases: [{type: search, vary: publish_rate, from: 10/s, to: 40/s, hold: 1s}]\n");
  EXPECT_EQ(pub.status.code, 2) << pub.describe();
  EXPECT_NE(pub.err.find("phases.0: vary: publish_rate needs devices that publish"), std::string::npos) << pub.describe();
  const Outcome sub = run("sub", head + "publish: {topic: \"t/{index}\", rate: 1/s, qos: 1}\n"
                                        "subscribe: {filters: [\"t/#\"], subscribers: 2}\n"
                                        "phases: [{type: search, vary: devices, from: 2, to: 8, hold: 1s}]\n");
  EXPECT_EQ(sub.status.code, 2) << sub.describe();
  EXPECT_NE(sub.err.find("phases.0: a search stops and restarts devices"), std::string::npos) << sub.describe();
  EXPECT_EQ(proxy.admitted() + proxy.refused(), 0u);
}

}  // namespace
}  // namespace fleetload::e2e
