// The run report model, thresholds verdict, JSON document and summary table.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "metrics/report_json.hpp"
#include "metrics/report_text.hpp"
#include "metrics/run_report.hpp"

namespace fleetload::metrics {
namespace {

namespace json = boost::json;

scenario::Threshold threshold(std::string metric, scenario::ThresholdOp op, double v, scenario::Threshold::Unit u) {
  scenario::Threshold t;
  t.metric = std::move(metric);
  t.op = op;
  t.value = v;
  t.unit = u;
  t.text = "as written";
  return t;
}

RunReport sample_report() {
  RunReport r;
  r.fleetload_version = "0.1.0";
  r.scenario_name = "unit";
  r.scenario_yaml = "name: unit\nauth:\n  password: \"***\"\n";
  r.protocol = mqtt::Version::V5;
  r.exit_reason = "completed";
  r.devices = 100;
  auto& s = r.stats;
  s.connect_attempts = 102;
  s.connects_ok = 100;
  s.connect_failures = 2;
  s.publish_requests[1] = 1000;
  s.publishes_sent[1] = 995;
  s.publishes_acked[1] = 990;
  s.ack_timeouts[1] = 3;
  s.publishes_failed_by_qos[1] = 2;
  s.in_flight = 5;
  s.messages_received = 4950;
  s.messages_lost = 50;
  s.connack_codes[0] = 100;
  s.connack_codes[0x87] = 2;
  for (std::uint64_t i = 1; i <= 1000; ++i) s.ack_latency.record(i * 1'000'000);  // 1..1000 ms
  r.publish_rate = rate_figure(100.0, 99.0);
  r.books = message_books(s);
  r.cost.peak_rss_bytes = 100 * 2048;
  r.cost.peak_rss_per_device_bytes = 2048;
  return r;
}

TEST(MetricsReport, RateErrorIsSignedPercent) {
  EXPECT_DOUBLE_EQ(rate_figure(100.0, 99.0).error_percent, -1.0);
  EXPECT_DOUBLE_EQ(rate_figure(200.0, 202.0).error_percent, 1.0);
  EXPECT_DOUBLE_EQ(rate_figure(0.0, 5.0).error_percent, 0.0);
}

TEST(MetricsReport, BooksBalanceOnlyWhenEveryMessageIsAccountedFor) {
  RunReport r = sample_report();
  ASSERT_EQ(r.books.size(), 1u);
  EXPECT_EQ(r.books[0].qos, 1u);
  EXPECT_EQ(r.books[0].pending, 5u);
  EXPECT_TRUE(r.books[0].balanced);  // 1000 = 990 + 3 + 2 + 5
  r.stats.publishes_acked[1] = 989;
  EXPECT_FALSE(message_books(r.stats)[0].balanced);
}

TEST(MetricsReport, ThresholdsPassAndFailOnMeasuredValues) {
  using Op = scenario::ThresholdOp;
  using U = scenario::Threshold::Unit;
  RunReport r = sample_report();
  evaluate_thresholds({threshold("connect_success_ratio", Op::Ge, 0.98, U::Ratio),
                       threshold("max_loss", Op::Le, 0, U::Count),
                       threshold("max_loss", Op::Le, 0.02, U::Ratio),
                       threshold("p99_ack_latency", Op::Le, 0.5, U::Seconds),
                       threshold("p99_e2e_latency", Op::Le, 1.0, U::Seconds),
                       threshold("max_publish_rate_error", Op::Le, 0.02, U::Ratio)},
                      r);
  ASSERT_EQ(r.thresholds.size(), 6u);
  EXPECT_TRUE(r.thresholds[0].passed);              // 100 / 102 = 0.98039
  EXPECT_NEAR(r.thresholds[0].value, 100.0 / 102.0, 1e-12);
  EXPECT_FALSE(r.thresholds[1].passed);             // 50 lost > 0
  EXPECT_TRUE(r.thresholds[2].passed);              // 50 / 5000 = 1 % <= 2 %
  EXPECT_NEAR(r.thresholds[2].value, 0.01, 1e-12);
  EXPECT_FALSE(r.thresholds[3].passed);             // p99 ~ 990 ms > 500 ms
  EXPECT_NEAR(r.thresholds[3].value, 0.99, 0.01);
  EXPECT_FALSE(r.thresholds[4].measured);           // no e2e samples: inconclusive, never a pass
  EXPECT_FALSE(r.thresholds[4].passed);
  EXPECT_EQ(r.thresholds[4].verdict(), Verdict::Inconclusive);
  EXPECT_TRUE(r.thresholds[5].passed);              // |-1 %| <= 2 %
  EXPECT_FALSE(r.thresholds_passed);
  EXPECT_EQ(r.verdict, Verdict::Fail);  // breaches found: definitive despite the unmeasured one

  evaluate_thresholds({threshold("connect_success_ratio", Op::Ge, 0.98, U::Ratio)}, r);
  EXPECT_TRUE(r.thresholds_passed);
  evaluate_thresholds({}, r);
  EXPECT_TRUE(r.thresholds_passed);
}

TEST(MetricsReport, JsonCarriesCountersPercentilesBooksAndVerdict) {
  RunReport r = sample_report();
  evaluate_thresholds({threshold("max_loss", scenario::ThresholdOp::Le, 0, scenario::Threshold::Unit::Count)}, r);
  const json::value v = json::parse(report_to_json(r));
  EXPECT_EQ(v.at("protocol").as_string(), "mqtt5");
  EXPECT_EQ(v.at("run").at("devices").to_number<std::uint64_t>(), 100u);
  const auto& totals = v.at("totals");
  EXPECT_EQ(totals.at("counters").at("connects_ok").to_number<std::uint64_t>(), 100u);
  EXPECT_EQ(totals.at("counters_by_qos").at("publishes_acked").as_array().at(1).to_number<std::uint64_t>(), 990u);
  const auto& ack = totals.at("histograms").at("ack_latency");
  EXPECT_EQ(ack.at("count").to_number<std::uint64_t>(), 1000u);
  EXPECT_NEAR(ack.at("p50_ms").to_number<double>(), 500.0, 5.0);
  EXPECT_NEAR(ack.at("p99_9_ms").to_number<double>(), 999.0, 9.0);
  EXPECT_DOUBLE_EQ(ack.at("max_ms").to_number<double>(), 1000.0);
  EXPECT_FALSE(ack.at("buckets").as_array().empty());
  // Only non-zero codes, with names.
  const auto& codes = totals.at("connack_codes").as_array();
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes.at(1).at("name").as_string(), "not_authorized");
  EXPECT_TRUE(v.at("message_books").as_array().at(0).at("balanced").as_bool());
  EXPECT_DOUBLE_EQ(v.at("publish_rate").at("error_percent").to_number<double>(), -1.0);
  EXPECT_FALSE(v.at("thresholds").at("passed").as_bool());
  EXPECT_EQ(v.at("thresholds").at("results").as_array().at(0).at("value").to_number<double>(), 50.0);
  // The scenario echo is what the caller masked; the writer adds nothing back.
  EXPECT_NE(std::string(v.at("scenario").at("resolved_yaml").as_string().c_str()).find("***"), std::string::npos);
}

TEST(MetricsReport, SummaryShowsBooksLatencyAndVerdict) {
  RunReport r = sample_report();
  evaluate_thresholds({threshold("max_loss", scenario::ThresholdOp::Le, 0, scenario::Threshold::Unit::Count)}, r);
  const std::string text = format_summary(r);
  EXPECT_NE(text.find("1,000 requested = 990 acked + 3 timed out + 2 failed + 5 pending  [balanced]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("ack_latency"), std::string::npos);
  EXPECT_NE(text.find("FAIL          max_loss"), std::string::npos) << text;
  EXPECT_NE(text.find("verdict: FAIL (max_loss: 50, limit <= as written)"), std::string::npos) << text;
}

TEST(MetricsReport, SummaryNumbersAreForPeople) {
  RunReport r = sample_report();
  r.publish_rate = rate_figure(100.0 / 3.0, 100.0 / 3.0 * 0.9999929);
  r.time_to_all_connected_s = 1.5;
  r.cost.wall_s = 125.0;
  r.stats.messages_received = 1234567;
  scenario::Threshold loss = threshold("max_loss", scenario::ThresholdOp::Le, 0.001, scenario::Threshold::Unit::Ratio);
  evaluate_thresholds({loss}, r);
  const std::string text = format_summary(r);
  EXPECT_NE(text.find("requested 33.3/s, achieved 33.3/s (error ~0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("all connected after 1.5 s"), std::string::npos) << text;
  EXPECT_NE(text.find("after 2 min 05 s"), std::string::npos) << text;
  EXPECT_NE(text.find("1,234,567 messages"), std::string::npos) << text;
  EXPECT_NE(text.find("peak RSS 200 KiB (2 KiB per device)"), std::string::npos) << text;
  // The latency table names its unit per cell: ~500 ms at p50 of 1..1000 ms (the bucket's top).
  EXPECT_NE(text.find("  ack_latency             1,000     501 ms"), std::string::npos) << text;
  // The loss ratio: 50 lost of 1,234,567 + 50 = 0.00405% -> three decimals at most.
  EXPECT_NE(text.find("measured 0.004%"), std::string::npos) << text;
  for (const char* bad : {"e-0", "e+0", "33.333", "0.0000"}) EXPECT_EQ(text.find(bad), std::string::npos) << bad;
}

}  // namespace
}  // namespace fleetload::metrics
