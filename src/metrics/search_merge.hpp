// Capacity searches of a sharded run, merged (`fleetload report merge`): every shard ran the
// same fixed ladder at the same instants (`run --start-at`), so each step is judged again on
// the shards' window figures taken together, and the knee found from those verdicts — the
// fleet's answer, which no shard could give from its share.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "metrics/report_merge.hpp"
#include "metrics/search_steps.hpp"

namespace fleetload::metrics {

// The merged search of `in` (nullopt when none has one), its steps judged by `thresholds`
// (the scenario's, rebuilt from the reports). Throws MergeError when only some reports have
// a search, when the shards ran different ladders, when a shard's steps carry no window
// figures, or when the shards' step windows did not line up in time (more than 1 s, or a
// tenth of a hold, apart: shards started without one --start-at). Steps not every shard
// ran (one stopped at a collapse) end the merged ladder, with the reason in stop_reason.
std::optional<SearchReport> merge_searches(const std::vector<MergeInput>& in,
                                           const std::vector<scenario::Threshold>& thresholds,
                                           std::vector<std::string>& warnings);

}  // namespace fleetload::metrics
