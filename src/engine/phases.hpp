// The run's timeline: phases resolved from the scenario and cut to the run's duration.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/scenario.hpp"

namespace fleetload::engine {

struct PlannedPhase {
  std::string name;
  scenario::PhaseType type = scenario::PhaseType::Steady;
  std::chrono::milliseconds start{0};  // from run start
  std::chrono::milliseconds end{0};
  double churn_share_per_second = 0.0;
  std::vector<std::string> groups;  // the device groups it acts on; empty = all
  bool acts_on(std::string_view group) const {
    return groups.empty() || std::find(groups.begin(), groups.end(), group) != groups.end();
  }
  std::optional<scenario::Search> search;  // type search only
};

// Phases in order, back to back from 0, the last one ending at `run_duration` at the latest
// (phases starting after it are dropped, the one crossing it is cut). No phases in the
// scenario = one ramp lasting ceil(shard devices / shard rate) then steady to the end.
std::vector<PlannedPhase> plan_phases(const std::vector<scenario::Phase>& phases,
                                      std::chrono::milliseconds run_duration,
                                      std::uint64_t shard_devices, double shard_connect_rate);

// The shard's connect rate: the first ramp phase's connect_rate, else fleet.connect_rate,
// divided over the N shards.
double shard_connect_rate(const scenario::Scenario& s);

}  // namespace fleetload::engine
