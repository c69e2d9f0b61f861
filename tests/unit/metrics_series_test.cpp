// Latency percentiles as a time series: per-interval histogram deltas, their percentiles in
// the JSON report's series, and the HTML report's chart data.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cmath>
#include <string>

#include "metrics/report_html.hpp"
#include "metrics/report_html_charts.hpp"
#include "metrics/report_json.hpp"
#include "metrics/sparse_histogram.hpp"

namespace fleetload::metrics {
namespace {

namespace json = boost::json;

// A value that is the highest of its (coarse) bucket, so percentiles come back exactly
// (they report the bucket's highest value).
std::uint64_t exact(std::uint64_t ns) {
  return device::hist::bucket_highest(SparseHistogram::coarse(static_cast<std::uint32_t>(device::hist::bucket_index(ns))));
}

const std::uint64_t kA = exact(10'000'000);   // ~10 ms
const std::uint64_t kB = exact(250'000'000);  // ~250 ms
const std::uint64_t kC = exact(3'000'000);    // ~3 ms

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

SparseHistogram hist(std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> values) {
  device::HistogramSnapshot h;
  for (auto [v, n] : values) h.record(v, n);
  return SparseHistogram::of(h);
}

RunReport three_intervals() {
  RunReport r;
  r.scenario_name = "series";
  r.exit_reason = "completed";
  SeriesPoint p1;
  p1.t_s = 1.0;
  p1.ack_latency = hist({{kA, 90}, {kB, 10}});  // p50 = A, p90 = A, p99 = B
  p1.connect_duration = hist({{kC, 7}});
  SeriesPoint p2;  // an interval without any ack: a gap
  p2.t_s = 2.0;
  SeriesPoint p3;
  p3.t_s = 3.0;
  p3.ack_latency = hist({{kA, 1}, {kB, 1}});  // p50 = A (rank 1 of 2), p99 = B
  p3.e2e_latency = hist({{kB, 100}});
  r.series = {p1, p2, p3};
  return r;
}

TEST(SparseHistogram, ExpandsBackToTheSameSnapshot) {
  device::HistogramSnapshot h;
  h.record(kA, 3);
  h.record(kB, 2);
  h.record(17);
  const SparseHistogram s = SparseHistogram::of(h);
  EXPECT_EQ(s.buckets.size(), 3u);
  const auto back = s.expand();
  EXPECT_EQ(back.counts, h.counts);
  EXPECT_EQ(back.count, 6u);
  EXPECT_EQ(back.sum, h.sum);
  EXPECT_EQ(back.min, 17u);
  EXPECT_EQ(back.max, kB);
  EXPECT_TRUE(SparseHistogram::of(device::HistogramSnapshot{}).buckets.empty());
  EXPECT_EQ(SparseHistogram{}.expand().count, 0u);
}

TEST(SparseHistogram, IsCoarseAboveTheExactRangeAndNeverReadsLow) {
  device::HistogramSnapshot h;
  h.record(10'000'000);   // not the highest value of its group of 8 buckets
  h.record(10'010'000);   // same group
  h.record(900'000'000);  // far above: p50 is not clamped by the max
  h.record(200, 2);       // exact range: kept as is
  const SparseHistogram s = SparseHistogram::of(h);
  ASSERT_EQ(s.buckets.size(), 3u);  // 200, the 10 ms group, the 900 ms group
  EXPECT_EQ(s.buckets[1].second, 2u);
  EXPECT_EQ(s.count, 5u);
  const auto p = s.expand().percentile(0.8);  // rank 4 of 5: the 10.01 ms sample's group
  EXPECT_GE(p, 10'010'000u);
  EXPECT_LE(static_cast<double>(p), 10'000'000 * 1.0625);
  EXPECT_EQ(s.expand().percentile(0.4), 200u);
  EXPECT_EQ(SparseHistogram::of(s.expand()), s);  // coarse maps onto itself
}

TEST(SeriesPercentiles, ComeFromTheIntervalsHistogramDeltaNotTheCumulativeOne) {
  // Cumulative: 1000 fast acks before, then an interval of 10 slow ones. The interval's p50
  // is the slow value; the cumulative p50 would still be the fast one.
  device::StatsSnapshot before, after;
  before.ack_latency.record(kA, 1000);
  after.ack_latency.record(kA, 1000);
  after.ack_latency.record(kB, 10);
  const auto d = SparseHistogram::of(device::delta(after, before).ack_latency).expand();
  EXPECT_EQ(d.count, 10u);
  EXPECT_EQ(d.percentile(0.5), kB);
  EXPECT_EQ(d.percentile(0.99), kB);
  EXPECT_EQ(after.ack_latency.percentile(0.5), kA);
}

TEST(SeriesPercentiles, JsonSeriesCarriesP50AndP99OfEachIntervalExactly) {
  const auto doc = json::parse(report_to_json(three_intervals()));
  const auto& s = doc.at("series").as_array();
  ASSERT_EQ(s.size(), 3u);
  const auto& a1 = s[0].at("latency").at("ack_latency");
  EXPECT_EQ(a1.at("count").to_number<std::uint64_t>(), 100u);
  EXPECT_DOUBLE_EQ(a1.at("p50_ms").to_number<double>(), ms(kA));
  EXPECT_DOUBLE_EQ(a1.at("p90_ms").to_number<double>(), ms(kA));
  EXPECT_DOUBLE_EQ(a1.at("p99_ms").to_number<double>(), ms(kB));
  EXPECT_EQ(a1.at("sum_ns").to_number<std::uint64_t>(), 90 * kA + 10 * kB);
  // Sparse buckets as flat [lowest_ns, count] pairs.
  const auto& b = a1.at("buckets").as_array();
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].to_number<std::uint64_t>(), device::hist::bucket_lowest(device::hist::bucket_index(kA)));
  EXPECT_EQ(b[1].to_number<std::uint64_t>(), 90u);
  EXPECT_EQ(b[3].to_number<std::uint64_t>(), 10u);
  const auto& c1 = s[0].at("latency").at("connect_duration");
  EXPECT_DOUBLE_EQ(c1.at("p50_ms").to_number<double>(), ms(kC));
  EXPECT_DOUBLE_EQ(c1.at("p99_ms").to_number<double>(), ms(kC));
  EXPECT_EQ(s[1].at("latency").at("ack_latency").at("count").to_number<std::uint64_t>(), 0u);
  EXPECT_TRUE(s[1].at("latency").at("ack_latency").at("buckets").as_array().empty());
  const auto& a3 = s[2].at("latency").at("ack_latency");
  EXPECT_DOUBLE_EQ(a3.at("p50_ms").to_number<double>(), ms(kA));
  EXPECT_DOUBLE_EQ(a3.at("p99_ms").to_number<double>(), ms(kB));
  EXPECT_DOUBLE_EQ(s[2].at("latency").at("e2e_latency").at("p50_ms").to_number<double>(), ms(kB));
}

