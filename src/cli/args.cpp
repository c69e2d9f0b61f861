// The argv parser and help texts of `fleetload`.
#include "cli/args.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>

#include "cli/quick_args.hpp"
#include "scenario/endpoint_url.hpp"

namespace fleetload::cli {

namespace {

constexpr std::string_view kExitCodes =
    "Exit codes:\n"
    "  0  pass: devices connected, and every threshold was measured and met (or none set)\n"
    "  1  fail: a measured threshold was breached (the report says which)\n"
    "  2  bad input: scenario file, arguments, or a preflight refusal (limits)\n"
    "  3  runtime failure: the run could not produce results, or the report not be written\n"
    "  4  inconclusive: no device ever connected, or a threshold measured nothing (e.g.\n"
    "     max_loss without a subscriber receiving anything)\n"
    "An interrupted run (SIGINT/SIGTERM) still writes its report and exits with the\n"
    "verdict on what ran (0, 1 or 4), or 3 when it could not produce results.\n";

bool is_help(std::string_view a) { return a == "--help" || a == "-h"; }

std::optional<CommandKind> command_of(std::string_view name) {
  if (name == "run") return CommandKind::Run;
  if (name == "validate") return CommandKind::Validate;
  if (name == "version") return CommandKind::Version;
  if (name == "help") return CommandKind::Help;
  return std::nullopt;
}

const char* name_of(CommandKind k) {
  switch (k) {
    case CommandKind::Run: return "run";
    case CommandKind::Validate: return "validate";
    case CommandKind::Version: return "version";
    case CommandKind::Help: return "help";
  }
  return "?";
}

std::uint32_t parse_u32(std::string_view text, std::string_view what) {
  std::uint32_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) {
    throw ArgError(std::string(what) + ": expected a whole number, got \"" + std::string(text) + "\"");
  }
  return v;
}

// Walks the options after the command name. Options take their value either as the next
// argument ("--set k=v") or after '=' ("--set=k=v").
class OptionReader {
 public:
  OptionReader(const std::vector<std::string>& argv, std::size_t first, CommandKind cmd)
      : argv_(argv), i_(first), cmd_(cmd) {}

  bool done() const { return i_ >= argv_.size(); }
  const std::string& peek() const { return argv_[i_]; }
  std::string next() { return argv_[i_++]; }

  // When the current argument is `--name` or `--name=value`, consumes it and returns the
  // value; nullopt when it is another argument.
  std::optional<std::string> value_of(std::string_view name) {
    const std::string& a = argv_[i_];
    if (a == name) {
      if (i_ + 1 >= argv_.size()) {
        throw ArgError(std::string(name_of(cmd_)) + ": " + std::string(name) + " needs a value");
      }
      i_ += 2;
      return argv_[i_ - 1];
    }
    if (a.size() > name.size() && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=') {
      ++i_;
      return a.substr(name.size() + 1);
    }
    return std::nullopt;
  }

 private:
  const std::vector<std::string>& argv_;
  std::size_t i_;
  CommandKind cmd_;
};

void check_override(const std::string& kv) {
  const auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ArgError("--set: expected path=value (e.g. fleet.devices=5000), got \"" + kv + "\"");
  }
}

// --out FORMAT=FILE: the formats of metrics/report_series_out (the file is checked later).
void check_output(const std::string& v) {
  for (std::string_view prefix : {"csv=", "ndjson="})
    if (v.size() > prefix.size() && v.compare(0, prefix.size(), prefix) == 0) return;
  throw ArgError("--out: expected csv=FILE or ndjson=FILE, got \"" + v + "\"");
}

