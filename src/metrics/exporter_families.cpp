// From a merged StatsSnapshot to Prometheus metric families: names, labels, base units and
// the fixed histogram buckets (see docs/metrics.md for the reference of every family).
#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <array>
#include <cstddef>
#include <deque>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "metrics/exporter.hpp"

namespace fleetload::metrics {
namespace {

using Labels = std::vector<prometheus::ClientMetric::Label>;

constexpr double kNsPerSecond = 1e9;

// Collects the families of one exposition, every series with the process-wide labels.
class Builder {
 public:
  explicit Builder(const ExportLabels& l)
      : base_{{"scenario", l.scenario}, {"shard", l.shard}, {"protocol", l.protocol}, {"auth_mode", l.auth_mode}} {}

  // The family of this name: the existing one (each group adds its series to it) or a new one.
  prometheus::MetricFamily& family(std::string name, std::string help, prometheus::MetricType type) {
    for (auto& f : out_)
      if (f.name == name) return f;
    out_.push_back({std::move(name), std::move(help), type, {}});
    return out_.back();
  }
  // Series added from now on belong to this device group: its protocol and auth mode (a
  // group may have its own) and the `group` label. Cardinality: one series per group.
  void set_group(std::string_view group, std::string_view protocol, std::string_view auth_mode) {
    group_ = base_;
    for (auto& l : group_) {
      if (l.name == "protocol") l.value = std::string(protocol);
      if (l.name == "auth_mode") l.value = std::string(auth_mode);
    }
    group_.push_back({"group", std::string(group)});
    in_group_ = true;
  }
  void end_group() { in_group_ = false; }
  void counter(const std::string& name, const std::string& help, double v) {
    add_counter(family(name, help, prometheus::MetricType::Counter), v, {});
  }
  void gauge(const std::string& name, const std::string& help, double v) {
    add_gauge(family(name, help, prometheus::MetricType::Gauge), v, {});
  }
  void add_counter(prometheus::MetricFamily& f, double v, const Labels& extra) {
    auto& m = add(f, extra);
    m.counter.value = v;
  }
  void add_gauge(prometheus::MetricFamily& f, double v, const Labels& extra) {
    auto& m = add(f, extra);
    m.gauge.value = v;
  }
  // Log-linear ns buckets folded into the fixed second bounds: a source bucket counts
  // under a bound when its highest value is within it (bucket width <= 0.8 %).
  void add_histogram(prometheus::MetricFamily& f, const device::HistogramSnapshot& h, const Labels& extra) {
    auto& m = add(f, extra);
    const auto& bounds = histogram_bounds_seconds();
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = static_cast<double>(h.sum) / kNsPerSecond;
    m.histogram.bucket.reserve(bounds.size() + 1);
    std::size_t i = 0;
    std::uint64_t cumulative = 0;
    for (double b : bounds) {
      const double bound_ns = b * kNsPerSecond;
      while (i < h.counts.size() && static_cast<double>(device::hist::bucket_highest(i)) <= bound_ns) cumulative += h.counts[i++];
      m.histogram.bucket.push_back({cumulative, b});
    }
    m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
  }
  void histogram(const std::string& name, const std::string& help, const device::HistogramSnapshot& h) {
    add_histogram(family(name, help, prometheus::MetricType::Histogram), h, {});
  }

  std::vector<prometheus::MetricFamily> take() {
    return {std::make_move_iterator(out_.begin()), std::make_move_iterator(out_.end())};
  }

 private:
  prometheus::ClientMetric& add(prometheus::MetricFamily& f, const Labels& extra) {
    f.metric.emplace_back();
    auto& m = f.metric.back();
    m.label = in_group_ ? group_ : base_;
    m.label.insert(m.label.end(), extra.begin(), extra.end());
    return m;
  }

