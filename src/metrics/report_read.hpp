// Reading a JSON run report (as written by report_json.cpp) back into a RunReport, so shard
// reports can be merged. Histograms come back exactly from their sparse buckets.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

// A report that cannot be read: the message names the file and the field (or line:column
// for JSON syntax errors), e.g. "b.json: totals.histograms.ack_latency.buckets[2]: ...".
class ReportReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses report text; `source` names it in errors. Throws ReportReadError.
RunReport report_from_json(std::string_view text, const std::string& source);

// Reads the report file at `path`. Throws ReportReadError.
RunReport read_json_report(const std::filesystem::path& path);

}  // namespace fleetload::metrics
