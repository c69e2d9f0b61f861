// JSON report -> RunReport. Derived figures (percentiles, means) are not read: the writer
// recomputes them from the buckets, so write(read(x)) reproduces x.
#include "metrics/report_read.hpp"

#include "metrics/report_share.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

namespace fleetload::metrics {

namespace json = boost::json;

namespace {

// Walks the document with the path of the current field, so every error names it.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw ReportReadError(source_ + ": " + path + ": " + what);
  }

  const json::object& obj(const json::value& v, const std::string& path) const {
    if (!v.is_object()) fail(path, "expected an object");
    return v.get_object();
  }
  const json::array& arr(const json::value& v, const std::string& path) const {
    if (!v.is_array()) fail(path, "expected an array");
    return v.get_array();
  }
  const json::value& at(const json::object& o, std::string_view key, const std::string& path) const {
    const auto* v = o.if_contains(key);
    if (!v) fail(path.empty() ? std::string(key) : path + "." + std::string(key), "missing");
    return *v;
  }
  static std::string sub(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  static std::string idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

  std::uint64_t u64(const json::value& v, const std::string& path) const {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    fail(path, "expected a whole number >= 0");
  }
  std::int64_t i64(const json::value& v, const std::string& path) const {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
    fail(path, "expected a whole number");
  }
  double f64(const json::value& v, const std::string& path) const {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    fail(path, "expected a number");
  }
  std::string str(const json::value& v, const std::string& path) const {
    if (!v.is_string()) fail(path, "expected a string");
    return std::string(v.get_string());
  }
  bool boolean(const json::value& v, const std::string& path) const {
    if (!v.is_bool()) fail(path, "expected true or false");
    return v.get_bool();
  }

  std::uint64_t u64(const json::object& o, std::string_view k, const std::string& p) const { return u64(at(o, k, p), sub(p, k)); }
  std::int64_t i64(const json::object& o, std::string_view k, const std::string& p) const { return i64(at(o, k, p), sub(p, k)); }
  double f64(const json::object& o, std::string_view k, const std::string& p) const { return f64(at(o, k, p), sub(p, k)); }
  std::string str(const json::object& o, std::string_view k, const std::string& p) const { return str(at(o, k, p), sub(p, k)); }
  bool boolean(const json::object& o, std::string_view k, const std::string& p) const { return boolean(at(o, k, p), sub(p, k)); }
  const json::object& obj(const json::object& o, std::string_view k, const std::string& p) const { return obj(at(o, k, p), sub(p, k)); }
  const json::array& arr(const json::object& o, std::string_view k, const std::string& p) const { return arr(at(o, k, p), sub(p, k)); }

  // ms figures are written from integer ns; they round back exactly.
  std::uint64_t ns_of_ms(const json::object& o, std::string_view k, const std::string& p) const {
    const double ms = f64(o, k, p);
    if (!(ms >= 0) || !std::isfinite(ms)) fail(sub(p, k), "expected milliseconds >= 0");
    return static_cast<std::uint64_t>(std::llround(ms * 1e6));
  }

  // A histogram object with `buckets` as [lowest_ns, highest_ns, count] triples (totals and
  // phases) or flat [lowest_ns, count, ...] pairs (series).
  device::HistogramSnapshot histogram(const json::object& o, const std::string& p, bool flat) const {
    device::HistogramSnapshot h;
    const std::uint64_t count = u64(o, "count", p);
    if (count == 0) return h;
    h.counts.assign(device::hist::kBuckets, 0);
    const auto& b = arr(o, "buckets", p);
    const std::string bp = sub(p, "buckets");
    std::uint64_t seen = 0;
    auto add = [&](std::uint64_t lo, std::optional<std::uint64_t> hi, std::uint64_t n, const std::string& ep) {
      const std::size_t i = device::hist::bucket_index(lo);
      if (device::hist::bucket_lowest(i) != lo || (hi && device::hist::bucket_highest(i) != *hi))
        fail(ep, "not a bucket of fleetload's histogram layout (lowest " + std::to_string(lo) + " ns)");
      h.counts[i] += n;
      seen += n;
    };
    if (flat) {
      if (b.size() % 2) fail(bp, "expected pairs lowest_ns, count");
      for (std::size_t i = 0; i < b.size(); i += 2) add(u64(b[i], idx(bp, i)), std::nullopt, u64(b[i + 1], idx(bp, i + 1)), idx(bp, i));
    } else {
      for (std::size_t i = 0; i < b.size(); ++i) {
        const auto& t = arr(b[i], idx(bp, i));
        if (t.size() != 3) fail(idx(bp, i), "expected [lowest_ns, highest_ns, count]");
        add(u64(t[0], idx(bp, i)), u64(t[1], idx(bp, i)), u64(t[2], idx(bp, i)), idx(bp, i));
      }
    }
    if (seen != count) fail(bp, "bucket counts add up to " + std::to_string(seen) + ", not count " + std::to_string(count));
    h.count = count;
    h.sum = u64(o, "sum_ns", p);
    h.min = ns_of_ms(o, "min_ms", p);
    h.max = ns_of_ms(o, "max_ms", p);
    return h;
  }

  template <std::size_t N, class Name>
  void by_name(const json::object& o, const std::string& p, std::array<std::uint64_t, N>& out, std::size_t first,
               Name&& name) const {
    for (std::size_t i = first; i < N; ++i) out[i] = u64(o, name(i), p);
  }

  void code_table(const json::array& a, const std::string& p, std::array<std::uint64_t, 256>& out) const {
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto& e = obj(a[i], idx(p, i));
      const std::uint64_t code = u64(e, "code", idx(p, i));
      if (code > 255) fail(sub(idx(p, i), "code"), "expected 0..255");
      out[code] = u64(e, "count", idx(p, i));
    }
  }

