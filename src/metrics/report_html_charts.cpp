// The HTML report's chart data: per-interval series from the report model, as JSON.
#include "metrics/report_html_charts.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <functional>
#include <optional>

#include "metrics/reconnect_theory.hpp"

namespace fleetload::metrics {

namespace json = boost::json;

namespace {

constexpr const char* kDelayChart = "chart-reconnect-delay";

// Five significant digits are plenty for a chart and keep a long run's page small.
double round_sig(double v, int sig = 5) {
  if (v == 0 || !std::isfinite(v)) return v;
  const int k = sig - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v))));
  if (k >= 0) {
    const double p = std::pow(10.0, k);
    return std::round(v * p) / p;
  }
  const double q = std::pow(10.0, -k);
  return std::round(v / q) * q;
}

struct Line {
  std::string label;
  const char* color;
  std::vector<std::optional<double>> values;
  bool dash = false;
  bool right = false;  // on the right-hand axis (the chart's right_unit)
};

json::value values_json(const std::vector<std::optional<double>>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& x : v) {
    if (x && std::isfinite(*x)) a.emplace_back(round_sig(*x));
    else a.emplace_back(nullptr);
  }
  return a;
}

json::array lines_json(const std::vector<Line>& lines) {
  json::array out;
  for (const auto& l : lines)
    out.push_back(json::object{{"label", l.label}, {"color", l.color}, {"dash", l.dash}, {"right", l.right},
                               {"values", values_json(l.values)}});
  return out;
}

struct Chart {
  const char* id;
  const char* title;
  const char* note;        // one line under the title: what is drawn, how to read it
  const char* unit;        // left axis
  const char* right_unit;  // right axis ("" = none)
  bool log = false;
  std::vector<Line> lines;
};

template <class F>
std::vector<std::optional<double>> column(const RunReport& r, F&& f) {
  std::vector<std::optional<double>> v;
  v.reserve(r.series.size());
  for (const auto& p : r.series) v.emplace_back(f(p));
  return v;
}

std::vector<std::optional<double>> constant(const RunReport& r, double value) {
  return std::vector<std::optional<double>>(r.series.size(), value);
}

// p50 and p99 of one interval distribution per point, a gap where it had no samples.
std::vector<Line> percentile_lines(const RunReport& r, SparseHistogram SeriesPoint::*h, const char* color) {
  Line p50{"p50", color, {}, true}, p99{"p99", color, {}};
  for (const auto& p : r.series) {
    const SparseHistogram& s = p.*h;
    if (s.count == 0) {
      p50.values.emplace_back();
      p99.values.emplace_back();
      continue;
    }
    const Percentiles q = percentiles_of(s.expand());
    p50.values.emplace_back(q.p50_ms);
    p99.values.emplace_back(q.p99_ms);
  }
  return {p50, p99};
}

// The series counts local-limit errors per interval; per second like its neighbours.
std::vector<std::optional<double>> local_limit_rate(const RunReport& r) {
  std::vector<std::optional<double>> v;
  double prev = 0.0;
  for (const auto& p : r.series) {
    const double dt = p.t_s - prev;
    v.emplace_back(dt > 0 ? static_cast<double>(p.local_limit_errors) / dt : 0.0);
    prev = p.t_s;
  }
  return v;
}

// A search's steps over time: each interval inside a step's window gets the step's value
// and achieved figure, the rest a gap.
std::vector<Line> search_lines(const RunReport& r) {
  Line value{"step value", "#9467bd", {}, true}, achieved{"achieved", "#2ca02c", {}};
  for (const auto& p : r.series) {
    const SearchStep* in = nullptr;
    if (r.search)
      for (const auto& st : r.search->steps)
        if (p.t_s > st.window_start_s && p.t_s <= st.window_end_s + 1e-9) in = &st;
    value.values.push_back(in ? std::optional<double>(in->value) : std::nullopt);
    achieved.values.push_back(in ? std::optional<double>(in->achieved) : std::nullopt);
  }
  return {value, achieved};
}