// The series of one chart of the HTML report's data, by label.
const json::value* chart_series(const json::value& doc, const std::string& id, const std::string& label) {
  for (const auto& c : doc.at("charts").as_array()) {
    if (c.at("id").as_string() != id) continue;
    for (const auto& s : c.at("series").as_array())
      if (s.at("label").as_string() == label) return &s.at("values");
  }
  return nullptr;
}

TEST(SeriesPercentiles, HtmlChartDataHasP50AndP99WithGapsForEmptyIntervals) {
  const auto doc = json::parse(chart_data_json(three_intervals()));
  const auto* p99 = chart_series(doc, "chart-latency-ack", "p99");
  const auto* p50 = chart_series(doc, "chart-latency-ack", "p50");
  ASSERT_TRUE(p99 && p50);
  // t = 1: a point, t = 2: a gap (no acks), t = 3: a point.
  ASSERT_EQ(p99->as_array().size(), 3u);
  EXPECT_NEAR(p99->at(0).to_number<double>(), ms(kB), ms(kB) * 1e-4);
  EXPECT_TRUE(p99->at(1).is_null());
  EXPECT_NEAR(p99->at(2).to_number<double>(), ms(kB), ms(kB) * 1e-4);
  EXPECT_NEAR(p50->at(0).to_number<double>(), ms(kA), ms(kA) * 1e-4);
  EXPECT_TRUE(p50->at(1).is_null());
  // The connect chart has the one interval with CONNACKs; e2e only the third.
  const auto* c99 = chart_series(doc, "chart-latency-connect", "p99");
  ASSERT_TRUE(c99);
  EXPECT_NEAR(c99->at(0).to_number<double>(), ms(kC), ms(kC) * 1e-4);
  EXPECT_TRUE(c99->at(1).is_null() && c99->at(2).is_null());
  const auto* e99 = chart_series(doc, "chart-latency-e2e", "p99");
  ASSERT_TRUE(e99);
  EXPECT_TRUE(e99->at(0).is_null());
  EXPECT_NEAR(e99->at(2).to_number<double>(), ms(kB), ms(kB) * 1e-4);
}

TEST(SeriesPercentiles, ChartDataIsAllGapsWhenNoIntervalHadLatencies) {
  RunReport r;
  r.series.resize(3);
  for (std::size_t i = 0; i < 3; ++i) r.series[i].t_s = static_cast<double>(i + 1);
  const auto doc = json::parse(chart_data_json(r));
  for (const char* id : {"chart-latency-ack", "chart-latency-e2e", "chart-latency-connect"}) {
    const auto* v = chart_series(doc, id, "p99");
    ASSERT_TRUE(v) << id;
    for (const auto& x : v->as_array()) EXPECT_TRUE(x.is_null()) << id;  // drawn as "no samples"
  }
}

}  // namespace
}  // namespace fleetload::metrics
