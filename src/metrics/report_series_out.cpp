// CSV and NDJSON renderings of the report's time series.
#include "metrics/report_series_out.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <variant>

namespace fleetload::metrics {

namespace {

namespace json = boost::json;

// One cell: a measured number, a count, a text, or nothing (an interval without samples).
using Cell = std::variant<std::monostate, double, std::uint64_t, std::string>;

// The phase a sample belongs to: samples close an interval, so the phase running just
// before `t`; after the last phase, the stop.
std::string phase_at(const RunReport& r, double t) {
  std::string name;
  for (const auto& p : r.phases)
    if (p.start_s < t) name = p.name;
  if (!r.phases.empty() && t > r.phases.back().end_s + 1e-9) name = "stopping";
  return name;
}

Cell percentile(const SparseHistogram& h, double q) {
  if (h.count == 0) return std::monostate{};
  return static_cast<double>(h.expand().percentile(q)) / 1e6;
}

struct Column {
  const char* name;
  Cell (*value)(const RunReport&, const SeriesPoint&);
};

// The columns, in order. Rates are per second over the interval; levels at its end; latency
// percentiles in ms of the interval's own distribution.
const std::vector<Column>& columns() {
  static const std::vector<Column> all = {
      {"t_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.t_s; }},
      {"group", [](const RunReport&, const SeriesPoint&) -> Cell { return std::string("all"); }},
      {"phase", [](const RunReport& r, const SeriesPoint& p) -> Cell { return phase_at(r, p.t_s); }},
      {"connected", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.connected; }},
      {"connects_per_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.connects_per_s; }},
      {"connect_failures_per_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.connect_failures_per_s; }},
      {"drops_per_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.drops_per_s; }},
      {"reconnects_per_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.reconnects_per_s; }},
      {"backing_off", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.backing_off; }},
      {"publishes_per_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.publishes_per_s; }},
      {"publishes_requested_per_s",
       [](const RunReport&, const SeriesPoint& p) -> Cell { return p.publishes_requested_per_s; }},
      {"receives_per_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.receives_per_s; }},
      {"bytes_sent_per_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.bytes_sent_per_s; }},
      {"bytes_received_per_s", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.bytes_received_per_s; }},
      {"in_flight", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.in_flight; }},
      {"errors", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.errors; }},
      {"local_limit_errors", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.local_limit_errors; }},
      {"ack_count", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.ack_latency.count; }},
      {"ack_p50_ms", [](const RunReport&, const SeriesPoint& p) { return percentile(p.ack_latency, 0.50); }},
      {"ack_p99_ms", [](const RunReport&, const SeriesPoint& p) { return percentile(p.ack_latency, 0.99); }},
      {"e2e_count", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.e2e_latency.count; }},
      {"e2e_p50_ms", [](const RunReport&, const SeriesPoint& p) { return percentile(p.e2e_latency, 0.50); }},
      {"e2e_p99_ms", [](const RunReport&, const SeriesPoint& p) { return percentile(p.e2e_latency, 0.99); }},
      {"connect_count", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.connect_duration.count; }},
      {"connect_p50_ms", [](const RunReport&, const SeriesPoint& p) { return percentile(p.connect_duration, 0.50); }},
      {"connect_p99_ms", [](const RunReport&, const SeriesPoint& p) { return percentile(p.connect_duration, 0.99); }},
      {"cpu_cores", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.cpu_cores; }},
      {"rss_bytes", [](const RunReport&, const SeriesPoint& p) -> Cell { return p.rss_bytes; }},
  };
  return all;
}

// Shortest text that reads back as the same double (std::to_chars), never localised.
std::string number_text(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

// RFC 4180: quote a field holding a comma, quote or line break; double the quotes.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_cell(const Cell& c) {
  if (const auto* d = std::get_if<double>(&c)) return std::isfinite(*d) ? number_text(*d) : "";
  if (const auto* u = std::get_if<std::uint64_t>(&c)) return std::to_string(*u);
  if (const auto* s = std::get_if<std::string>(&c)) return csv_field(*s);
  return "";
}

// Numbers as in the CSV (Boost.JSON would write 1.5 as "1.5E0"), strings JSON-escaped.
std::string json_cell(const Cell& c) {
  if (const auto* d = std::get_if<double>(&c)) return std::isfinite(*d) ? number_text(*d) : "null";
  if (const auto* u = std::get_if<std::uint64_t>(&c)) return std::to_string(*u);
  if (const auto* s = std::get_if<std::string>(&c)) return json::serialize(json::string(*s));
  return "null";
}

}  // namespace

const char* to_string(SeriesFormat f) noexcept {
  switch (f) {
    case SeriesFormat::Csv: return "csv";
    case SeriesFormat::Ndjson: return "ndjson";
  }
  return "?";
}

std::optional<SeriesOutput> parse_series_output(std::string_view text) {
  for (auto f : {SeriesFormat::Csv, SeriesFormat::Ndjson}) {
    const std::string prefix = std::string(to_string(f)) + "=";
    if (text.substr(0, prefix.size()) == prefix && text.size() > prefix.size())
      return SeriesOutput{f, std::filesystem::path(std::string(text.substr(prefix.size())))};
  }
  return std::nullopt;
}

const std::vector<std::string>& series_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& c : columns()) v.emplace_back(c.name);
    return v;
  }();
  return names;
}

std::string series_csv(const RunReport& r) {
  std::string out;
  for (std::size_t i = 0; i < columns().size(); ++i) out += (i ? "," : "") + std::string(columns()[i].name);
  out += "\r\n";
  for (const auto& p : r.series) {
    for (std::size_t i = 0; i < columns().size(); ++i) out += (i ? "," : "") + csv_cell(columns()[i].value(r, p));
    out += "\r\n";
  }
  return out;
}

std::string series_ndjson(const RunReport& r) {
  std::string out;
  for (const auto& p : r.series) {
    out += '{';
    for (std::size_t i = 0; i < columns().size(); ++i) {
      if (i) out += ',';
      out += '"';
      out += columns()[i].name;
      out += "\":";
      out += json_cell(columns()[i].value(r, p));
    }
    out += "}\n";
  }
  return out;
}

void write_series(const RunReport& report, const SeriesOutput& o) {
  const std::string text = o.format == SeriesFormat::Csv ? series_csv(report) : series_ndjson(report);
  const std::string what = std::string("cannot write the ") + to_string(o.format) + " series to " + o.path.string();
  std::error_code ec;
  if (o.path.has_parent_path()) std::filesystem::create_directories(o.path.parent_path(), ec);
  std::filesystem::path tmp = o.path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error(what + ": cannot open " + tmp.string());
    f << text;
    f.flush();
    if (!f) throw std::runtime_error(what);
  }
  std::filesystem::rename(tmp, o.path, ec);
  if (ec) throw std::runtime_error(what + ": " + ec.message());
}

}  // namespace fleetload::metrics
