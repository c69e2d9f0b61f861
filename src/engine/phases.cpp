// Phase timeline resolution.
#include "engine/phases.hpp"

#include <algorithm>
#include <cmath>

namespace fleetload::engine {

double shard_connect_rate(const scenario::Scenario& s) {
  double fleet_rate = s.fleet.connect_rate.per_second;
  for (const auto& p : s.phases) {
    if (p.type == scenario::PhaseType::Ramp && p.connect_rate) {
      fleet_rate = p.connect_rate->per_second;
      break;
    }
  }
  const double n = std::max<std::uint32_t>(1, s.fleet.shard.n);
  return fleet_rate / n;
}

std::vector<PlannedPhase> plan_phases(const std::vector<scenario::Phase>& phases,
                                      std::chrono::milliseconds run_duration,
                                      std::uint64_t shard_devices, double shard_connect_rate) {
  using std::chrono::milliseconds;
  std::vector<PlannedPhase> out;
  const milliseconds ramp_default(
      shard_connect_rate > 0
          ? static_cast<milliseconds::rep>(std::ceil(static_cast<double>(shard_devices) * 1000.0 / shard_connect_rate))
          : 0);
  std::vector<scenario::Phase> src = phases;
  if (src.empty()) {
    scenario::Phase ramp;
    ramp.name = "ramp-0";
    ramp.type = scenario::PhaseType::Ramp;
    scenario::Phase steady;
    steady.name = "steady-1";
    steady.type = scenario::PhaseType::Steady;
    steady.duration = run_duration;  // cut below
    src = {ramp, steady};
  }
  milliseconds t{0};
  for (std::size_t i = 0; i < src.size() && t < run_duration; ++i) {
    const auto& p = src[i];
    milliseconds d = p.duration;
    if (d.count() <= 0 && p.type == scenario::PhaseType::Ramp) d = ramp_default;
    PlannedPhase pp;
    pp.name = p.name.empty() ? std::string(scenario::to_string(p.type)) + "-" + std::to_string(i) : p.name;
    pp.type = p.type;
    pp.start = t;
    pp.end = std::min(run_duration, t + d);
    pp.churn_share_per_second = p.churn_share_per_second;
    pp.groups = p.groups;
    pp.search = p.search;
    if (pp.end <= pp.start && !(p.type == scenario::PhaseType::Storm)) continue;
    out.push_back(pp);
    t = pp.end;
  }
  // The run lasts its duration even if the phases are shorter: hold steady until the end.
  if (t < run_duration) {
    PlannedPhase tail;
    tail.name = "steady-" + std::to_string(src.size());
    tail.type = scenario::PhaseType::Steady;
    tail.start = t;
    tail.end = run_duration;
    out.push_back(tail);
  }
  return out;
}

}  // namespace fleetload::engine