  // {op: {outcome: count}} into a table of op * outcomes counts (shadow and jobs requests).
  template <class Op, class Outcome, std::size_t kOutcomes, std::size_t N>
  void by_op_and_outcome(const json::object& o, std::string_view key, const std::string& p,
                         std::array<std::uint64_t, N>& out) const {
    const json::object& t = obj(o, key, p);
    const std::string tp = sub(p, key);
    for (std::size_t op = 0; op < N / kOutcomes; ++op) {
      const char* opn = device::to_string(static_cast<Op>(op));
      const json::object& by = obj(t, opn, tp);
      for (std::size_t k = 0; k < kOutcomes; ++k)
        out[op * kOutcomes + k] = u64(by, device::to_string(static_cast<Outcome>(k)), sub(tp, opn));
    }
  }

  void stats(const json::object& o, const std::string& p, device::StatsSnapshot& s) const {
    const auto& c = obj(o, "counters", p);
    const std::string cp = sub(p, "counters");
#define FLEETLOAD_X(name, help) s.name = u64(c, #name, cp);
    FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
    const auto& q = obj(o, "counters_by_qos", p);
    const std::string qp = sub(p, "counters_by_qos");
    auto qos3 = [&](std::string_view k, std::array<std::uint64_t, 3>& out) {
      const auto& a = arr(q, k, qp);
      if (a.size() != 3) fail(sub(qp, k), "expected [qos0, qos1, qos2]");
      for (std::size_t i = 0; i < 3; ++i) out[i] = u64(a[i], idx(sub(qp, k), i));
    };
#define FLEETLOAD_X(name, help) qos3(#name, s.name);
    FLEETLOAD_DEVICE_QOS_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
    qos3("publishes_failed", s.publishes_failed_by_qos);
    const auto& g = obj(o, "gauges", p);
    const std::string gp = sub(p, "gauges");
#define FLEETLOAD_X(name, help) s.name = i64(g, #name, gp);
    FLEETLOAD_DEVICE_GAUGES(FLEETLOAD_X)
#undef FLEETLOAD_X
    const auto& h = obj(o, "histograms", p);
    const std::string hp = sub(p, "histograms");
#define FLEETLOAD_X(name, help) s.name = histogram(obj(h, #name, hp), sub(hp, #name), false);
    FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X
    auto drop_name = [](std::size_t i) { return device::to_string(static_cast<device::DropReason>(i)); };
    by_name(obj(o, "connect_failed_by_reason", p), sub(p, "connect_failed_by_reason"), s.connect_failed_by_reason, 1, drop_name);
    by_name(obj(o, "drops_by_reason", p), sub(p, "drops_by_reason"), s.drops_by_reason, 1, drop_name);
    by_name(obj(o, "publishes_failed_by_reason", p), sub(p, "publishes_failed_by_reason"), s.publishes_failed, 0,
            [](std::size_t i) { return device::to_string(static_cast<device::PublishFailReason>(i)); });
    code_table(arr(o, "connack_codes", p), sub(p, "connack_codes"), s.connack_codes);
    code_table(arr(o, "server_disconnect_codes", p), sub(p, "server_disconnect_codes"), s.server_disconnect_codes);
    code_table(arr(o, "suback_codes", p), sub(p, "suback_codes"), s.suback_codes);
    // Reports from before SUBACK grants were counted have none.
    if (o.contains("suback_grants")) code_table(arr(o, "suback_grants", p), sub(p, "suback_grants"), s.suback_grants);
    code_table(arr(o, "puback_codes", p), sub(p, "puback_codes"), s.puback_codes);
    // Reports from before Device Shadow behaviours have none.
    if (o.contains("shadow_operations"))
      by_op_and_outcome<device::ShadowOp, device::ShadowOutcome, device::kShadowOutcomeCount>(o, "shadow_operations", p,
                                                                                                s.shadow_ops);
    // Reports from before Jobs behaviours have none.
    if (o.contains("job_requests")) {
      by_op_and_outcome<device::JobOp, device::JobOutcome, device::kJobOutcomeCount>(o, "job_requests", p, s.job_requests);
      by_name(obj(o, "job_executions", p), sub(p, "job_executions"), s.job_executions, 0,
              [](std::size_t k) { return device::to_string(static_cast<device::JobEnd>(k)); });
    }
    // ---- Fleet Provisioning by claim (reports from before it have none) ----
    if (o.contains("provisioning_operations")) {
      const json::object& pv = obj(o, "provisioning_operations", p);
      const std::string pp = sub(p, "provisioning_operations");
      for (std::size_t op = 0; op < device::kProvisioningOpCount; ++op) {
        const char* opn = device::to_string(static_cast<device::ProvisioningOp>(op));
        const json::object& by = obj(pv, opn, pp);
        for (std::size_t k = 0; k < device::kProvisioningOutcomeCount; ++k)
          s.provisioning_ops[op * device::kProvisioningOutcomeCount + k] =
              u64(by, device::to_string(static_cast<device::ProvisioningOutcome>(k)), sub(pp, opn));
      }
      const json::object& pe = obj(o, "provisioning_errors", p);
      for (std::size_t k = 0; k < device::kProvisioningErrorCodeCount; ++k)
        s.provisioning_errors[k] =
            u64(pe, device::to_string(static_cast<device::ProvisioningErrorCode>(k)), sub(p, "provisioning_errors"));
    }
    // ---- end Fleet Provisioning ----
    // Reports from before publish streams have none.
    if (o.contains("stream_counts")) {
      const json::array& a = arr(o, "stream_counts", p);
      const std::string sp = sub(p, "stream_counts");
      if (a.size() > device::kMaxStreams) fail(sp, "more than " + std::to_string(device::kMaxStreams) + " streams");
      for (std::size_t id = 0; id < a.size(); ++id) {
        const json::object& c = obj(a[id], idx(sp, id));
        for (std::size_t k = 0; k < device::kStreamCountKinds; ++k) {
          const auto kind = static_cast<device::StreamCount>(k);
          s.stream_counts[device::stream_index(static_cast<std::uint32_t>(id), kind)] =
              u64(c, device::to_string(kind), idx(sp, id));
        }
      }
    }
  }

