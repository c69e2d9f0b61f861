// `report diff` output: the text table on stdout, the JSON document and the HTML page.
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "metrics/format.hpp"
#include "metrics/html_escape.hpp"
#include "metrics/report_diff.hpp"

namespace fleetload::metrics {

namespace {

namespace json = boost::json;

std::string value_text(const DiffFigure& f, const std::optional<double>& v) {
  if (!v) return "-";
  if (f.unit == "verdict") return *v != 0 ? "pass" : "fail";
  return human::in_unit(*v, f.unit);
}

std::string change_text(const DiffFigure& f) {
  if (!f.change) return f.base.has_value() == f.now.has_value() ? "" : "not in both";
  if (*f.change == 0) return "=";
  if (f.unit == "verdict") return value_text(f, f.base) + " -> " + value_text(f, f.now);
  // Percentages and ratios change by percentage points, signed like any other change.
  std::string abs = f.unit == "percent" ? human::signed_percent(*f.change)
                    : f.unit == "ratio" ? human::signed_percent(*f.change * 100.0)
                                        : human::in_unit(*f.change, f.unit);
  if (*f.change > 0 && f.unit != "percent" && f.unit != "ratio") abs = "+" + abs;
  if (f.relative) abs += " (" + human::signed_percent(*f.relative * 100.0) + ")";
  return abs;
}

const char* status_text(const DiffFigure& f) {
  if (f.regression) return "WORSE";
  if (f.improvement) return "better";
  return "";
}

std::string pad_right(const std::string& s, std::size_t w) {
  const std::size_t c = human::columns(s);
  return c >= w ? s : s + std::string(w - c, ' ');
}
std::string pad_left(const std::string& s, std::size_t w) {
  const std::size_t c = human::columns(s);
  return c >= w ? s : std::string(w - c, ' ') + s;
}

std::string rule_text(const DiffOptions& o) {
  return "worse by more than " + human::percent(o.tolerance * 100.0) + " of BASE (or at all from 0); latency also by " +
         human::duration_ms(o.latency_floor_ms) + " or more";
}

json::value opt_json(const std::optional<double>& v) {
  if (v && std::isfinite(*v)) return *v;
  return nullptr;
}

}  // namespace

std::string diff_text(const ReportDiff& d) {
  std::string out = "\nfleetload report diff\n";
  out += "  BASE  " + d.base_source + ": " + d.base_about + "\n";
  out += "  NEW   " + d.new_source + ": " + d.new_about + "\n";
  out += "  WORSE = " + rule_text(d.options) + "\n";
  for (const auto& n : d.notes) out += "  note: " + n + "\n";

  struct Row {
    std::string section, name, base, now, change, status;
  };
  std::vector<Row> rows;
  for (const auto& f : d.figures) {
    if (!f.base && !f.now) continue;
    rows.push_back({f.section, f.name, value_text(f, f.base), value_text(f, f.now), change_text(f), status_text(f)});
  }
  Row head{"section", "figure", "BASE", "NEW", "change", ""};
  std::size_t w[5] = {human::columns(head.section), human::columns(head.name), human::columns(head.base),
                       human::columns(head.now), human::columns(head.change)};
  for (const auto& r : rows) {
    w[0] = std::max(w[0], human::columns(r.section));
    w[1] = std::max(w[1], human::columns(r.name));
    w[2] = std::max(w[2], human::columns(r.base));
    w[3] = std::max(w[3], human::columns(r.now));
    w[4] = std::max(w[4], human::columns(r.change));
  }
  auto line = [&](const Row& r) {
    std::string s = "  " + pad_right(r.section, w[0]) + "  " + pad_right(r.name, w[1]) + "  " + pad_left(r.base, w[2]) +
                    "  " + pad_left(r.now, w[3]) + "  " + pad_left(r.change, w[4]);
    if (!r.status.empty()) s += "  " + r.status;
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  out += "\n" + line(head);
  std::string last_section;
  for (auto r : rows) {
    if (r.section == last_section) r.section.clear();
    else last_section = r.section;
    out += line(r);
  }
  out += "\n  " + std::to_string(d.regressions) + (d.regressions == 1 ? " regression, " : " regressions, ") +
         std::to_string(d.improvements) + (d.improvements == 1 ? " improvement" : " improvements") + " of " +
         std::to_string(rows.size()) + " figures\n";
  if (d.regressions) {
    out += "  worse:";
    for (const auto& f : d.figures)
      if (f.regression) out += "\n    " + f.section + ": " + f.name + " " + change_text(f);
    out += "\n";
  }
  return out;
}

std::string diff_json(const ReportDiff& d) {
  json::array figures;
  for (const auto& f : d.figures) {
    figures.push_back(json::object{{"section", f.section},
                                   {"name", f.name},
                                   {"unit", f.unit},
                                   {"better", to_string(f.better)},
                                   {"base", opt_json(f.base)},
                                   {"new", opt_json(f.now)},
                                   {"change", opt_json(f.change)},
                                   {"relative", opt_json(f.relative)},
                                   {"regression", f.regression},
                                   {"improvement", f.improvement}});
  }
  json::array notes;
  for (const auto& n : d.notes) notes.emplace_back(n);
  const json::object root{{"base", json::object{{"source", d.base_source}, {"about", d.base_about}}},
                          {"new", json::object{{"source", d.new_source}, {"about", d.new_about}}},
                          {"tolerance", d.options.tolerance},
                          {"latency_floor_ms", d.options.latency_floor_ms},
                          {"regressions", d.regressions},
                          {"improvements", d.improvements},
                          {"notes", std::move(notes)},
                          {"figures", std::move(figures)}};
  return json::serialize(root) + "\n";
}

std::string diff_html(const ReportDiff& d) {
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>fleetload report diff</title>"
      "<style>body{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;margin:24px auto;max-width:1100px;"
      "padding:0 16px;color:#222;background:#fafafa}table{border-collapse:collapse}td,th{border:1px solid #ddd;"
      "padding:3px 7px;text-align:right;font-variant-numeric:tabular-nums}th{background:#eee}"
      "td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}tr.worse td{background:#fdecea}"
      "tr.better td{background:#e8f5e9}.meta{color:#555}.badge{display:inline-block;padding:4px 12px;"
      "border-radius:4px;font-weight:bold;color:#fff}.bad{background:#c62828}.good{background:#2e7d32}</style>"
      "</head><body>\n<h1>fleetload report diff</h1>";
  o += "<p class=\"meta\">BASE " + html_escape(d.base_source) + ": " + html_escape(d.base_about) + "<br>NEW " +
       html_escape(d.new_source) + ": " + html_escape(d.new_about) + "<br>WORSE = " + html_escape(rule_text(d.options)) +
       "</p>";
  for (const auto& n : d.notes) o += "<p class=\"meta\">note: " + html_escape(n) + "</p>";
  o += std::string("<p><span class=\"badge ") + (d.regressions ? "bad\">" : "good\">") +
       std::to_string(d.regressions) + (d.regressions == 1 ? " regression" : " regressions") + "</span> " +
       std::to_string(d.improvements) + (d.improvements == 1 ? " improvement" : " improvements") + "</p>";
  o += "<table><tr><th>section</th><th>figure</th><th>BASE</th><th>NEW</th><th>change</th><th></th></tr>";
  for (const auto& f : d.figures) {
    if (!f.base && !f.now) continue;
    o += std::string("<tr") + (f.regression ? " class=\"worse\"" : f.improvement ? " class=\"better\"" : "") + "><td>" +
         html_escape(f.section) + "</td><td>" + html_escape(f.name) + "</td><td>" + html_escape(value_text(f, f.base)) +
         "</td><td>" + html_escape(value_text(f, f.now)) + "</td><td>" + html_escape(change_text(f)) + "</td><td>" +
         status_text(f) + "</td></tr>";
  }
  o += "</table>\n</body></html>\n";
  return o;
}

}  // namespace fleetload::metrics
