// The self-contained HTML run report: summary, thresholds verdict, interactive time-series
// charts (uPlot, inlined), latency tables, reconnect delays against the configured backoff,
// phases and errors, built from the same RunReport as the JSON report.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

// Writes one HTML document that loads nothing: its style, its chart data, uPlot and the chart
// script are all inline (see report_html_charts.hpp for the charts).
void write_html_report(const RunReport& report, std::ostream& out);
std::string report_to_html(const RunReport& report);

// Writes the report to `path` (via a temporary file renamed into place). Throws
// std::runtime_error naming the path on failure.
void write_html_report(const RunReport& report, const std::filesystem::path& path);

}  // namespace fleetload::metrics