  RateFigure rate(const json::object& o, const std::string& p) const {
    return RateFigure{f64(o, "requested_per_s", p), f64(o, "achieved_per_s", p), f64(o, "error_percent", p)};
  }

  SparseHistogram interval(const json::object& o, const std::string& p) const {
    return SparseHistogram::of(histogram(o, p, true));
  }

  // "pass", "fail" or "inconclusive".
  Verdict verdict_of(const json::value& v, const std::string& path) const {
    const std::string text = str(v, path);
    const auto parsed = verdict_from_string(text);
    if (!parsed) fail(path, "expected \"pass\", \"fail\" or \"inconclusive\", got \"" + text + "\"");
    return *parsed;
  }

  // The capacity search (report merge judges shards' steps from it): its configuration,
  // every step with its criteria, and (sharded runs) each step's window figures.
  SearchReport search(const json::object& o, const std::string& p) const;

  RunReport report(const json::object& root) const;

 private:
  std::string source_;
};

RunReport Reader::report(const json::object& root) const {
  RunReport r;
  r.fleetload_version = str(root, "fleetload_version", "");
  r.started_at_utc = str(root, "started_at", "");
  if (root.contains("started_at_unix_ms")) r.started_at_unix_ms = i64(root, "started_at_unix_ms", "");
  const auto& sc = obj(root, "scenario", "");
  r.scenario_name = str(sc, "name", "scenario");
  r.scenario_source = str(sc, "source", "scenario");
  r.scenario_yaml = str(sc, "resolved_yaml", "scenario");
  const std::string proto = str(root, "protocol", "");
  if (proto == "mqtt5") r.protocol = mqtt::Version::V5;
  else if (proto == "mqtt311") r.protocol = mqtt::Version::V311;
  else fail("protocol", "expected \"mqtt311\" or \"mqtt5\", got \"" + proto + "\"");
  const auto& sh = obj(root, "shard", "");
  const std::uint64_t k = u64(sh, "k", "shard"), n = u64(sh, "n", "shard");
  if (n == 0 || k >= n || n > UINT32_MAX) fail("shard", "expected 0 <= k < n");
  r.shard_k = static_cast<std::uint32_t>(k);
  r.shard_n = static_cast<std::uint32_t>(n);
  if (const auto* m = sh.if_contains("merged")) {
    const auto& a = arr(*m, "shard.merged");
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::uint64_t x = u64(a[i], idx("shard.merged", i));
      if (x >= n) fail(idx("shard.merged", i), "shard index not below n");
      r.merged_shards.push_back(static_cast<std::uint32_t>(x));
    }
  }

  const auto& run = obj(root, "run", "");
  r.exit_reason = str(run, "exit_reason", "run");
  r.failure = str(run, "failure", "run");
  r.devices = u64(run, "devices", "run");
  const std::uint64_t threads = u64(run, "threads", "run");
  r.threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, UINT32_MAX));
  r.peak_connected = u64(run, "peak_connected", "run");
  // Run id and drain: absent from reports written before them.
  if (run.contains("run_id")) r.run_id = str(run, "run_id", "run");
  if (run.contains("run_id_source")) r.run_id_source = str(run, "run_id_source", "run");
  if (run.contains("drain_s")) r.drain_s = f64(run, "drain_s", "run");
  if (run.contains("drain_timed_out")) r.drain_timed_out = boolean(run, "drain_timed_out", "run");
  if (run.contains("delivery_rate_at_stop"))
    r.delivery_rate_at_stop = f64(run, "delivery_rate_at_stop", "run");
  r.connected_at_end = i64(run, "connected_at_end", "run");
  const auto& tta = at(run, "time_to_all_connected_s", "run");
  if (!tta.is_null()) r.time_to_all_connected_s = f64(tta, "run.time_to_all_connected_s");

  stats(obj(root, "totals", ""), "totals", r.stats);
  r.publish_rate = rate(obj(root, "publish_rate", ""), "publish_rate");

  auto read_books = [&](const json::array& books, const std::string& base, std::vector<MessageBooks>& into) {
    for (std::size_t i = 0; i < books.size(); ++i) {
      const std::string p = idx(base, i);
      const auto& b = obj(books[i], p);
      MessageBooks m;
      m.qos = static_cast<unsigned>(std::min<std::uint64_t>(u64(b, "qos", p), 2));
      m.requests = u64(b, "requests", p);
      m.acked = u64(b, "acked", p);
      m.timed_out = u64(b, "timed_out", p);
      m.failed = u64(b, "failed", p);
      m.pending = u64(b, "pending_at_end", p);
      m.balanced = boolean(b, "balanced", p);
      into.push_back(m);
    }
  };
  read_books(arr(root, "message_books", ""), "message_books", r.books);
  const auto& err = obj(root, "errors", "");
  r.local_limit_errors = u64(err, "local_limit", "errors");
  if (err.contains("local")) r.local_errors = u64(err, "local", "errors");
  r.broker_errors = u64(err, "broker", "errors");
  if (const auto* cf = err.if_contains("connect_failures")) {
    const auto& a = arr(*cf, "errors.connect_failures");
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string p = idx("errors.connect_failures", i);
      const auto& o = obj(a[i], p);
      r.connect_failures.push_back({str(o, "result", p), str(o, "reason", p), u64(o, "count", p),
                                    o.contains("endpoint") ? str(o, "endpoint", p) : std::string()});
    }
  }
  if (const auto* ie = err.if_contains("identity_error")) r.tls_identity_error = str(*ie, "errors.identity_error");
  if (const auto* we = err.if_contains("websocket_error")) r.websocket_error = str(*we, "errors.websocket_error");

  if (const auto* t = root.if_contains("tls")) {
    const auto& o = obj(*t, "tls");
    r.tls.handshakes = u64(o, "handshakes", "tls");
    r.tls.resumed = u64(o, "resumed", "tls");
    const auto& cpu = obj(o, "handshake_cpu_ms", "tls");
    r.tls.full_cpu_ms = f64(cpu, "full", "tls.handshake_cpu_ms");
    r.tls.resumed_cpu_ms = f64(cpu, "resumed", "tls.handshake_cpu_ms");
  }

  const auto& c = obj(root, "cost", "");
  auto& cost = r.cost;
  cost.wall_s = f64(c, "wall_s", "cost");
  cost.cpu_user_s = f64(c, "cpu_user_s", "cost");
  cost.cpu_system_s = f64(c, "cpu_system_s", "cost");
  cost.messages = u64(c, "messages", "cost");
  cost.cpu_s_per_100k_messages = f64(c, "cpu_s_per_100k_messages", "cost");
  cost.peak_rss_bytes = u64(c, "peak_rss_bytes", "cost");
  cost.peak_rss_per_device_bytes = f64(c, "peak_rss_per_device_bytes", "cost");
  cost.rss_before_devices = u64(c, "rss_before_devices_bytes", "cost");
  cost.rss_all_connected = u64(c, "rss_all_connected_bytes", "cost");
  cost.rss_per_connected_device_bytes = f64(c, "rss_per_connected_device_bytes", "cost");

  auto read_phases = [&](const json::array& phases, const std::string& base, std::vector<PhaseReport>& into) {
    for (std::size_t i = 0; i < phases.size(); ++i) {
      const std::string p = idx(base, i);
      const auto& o = obj(phases[i], p);
      PhaseReport ph;
      ph.name = str(o, "name", p);
      const std::string type = str(o, "type", p);
      bool known = false;
      for (auto t : {scenario::PhaseType::Ramp, scenario::PhaseType::Steady, scenario::PhaseType::Churn,
                     scenario::PhaseType::Storm, scenario::PhaseType::Search}) {
        if (type == scenario::to_string(t)) {
          ph.type = t;
          known = true;
        }
      }
      if (!known) fail(sub(p, "type"), "expected ramp, steady, churn, storm or search, got \"" + type + "\"");
      ph.start_s = f64(o, "start_s", p);
      ph.end_s = f64(o, "end_s", p);
      ph.publish_rate = rate(obj(o, "publish_rate", p), sub(p, "publish_rate"));
      stats(o, p, ph.stats);
      into.push_back(std::move(ph));
    }
  };
  read_phases(arr(root, "phases", ""), "phases", r.phases);

  if (const auto* rc = root.if_contains("reconnect")) {
    const auto& o = obj(*rc, "reconnect");
    r.reconnect.known = true;
    r.reconnect.min_s = f64(o, "min_delay_s", "reconnect");
    r.reconnect.max_s = f64(o, "max_delay_s", "reconnect");
    r.reconnect.jitter = str(o, "jitter", "reconnect");
    r.reconnect.reset_after_s = f64(o, "reset_after_s", "reconnect");
  }

  const auto& series = arr(root, "series", "");
  for (std::size_t i = 0; i < series.size(); ++i) {
    const std::string p = idx("series", i);
    const auto& o = obj(series[i], p);
    SeriesPoint pt;
    pt.t_s = f64(o, "t_s", p);
    pt.connected = u64(o, "connected", p);
    pt.connects_per_s = f64(o, "connects_per_s", p);
    pt.publishes_per_s = f64(o, "publishes_per_s", p);
    pt.receives_per_s = f64(o, "receives_per_s", p);
    pt.errors = u64(o, "errors", p);
    pt.local_limit_errors = u64(o, "local_limit_errors", p);
    // Fields added after the first report format: absent in older reports, read as 0.
    auto opt_f64 = [&](std::string_view k) { return o.contains(k) ? f64(o, k, p) : 0.0; };
    auto opt_u64 = [&](std::string_view k) { return o.contains(k) ? u64(o, k, p) : std::uint64_t{0}; };
    pt.connect_failures_per_s = opt_f64("connect_failures_per_s");
    pt.drops_per_s = opt_f64("drops_per_s");
    pt.reconnects_per_s = opt_f64("reconnects_per_s");
    pt.backing_off = opt_u64("backing_off");
    pt.bytes_sent_per_s = opt_f64("bytes_sent_per_s");
    pt.bytes_received_per_s = opt_f64("bytes_received_per_s");
    pt.in_flight = opt_u64("in_flight");
    pt.publishes_requested_per_s = opt_f64("publishes_requested_per_s");
    pt.cpu_cores = opt_f64("cpu_cores");
    pt.rss_bytes = opt_u64("rss_bytes");
    const auto& lat = obj(o, "latency", p);
    const std::string lp = sub(p, "latency");
    pt.ack_latency = interval(obj(lat, "ack_latency", lp), sub(lp, "ack_latency"));
    pt.e2e_latency = interval(obj(lat, "e2e_latency", lp), sub(lp, "e2e_latency"));
    pt.connect_duration = interval(obj(lat, "connect_duration", lp), sub(lp, "connect_duration"));
    r.series.push_back(std::move(pt));
  }

  const auto& th = obj(root, "thresholds", "");
  r.thresholds_passed = boolean(th, "passed", "thresholds");
  auto read_thresholds = [&](const json::array& results, const std::string& base, std::vector<ThresholdResult>& into) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      const std::string p = idx(base, i);
      const auto& o = obj(results[i], p);
      ThresholdResult t;
      t.metric = str(o, "metric", p);
      t.op = str(o, "op", p);
      t.limit = f64(o, "limit", p);
      t.unit = str(o, "unit", p);
      t.measured = boolean(o, "measured", p);
      t.passed = boolean(o, "passed", p);
      t.text = str(o, "text", p);
      const auto& v = at(o, "value", p);
      t.value = v.is_null() ? 0.0 : f64(v, sub(p, "value"));
      if (const auto* why = o.if_contains("reason")) t.reason = str(*why, sub(p, "reason"));
      // Derived from measured and passed (reports written before verdicts have none); one
      // that says otherwise was edited.
      if (const auto* tv = o.if_contains("verdict"); tv && verdict_of(*tv, sub(p, "verdict")) != t.verdict())
        fail(sub(p, "verdict"), std::string("\"") + std::string(tv->get_string()) + "\" contradicts measured " +
                                    (t.measured ? "true" : "false") + " and passed " + (t.passed ? "true" : "false"));
      into.push_back(std::move(t));
    }
  };
  read_thresholds(arr(th, "results", "thresholds"), "thresholds.results", r.thresholds);
  // Publish streams (reports written before them have none).
  if (const auto* sv = root.if_contains("streams")) {
    const auto& sa = arr(*sv, "streams");
    for (std::size_t i = 0; i < sa.size(); ++i) {
      const auto& o = obj(sa[i], idx("streams", i));
      r.streams.push_back(str(o, "name", idx("streams", i)));
      r.stream_requested_rate.push_back(f64(o, "requested_per_s", idx("streams", i)));
    }
  }
  // Books across shards (only sharded runs with subscribers have them).
  if (const auto* bv = root.if_contains("books_exchange")) {
    const auto& b = obj(*bv, "books_exchange");
    const auto& pa = arr(b, "publishers", "books_exchange");
    for (std::size_t i = 0; i < pa.size(); ++i) {
      const std::string p = idx("books_exchange.publishers", i);
      const auto& t = arr(pa[i], p);
      if (t.size() != 4) fail(p, "expected [key, last_seq, first_ns, last_ns]");
      r.publisher_spans.push_back({u64(t[0], p), u64(t[1], p), u64(t[2], p), u64(t[3], p)});
    }
    const auto& sa = arr(b, "subscribers", "books_exchange");
    for (std::size_t i = 0; i < sa.size(); ++i) {
      const std::string p = idx("books_exchange.subscribers", i);
      const auto& t = arr(sa[i], p);
      if (t.size() != 8) fail(p, "expected [group, key, subscribed_ns, held_until_ns, interval, first, highest, window]");
      device::ForeignBooks f;
      f.group = static_cast<std::uint32_t>(u64(t[0], p));
      f.key = u64(t[1], p);
      f.subscribed_ns = u64(t[2], p);
      f.held_until_ns = u64(t[3], p);
      f.progress = {static_cast<std::uint32_t>(u64(t[4], p)), u64(t[5], p), u64(t[6], p), u64(t[7], p)};
      r.foreign_books.push_back(f);
    }
  }
  if (const auto* sv = root.if_contains("share_groups")) {
    try {
      r.share_groups = share_groups_from_json(*sv);
    } catch (const std::runtime_error& e) {
      fail("share_groups", e.what());
    }
  }
  // Per group (reports written before groups have none).
  if (const auto* gv = root.if_contains("groups")) {
    const auto& ga = arr(*gv, "groups");
    for (std::size_t i = 0; i < ga.size(); ++i) {
      const std::string p = idx("groups", i);
      const auto& o = obj(ga[i], p);
      GroupReport g;
      g.name = str(o, "name", p);
      g.fleet_devices = u64(o, "fleet_devices", p);
      g.devices = u64(o, "devices", p);
      stats(obj(o, "totals", p), sub(p, "totals"), g.stats);
      g.publish_rate = rate(obj(o, "publish_rate", p), sub(p, "publish_rate"));
      read_books(arr(o, "message_books", p), sub(p, "message_books"), g.books);
      read_phases(arr(o, "phases", p), sub(p, "phases"), g.phases);
      const auto& gt = obj(o, "thresholds", p);
      g.verdict = verdict_of(at(gt, "verdict", sub(p, "thresholds")), sub(sub(p, "thresholds"), "verdict"));
      read_thresholds(arr(gt, "results", sub(p, "thresholds")), sub(sub(p, "thresholds"), "results"), g.thresholds);
      r.groups.push_back(std::move(g));
    }
  }
  // Reports from before capacity searches were read back have a search without `config`:
  // they are read as having none.
  if (const auto* sv = root.if_contains("search"); sv && sv->is_object() && sv->get_object().contains("config"))
    r.search = search(sv->get_object(), "search");
  if (const auto* v = root.if_contains("verdict")) {
    r.verdict = verdict_of(*v, "verdict");
    const auto& reasons = arr(root, "verdict_reasons", "");
    for (std::size_t i = 0; i < reasons.size(); ++i) r.verdict_reasons.push_back(str(reasons[i], idx("verdict_reasons", i)));
  } else {
    decide_report_verdict(r);  // an older report: the same rules on what it holds
  }
  return r;
}