// A one-liner flag at the reader (cli/quick_args.hpp): consumed into the overrides as the
// `--set` of its field, named by the flag in messages. False when it is another argument.
bool take_quick_flag(OptionReader& r, Command& c) {
  for (const auto& f : quick_flags()) {
    std::optional<std::string> v;
    if (f.value.empty()) {
      if (r.peek() != f.flag) continue;
      r.next();
      v = "";
    } else if (!(v = r.value_of(f.flag))) {
      continue;
    }
    c.overrides.push_back(std::string(f.path) + "=" + quick_value(f, *v));
    // A URL's user info may hold a password: never in a message.
    c.override_origins.push_back(f.value.empty() ? std::string(f.flag)
                                                 : std::string(f.flag) + " " + scenario::mask_url_userinfo(*v));
    return true;
  }
  return false;
}

// Whether an override sets `path` or a field under it.
bool sets(const Command& c, std::string_view path) {
  for (const auto& o : c.overrides)
    if (o.size() > path.size() && o.compare(0, path.size(), path) == 0 && (o[path.size()] == '=' || o[path.size()] == '.'))
      return true;
  return false;
}

}  // namespace

namespace {
// "K/N" read for `what` (the flag or the environment variable named in errors).
ShardArg parse_shard_as(const std::string& text, const std::string& what) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    throw ArgError(what + ": expected K/N (e.g. 0/4, shard K of N, counting from 0), got \"" + text + "\"");
  }
  ShardArg s;
  s.k = parse_u32(std::string_view(text).substr(0, slash), what + " K");
  s.n = parse_u32(std::string_view(text).substr(slash + 1), what + " N");
  if (s.n == 0) throw ArgError(what + ": N must be at least 1, got \"" + text + "\"");
  if (s.k >= s.n) {
    throw ArgError(what + ": K must be below N (shards are numbered 0..N-1), got \"" + text + "\"");
  }
  return s;
}
}  // namespace

ShardArg parse_shard(const std::string& text) { return parse_shard_as(text, "--shard"); }

std::chrono::system_clock::time_point parse_start_at(const std::string& text, const std::string& what) {
  const auto bad = [&] {
    return ArgError(what + ": expected a UTC time like 2026-12-05T10:00:00Z (or ...:00.5Z) or @UNIX_SECONDS, got \"" +
                    text + "\"");
  };
  // The fraction of a second after `at` (".25"), as nanoseconds; `at` = end: none.
  const auto fraction = [&](std::size_t at, std::size_t end) -> std::int64_t {
    if (at == end) return 0;
    if (text[at] != '.' || at + 1 == end || end - at - 1 > 9) throw bad();
    std::int64_t ns = 0;
    std::size_t digits = 0;
    for (std::size_t i = at + 1; i < end; ++i, ++digits) {
      if (text[i] < '0' || text[i] > '9') throw bad();
      ns = ns * 10 + (text[i] - '0');
    }
    for (; digits < 9; ++digits) ns *= 10;
    return ns;
  };
  std::int64_t secs = 0;
  std::int64_t ns = 0;
  if (!text.empty() && text[0] == '@') {
    const auto dot = std::min(text.find('.'), text.size());
    if (dot == 1) throw bad();
    for (std::size_t i = 1; i < dot; ++i) {
      if (text[i] < '0' || text[i] > '9' || i > 12) throw bad();
      secs = secs * 10 + (text[i] - '0');
    }
    ns = fraction(dot, text.size());
  } else {
    std::tm tm{};
    int consumed = 0;
    if (text.size() < 20 || text.back() != 'Z' ||
        std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &consumed) != 6 || consumed != 19 || text[4] != '-' || text[7] != '-' ||
        text[10] != 'T' || text[13] != ':' || text[16] != ':')
      throw bad();
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
      throw bad();
    const int mday = tm.tm_mday;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const std::time_t t = timegm(&tm);
    // timegm normalises 2026-02-31 into March: a day the month does not have is refused.
    if (t == static_cast<std::time_t>(-1) || tm.tm_mday != mday) throw bad();
    secs = static_cast<std::int64_t>(t);
    ns = fraction(19, text.size() - 1);
  }
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(secs) + std::chrono::nanoseconds(ns)));
}

