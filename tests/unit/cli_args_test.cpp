// The fleetload argv parser: commands, options in both spellings, and the usage errors.
#include <gtest/gtest.h>

#include "cli/args.hpp"

namespace fleetload::cli {
namespace {

Command parse(std::vector<std::string> a) {
  a.insert(a.begin(), "fleetload");
  return parse_args(a);
}

std::string error_of(std::vector<std::string> a) {
  try {
    parse(std::move(a));
  } catch (const ArgError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CliArgs, NoArgumentsOrHelpFlagIsGlobalHelp) {
  EXPECT_EQ(parse({}).kind, CommandKind::Help);
  EXPECT_EQ(parse({"--help"}).kind, CommandKind::Help);
  EXPECT_EQ(parse({"-h"}).help_topic, "");
}

TEST(CliArgs, CommandHelpNamesTheCommand) {
  const Command c = parse({"run", "x.yaml", "--help"});
  EXPECT_EQ(c.kind, CommandKind::Help);
  EXPECT_EQ(c.help_topic, "run");
  EXPECT_EQ(parse({"help", "validate"}).help_topic, "validate");
  EXPECT_EQ(parse({"validate", "-h"}).help_topic, "validate");
}

TEST(CliArgs, VersionBothSpellings) {
  EXPECT_EQ(parse({"version"}).kind, CommandKind::Version);
  EXPECT_EQ(parse({"--version"}).kind, CommandKind::Version);
  EXPECT_EQ(error_of({"version", "extra"}), "version: unexpected argument \"extra\"");
}

TEST(CliArgs, RunWithEveryOption) {
  const Command c = parse({"run", "s.yaml", "--set", "fleet.devices=10", "--set=publish.qos=1", "--shard", "2/6",
                           "--duration=30s", "--report", "out.json", "--threads", "3", "--no-progress"});
  EXPECT_EQ(c.kind, CommandKind::Run);
  EXPECT_EQ(c.scenario_path, "s.yaml");
  // --duration D is the override run.duration=D, in its place among the --set.
  ASSERT_EQ(c.overrides.size(), 3u);
  EXPECT_EQ(c.overrides[0], "fleet.devices=10");
  EXPECT_EQ(c.overrides[1], "publish.qos=1");
  EXPECT_EQ(c.overrides[2], "run.duration=30s");
  ASSERT_EQ(c.override_origins.size(), 3u);
  EXPECT_EQ(c.override_origins[0], "--set fleet.devices=10");
  EXPECT_EQ(c.override_origins[2], "--duration 30s");
  ASSERT_TRUE(c.shard);
  EXPECT_EQ(c.shard->k, 2u);
  EXPECT_EQ(c.shard->n, 6u);
  EXPECT_EQ(c.report_path, "out.json");
  EXPECT_EQ(c.threads, 3u);
  EXPECT_FALSE(c.progress);
}

TEST(CliArgs, OptionsMayComeBeforeTheScenario) {
  const Command c = parse({"validate", "--set", "a.b=1", "s.yaml"});
  EXPECT_EQ(c.scenario_path, "s.yaml");
  EXPECT_EQ(c.overrides.size(), 1u);
}

TEST(CliArgs, UsageErrorsSayWhatIsAllowed) {
  EXPECT_EQ(error_of({"launch"}), "unknown command \"launch\"; commands: run, validate, certs, report, responder, version, help");
  EXPECT_EQ(error_of({"--verbose"}), "unknown option \"--verbose\" (see fleetload --help)");
  EXPECT_EQ(error_of({"run"}), "run: missing the scenario file (fleetload run SCENARIO.yaml)");
  EXPECT_EQ(error_of({"run", "a.yaml", "b.yaml"}), "run: more than one scenario file (\"a.yaml\" and \"b.yaml\")");
  EXPECT_EQ(error_of({"run", "a.yaml", "--set"}), "run: --set needs a value");
  EXPECT_EQ(error_of({"run", "a.yaml", "--set", "novalue"}),
            "--set: expected path=value (e.g. fleet.devices=5000), got \"novalue\"");
  EXPECT_EQ(error_of({"run", "a.yaml", "--bogus"}), "run: unknown option \"--bogus\" (see fleetload run --help)");
  // --report belongs to run only; --duration is an override, validate takes it too.
  EXPECT_EQ(error_of({"validate", "a.yaml", "--report", "r.json"}),
            "validate: unknown option \"--report\" (see fleetload validate --help)");
  EXPECT_EQ(parse({"validate", "a.yaml", "--duration", "5s"}).overrides, std::vector<std::string>{"run.duration=5s"});
  EXPECT_EQ(error_of({"run", "a.yaml", "--threads", "0"}), "--threads: must be at least 1");
  EXPECT_EQ(error_of({"run", "a.yaml", "--threads", "two"}), "--threads: expected a whole number, got \"two\"");
}

TEST(CliArgs, ShardMustBeKOfN) {
  EXPECT_EQ(parse_shard("0/1").n, 1u);
  EXPECT_EQ(parse_shard("5/6").k, 5u);
  EXPECT_THROW(parse_shard("6/6"), ArgError);
  EXPECT_THROW(parse_shard("1/0"), ArgError);
  EXPECT_THROW(parse_shard("-1/4"), ArgError);
  EXPECT_THROW(parse_shard("3"), ArgError);
  EXPECT_THROW(parse_shard("a/b"), ArgError);
  EXPECT_EQ(error_of({"run", "a.yaml", "--shard", "4/4"}),
            "--shard: K must be below N (shards are numbered 0..N-1), got \"4/4\"");
}

TEST(CliArgs, HelpDocumentsTheExitCodes) {
  for (const std::string& h : {global_help(), command_help(CommandKind::Run)}) {
    EXPECT_NE(h.find("0  pass"), std::string::npos);
    EXPECT_NE(h.find("1  fail: a measured threshold was breached"), std::string::npos);
    EXPECT_NE(h.find("2  bad input"), std::string::npos);
    EXPECT_NE(h.find("3  runtime failure"), std::string::npos);
    EXPECT_NE(h.find("4  inconclusive: no device ever connected"), std::string::npos);
  }
  EXPECT_EQ(kExitInconclusive, 4);
}

}  // namespace
}  // namespace fleetload::cli
