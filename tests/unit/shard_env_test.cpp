// The shard from the environment when --shard is absent: FLEETLOAD_SHARD="K/N", or a
// Kubernetes Indexed Job's JOB_COMPLETION_INDEX with FLEETLOAD_SHARDS; --shard wins; any
// disagreement or half-given pair is a usage error (exit 2) naming the variables.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.hpp"

namespace fleetload::cli {
namespace {

std::string error_of(const char* shard, const char* index, const char* shards) {
  try {
    (void)shard_from_env(shard, index, shards);
  } catch (const ArgError& e) {
    return e.what();
  }
  return "";
}

TEST(ShardEnv, NothingSetMeansNoShard) {
  EXPECT_FALSE(shard_from_env(nullptr, nullptr, nullptr).has_value());
  EXPECT_FALSE(shard_from_env("", "", "").has_value());  // compose passes unset as ""
}

TEST(ShardEnv, FleetloadShardGivesKOfN) {
  const auto s = shard_from_env("2/8", nullptr, nullptr);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->k, 2u);
  EXPECT_EQ(s->n, 8u);
}

TEST(ShardEnv, CompletionIndexWithShardCount) {
  const auto s = shard_from_env(nullptr, "5", "6");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->k, 5u);
  EXPECT_EQ(s->n, 6u);
  const auto one = shard_from_env(nullptr, "0", "1");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->n, 1u);
}

TEST(ShardEnv, BothWaysAgreeingIsFine) {
  const auto s = shard_from_env("3/4", "3", "4");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->k, 3u);
  EXPECT_EQ(s->n, 4u);
  const auto t = shard_from_env("1/4", nullptr, "4");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->k, 1u);
  // In an Indexed Job, FLEETLOAD_SHARD may stand in for FLEETLOAD_SHARDS if K matches.
  const auto u = shard_from_env("2/4", "2", nullptr);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->k, 2u);
  EXPECT_EQ(u->n, 4u);
}

TEST(ShardEnv, InconsistentOrHalfGivenIsAClearError) {
  EXPECT_NE(error_of(nullptr, "3", nullptr).find("FLEETLOAD_SHARDS is not"), std::string::npos);
  EXPECT_NE(error_of(nullptr, nullptr, "4").find("neither JOB_COMPLETION_INDEX nor FLEETLOAD_SHARD"),
            std::string::npos);
  EXPECT_NE(error_of("1/4", "2", "4").find("disagrees with JOB_COMPLETION_INDEX=2"), std::string::npos);
  EXPECT_NE(error_of("1/4", "1", "5").find("disagrees"), std::string::npos);
  EXPECT_NE(error_of("1/4", nullptr, "5").find("disagrees with FLEETLOAD_SHARDS=5"), std::string::npos);
  EXPECT_NE(error_of("1/4", "3", nullptr).find("disagrees with JOB_COMPLETION_INDEX=3"), std::string::npos);
  EXPECT_NE(error_of("1/4", "one", nullptr).find("JOB_COMPLETION_INDEX: expected a whole number"), std::string::npos);
  EXPECT_NE(error_of(nullptr, "4", "4").find("K must be below N"), std::string::npos);
  EXPECT_NE(error_of(nullptr, "0", "0").find("N must be at least 1"), std::string::npos);
  EXPECT_NE(error_of(nullptr, "x", "4").find("JOB_COMPLETION_INDEX/FLEETLOAD_SHARDS K: expected a whole number"),
            std::string::npos);
  EXPECT_NE(error_of("3", nullptr, nullptr).find("FLEETLOAD_SHARD: expected K/N"), std::string::npos);
  EXPECT_NE(error_of("5/4", nullptr, nullptr).find("FLEETLOAD_SHARD: K must be below N"), std::string::npos);
  EXPECT_NE(error_of("1/4", nullptr, "four").find("FLEETLOAD_SHARDS: expected a whole number"), std::string::npos);
}

// The environment as parse_args sees it, restored after each test.
class ShardEnvArgs : public ::testing::Test {
 protected:
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    for (const char* v : {"FLEETLOAD_SHARD", "JOB_COMPLETION_INDEX", "FLEETLOAD_SHARDS", "FLEETLOAD_START_AT"})
      ::unsetenv(v);
  }
  static Command parse(std::vector<std::string> args) {
    args.insert(args.begin(), "fleetload");
    return parse_args(args);
  }
};