std::optional<ShardArg> shard_from_env(const char* fleetload_shard, const char* completion_index,
                                       const char* shards) {
  const auto set = [](const char* v) { return v != nullptr && *v != '\0'; };
  if (set(fleetload_shard)) {
    const ShardArg s = parse_shard_as(fleetload_shard, "FLEETLOAD_SHARD");
    if (set(shards) && parse_u32(shards, "FLEETLOAD_SHARDS") != s.n) {
      throw ArgError("FLEETLOAD_SHARD=" + std::string(fleetload_shard) + " disagrees with FLEETLOAD_SHARDS=" + shards +
                     "; set one or the other");
    }
    if (set(completion_index) && parse_u32(completion_index, "JOB_COMPLETION_INDEX") != s.k) {
      throw ArgError("FLEETLOAD_SHARD=" + std::string(fleetload_shard) + " disagrees with JOB_COMPLETION_INDEX=" +
                     completion_index + "; set one or the other");
    }
    return s;
  }
  if (set(completion_index)) {
    if (!set(shards)) {
      throw ArgError("JOB_COMPLETION_INDEX=" + std::string(completion_index) +
                     " is set (Kubernetes Indexed Job) but FLEETLOAD_SHARDS is not: set FLEETLOAD_SHARDS to the "
                     "Job's completions, or set FLEETLOAD_SHARD=K/N, or pass --shard K/N");
    }
    return parse_shard_as(std::string(completion_index) + "/" + shards, "JOB_COMPLETION_INDEX/FLEETLOAD_SHARDS");
  }
  if (set(shards)) {
    throw ArgError("FLEETLOAD_SHARDS=" + std::string(shards) +
                   " is set but neither JOB_COMPLETION_INDEX nor FLEETLOAD_SHARD says which shard this is");
  }
  return std::nullopt;
}

Command parse_args(int argc, const char* const* argv) {
  std::vector<std::string> v;
  for (int i = 0; i < argc; ++i) v.emplace_back(argv[i]);
  return parse_args(v);
}

