// The HTML run report: one file, inline CSS and SVG, readable offline and in a CI artifact.
#include "metrics/report_html.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "metrics/anomalies.hpp"
#include "metrics/report_svg.hpp"

namespace fleetload::metrics {
namespace {

using svg::escape;

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#222;background:#fafafa}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #ddd}
.meta{color:#555}.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:bold;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}.inconclusive{background:#757575}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#eee}td:first-child,th:first-child{text-align:left}
tr.failed td{background:#fdecea}.charts{display:grid;grid-template-columns:1fr 1fr;gap:12px}
svg.chart{width:100%;height:auto;background:#fff;border:1px solid #ddd}
svg .grid{stroke:#eee}svg .axis{stroke:#999}svg .tick,svg .legend{font-size:11px;fill:#555}
svg .title{font-size:13px;font-weight:bold;fill:#222}svg .empty{fill:#999}
pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto}
)";

std::string num(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
std::string count(std::uint64_t v) { return std::to_string(v); }

void row(std::ostream& o, const std::string& name, const std::string& value) {
  o << "<tr><td>" << escape(name) << "</td><td>" << escape(value) << "</td></tr>";
}

void summary(std::ostream& o, const RunReport& r) {
  const auto& s = r.stats;
  o << "<h2>Summary</h2><table class=\"summary\"><tr><th>figure</th><th>value</th></tr>";
  row(o, "devices (this shard)", count(r.devices));
  row(o, "worker threads", std::to_string(r.threads));
  row(o, "peak connected", count(r.peak_connected));
  row(o, "connected at end", std::to_string(r.connected_at_end));
  row(o, "time to all connected", r.time_to_all_connected_s ? num(*r.time_to_all_connected_s, 3) + " s" : "never");
  row(o, "connect attempts", count(s.connect_attempts));
  row(o, "connects accepted", count(s.connects_ok));
  row(o, "connect failures", count(s.connect_failures));
  row(o, "drops", count(s.drops));
  row(o, "reconnects", count(s.reconnects));
  for (unsigned q = 0; q < 3; ++q) {
    if (s.publish_requests[q] == 0) continue;
    const std::string p = "QoS " + std::to_string(q) + " ";
    row(o, p + "publishes requested", count(s.publish_requests[q]));
    row(o, p + "publishes sent", count(s.publishes_sent[q]));
    if (q > 0) {
      row(o, p + "publishes acknowledged", count(s.publishes_acked[q]));
      row(o, p + "ack timeouts", count(s.ack_timeouts[q]));
    }
    row(o, p + "publishes failed", count(s.publishes_failed_by_qos[q]));
  }
  row(o, "messages received", count(s.messages_received));
  row(o, "messages lost", count(s.messages_lost));
  row(o, "messages duplicated", count(s.messages_duplicated));
  row(o, "messages out of order", count(s.messages_out_of_order));
  row(o, "publish rate requested", num(r.publish_rate.requested) + " msg/s");
  row(o, "publish rate achieved", num(r.publish_rate.achieved) + " msg/s");
  row(o, "publish rate error", num(r.publish_rate.error_percent) + " %");
  row(o, "bytes sent", count(s.bytes_sent));
  row(o, "bytes received", count(s.bytes_received));
  row(o, "errors from local limits", count(r.local_limit_errors));
  row(o, "local faults (identity, encoding)", count(r.local_errors));
  row(o, "errors from the broker", count(r.broker_errors));
  o << "</table>";
}

void thresholds(std::ostream& o, const RunReport& r) {
  o << "<h2>Thresholds</h2>";
  if (r.thresholds.empty()) {
    o << "<p>No thresholds in the scenario.</p>";
    return;
  }
  o << "<table class=\"thresholds\"><tr><th>metric</th><th>rule</th><th>measured</th><th>result</th></tr>";
  for (const auto& t : r.thresholds) {
    o << "<tr" << (t.passed ? "" : " class=\"failed\"") << "><td>" << escape(t.metric) << "</td><td>"
      << escape(t.text.empty() ? t.op + " " + num(t.limit, 4) : t.text) << "</td><td>"
      << (t.measured ? escape(num(t.value, 4) + " " + t.unit) : "not measured: " + escape(t.reason)) << "</td><td>"
      << (t.verdict() == Verdict::Pass ? "pass" : t.verdict() == Verdict::Fail ? "FAIL" : "inconclusive") << "</td></tr>";
  }
  o << "</table>";
}

// p50 (dashed) and p99 per interval of the ack, end-to-end and connect (CONNACK) latency,
// from each interval's histogram delta; an interval without samples leaves a gap. A
// histogram with no samples in any interval gets no line.
std::string latency_over_time(const RunReport& r, const std::vector<double>& x) {
  struct Line {
    const char* name;
    SparseHistogram SeriesPoint::*h;
    const char* color;
  };
  const Line lines[] = {{"ack", &SeriesPoint::ack_latency, "#f28e2b"},
                        {"end to end", &SeriesPoint::e2e_latency, "#4e79a7"},
                        {"connack", &SeriesPoint::connect_duration, "#59a14f"}};
  svg::LineChart chart{"Latency percentiles per interval", "ms", x, {}, {}, ""};
  for (const auto& l : lines) {
    std::vector<double> p50, p99;
    bool any = false;
    for (const auto& p : r.series) {
      const SparseHistogram& h = p.*(l.h);
      if (h.count == 0) {
        p50.push_back(std::nan(""));
        p99.push_back(std::nan(""));
        continue;
      }
      any = true;
      const Percentiles q = percentiles_of(h.expand());
      p50.push_back(q.p50_ms);
      p99.push_back(q.p99_ms);
    }
    if (!any) continue;
    chart.series.push_back({std::string(l.name) + " p50", l.color, std::move(p50), true});
    chart.series.push_back({std::string(l.name) + " p99", l.color, std::move(p99), false});
  }
  if (chart.series.empty()) chart.x.clear();  // drawn as "no samples"
  return svg::line_chart(chart);
}

void time_series(std::ostream& o, const RunReport& r) {
  std::vector<double> x, connected, connects, publishes, receives, errors, local;
  for (const auto& p : r.series) {
    x.push_back(p.t_s);
    connected.push_back(static_cast<double>(p.connected));
    connects.push_back(p.connects_per_s);
    publishes.push_back(p.publishes_per_s);
    receives.push_back(p.receives_per_s);
    errors.push_back(static_cast<double>(p.errors));
    local.push_back(static_cast<double>(p.local_limit_errors));
  }
  o << "<h2>Over time</h2><div class=\"charts\">";
  o << svg::line_chart({"Connected devices", "devices", x, {{"connected", "#1f77b4", connected, false}},
                        static_cast<double>(r.devices), "target"});
  o << svg::line_chart({"Connect rate", "CONNACKs/s", x, {{"connects/s", "#2ca02c", connects, false}}, {}, ""});
  std::optional<double> target;
  if (r.publish_rate.requested > 0) target = r.publish_rate.requested;
  o << svg::line_chart({"Publish rate vs target", "msg/s", x,
                        {{"sent/s", "#ff7f0e", publishes, false}, {"received/s", "#9467bd", receives, true}}, target,
                        "target"});
  o << svg::line_chart({"Errors per interval", "count", x,
                        {{"drops", "#d62728", errors, false}, {"of which local limits", "#8c564b", local, true}}, {},
                        ""});
  o << latency_over_time(r, x);
  o << "</div>";
}

struct NamedHistogram {
  const char* name;
  const device::HistogramSnapshot* h;
};

void latencies(std::ostream& o, const RunReport& r) {
  const auto& s = r.stats;
  const NamedHistogram all[] = {{"tcp connect", &s.tcp_connect},       {"tls handshake", &s.tls_handshake},
                                {"websocket upgrade", &s.websocket_handshake}, {"connack", &s.connect_duration},
                                {"time to connect", &s.time_to_connect}, {"publish ack", &s.ack_latency},
                                {"end to end", &s.e2e_latency},          {"ping rtt", &s.ping_rtt},
                                {"subscribe", &s.subscribe_latency},     {"reconnect delay", &s.reconnect_delay}};
  o << "<h2>Latency</h2>";
  svg::BarChart chart{"Latency percentiles", "ms", {"p50", "p90", "p99", "p99.9"},
                      {"#4e79a7", "#59a14f", "#f28e2b", "#e15759"}, {}};
  o << "<table class=\"latency\"><tr><th>what</th><th>count</th><th>min ms</th><th>mean ms</th><th>p50 ms</th>"
       "<th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>";
  for (const auto& nh : all) {
    if (nh.h->count == 0) continue;
    const Percentiles p = percentiles_of(*nh.h);
    o << "<tr><td>" << nh.name << "</td><td>" << p.count << "</td><td>" << num(p.min_ms, 3) << "</td><td>"
      << num(p.mean_ms, 3) << "</td><td>" << num(p.p50_ms, 3) << "</td><td>" << num(p.p90_ms, 3) << "</td><td>"
      << num(p.p99_ms, 3) << "</td><td>" << num(p.p999_ms, 3) << "</td><td>" << num(p.max_ms, 3) << "</td></tr>";
    // Backoff delays are seconds long and would flatten every other bar: table only.
    if (nh.h != &s.reconnect_delay) chart.groups.push_back({nh.name, {p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms}});
  }
  o << "</table>";
  if (!chart.groups.empty()) o << "<div class=\"wide\">" << svg::bar_chart(chart) << "</div>";
}

void phases(std::ostream& o, const RunReport& r) {
  if (r.phases.empty()) return;
  o << "<h2>Phases</h2><table class=\"phases\"><tr><th>phase</th><th>type</th><th>start s</th><th>end s</th>"
       "<th>connects</th><th>drops</th><th>publishes sent</th><th>rate requested</th><th>rate achieved</th>"
       "<th>error %</th><th>p99 ack ms</th><th>p99 e2e ms</th></tr>";
  for (const auto& p : r.phases) {
    const auto& s = p.stats;
    o << "<tr><td>" << escape(p.name) << "</td><td>" << scenario::to_string(p.type) << "</td><td>"
      << num(p.start_s) << "</td><td>" << num(p.end_s) << "</td><td>" << s.connects_ok << "</td><td>" << s.drops
      << "</td><td>" << (s.publishes_sent[0] + s.publishes_sent[1] + s.publishes_sent[2]) << "</td><td>"
      << num(p.publish_rate.requested) << "</td><td>" << num(p.publish_rate.achieved) << "</td><td>"
      << num(p.publish_rate.error_percent) << "</td><td>" << num(percentiles_of(s.ack_latency).p99_ms, 3)
      << "</td><td>" << num(percentiles_of(s.e2e_latency).p99_ms, 3) << "</td></tr>";
  }
  o << "</table>";
}

void errors(std::ostream& o, const RunReport& r) {
  const auto& s = r.stats;
  o << "<h2>Errors by reason</h2><table class=\"errors\"><tr><th>reason</th><th>connect failures</th>"
       "<th>drops</th></tr>";
  bool any = false;
  for (std::size_t i = 1; i < device::kDropReasonCount; ++i) {
    if (s.connect_failed_by_reason[i] == 0 && s.drops_by_reason[i] == 0) continue;
    any = true;
    o << "<tr><td>" << device::to_string(static_cast<device::DropReason>(i)) << "</td><td>"
      << s.connect_failed_by_reason[i] << "</td><td>" << s.drops_by_reason[i] << "</td></tr>";
  }
  for (std::size_t i = 0; i < device::kPublishFailReasonCount; ++i) {
    if (s.publishes_failed[i] == 0) continue;
    any = true;
    o << "<tr><td>publish failed: " << device::to_string(static_cast<device::PublishFailReason>(i))
      << "</td><td colspan=\"2\">" << s.publishes_failed[i] << "</td></tr>";
  }
  if (!any) o << "<tr><td colspan=\"3\">none</td></tr>";
  o << "</table>";
  if (!r.books.empty()) {
    o << "<h3>Message books (QoS &ge; 1)</h3><table class=\"books\"><tr><th>QoS</th><th>requests</th><th>acked</th>"
         "<th>timed out</th><th>failed</th><th>pending</th><th>balanced</th></tr>";
    for (const auto& b : r.books)
      o << "<tr><td>" << b.qos << "</td><td>" << b.requests << "</td><td>" << b.acked << "</td><td>" << b.timed_out
        << "</td><td>" << b.failed << "</td><td>" << b.pending << "</td><td>" << (b.balanced ? "yes" : "NO")
        << "</td></tr>";
    o << "</table>";
  }
}

void cost(std::ostream& o, const RunReport& r) {
  const auto& c = r.cost;
  o << "<h2>fleetload's own cost</h2><table class=\"cost\"><tr><th>figure</th><th>value</th></tr>";
  row(o, "wall time", num(c.wall_s, 3) + " s");
  row(o, "CPU user / system", num(c.cpu_user_s, 3) + " s / " + num(c.cpu_system_s, 3) + " s");
  row(o, "CPU per 100k messages", num(c.cpu_s_per_100k_messages, 3) + " s");
  row(o, "peak RSS", count(c.peak_rss_bytes) + " bytes");
  row(o, "RSS per connected device", num(c.rss_per_connected_device_bytes, 0) + " bytes");
  o << "</table>";
}

std::string shard_text(const RunReport& r) {
  if (r.merged_shards.empty()) return "shard " + std::to_string(r.shard_k) + '/' + std::to_string(r.shard_n);
  std::string t = "merged shards ";
  for (std::size_t i = 0; i < r.merged_shards.size(); ++i) t += (i ? ", " : "") + std::to_string(r.merged_shards[i]);
  return t + " of " + std::to_string(r.shard_n);
}

// The badge says what the exit code says: PASS (green), FAIL (red), INCONCLUSIVE (grey),
// with the reasons, then every protocol anomaly that happened.
void verdict_badge(std::ostream& o, const RunReport& r) {
  const char* cls = to_string(r.verdict);
  const char* text = r.verdict == Verdict::Pass ? "PASS" : r.verdict == Verdict::Fail ? "FAIL" : "INCONCLUSIVE";
  o << "<p><span class=\"verdict " << cls << "\">" << text << "</span> ";
  if (r.verdict_reasons.empty()) {
    o << (r.thresholds.empty() ? "no thresholds set" : "all thresholds met");
  } else {
    for (std::size_t i = 0; i < r.verdict_reasons.size(); ++i) o << (i ? "; " : "") << escape(r.verdict_reasons[i]);
  }
  if (r.exit_reason != "completed") o << " (run " << escape(r.exit_reason) << ")";
  o << "</p>\n";
  const auto anomalies = anomalies_of(r.stats);
  if (anomalies.empty()) return;
  o << "<table class=\"anomalies\"><tr><th>protocol anomaly</th><th>count</th></tr>";
  for (const auto& a : anomalies) {
    o << "<tr class=\"failed\"><td>" << escape(std::string(a.counter)) << ": " << escape(std::string(a.label))
      << "</td><td>" << count(a.count) << "</td></tr>";
  }
  o << "</table>\n";
}

}  // namespace

void write_html_report(const RunReport& r, std::ostream& o) {
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
       "<title>fleetload report: "
    << escape(r.scenario_name) << "</title><style>" << kStyle << "</style></head><body>\n";
  o << "<h1>fleetload report: " << escape(r.scenario_name) << "</h1><p class=\"meta\">started "
    << escape(r.started_at_utc) << " &middot; fleetload " << escape(r.fleetload_version) << " &middot; "
    << (r.protocol == mqtt::Version::V5 ? "MQTT 5" : "MQTT 3.1.1") << " &middot; " << shard_text(r)
    << " &middot; run " << escape(r.exit_reason)
    << (r.failure.empty() ? "" : " (" + escape(r.failure) + ")") << "</p>";
  verdict_badge(o, r);
  summary(o, r);
  thresholds(o, r);
  time_series(o, r);
  latencies(o, r);
  phases(o, r);
  errors(o, r);
  cost(o, r);
  o << "<h2>Scenario</h2><details><summary>" << escape(r.scenario_source)
    << " (resolved, secrets masked)</summary><pre>" << escape(r.scenario_yaml) << "</pre></details>\n";
  o << "</body></html>\n";
}

std::string report_to_html(const RunReport& report) {
  std::ostringstream o;
  write_html_report(report, o);
  return o.str();
}

void write_html_report(const RunReport& report, const std::filesystem::path& path) {
  const std::string text = report_to_html(report);
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write the HTML report to " + path.string() + ": cannot open " + tmp.string());
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write the HTML report to " + path.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot write the HTML report to " + path.string() + ": " + ec.message());
}

}  // namespace fleetload::metrics
