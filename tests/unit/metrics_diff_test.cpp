// `report diff`: regressions are changes the worse way for each figure beyond the tolerance
// (and, for latency, a floor); improvements and noise are not; exit codes for CI through the
// command as the binary runs it.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "cli/commands.hpp"
#include "metrics/report_diff.hpp"
#include "metrics/report_json.hpp"

namespace fleetload::metrics {
namespace {

namespace fs = std::filesystem;

// A steady run: 10,000 acks around `ack_ms`, the rate achieved, one phase, one threshold.
RunReport report(double ack_ms, double achieved, std::uint64_t lost = 0) {
  RunReport r;
  r.scenario_name = "diff";
  r.scenario_yaml = "name: diff\n";
  r.started_at_utc = "2026-11-26T09:00:00Z";
  r.exit_reason = "completed";
  r.devices = 100;
  r.peak_connected = 100;
  auto& s = r.stats;
  s.connect_attempts = s.connects_ok = 100;
  s.publish_requests[1] = s.publishes_sent[1] = s.publishes_acked[1] = 10000;
  for (int i = 0; i < 10000; ++i)
    s.ack_latency.record(static_cast<std::uint64_t>(ack_ms * 1e6 * (0.5 + (i % 100) / 100.0)));
  s.messages_received = 10000 - lost;
  s.messages_lost = lost;
  r.publish_rate = rate_figure(1000.0, achieved);
  r.cost.wall_s = 10;
  PhaseReport hold;
  hold.name = "hold";
  hold.publish_rate = r.publish_rate;
  hold.stats.ack_latency = s.ack_latency;
  r.phases.push_back(hold);
  scenario::Threshold t;
  t.metric = "p99_ack_latency";
  t.op = scenario::ThresholdOp::Le;
  t.value = 0.05;
  t.unit = scenario::Threshold::Unit::Seconds;
  t.text = "<= 50ms";
  evaluate_thresholds({t}, r);
  return r;
}

const DiffFigure& figure(const ReportDiff& d, const std::string& section, const std::string& name) {
  for (const auto& f : d.figures)
    if (f.section == section && f.name == name) return f;
  ADD_FAILURE() << section << ": " << name << " not in the diff";
  static const DiffFigure none;
  return none;
}

TEST(ReportDiff, FlagsSlowerAcksAndALowerRateAsRegressions) {
  const ReportDiff d = diff_reports(report(20, 1000), report(40, 800), DiffOptions{});
  EXPECT_TRUE(figure(d, "latency", "ack latency p99").regression);
  EXPECT_TRUE(figure(d, "latency", "ack latency p50").regression);
  EXPECT_TRUE(figure(d, "publish", "publish rate achieved").regression);
  EXPECT_TRUE(figure(d, "phase hold", "ack latency p99").regression);
  EXPECT_TRUE(figure(d, "phase hold", "publish rate achieved").regression);
  EXPECT_TRUE(figure(d, "thresholds", "p99_ack_latency passed").regression);  // 40 ms x 1.49 > 50 ms
  const auto& rate = figure(d, "publish", "publish rate achieved");
  EXPECT_DOUBLE_EQ(*rate.change, -200.0);
  EXPECT_DOUBLE_EQ(*rate.relative, -0.2);
  // Volumes and settings are never regressions.
  EXPECT_FALSE(figure(d, "publish", "publishes sent").regression);
  EXPECT_FALSE(figure(d, "latency", "ack latency max").regression);
  EXPECT_GE(d.regressions, 6u);
  EXPECT_EQ(d.improvements, 0u);
}

TEST(ReportDiff, TheSameChangeTheBetterWayIsAnImprovementNotARegression) {
  const ReportDiff d = diff_reports(report(40, 800), report(20, 1000), DiffOptions{});
  EXPECT_EQ(d.regressions, 0u);
  EXPECT_TRUE(figure(d, "latency", "ack latency p99").improvement);
  EXPECT_TRUE(figure(d, "publish", "publish rate achieved").improvement);
  // Identical reports: nothing changes at all.
  const ReportDiff same = diff_reports(report(20, 1000), report(20, 1000), DiffOptions{});
  EXPECT_EQ(same.regressions, 0u);
  EXPECT_EQ(same.improvements, 0u);
}

TEST(ReportDiff, ChangesWithinTheToleranceOrUnderTheLatencyFloorDoNotCount) {
  // 3 % slower and 3 % fewer publishes: within 5 %, beyond 1 %.
  EXPECT_EQ(diff_reports(report(100, 1000), report(103, 970), DiffOptions{0.05, 1.0}).regressions, 0u);
  const ReportDiff tight = diff_reports(report(100, 1000), report(103, 970), DiffOptions{0.01, 1.0});
  EXPECT_TRUE(figure(tight, "latency", "ack latency p99").regression);
  EXPECT_TRUE(figure(tight, "publish", "publish rate achieved").regression);
  // 0.2 ms -> 0.4 ms is +100 %, but under the 1 ms floor; with no floor it counts.
  EXPECT_FALSE(figure(diff_reports(report(0.2, 1000), report(0.4, 1000), DiffOptions{0.05, 1.0}), "latency",
                      "ack latency p99").regression);
  EXPECT_TRUE(figure(diff_reports(report(0.2, 1000), report(0.4, 1000), DiffOptions{0.05, 0.0}), "latency",
                     "ack latency p99").regression);
}

TEST(ReportDiff, LossAppearingWhereThereWasNoneIsARegressionWhateverTheTolerance) {
  const ReportDiff d = diff_reports(report(20, 1000, 0), report(20, 1000, 3), DiffOptions{10.0, 1.0});
  const auto& lost = figure(d, "delivery", "messages lost");
  EXPECT_TRUE(lost.regression);
  EXPECT_FALSE(lost.relative.has_value());  // no relative change from 0
  EXPECT_TRUE(figure(d, "delivery", "loss ratio").regression);
}

TEST(ReportDiff, ConnectFailuresCompareAsAFailureShare) {
  RunReport b = report(20, 1000), n = report(20, 1000);
  b.stats.connect_failures = 1;    // 99.0 % success
  n.stats.connect_failures = 10;   // 90.9 %: a small change of the success share, 10x the failures
  n.stats.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::ConnackTimeout)] = 10;
  n.connect_failures.push_back({"connack_refused", "server_busy", 10, ""});
  const ReportDiff d = diff_reports(b, n, DiffOptions{0.2, 1.0});
  EXPECT_TRUE(figure(d, "connects", "connect failure ratio").regression);
  EXPECT_TRUE(figure(d, "connects", "connect failed: connack_timeout").regression);
  EXPECT_TRUE(figure(d, "connects", "connack_refused/server_busy").regression);
}

