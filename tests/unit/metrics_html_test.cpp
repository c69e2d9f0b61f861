// The HTML report: self-contained (no external resource, no script), charts drawn from the
// series, the verdict and the thresholds shown, user text escaped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "metrics/report_html.hpp"
#include "metrics/report_svg.hpp"

namespace fleetload::metrics {
namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

RunReport sample_report() {
  RunReport r;
  r.fleetload_version = "0.1.0";
  r.scenario_name = "fleet <b>&</b> test";
  r.scenario_source = "cap.yaml";
  r.scenario_yaml = "name: x\n";
  r.started_at_utc = "2026-11-26T09:00:00Z";
  r.exit_reason = "completed";
  r.devices = 100;
  r.peak_connected = 100;
  for (int i = 1; i <= 10; ++i)
    r.series.push_back({static_cast<double>(i), static_cast<std::uint64_t>(std::min(100, i * 20)), 20.0 * i,
                        400.0, 390.0, static_cast<std::uint64_t>(i == 5), 0, {}, {}, {}});
  r.publish_rate = rate_figure(400.0, 396.0);
  r.stats.ack_latency.record(1'000'000, 50);
  r.stats.e2e_latency.record(2'000'000, 40);
  r.stats.publish_requests[1] = 10;
  r.thresholds.push_back({"p99_ack_latency", "<=", 0.25, "seconds", 0.001, true, true, "<= 250ms"});
  r.thresholds.push_back({"max_loss", "<=", 0, "count", 3, true, false, "<= 0"});
  r.thresholds_passed = false;
  r.stats.connects_ok = 100;
  decide_report_verdict(r);
  return r;
}

TEST(HtmlReport, DrawsOneChartPerTimeSeriesAndTheLatencyBars) {
  const std::string html = report_to_html(sample_report());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // 4 time series + latency percentiles per interval (no latencies here: "no samples") + bars
  EXPECT_EQ(occurrences(html, "<svg class=\"chart\""), 6u);
  EXPECT_EQ(occurrences(html, "<path class=\"series\""), 6u);  // connected, connects, sent, received, 2 error lines
  EXPECT_EQ(occurrences(html, "<path class=\"reference\""), 2u);  // device target, rate target
  EXPECT_EQ(occurrences(html, "<rect class=\"bar\""), 8u);  // 2 histograms x 4 percentiles
}

TEST(HtmlReport, IsSelfContainedWithNoScriptAndNoRemoteResource) {
  const std::string html = report_to_html(sample_report());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(HtmlReport, ShowsVerdictAndEveryThreshold) {
  const std::string html = report_to_html(sample_report());
  EXPECT_NE(html.find("class=\"verdict fail\">FAIL"), std::string::npos);
  EXPECT_NE(html.find("p99_ack_latency"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"failed\"><td>max_loss"), std::string::npos);
  EXPECT_NE(html.find("max_loss: 3, limit &lt;= 0"), std::string::npos) << "the badge says why";
  RunReport ok = sample_report();
  ok.thresholds.pop_back();
  ok.thresholds_passed = true;
  decide_report_verdict(ok);
  EXPECT_NE(report_to_html(ok).find("class=\"verdict pass\">PASS</span> all thresholds met"), std::string::npos);
  // The badge is the exit code's verdict; an interrupted run says so beside it.
  ok.exit_reason = "interrupted";
  EXPECT_NE(report_to_html(ok).find("class=\"verdict pass\">PASS</span> all thresholds met (run interrupted)"),
            std::string::npos);
}

TEST(HtmlReport, InconclusiveRunsGetAGreyBadgeWithTheReason) {
  RunReport r = sample_report();
  r.thresholds.clear();
  r.stats.connects_ok = 0;
  decide_report_verdict(r);
  const std::string html = report_to_html(r);
  EXPECT_NE(html.find("class=\"verdict inconclusive\">INCONCLUSIVE</span> no device connected"), std::string::npos);
  EXPECT_EQ(html.find("class=\"verdict pass\""), std::string::npos);
  EXPECT_EQ(html.find("class=\"verdict fail\""), std::string::npos);
  EXPECT_NE(html.find(".inconclusive{background:#757575}"), std::string::npos) << "grey";
  // An unmeasured threshold says why in its row.
  RunReport u = sample_report();
  u.thresholds = {{"max_loss", "<=", 0, "count", 0, false, false, "0", "no subscriber received anything"}};
  decide_report_verdict(u);
  const std::string page = report_to_html(u);
  EXPECT_NE(page.find("not measured: no subscriber received anything</td><td>inconclusive"), std::string::npos);
  EXPECT_NE(page.find("class=\"verdict inconclusive\""), std::string::npos);
}

TEST(HtmlReport, ProtocolAnomaliesAreListedUnderTheBadge) {
  RunReport r = sample_report();
  EXPECT_EQ(report_to_html(r).find("protocol anomaly"), std::string::npos);
  r.stats.unexpected_acks = 7;
  const std::string html = report_to_html(r);
  EXPECT_NE(html.find("<td>unexpected_acks: acks for packet ids not in flight (unknown or duplicate)</td><td>7</td>"),
            std::string::npos);
}

TEST(HtmlReport, EscapesUserText) {
  const std::string html = report_to_html(sample_report());
  EXPECT_EQ(html.find("<b>&</b>"), std::string::npos);
  EXPECT_NE(html.find("fleet &lt;b&gt;&amp;&lt;/b&gt; test"), std::string::npos);
}

TEST(HtmlReport, EmptyRunStillRendersChartsSayingSo) {
  RunReport r;
  r.exit_reason = "runtime_failure";
  r.failure = "broker refused";
  const std::string html = report_to_html(r);
  EXPECT_EQ(occurrences(html, "no samples"), 5u);
  EXPECT_NE(html.find("broker refused"), std::string::npos);
}

TEST(HtmlReport, WritesTheFileAtomically) {
  const auto dir = std::filesystem::temp_directory_path() / ("fleetload-html-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  write_html_report(sample_report(), dir / "report.html");
  std::ifstream in(dir / "report.html");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), report_to_html(sample_report()));
  EXPECT_FALSE(std::filesystem::exists(dir / "report.html.tmp"));
  EXPECT_THROW(write_html_report(sample_report(), dir / "missing" / "report.html"), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(SvgChart, ScalesToTheLargestValueAndTheReference) {
  svg::LineChart c{"t", "u", {0, 1, 2}, {{"s", "#000", {0, 5, 10}, false}}, 20.0, "target"};
  const std::string s = svg::line_chart(c);
  // y axis top is 20 (the reference): the 20 tick exists, a 40 tick does not.
  EXPECT_NE(s.find(">20</text>"), std::string::npos);
  EXPECT_EQ(s.find(">40</text>"), std::string::npos);
}

}  // namespace
}  // namespace fleetload::metrics
