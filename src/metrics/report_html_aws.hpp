// The HTML report's sections of the AWS IoT device behaviours: Device Shadow and Jobs
// requests by outcome with their latency, and the Jobs executions by how they ended. Nothing
// is written for a behaviour the run did not use.
#pragma once

#include <ostream>

#include "metrics/run_report.hpp"

namespace fleetload::metrics {

void write_aws_sections(std::ostream& o, const RunReport& r);

}  // namespace fleetload::metrics