SearchReport Reader::search(const json::object& o, const std::string& p) const {
  SearchReport r;
  r.phase = str(o, "phase", p);
  r.stop_reason = str(o, "stop_reason", p);
  const auto& c = obj(o, "config", p);
  const std::string cp = sub(p, "config");
  auto& q = r.search;
  const std::string vary = str(c, "vary", cp);
  bool known = false;
  for (auto v : {scenario::SearchVary::ConnectRate, scenario::SearchVary::PublishRate, scenario::SearchVary::Devices})
    if (vary == scenario::to_string(v)) q.vary = v, known = true;
  if (!known) fail(sub(cp, "vary"), "expected connect_rate, publish_rate or devices, got \"" + vary + "\"");
  q.group = str(c, "group", cp);
  q.per_device = boolean(c, "per_device", cp);
  q.from = f64(c, "from", cp);
  q.to = f64(c, "to", cp);
  q.hold = std::chrono::milliseconds(i64(c, "hold_ms", cp));
  q.settle = std::chrono::milliseconds(i64(c, "settle_ms", cp));
  q.precision = f64(c, "precision", cp);
  q.precision_relative = boolean(c, "precision_relative", cp);
  q.max_steps = static_cast<std::uint32_t>(std::min<std::uint64_t>(u64(c, "max_steps", cp), UINT32_MAX));
  const auto& crit = arr(c, "criteria", cp);
  for (std::size_t i = 0; i < crit.size(); ++i) q.criteria.push_back(str(crit[i], idx(sub(cp, "criteria"), i)));
  q.require_text = str(c, "require", cp);
  if (c.contains("require_op")) {
    const std::string op = str(c, "require_op", cp);
    for (auto x : {scenario::ThresholdOp::Lt, scenario::ThresholdOp::Le, scenario::ThresholdOp::Gt,
                   scenario::ThresholdOp::Ge, scenario::ThresholdOp::Eq})
      if (op == scenario::to_string(x)) q.require_op = x;
    if (!q.require_op) fail(sub(cp, "require_op"), "expected a comparison such as >=, got \"" + op + "\"");
    q.require_value = f64(c, "require_value", cp);
  }
  q.abort.connect_success_below = f64(c, "abort_connect_success_below", cp);
  q.abort.errors_per_second_above = f64(c, "abort_errors_per_second_above", cp);

  const auto& steps = arr(o, "steps", p);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string sp = idx(sub(p, "steps"), i);
    const auto& so = obj(steps[i], sp);
    SearchStep st;
    st.index = static_cast<std::uint32_t>(std::min<std::uint64_t>(u64(so, "index", sp), UINT32_MAX));
    const std::string kind = str(so, "kind", sp);
    if (kind == to_string(StepKind::Ladder)) st.kind = StepKind::Ladder;
    else if (kind == to_string(StepKind::Bisect)) st.kind = StepKind::Bisect;
    else fail(sub(sp, "kind"), "expected ladder or bisect, got \"" + kind + "\"");
    st.value = f64(so, "value", sp);
    st.target = so.contains("target") ? f64(so, "target", sp) : st.value;
    st.achieved = f64(so, "achieved", sp);
    st.window_start_s = f64(so, "window_start_s", sp);
    st.window_end_s = f64(so, "window_end_s", sp);
    st.verdict = verdict_of(at(so, "verdict", sp), sub(sp, "verdict"));
    st.collapse = boolean(so, "collapse", sp);
    const auto& ca = arr(so, "criteria", sp);
    for (std::size_t k = 0; k < ca.size(); ++k) {
      const std::string kp = idx(sub(sp, "criteria"), k);
      const auto& co = obj(ca[k], kp);
      st.criteria.push_back({str(co, "name", kp), boolean(co, "measured", kp), boolean(co, "met", kp),
                             str(co, "detail", kp), f64(co, "value", kp), f64(co, "limit", kp)});
    }
    const auto& ra = arr(so, "reasons", sp);
    for (std::size_t k = 0; k < ra.size(); ++k) st.reasons.push_back(str(ra[k], idx(sub(sp, "reasons"), k)));
    if (const auto* wv = so.if_contains("window")) {
      const std::string wp = sub(sp, "window");
      const auto& wo = obj(*wv, wp);
      StepWindow w;
      w.seconds = f64(wo, "seconds", wp);
      w.varied_connected = u64(wo, "varied_connected", wp);
      w.varied_connects_ok = u64(wo, "varied_connects_ok", wp);
      w.varied_connect_failures = u64(wo, "varied_connect_failures", wp);
      w.varied_sent = u64(wo, "varied_sent", wp);
      w.publishing_devices = f64(wo, "publishing_devices", wp);
      w.requested_publish_rate = f64(wo, "requested_publish_rate", wp);
      w.achieved_publish_rate = f64(wo, "achieved_publish_rate", wp);
      w.broker_errors_per_s = f64(wo, "broker_errors_per_s", wp);
      stats(obj(wo, "totals", wp), sub(wp, "totals"), w.fleet);
      st.window = std::move(w);
    }
    r.steps.push_back(std::move(st));
  }
  // The answer is derived from the steps (as the writer derived it).
  r.summary = summarize_search(r.steps, q);
  return r;
}