std::vector<Chart> time_charts(const RunReport& r) {
  std::vector<Chart> c;
  c.push_back({"chart-connected", "Connected devices",
               "devices with an accepted MQTT connection at each sample, against the devices this report covers",
               "count", "", false,
               // The reference first, so the measured line draws over it where they meet.
               {{"target", "#7f7f7f", constant(r, static_cast<double>(r.devices)), true},
                {"connected", "#1f77b4", column(r, [](const SeriesPoint& p) { return double(p.connected); })}}});
  c.push_back({"chart-connects", "Connects and connect failures per second",
               "accepting CONNACKs per second; failed connect attempts (refused, timed out, transport failed) per "
               "second under their own name; of those, the ones caused by this machine's limits",
               "per_s", "", false,
               {{"accepted", "#2ca02c", column(r, [](const SeriesPoint& p) { return p.connects_per_s; })},
                {"connect failures", "#d62728", column(r, [](const SeriesPoint& p) { return p.connect_failures_per_s; })},
                {"local-limit errors", "#8c564b", local_limit_rate(r), true}}});
  c.push_back({"chart-drops", "Drops, reconnects and devices backing off",
               "established connections lost per second (churn included) and reconnect attempts started per "
               "second (left); devices waiting out their reconnect delay (right)",
               "per_s", "count", false,
               {{"drops", "#d62728", column(r, [](const SeriesPoint& p) { return p.drops_per_s; })},
                {"reconnects", "#ff7f0e", column(r, [](const SeriesPoint& p) { return p.reconnects_per_s; })},
                {"backing off", "#8c564b", column(r, [](const SeriesPoint& p) { return double(p.backing_off); }), true,
                 true}}});
  c.push_back({"chart-publish", "Publishes per second vs requested",
               "PUBLISH packets sent per second, against what the scenario asked of these devices over the same "
               "interval (during the ramp only the publishers started so far)",
               "per_s", "", false,
               {{"requested", "#7f7f7f", column(r, [](const SeriesPoint& p) { return p.publishes_requested_per_s; }),
                 true},
                {"sent", "#ff7f0e", column(r, [](const SeriesPoint& p) { return p.publishes_per_s; })}}});
  c.push_back({"chart-receive", "Receives per second", "PUBLISH packets received on subscriptions per second",
               "per_s", "", false,
               {{"received", "#9467bd", column(r, [](const SeriesPoint& p) { return p.receives_per_s; })}}});
  c.push_back({"chart-bytes", "Bytes per second", "MQTT bytes handed to and received from the transports",
               "bytes_per_s", "", false,
               {{"sent", "#17becf", column(r, [](const SeriesPoint& p) { return p.bytes_sent_per_s; })},
                {"received", "#bcbd22", column(r, [](const SeriesPoint& p) { return p.bytes_received_per_s; })}}});
  c.push_back({"chart-inflight", "QoS 1/2 publishes in flight",
               "publishes sent and not yet acknowledged, at each sample", "count", "", false,
               {{"in flight", "#e377c2", column(r, [](const SeriesPoint& p) { return double(p.in_flight); })}}});
  c.push_back({"chart-latency-ack", "Publish-to-ack latency per interval",
               "p50 (dashed) and p99 of the PUBLISH to PUBACK/PUBCOMP times of each interval; log scale; a gap is "
               "an interval without acks",
               "ms", "", true, percentile_lines(r, &SeriesPoint::ack_latency, "#f28e2b")});
  c.push_back({"chart-latency-e2e", "End-to-end latency per interval",
               "p50 (dashed) and p99 of publisher send time to subscriber receive time, per interval; log scale",
               "ms", "", true, percentile_lines(r, &SeriesPoint::e2e_latency, "#4e79a7")});
  c.push_back({"chart-latency-connect", "Connect latency per interval",
               "p50 (dashed) and p99 of CONNECT sent to accepting CONNACK, per interval; log scale", "ms", "", true,
               percentile_lines(r, &SeriesPoint::connect_duration, "#59a14f")});
  c.push_back({"chart-search", "Capacity search: each step's value and what it achieved",
               "the value each step of the search applied (dashed) and what its measurement window achieved of it, "
               "over the step's window; empty outside a search",
               r.search && r.search->search.vary == scenario::SearchVary::Devices ? "count" : "per_s", "", false,
               search_lines(r)});
  c.push_back({"chart-cost", "fleetload's own CPU and memory",
               "CPU time of this process per second (100% = one core busy; left) and its resident memory (right)",
               "cores", "bytes", false,
               {{"CPU", "#7f3c8d", column(r, [](const SeriesPoint& p) { return p.cpu_cores; })},
                {"RSS", "#3969ac", column(r, [](const SeriesPoint& p) { return double(p.rss_bytes); }), false, true}}});
  return c;
}

json::object delays_json(const RunReport& r) {
  const ReconnectDelayComparison cmp = compare_reconnect_delays(r.stats.reconnect_delay, r.reconnect);
  std::vector<Line> lines;
  if (!cmp.observed.empty()) {
    Line o{"observed (" + std::to_string(cmp.observed_count) + " delays)", "#d62728", {}};
    for (double v : cmp.observed) o.values.emplace_back(v);
    lines.push_back(std::move(o));
  }
  static const char* const kColors[] = {"#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"};
  for (std::size_t k = 0; k < cmp.theory.size(); ++k) {
    Line t{"theory: " + cmp.theory[k].label, kColors[k % 6], {}, true};
    for (double v : cmp.theory[k].share) t.values.emplace_back(v);
    lines.push_back(std::move(t));
  }
  std::string note = "share of reconnect delays up to each value: the delays the devices chose (observed) against "
                     "the configured backoff, one curve per attempt in a row (attempt 1 follows a reset, attempt 2 "
                     "one failed reconnect, ...)";
  if (!cmp.formula.empty()) note += "; " + cmp.formula;
  if (cmp.observed.empty()) note += "; no reconnects in this run";
  json::array x;
  for (double v : cmp.x_s) x.emplace_back(round_sig(v));
  return json::object{{"id", kDelayChart}, {"title", "Reconnect delays: observed vs the configured backoff"},
                      {"note", note}, {"unit", "share"}, {"x_unit", "seconds"}, {"x", std::move(x)},
                      {"series", lines_json(lines)}};
}

