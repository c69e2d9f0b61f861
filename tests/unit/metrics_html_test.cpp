// The HTML report: one self-contained file (uPlot, the chart script and the data inline,
// nothing fetched), a box for every chart, chart data that carries the series, the verdict
// and thresholds shown, numbers for people, user text escaped (also inside the data).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <unistd.h>

#include "metrics/report_assets.hpp"
#include "metrics/report_html.hpp"
#include "metrics/report_html_charts.hpp"

namespace fleetload::metrics {
namespace {

namespace json = boost::json;

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
  r.time_to_all_connected_s = 1.5;
  for (int i = 1; i <= 10; ++i) {
    SeriesPoint p;
    p.t_s = i;
    p.connected = static_cast<std::uint64_t>(std::min(100, i * 20));
    p.connects_per_s = 20.0 * i;
    p.publishes_per_s = 400.0;
    p.receives_per_s = 390.0;
    p.errors = static_cast<std::uint64_t>(i == 5);
    p.connect_failures_per_s = i == 5 ? 3.0 : 0.0;
    p.drops_per_s = i == 7 ? 50.0 : 0.0;
    p.reconnects_per_s = i == 8 ? 48.0 : 0.0;
    p.backing_off = i == 7 ? 50 : 0;
    p.bytes_sent_per_s = 40960.0;
    p.bytes_received_per_s = 1024.0 * i;
    p.in_flight = static_cast<std::uint64_t>(i);
    p.publishes_requested_per_s = 400.0;
    p.cpu_cores = 0.05 * i;
    p.rss_bytes = 10'000'000u + 1000u * static_cast<unsigned>(i);
    r.series.push_back(p);
  }
  PhaseReport ramp;
  ramp.name = "ramp-0";
  ramp.type = scenario::PhaseType::Ramp;
  ramp.start_s = 0;
  ramp.end_s = 5;
  PhaseReport hold = ramp;
  hold.name = "hold </script><b>";
  hold.type = scenario::PhaseType::Steady;
  hold.start_s = 5;
  hold.end_s = 10;
  r.phases = {ramp, hold};
  r.publish_rate = rate_figure(33.333333333333336, 33.0);
  r.stats.ack_latency.record(1'000'000, 50);
  r.stats.e2e_latency.record(2'000'000, 40);
  r.stats.publish_requests[1] = 10;
  r.stats.bytes_sent = 1536;
  r.reconnect = {true, 1.0, 8.0, "full", 30.0};
  r.stats.reconnect_delay.record(400'000'000, 10);
  r.thresholds.push_back({"p99_ack_latency", "<=", 0.25, "seconds", 0.001, true, true, "<= 250ms"});
  r.thresholds.push_back({"max_loss", "<=", 0, "count", 3, true, false, "<= 0"});
  r.thresholds_passed = false;
  r.stats.connects_ok = 100;
  decide_report_verdict(r);
  return r;
}

TEST(HtmlReport, HasOneBoxForEveryChart) {
  const std::string html = report_to_html(sample_report());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  ASSERT_GE(report_charts().size(), 12u);
  for (const auto& c : report_charts()) {
    EXPECT_EQ(occurrences(html, std::string("id=\"") + c.id + "\""), 1u) << c.id;
  }
  const auto doc = json::parse(chart_data_json(sample_report()));
  // Every box has its data: the time charts, the delay chart and the search's criteria.
  std::size_t with_data = doc.at("charts").as_array().size() + 2;
  EXPECT_EQ(with_data, report_charts().size());
}

TEST(HtmlReport, IsSelfContainedWithUplotItsLicenceAndTheDataInline) {
  const std::string html = report_to_html(sample_report());
  EXPECT_NE(html.find(std::string(assets::uplot_js())), std::string::npos);
  EXPECT_NE(html.find(std::string(assets::charts_js())), std::string::npos);
  EXPECT_NE(html.find("Permission is hereby granted"), std::string::npos);  // uPlot's MIT licence
  EXPECT_NE(html.find("<script type=\"application/json\" id=\"fleetload-data\">"), std::string::npos);
  // Nothing is loaded from anywhere: no src/href attributes, stylesheets, imports or url().
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("XMLHttpRequest"), std::string::npos);
  EXPECT_EQ(html.find("fetch("), std::string::npos);
}

