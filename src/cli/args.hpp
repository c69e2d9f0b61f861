// Command-line parsing for `fleetload`: a small hand-rolled argv parser with clear errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fleetload::cli {

// Exit codes, documented in `fleetload --help` and docs/cli.md.
enum ExitCode : int {
  kExitOk = 0,
  kExitThresholdsBreached = 1,
  kExitBadInput = 2,      // scenario, arguments, or a preflight refusal
  kExitRuntimeFailure = 3,
  kExitInconclusive = 4,  // nothing to judge: no device connected, or a threshold measured nothing
};

enum class CommandKind { Help, Version, Run, Validate };

struct ShardArg {
  std::uint32_t k = 0;
  std::uint32_t n = 1;
};

// What the user asked for, before the scenario is read.
struct Command {
  CommandKind kind = CommandKind::Help;
  // For Help: the command whose help was asked ("" = global help).
  std::string help_topic;
  std::string scenario_path;
  // "path=value", in the order given: every --set, and --duration D as run.duration=D.
  std::vector<std::string> overrides;
  // How each override was written, for messages ("--set k=v", "--duration 30s"); same order.
  std::vector<std::string> override_origins;
  std::optional<ShardArg> shard;
  std::optional<std::string> report_path;
  std::optional<std::uint32_t> threads;
  bool progress = true;
  // Prometheus: exposer address (nullopt = the default 127.0.0.1:9464, which a busy port
  // only warns about), off with --no-metrics; Pushgateway for batch runs.
  bool metrics = true;
  std::optional<std::string> metrics_listen;
  std::optional<std::string> pushgateway;
  std::optional<std::string> push_interval;  // human units; 0 = final push only
  std::optional<std::string> push_job;
  std::optional<std::string> metrics_linger;  // keep /metrics up after the run until scraped
  // validate --no-file-checks: skip loading the identity files (a scenario for another
  // machine, e.g. a Kubernetes Secret mounted only in the pod).
  bool file_checks = true;
  std::vector<std::string> outputs;  // --out FORMAT=FILE (csv=..., ndjson=...), in the order given
  // run --start-at TIME (or $FLEETLOAD_START_AT): the instant the run starts, shared by
  // every shard so their phases and search steps line up; and how it was written.
  std::optional<std::chrono::system_clock::time_point> start_at;
  std::string start_at_text;
};

// A usage error: the message names the argument and what is allowed; exit code 2.
class ArgError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses argv (argv[0] is the program name). Throws ArgError.
Command parse_args(const std::vector<std::string>& argv);
Command parse_args(int argc, const char* const* argv);

// "K/N" with 0 <= K < N, N >= 1. Throws ArgError naming the value.
ShardArg parse_shard(const std::string& text);

// The shard when --shard is absent, from the environment (nullptr or "" = unset):
// FLEETLOAD_SHARD="K/N", or JOB_COMPLETION_INDEX=K (Kubernetes Indexed Job) with
// FLEETLOAD_SHARDS=N; FLEETLOAD_SHARD wins, but any of the others that is set must agree
// with it. nullopt when none is set. Throws ArgError on a disagreement, on
// JOB_COMPLETION_INDEX without FLEETLOAD_SHARDS or FLEETLOAD_SHARD (a pod would silently run
// the whole fleet), on FLEETLOAD_SHARDS alone, or on a bad value.
std::optional<ShardArg> shard_from_env(const char* fleetload_shard, const char* completion_index,
                                       const char* shards);

// A wall-clock instant: "2026-12-05T10:00:00Z" (UTC, optional fraction of a second:
// "...:00.250Z") or "@1733392800" (Unix seconds, optional fraction). Throws ArgError naming
// `what` (the flag or the variable) and the accepted forms.
std::chrono::system_clock::time_point parse_start_at(const std::string& text, const std::string& what);

// Help texts (stdout for --help).
std::string global_help();
std::string command_help(CommandKind kind);

// "--name value" or "--name=value" at args[i] of `command`'s arguments: its value, with i
// advanced past what it consumed; nullopt (i unchanged) when args[i] is another argument.
// Throws ArgError when the value is missing.
std::optional<std::string> take_option_value(const std::vector<std::string>& args, std::size_t& i,
                                             std::string_view name, std::string_view command);

}  // namespace fleetload::cli
