// Merging shard reports into one fleet-wide report (`fleetload report merge`): counts
// summed, histograms merged bucket by bucket (percentiles come from the merged
// distribution, never averaged), rates summed, series aligned by time, phases matched by
// name, thresholds re-evaluated on the merged figures.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

// Inputs that must not be merged (another scenario, the same shard twice, ...): the message
// names the files involved.
class MergeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MergeInput {
  std::string source;  // file name, for messages
  RunReport report;
};

struct MergeResult {
  RunReport report;
  std::vector<std::string> warnings;  // e.g. shards missing from the set, phases not in every shard
};

// Merges at least one report. Throws MergeError.
MergeResult merge_reports(const std::vector<MergeInput>& inputs);

// The threshold definitions a report was judged by, rebuilt from its results (metric, op,
// limit, unit, text). Throws MergeError naming `source` for an op or unit it does not know.
std::vector<scenario::Threshold> thresholds_of(const RunReport& report, const std::string& source);

// Two shard histograms as one (sparse buckets merged by index).
SparseHistogram merge_sparse(const SparseHistogram& a, const SparseHistogram& b);

}  // namespace fleetload::metrics
