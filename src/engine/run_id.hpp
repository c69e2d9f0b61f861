// The run id every payload header carries (device/payload.hpp), so that a subscriber tells
// this run's messages from an earlier run's (retained, or queued in a persistent session).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "scenario/scenario.hpp"

namespace fleetload::engine {

enum class RunIdSource : std::uint8_t {
  Configured,    // run.id, hashed
  Random,        // unsharded run without run.id: a fresh id per run
  ScenarioHash,  // sharded run without run.id: what every shard shares, the scenario itself
};
std::string_view to_string(RunIdSource s) noexcept;

struct RunId {
  std::uint32_t value = 0;  // never 0
  RunIdSource source = RunIdSource::Random;
};

// FNV-1a (32 bit) of `text`, 0 mapped to 1: the id of a configured run.id.
std::uint32_t run_id_of(std::string_view text) noexcept;
// The run id of `s`: run.id when set; with a shard count above 1 the hash of the scenario
// (shard left out, so every shard of one run agrees without talking to the others); else
// random.
RunId choose_run_id(const scenario::Scenario& s);
// "0x1a2b3c4d".
std::string run_id_text(std::uint32_t id);

}  // namespace fleetload::engine
