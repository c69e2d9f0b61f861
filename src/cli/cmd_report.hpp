// `fleetload report merge A.json B.json ... [--out OUT.json|DIR] [--out csv=FILE]`: one
// fleet-wide report (JSON + HTML) from the reports of the shards of one run; and
// `fleetload report diff BASE.json NEW.json [options]`: two reports side by side with the
// regressions flagged and an exit code for CI. Each parses its own arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "metrics/report_diff.hpp"

namespace fleetload::cli {

struct ReportMergeArgs {
  std::vector<std::string> inputs;      // report files, in the order given
  std::string out = "merged-report.json";  // *.json: that file + *.html beside it; else a directory
  std::vector<std::string> series;      // --out csv=FILE / ndjson=FILE, in the order given
};

// Parses the arguments after "report" for `merge` (argv[2..]). Throws ArgError.
ReportMergeArgs parse_report_args(const std::vector<std::string>& args);

struct ReportDiffArgs {
  std::string base, now;  // the two report files
  metrics::DiffOptions options;
  bool fail_on_regression = true;  // --fail-on regression (default) | never
  std::optional<std::string> json_out, html_out;
};

// Parses the arguments after "report" for `diff`. Throws ArgError.
ReportDiffArgs parse_report_diff_args(const std::vector<std::string>& args);

// Runs `fleetload report ...` with the arguments after "report"; returns the exit code.
// merge: 0 merged and every threshold passed, 1 thresholds breached on the merged data, 2 bad
// input (arguments, an unreadable report, reports that do not belong together), 3 a shard
// failed at run time or the merged report could not be written.
// diff: 0 no regression (or --fail-on never), 1 a regression, 2 bad input, 3 the --json /
// --html output could not be written.
int report_command(const std::vector<std::string>& args);

std::string report_help();

}  // namespace fleetload::cli