TEST(HtmlReport, ChartDataCarriesTheSeriesPhasesAndTheDelayTheory) {
  const RunReport r = sample_report();
  const auto doc = json::parse(chart_data_json(r));
  ASSERT_EQ(doc.at("t").as_array().size(), 10u);
  ASSERT_EQ(doc.at("phases").as_array().size(), 2u);
  EXPECT_EQ(doc.at("phases").at(1).at("type").as_string(), "steady");
  EXPECT_DOUBLE_EQ(doc.at("phases").at(1).at("start").to_number<double>(), 5.0);
  auto series = [&](const char* id, const char* label) -> const json::array& {
    for (const auto& c : doc.at("charts").as_array())
      if (c.at("id").as_string() == id)
        for (const auto& s : c.at("series").as_array())
          if (s.at("label").as_string() == label) return s.at("values").as_array();
    ADD_FAILURE() << id << " / " << label << " missing";
    static const json::array none;
    return none;
  };
  EXPECT_DOUBLE_EQ(series("chart-connects", "connect failures").at(4).to_number<double>(), 3.0);
  EXPECT_DOUBLE_EQ(series("chart-drops", "drops").at(6).to_number<double>(), 50.0);
  EXPECT_DOUBLE_EQ(series("chart-drops", "reconnects").at(7).to_number<double>(), 48.0);
  EXPECT_DOUBLE_EQ(series("chart-drops", "backing off").at(6).to_number<double>(), 50.0);
  EXPECT_DOUBLE_EQ(series("chart-publish", "requested").at(0).to_number<double>(), 400.0);
  EXPECT_DOUBLE_EQ(series("chart-bytes", "received").at(2).to_number<double>(), 3072.0);
  EXPECT_DOUBLE_EQ(series("chart-inflight", "in flight").at(9).to_number<double>(), 10.0);
  EXPECT_DOUBLE_EQ(series("chart-cost", "CPU").at(3).to_number<double>(), 0.2);
  EXPECT_DOUBLE_EQ(series("chart-cost", "RSS").at(0).to_number<double>(), 10'001'000.0);
  EXPECT_DOUBLE_EQ(series("chart-connected", "target").at(0).to_number<double>(), 100.0);
  // Reconnect delays: the observed share and the theory of attempt 1 (full jitter, min 1 s):
  // all ten observed delays are 400 ms.
  const auto& d = doc.at("delays");
  const auto& x = d.at("x").as_array();
  const auto& ds = d.at("series").as_array();
  ASSERT_GE(ds.size(), 2u);
  EXPECT_EQ(std::string(ds.at(0).at("label").as_string().c_str()).rfind("observed", 0), 0u);
  EXPECT_EQ(ds.at(1).at("label").as_string(), "theory: attempt 1");
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xs = x.at(i).to_number<double>();
    const double obs = ds.at(0).at("values").at(i).to_number<double>();
    if (xs < 0.399) {
      EXPECT_DOUBLE_EQ(obs, 0.0) << xs;
    }
    if (xs > 0.404) {
      EXPECT_DOUBLE_EQ(obs, 1.0) << xs;
    }
  }
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

