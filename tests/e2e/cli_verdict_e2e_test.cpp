// The verdict of real runs through the fleetload binary: pass (0), fail (1) and
// inconclusive (4) in the exit code, the summary, the JSON report and the HTML badge; a run
// where no device connected, or a threshold nothing measured, never passes.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class CliVerdict : public ::testing::Test {
 protected:
  fs::path dir_ = make_temp_dir("verdict");
  void TearDown() override {
    if (!HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_);
  }
  // Runs `yaml` with --report dir/<tag>.json; the HTML report lands beside it.
  Outcome run(const std::string& tag, const std::string& yaml, std::vector<std::string> extra = {}) {
    const auto file = write_file(dir_, tag + ".yaml", yaml);
    const auto report = dir_ / (tag + ".json");
    std::vector<std::string> args{"run", file.string(), "--report", report.string(), "--no-progress", "--no-metrics"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_fleetload(args, dir_, 60s, report);
  }
  std::string html(const std::string& tag) const { return read_file(dir_ / (tag + ".html")); }
};

// `devices` devices against 127.0.0.1:port for `duration`.
std::string scenario(std::uint16_t port, int devices, const std::string& duration, const std::string& extra) {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: mqtt5, connect_timeout: 1s}\n"
         "fleet: {devices: " + std::to_string(devices) + ", connect_rate: 1000/s}\n"
         "reconnect: {min_delay: 200ms, max_delay: 500ms}\n"
         "run: {duration: " + duration + "}\n" + extra;
}

const char* kPublishQos1 = "publish: {topic: \"v/{index}\", qos: 1, rate: 5/s}\n";

std::string threshold_field(const boost::json::value& r, std::size_t i, const char* key) {
  return std::string(r.at("thresholds").at("results").at(i).at(key).as_string());
}

