// The JSON report: a RunReport as one JSON document (fields described in docs/metrics-report.md).
#pragma once

#include <filesystem>
#include <string>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

// The report as pretty-printed JSON text.
std::string report_to_json(const RunReport& report);

// Writes the report to `path` (via a temporary file renamed into place, so a reader never
// sees half a report). Throws std::runtime_error naming the path on failure.
void write_json_report(const RunReport& report, const std::filesystem::path& path);

}  // namespace fleetload::metrics
