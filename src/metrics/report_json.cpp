// Turning a RunReport into the JSON report document (Boost.JSON) and writing it to a file.
#include "metrics/report_json.hpp"

#include "metrics/report_share.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fleetload::metrics {

namespace json = boost::json;

namespace {

const char* phase_type_name(scenario::PhaseType t) { return scenario::to_string(t); }

json::object histogram_json(const device::HistogramSnapshot& h, bool with_buckets) {
  const Percentiles p = percentiles_of(h);
  json::object o;
  o["count"] = p.count;
  o["min_ms"] = p.min_ms;
  o["mean_ms"] = p.mean_ms;
  o["p50_ms"] = p.p50_ms;
  o["p90_ms"] = p.p90_ms;
  o["p99_ms"] = p.p99_ms;
  o["p99_9_ms"] = p.p999_ms;
  o["max_ms"] = p.max_ms;
  if (with_buckets) {
    o["sum_ns"] = h.sum;  // exact, so merged means are exact too
    // Sparse buckets [lowest_ns, highest_ns, count] let readers compute any quantile.
    json::array b;
    h.for_each_bucket([&](std::uint64_t lo, std::uint64_t hi, std::uint64_t n) {
      b.push_back(json::array{lo, hi, n});
    });
    o["buckets"] = std::move(b);
  }
  return o;
}

template <std::size_t N, class NameOf>
json::array code_table(const std::array<std::uint64_t, N>& counts, NameOf&& name_of) {
  json::array a;
  for (std::size_t c = 0; c < N; ++c) {
    if (counts[c] == 0) continue;
    a.push_back(json::object{{"code", c}, {"name", name_of(static_cast<std::uint8_t>(c))}, {"count", counts[c]}});
  }
  return a;
}

// Stream `id`'s counts into `o`, by their names ("sent", "acked", ...).
void add_stream_counts(json::object& o, const device::StatsSnapshot& s, std::size_t id) {
  for (std::size_t k = 0; k < device::kStreamCountKinds; ++k) {
    const auto kind = static_cast<device::StreamCount>(k);
    o[device::to_string(kind)] = s.stream_count(static_cast<std::uint32_t>(id), kind);
  }
}

// {op: {outcome: count}} of a table of op * outcomes counts (shadow and jobs requests).
template <class Op, class Outcome, std::size_t kOutcomes, std::size_t N>
json::object by_op_and_outcome(const std::array<std::uint64_t, N>& counts) {
  static_assert(N % kOutcomes == 0);
  json::object out;
  for (std::size_t op = 0; op < N / kOutcomes; ++op) {
    json::object by;
    for (std::size_t k = 0; k < kOutcomes; ++k) by[device::to_string(static_cast<Outcome>(k))] = counts[op * kOutcomes + k];
    out[device::to_string(static_cast<Op>(op))] = std::move(by);
  }
  return out;
}

json::object stats_json(const device::StatsSnapshot& s, mqtt::Version v, bool with_buckets) {
  json::object counters;
#define FLEETLOAD_X(name, help) counters[#name] = s.name;
  FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
  json::object by_qos;
#define FLEETLOAD_X(name, help) by_qos[#name] = json::array{s.name[0], s.name[1], s.name[2]};
  FLEETLOAD_DEVICE_QOS_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
  by_qos["publishes_failed"] =
      json::array{s.publishes_failed_by_qos[0], s.publishes_failed_by_qos[1], s.publishes_failed_by_qos[2]};
  json::object gauges;
#define FLEETLOAD_X(name, help) gauges[#name] = s.name;
  FLEETLOAD_DEVICE_GAUGES(FLEETLOAD_X)
#undef FLEETLOAD_X
  json::object hists;
#define FLEETLOAD_X(name, help) hists[#name] = histogram_json(s.name, with_buckets);
  FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X

  json::object connect_failed, drops;
  for (std::size_t i = 0; i < device::kDropReasonCount; ++i) {
    const auto r = static_cast<device::DropReason>(i);
    if (r == device::DropReason::None) continue;
    connect_failed[device::to_string(r)] = s.connect_failed_by_reason[i];
    drops[device::to_string(r)] = s.drops_by_reason[i];
  }
  json::object failed;
  for (std::size_t i = 0; i < device::kPublishFailReasonCount; ++i) {
    failed[device::to_string(static_cast<device::PublishFailReason>(i))] = s.publishes_failed[i];
  }
  const auto reason_name = [](std::uint8_t c) { return mqtt::to_string(static_cast<mqtt::ReasonCode>(c)); };
  // The granted codes share their names in both protocols (3.1.1 §3.9.3 0x00-0x02 are the
  // MQTT 5 reason codes of the same value), so reports of either compare; 3.1.1 0x80 is
  // "failure", MQTT 5 failures by their reason names.
  const auto suback_name = [v, reason_name](std::uint8_t c) -> const char* {
    if (c <= 2) return c == 0 ? "granted_qos_0" : reason_name(c);
    return v == mqtt::Version::V311 ? "failure" : reason_name(c);
  };
  const auto grant_name = [](std::uint8_t slot) -> std::string {
    const auto g = device::suback_grant_of(slot);
    return "filter " + std::to_string(g.filter) + " requested qos " + std::to_string(g.requested) +
           (g.granted == 3 ? " refused" : " granted qos " + std::to_string(g.granted));
  };

  json::object o;
  o["counters"] = std::move(counters);
  o["counters_by_qos"] = std::move(by_qos);
  o["gauges"] = std::move(gauges);
  o["histograms"] = std::move(hists);
  o["connect_failed_by_reason"] = std::move(connect_failed);
  o["drops_by_reason"] = std::move(drops);
  o["publishes_failed_by_reason"] = std::move(failed);
  o["connack_codes"] = code_table(s.connack_codes, [v](std::uint8_t c) { return device::connack_code_name(v, c); });
  o["server_disconnect_codes"] = code_table(s.server_disconnect_codes, reason_name);
  o["suback_codes"] = code_table(s.suback_codes, suback_name);
  o["suback_grants"] = code_table(s.suback_grants, grant_name);
  o["puback_codes"] = code_table(s.puback_codes, reason_name);
  o["shadow_operations"] = by_op_and_outcome<device::ShadowOp, device::ShadowOutcome, device::kShadowOutcomeCount>(s.shadow_ops);
  o["job_requests"] = by_op_and_outcome<device::JobOp, device::JobOutcome, device::kJobOutcomeCount>(s.job_requests);
  json::object ends;
  for (std::size_t k = 0; k < device::kJobEndCount; ++k)
    ends[device::to_string(static_cast<device::JobEnd>(k))] = s.job_executions[k];
  o["job_executions"] = std::move(ends);
  // ---- Fleet Provisioning by claim ----
  o["provisioning_operations"] =
      by_op_and_outcome<device::ProvisioningOp, device::ProvisioningOutcome, device::kProvisioningOutcomeCount>(
          s.provisioning_ops);
  json::object prov_errors;
  for (std::size_t k = 0; k < device::kProvisioningErrorCodeCount; ++k)
    prov_errors[device::to_string(static_cast<device::ProvisioningErrorCode>(k))] = s.provisioning_errors[k];
  o["provisioning_errors"] = std::move(prov_errors);
  // ---- end Fleet Provisioning ----
  // Per publish stream, by fleet-wide stream id (the report's top-level `streams` names them).
  std::size_t used = 0;
  for (std::size_t i = 0; i < device::kStreamSlots; ++i)
    if (s.stream_counts[i] != 0) used = i / device::kStreamCountKinds + 1;
  json::array streams;
  for (std::size_t id = 0; id < used; ++id) {
    json::object c;
    add_stream_counts(c, s, id);
    streams.push_back(std::move(c));
  }
  o["stream_counts"] = std::move(streams);
  return o;
}

// The fleet's publish streams as people read them: name, requested rate (`requested`: the
// whole report's, none for a group) and what was sent, acknowledged, failed, received, lost,
// duplicated, out of order.
json::array streams_json(const RunReport& r, const device::StatsSnapshot& s, const std::vector<double>* requested) {
  json::array out;
  for (std::size_t id = 0; id < r.streams.size(); ++id) {
    json::object o{{"name", r.streams[id]}};
    if (requested && id < requested->size()) o["requested_per_s"] = (*requested)[id];
    add_stream_counts(o, s, id);
    out.push_back(std::move(o));
  }
  return out;
}

// One interval's distribution in the series: the percentiles drawn in the HTML report, and
// the sparse buckets flat as [lowest_ns, count, lowest_ns, count, ...] (compact: there is
// one per interval) so shard reports merge bucket by bucket.
json::object interval_json(const SparseHistogram& sh) {
  const Percentiles p = percentiles_of(sh.expand());
  json::array b;
  b.reserve(sh.buckets.size() * 2);
  for (const auto& [i, n] : sh.buckets) {
    b.push_back(device::hist::bucket_lowest(i));
    b.push_back(n);
  }
  return json::object{{"count", p.count}, {"min_ms", p.min_ms}, {"p50_ms", p.p50_ms}, {"p90_ms", p.p90_ms},
                      {"p99_ms", p.p99_ms}, {"max_ms", p.max_ms}, {"sum_ns", sh.sum}, {"buckets", std::move(b)}};
}

json::object rate_json(const RateFigure& r) {
  return json::object{{"requested_per_s", r.requested}, {"achieved_per_s", r.achieved}, {"error_percent", r.error_percent}};
}

// Boost.JSON's serializer writes compact text; indent it for people who open the file.
void pretty(std::ostream& os, const json::value& jv, std::string& indent) {
  switch (jv.kind()) {
    case json::kind::object: {
      const auto& obj = jv.get_object();
      if (obj.empty()) { os << "{}"; return; }
      os << "{\n";
      indent.append(2, ' ');
      bool first = true;
      for (const auto& kv : obj) {
        if (!first) os << ",\n";
        first = false;
        os << indent << json::serialize(kv.key()) << ": ";
        pretty(os, kv.value(), indent);
      }
      indent.resize(indent.size() - 2);
      os << "\n" << indent << "}";
      return;
    }
    case json::kind::array: {
      const auto& arr = jv.get_array();
      if (arr.empty()) { os << "[]"; return; }
      // Arrays of scalars (bucket triples, per-QoS counters) stay on one line.
      bool scalars = true;
      for (const auto& e : arr) scalars = scalars && !e.is_object() && !e.is_array();
      if (scalars) { os << json::serialize(jv); return; }
      os << "[\n";
      indent.append(2, ' ');
      bool first = true;
      for (const auto& e : arr) {
        if (!first) os << ",\n";
        first = false;
        os << indent;
        if (e.is_array()) os << json::serialize(e); else pretty(os, e, indent);
      }
      indent.resize(indent.size() - 2);
      os << "\n" << indent << "]";
      return;
    }
    default:
      os << json::serialize(jv);
  }
}

}  // namespace