TEST_F(CliVerdict, BrokerDownWithoutThresholdsIsInconclusive) {
  const std::uint16_t nobody = pick_free_port();  // nothing listens there
  const Outcome o = run("down", scenario(nobody, 20, "1500ms", kPublishQos1));
  EXPECT_EQ(o.status.code, 4) << o.describe();
  ASSERT_TRUE(o.report) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(counter(r, "connects_ok"), 0u);
  EXPECT_GT(counter(r, "connect_failures"), 0u) << "the devices did try";
  EXPECT_EQ(r.at("verdict").as_string(), "inconclusive");
  ASSERT_FALSE(r.at("verdict_reasons").as_array().empty());
  EXPECT_EQ(r.at("verdict_reasons").as_array()[0].as_string(), "no device connected");
  EXPECT_TRUE(r.at("thresholds").at("passed").as_bool()) << "no threshold, none breached (compatibility field)";
  EXPECT_NE(o.out.find("verdict: INCONCLUSIVE (no device connected)"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("verdict: PASS"), std::string::npos) << o.out;
  const std::string page = html("down");
  EXPECT_NE(page.find("class=\"verdict inconclusive\">INCONCLUSIVE"), std::string::npos);
  EXPECT_EQ(page.find("class=\"verdict pass\""), std::string::npos);
}

TEST_F(CliVerdict, BrokerDownWithThresholdsIsInconclusiveAndSaysWhyPerThreshold) {
  const std::uint16_t nobody = pick_free_port();
  const Outcome o = run("down-th", scenario(nobody, 20, "1500ms", std::string(kPublishQos1) +
                                                "thresholds: {max_loss: 0, p99_ack_latency: \"<= 1s\"}\n"));
  EXPECT_EQ(o.status.code, 4) << o.describe();
  ASSERT_TRUE(o.report) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(r.at("verdict").as_string(), "inconclusive");
  EXPECT_FALSE(r.at("thresholds").at("passed").as_bool());
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_FALSE(r.at("thresholds").at("results").at(i).at("measured").as_bool());
    EXPECT_EQ(threshold_field(r, i, "verdict"), "inconclusive");
    EXPECT_FALSE(threshold_field(r, i, "reason").empty());
  }
  EXPECT_NE(o.out.find("verdict: INCONCLUSIVE (no device connected)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("max_loss                 0              not measured: no subscriber received anything"),
            std::string::npos) << o.out;
  EXPECT_NE(o.out.find("not measured: no device connected"), std::string::npos) << o.out;
  EXPECT_NE(html("down-th").find("class=\"verdict inconclusive\""), std::string::npos);
}

TEST_F(CliVerdict, MaxLossWithoutSubscribersIsInconclusiveWithTheReason) {
  MosquittoBroker broker;
  const Outcome o = run("nosub", scenario(broker.port(), 10, "1500ms", std::string(kPublishQos1) +
                                               "thresholds: {max_loss: 0, max_duplicates: 0}\n"));
  EXPECT_EQ(o.status.code, 4) << o.describe();
  ASSERT_TRUE(o.report) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(counter(r, "connects_ok"), 10u);
  EXPECT_GT(qos_counter(r, "publishes_acked", 1), 0u);
  EXPECT_EQ(r.at("verdict").as_string(), "inconclusive");
  EXPECT_FALSE(r.at("thresholds").at("results").at(0).at("measured").as_bool());
  EXPECT_TRUE(r.at("thresholds").at("results").at(0).at("value").is_null());
  EXPECT_EQ(threshold_field(r, 0, "reason"), "no subscriber received anything");
  EXPECT_NE(o.out.find("not measured: no subscriber received anything"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("measured 0\n"), std::string::npos) << "never \"measured 0\" for nothing measured\n" << o.out;
  EXPECT_NE(o.out.find("verdict: INCONCLUSIVE (max_loss: not measured: no subscriber received anything"),
            std::string::npos) << o.out;
}

// Publishers and subscribers on one broker: every threshold measured.
std::string measured_scenario(std::uint16_t port, const std::string& thresholds) {
  return scenario(port, 12, "2s",
                  std::string(kPublishQos1) +
                      "subscribe: {filters: [{filter: \"v/#\", qos: 1}], subscribers: 2}\n"
                      "thresholds: {" + thresholds + "}\n");
}

std::size_t connections_logged(const MosquittoBroker& b) {
  const std::string log = b.log();
  const std::regex line("New client connected from");
  return static_cast<std::size_t>(std::distance(std::sregex_iterator(log.begin(), log.end(), line), std::sregex_iterator()));
}

TEST_F(CliVerdict, MeasuredRunThatMeetsItsThresholdsPasses) {
  MosquittoBroker broker;
  const Outcome o = run("pass", measured_scenario(broker.port(), "max_loss: 0, p99_ack_latency: \"<= 5s\", "
                                                              "connect_success_ratio: \">= 99%\""));
  EXPECT_EQ(o.status.code, 0) << o.describe();
  EXPECT_EQ(connections_logged(broker), 12u) << broker.log();
  ASSERT_TRUE(o.report) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(r.at("verdict").as_string(), "pass");
  EXPECT_TRUE(r.at("verdict_reasons").as_array().empty());
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(threshold_field(r, i, "verdict"), "pass") << i;
  EXPECT_TRUE(r.at("thresholds").at("passed").as_bool());
  EXPECT_NE(o.out.find("verdict: PASS"), std::string::npos) << o.out;
  EXPECT_NE(html("pass").find("class=\"verdict pass\">PASS"), std::string::npos);
}

TEST_F(CliVerdict, BreachFailsEvenWhenAnotherThresholdIsUnmeasured) {
  MosquittoBroker broker;
  // p99_connect_time <= 0ms cannot hold; p99_e2e_latency has no subscriber (unmeasured).
  const Outcome o = run("fail", scenario(broker.port(), 10, "1500ms",
                                         std::string(kPublishQos1) +
                                             "thresholds: {p99_connect_time: \"<= 0ms\", p99_e2e_latency: \"<= 1s\"}\n"));
  EXPECT_EQ(o.status.code, 1) << o.describe();
  ASSERT_TRUE(o.report) << o.describe();
  const auto& r = *o.report;
  EXPECT_EQ(r.at("verdict").as_string(), "fail");
  EXPECT_EQ(threshold_field(r, 0, "verdict"), "fail");
  EXPECT_EQ(threshold_field(r, 1, "verdict"), "inconclusive");
  EXPECT_NE(o.out.find("verdict: FAIL (p99_connect_time"), std::string::npos) << o.out;
  EXPECT_NE(html("fail").find("class=\"verdict fail\">FAIL"), std::string::npos);
}

TEST_F(CliVerdict, ReportMergeOfAnInconclusiveAndAPassingShardRecomputesTheVerdict) {
  MosquittoBroker broker;
  // One scenario, two shards: shard 0 runs against the live broker (pass), shard 1 after the
  // broker was stopped (inconclusive: nothing connected).
  const std::string yaml =
      scenario(broker.port(), 8, "1500ms", std::string(kPublishQos1) + "thresholds: {p99_ack_latency: \"<= 5s\"}\n");
  const auto file = write_file(dir_, "merge.yaml", yaml);
  const Outcome a = run_fleetload({"run", file.string(), "--shard", "0/2", "--report", (dir_ / "s0.json").string(),
                                   "--no-progress", "--no-metrics"},
                                  dir_, 60s, dir_ / "s0.json");
  ASSERT_EQ(a.status.code, 0) << a.describe();
  broker.stop();
  const Outcome b = run_fleetload({"run", file.string(), "--shard", "1/2", "--report", (dir_ / "s1.json").string(),
                                   "--no-progress", "--no-metrics"},
                                  dir_, 60s, dir_ / "s1.json");
  ASSERT_EQ(b.status.code, 4) << b.describe();
  ASSERT_TRUE(b.report);
  EXPECT_EQ(b.report->at("verdict").as_string(), "inconclusive");
  const Outcome m = run_fleetload({"report", "merge", (dir_ / "s0.json").string(), (dir_ / "s1.json").string(),
                                   "--out", (dir_ / "fleet.json").string()},
                                  dir_, 30s, dir_ / "fleet.json");
  // Merged: 4 devices connected and acknowledged publishes were measured: the gate passes.
  EXPECT_EQ(m.status.code, 0) << m.describe();
  ASSERT_TRUE(m.report) << m.describe();
  EXPECT_EQ(m.report->at("verdict").as_string(), "pass");
  EXPECT_NE(m.out.find("verdict: PASS"), std::string::npos) << m.out;
  // The shard read back keeps its own verdict.
  const Outcome again = run_fleetload({"report", "merge", (dir_ / "s1.json").string(), "--out",
                                       (dir_ / "only1.json").string()},
                                      dir_, 30s, dir_ / "only1.json");
  EXPECT_EQ(again.status.code, 4) << again.describe();
  ASSERT_TRUE(again.report);
  EXPECT_EQ(again.report->at("verdict").as_string(), "inconclusive");
}

}  // namespace
}  // namespace fleetload::e2e