Command parse_args(const std::vector<std::string>& argv) {
  Command c;
  if (argv.size() < 2) return c;  // global help
  const std::string& first = argv[1];
  if (is_help(first)) return c;
  if (first == "--version") {
    c.kind = CommandKind::Version;
    return c;
  }
  const auto kind = command_of(first);
  if (!kind) {
    if (!first.empty() && first[0] == '-') throw ArgError("unknown option \"" + first + "\" (see fleetload --help)");
    throw ArgError("unknown command \"" + first + "\"; commands: run, validate, init, schema, certs, report, responder, version, help");
  }
  c.kind = *kind;

  if (c.kind == CommandKind::Help) {
    if (argv.size() > 3) throw ArgError("help: takes at most one command name");
    if (argv.size() == 3) {
      const auto topic = command_of(argv[2]);
      if (!topic) throw ArgError("help: unknown command \"" + argv[2] + "\"; commands: run, validate, init, schema, certs, report, responder, version");
      c.help_topic = argv[2];
    }
    return c;
  }

  OptionReader r(argv, 2, c.kind);
  while (!r.done()) {
    if (is_help(r.peek())) {
      c.help_topic = name_of(c.kind);
      c.kind = CommandKind::Help;
      return c;
    }
    if (c.kind == CommandKind::Version) {
      throw ArgError("version: unexpected argument \"" + r.peek() + "\"");
    }
    if (auto v = r.value_of("--set")) {
      check_override(*v);
      c.overrides.push_back(*v);
      c.override_origins.push_back("--set " + *v);
    } else if (auto v = r.value_of("--shard")) {
      c.shard = parse_shard(*v);
    } else if ((v = r.value_of("--duration"))) {
      // Exactly --set run.duration=D: the same parser, the same default phases, in order.
      if (v->empty()) throw ArgError("--duration: expected a duration like 30s or 5m");
      c.overrides.push_back("run.duration=" + *v);
      c.override_origins.push_back("--duration " + *v);
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--report"))) {
      if (v->empty()) throw ArgError("--report: expected a file path or a directory");
      c.report_path = *v;
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--threads"))) {
      c.threads = parse_u32(*v, "--threads");
      if (*c.threads == 0) throw ArgError("--threads: must be at least 1");
    } else if (c.kind == CommandKind::Run && r.peek() == "--no-progress") {
      r.next();
      c.progress = false;
    } else if (c.kind == CommandKind::Validate && r.peek() == "--no-file-checks") {
      r.next();
      c.file_checks = false;
    } else if (c.kind == CommandKind::Run && r.peek() == "--no-metrics") {
      r.next();
      c.metrics = false;
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--metrics-listen"))) {
      c.metrics_listen = *v;  // checked strictly (cli/addresses.hpp) before the run
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--pushgateway"))) {
      c.pushgateway = *v;
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--push-interval"))) {
      c.push_interval = *v;
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--push-job"))) {
      if (v->empty()) throw ArgError("--push-job: expected a job name");
      c.push_job = *v;
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--metrics-linger"))) {
      c.metrics_linger = *v;
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--start-at"))) {
      c.start_at = parse_start_at(*v, "--start-at");
      c.start_at_text = *v;
    } else if (c.kind == CommandKind::Run && (v = r.value_of("--out"))) {
      check_output(*v);
      c.outputs.push_back(*v);
    } else if ((c.kind == CommandKind::Run || c.kind == CommandKind::Validate) && take_quick_flag(r, c)) {
      continue;
    } else if (!r.peek().empty() && r.peek()[0] == '-' && r.peek() != "-") {
      throw ArgError(std::string(name_of(c.kind)) + ": unknown option \"" + r.peek() +
                     "\" (see fleetload " + name_of(c.kind) + " --help)");
    } else if (c.scenario_path.empty()) {
      c.scenario_path = r.next();
    } else {
      throw ArgError(std::string(name_of(c.kind)) + ": more than one scenario file (\"" +
                     c.scenario_path + "\" and \"" + r.peek() + "\")");
    }
  }
  if ((c.kind == CommandKind::Run || c.kind == CommandKind::Validate) && c.scenario_path.empty()) {
    // The one-liner: the flags are the whole scenario, on an empty document.
    if (!sets(c, "target") || !sets(c, "fleet.devices")) {
      throw ArgError(std::string(name_of(c.kind)) + ": missing the scenario file (fleetload " + name_of(c.kind) +
                     " SCENARIO.yaml), or for a one-liner --broker URL and --devices N (fleetload " +
                     name_of(c.kind) + " --help)");
    }
    for (auto& d : quick_defaults(c.overrides)) {
      c.override_origins.push_back("one-liner default " + d);
      c.overrides.push_back(std::move(d));
    }
  }
  // --shard wins; else the environment (containers, Kubernetes Indexed Jobs).
  if ((c.kind == CommandKind::Run || c.kind == CommandKind::Validate) && !c.shard) {
    c.shard = shard_from_env(std::getenv("FLEETLOAD_SHARD"), std::getenv("JOB_COMPLETION_INDEX"),
                             std::getenv("FLEETLOAD_SHARDS"));
  }
  // --start-at wins; else FLEETLOAD_START_AT (a Kubernetes Job sets it for every pod).
  if (c.kind == CommandKind::Run && !c.start_at) {
    if (const char* e = std::getenv("FLEETLOAD_START_AT"); e != nullptr && *e != '\0') {
      c.start_at = parse_start_at(e, "FLEETLOAD_START_AT");
      c.start_at_text = e;
    }
  }
  return c;
}