json::array books_json(const std::vector<MessageBooks>& bs) {
  json::array books;
  for (const auto& b : bs) {
    books.push_back(json::object{{"qos", b.qos}, {"requests", b.requests}, {"acked", b.acked},
                                 {"timed_out", b.timed_out}, {"failed", b.failed},
                                 {"pending_at_end", b.pending}, {"balanced", b.balanced}});
  }
  return books;
}

json::array phases_json(const std::vector<PhaseReport>& ps, mqtt::Version v) {
  json::array phases;
  for (const auto& p : ps) {
    json::object o;
    o["name"] = p.name;
    o["type"] = phase_type_name(p.type);
    o["start_s"] = p.start_s;
    o["end_s"] = p.end_s;
    o["publish_rate"] = rate_json(p.publish_rate);
    json::object st = stats_json(p.stats, v, true);
    for (auto& kv : st) o[kv.key()] = std::move(kv.value());
    phases.push_back(std::move(o));
  }
  return phases;
}

json::array thresholds_json(const std::vector<ThresholdResult>& ts) {
  json::array th;
  for (const auto& t : ts) {
    json::object o{{"metric", t.metric}, {"op", t.op}, {"limit", t.limit}, {"unit", t.unit},
                   {"measured", t.measured}, {"passed", t.passed}, {"text", t.text},
                   {"verdict", to_string(t.verdict())}};
    if (t.measured) o["value"] = t.value; else o["value"] = nullptr;
    if (!t.measured) o["reason"] = t.reason;
    th.push_back(std::move(o));
  }
  return th;
}

