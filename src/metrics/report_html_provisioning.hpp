// The HTML report's Fleet Provisioning section (report_html.cpp calls it).
#pragma once

#include <ostream>

#include "device/stats.hpp"

namespace fleetload::metrics {

// "Fleet Provisioning": a row per operation (requests by outcome, latency), rejections by
// errorCode, devices provisioned and the provisioned latency. Nothing when no device
// provisioned.
void provisioning_html(std::ostream& o, const device::StatsSnapshot& s);

}  // namespace fleetload::metrics
