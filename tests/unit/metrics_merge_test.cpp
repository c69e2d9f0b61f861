// Reading JSON reports back and merging shard reports: known distributions whose merged
// percentiles differ from the average of the shards' percentiles, summed counts, series
// aligned by time, phases by name, thresholds re-evaluated, the JSON round trip, and bad
// inputs named by file and field.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "metrics/report_json.hpp"
#include "metrics/report_merge.hpp"
#include "metrics/report_read.hpp"

namespace fleetload::metrics {
namespace {

namespace json = boost::json;

std::uint64_t exact(std::uint64_t ns) {
  return device::hist::bucket_highest(SparseHistogram::coarse(static_cast<std::uint32_t>(device::hist::bucket_index(ns))));
}
const std::uint64_t kA = exact(10'000'000);   // ~10 ms
const std::uint64_t kB = exact(20'000'000);   // ~20 ms
const std::uint64_t kC = exact(100'000'000);  // ~100 ms

scenario::Threshold threshold(std::string metric, scenario::ThresholdOp op, double v, scenario::Threshold::Unit u,
                              std::string text) {
  scenario::Threshold t;
  t.metric = std::move(metric);
  t.op = op;
  t.value = v;
  t.unit = u;
  t.text = std::move(text);
  return t;
}

SparseHistogram sparse(std::uint64_t v, std::uint64_t n) {
  device::HistogramSnapshot h;
  h.record(v, n);
  return SparseHistogram::of(h);
}

// One shard of a two-shard run of the scenario "merge".
RunReport shard(std::uint32_t k) {
  RunReport r;
  r.fleetload_version = "0.1.0";
  r.scenario_name = "merge";
  r.scenario_source = "merge.yaml";
  r.scenario_yaml = "name: merge\nfleet:\n  devices: 200\n# shard " + std::to_string(k) + "/2 (from --shard)\nrun: {}\n";
  r.started_at_utc = k == 0 ? "2026-11-26T10:00:01Z" : "2026-11-26T10:00:00Z";
  r.protocol = mqtt::Version::V5;
  r.shard_k = k;
  r.shard_n = 2;
  r.exit_reason = "completed";
  r.devices = 100;
  r.threads = 2;
  r.peak_connected = 100;
  r.connected_at_end = 100;
  r.time_to_all_connected_s = k == 0 ? 1.5 : 2.5;
  auto& s = r.stats;
  s.connect_attempts = 100 + k;
  s.connects_ok = 100;
  s.connect_failures = k;  // shard 1 had one failure
  s.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::ConnackTimeout)] = k;
  s.publish_requests[1] = 1000 + k;
  s.publishes_sent[1] = 1000 + k;
  s.publishes_acked[1] = 1000 + k;
  s.messages_received = 900;
  s.messages_lost = 100 + k;
  s.bytes_sent = 12345 * (k + 1);
  s.connack_codes[0] = 100;
  s.connack_codes[0x87] = k;
  // Shard 0: 100 acks at A. Shard 1: 50 at B, 50 at C.
  //   shard p50: A, B (average 15 ms); shard p99: A, C (average 55 ms)
  //   merged (100 A, 50 B, 50 C): p50 = A (rank 100), p99 = C (rank 198).
  if (k == 0) {
    s.ack_latency.record(kA, 100);
  } else {
    s.ack_latency.record(kB, 50);
    s.ack_latency.record(kC, 50);
  }
  s.time_to_connect.record(exact(5'000'000), 100);
  r.publish_rate = rate_figure(500.0, 490.0 + 5.0 * k);
  r.books = message_books(s);
  r.connect_failures.push_back({"tls_failed", "certificate_expired", 2 + k, {}});
  if (k == 1) r.connect_failures.push_back({"connack_refused", "not_authorized", 1, {}});
  // Per-endpoint TCP causes: the same endpoint merges, another stays apart.
  r.connect_failures.push_back({"tcp_failed", "refused", 10 + k, "b1:1883"});
  if (k == 1) r.connect_failures.push_back({"tcp_failed", "refused", 7, "b2:1883"});
  r.local_errors = 3 + k;
  if (k == 1) r.websocket_error = "upgrade_forbidden: HTTP 403 for GET /mqtt?X-Amz-Signature=...";
  r.cost.wall_s = 10.0 + k;
  r.cost.cpu_user_s = 1.0;
  r.cost.messages = 1900 + k;
  r.cost.peak_rss_bytes = 50'000'000;
  for (const char* name : {"ramp-0", "hold"}) {
    PhaseReport p;
    p.name = name;
    p.type = std::string(name) == "hold" ? scenario::PhaseType::Steady : scenario::PhaseType::Ramp;
    p.start_s = std::string(name) == "hold" ? 2.0 + k : 0.0;
    p.end_s = std::string(name) == "hold" ? 10.0 + k : 2.0 + k;
    p.publish_rate = rate_figure(250.0, 240.0);
    p.stats.connects_ok = 50;
    p.stats.ack_latency = s.ack_latency;
    r.phases.push_back(p);
  }
  // Shard 1's sampling is offset by a few ms and lasts one interval longer.
  const double off = k == 0 ? 0.0 : 0.013;
  for (int i = 1; i <= 3 + static_cast<int>(k); ++i) {
    SeriesPoint pt;
    pt.t_s = i + off;
    pt.connected = 40u * static_cast<unsigned>(i);
    pt.publishes_per_s = 100.0;
    pt.errors = k;
    pt.connect_failures_per_s = 1.0 + k;
    pt.drops_per_s = 2.0;
    pt.reconnects_per_s = 3.0;
    pt.backing_off = 5u + k;
    pt.bytes_sent_per_s = 1000.0;
    pt.bytes_received_per_s = 2000.0 * (k + 1);
    pt.in_flight = 7;
    pt.publishes_requested_per_s = 100.0;
    pt.cpu_cores = 0.25;
    pt.rss_bytes = 40'000'000u + k;
    pt.ack_latency = k == 0 ? sparse(kA, 10) : sparse(kC, 10);
    r.series.push_back(pt);
  }
  r.reconnect = {true, 1.0, 120.0, "full", 30.0};
  evaluate_thresholds({threshold("p99_ack_latency", scenario::ThresholdOp::Le, 0.06, scenario::Threshold::Unit::Seconds, "<= 60ms"),
                       threshold("connect_success_ratio", scenario::ThresholdOp::Ge, 0.99, scenario::Threshold::Unit::Ratio, ">= 99%")},
                      r);
  return r;
}