  Labels base_;
  Labels group_;
  bool in_group_ = false;
  // A deque: family() hands out references that callers keep while adding more families
  // (connect failures and drops are filled together); a vector would move them on growth.
  std::deque<prometheus::MetricFamily> out_;
};

constexpr std::array<const char*, 3> kQos{"0", "1", "2"};

void add_counters(Builder& b, const device::StatsSnapshot& s) {
  // Counters with a by-reason split are exported only split (sum by () gives the total).
#define FLEETLOAD_X(name, help)                                                   \
  if (std::string_view(#name) != "connect_failures" && std::string_view(#name) != "drops") \
    b.counter("fleetload_" #name "_total", help, static_cast<double>(s.name));
  FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help)                                                           \
  {                                                                                       \
    auto& f = b.family("fleetload_" #name "_total", help " (by qos)", prometheus::MetricType::Counter); \
    for (std::size_t q = 0; q < 3; ++q) b.add_counter(f, static_cast<double>(s.name[q]), {{"qos", kQos[q]}}); \
  }
  FLEETLOAD_DEVICE_QOS_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
  auto& failed_qos = b.family("fleetload_publishes_failed_total",
                              "publishes that ended neither acknowledged nor timed out (by qos)",
                              prometheus::MetricType::Counter);
  for (std::size_t q = 0; q < 3; ++q)
    b.add_counter(failed_qos, static_cast<double>(s.publishes_failed_by_qos[q]), {{"qos", kQos[q]}});
  auto& failed_reason = b.family("fleetload_publish_failures_total",
                                 "publishes that ended neither acknowledged nor timed out (by reason)",
                                 prometheus::MetricType::Counter);
  for (std::size_t r = 0; r < device::kPublishFailReasonCount; ++r)
    b.add_counter(failed_reason, static_cast<double>(s.publishes_failed[r]),
                  {{"reason", device::to_string(static_cast<device::PublishFailReason>(r))}});
  // Reason None is never a failure: leave it out.
  auto& cf = b.family("fleetload_connect_failures_total",
                      "connect attempts that did not end in an accepting CONNACK (by reason)",
                      prometheus::MetricType::Counter);
  auto& dr = b.family("fleetload_drops_total",
                      "established MQTT connections lost, any reason but a clean stop (by reason)",
                      prometheus::MetricType::Counter);
  for (std::size_t r = 1; r < device::kDropReasonCount; ++r) {
    const Labels l{{"reason", device::to_string(static_cast<device::DropReason>(r))}};
    b.add_counter(cf, static_cast<double>(s.connect_failed_by_reason[r]), l);
    b.add_counter(dr, static_cast<double>(s.drops_by_reason[r]), l);
  }
}

// Code families carry only the codes seen, so they stay a handful of series.
void add_codes(Builder& b, const device::StatsSnapshot& s, mqtt::Version v) {
  auto codes = [&](const char* name, const char* help, const std::array<std::uint64_t, 256>& a, bool connack) {
    auto& f = b.family(name, help, prometheus::MetricType::Counter);
    for (std::size_t c = 0; c < a.size(); ++c) {
      if (a[c] == 0) continue;
      const auto code = static_cast<std::uint8_t>(c);
      const char* n = connack ? device::connack_code_name(v, code) : mqtt::to_string(static_cast<mqtt::ReasonCode>(code));
      b.add_counter(f, static_cast<double>(a[c]), {{"code", std::to_string(c)}, {"code_name", n}});
    }
  };
  codes("fleetload_connack_codes_total", "CONNACKs received (by return / reason code)", s.connack_codes, true);
  codes("fleetload_server_disconnect_codes_total", "DISCONNECTs from the server (MQTT 5, by reason code)",
        s.server_disconnect_codes, false);
  codes("fleetload_suback_codes_total", "topic filters answered in SUBACKs (by reason code)", s.suback_codes, false);
  codes("fleetload_puback_codes_total", "PUBACK/PUBREC failure reason codes (MQTT 5)", s.puback_codes, false);
  auto& grants = b.family("fleetload_suback_grants_total",
                          "topic filters answered in SUBACKs, by scenario filter index, requested QoS and "
                          "granted QoS (\"refused\" for a failure code)",
                          prometheus::MetricType::Counter);
  for (std::size_t i = 0; i < s.suback_grants.size(); ++i) {
    if (s.suback_grants[i] == 0) continue;
    const auto g = device::suback_grant_of(i);
    b.add_counter(grants, static_cast<double>(s.suback_grants[i]),
                  {{"filter", std::to_string(g.filter)},
                   {"requested_qos", std::to_string(g.requested)},
                   {"granted_qos", g.granted == 3 ? std::string("refused") : std::to_string(g.granted)}});
  }
}

// A table of op * outcomes request counts as series {op, outcome}, only those seen.
template <class Op, class Outcome, std::size_t kOutcomes, std::size_t N>
void add_op_outcomes(Builder& b, prometheus::MetricFamily& f, const std::array<std::uint64_t, N>& counts) {
  for (std::size_t op = 0; op < N / kOutcomes; ++op)
    for (std::size_t o = 0; o < kOutcomes; ++o) {
      const auto n = counts[op * kOutcomes + o];
      if (n == 0) continue;
      b.add_counter(f, static_cast<double>(n),
                    {{"op", device::to_string(static_cast<Op>(op))}, {"outcome", device::to_string(static_cast<Outcome>(o))}});
    }
}

void add_histograms(Builder& b, const device::StatsSnapshot& s) {
  auto& stage = b.family("fleetload_connect_stage_duration_seconds",
                         "connect duration by stage: tcp connect, tls handshake, websocket upgrade, "
                         "CONNECT sent to accepting CONNACK",
                         prometheus::MetricType::Histogram);
  b.add_histogram(stage, s.tcp_connect, {{"stage", "tcp"}});
  b.add_histogram(stage, s.tls_handshake, {{"stage", "tls"}});
  b.add_histogram(stage, s.websocket_handshake, {{"stage", "websocket"}});
  b.add_histogram(stage, s.connect_duration, {{"stage", "connack"}});
  b.histogram("fleetload_time_to_connect_seconds", "transport open requested to accepting CONNACK",
              s.time_to_connect);
  b.histogram("fleetload_reconnect_delay_seconds", "backoff delay chosen before a reconnect", s.reconnect_delay);
  b.histogram("fleetload_ack_latency_seconds", "PUBLISH to PUBACK (QoS 1) or PUBCOMP (QoS 2)", s.ack_latency);
  b.histogram("fleetload_e2e_latency_seconds", "publisher send time to subscriber receive time", s.e2e_latency);
  b.histogram("fleetload_ping_rtt_seconds", "PINGREQ to PINGRESP", s.ping_rtt);
  b.histogram("fleetload_subscribe_latency_seconds", "SUBSCRIBE to SUBACK", s.subscribe_latency);
  if (s.shadow_get_latency.count + s.shadow_update_latency.count > 0) {
    auto& sh = b.family("fleetload_shadow_latency_seconds",
                        "Device Shadow request to its accepted/rejected answer (by operation)",
                        prometheus::MetricType::Histogram);
    b.add_histogram(sh, s.shadow_get_latency, {{"op", "get"}});
    b.add_histogram(sh, s.shadow_update_latency, {{"op", "update"}});
  }
}

// AWS IoT Jobs: requests by operation and outcome and executions by how they ended (only
// those seen, so a fleet without jobs exports none), the latencies once anything was timed.
void add_jobs(Builder& b, const device::StatsSnapshot& s) {
  auto& f = b.family("fleetload_job_requests_total",
                     "AWS IoT Jobs requests by operation (start_next, update) and outcome (accepted, "
                     "rejected_<code>, timed_out)",
                     prometheus::MetricType::Counter);
  add_op_outcomes<device::JobOp, device::JobOutcome, device::kJobOutcomeCount>(b, f, s.job_requests);
  auto& e = b.family("fleetload_job_executions_total",
                     "job executions the devices started, by how they ended (succeeded, failed, rejected, timed_out)",
                     prometheus::MetricType::Counter);
  for (std::size_t k = 0; k < device::kJobEndCount; ++k) {
    if (s.job_executions[k] == 0) continue;
    b.add_counter(e, static_cast<double>(s.job_executions[k]),
                  {{"result", device::to_string(static_cast<device::JobEnd>(k))}});
  }
  if (s.job_start_next_latency.count + s.job_update_latency.count == 0) return;
  auto& lat = b.family("fleetload_job_request_latency_seconds",
                       "AWS IoT Jobs request to its accepted/rejected answer (by operation)",
                       prometheus::MetricType::Histogram);
  b.add_histogram(lat, s.job_start_next_latency, {{"op", "start_next"}});
  b.add_histogram(lat, s.job_update_latency, {{"op", "update"}});
  b.histogram("fleetload_job_time_to_start_seconds",
              "job announced (notify-next, or the start-next at connect) to start-next accepted", s.job_time_to_start);
  b.histogram("fleetload_job_duration_seconds",
              "job announced (notify-next, or the start-next at connect) to its final update accepted", s.job_duration);
}
// ---- Fleet Provisioning by claim: requests by operation and outcome, rejections by
// errorCode, latencies; only what was seen, so a fleet that does not provision exports none.
void add_provisioning(Builder& b, const device::StatsSnapshot& s) {
  auto& f = b.family("fleetload_provisioning_operations_total",
                     "Fleet Provisioning requests by operation (create_certificate, register_thing) and outcome "
                     "(accepted, rejected_<statusCode>, timed_out)",
                     prometheus::MetricType::Counter);
  add_op_outcomes<device::ProvisioningOp, device::ProvisioningOutcome, device::kProvisioningOutcomeCount>(
      b, f, s.provisioning_ops);
  auto& e = b.family("fleetload_provisioning_rejections_total",
                     "Fleet Provisioning requests rejected, by the answer's errorCode", prometheus::MetricType::Counter);
  for (std::size_t k = 0; k < device::kProvisioningErrorCodeCount; ++k)
    if (s.provisioning_errors[k] > 0)
      b.add_counter(e, static_cast<double>(s.provisioning_errors[k]),
                    {{"error_code", device::to_string(static_cast<device::ProvisioningErrorCode>(k))}});
  if (s.provisioning_create_latency.count + s.provisioning_register_latency.count > 0) {
    auto& h = b.family("fleetload_provisioning_request_latency_seconds",
                       "Fleet Provisioning request to its accepted/rejected answer (by operation)",
                       prometheus::MetricType::Histogram);
    b.add_histogram(h, s.provisioning_create_latency, {{"op", "create_certificate"}});
    b.add_histogram(h, s.provisioning_register_latency, {{"op", "register_thing"}});
  }
  if (s.provisioning_latency.count > 0)
    b.histogram("fleetload_provisioning_latency_seconds",
                "first claim connect attempt to connected with the provisioned identity", s.provisioning_latency);
}
// ---- end Fleet Provisioning ----

// Device Shadow requests by operation and outcome; only outcomes seen, so a fleet without a
// shadow exports none.
void add_shadow(Builder& b, const device::StatsSnapshot& s) {
  auto& f = b.family("fleetload_shadow_operations_total",
                     "Device Shadow requests by operation (get, update) and outcome (accepted, "
                     "rejected_<code>, timed_out)",
                     prometheus::MetricType::Counter);
  add_op_outcomes<device::ShadowOp, device::ShadowOutcome, device::kShadowOutcomeCount>(b, f, s.shadow_ops);
}

// Per publish stream (label `stream`, one of the scenario's at most 16 names) and event:
// sent, acked, failed, received, lost, duplicated, out_of_order, not_yet_delivered. Only
// events that happened, so a fleet that publishes nothing exports none.
void add_streams(Builder& b, const device::StatsSnapshot& s, const std::vector<std::string>& names) {
  auto& f = b.family("fleetload_stream_messages_total",
                     "messages per publish stream (stream) and event (sent, acked, failed, received, lost, "
                     "duplicated, out_of_order, not_yet_delivered)",
                     prometheus::MetricType::Counter);
  for (std::size_t id = 0; id < names.size(); ++id)
    for (std::size_t k = 0; k < device::kStreamCountKinds; ++k) {
      const auto kind = static_cast<device::StreamCount>(k);
      const auto n = s.stream_count(static_cast<std::uint32_t>(id), kind);
      if (n == 0) continue;
      b.add_counter(f, static_cast<double>(n), {{"stream", names[id]}, {"event", device::to_string(kind)}});
    }
}

// Each scenario threshold as three gauges (and whether it had anything to measure), so a
// dashboard shows limit, value and verdict per threshold. Labels: the threshold's metric, its
// comparison and its rule as written (one series per threshold: a handful).
void add_thresholds(Builder& b, const std::vector<ThresholdResult>& thresholds) {
  if (thresholds.empty()) return;
  auto& limit = b.family("fleetload_threshold_limit", "the threshold's limit, in its unit (seconds, ratio, count)",
                         prometheus::MetricType::Gauge);
  auto& value = b.family("fleetload_threshold_value",
                         "the threshold's measured value so far, in its unit (absent while nothing was measured)",
                         prometheus::MetricType::Gauge);
  auto& passed = b.family("fleetload_threshold_passed", "1 when the threshold holds on the figures so far, else 0",
                          prometheus::MetricType::Gauge);
  auto& measured = b.family("fleetload_threshold_measured", "1 once the threshold's figure has samples, else 0",
                            prometheus::MetricType::Gauge);
  for (const auto& t : thresholds) {
    const Labels l{{"threshold", t.metric}, {"op", t.op}, {"unit", t.unit}, {"rule", t.text}};
    b.add_gauge(limit, t.limit, l);
    if (t.measured) b.add_gauge(value, t.value, l);
    b.add_gauge(passed, t.passed ? 1.0 : 0.0, l);
    b.add_gauge(measured, t.measured ? 1.0 : 0.0, l);
  }
}

}  // namespace

const std::vector<double>& histogram_bounds_seconds() {
  // 100 us to 5 min in 1-2.5-5 steps: loopback acks land in the first buckets, broker
  // trouble and reconnect backoff in the last ones.
  static const std::vector<double> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0, 30.0,  60.0,
                                          120.0,  300.0};
  return bounds;
}

// The families every device group has, one series per group.
void add_group(Builder& b, const ExportGroup& g, mqtt::Version protocol, const std::vector<std::string>& streams) {
  const auto& s = g.total;
  b.set_group(g.name, g.protocol, g.auth_mode);
  b.gauge("fleetload_devices_target", "devices this shard runs", static_cast<double>(g.target));
  b.gauge("fleetload_devices_connected", "devices with an accepted MQTT connection", static_cast<double>(g.connected));
  b.gauge("fleetload_devices_connecting", "devices opening a transport or waiting for CONNACK",
          static_cast<double>(s.connecting));
  b.gauge("fleetload_devices_backing_off", "devices waiting for their reconnect delay",
          static_cast<double>(s.backing_off));
  b.gauge("fleetload_publishes_in_flight", "QoS 1/2 publishes sent and not yet acknowledged",
          static_cast<double>(s.in_flight));
  b.gauge("fleetload_publishes_offline_queued", "publishes queued while disconnected",
          static_cast<double>(s.offline_queued));
  b.gauge("fleetload_shadow_in_flight", "Device Shadow requests sent and not yet answered or timed out",
          static_cast<double>(s.shadow_in_flight));
  b.gauge("fleetload_provisioning_in_flight", "Fleet Provisioning requests sent and not yet answered or timed out",
          static_cast<double>(s.provisioning_in_flight));
  add_counters(b, s);
  add_codes(b, s, g.protocol == "mqtt5" ? mqtt::Version::V5 : protocol);
  add_histograms(b, s);
  add_shadow(b, s);
  b.gauge("fleetload_job_requests_in_flight", "AWS IoT Jobs requests sent and not yet answered or timed out",
          static_cast<double>(s.job_requests_in_flight));
  b.gauge("fleetload_job_executions_in_progress", "job executions started and not yet ended",
          static_cast<double>(s.job_executions_in_progress));
  add_jobs(b, s);
  add_provisioning(b, s);
  add_streams(b, s, streams);
  b.end_group();
}

std::vector<prometheus::MetricFamily> build_families(const ExportState& st, const ExporterOptions& o) {
  Builder b(o.labels);
  if (st.groups.empty()) {
    add_group(b, {std::string(scenario::kDefaultGroup), o.labels.protocol, o.labels.auth_mode, st.target, st.connected,
                  st.total},
              o.protocol, o.streams);
  } else {
    for (const auto& g : st.groups) add_group(b, g, o.protocol, o.streams);
  }
  b.gauge("fleetload_publish_rate_target", "publishes per second this shard should send in steady phases",
          o.target_publish_rate);
  b.gauge("fleetload_publish_rate_achieved", "publishes per second sent over the last progress interval",
          st.achieved_publish_rate);
  b.gauge("fleetload_run_elapsed_seconds", "time since the run started", st.elapsed_s);
  b.gauge("fleetload_run_finished", "1 once the run has ended and the values are final", st.finished ? 1.0 : 0.0);
  b.gauge("fleetload_shards", "shards the fleet is split into (N of --shard K/N)", o.shard_count);
  auto& phase = b.family("fleetload_phase_info", "the phase running now (value 1)", prometheus::MetricType::Gauge);
  b.add_gauge(phase, 1.0, {{"phase", st.phase.empty() ? std::string("none") : st.phase}});
  // A capacity search, live: the value the running step applies (connects/s, msgs/s or
  // devices) and whether the last judged step passed.
  if (st.search_step_value)
    b.gauge("fleetload_search_step_value", "the capacity search's running step: the value it applies",
            *st.search_step_value);
  if (st.search_step_passed)
    b.gauge("fleetload_search_step_passed", "the capacity search's last judged step: 1 passed, 0 did not",
            *st.search_step_passed ? 1.0 : 0.0);
  if (st.finished) {
    auto& ex = b.family("fleetload_run_exit_info", "how the run ended (value 1)", prometheus::MetricType::Gauge);
    b.add_gauge(ex, 1.0, {{"result", st.exit_reason}});
  }
  if (st.finished && st.verdict) {
    // One series per verdict, 1 for the run's and 0 for the others, so an alert can match
    // fleetload_verdict{verdict="pass"} == 1 without knowing the other values.
    auto& v = b.family("fleetload_verdict", "the run's verdict: 1 for pass, fail or inconclusive (set at the end)",
                       prometheus::MetricType::Gauge);
    for (auto x : {Verdict::Pass, Verdict::Fail, Verdict::Inconclusive})
      b.add_gauge(v, *st.verdict == x ? 1.0 : 0.0, {{"verdict", to_string(x)}});
  }
  b.counter("fleetload_local_limit_errors_total", "errors from local limits (descriptors, ephemeral ports)",
            static_cast<double>(st.local_limit_errors));
  b.counter("fleetload_local_errors_total", "local faults (identity not loadable, CONNECT not encodable)",
            static_cast<double>(st.local_errors));
  b.counter("fleetload_broker_errors_total", "errors caused by the broker (refusals, timeouts, resets, EOF)",
            static_cast<double>(st.broker_errors));
  // Connect attempts by result and reason (few series: only the causes seen).
  auto& results = b.family("fleetload_connect_results_total",
                           "connect attempts by result (accepted, tls_failed, identity_failed, websocket_failed, "
                           "connack_refused) and reason",
                           prometheus::MetricType::Counter);
  b.add_counter(results, static_cast<double>(st.total.connects_ok), {{"result", "accepted"}, {"reason", "success"}});
  for (const auto& c : st.connect_failures) {
    if (c.endpoint.empty()) {
      b.add_counter(results, static_cast<double>(c.count), {{"result", c.result}, {"reason", c.reason}});
    } else {  // tcp/dns failures, per endpoint of the scenario's (bounded) list
      b.add_counter(results, static_cast<double>(c.count),
                    {{"result", c.result}, {"reason", c.reason}, {"endpoint", c.endpoint}});
    }
  }
  add_thresholds(b, st.thresholds);
  return b.take();
}

}  // namespace fleetload::metrics
