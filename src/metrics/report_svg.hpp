// Inline SVG charts for the HTML report: drawn in C++ so the report needs no script and no
// network when it is opened.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetload::metrics::svg {

// Text made safe for HTML/SVG element content and attribute values.
std::string escape(std::string_view s);

struct Series {
  std::string name;
  std::string color;  // CSS color
  std::vector<double> y;  // one value per x; NaN = no value there (the line breaks)
  bool dashed = false;
};

struct LineChart {
  std::string title;
  std::string y_unit;         // shown beside the title ("devices", "msg/s")
  std::vector<double> x;      // seconds since the run started
  std::vector<Series> series;
  std::optional<double> reference;  // a horizontal target line
  std::string reference_name;
};

struct BarGroup {
  std::string label;           // e.g. "ack latency"
  std::vector<double> values;  // one per bar name
};

struct BarChart {
  std::string title;
  std::string y_unit;
  std::vector<std::string> bar_names;  // e.g. p50 p90 p99 p99.9
  std::vector<std::string> colors;     // one per bar name
  std::vector<BarGroup> groups;
};

// An <svg> element (class "chart") with axes, ticks, a legend and one <path> per series.
std::string line_chart(const LineChart& c);
// An <svg> element (class "chart") with grouped bars (one <rect class="bar"> per value).
std::string bar_chart(const BarChart& c);

}  // namespace fleetload::metrics::svg
