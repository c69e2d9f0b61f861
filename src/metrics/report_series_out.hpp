// The time series for machines: `--out csv=FILE` and `--out ndjson=FILE`, one row per
// progress interval, the same figures as the JSON report's `series` in flat columns (raw
// numbers in base units; the columns are listed in docs/metrics-report.md). Each row names
// its group: "all" is every device of the report (a later version adds one row per device
// group beside it, so readers should select on the column rather than assume one row per t).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

enum class SeriesFormat { Csv, Ndjson };
const char* to_string(SeriesFormat f) noexcept;

struct SeriesOutput {
  SeriesFormat format = SeriesFormat::Csv;
  std::filesystem::path path;
};

// "csv=FILE" or "ndjson=FILE"; nullopt for anything else (no known FORMAT= prefix, or no
// file after it).
std::optional<SeriesOutput> parse_series_output(std::string_view text);

// Column names, in order (the CSV header, the NDJSON keys).
const std::vector<std::string>& series_columns();

// The whole series as CSV (header + one line per interval, RFC 4180 quoting) or NDJSON (one
// JSON object per line). Empty percentile cells (CSV) / null (NDJSON) for intervals without
// samples.
std::string series_csv(const RunReport& report);
std::string series_ndjson(const RunReport& report);

// Writes one output (temporary file renamed into place). Throws std::runtime_error naming
// the path on failure.
void write_series(const RunReport& report, const SeriesOutput& out);

}  // namespace fleetload::metrics
