// The end-of-run report model: everything the summary table, the JSON report (and later the
// HTML report) show, as plain data built once from a run's results.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "device/books_exchange.hpp"
#include "device/share_books.hpp"
#include "device/stats.hpp"
#include "metrics/search_steps.hpp"
#include "metrics/sparse_histogram.hpp"
#include "metrics/verdict.hpp"
#include "mqtt/packet.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::metrics {

// Requested vs achieved, with the signed error in percent ((achieved - requested) / requested).
struct RateFigure {
  double requested = 0.0;  // per second
  double achieved = 0.0;   // per second
  double error_percent = 0.0;
};

// One phase as it ran.
struct PhaseReport {
  std::string name;
  scenario::PhaseType type = scenario::PhaseType::Steady;
  double start_s = 0.0;  // relative to the run start
  double end_s = 0.0;
  RateFigure publish_rate;
  device::StatsSnapshot stats;  // delta over the phase
};

// One point of the per-interval time series.
struct SeriesPoint {
  double t_s = 0.0;
  std::uint64_t connected = 0;
  double connects_per_s = 0.0;
  double publishes_per_s = 0.0;
  double receives_per_s = 0.0;
  std::uint64_t errors = 0;
  std::uint64_t local_limit_errors = 0;
  double connect_failures_per_s = 0.0;  // connect attempts without an accepting CONNACK
  double drops_per_s = 0.0;             // established connections lost (churn included)
  double reconnects_per_s = 0.0;        // reconnect attempts started
  std::uint64_t backing_off = 0;        // devices waiting for their reconnect delay (level)
  double bytes_sent_per_s = 0.0;
  double bytes_received_per_s = 0.0;
  std::uint64_t in_flight = 0;          // QoS 1/2 publishes awaiting their ack (level)
  double publishes_requested_per_s = 0.0;  // what the plan asked over the interval
  double cpu_cores = 0.0;               // fleetload's CPU seconds per second (1 = one core)
  std::uint64_t rss_bytes = 0;          // fleetload's resident memory (level)
  // The interval's latency distributions (histogram deltas), for the percentile series.
  SparseHistogram ack_latency;
  SparseHistogram e2e_latency;
  SparseHistogram connect_duration;
};

// QoS >= 1 message books: requests = acked + timed out + failed + pending (in flight or
// queued at the end of the run).
struct MessageBooks {
  unsigned qos = 1;
  std::uint64_t requests = 0;
  std::uint64_t acked = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t failed = 0;
  std::uint64_t pending = 0;
  bool balanced = false;
};

// fleetload's own cost, so users can size load generators.
struct CostFigures {
  double wall_s = 0.0;
  double cpu_user_s = 0.0;
  double cpu_system_s = 0.0;
  std::uint64_t messages = 0;  // PUBLISH packets sent + received
  double cpu_s_per_100k_messages = 0.0;  // 0 when no messages
  std::uint64_t peak_rss_bytes = 0;
  double peak_rss_per_device_bytes = 0.0;
  std::uint64_t rss_before_devices = 0;
  std::uint64_t rss_all_connected = 0;
  // (RSS when all were connected - RSS before devices) / devices; 0 when never all connected.
  double rss_per_connected_device_bytes = 0.0;
};

// TLS handshakes (auth modes with TLS): completed, of which resumed, and the client-side CPU
// per handshake (the worker thread's CPU inside the handshake steps), full and resumed apart;
// 0 ms when there was none of that kind.
struct TlsFigures {
  std::uint64_t handshakes = 0;
  std::uint64_t resumed = 0;
  double full_cpu_ms = 0.0;
  double resumed_cpu_ms = 0.0;
};

