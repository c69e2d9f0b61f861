// `fleetload report merge A.json B.json ... [--out OUT.json|DIR]`: one fleet-wide report
// (JSON + HTML) from the reports of the shards of one run, with its own argument parsing.
#pragma once

#include <string>
#include <vector>

namespace fleetload::cli {

struct ReportMergeArgs {
  std::vector<std::string> inputs;      // report files, in the order given
  std::string out = "merged-report.json";  // *.json: that file + *.html beside it; else a directory
};

// Parses the arguments after "report" (argv[2..]). Throws ArgError.
ReportMergeArgs parse_report_args(const std::vector<std::string>& args);

// Runs `fleetload report ...` with the arguments after "report"; returns the exit code:
// 0 merged and every threshold passed, 1 thresholds breached on the merged data, 2 bad
// input (arguments, an unreadable report, reports that do not belong together), 3 a shard
// failed at run time or the merged report could not be written.
int report_command(const std::vector<std::string>& args);

std::string report_help();

}  // namespace fleetload::cli