// Through JSON text, as the CLI sees shard reports.
MergeInput via_json(const RunReport& r, const std::string& name) { return {name, report_from_json(report_to_json(r), name)}; }

TEST(ReportRead, JsonWriteReadWriteIsIdentical) {
  for (std::uint32_t k : {0u, 1u}) {
    RunReport r = shard(k);
    // Doubles that Boost.JSON 1.81's fast number parsing would read back one ulp off.
    r.publish_rate = rate_figure(100.0 / 101.0 * 1000, 2.0 / 3.0 * 1000);
    r.series[0].t_s = 1.0034567891234567;
    r.cost.cpu_user_s = 0.1 + 0.2;
    const std::string first = report_to_json(r);
    const RunReport back = report_from_json(first, "shard.json");
    EXPECT_EQ(report_to_json(back), first);
    EXPECT_EQ(back.stats.ack_latency.counts, shard(k).stats.ack_latency.counts);
    EXPECT_EQ(back.stats.ack_latency.sum, shard(k).stats.ack_latency.sum);
    EXPECT_EQ(back.stats.connack_codes[0x87], k);
    EXPECT_EQ(back.phases.at(1).stats.ack_latency.count, 100u);
    EXPECT_EQ(back.series.at(0).ack_latency, shard(k).series.at(0).ack_latency);
  }
  // A merged report round-trips too (shard.merged, thresholds, null time_to_all_connected).
  RunReport m = merge_reports({via_json(shard(0), "a.json"), via_json(shard(1), "b.json")}).report;
  m.time_to_all_connected_s.reset();
  const std::string text = report_to_json(m);
  EXPECT_EQ(report_to_json(report_from_json(text, "m.json")), text);
}