// One threshold evaluated against the run.
struct ThresholdResult {
  std::string metric;  // the scenario key, e.g. "p99_ack_latency"
  std::string op;      // "<=", ">=", ...
  double limit = 0.0;  // in `unit`
  std::string unit;    // "count", "ratio", "seconds"
  double value = 0.0;  // measured, in `unit`
  // false when the metric has no samples (an empty histogram, no subscriber received
  // anything, ...): the threshold is inconclusive, never "measured 0".
  bool measured = true;
  bool passed = false;   // measured and within the limit
  std::string text;      // as written in the scenario
  std::string reason = {};  // when !measured: why nothing was measured ("no subscriber received anything")
  // pass (met), fail (measured and breached), inconclusive (not measured).
  Verdict verdict() const noexcept {
    return !measured ? Verdict::Inconclusive : passed ? Verdict::Pass : Verdict::Fail;
  }
};

// Failed connect attempts of one cause (engine::ConnectFailureCause): result = the layer
// that failed (tcp_failed, dns_failed, tls_failed, identity_failed, websocket_failed,
// local_error, connack_refused), reason = why, endpoint = "host:port" for tcp/dns failures.
struct ConnectFailureCause {
  std::string result;
  std::string reason;
  std::uint64_t count = 0;
  std::string endpoint;  // empty when the cause is not per endpoint
};

// The scenario's reconnect backoff as the devices ran it (device::BackoffPolicy), so the
// report can draw the theoretical delay distribution beside the observed one.
struct ReconnectPolicy {
  bool known = false;   // false for reports written before the field existed
  double min_s = 0.0;
  double max_s = 0.0;
  std::string jitter;   // device::to_string(JitterMode): "none", "full", "decorrelated"
  double reset_after_s = 0.0;
};

// One group of the fleet (scenario `groups`; a scenario without them has one, "default").
struct GroupReport {
  std::string name;
  std::uint64_t fleet_devices = 0;  // the group's size in the whole fleet
  std::uint64_t devices = 0;        // of which this report covers (its shards)
  device::StatsSnapshot stats;      // the group's devices only, whole run
  RateFigure publish_rate;
  std::vector<MessageBooks> books;
  // The run's phases (same names and times as RunReport::phases), the group's figures.
  std::vector<PhaseReport> phases;
  // The group's own thresholds (`groups[].thresholds`), judged on the group's figures.
  std::vector<ThresholdResult> thresholds;
  Verdict verdict = Verdict::Pass;  // of the group's thresholds alone
};

struct RunReport {
  std::string fleetload_version;
  std::string scenario_name;
  std::string scenario_source;
  std::string scenario_yaml;  // resolved scenario, secrets masked
  std::string started_at_utc;  // ISO 8601
  // The run's t0 in Unix milliseconds (0: unknown, reports from before it): report merge
  // lines shards' search steps up by it.
  std::int64_t started_at_unix_ms = 0;
  mqtt::Version protocol = mqtt::Version::V311;
  std::uint32_t shard_k = 0;
  std::uint32_t shard_n = 1;
  // A merged report (`fleetload report merge`): the shard indexes it covers, ascending.
  // Empty for the report of one run.
  std::vector<std::uint32_t> merged_shards;

  std::string exit_reason;  // "completed" | "interrupted" | "runtime_failure"
  std::string failure;      // empty unless interrupted / failed
  std::uint64_t devices = 0;  // in this shard
  unsigned threads = 0;
  // The run id in every payload header ("0x1a2b3c4d"; shared by all shards of one run) and
  // where it came from ("run.id", "random", "scenario_hash"). Empty in older reports.
  std::string run_id;
  std::string run_id_source;
  // End-of-run drain: how long it waited (the longest shard's), whether it timed out
  // (run.drain_timeout) with deliveries still arriving, and their rate then (msg/s).
  double drain_s = 0.0;
  bool drain_timed_out = false;
  double delivery_rate_at_stop = 0.0;
  std::uint64_t peak_connected = 0;
  std::int64_t connected_at_end = 0;  // the connected gauge before the final stop
  std::optional<double> time_to_all_connected_s;