// Boost.JSON 1.81 converts numbers with a fast algorithm that can miss the nearest double
// by one unit in the last place, and a report read back must write back identically. So
// every double is converted again, exactly, with std::from_chars from its text: number
// tokens appear in the text in the same order as a walk of the parsed document visits them.
std::vector<std::string_view> number_tokens(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      ++i;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t b = i;
      while (i < text.size() && std::string_view("0123456789+-.eE").find(text[i]) != std::string_view::npos) ++i;
      out.push_back(text.substr(b, i - b));
    } else {
      ++i;
    }
  }
  return out;
}

void exact_doubles(json::value& v, const std::vector<std::string_view>& tokens, std::size_t& next) {
  switch (v.kind()) {
    case json::kind::object:
      for (auto& kv : v.get_object()) exact_doubles(kv.value(), tokens, next);
      return;
    case json::kind::array:
      for (auto& e : v.get_array()) exact_doubles(e, tokens, next);
      return;
    case json::kind::double_: {
      if (next >= tokens.size()) return;
      const auto t = tokens[next++];
      double d = 0;
      const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
      if (ec == std::errc() && p == t.data() + t.size()) v = d;
      return;
    }
    case json::kind::int64:
    case json::kind::uint64:
      ++next;
      return;
    default:
      return;
  }
}

}  // namespace

RunReport report_from_json(std::string_view text, const std::string& source) {
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    // Where the parser stopped, as line:column.
    const std::size_t at = std::min(used, text.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw ReportReadError(source + ":" + std::to_string(line) + ":" + std::to_string(col) +
                          ": not a JSON report: " + ec.message());
  }
  json::value doc = parser.release();
  const auto tokens = number_tokens(text);
  std::size_t next = 0;
  exact_doubles(doc, tokens, next);
  Reader rd(source);
  return rd.report(rd.obj(doc, "(document)"));
}

RunReport read_json_report(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ReportReadError(path.string() + ": cannot open the report file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ReportReadError(path.string() + ": cannot read the report file");
  return report_from_json(ss.str(), path.string());
}

}  // namespace fleetload::metrics
