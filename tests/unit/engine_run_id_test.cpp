// The run id: configured (hashed), shared by every shard of one run, fresh per unsharded run.
#include <gtest/gtest.h>

#include "engine/run_id.hpp"

namespace fleetload::engine {
namespace {

scenario::Scenario base() {
  scenario::Scenario s;
  s.name = "ids";
  s.fleet.devices = 10;
  return s;
}

TEST(EngineRunId, ConfiguredIdIsHashedTheSameEverywhere) {
  auto s = base();
  s.run.id = "pipeline-4711";
  const RunId a = choose_run_id(s);
  s.fleet.shard = {1, 3};
  const RunId b = choose_run_id(s);
  EXPECT_EQ(a.source, RunIdSource::Configured);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.value, run_id_of("pipeline-4711"));
  EXPECT_NE(a.value, run_id_of("pipeline-4712"));
  EXPECT_EQ(run_id_text(0xabcd), "0x0000abcd");
}

TEST(EngineRunId, ShardsOfOneRunAgreeWithoutTalking) {
  auto s = base();
  s.fleet.shard = {0, 2};
  s.run.report = "shard-0.json";
  auto t = base();
  t.fleet.shard = {1, 2};
  t.run.report = "shard-1.json";
  const RunId a = choose_run_id(s), b = choose_run_id(t);
  EXPECT_EQ(a.source, RunIdSource::ScenarioHash);
  EXPECT_EQ(a.value, b.value);
  t.fleet.devices = 11;  // another scenario, another id
  EXPECT_NE(choose_run_id(t).value, a.value);
}

TEST(EngineRunId, UnshardedRunsGetAFreshIdEachTime) {
  const auto s = base();
  const RunId a = choose_run_id(s), b = choose_run_id(s);
  EXPECT_EQ(a.source, RunIdSource::Random);
  EXPECT_NE(a.value, 0u);
  EXPECT_NE(a.value, b.value);  // 1 in 2^32 of a false failure
}

}  // namespace
}  // namespace fleetload::engine
