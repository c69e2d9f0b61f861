// The self-contained HTML run report: summary, thresholds verdict, inline SVG time series and
// latency charts, phases and errors, built from the same RunReport as the JSON report.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

// Writes one HTML document with no external resources and no script.
void write_html_report(const RunReport& report, std::ostream& out);
std::string report_to_html(const RunReport& report);

// Writes the report to `path` (via a temporary file renamed into place). Throws
// std::runtime_error naming the path on failure.
void write_html_report(const RunReport& report, const std::filesystem::path& path);

}  // namespace fleetload::metrics
