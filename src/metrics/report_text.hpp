// The end-of-run summary table printed on stdout.
#pragma once

#include <string>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

std::string format_summary(const RunReport& report);

}  // namespace fleetload::metrics
