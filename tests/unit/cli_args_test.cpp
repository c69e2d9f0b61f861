// The fleetload argv parser: commands, options in both spellings, and the usage errors.
#include <gtest/gtest.h>

#include "cli/args.hpp"
#include "cli/quick_args.hpp"

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
  EXPECT_EQ(error_of({"launch"}), "unknown command \"launch\"; commands: run, validate, init, schema, certs, report, responder, version, help");
  EXPECT_EQ(error_of({"--verbose"}), "unknown option \"--verbose\" (see fleetload --help)");
  EXPECT_EQ(error_of({"run"}), "run: missing the scenario file (fleetload run SCENARIO.yaml), or for a one-liner "
                               "--broker URL and --devices N (fleetload run --help)");
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

// ---- the one-liner (cli/quick_args.hpp) ----------------------------------------------

TEST(CliArgs, OneLinerFlagsAreOverridesOfTheirFields) {
  const Command c = parse({"run", "--broker", "mqtt://h:1883", "--devices", "1000", "--connect-rate", "500/s",
                           "--publish", "1/s", "--qos", "1", "--duration", "60s", "--protocol=5", "--insecure"});
  EXPECT_TRUE(c.scenario_path.empty());
  // In the order given, then the one-liner's defaults (the topic it publishes to).
  const std::vector<std::string> want{"target.endpoint=mqtt://h:1883", "fleet.devices=1000", "fleet.connect_rate=500/s",
                                      "publish.rate=1/s", "publish.qos=1", "run.duration=60s", "target.protocol=mqtt5",
                                      "auth.tls.verify_peer=false", "publish.topic=telemetry/{client_id}"};
  EXPECT_EQ(c.overrides, want);
  ASSERT_EQ(c.override_origins.size(), want.size());
  EXPECT_EQ(c.override_origins[0], "--broker mqtt://h:1883");
  EXPECT_EQ(c.override_origins[6], "--protocol 5");
  EXPECT_EQ(c.override_origins[7], "--insecure");
  EXPECT_EQ(c.override_origins[8], "one-liner default publish.topic=telemetry/{client_id}");
}

TEST(CliArgs, OneLinerSubscribersGetAFilterForEveryPublishedTopic) {
  const Command c = parse({"validate", "--broker", "h", "--devices", "10", "--publish", "2/s", "--topic",
                           "fleet/{index}/up", "--qos", "1", "--subscribers", "10%"});
  const std::vector<std::string> tail(c.overrides.end() - 2, c.overrides.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"subscribe.filters.0.filter=fleet/+/up", "subscribe.filters.0.qos=1"}));
  EXPECT_EQ(filter_for_topic("a/{client_id}/b/{index}"), "a/+/b/+");
  EXPECT_EQ(filter_for_topic("plain/topic"), "plain/topic");
}

TEST(CliArgs, OneLinerNeedsBrokerAndDevicesWithoutAFile) {
  const std::string want = "run: missing the scenario file (fleetload run SCENARIO.yaml), or for a one-liner --broker "
                           "URL and --devices N (fleetload run --help)";
  EXPECT_EQ(error_of({"run", "--broker", "mqtt://h"}), want);
  EXPECT_EQ(error_of({"run", "--devices", "5"}), want);
  // --set may spell them too.
  EXPECT_NO_THROW(parse({"run", "--set", "target.endpoint=h", "--set", "fleet.devices=5"}));
  // With a file the flags only override it: no defaults are added.
  const Command f = parse({"run", "s.yaml", "--publish", "1/s"});
  EXPECT_EQ(f.overrides, (std::vector<std::string>{"publish.rate=1/s"}));
}

TEST(CliArgs, OneLinerNeverNamesAUrlPassword) {
  const Command c = parse({"run", "--broker", "mqtt://user:s3cret@h:1883", "--devices", "1"});
  ASSERT_FALSE(c.override_origins.empty());
  EXPECT_EQ(c.override_origins[0], "--broker mqtt://***@h:1883");
}

TEST(CliArgs, RunHelpListsEveryOneLinerFlag) {
  const std::string h = command_help(CommandKind::Run);
  for (const auto& f : quick_flags()) EXPECT_NE(h.find("  " + std::string(f.flag)), std::string::npos) << f.flag;
}

}  // namespace
}  // namespace fleetload::cli