  device::StatsSnapshot stats;  // whole run
  // The fleet's publish streams by id (stats.stream_counts index them) and the publishes per
  // second each should reach (summed over the shards of a merged report).
  std::vector<std::string> streams;
  std::vector<double> stream_requested_rate;
  // Sharded runs with subscribers: the books across shards (device/books_exchange.hpp), as
  // the shard wrote them; a merged report keeps the spans and what it could not settle yet.
  std::vector<device::PublisherSpan> publisher_spans;
  std::vector<device::ForeignBooks> foreign_books;
  // Every $share group's books across its members (device/share_books.hpp).
  std::vector<device::ShareGroupBooks> share_groups;
  std::vector<PhaseReport> phases;
  std::vector<SeriesPoint> series;
  ReconnectPolicy reconnect;
  RateFigure publish_rate;
  std::vector<MessageBooks> books;  // one per QoS >= 1 that saw requests

  std::uint64_t local_limit_errors = 0;
  std::uint64_t local_errors = 0;  // local faults: identity not loadable, CONNECT unencodable
  std::uint64_t broker_errors = 0;
  std::vector<ConnectFailureCause> connect_failures;  // non-zero causes only
  std::string tls_identity_error;  // first identity loading error (names files, no secrets)
  std::string websocket_error;     // first WebSocket failure (query values withheld)
  CostFigures cost;
  TlsFigures tls;  // all 0 without TLS

  // Per group, in fleet index order; the top-level figures are their sums.
  std::vector<GroupReport> groups;

  std::vector<ThresholdResult> thresholds;
  // Every threshold measured and met (also true when there are none); kept for readers of
  // older reports: the gate is `verdict`.
  bool thresholds_passed = true;
  // The run's verdict (metrics/verdict.hpp) and why, computed by evaluate_thresholds() or
  // decide_report_verdict() from the thresholds and whether any device ever connected.
  Verdict verdict = Verdict::Pass;
  std::vector<std::string> verdict_reasons = {};
  // A capacity search (phase type search), when one ran: its answer is the run's verdict.
  std::optional<SearchReport> search = {};
};

// The percentiles every histogram is reported with.
struct Percentiles {
  std::uint64_t count = 0;
  double min_ms = 0, mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};
Percentiles percentiles_of(const device::HistogramSnapshot& h);

// Signed relative error in percent; 0 when nothing was requested.
RateFigure rate_figure(double requested, double achieved);

// The QoS >= 1 books from a whole-run snapshot. `pending` is in flight + offline queued at
// the end; it is attributed to the QoS in use (the gauges do not split by QoS).
std::vector<MessageBooks> message_books(const device::StatsSnapshot& s);

// Thresholds from the scenario against the report's figures. Sets `thresholds`,
// `thresholds_passed`, `verdict` and `verdict_reasons` in `report`.
void evaluate_thresholds(const std::vector<scenario::Threshold>& thresholds, RunReport& report);

// Sets `verdict` and `verdict_reasons` from `report.thresholds` and every group's (as
// evaluated; a group's named "group <name>: <metric>") and whether any device ever
// connected (stats.connects_ok > 0); with a capacity search (`search`), from its answer.
void decide_report_verdict(RunReport& report);

// A group's thresholds against the group's figures: sets the group's `thresholds` and
// `verdict`. Call before evaluate_thresholds / decide_report_verdict of the whole report.
void evaluate_group_thresholds(const std::vector<scenario::Threshold>& thresholds, GroupReport& group);

// What the report has for a threshold metric, in that threshold's unit; without a value,
// why nothing was measured. Metrics: connect_success_ratio, max_loss, max_duplicates,
// p99_ack_latency, p99_e2e_latency, p99_connect_time, max_publish_rate_error.
struct ThresholdMeasure {
  std::optional<double> value;
  std::string unmeasured_reason;  // set when !value
};
ThresholdMeasure measure_threshold(const scenario::Threshold& t, const RunReport& report);
// measure_threshold(t, report).value.
std::optional<double> threshold_value(const scenario::Threshold& t, const RunReport& report);

// A threshold's measured value in its unit for people: "99.5%", "312 ms", "3".
std::string threshold_value_text(const ThresholdResult& t);

}  // namespace fleetload::metrics