// A phase without publishing asked of it, acks or deliveries has nothing measured: it says
// so instead of a rate of 0 and an error of 0% that read as results.
TEST(HtmlReport, PhaseFiguresWithNothingBehindThemSayNotMeasured) {
  RunReport r = sample_report();
  r.phases.resize(1);
  r.phases[0].publish_rate = rate_figure(0.0, 0.0);
  const std::string html = report_to_html(r);
  const std::string table = html.substr(html.find("<table class=\"phases\">"));
  const std::string row = table.substr(table.find("ramp-0"), table.find("</tr>", table.find("ramp-0")) - table.find("ramp-0"));
  std::size_t n = 0;
  for (std::size_t at = row.find("not measured"); at != std::string::npos; at = row.find("not measured", at + 1)) ++n;
  EXPECT_EQ(n, 4u) << row;  // rate, rate error, p99 ack, p99 e2e
  EXPECT_EQ(row.find("0%"), std::string::npos) << row;
}

TEST(HtmlReport, SubackGrantsArePerFilterRequestedAgainstGranted) {
  RunReport r = sample_report();
  EXPECT_EQ(report_to_html(r).find("class=\"subscriptions\""), std::string::npos);
  r.stats.suback_grants[device::suback_grant_index(1, 1, 0)] = 5;
  r.stats.suback_grants[device::suback_grant_index(0, 1, 0x80)] = 2;
  const std::string html = report_to_html(r);
  EXPECT_NE(html.find("<tr class=\"failed\"><td>1</td><td>1</td><td>QoS 0</td><td>5</td></tr>"), std::string::npos) << html;
  EXPECT_NE(html.find("<tr class=\"failed\"><td>0</td><td>1</td><td>refused</td><td>2</td></tr>"), std::string::npos);
}

TEST(HtmlReport, NumbersAreFormattedForPeople) {
  const std::string html = report_to_html(sample_report());
  EXPECT_NE(html.find("<td class=\"num\">33.3/s</td>"), std::string::npos);  // not 33.333333333333336
  EXPECT_NE(html.find("<td class=\"num\">1.5 s</td>"), std::string::npos);   // time to all connected
  EXPECT_NE(html.find("<td class=\"num\">1.5 KiB</td>"), std::string::npos);  // bytes sent, not 1536
  EXPECT_NE(html.find("<td class=\"num\">1 ms</td>"), std::string::npos);    // the threshold's measured value
  // No table cell holds a number in exponent form or with more than 4 decimals.
  const std::string tables = html.substr(0, html.find("<script"));
  EXPECT_FALSE(std::regex_search(tables, std::regex(R"(<td[^>]*>[^<]*\d[eE][+-]?\d)"))) << "exponent in a cell";
  EXPECT_FALSE(std::regex_search(tables, std::regex(R"(<td[^>]*>[^<]*\d\.\d{5,})"))) << "too many decimals";
}

TEST(HtmlReport, EscapesUserTextInThePageAndInTheData) {
  const std::string html = report_to_html(sample_report());
  EXPECT_EQ(html.find("<b>&</b>"), std::string::npos);
  EXPECT_NE(html.find("fleet &lt;b&gt;&amp;&lt;/b&gt; test"), std::string::npos);
  // A phase name that would end the data's <script> element is \u-escaped in the data and
  // still reads back as written.
  EXPECT_EQ(html.find("hold </script>"), std::string::npos);
  const std::string data = chart_data_json(sample_report());
  EXPECT_EQ(data.find('<'), std::string::npos);
  EXPECT_EQ(json::parse(data).at("phases").at(1).at("name").as_string(), "hold </script><b>");
}

TEST(HtmlReport, EmptyRunStillHasEveryChartBoxAndItsFailure) {
  RunReport r;
  r.exit_reason = "runtime_failure";
  r.failure = "broker refused";
  const std::string html = report_to_html(r);
  for (const auto& c : report_charts()) EXPECT_NE(html.find(std::string("id=\"") + c.id + "\""), std::string::npos);
  EXPECT_NE(html.find("broker refused"), std::string::npos);
  const auto doc = json::parse(chart_data_json(r));
  EXPECT_TRUE(doc.at("t").as_array().empty());  // the script then writes "no samples" in each box
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

}  // namespace
}  // namespace fleetload::metrics
