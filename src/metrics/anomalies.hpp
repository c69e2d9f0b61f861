// Protocol anomalies worth a line in the summary and the HTML report: the counters that are
// 0 in a healthy run, each with a label for people. One table, so a new counter is one line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "device/stats.hpp"

namespace fleetload::metrics {

struct AnomalyCounter {
  std::string_view counter;  // a name from FLEETLOAD_DEVICE_COUNTERS (device/stats.hpp)
  std::string_view label;    // what it means, for the summary: "acks for packet ids not in flight"
};

// Every anomaly counter the summary knows, in display order.
std::span<const AnomalyCounter> anomaly_counters() noexcept;

struct Anomaly {
  std::string_view counter;
  std::string_view label;
  std::uint64_t count = 0;
};

// The anomaly counters that are not 0 in `s`, in display order.
std::vector<Anomaly> anomalies_of(const device::StatsSnapshot& s);

// A scalar counter of the snapshot by its name (FLEETLOAD_DEVICE_COUNTERS); nullopt when no
// counter has that name.
std::optional<std::uint64_t> counter_by_name(const device::StatsSnapshot& s, std::string_view name) noexcept;

}  // namespace fleetload::metrics