TEST_F(ShardEnvArgs, RunAndValidateTakeTheShardFromTheEnvironment) {
  ::setenv("JOB_COMPLETION_INDEX", "7", 1);
  ::setenv("FLEETLOAD_SHARDS", "10", 1);
  for (const char* cmd : {"run", "validate"}) {
    const Command c = parse({cmd, "s.yaml"});
    ASSERT_TRUE(c.shard) << cmd;
    EXPECT_EQ(c.shard->k, 7u);
    EXPECT_EQ(c.shard->n, 10u);
  }
}

TEST_F(ShardEnvArgs, ShardFlagWinsOverTheEnvironment) {
  ::setenv("FLEETLOAD_SHARD", "1/2", 1);
  ::setenv("JOB_COMPLETION_INDEX", "9", 1);  // even an inconsistent environment is not read
  const Command c = parse({"run", "s.yaml", "--shard", "3/5"});
  ASSERT_TRUE(c.shard);
  EXPECT_EQ(c.shard->k, 3u);
  EXPECT_EQ(c.shard->n, 5u);
}

TEST_F(ShardEnvArgs, NoEnvironmentMeansTheWholeFleet) {
  EXPECT_FALSE(parse({"run", "s.yaml"}).shard.has_value());
}

TEST_F(ShardEnvArgs, InconsistentEnvironmentIsAUsageError) {
  ::setenv("FLEETLOAD_SHARD", "1/4", 1);
  ::setenv("JOB_COMPLETION_INDEX", "2", 1);
  ::setenv("FLEETLOAD_SHARDS", "4", 1);
  EXPECT_THROW(parse({"run", "s.yaml"}), ArgError);
}

TEST_F(ShardEnvArgs, CommandsWithoutAFleetIgnoreTheEnvironment) {
  ::setenv("JOB_COMPLETION_INDEX", "2", 1);  // half-given: an error only where a fleet runs
  EXPECT_EQ(parse({"version"}).kind, CommandKind::Version);
  EXPECT_EQ(parse({"help", "run"}).kind, CommandKind::Help);
}

// --start-at (or FLEETLOAD_START_AT): one instant for every shard, as RFC 3339 UTC or Unix
// seconds; anything else is a usage error naming the flag and the accepted forms.
TEST_F(ShardEnvArgs, StartAtIsOneInstantInEitherForm) {
  using std::chrono::system_clock;
  const auto unix_ms = [](system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  // 2026-12-05T10:00:00Z is 1,796,464,800 s after the epoch (date -u -d @1796464800).
  EXPECT_EQ(unix_ms(parse_start_at("2026-12-05T10:00:00Z", "--start-at")), 1'796'464'800'000);
  EXPECT_EQ(unix_ms(parse_start_at("2026-12-05T10:00:00.25Z", "--start-at")), 1'796'464'800'250);
  EXPECT_EQ(unix_ms(parse_start_at("@1796464800.5", "--start-at")), 1'796'464'800'500);
  EXPECT_EQ(unix_ms(parse_start_at("@1796464800", "--start-at")), 1'796'464'800'000);
  for (const char* bad : {"", "@", "@12x", "2026-12-05 10:00:00Z", "2026-12-05T10:00:00", "2026-02-31T10:00:00Z",
                          "2026-12-05T25:00:00Z", "2026-12-05T10:00:00.Z", "tomorrow"}) {
    try {
      (void)parse_start_at(bad, "--start-at");
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const ArgError& e) {
      EXPECT_NE(std::string(e.what()).find("--start-at: expected a UTC time like 2026-12-05T10:00:00Z"), std::string::npos)
          << e.what();
    }
  }
  const Command c = parse({"run", "s.yaml", "--start-at", "@1796464800"});
  ASSERT_TRUE(c.start_at);
  EXPECT_EQ(unix_ms(*c.start_at), 1'796'464'800'000);
  EXPECT_EQ(c.start_at_text, "@1796464800");
  // The environment, for pods of one Job; the flag wins over it.
  ::setenv("FLEETLOAD_START_AT", "2026-12-05T10:00:00Z", 1);
  EXPECT_EQ(unix_ms(*parse({"run", "s.yaml"}).start_at), 1'796'464'800'000);
  EXPECT_EQ(unix_ms(*parse({"run", "s.yaml", "--start-at", "@1796464801"}).start_at), 1'796'464'801'000);
  ::setenv("FLEETLOAD_START_AT", "soon", 1);
  EXPECT_THROW(parse({"run", "s.yaml"}), ArgError);
}

}  // namespace
}  // namespace fleetload::cli
