// Run id: configured, derived from the scenario for shards, or random.
#include "engine/run_id.hpp"

#include <cstdio>
#include <random>

namespace fleetload::engine {

std::string_view to_string(RunIdSource s) noexcept {
  switch (s) {
    case RunIdSource::Configured: return "run.id";
    case RunIdSource::Random: return "random";
    case RunIdSource::ScenarioHash: return "scenario_hash";
  }
  return "random";
}

std::uint32_t run_id_of(std::string_view text) noexcept {
  std::uint32_t h = 2166136261u;
  for (const char c : text) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  return h == 0 ? 1 : h;
}

RunId choose_run_id(const scenario::Scenario& s) {
  if (s.run.id) return {run_id_of(*s.run.id), RunIdSource::Configured};
  if (s.fleet.shard.n > 1) {
    scenario::Scenario common = s;
    common.fleet.shard = {};
    common.run.report.reset();  // often per shard (--report shard-K.json)
    return {run_id_of(scenario::to_yaml(common, true)), RunIdSource::ScenarioHash};
  }
  std::random_device rd;
  std::uint32_t v = 0;
  while (v == 0) v = rd();
  return {v, RunIdSource::Random};
}

std::string run_id_text(std::uint32_t id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", id);
  return buf;
}

}  // namespace fleetload::engine