std::string global_help() {
  std::string h =
      "fleetload: simulate a fleet of MQTT devices against a broker and measure it.\n"
      "\n"
      "Usage:\n"
      "  fleetload run SCENARIO [--set PATH=VALUE]... [--shard K/N] [--duration D]\n"
      "                [--report FILE|DIR] [--threads N] [--no-progress]\n"
      "                [--metrics-listen HOST:PORT | --no-metrics] [--pushgateway URL]\n"
      "                [--out csv=FILE] [--out ndjson=FILE]\n"
      "  fleetload run --broker URL --devices N [--connect-rate R] [--publish R] [--qos Q]\n"
      "                [--subscribers N] [--duration D] ... (a one-liner: no scenario file)\n"
      "  fleetload validate SCENARIO [--set PATH=VALUE]... [--shard K/N] [--duration D]\n"
      "                     [--no-file-checks]   (or the one-liner's options instead of SCENARIO)\n"
      "  fleetload init [--auth MODE] [--protocol P] [--shape telemetry|idle|storm|mixed]\n"
      "                 [-o FILE] [--force]\n"
      "  fleetload schema [-o FILE]\n"
      "  fleetload certs --devices N --out DIR [--key-type ecdsa-p256|rsa2048] [--pkcs12]\n"
      "  fleetload report merge A.json B.json ... [--out OUT.json|DIR]\n"
      "  fleetload report diff BASE.json NEW.json [--tolerance 5%] [--fail-on regression|never]\n"
      "  fleetload responder [--config FILE] [--broker URL|HOST:PORT] [--tls ...] [--duration D]\n"
      "  fleetload version\n"
      "  fleetload help [COMMAND] | fleetload COMMAND --help\n"
      "\n"
      "Commands:\n"
      "  run       run the scenario; live progress on stderr, summary on stdout, JSON report\n"
      "  validate  check the scenario and print it resolved (defaults filled, secrets masked)\n"
      "  init      write a commented starter scenario (fleetload init --help)\n"
      "  schema    print the JSON Schema of scenario files, for editors and CI\n"
      "  certs     write a test CA, broker and per-device certificates/keys (fleetload certs --help)\n"
      "  report    report merge: one fleet report from the shards' reports; report diff: two\n"
      "            reports side by side, regressions flagged (fleetload report --help)\n"
      "  responder play AWS IoT's Shadow, Jobs and Fleet Provisioning services on any broker\n"
      "            (fleetload responder --help)\n"
      "  version   print the version\n"
      "\n";
  h += kExitCodes;
  return h;
}

