// The HTML run report: one file, readable offline and in a CI artifact. Tables are written
// here; the charts are drawn in the browser by the vendored uPlot from a JSON block
// (report_html_charts.cpp), both inlined, so the page fetches nothing.
#include "metrics/report_html.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "metrics/anomalies.hpp"
#include "metrics/report_share.hpp"
#include "metrics/format.hpp"
#include "metrics/html_escape.hpp"
#include "metrics/report_assets.hpp"
#include "metrics/report_html_aws.hpp"
#include "metrics/report_html_charts.hpp"
#include "metrics/report_html_provisioning.hpp"

namespace fleetload::metrics {
namespace {

std::string escape(std::string_view s) { return html_escape(s); }

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#222;background:#fafafa}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #ddd}
.meta{color:#555}.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:bold;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}.inconclusive{background:#757575}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#eee}td:first-child,th:first-child{text-align:left}
tr.failed td{background:#fdecea}
pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto}
)";

// Layout added with the charts: later rules refine the base style above.
constexpr const char* kChartStyle = R"(
body{padding:0 16px}table{max-width:100%}td,th{padding:3px 7px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px;margin-top:8px}
.chart{background:#fff;border:1px solid #ddd;padding:8px;min-width:0;overflow:hidden}
.chart .u-title{font-size:14px;font-weight:600;text-align:left;padding-left:4px}
.chart .u-legend{font-size:12px;text-align:left}.chart .u-legend th{background:none;border:0;font-weight:500}
.chart .u-legend td{border:0}.chart .note{font-size:12px;color:#666;margin:4px 4px 0}
.chart .empty{color:#999;margin:40px 4px;text-align:center}.wide{grid-column:1/-1}
.hint{color:#666;font-size:13px}.num{font-variant-numeric:tabular-nums}
.tables{display:flex;flex-wrap:wrap;gap:0 24px}table.phases,table.latency{font-size:14px}
table.phases th,table.latency th{white-space:normal}td.num{white-space:nowrap}.type{color:#888;font-size:12px}
table.phases,table.groups{display:block;max-width:100%;overflow-x:auto}
@media (max-width:700px){.charts{grid-template-columns:1fr}}
)";

std::string count(std::uint64_t v) { return human::count(v); }

void row(std::ostream& o, const std::string& name, const std::string& value) {
  o << "<tr><td>" << escape(name) << "</td><td class=\"num\">" << escape(value) << "</td></tr>";
}

std::uint64_t sent_total(const device::StatsSnapshot& s) {
  return s.publishes_sent[0] + s.publishes_sent[1] + s.publishes_sent[2];
}

void summary(std::ostream& o, const RunReport& r) {
  const auto& s = r.stats;
  o << "<h2>Summary</h2><div class=\"tables\"><table class=\"summary\"><tr><th>fleet</th><th>value</th></tr>";
  row(o, "devices (this report)", count(r.devices));
  row(o, "worker threads", std::to_string(r.threads));
  row(o, "peak connected", count(r.peak_connected));
  row(o, "connected at end", human::count(r.connected_at_end));
  row(o, "time to all connected", r.time_to_all_connected_s ? human::duration(*r.time_to_all_connected_s) : "never");
  row(o, "connect attempts", count(s.connect_attempts));
  row(o, "connects accepted", count(s.connects_ok));
  row(o, "connect failures", count(s.connect_failures));
  row(o, "drops", count(s.drops));
  row(o, "reconnects", count(s.reconnects));
  row(o, "errors from local limits", count(r.local_limit_errors));
  row(o, "local faults (identity, encoding)", count(r.local_errors));
  row(o, "errors from the broker", count(r.broker_errors));
  o << "</table><table class=\"summary\"><tr><th>messages</th><th>value</th></tr>";
  row(o, "publish rate requested", human::rate(r.publish_rate.requested));
  row(o, "publish rate achieved", human::rate(r.publish_rate.achieved));
  row(o, "publish rate error", human::signed_percent(r.publish_rate.error_percent));
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
  row(o, "duplicates (QoS 1 allowed)", count(s.messages_duplicated_qos1));
  row(o, "of lost, at QoS 0 (allowed)", count(s.messages_lost_qos0));
  row(o, "not yet delivered at stop", count(s.messages_not_yet_delivered));
  row(o, "from an earlier run", count(s.messages_from_earlier_run));
  row(o, "retained received", count(s.retained_received));
  row(o, "messages out of order", count(s.messages_out_of_order));
  row(o, "bytes sent", human::bytes(static_cast<double>(s.bytes_sent)));
  row(o, "bytes received", human::bytes(static_cast<double>(s.bytes_received)));
  o << "</table></div>";
}

void thresholds(std::ostream& o, const RunReport& r) {
  o << "<h2>Thresholds</h2>";
  bool group_thresholds = false;
  for (const auto& g : r.groups) group_thresholds = group_thresholds || !g.thresholds.empty();
  if (r.thresholds.empty() && !group_thresholds) {
    o << "<p>No thresholds in the scenario.</p>";
    return;
  }
  o << "<table class=\"thresholds\"><tr><th>metric</th><th>rule</th><th>measured</th><th>result</th></tr>";
  // The fleet's thresholds, then each group's, named "group: metric".
  std::vector<std::pair<std::string, const ThresholdResult*>> all;
  for (const auto& t : r.thresholds) all.emplace_back(t.metric, &t);
  for (const auto& g : r.groups)
    for (const auto& t : g.thresholds) all.emplace_back(g.name + ": " + t.metric, &t);
  for (const auto& [metric, tp] : all) {
    const ThresholdResult& t = *tp;
    o << "<tr" << (t.passed ? "" : " class=\"failed\"") << "><td>" << escape(metric) << "</td><td>"
      << escape(t.text.empty() ? t.op + " " + human::in_unit(t.limit, t.unit) : t.text) << "</td><td class=\"num\">"
      << (t.measured ? escape(human::in_unit(t.value, t.unit)) : "not measured: " + escape(t.reason)) << "</td><td>"
      << (t.verdict() == Verdict::Pass ? "pass" : t.verdict() == Verdict::Fail ? "FAIL" : "inconclusive") << "</td></tr>";
  }
  o << "</table>";
}

// Per group, when the scenario has groups (one implicit group would repeat the summary).
void groups(std::ostream& o, const RunReport& r) {
  if (r.groups.size() < 2) return;
  auto p99 = [](const device::HistogramSnapshot& h) {
    return h.count ? human::duration_ms(percentiles_of(h).p99_ms) : std::string("-");
  };
  o << "<h2>Groups</h2><table class=\"groups\"><tr><th>group</th><th>devices</th><th>connects</th>"
       "<th>connect failures</th><th>drops</th><th>publish rate requested</th><th>achieved</th><th>books</th>"
       "<th>received</th><th>lost</th><th>duplicates</th><th>p99 ack</th><th>p99 e2e</th><th>verdict</th></tr>";
  for (const auto& g : r.groups) {
    const auto& s = g.stats;
    bool balanced = true;
    for (const auto& b : g.books) balanced = balanced && b.balanced;
    o << "<tr" << (g.verdict == Verdict::Fail ? " class=\"failed\"" : "") << "><td>" << escape(g.name) << "</td>"
      << "<td class=\"num\">" << count(g.devices) << "</td><td class=\"num\">" << count(s.connects_ok)
      << "</td><td class=\"num\">" << count(s.connect_failures) << "</td><td class=\"num\">" << count(s.drops)
      << "</td><td class=\"num\">" << escape(human::rate(g.publish_rate.requested)) << "</td><td class=\"num\">"
      << escape(human::rate(g.publish_rate.achieved)) << "</td><td>"
      << (g.books.empty() ? "-" : balanced ? "balanced" : "NOT BALANCED") << "</td><td class=\"num\">"
      << count(s.messages_received) << "</td><td class=\"num\">" << count(s.messages_lost)
      << "</td><td class=\"num\">" << count(s.messages_duplicated) << "</td><td class=\"num\">"
      << p99(s.ack_latency) << "</td><td class=\"num\">" << p99(s.e2e_latency) << "</td><td>"
      << (g.thresholds.empty() ? "-" : to_string(g.verdict)) << "</td></tr>";
  }
  o << "</table>";
}

// Per publish stream, when there are several: each its own rate and books.
void streams(std::ostream& o, const RunReport& r) {
  if (r.streams.size() < 2) return;
  using K = device::StreamCount;
  o << "<h2>Publish streams</h2><table class=\"groups\"><tr><th>stream</th><th>requested</th><th>sent</th>"
       "<th>acked</th><th>failed</th><th>received</th><th>lost</th><th>duplicates</th><th>out of order</th></tr>";
  for (std::size_t id = 0; id < r.streams.size(); ++id) {
    const auto c = [&](K k) { return count(r.stats.stream_count(static_cast<std::uint32_t>(id), k)); };
    const double req = id < r.stream_requested_rate.size() ? r.stream_requested_rate[id] : 0.0;
    const bool bad = r.stats.stream_count(static_cast<std::uint32_t>(id), K::Lost) > 0;
    o << "<tr" << (bad ? " class=\"failed\"" : "") << "><td>" << escape(r.streams[id]) << "</td><td class=\"num\">"
      << escape(human::rate(req)) << "</td><td class=\"num\">" << c(K::Sent) << "</td><td class=\"num\">"
      << c(K::Acked) << "</td><td class=\"num\">" << c(K::Failed) << "</td><td class=\"num\">" << c(K::Received)
      << "</td><td class=\"num\">" << c(K::Lost) << "</td><td class=\"num\">" << c(K::Duplicated)
      << "</td><td class=\"num\">" << c(K::OutOfOrder) << "</td></tr>";
  }
  o << "</table>";
}

// One box per chart; the chart script fills it (or says "no samples").
void chart_box(std::ostream& o, const ChartInfo& c, bool wide = false) {
  o << "<div class=\"chart" << (wide ? " wide" : "") << "\" id=\"" << c.id << "\" role=\"img\" aria-label=\""
    << escape(c.title) << "\"></div>";
}

void time_series(std::ostream& o, const RunReport& r) {
  o << "<h2>Over time</h2><p class=\"hint\">One point per progress interval";
  if (!r.series.empty()) o << " (" << count(r.series.size()) << " intervals)";
  o << ". Shaded bands are the phases. Drag across a chart to zoom (every time chart follows), double-click "
       "to zoom out; hover for the values.</p>"
       "<noscript><p>The charts are drawn by the script inlined in this file; enable JavaScript to see "
       "them.</p></noscript><div class=\"charts\">";
  for (const auto& c : report_charts())
    if (std::string_view(c.id) != "chart-reconnect-delay" && std::string_view(c.id) != "chart-search-criteria")
      chart_box(o, c);
  o << "</div>";
}

// The capacity search: its answer, the step table and the criteria against the value (the
// chart's box is there, hidden, without a search: every chart has one box).
void search(std::ostream& o, const RunReport& r) {
  auto box = [&o] {
    for (const auto& c : report_charts())
      if (std::string_view(c.id) == "chart-search-criteria") chart_box(o, c, true);
  };
  if (!r.search) {
    o << "<div class=\"charts\" hidden>";
    box();
    o << "</div>";
    return;
  }
  const auto& q = *r.search;
  const auto fmtv = [&q](double v) { return escape(format_search_value(q.search.vary, v)); };
  o << "<h2>Capacity search</h2><p>" << escape(std::string(scenario::to_string(q.search.vary)))
    << (q.search.group.empty() ? "" : " of group " + escape(q.search.group)) << ": sustainable <b>"
    << (q.summary.sustainable ? fmtv(*q.summary.sustainable) : std::string("none")) << "</b>, first failing "
    << (q.summary.first_failing ? fmtv(*q.summary.first_failing) : std::string("none"));
  if (!q.summary.broken_by.empty()) {
    o << " (broken by";
    for (const auto& b : q.summary.broken_by) o << " " << escape(b);
    o << ")";
  }
  o << "; " << escape(q.stop_reason) << ".</p><table class=\"phases\"><tr><th>step</th><th>kind</th><th>value</th>"
       "<th>achieved</th><th>window</th><th>verdict</th><th>criteria</th></tr>";
  for (const auto& st : q.steps) {
    std::string crit;
    for (const auto& c : st.criteria) crit += (crit.empty() ? "" : "; ") + c.name + ": " + c.detail;
    o << "<tr" << (st.verdict == Verdict::Fail ? " class=\"failed\"" : "") << "><td class=\"num\">" << st.index + 1
      << "</td><td>" << to_string(st.kind) << "</td><td class=\"num\">" << fmtv(st.value) << "</td><td class=\"num\">"
      << fmtv(st.achieved) << "</td><td class=\"num\">" << escape(human::duration(st.window_start_s)) << " \u2013 "
      << escape(human::duration(st.window_end_s)) << "</td><td>" << to_string(st.verdict)
      << (st.collapse ? " (collapse)" : "") << "</td><td>" << escape(crit) << "</td></tr>";
  }
  o << "</table><div class=\"charts\">";
  box();
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
  o << "<h2>Latency</h2><table class=\"latency\"><tr><th>what</th><th>count</th><th>min</th><th>mean</th>"
       "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>";
  bool any = false;
  for (const auto& nh : all) {
    if (nh.h->count == 0) continue;
    any = true;
    const Percentiles p = percentiles_of(*nh.h);
    o << "<tr><td>" << nh.name << "</td><td class=\"num\">" << count(p.count) << "</td>";
    for (double v : {p.min_ms, p.mean_ms, p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms})
      o << "<td class=\"num\">" << human::duration_ms(v) << "</td>";
    o << "</tr>";
  }
  if (!any) o << "<tr><td colspan=\"9\">nothing measured</td></tr>";
  o << "</table>";
}

void reconnect_delays(std::ostream& o) {
  o << "<h2>Reconnect delays</h2><div class=\"charts\">";
  for (const auto& c : report_charts())
    if (std::string_view(c.id) == "chart-reconnect-delay") chart_box(o, c, true);
  o << "</div>";
}

void phases(std::ostream& o, const RunReport& r) {
  if (r.phases.empty()) return;
  o << "<h2>Phases</h2><table class=\"phases\"><tr><th>phase</th><th>time</th><th>connects</th><th>drops</th>"
       "<th>publishes</th><th>publish rate achieved of requested</th><th>rate error</th><th>p99 ack</th>"
       "<th>p99 e2e</th></tr>";
  for (const auto& p : r.phases) {
    const auto& s = p.stats;
    // A figure with nothing behind it (no ack, no delivery, no publishing asked of the
    // phase) reads "not measured", never a 0 that looks like a result.
    const std::string none = "not measured";
    auto p99 = [&none](const device::HistogramSnapshot& h) {
      return h.count ? human::duration_ms(percentiles_of(h).p99_ms) : none;
    };
    const bool rated = p.publish_rate.requested > 0;
    o << "<tr><td>" << escape(p.name) << " <span class=\"type\">" << scenario::to_string(p.type)
      << "</span></td><td class=\"num\">" << human::duration(p.start_s) << " &ndash; " << human::duration(p.end_s)
      << "</td><td class=\"num\">" << count(s.connects_ok) << "</td><td class=\"num\">" << count(s.drops)
      << "</td><td class=\"num\">" << count(sent_total(s)) << "</td><td class=\"num\">"
      << (rated ? human::rate(p.publish_rate.achieved) + " of " + human::rate(p.publish_rate.requested) : none)
      << "</td><td class=\"num\">" << (rated ? human::signed_percent(p.publish_rate.error_percent) : none)
      << "</td><td class=\"num\">"
      << p99(s.ack_latency) << "</td><td class=\"num\">" << p99(s.e2e_latency) << "</td></tr>";
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
    o << "<tr><td>" << device::to_string(static_cast<device::DropReason>(i)) << "</td><td class=\"num\">"
      << count(s.connect_failed_by_reason[i]) << "</td><td class=\"num\">" << count(s.drops_by_reason[i])
      << "</td></tr>";
  }
  for (const auto& c : r.connect_failures) {
    any = true;
    o << "<tr><td>connect failed: " << escape(c.result) << "/" << escape(c.reason) << "</td><td class=\"num\">"
      << count(c.count) << "</td><td></td></tr>";
  }
  for (std::size_t i = 0; i < device::kPublishFailReasonCount; ++i) {
    if (s.publishes_failed[i] == 0) continue;
    any = true;
    o << "<tr><td>publish failed: " << device::to_string(static_cast<device::PublishFailReason>(i))
      << "</td><td colspan=\"2\" class=\"num\">" << count(s.publishes_failed[i]) << "</td></tr>";
  }
  if (!any) o << "<tr><td colspan=\"3\">none</td></tr>";
  o << "</table>";
  if (!r.tls_identity_error.empty()) o << "<p>identity error: " << escape(r.tls_identity_error) << "</p>";
  if (!r.websocket_error.empty()) o << "<p>WebSocket error: " << escape(r.websocket_error) << "</p>";
  if (!r.books.empty()) {
    o << "<h3>Message books (QoS &ge; 1)</h3><table class=\"books\"><tr><th>QoS</th><th>requests</th><th>acked</th>"
         "<th>timed out</th><th>failed</th><th>pending</th><th>balanced</th></tr>";
    for (const auto& b : r.books)
      o << "<tr><td>" << b.qos << "</td><td class=\"num\">" << count(b.requests) << "</td><td class=\"num\">"
        << count(b.acked) << "</td><td class=\"num\">" << count(b.timed_out) << "</td><td class=\"num\">"
        << count(b.failed) << "</td><td class=\"num\">" << count(b.pending) << "</td><td>"
        << (b.balanced ? "yes" : "NO") << "</td></tr>";
    o << "</table>";
  }
}

void cost(std::ostream& o, const RunReport& r) {
  const auto& c = r.cost;
  o << "<h2>fleetload's own cost</h2><table class=\"cost\"><tr><th>figure</th><th>value</th></tr>";
  row(o, "wall time", human::duration(c.wall_s));
  row(o, "CPU user / system", human::duration(c.cpu_user_s) + " / " + human::duration(c.cpu_system_s));
  row(o, "CPU per 100k messages", human::duration(c.cpu_s_per_100k_messages));
  row(o, "peak RSS", human::bytes(static_cast<double>(c.peak_rss_bytes)));
  row(o, "peak RSS per device", human::bytes(c.peak_rss_per_device_bytes));
  row(o, "RSS per connected device", human::bytes(c.rss_per_connected_device_bytes));
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
// What the SUBACKs granted per scenario filter against what was requested; rows where the
// broker granted less (or refused) are marked.
void subscription_grants(std::ostream& o, const device::StatsSnapshot& s) {
  bool any = false;
  for (std::size_t i = 0; i < s.suback_grants.size(); ++i) {
    if (s.suback_grants[i] == 0) continue;
    if (!any)
      o << "<table class=\"subscriptions\"><tr><th>filter</th><th>requested QoS</th><th>granted</th><th>count</th></tr>";
    any = true;
    const auto g = device::suback_grant_of(i);
    o << "<tr" << (g.granted < g.requested || g.granted == 3 ? " class=\"failed\"" : "") << "><td>" << g.filter
      << "</td><td>" << unsigned{g.requested} << "</td><td>"
      << (g.granted == 3 ? std::string("refused") : "QoS " + std::to_string(g.granted)) << "</td><td>"
      << count(s.suback_grants[i]) << "</td></tr>";
  }
  if (any) o << "</table>\n";
}

void verdict_badge(std::ostream& o, const RunReport& r) {
  const char* cls = to_string(r.verdict);
  const char* text = r.verdict == Verdict::Pass ? "PASS" : r.verdict == Verdict::Fail ? "FAIL" : "INCONCLUSIVE";
  o << "<p><span class=\"verdict " << cls << "\">" << text << "</span> ";
  if (r.verdict_reasons.empty() && r.search) {
    // A search's answer is the run's verdict; the thresholds over the whole run (every step,
    // passing and failing) do not decide it.
    const auto& q = *r.search;
    o << "capacity search: sustainable "
      << (q.summary.sustainable ? escape(format_search_value(q.search.vary, *q.summary.sustainable)) : "none")
      << " (the thresholds below are over the whole run; the search judged each step on its own)";
  } else if (r.verdict_reasons.empty()) {
    o << (r.thresholds.empty() ? "no thresholds set" : "all thresholds met");
  } else {
    for (std::size_t i = 0; i < r.verdict_reasons.size(); ++i) o << (i ? "; " : "") << escape(r.verdict_reasons[i]);
  }
  if (r.exit_reason != "completed") o << " (run " << escape(r.exit_reason) << ")";
  o << "</p>\n";
  subscription_grants(o, r.stats);
  // Each $share group's books across its members; one that got nothing it was owed is marked.
  if (!r.share_groups.empty()) {
    o << "<table class=\"share-groups\"><tr><th>$share group</th></tr>";
    for (const auto& g : r.share_groups)
      o << "<tr" << (g.nothing_delivered() || g.lost > 0 ? " class=\"failed\"" : "") << "><td>"
        << escape(share_group_line(g)) << "</td></tr>";
    o << "</table>\n";
  }
  const auto anomalies = anomalies_of(r.stats);
  if (anomalies.empty()) return;
  o << "<table class=\"anomalies\"><tr><th>protocol anomaly</th><th>count</th></tr>";
  for (const auto& a : anomalies) {
    o << "<tr class=\"failed\"><td>" << escape(std::string(a.counter)) << ": " << escape(std::string(a.label))
      << "</td><td>" << count(a.count) << "</td></tr>";
  }
  o << "</table>\n";
}

// The chart data, uPlot (with its licence, as MIT asks) and the chart script, inline.
void scripts(std::ostream& o, const RunReport& r) {
  o << "<script type=\"application/json\" id=\"fleetload-data\">" << chart_data_json(r) << "</script>\n";
  o << "<script>/* uPlot, https://github.com/leeoniya/uPlot\n" << assets::uplot_license() << "*/\n"
    << assets::uplot_js() << "\n</script>\n<script>" << assets::charts_js() << "</script>\n";
}
}  // namespace

void write_html_report(const RunReport& r, std::ostream& o) {
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
       "<title>fleetload report: "
    << escape(r.scenario_name) << "</title><style>" << kStyle << kChartStyle << assets::uplot_css()
    << "</style></head><body>\n";
  o << "<h1>fleetload report: " << escape(r.scenario_name) << "</h1><p class=\"meta\">started "
    << escape(r.started_at_utc) << " &middot; fleetload " << escape(r.fleetload_version) << " &middot; "
    << (r.protocol == mqtt::Version::V5 ? "MQTT 5" : "MQTT 3.1.1") << " &middot; " << shard_text(r)
    << " &middot; run " << escape(r.exit_reason)
    << (r.failure.empty() ? "" : " (" + escape(r.failure) + ")") << "</p>";
  verdict_badge(o, r);
  summary(o, r);
  thresholds(o, r);
  groups(o, r);
  streams(o, r);
  time_series(o, r);
  latencies(o, r);
  write_aws_sections(o, r);
  provisioning_html(o, r.stats);
  reconnect_delays(o);
  search(o, r);
  phases(o, r);
  errors(o, r);
  cost(o, r);
  o << "<h2>Scenario</h2><details><summary>" << escape(r.scenario_source)
    << " (resolved, secrets masked)</summary><pre>" << escape(r.scenario_yaml) << "</pre></details>\n";
  scripts(o, r);
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
