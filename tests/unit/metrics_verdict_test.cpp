// The verdict: its rules (decide_verdict), why each threshold metric may be unmeasured, the
// verdict in the JSON report and read back, and the protocol anomalies in the summary.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "metrics/anomalies.hpp"
#include "metrics/report_json.hpp"
#include "metrics/report_read.hpp"
#include "metrics/report_text.hpp"
#include "metrics/run_report.hpp"
#include "metrics/verdict.hpp"

namespace fleetload::metrics {
namespace {

namespace json = boost::json;
using Op = scenario::ThresholdOp;
using U = scenario::Threshold::Unit;

ThresholdOutcome met(std::string name) { return {std::move(name), true, true, "1 ms, limit <= 5ms"}; }
ThresholdOutcome breached(std::string name) { return {std::move(name), true, false, "9 ms, limit <= 5ms"}; }
ThresholdOutcome unmeasured(std::string name) { return {std::move(name), false, false, "no subscriber received anything"}; }

TEST(Verdict, NamesRoundTrip) {
  for (auto v : {Verdict::Pass, Verdict::Fail, Verdict::Inconclusive}) EXPECT_EQ(verdict_from_string(to_string(v)), v);
  EXPECT_STREQ(to_string(Verdict::Inconclusive), "inconclusive");
  EXPECT_FALSE(verdict_from_string("PASS"));
  EXPECT_FALSE(verdict_from_string(""));
}

TEST(Verdict, RulesInOrder) {
  // Nothing set, devices connected: pass, no reason.
  VerdictResult r = decide_verdict({}, true);
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_EQ(r.headline(), "PASS");
  // No device connected: inconclusive, thresholds or not.
  r = decide_verdict({}, false);
  EXPECT_EQ(r.verdict, Verdict::Inconclusive);
  EXPECT_EQ(r.headline(), "INCONCLUSIVE (no device connected)");
  const std::vector<ThresholdOutcome> all_met{met("p99_ack_latency")};
  EXPECT_EQ(decide_verdict(all_met, false).verdict, Verdict::Inconclusive);
  // A breach is definitive: with another threshold unmeasured, and with no device connected.
  const std::vector<ThresholdOutcome> mixed{unmeasured("max_loss"), breached("p99_ack_latency"), met("x")};
  r = decide_verdict(mixed, true);
  EXPECT_EQ(r.verdict, Verdict::Fail);
  EXPECT_EQ(r.headline(), "FAIL (p99_ack_latency: 9 ms, limit <= 5ms)");
  EXPECT_EQ(decide_verdict(mixed, false).verdict, Verdict::Fail);
  // Unmeasured without a breach: inconclusive, each one named.
  const std::vector<ThresholdOutcome> gaps{met("a"), unmeasured("max_loss"), unmeasured("max_duplicates")};
  r = decide_verdict(gaps, true);
  EXPECT_EQ(r.verdict, Verdict::Inconclusive);
  ASSERT_EQ(r.reasons.size(), 2u);
  EXPECT_EQ(r.reasons[0], "max_loss: not measured: no subscriber received anything");
  EXPECT_EQ(decide_verdict(all_met, true).verdict, Verdict::Pass);
}

scenario::Threshold threshold(std::string metric, Op op, double v, U u, std::string text = "") {
  scenario::Threshold t;
  t.metric = std::move(metric);
  t.op = op;
  t.value = v;
  t.unit = u;
  t.text = std::move(text);
  return t;
}

// Devices connected and published QoS 1, nothing else: no subscriber, no ack yet.
RunReport publishers_only() {
  RunReport r;
  r.protocol = mqtt::Version::V5;
  r.exit_reason = "completed";
  r.stats.connect_attempts = 10;
  r.stats.connects_ok = 10;
  r.stats.publish_requests[1] = 50;
  r.stats.time_to_connect.record(2'000'000, 10);
  return r;
}

TEST(Verdict, EveryUnmeasuredThresholdSaysWhyInsteadOfMeasuredZero) {
  RunReport r = publishers_only();
  evaluate_thresholds({threshold("max_loss", Op::Le, 0, U::Count, "0"),
                       threshold("max_duplicates", Op::Le, 0.01, U::Ratio, "1%"),
                       threshold("p99_ack_latency", Op::Le, 0.25, U::Seconds, "<= 250ms"),
                       threshold("p99_e2e_latency", Op::Le, 1, U::Seconds, "<= 1s"),
                       threshold("max_publish_rate_error", Op::Le, 0.01, U::Ratio, "1%"),
                       threshold("p99_connect_time", Op::Le, 1, U::Seconds, "<= 1s")},
                      r);
  ASSERT_EQ(r.thresholds.size(), 6u);
  const char* why[] = {"no subscriber received anything", "no subscriber received anything",
                       "no publish was acknowledged", "no subscriber received anything", "no publishes were requested"};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_FALSE(r.thresholds[i].measured) << r.thresholds[i].metric;
    EXPECT_EQ(r.thresholds[i].reason, why[i]) << r.thresholds[i].metric;
    EXPECT_EQ(r.thresholds[i].verdict(), Verdict::Inconclusive);
  }
  EXPECT_TRUE(r.thresholds[5].measured);
  EXPECT_EQ(r.thresholds[5].verdict(), Verdict::Pass);
  EXPECT_FALSE(r.thresholds_passed);
  EXPECT_EQ(r.verdict, Verdict::Inconclusive);
  ASSERT_EQ(r.verdict_reasons.size(), 5u);
  EXPECT_EQ(r.verdict_reasons[0], "max_loss: not measured: no subscriber received anything");
  const std::string text = format_summary(r);
  EXPECT_NE(text.find("inconclusive  max_loss                 0              not measured: no subscriber received anything"),
            std::string::npos) << text;
  EXPECT_EQ(text.find("measured 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("verdict: INCONCLUSIVE (max_loss: not measured"), std::string::npos) << text;

  // Received messages without fleetload's header: loss cannot be counted either.
  r.stats.messages_received = 20;
  r.stats.messages_untracked = 20;
  EXPECT_EQ(measure_threshold(threshold("max_loss", Op::Le, 0, U::Count), r).unmeasured_reason,
            "no received message carried fleetload's sequence header (payload.template or header: false)");
  // A gap seen is a measurement, even a total one.
  r.stats.messages_untracked = 0;
  r.stats.messages_lost = 5;
  EXPECT_EQ(threshold_value(threshold("max_loss", Op::Le, 0, U::Count), r), 5.0);
  // No completed connect attempt at all.
  RunReport none;
  EXPECT_EQ(measure_threshold(threshold("connect_success_ratio", Op::Ge, 0.99, U::Ratio), none).unmeasured_reason,
            "no connect attempt completed");
  // All attempts failed: measured 0 %, a breach.
  none.stats.connect_failures = 7;
  evaluate_thresholds({threshold("connect_success_ratio", Op::Ge, 0.99, U::Ratio, ">= 99%")}, none);
  EXPECT_EQ(none.thresholds[0].verdict(), Verdict::Fail);
  EXPECT_EQ(none.verdict, Verdict::Fail) << "a breach found is definitive, even with nothing connected";
}

TEST(Verdict, NoDeviceConnectedIsNeverAPass) {
  RunReport r;
  r.stats.connect_attempts = 530;
  r.stats.connect_failures = 530;
  evaluate_thresholds({}, r);
  EXPECT_TRUE(r.thresholds_passed) << "nothing breached: the compatibility field stays true";
  EXPECT_EQ(r.verdict, Verdict::Inconclusive);
  EXPECT_EQ(r.verdict_reasons, std::vector<std::string>{"no device connected"});
  EXPECT_NE(format_summary(r).find("verdict: INCONCLUSIVE (no device connected)"), std::string::npos);
  evaluate_thresholds({threshold("max_loss", Op::Le, 0, U::Count, "0")}, r);
  EXPECT_EQ(r.verdict, Verdict::Inconclusive);
  EXPECT_EQ(r.verdict_reasons, std::vector<std::string>{"no device connected"});
}

TEST(Verdict, JsonCarriesTheVerdictAndReadsItBack) {
  RunReport r = publishers_only();
  evaluate_thresholds({threshold("max_loss", Op::Le, 0, U::Count, "0"),
                       threshold("p99_connect_time", Op::Le, 1, U::Seconds, "<= 1s")},
                      r);
  const std::string text = report_to_json(r);
  const json::value v = json::parse(text);
  EXPECT_EQ(v.at("verdict").as_string(), "inconclusive");
  ASSERT_EQ(v.at("verdict_reasons").as_array().size(), 1u);
  EXPECT_EQ(v.at("verdict_reasons").as_array()[0].as_string(),
            "max_loss: not measured: no subscriber received anything");
  const auto& res = v.at("thresholds").at("results").as_array();
  EXPECT_EQ(res[0].at("verdict").as_string(), "inconclusive");
  EXPECT_EQ(res[0].at("reason").as_string(), "no subscriber received anything");
  EXPECT_TRUE(res[0].at("value").is_null());
  EXPECT_EQ(res[1].at("verdict").as_string(), "pass");
  EXPECT_FALSE(res[1].as_object().contains("reason"));
  // Read back: the same verdict, reasons and report text.
  const RunReport back = report_from_json(text, "r.json");
  EXPECT_EQ(back.verdict, Verdict::Inconclusive);
  EXPECT_EQ(back.verdict_reasons, r.verdict_reasons);
  EXPECT_EQ(back.thresholds[0].reason, "no subscriber received anything");
  EXPECT_EQ(report_to_json(back), text);
}

TEST(Verdict, ReportsWithoutAVerdictGetOneAndBadVerdictsAreRefused) {
  RunReport r;  // nothing connected
  evaluate_thresholds({}, r);
  // A report from before verdicts existed: the same rules on what it holds.
  json::value old = json::parse(report_to_json(r));
  old.as_object().erase("verdict");
  old.as_object().erase("verdict_reasons");
  const RunReport back = report_from_json(json::serialize(old), "old.json");
  EXPECT_EQ(back.verdict, Verdict::Inconclusive);
  EXPECT_EQ(back.verdict_reasons, std::vector<std::string>{"no device connected"});
  // Edited verdicts are bad input, naming the field.
  json::value bad = json::parse(report_to_json(r));
  bad.as_object()["verdict"] = "green";
  try {
    report_from_json(json::serialize(bad), "bad.json");
    ADD_FAILURE() << "accepted an unknown verdict";
  } catch (const ReportReadError& e) {
    EXPECT_EQ(std::string(e.what()), "bad.json: verdict: expected \"pass\", \"fail\" or \"inconclusive\", got \"green\"");
  }
  RunReport m = publishers_only();
  evaluate_thresholds({threshold("p99_connect_time", Op::Le, 1, U::Seconds, "<= 1s")}, m);
  json::value edited = json::parse(report_to_json(m));
  edited.at("thresholds").at("results").as_array()[0].as_object()["verdict"] = "fail";
  try {
    report_from_json(json::serialize(edited), "edit.json");
    ADD_FAILURE() << "accepted a per-threshold verdict that contradicts it";
  } catch (const ReportReadError& e) {
    EXPECT_EQ(std::string(e.what()),
              "edit.json: thresholds.results[0].verdict: \"fail\" contradicts measured true and passed true");
  }
}

TEST(Anomalies, EveryTableEntryIsACounter) {
  device::StatsSnapshot s;
  for (const auto& a : anomaly_counters()) {
    EXPECT_TRUE(counter_by_name(s, a.counter).has_value()) << a.counter << " is not in FLEETLOAD_DEVICE_COUNTERS";
    EXPECT_FALSE(a.label.empty());
  }
  EXPECT_FALSE(counter_by_name(s, "no_such_counter"));
  EXPECT_GE(anomaly_counters().size(), 9u);
}

TEST(Anomalies, SummaryShowsEveryNonZeroAnomalyAndNothingWhenHealthy) {
  RunReport r = publishers_only();
  evaluate_thresholds({}, r);
  EXPECT_EQ(format_summary(r).find("anomalies"), std::string::npos);
  r.stats.unexpected_acks = 3;
  r.stats.decode_errors = 1;
  r.stats.subscribe_filters_failed = 20;
  r.stats.protocol_violations = 2;
  r.stats.messages_clock_skewed = 4;
  const std::string text = format_summary(r);
  EXPECT_NE(text.find("  anomalies       1 decode_errors: broker byte streams our decoder rejected\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("                  3 unexpected_acks: "), std::string::npos) << text;
  EXPECT_NE(text.find("20 subscribe_filters_failed: "), std::string::npos) << text;
  EXPECT_NE(text.find("2 protocol_violations: "), std::string::npos) << text;
  EXPECT_NE(text.find("4 messages_clock_skewed: "), std::string::npos) << text;
  EXPECT_EQ(anomalies_of(r.stats).size(), 5u);
}

}  // namespace
}  // namespace fleetload::metrics