TEST(ReportMerge, TlsHandshakeCpuRoundTripsAndMergesWeightedByHandshakes) {
  RunReport a = shard(0), b = shard(1);
  a.tls = {100, 20, 2.0, 0.5};   // 80 full at 2.0 ms, 20 resumed at 0.5 ms
  b.tls = {300, 100, 1.0, 0.3};  // 200 full at 1.0 ms, 100 resumed at 0.3 ms
  const std::string text = report_to_json(a);
  const RunReport back = report_from_json(text, "a.json");
  EXPECT_EQ(back.tls.handshakes, 100u);
  EXPECT_EQ(back.tls.resumed, 20u);
  EXPECT_DOUBLE_EQ(back.tls.full_cpu_ms, 2.0);
  EXPECT_DOUBLE_EQ(back.tls.resumed_cpu_ms, 0.5);
  EXPECT_EQ(report_to_json(back), text);
  const RunReport m = merge_reports({via_json(a, "a.json"), via_json(b, "b.json")}).report;
  EXPECT_EQ(m.tls.handshakes, 400u);
  EXPECT_EQ(m.tls.resumed, 120u);
  EXPECT_NEAR(m.tls.full_cpu_ms, (80 * 2.0 + 200 * 1.0) / 280, 1e-9);
  EXPECT_NEAR(m.tls.resumed_cpu_ms, (20 * 0.5 + 100 * 0.3) / 120, 1e-9);
  // Without TLS there is no tls section at all.
  EXPECT_EQ(report_to_json(shard(0)).find("\"tls\""), std::string::npos);
}

TEST(ReportMerge, MergedPercentilesComeFromTheMergedDistributionNotTheAverage) {
  const auto res = merge_reports({via_json(shard(0), "a.json"), via_json(shard(1), "b.json")});
  const auto& h = res.report.stats.ack_latency;
  ASSERT_EQ(h.count, 200u);
  EXPECT_EQ(h.percentile(0.50), kA);
  EXPECT_EQ(h.percentile(0.99), kC);
  EXPECT_EQ(h.sum, 100 * kA + 50 * kB + 50 * kC);
  // What averaging the shards' percentiles would have said instead.
  const double avg_p50 = (static_cast<double>(kA) + static_cast<double>(kB)) / 2;
  const double avg_p99 = (static_cast<double>(kA) + static_cast<double>(kC)) / 2;
  EXPECT_NE(static_cast<double>(h.percentile(0.50)), avg_p50);
  EXPECT_NE(static_cast<double>(h.percentile(0.99)), avg_p99);
  // The JSON of the merged report says the same.
  const auto doc = json::parse(report_to_json(res.report));
  const auto& j = doc.at("totals").at("histograms").at("ack_latency");
  EXPECT_DOUBLE_EQ(j.at("p50_ms").to_number<double>(), static_cast<double>(kA) / 1e6);
  EXPECT_DOUBLE_EQ(j.at("p99_ms").to_number<double>(), static_cast<double>(kC) / 1e6);
  EXPECT_DOUBLE_EQ(j.at("min_ms").to_number<double>(), static_cast<double>(kA) / 1e6);
  EXPECT_DOUBLE_EQ(j.at("max_ms").to_number<double>(), static_cast<double>(kC) / 1e6);
}