namespace {
// What report merge needs of a shard's step (StepWindow): its window's figures.
json::object step_window_json(const StepWindow& w, mqtt::Version v) {
  return json::object{{"seconds", w.seconds},
                      {"varied_connected", w.varied_connected},
                      {"varied_connects_ok", w.varied_connects_ok},
                      {"varied_connect_failures", w.varied_connect_failures},
                      {"varied_sent", w.varied_sent},
                      {"publishing_devices", w.publishing_devices},
                      {"requested_publish_rate", w.requested_publish_rate},
                      {"achieved_publish_rate", w.achieved_publish_rate},
                      {"broker_errors_per_s", w.broker_errors_per_s},
                      {"totals", stats_json(w.fleet, v, true)}};
}

// The search as configured: report merge judges the shards' steps by it.
json::object search_config_json(const scenario::Search& q) {
  json::array criteria;
  for (const auto& c : q.criteria) criteria.push_back(json::string(c));
  json::object o{{"vary", scenario::to_string(q.vary)},
                 {"group", q.group},
                 {"per_device", q.per_device},
                 {"from", q.from},
                 {"to", q.to},
                 {"hold_ms", q.hold.count()},
                 {"settle_ms", q.settle.count()},
                 {"precision", q.precision},
                 {"precision_relative", q.precision_relative},
                 {"max_steps", q.max_steps},
                 {"criteria", std::move(criteria)},
                 {"require", q.require_text},
                 {"abort_connect_success_below", q.abort.connect_success_below},
                 {"abort_errors_per_second_above", q.abort.errors_per_second_above}};
  if (q.require_op) {
    o["require_op"] = scenario::to_string(*q.require_op);
    o["require_value"] = q.require_value;
  }
  return o;
}

json::object search_json(const SearchReport& r, mqtt::Version v) {
  json::array steps;
  for (const auto& st : r.steps) {
    json::array crit;
    for (const auto& c : st.criteria)
      crit.push_back(json::object{{"name", c.name}, {"measured", c.measured}, {"met", c.met}, {"detail", c.detail},
                                  {"value", c.value}, {"limit", c.limit}});
    json::array reasons;
    for (const auto& why : st.reasons) reasons.push_back(json::string(why));
    json::object so{{"index", st.index}, {"kind", to_string(st.kind)}, {"value", st.value}, {"target", st.target},
                    {"achieved", st.achieved}, {"window_start_s", st.window_start_s},
                    {"window_end_s", st.window_end_s}, {"verdict", to_string(st.verdict)},
                    {"passed", st.verdict == Verdict::Pass}, {"collapse", st.collapse},
                    {"criteria", std::move(crit)}, {"reasons", std::move(reasons)}};
    if (st.window) so["window"] = step_window_json(*st.window, v);
    steps.push_back(std::move(so));
  }
  const auto& s = r.summary;
  json::array broken;
  for (const auto& b : s.broken_by) broken.push_back(json::string(b));
  json::array reasons;
  for (const auto& why : s.verdict.reasons) reasons.push_back(json::string(why));
  json::object o{{"phase", r.phase}, {"vary", scenario::to_string(r.search.vary)}, {"steps", std::move(steps)},
                 {"broken_by", std::move(broken)}, {"collapsed", s.collapsed}, {"stop_reason", r.stop_reason},
                 {"verdict", to_string(s.verdict.verdict)}, {"verdict_reasons", std::move(reasons)},
                 {"config", search_config_json(r.search)}};
  if (r.search.vary == scenario::SearchVary::PublishRate) o["per"] = r.search.per_device ? "device" : "fleet";
  if (s.sustainable) o["sustainable"] = *s.sustainable; else o["sustainable"] = nullptr;
  if (s.first_failing) o["first_failing"] = *s.first_failing; else o["first_failing"] = nullptr;
  if (!r.search.require_text.empty()) o["require"] = r.search.require_text;
  return o;
}
}  // namespace

