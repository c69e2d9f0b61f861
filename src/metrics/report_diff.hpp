// `fleetload report diff BASE NEW`: two run reports side by side. Every figure of the report
// (rates, latency percentiles, loss and duplicates, connect failures by reason, fleetload's
// cost, each phase, each threshold) with its change, absolute and relative, and a regression
// flag where the change goes the way that is worse for that figure beyond a tolerance
// ("this broker build is slower than last week's").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

// Which way a figure gets worse. Neither: a volume or a setting (publishes sent, devices,
// reconnect delay), shown but never a regression.
enum class Better { Higher, Lower, Neither };
const char* to_string(Better b) noexcept;

struct DiffOptions {
  // A change is a regression when it goes the worse way by more than this share of the base
  // (0.05 = 5 %), or at all when the base is 0 (loss appearing where there was none).
  double tolerance = 0.05;
  // Latency and duration figures must also move by at least this much (milliseconds): run to
  // run noise on a fast broker is a fraction of a millisecond, and +100 % of 0.2 ms is not a
  // regression anyone should be paged for.
  double latency_floor_ms = 1.0;
};

struct DiffFigure {
  std::string section;  // "run", "connects", "publish", "delivery", "latency", "cost", "phase NAME", "thresholds"
  std::string name;     // "publish rate achieved", "ack latency p99", ...
  std::string unit;     // as human::in_unit: "count", "per_s", "ms", "seconds", "ratio", "percent", "bytes", "verdict"
  Better better = Better::Neither;
  std::optional<double> base, now;  // nullopt: not measured in that report
  double floor = 0.0;               // a smaller absolute change never counts (in `unit`)

  // Derived by diff_reports.
  std::optional<double> change;    // now - base, when both are measured
  std::optional<double> relative;  // change / |base|; nullopt when base is 0 or either is missing
  bool regression = false;         // worse beyond the tolerance and the floor
  bool improvement = false;        // better beyond them
};

struct ReportDiff {
  std::string base_source, new_source;  // file names, for the output
  std::string base_about, new_about;    // scenario, start, fleet size, how the run ended
  DiffOptions options;
  std::vector<DiffFigure> figures;
  std::vector<std::string> notes;  // how the two reports differ in kind (scenario, fleet size, ...)
  std::size_t regressions = 0;
  std::size_t improvements = 0;
};

// Compares two reports figure by figure. Never throws for reports of different scenarios:
// the notes say so (a capacity reviewer may compare two scenarios on purpose).
ReportDiff diff_reports(const RunReport& base, const RunReport& now, const DiffOptions& options,
                        const std::string& base_source = "BASE", const std::string& new_source = "NEW");

// Classifies one figure (sets change, relative, regression, improvement).
void classify(DiffFigure& f, const DiffOptions& options);

// The diff as a text table for stdout: every figure measured in either report, side by
// side, with its change and WORSE / better where it crossed the tolerance.
std::string diff_text(const ReportDiff& d);
// The diff as one JSON document (every figure, raw numbers).
std::string diff_json(const ReportDiff& d);
// The diff as one self-contained HTML page (no script).
std::string diff_html(const ReportDiff& d);

}  // namespace fleetload::metrics
