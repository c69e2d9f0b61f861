// `fleetload report merge`: arguments, output files and exit codes, driven through
// fleetload_main as the binary would be.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "cli/args.hpp"
#include "cli/cmd_report.hpp"
#include "cli/commands.hpp"
#include "metrics/report_json.hpp"
#include "metrics/run_report.hpp"

namespace fleetload::cli {
namespace {

namespace fs = std::filesystem;

metrics::RunReport shard_report(std::uint32_t k, std::uint64_t acked_ms) {
  metrics::RunReport r;
  r.scenario_name = "cli-merge";
  r.scenario_yaml = "name: cli-merge\n";
  r.shard_k = k;
  r.shard_n = 2;
  r.exit_reason = "completed";
  r.devices = 10;
  r.stats.connects_ok = 10;
  r.stats.ack_latency.record(acked_ms * 1'000'000, 10);
  scenario::Threshold t;
  t.metric = "p99_ack_latency";
  t.op = scenario::ThresholdOp::Le;
  t.value = 0.05;
  t.unit = scenario::Threshold::Unit::Seconds;
  t.text = "<= 50ms";
  metrics::evaluate_thresholds({t}, r);
  return r;
}

class ReportMergeCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fleetload-report-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  int run(std::vector<std::string> args) {
    args.insert(args.begin(), {"fleetload", "report"});
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    ::testing::internal::CaptureStderr();
    ::testing::internal::CaptureStdout();
    const int code = fleetload_main(static_cast<int>(argv.size()), argv.data());
    out_ = ::testing::internal::GetCapturedStdout();
    err_ = ::testing::internal::GetCapturedStderr();
    return code;
  }
  std::string file(const std::string& name, const metrics::RunReport& r) {
    metrics::write_json_report(r, dir_ / name);
    return (dir_ / name).string();
  }

  fs::path dir_;
  std::string out_, err_;
};

TEST(ReportArgs, ParsesInputsAndOut) {
  const auto a = parse_report_args({"merge", "a.json", "--out", "dir", "b.json"});
  EXPECT_EQ(a.inputs, (std::vector<std::string>{"a.json", "b.json"}));
  EXPECT_EQ(a.out, "dir");
  EXPECT_EQ(parse_report_args({"merge", "a.json", "--out=x.json"}).out, "x.json");
  EXPECT_EQ(parse_report_args({"merge", "a.json"}).out, "merged-report.json");
  EXPECT_THROW(parse_report_args({}), ArgError);
  EXPECT_THROW(parse_report_args({"split", "a.json"}), ArgError);
  EXPECT_THROW(parse_report_args({"merge"}), ArgError);
  EXPECT_THROW(parse_report_args({"merge", "a.json", "--out"}), ArgError);
  EXPECT_THROW(parse_report_args({"merge", "a.json", "--bogus"}), ArgError);
}

TEST_F(ReportMergeCommand, WritesJsonAndHtmlAndExitsByTheMergedThresholds) {
  const auto a = file("a.json", shard_report(0, 10));
  const auto b = file("b.json", shard_report(1, 20));
  EXPECT_EQ(run({"merge", a, b, "--out", (dir_ / "out").string()}), 0) << err_;
  ASSERT_TRUE(fs::exists(dir_ / "out" / "report.json"));
  ASSERT_TRUE(fs::exists(dir_ / "out" / "report.html"));
  std::stringstream ss;
  ss << std::ifstream(dir_ / "out" / "report.json").rdbuf();
  const auto doc = boost::json::parse(ss.str());
  EXPECT_EQ(doc.at("totals").at("counters").at("connects_ok").to_number<std::uint64_t>(), 20u);
  EXPECT_EQ(doc.at("shard").at("merged").as_array().size(), 2u);
  EXPECT_NE(out_.find("cli-merge"), std::string::npos) << out_;

  // A breach on the merged data: exit 1, files written anyway (x.json -> x.html beside it).
  const auto slow = file("slow.json", shard_report(1, 90));
  EXPECT_EQ(run({"merge", a, slow, "--out", (dir_ / "m.json").string()}), 1) << err_;
  EXPECT_TRUE(fs::exists(dir_ / "m.json"));
  EXPECT_TRUE(fs::exists(dir_ / "m.html"));
}

TEST_F(ReportMergeCommand, BadInputExitsTwoNamingTheFile) {
  const auto a = file("a.json", shard_report(0, 10));
  const auto again = file("again.json", shard_report(0, 10));
  EXPECT_EQ(run({"merge", a, again, "--out", (dir_ / "o").string()}), 2);
  EXPECT_NE(err_.find("shard 0/2 appears twice: in " + a + " and in " + again), std::string::npos) << err_;
  EXPECT_FALSE(fs::exists(dir_ / "o"));
  std::ofstream(dir_ / "junk.json") << "not json";
  EXPECT_EQ(run({"merge", a, (dir_ / "junk.json").string()}), 2);
  EXPECT_NE(err_.find((dir_ / "junk.json").string() + ":1:"), std::string::npos) << err_;
  EXPECT_EQ(run({"merge", a, "--out", a}), 2);
  EXPECT_NE(err_.find("--out would overwrite the input"), std::string::npos) << err_;
  EXPECT_EQ(run({"frobnicate"}), 2);
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_NE(out_.find("Usage: fleetload report merge"), std::string::npos);
}

TEST_F(ReportMergeCommand, AShardsRuntimeFailureExitsThree) {
  const auto a = file("a.json", shard_report(0, 10));
  auto broken = shard_report(1, 10);
  broken.exit_reason = "runtime_failure";
  broken.failure = "broker unreachable";
  const auto b = file("b.json", broken);
  EXPECT_EQ(run({"merge", a, b, "--out", (dir_ / "o").string()}), 3);
  EXPECT_NE(err_.find(b + ": broker unreachable"), std::string::npos) << err_;
}

}  // namespace
}  // namespace fleetload::cli