std::string report_to_json(const RunReport& r) {
  json::object root;
  root["fleetload_version"] = r.fleetload_version;
  root["started_at"] = r.started_at_utc;
  if (r.started_at_unix_ms > 0) root["started_at_unix_ms"] = r.started_at_unix_ms;
  // The gate (docs/cli.md "Verdicts"): pass, fail or inconclusive, and why.
  root["verdict"] = to_string(r.verdict);
  {
    json::array reasons;
    for (const auto& why : r.verdict_reasons) reasons.push_back(json::string(why));
    root["verdict_reasons"] = std::move(reasons);
  }
  root["scenario"] = json::object{{"name", r.scenario_name}, {"source", r.scenario_source}, {"resolved_yaml", r.scenario_yaml}};
  root["protocol"] = r.protocol == mqtt::Version::V5 ? "mqtt5" : "mqtt311";
  root["shard"] = json::object{{"k", r.shard_k}, {"n", r.shard_n}};
  if (!r.merged_shards.empty()) {
    json::array m;
    for (auto k : r.merged_shards) m.push_back(k);
    root["shard"].as_object()["merged"] = std::move(m);
  }

  json::object run;
  run["exit_reason"] = r.exit_reason;
  run["failure"] = r.failure;
  run["devices"] = r.devices;
  run["threads"] = r.threads;
  run["run_id"] = r.run_id;
  run["run_id_source"] = r.run_id_source;
  run["drain_s"] = r.drain_s;
  run["drain_timed_out"] = r.drain_timed_out;
  run["delivery_rate_at_stop"] = r.delivery_rate_at_stop;
  run["peak_connected"] = r.peak_connected;
  run["connected_at_end"] = r.connected_at_end;
  if (r.time_to_all_connected_s) run["time_to_all_connected_s"] = *r.time_to_all_connected_s;
  else run["time_to_all_connected_s"] = nullptr;
  run["wall_s"] = r.cost.wall_s;
  root["run"] = std::move(run);

  root["totals"] = stats_json(r.stats, r.protocol, true);
  root["publish_rate"] = rate_json(r.publish_rate);
  root["streams"] = streams_json(r, r.stats, &r.stream_requested_rate);
  if (!r.publisher_spans.empty() || !r.foreign_books.empty()) {
    // Books across shards, flat for size: [key, last_seq, first_ns, last_ns] per publisher
    // stream; [group, key, subscribed_ns, held_until_ns, interval, first, highest, window]
    // per subscriber and other shard's publisher stream (device/books_exchange.hpp).
    json::array pubs, subs;
    for (const auto& p : r.publisher_spans) pubs.push_back(json::array{p.key, p.last_seq, p.first_ns, p.last_ns});
    for (const auto& f : r.foreign_books)
      subs.push_back(json::array{f.group, f.key, f.subscribed_ns, f.held_until_ns, f.progress.interval,
                                 f.progress.first, f.progress.highest, f.progress.window});
    root["books_exchange"] = json::object{{"publishers", std::move(pubs)}, {"subscribers", std::move(subs)}};
  }

  if (!r.share_groups.empty()) root["share_groups"] = share_groups_json(r.share_groups);
  root["message_books"] = books_json(r.books);
  root["errors"] = json::object{
      {"local_limit", r.local_limit_errors}, {"local", r.local_errors}, {"broker", r.broker_errors}};
  {
    // Failed connect attempts by cause: {result, reason, count}, low-cardinality names.
    json::array causes;
    for (const auto& c : r.connect_failures) {
      json::object o{{"result", c.result}, {"reason", c.reason}, {"count", c.count}};
      if (!c.endpoint.empty()) o["endpoint"] = c.endpoint;
      causes.push_back(std::move(o));
    }
    auto& errors = root["errors"].as_object();
    errors["connect_failures"] = std::move(causes);
    if (!r.tls_identity_error.empty()) errors["identity_error"] = r.tls_identity_error;
    if (!r.websocket_error.empty()) errors["websocket_error"] = r.websocket_error;
  }

  const auto& c = r.cost;
  root["cost"] = json::object{
      {"wall_s", c.wall_s}, {"cpu_user_s", c.cpu_user_s}, {"cpu_system_s", c.cpu_system_s},
      {"messages", c.messages}, {"cpu_s_per_100k_messages", c.cpu_s_per_100k_messages},
      {"peak_rss_bytes", c.peak_rss_bytes}, {"peak_rss_per_device_bytes", c.peak_rss_per_device_bytes},
      {"rss_before_devices_bytes", c.rss_before_devices}, {"rss_all_connected_bytes", c.rss_all_connected},
      {"rss_per_connected_device_bytes", c.rss_per_connected_device_bytes}};

  if (r.tls.handshakes > 0) {
    // Client CPU per completed handshake in ms (full, resumed): what sizing a TLS fleet's
    // load generators needs.
    root["tls"] = json::object{{"handshakes", r.tls.handshakes},
                               {"resumed", r.tls.resumed},
                               {"handshake_cpu_ms", json::object{{"full", r.tls.full_cpu_ms}, {"resumed", r.tls.resumed_cpu_ms}}}};
  }

  root["phases"] = phases_json(r.phases, r.protocol);
  if (r.search) root["search"] = search_json(*r.search, r.protocol);

  // Per group (one, "default", without scenario groups): the same figures for its devices.
  json::array groups;
  for (const auto& g : r.groups) {
    json::object o;
    o["name"] = g.name;
    o["fleet_devices"] = g.fleet_devices;
    o["devices"] = g.devices;
    o["totals"] = stats_json(g.stats, r.protocol, true);
    o["publish_rate"] = rate_json(g.publish_rate);
    o["streams"] = streams_json(r, g.stats, nullptr);
    o["message_books"] = books_json(g.books);
    o["phases"] = phases_json(g.phases, r.protocol);
    o["thresholds"] = json::object{{"verdict", to_string(g.verdict)}, {"results", thresholds_json(g.thresholds)}};
    groups.push_back(std::move(o));
  }
  root["groups"] = std::move(groups);

  if (r.reconnect.known)
    root["reconnect"] = json::object{{"min_delay_s", r.reconnect.min_s}, {"max_delay_s", r.reconnect.max_s},
                                     {"jitter", r.reconnect.jitter}, {"reset_after_s", r.reconnect.reset_after_s}};

  json::array series;
  for (const auto& s : r.series) {
    series.push_back(json::object{{"t_s", s.t_s}, {"connected", s.connected}, {"connects_per_s", s.connects_per_s},
                                  {"publishes_per_s", s.publishes_per_s}, {"receives_per_s", s.receives_per_s},
                                  {"errors", s.errors}, {"local_limit_errors", s.local_limit_errors},
                                  {"connect_failures_per_s", s.connect_failures_per_s},
                                  {"drops_per_s", s.drops_per_s}, {"reconnects_per_s", s.reconnects_per_s},
                                  {"backing_off", s.backing_off}, {"bytes_sent_per_s", s.bytes_sent_per_s},
                                  {"bytes_received_per_s", s.bytes_received_per_s}, {"in_flight", s.in_flight},
                                  {"publishes_requested_per_s", s.publishes_requested_per_s},
                                  {"cpu_cores", s.cpu_cores}, {"rss_bytes", s.rss_bytes},
                                  {"latency", json::object{{"ack_latency", interval_json(s.ack_latency)},
                                                           {"e2e_latency", interval_json(s.e2e_latency)},
                                                           {"connect_duration", interval_json(s.connect_duration)}}}});
  }
  root["series"] = std::move(series);

  root["thresholds"] = json::object{{"passed", r.thresholds_passed}, {"results", thresholds_json(r.thresholds)}};

  std::ostringstream os;
  std::string indent;
  pretty(os, root, indent);
  os << "\n";
  return os.str();
}

void write_json_report(const RunReport& report, const std::filesystem::path& path) {
  const std::string text = report_to_json(report);
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write the report to " + path.string() + ": cannot open " + tmp.string());
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write the report to " + path.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot write the report to " + path.string() + ": " + ec.message());
}

}  // namespace fleetload::metrics
