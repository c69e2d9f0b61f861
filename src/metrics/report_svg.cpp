// Inline SVG line and bar charts for the HTML report (fixed size, scaled by the viewBox).
#include "metrics/report_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace fleetload::metrics::svg {
namespace {

constexpr double kWidth = 760, kHeight = 260;
constexpr double kLeft = 64, kRight = 16, kTop = 36, kBottom = 40;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

// A round step giving about `ticks` intervals over [0, max]: 1, 2 or 5 times a power of ten.
double nice_step(double max, int ticks) {
  if (!(max > 0)) return 1.0;
  const double raw = max / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10.0 * mag;
}

// Short tick labels: 1200 -> "1.2k", 0.0025 -> "0.0025".
std::string num(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e9) std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  else if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Frame, title, horizontal grid lines with labels for [0, y_max]; returns y_max rounded up.
double frame(std::ostringstream& o, const std::string& title, const std::string& unit, double y_max) {
  const double step = nice_step(y_max, 5);
  const double top = std::max(step, std::ceil(y_max / step) * step);
  o << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << kWidth << ' ' << kHeight
    << "\" role=\"img\" aria-label=\"" << escape(title) << "\">"
    << "<text class=\"title\" x=\"" << kLeft << "\" y=\"20\">" << escape(title)
    << (unit.empty() ? "" : " (" + escape(unit) + ")") << "</text>";
  for (double v = 0; v <= top + step / 2; v += step) {
    const double y = kTop + kPlotH - v / top * kPlotH;
    o << "<line class=\"grid\" x1=\"" << kLeft << "\" x2=\"" << kLeft + kPlotW << "\" y1=\"" << fmt(y) << "\" y2=\""
      << fmt(y) << "\"/><text class=\"tick\" x=\"" << kLeft - 6 << "\" y=\"" << fmt(y + 4)
      << "\" text-anchor=\"end\">" << num(v) << "</text>";
  }
  o << "<line class=\"axis\" x1=\"" << kLeft << "\" x2=\"" << kLeft << "\" y1=\"" << kTop << "\" y2=\""
    << kTop + kPlotH << "\"/>";
  return top;
}

void legend(std::ostringstream& o, const std::vector<std::pair<std::string, std::string>>& items) {
  double x = kLeft + kPlotW;
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    x -= 14 + 7.0 * static_cast<double>(it->first.size()) + 16;
    o << "<rect x=\"" << fmt(x) << "\" y=\"10\" width=\"10\" height=\"10\" fill=\"" << escape(it->second)
      << "\"/><text class=\"legend\" x=\"" << fmt(x + 14) << "\" y=\"19\">" << escape(it->first) << "</text>";
  }
}

}  // namespace

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string line_chart(const LineChart& c) {
  double y_max = c.reference.value_or(0.0);
  for (const auto& s : c.series)
    for (double v : s.y)
      if (std::isfinite(v)) y_max = std::max(y_max, v);
  const double x_min = c.x.empty() ? 0.0 : c.x.front();
  const double x_max = c.x.empty() ? 1.0 : std::max(c.x.back(), x_min + 1e-9);
  std::ostringstream o;
  const double top = frame(o, c.title, c.y_unit, y_max);
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * kPlotW; };
  auto py = [&](double y) { return kTop + kPlotH - y / top * kPlotH; };
  // x ticks: about six, in seconds.
  const double xs = nice_step(x_max - x_min, 6);
  for (double x = std::ceil(x_min / xs) * xs; x <= x_max + 1e-9; x += xs)
    o << "<text class=\"tick\" x=\"" << fmt(px(x)) << "\" y=\"" << kTop + kPlotH + 16 << "\" text-anchor=\"middle\">"
      << num(x) << "s</text>";
  std::vector<std::pair<std::string, std::string>> items;
  if (c.reference) {
    o << "<path class=\"reference\" d=\"M" << kLeft << ' ' << fmt(py(*c.reference)) << " H" << kLeft + kPlotW
      << "\" stroke=\"#888\" stroke-dasharray=\"6 4\" fill=\"none\"><title>" << escape(c.reference_name) << ": "
      << num(*c.reference) << "</title></path>";
    items.emplace_back(c.reference_name, "#888");
  }
  for (const auto& s : c.series) {
    o << "<path class=\"series\" fill=\"none\" stroke-width=\"2\" stroke=\"" << escape(s.color) << '"'
      << (s.dashed ? " stroke-dasharray=\"4 3\"" : "") << " d=\"";
    const std::size_t n = std::min(s.y.size(), c.x.size());
    // A value that is not finite (an interval with no samples) breaks the line; a run of
    // one sample still shows as a dot-sized stroke.
    std::size_t run = 0;
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.y[i])) {
        if (run == 1) o << " h2";
        run = 0;
        continue;
      }
      o << (any ? " " : "") << (run ? "L" : "M") << fmt(px(c.x[i])) << ' ' << fmt(py(s.y[i]));
      ++run;
      any = true;
    }
    if (run == 1) o << " h2";
    o << "\"><title>" << escape(s.name) << "</title></path>";
    items.emplace_back(s.name, s.color);
  }
  if (c.x.empty())
    o << "<text class=\"empty\" x=\"" << kLeft + kPlotW / 2 << "\" y=\"" << kTop + kPlotH / 2
      << "\" text-anchor=\"middle\">no samples</text>";
  legend(o, items);
  o << "</svg>";
  return o.str();
}

std::string bar_chart(const BarChart& c) {
  double y_max = 0;
  for (const auto& g : c.groups)
    for (double v : g.values) y_max = std::max(y_max, v);
  std::ostringstream o;
  const double top = frame(o, c.title, c.y_unit, y_max);
  const double group_w = c.groups.empty() ? kPlotW : kPlotW / static_cast<double>(c.groups.size());
  const double bar_w = group_w * 0.8 / static_cast<double>(std::max<std::size_t>(1, c.bar_names.size()));
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    const double gx = kLeft + group_w * static_cast<double>(g) + group_w * 0.1;
    for (std::size_t b = 0; b < c.groups[g].values.size() && b < c.bar_names.size(); ++b) {
      const double v = c.groups[g].values[b];
      const double h = v / top * kPlotH;
      o << "<rect class=\"bar\" x=\"" << fmt(gx + bar_w * static_cast<double>(b)) << "\" y=\""
        << fmt(kTop + kPlotH - h) << "\" width=\"" << fmt(bar_w * 0.9) << "\" height=\"" << fmt(h)
        << "\" fill=\"" << escape(b < c.colors.size() ? c.colors[b] : "#4e79a7") << "\"><title>"
        << escape(c.groups[g].label) << ' ' << escape(c.bar_names[b]) << ": " << num(v) << ' ' << escape(c.y_unit)
        << "</title></rect>";
    }
    o << "<text class=\"tick\" x=\"" << fmt(gx + group_w * 0.4) << "\" y=\"" << kTop + kPlotH + 16
      << "\" text-anchor=\"middle\">" << escape(c.groups[g].label) << "</text>";
  }
  std::vector<std::pair<std::string, std::string>> items;
  for (std::size_t b = 0; b < c.bar_names.size(); ++b)
    items.emplace_back(c.bar_names[b], b < c.colors.size() ? c.colors[b] : "#4e79a7");
  legend(o, items);
  o << "</svg>";
  return o.str();
}

}  // namespace fleetload::metrics::svg