constexpr const char* kSearchChart = "chart-search-criteria";
constexpr const char* kSearchTitle = "Capacity search: each criterion against the value";

// Each criterion of a search, measured at each step value (ascending; a value run twice
// shows its last step), as a share of its limit: 1 is the limit, so the knee is where the
// lines cross it. The sustainable value and the first failing one are marked.
json::object search_criteria_json(const RunReport& r) {
  std::vector<const SearchStep*> steps;
  if (r.search)
    for (const auto& st : r.search->steps) steps.push_back(&st);
  std::stable_sort(steps.begin(), steps.end(), [](const SearchStep* a, const SearchStep* b) { return a->value < b->value; });
  std::vector<double> xs;
  std::vector<const SearchStep*> at;  // the step shown at each x
  for (const auto* st : steps) {
    if (!xs.empty() && xs.back() == st->value) {
      at.back() = st;
      continue;
    }
    xs.push_back(st->value);
    at.push_back(st);
  }
  std::vector<std::string> names;
  for (const auto* st : steps)
    for (const auto& c : st->criteria)
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  static const char* const kColors[] = {"#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#8c564b", "#17becf"};
  std::vector<Line> lines;
  for (std::size_t k = 0; k < names.size(); ++k) {
    Line l{names[k] + " / its limit", kColors[k % 6], {}};
    for (const auto* st : at) {
      std::optional<double> v;
      for (const auto& c : st->criteria)
        if (c.name == names[k] && c.measured && c.limit != 0.0) v = c.value / c.limit;
      l.values.push_back(v);
    }
    lines.push_back(std::move(l));
  }
  Line limit{"limit", "#7f7f7f", std::vector<std::optional<double>>(xs.size(), 1.0), true};
  if (!names.empty()) lines.push_back(std::move(limit));
  const auto mark = [&](const char* label, const char* color, std::optional<double> where) {
    Line m{label, color, {}};
    for (double x : xs) m.values.push_back(where && x == *where ? std::optional<double>(1.0) : std::nullopt);
    if (where) lines.push_back(std::move(m));
  };
  if (r.search) {
    mark("sustainable (knee)", "#2ca02c", r.search->summary.sustainable);
    mark("first failing", "#d62728", r.search->summary.first_failing);
  }
  json::array x;
  for (double v : xs) x.emplace_back(round_sig(v));
  const bool devices = r.search && r.search->search.vary == scenario::SearchVary::Devices;
  return json::object{{"id", kSearchChart}, {"title", kSearchTitle},
                      {"note", "each criterion's measurement over its limit at every value the search ran (1 = the "
                               "limit: above it a <= criterion breaks, below it a >= one); dots mark the sustainable "
                               "value and the first failing one; empty without a search"},
                      {"unit", "count"}, {"x_unit", devices ? "count" : "per_s"}, {"x_label", "value"},
                      {"x", std::move(x)}, {"series", lines_json(lines)}};
}

// '<', '>' and '&' appear only inside JSON strings; as \u escapes they cannot end the
// <script> element or start a comment, and JSON.parse reads them back unchanged.
std::string script_safe(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

}  // namespace

const std::vector<ChartInfo>& report_charts() {
  static const std::vector<ChartInfo> all = [] {
    std::vector<ChartInfo> v;
    for (const auto& c : time_charts(RunReport{})) v.push_back({c.id, c.title});
    v.push_back({kDelayChart, "Reconnect delays: observed vs the configured backoff"});
    v.push_back({kSearchChart, kSearchTitle});
    return v;
  }();
  return all;
}

std::string chart_data_json(const RunReport& r) {
  json::array t;
  t.reserve(r.series.size());
  for (const auto& p : r.series) t.emplace_back(round_sig(p.t_s));
  json::array phases;
  for (const auto& p : r.phases)
    phases.push_back(json::object{{"name", p.name}, {"type", scenario::to_string(p.type)},
                                  {"start", round_sig(p.start_s)}, {"end", round_sig(p.end_s)}});
  json::array charts;
  for (const auto& c : time_charts(r))
    charts.push_back(json::object{{"id", c.id}, {"title", c.title}, {"note", c.note}, {"unit", c.unit},
                                  {"right_unit", c.right_unit}, {"log", c.log}, {"series", lines_json(c.lines)}});
  const json::object doc{{"t", std::move(t)}, {"phases", std::move(phases)}, {"charts", std::move(charts)},
                         {"delays", delays_json(r)}, {"search", search_criteria_json(r)}};
  return script_safe(json::serialize(doc));
}

}  // namespace fleetload::metrics