std::string command_help(CommandKind kind) {
  std::string h;
  switch (kind) {
    case CommandKind::Run:
      h = "Usage: fleetload run SCENARIO [options]\n"
          "       fleetload run --broker URL --devices N [scenario options] [options]\n"
          "\n"
          "Runs the scenario against its target. Progress once a second on stderr, a summary\n"
          "table on stdout at the end, and a JSON report (--report or run.report).\n"
          "Without a scenario file the scenario options below are the scenario (a\n"
          "one-liner): each sets one field exactly as --set does; fleetload validate with\n"
          "the same options prints it as YAML, a file to start from. With a file they\n"
          "override its fields.\n"
          "\n"
          "Options:\n"
          "  --set PATH=VALUE  override a scenario field, e.g. --set fleet.devices=5000\n"
          "                    --set target.endpoint=broker.local (repeatable, applied in order)\n"
          "  --shard K/N       run only devices with index % N == K (K counts from 0); when\n"
          "                    absent: $FLEETLOAD_SHARD (K/N), else $JOB_COMPLETION_INDEX (K)\n"
          "                    with $FLEETLOAD_SHARDS (N)\n"
          "  --duration D      bound the run, e.g. 30s, 5m: exactly --set run.duration=D\n"
          "  --report PATH     PATH ending in .json: the JSON report there and the HTML report\n"
          "                    beside it (.html); any other PATH is a directory that gets\n"
          "                    report.json and report.html (overrides run.report). Missing\n"
          "                    directories are created and the place checked before the run\n"
          "                    starts: one that cannot be written is refused (exit 2)\n"
          "  --threads N       worker threads (default: one per core)\n"
          "  --no-progress     no live progress on stderr\n"
          "  --metrics-listen HOST:PORT  Prometheus /metrics (default 127.0.0.1:9464; when the\n"
          "                    default port is busy the run goes on without it, with a warning).\n"
          "                    HOST: an IPv4 address, [IPv6], or a name resolved once at start\n"
          "  --no-metrics      no Prometheus exposer\n"
          "  --pushgateway URL push metrics to a Pushgateway (http://HOST:9091) during the run\n"
          "                    and at the end (batch runs)\n"
          "  --push-interval D push period (default 10s; 0 = only the final push)\n"
          "  --push-job NAME   Pushgateway job name (default fleetload)\n"
          "  --metrics-linger D  after the run keep /metrics up until Prometheus has scraped\n"
          "                    the final values, at most D\n"
          "  --out csv=FILE    also write the time series as CSV, one row per interval (at the\n"
          "  --out ndjson=FILE end of the run); repeatable\n"
          "  --start-at TIME   start the run at TIME (2026-12-05T10:00:00Z or @UNIX_SECONDS),\n"
          "                    after setting up; every shard of a run given the same TIME runs\n"
          "                    its phases and search steps at the same instants (default:\n"
          "                    $FLEETLOAD_START_AT, else at once). A TIME already past is refused\n"
          "\n"
          "Scenario options:\n"
          + quick_help() +
          "\n"
          "Signals: the first SIGINT/SIGTERM stops the run cleanly (DISCONNECT from every\n"
          "device); a second one stops at once. The report is written in both cases, and\n"
          "later signals never change the exit code.\n"
          "\n";
      h += kExitCodes;
      return h;
    case CommandKind::Validate:
      h = "Usage: fleetload validate SCENARIO [--set PATH=VALUE]... [--shard K/N] [--duration D]\n"
          "                          [--no-file-checks]\n"
          "       fleetload validate --broker URL --devices N [scenario options]\n"
          "\n"
          "Reads and checks the scenario exactly as `run` would, then prints it resolved\n"
          "(every default filled in, secrets shown as ***) on stdout and any warnings (for\n"
          "example AWS IoT Core limits) on stderr. Nothing connects. Client ids and topics\n"
          "are rendered for the shard's first and last device and must be valid MQTT\n"
          "strings; every file the auth section names must exist and load (per-device\n"
          "paths: for those two devices). --duration D is --set run.duration=D, as for run.\n"
          "Without a file the scenario options (as for run) are the scenario, and the YAML\n"
          "printed is the equivalent scenario file.\n"
          "\n"
          "Options:\n"
          "  --no-file-checks  do not load the identity files (a scenario meant for another\n"
          "                    machine, whose certificates are not here)\n"
          "\n"
          "Scenario options:\n"
          + quick_help() +
          "\n"
          "Exit codes: 0 valid, 2 invalid (each problem as file:line:col: field: message).\n";
      return h;
    case CommandKind::Version:
      return "Usage: fleetload version\n\nPrints the fleetload version.\n";
    case CommandKind::Help:
      return global_help();
  }
  return global_help();
}

std::optional<std::string> take_option_value(const std::vector<std::string>& args, std::size_t& i,
                                             std::string_view name, std::string_view command) {
  const std::string& a = args[i];
  if (a == name) {
    if (i + 1 >= args.size()) throw ArgError(std::string(command) + ": " + std::string(name) + " needs a value");
    i += 2;
    return args[i - 1];
  }
  if (a.size() > name.size() && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=') {
    ++i;
    return a.substr(name.size() + 1);
  }
  return std::nullopt;
}

}  // namespace fleetload::cli