TEST(ReportDiff, NotesSayWhenTheReportsDifferInKind) {
  RunReport n = report(20, 1000);
  n.scenario_name = "other";
  n.devices = 200;
  const ReportDiff d = diff_reports(report(20, 1000), n, DiffOptions{});
  std::string notes;
  for (const auto& x : d.notes) notes += x + "\n";
  EXPECT_NE(notes.find("different scenarios"), std::string::npos) << notes;
  EXPECT_NE(notes.find("different fleet sizes"), std::string::npos) << notes;
}

TEST(ReportDiff, TextJsonAndHtmlCarryEveryFigureAndTheRegressions) {
  const ReportDiff d = diff_reports(report(20, 1000), report(40, 800), DiffOptions{}, "base.json", "new.json");
  const std::string text = diff_text(d);
  EXPECT_NE(text.find("BASE  base.json"), std::string::npos) << text;
  EXPECT_NE(text.find("publish rate achieved"), std::string::npos) << text;
  EXPECT_NE(text.find("1,000/s"), std::string::npos) << text;
  EXPECT_NE(text.find("-200/s (-20%)  WORSE"), std::string::npos) << text;
  const auto j = boost::json::parse(diff_json(d));
  EXPECT_EQ(j.at("regressions").to_number<std::size_t>(), d.regressions);
  std::size_t flagged = 0;
  for (const auto& f : j.at("figures").as_array()) flagged += f.at("regression").as_bool();
  EXPECT_EQ(flagged, d.regressions);
  const std::string html = diff_html(d);
  EXPECT_NE(html.find("<tr class=\"worse\"><td>publish</td><td>publish rate achieved</td>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

class ReportDiffCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fleetload-diff-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_json_report(report(20, 1000), dir_ / "base.json");
    write_json_report(report(40, 800), dir_ / "slow.json");
    write_json_report(report(19, 1010), dir_ / "fast.json");
    write_json_report(report(30, 900), dir_ / "slower.json");  // worse, still within its threshold
  }
  void TearDown() override { fs::remove_all(dir_); }
  int run(std::vector<std::string> args) {
    args.insert(args.begin(), {"fleetload", "report", "diff"});
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    ::testing::internal::CaptureStderr();
    ::testing::internal::CaptureStdout();
    const int code = cli::fleetload_main(static_cast<int>(argv.size()), argv.data());
    out_ = ::testing::internal::GetCapturedStdout();
    err_ = ::testing::internal::GetCapturedStderr();
    return code;
  }
  std::string path(const char* n) const { return (dir_ / n).string(); }
  fs::path dir_;
  std::string out_, err_;
};

TEST_F(ReportDiffCommand, ExitsOneOnARegressionZeroWithoutAndTwoOnBadInput) {
  EXPECT_EQ(run({path("base.json"), path("slow.json")}), 1) << err_;
  EXPECT_NE(out_.find("WORSE"), std::string::npos) << out_;
  EXPECT_EQ(run({path("base.json"), path("fast.json")}), 0) << out_;
  EXPECT_EQ(run({path("base.json"), path("slow.json"), "--fail-on", "never"}), 0);
  EXPECT_EQ(run({path("base.json"), path("slower.json")}), 1) << out_;
  EXPECT_EQ(run({path("base.json"), path("slower.json"), "--tolerance", "200%"}), 0) << out_;
  // A threshold that passed and now fails is a regression whatever the tolerance.
  EXPECT_EQ(run({path("base.json"), path("slow.json"), "--tolerance", "200%"}), 1) << out_;
  EXPECT_NE(out_.find("thresholds: p99_ack_latency passed pass -> fail"), std::string::npos) << out_;
  EXPECT_EQ(run({path("base.json")}), 2);
  EXPECT_EQ(run({path("base.json"), path("missing.json")}), 2);
  EXPECT_NE(err_.find("missing.json"), std::string::npos) << err_;
  EXPECT_EQ(run({path("base.json"), path("slow.json"), "--fail-on", "sometimes"}), 2);
  EXPECT_EQ(run({path("base.json"), path("slow.json"), "--tolerance", "lots"}), 2);
}

TEST_F(ReportDiffCommand, WritesJsonAndHtmlWhenAsked) {
  EXPECT_EQ(run({path("base.json"), path("slow.json"), "--json", path("d.json"), "--html", path("d.html")}), 1);
  std::ifstream in(dir_ / "d.json");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_GT(boost::json::parse(ss.str()).at("regressions").to_number<std::size_t>(), 0u);
  EXPECT_TRUE(fs::exists(dir_ / "d.html"));
  EXPECT_EQ(run({path("base.json"), path("slow.json"), "--json", path("nodir/x/d.json")}), 3);
}

}  // namespace
}  // namespace fleetload::metrics