TEST(ReportMerge, CountsRatesAndBooksAreSummed) {
  const auto res = merge_reports({via_json(shard(0), "a.json"), via_json(shard(1), "b.json")});
  const RunReport& m = res.report;
  EXPECT_TRUE(res.warnings.empty()) << res.warnings.front();
  EXPECT_EQ(m.devices, 200u);
  EXPECT_EQ(m.threads, 4u);
  EXPECT_EQ(m.stats.connect_attempts, 201u);
  EXPECT_EQ(m.stats.connects_ok, 200u);
  EXPECT_EQ(m.stats.connect_failures, 1u);
  EXPECT_EQ(m.stats.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::ConnackTimeout)], 1u);
  EXPECT_EQ(m.stats.publishes_sent[1], 2001u);
  EXPECT_EQ(m.stats.messages_received, 1800u);
  EXPECT_EQ(m.stats.messages_lost, 201u);
  EXPECT_EQ(m.stats.bytes_sent, 12345u * 3);
  EXPECT_EQ(m.stats.connack_codes[0], 200u);
  EXPECT_EQ(m.stats.connack_codes[0x87], 1u);
  EXPECT_EQ(m.stats.time_to_connect.count, 200u);
  ASSERT_EQ(m.connect_failures.size(), 4u);
  EXPECT_EQ(m.connect_failures[0].reason, "certificate_expired");
  EXPECT_EQ(m.connect_failures[0].count, 5u);
  EXPECT_EQ(m.connect_failures[1].endpoint, "b1:1883");
  EXPECT_EQ(m.connect_failures[1].count, 21u);
  EXPECT_EQ(m.connect_failures[2].count, 1u);
  EXPECT_EQ(m.connect_failures[3].endpoint, "b2:1883");
  EXPECT_EQ(m.connect_failures[3].count, 7u);
  EXPECT_EQ(m.local_errors, 7u);
  // The first WebSocket failure survives JSON and the merge, named by the shard it came from.
  EXPECT_NE(m.websocket_error.find("HTTP 403"), std::string::npos) << m.websocket_error;
  EXPECT_DOUBLE_EQ(m.publish_rate.requested, 1000.0);
  EXPECT_DOUBLE_EQ(m.publish_rate.achieved, 985.0);
  EXPECT_NEAR(m.publish_rate.error_percent, -1.5, 1e-9);
  ASSERT_EQ(m.books.size(), 1u);
  EXPECT_EQ(m.books[0].requests, 2001u);
  EXPECT_TRUE(m.books[0].balanced);
  EXPECT_EQ(m.connected_at_end, 200);
  EXPECT_DOUBLE_EQ(*m.time_to_all_connected_s, 2.5);
  EXPECT_EQ(m.started_at_utc, "2026-11-26T10:00:00Z");
  EXPECT_DOUBLE_EQ(m.cost.wall_s, 11.0);
  EXPECT_DOUBLE_EQ(m.cost.cpu_user_s, 2.0);
  EXPECT_EQ(m.cost.peak_rss_bytes, 100'000'000u);
  EXPECT_EQ(m.merged_shards, (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(m.scenario_yaml.find("# shard"), std::string::npos) << m.scenario_yaml;
}

TEST(ReportMerge, PhasesMatchByNameAndSeriesAlignByTime) {
  RunReport b = shard(1);
  std::swap(b.phases[0], b.phases[1]);  // order differs: matched by name
  const RunReport m = merge_reports({via_json(shard(0), "a.json"), via_json(b, "b.json")}).report;
  ASSERT_EQ(m.phases.size(), 2u);
  EXPECT_EQ(m.phases[0].name, "ramp-0");
  EXPECT_EQ(m.phases[1].name, "hold");
  EXPECT_EQ(m.phases[1].stats.connects_ok, 100u);
  EXPECT_DOUBLE_EQ(m.phases[1].start_s, 2.0);
  EXPECT_DOUBLE_EQ(m.phases[1].end_s, 11.0);
  EXPECT_DOUBLE_EQ(m.phases[1].publish_rate.requested, 500.0);
  EXPECT_EQ(m.phases[1].stats.ack_latency.percentile(0.99), kC);
  // Shard 0 sampled at 1, 2, 3 s; shard 1 at 1.013 .. 4.013 s: four aligned points.
  ASSERT_EQ(m.series.size(), 4u);
  EXPECT_NEAR(m.series[0].t_s, 1.0065, 1e-9);
  EXPECT_EQ(m.series[0].connected, 80u);
  EXPECT_EQ(m.series[2].connected, 240u);
  EXPECT_EQ(m.series[3].connected, 160u);  // only shard 1 still sampling
  EXPECT_DOUBLE_EQ(m.series[1].publishes_per_s, 200.0);
  EXPECT_EQ(m.series[1].errors, 1u);
  // Interval distributions merged too: 10 at A + 10 at C -> p50 A, p99 C.
  const auto h = m.series[1].ack_latency.expand();
  EXPECT_EQ(h.count, 20u);
  EXPECT_EQ(h.percentile(0.5), kA);
  EXPECT_EQ(h.percentile(0.99), kC);
  EXPECT_EQ(m.series[3].ack_latency.count, 10u);
  EXPECT_EQ(m.peak_connected, 240u);
}

TEST(ReportMerge, SeriesRatesLevelsCpuAndRssAreSummedOverShards) {
  const RunReport m = merge_reports({via_json(shard(0), "a.json"), via_json(shard(1), "b.json")}).report;
  ASSERT_EQ(m.series.size(), 4u);
  const SeriesPoint& p = m.series[1];  // both shards
  EXPECT_DOUBLE_EQ(p.connect_failures_per_s, 1.0 + 2.0);
  EXPECT_DOUBLE_EQ(p.drops_per_s, 4.0);
  EXPECT_DOUBLE_EQ(p.reconnects_per_s, 6.0);
  EXPECT_EQ(p.backing_off, 5u + 6u);
  EXPECT_DOUBLE_EQ(p.bytes_sent_per_s, 2000.0);
  EXPECT_DOUBLE_EQ(p.bytes_received_per_s, 2000.0 + 4000.0);
  EXPECT_EQ(p.in_flight, 14u);
  EXPECT_DOUBLE_EQ(p.publishes_requested_per_s, 200.0);
  EXPECT_DOUBLE_EQ(p.cpu_cores, 0.5);  // the cores both load generators kept busy
  EXPECT_EQ(p.rss_bytes, 80'000'001u);
  EXPECT_EQ(m.series[3].rss_bytes, 40'000'001u);  // only shard 1 still sampling
  EXPECT_TRUE(m.reconnect.known);
  EXPECT_EQ(m.reconnect.jitter, "full");
  EXPECT_DOUBLE_EQ(m.reconnect.max_s, 120.0);
}

TEST(ReportRead, ReportsWithoutTheNewerSeriesFieldsReadAsZero) {
  // A report written before the series carried drops, bytes, CPU ... and the backoff policy.
  json::value v = json::parse(report_to_json(shard(0)));
  v.as_object().erase("reconnect");
  for (auto& p : v.at("series").as_array())
    for (const char* k : {"connect_failures_per_s", "drops_per_s", "reconnects_per_s", "backing_off",
                          "bytes_sent_per_s", "bytes_received_per_s", "in_flight", "publishes_requested_per_s",
                          "cpu_cores", "rss_bytes"})
      ASSERT_TRUE(p.as_object().erase(k)) << k;
  const RunReport r = report_from_json(json::serialize(v), "old.json");
  ASSERT_EQ(r.series.size(), 3u);
  EXPECT_EQ(r.series[0].connected, 40u);
  EXPECT_EQ(r.series[0].rss_bytes, 0u);
  EXPECT_DOUBLE_EQ(r.series[0].drops_per_s, 0.0);
  EXPECT_FALSE(r.reconnect.known);
  // A field that is there must still be well-formed.
  v.at("series").as_array()[0].as_object()["cpu_cores"] = "lots";
  try {
    report_from_json(json::serialize(v), "old.json");
    FAIL() << "a malformed cpu_cores was accepted";
  } catch (const ReportReadError& e) {
    EXPECT_NE(std::string(e.what()).find("old.json: series[0].cpu_cores: expected a number"), std::string::npos)
        << e.what();
  }
}

TEST(ReportMerge, ThresholdsAreEvaluatedAgainOnTheMergedData) {
  const RunReport a = shard(0), b = shard(1);
  // Shard 0 passes p99 <= 60 ms (10 ms), shard 1 fails it (100 ms); the average of their
  // p99s (55 ms) would pass; the merged p99 (100 ms) fails.
  ASSERT_TRUE(a.thresholds[0].passed);
  ASSERT_FALSE(b.thresholds[0].passed);
  const RunReport m = merge_reports({via_json(a, "a.json"), via_json(b, "b.json")}).report;
  ASSERT_EQ(m.thresholds.size(), 2u);
  EXPECT_EQ(m.thresholds[0].metric, "p99_ack_latency");
  EXPECT_DOUBLE_EQ(m.thresholds[0].value, static_cast<double>(kC) / 1e9);
  EXPECT_FALSE(m.thresholds[0].passed);
  EXPECT_EQ(m.thresholds[0].text, "<= 60ms");
  // 200 ok of 201 completed attempts: 99.5 % >= 99 %.
  EXPECT_DOUBLE_EQ(m.thresholds[1].value, 200.0 / 201.0);
  EXPECT_TRUE(m.thresholds[1].passed);
  EXPECT_FALSE(m.thresholds_passed);
  // Only shard 0 (a subset, with a warning): passes.
  const auto only0 = merge_reports({via_json(a, "a.json")});
  EXPECT_TRUE(only0.report.thresholds_passed);
  ASSERT_EQ(only0.warnings.size(), 1u);
  EXPECT_EQ(only0.warnings[0], "merged 1 of 2 shards; missing: 1");
  EXPECT_EQ(m.verdict, Verdict::Fail);
  EXPECT_EQ(only0.report.verdict, Verdict::Pass);
}

TEST(ReportMerge, VerdictIsDecidedAgainNotTakenFromTheShards) {
  // Shard 1 never reached the broker: inconclusive on its own.
  RunReport dead = shard(1);
  dead.stats = {};
  dead.stats.connect_attempts = dead.stats.connect_failures = 100;
  dead.phases.clear();
  dead.series.clear();
  evaluate_thresholds({threshold("p99_ack_latency", scenario::ThresholdOp::Le, 0.06, scenario::Threshold::Unit::Seconds,
                                 "<= 60ms")},
                      dead);
  ASSERT_EQ(dead.verdict, Verdict::Inconclusive);
  RunReport live = shard(0);
  evaluate_thresholds({threshold("p99_ack_latency", scenario::ThresholdOp::Le, 0.06, scenario::Threshold::Unit::Seconds,
                                 "<= 60ms")},
                      live);
  ASSERT_EQ(live.verdict, Verdict::Pass);
  // Together, 100 devices connected and the ack latency was measured: the fleet passes.
  const RunReport m = merge_reports({via_json(live, "a.json"), via_json(dead, "b.json")}).report;
  EXPECT_EQ(m.verdict, Verdict::Pass);
  EXPECT_TRUE(m.verdict_reasons.empty());
  // Two dead shards stay inconclusive.
  RunReport dead0 = dead;
  dead0.shard_k = 0;
  const RunReport none = merge_reports({via_json(dead0, "a.json"), via_json(dead, "b.json")}).report;
  EXPECT_EQ(none.verdict, Verdict::Inconclusive);
  EXPECT_EQ(none.verdict_reasons, std::vector<std::string>{"no device connected"});
}

TEST(ReportMerge, SparseHistogramsMergeBucketByBucket) {
  device::HistogramSnapshot a, b, both;
  for (auto [v, n] : {std::pair<std::uint64_t, std::uint64_t>{kA, 3}, {kB, 4}}) {
    a.record(v, n);
    both.record(v, n);
  }
  for (auto [v, n] : {std::pair<std::uint64_t, std::uint64_t>{kB, 5}, {kC, 6}, {17, 1}}) {
    b.record(v, n);
    both.record(v, n);
  }
  const SparseHistogram m = merge_sparse(SparseHistogram::of(a), SparseHistogram::of(b));
  EXPECT_EQ(m, SparseHistogram::of(both));  // shared bucket kB summed, others kept in order
  EXPECT_EQ(m.buckets.size(), 4u);
  EXPECT_EQ(merge_sparse(SparseHistogram{}, SparseHistogram::of(b)), SparseHistogram::of(b));
  EXPECT_EQ(merge_sparse(SparseHistogram::of(a), SparseHistogram{}), SparseHistogram::of(a));
}

std::string merge_error(const std::vector<MergeInput>& in) {
  try {
    merge_reports(in);
  } catch (const MergeError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ReportMerge, RefusesMixedScenariosSplitsAndDuplicateShardsNamingTheFiles) {
  RunReport other = shard(1);
  other.scenario_name = "other";
  EXPECT_EQ(merge_error({via_json(shard(0), "a.json"), via_json(other, "b.json")}),
            "cannot merge reports of different scenarios: a.json is \"merge\", b.json is \"other\"");
  RunReport changed = shard(1);
  changed.scenario_yaml = "name: merge\nfleet:\n  devices: 300\n# shard 1/2 (from --shard)\nrun: {}\n";
  EXPECT_EQ(merge_error({via_json(shard(0), "a.json"), via_json(changed, "b.json")}),
            "cannot merge reports of different scenarios: the resolved scenarios of a.json and b.json differ at "
            "line 3: \"  devices: 200\" vs \"  devices: 300\"");
  EXPECT_EQ(merge_error({via_json(shard(0), "a.json"), via_json(shard(0), "again.json")}),
            "shard 0/2 appears twice: in a.json and in again.json");
  RunReport split = shard(1);
  split.shard_n = 3;
  EXPECT_EQ(merge_error({via_json(shard(0), "a.json"), via_json(split, "c.json")}),
            "cannot merge shards of different splits: a.json is one of 2 shards, c.json one of 3");
  RunReport v311 = shard(1);
  v311.protocol = mqtt::Version::V311;
  EXPECT_EQ(merge_error({via_json(shard(0), "a.json"), via_json(v311, "d.json")}),
            "cannot merge reports of different scenarios: a.json and d.json use different MQTT versions");
  // A merged report counts as the shards it covers.
  MergeInput both{"m.json", merge_reports({via_json(shard(0), "a.json"), via_json(shard(1), "b.json")}).report};
  EXPECT_EQ(merge_error({both, via_json(shard(1), "b.json")}), "shard 1/2 appears twice: in m.json and in b.json");
  EXPECT_EQ(merge_error({}), "no reports to merge");
}

// Two runs of one scenario are not two shards of one fleet: their run ids (stamped in every
// payload header, shared by the shards of one run) tell them apart, through the JSON too.
TEST(ReportMerge, RefusesReportsOfDifferentRunsAndKeepsTheRunIdAndDrain) {
  RunReport a = shard(0), b = shard(1);
  a.run_id = b.run_id = "0x0000abcd";
  a.drain_s = 1.5;
  b.drain_s = 4.0;
  b.drain_timed_out = true;
  b.delivery_rate_at_stop = 120.0;
  const auto m = merge_reports({via_json(a, "a.json"), via_json(b, "b.json")}).report;
  EXPECT_EQ(m.run_id, "0x0000abcd");
  EXPECT_DOUBLE_EQ(m.drain_s, 4.0);
  EXPECT_TRUE(m.drain_timed_out);
  EXPECT_DOUBLE_EQ(m.delivery_rate_at_stop, 120.0);
  RunReport later = shard(1);
  later.run_id = "0x00001234";
  EXPECT_EQ(merge_error({via_json(a, "a.json"), via_json(later, "b.json")}),
            "cannot merge reports of different runs: a.json has run id 0x0000abcd, b.json has 0x00001234 "
            "(shards of one run share run.id)");
}

std::string read_error(const std::string& text) {
  try {
    report_from_json(text, "bad.json");
  } catch (const ReportReadError& e) {
    return e.what();
  }
  return "(no error)";
}

// The report text with `from` replaced by `to` (once).
std::string edited(std::string text, const std::string& from, const std::string& to) {
  const auto p = text.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) text.replace(p, from.size(), to);
  return text;
}

TEST(ReportRead, BadInputIsNamedByFileAndField) {
  const std::string good = report_to_json(shard(0));
  EXPECT_EQ(read_error("{\n  \"a\": 1,\n  oops\n}"), "bad.json:3:3: not a JSON report: syntax error");
  EXPECT_EQ(read_error("[1, 2]"), "bad.json: (document): expected an object");
  EXPECT_EQ(read_error(edited(good, "\"fleetload_version\"", "\"version\"")), "bad.json: fleetload_version: missing");
  EXPECT_EQ(read_error(edited(good, "\"connects_ok\": 100", "\"connects_ok\": \"100\"")),
            "bad.json: totals.counters.connects_ok: expected a whole number >= 0");
  EXPECT_EQ(read_error(edited(good, "\"protocol\": \"mqtt5\"", "\"protocol\": \"mqtt6\"")),
            "bad.json: protocol: expected \"mqtt311\" or \"mqtt5\", got \"mqtt6\"");
  // A bucket count that does not add up to the histogram's count.
  const std::string lo = std::to_string(device::hist::bucket_lowest(device::hist::bucket_index(kA)));
  const std::string hi = std::to_string(kA);
  EXPECT_EQ(read_error(edited(good, "[" + lo + "," + hi + ",100]", "[" + lo + "," + hi + ",99]")),
            "bad.json: totals.histograms.ack_latency.buckets: bucket counts add up to 99, not count 100");
  EXPECT_EQ(read_error(edited(good, "[" + lo + "," + hi + ",100]", "[" + lo + "," + std::to_string(kA + 1) + ",100]")),
            "bad.json: totals.histograms.ack_latency.buckets[0]: not a bucket of fleetload's histogram layout "
            "(lowest " + lo + " ns)");
  EXPECT_EQ(read_error(edited(good, "\"type\": \"ramp\"", "\"type\": \"warmup\"")),
            "bad.json: phases[0].type: expected ramp, steady, churn, storm or search, got \"warmup\"");
  // Files: missing, and a file's name in the message.
  EXPECT_THROW(read_json_report("/nonexistent/r.json"), ReportReadError);
  try {
    read_json_report("/nonexistent/r.json");
  } catch (const ReportReadError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/r.json: cannot open the report file");
  }
}

TEST(ReportRead, ReadsTheFileWrittenByTheWriter) {
  const auto dir = std::filesystem::temp_directory_path() / ("fleetload-merge-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  write_json_report(shard(1), dir / "r.json");
  const RunReport back = read_json_report(dir / "r.json");
  EXPECT_EQ(back.shard_k, 1u);
  EXPECT_EQ(back.stats.ack_latency.count, 100u);
  std::ofstream(dir / "cut.json") << report_to_json(shard(1)).substr(0, 200);
  try {
    read_json_report(dir / "cut.json");
    ADD_FAILURE() << "a truncated report was read";
  } catch (const ReportReadError& e) {
    EXPECT_EQ(std::string(e.what()).rfind((dir / "cut.json").string() + ":", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a JSON report"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::metrics
