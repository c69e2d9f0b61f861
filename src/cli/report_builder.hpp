// Builds the report model (metrics::RunReport) from what the engine returned.
#pragma once

#include <chrono>
#include <string>

#include "engine/engine.hpp"
#include "metrics/run_report.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::cli {

// `started_at_utc` is ISO 8601; thresholds are evaluated into the report.
metrics::RunReport build_run_report(const engine::RunResult& result, const scenario::Scenario& s,
                                    const std::string& started_at_utc);

// fleetload's version string ("0.1.0").
const char* fleetload_version() noexcept;

// Now as "2026-11-26T09:00:00Z".
std::string utc_now_iso8601();
// `t` the same way (whole seconds).
std::string utc_iso8601(std::chrono::system_clock::time_point t);

}  // namespace fleetload::cli
