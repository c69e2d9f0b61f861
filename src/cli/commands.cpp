// The `fleetload` commands and the top-level dispatch with exit codes.
#include "cli/commands.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/addresses.hpp"
#include "auth/identity_check.hpp"
#include "cli/cmd_certs.hpp"
#include "cli/cmd_init.hpp"
#include "cli/cmd_schema.hpp"
#include "cli/cmd_report.hpp"
#include "cli/cmd_responder.hpp"
#include "cli/progress.hpp"
#include "cli/report_builder.hpp"
#include "cli/signals.hpp"
#include "engine/engine.hpp"
#include "metrics/exporter.hpp"
#include "metrics/report_html.hpp"
#include "metrics/report_json.hpp"
#include "metrics/report_series_out.hpp"
#include "metrics/report_text.hpp"
#include "scenario/scenario.hpp"
#include "scenario/units.hpp"

namespace fleetload::cli {

namespace {

// The overrides as the user wrote them: --set and --duration, in order.
std::vector<scenario::Override> overrides_of(const Command& cmd) {
  std::vector<scenario::Override> out;
  for (std::size_t i = 0; i < cmd.overrides.size(); ++i)
    out.push_back({cmd.overrides[i], i < cmd.override_origins.size() ? cmd.override_origins[i] : "--set " + cmd.overrides[i]});
  return out;
}

// What messages call a scenario made of flags only (`fleetload run --broker ...`).
constexpr const char* kCommandLineSource = "command line";

bool has_override(const Command& cmd, std::string_view path) {
  for (const auto& o : cmd.overrides)
    if (o.size() > path.size() && o.compare(0, path.size(), path) == 0 && o[path.size()] == '=') return true;
  return false;
}

// Reads the scenario as both run and validate see it: overrides, then the shard. A secret
// given on the command line is warned about first (it is in /proc/PID/cmdline already).
scenario::Scenario load(const Command& cmd) {
  const auto overrides = overrides_of(cmd);
  for (const auto& w : scenario::override_warnings(overrides)) std::fprintf(stderr, "warning: %s\n", w.c_str());
  // The one-liner: its flags (overrides) on an empty document, through the same parser.
  scenario::Scenario s = cmd.scenario_path.empty()
                             ? scenario::parse_scenario("", kCommandLineSource, overrides)
                             : scenario::load_scenario(cmd.scenario_path, overrides);
  if (cmd.scenario_path.empty() && !has_override(cmd, "name")) s.name = "command-line";
  if (cmd.shard) s.fleet.shard = scenario::Shard{cmd.shard->k, cmd.shard->n};
  return s;
}

// What validate and run check after parsing (auth/identity_check.hpp: rendered client ids and
// topics, identity files unless `files` is false): errors are scenario errors (exit 2, before
// anything is printed or started), warnings go to stderr, and validate also says what was
// checked.
void apply_checks(const scenario::Scenario& s, bool notes, bool files = true) {
  scenario::CheckResult c = files ? auth::check_scenario(s) : scenario::check_each_group(s, scenario::check_rendering);
  if (!files) c.notes.push_back("identity files not loaded (--no-file-checks)");
  if (!c.errors.empty()) throw scenario::ScenarioError(c.errors);
  for (const auto& w : c.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (notes)
    for (const auto& n : c.notes) std::fprintf(stderr, "checked: %s\n", n.c_str());
}

// Scenario warnings (e.g. AWS IoT Core limits) and this machine's soft limits (e.g. more
// connections per source/endpoint pair than Linux connects quickly).
void print_warnings(const scenario::Scenario& s) {
  for (const auto& w : scenario::warnings(s)) std::fprintf(stderr, "warning: %s\n", w.c_str());
  for (const auto& w : engine::preflight_warnings(s)) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

// --report PATH: "x.json" gives x.json + x.html; anything else is a directory that gets
// report.json + report.html. Checked before the run, so a run is never lost to a report
// that cannot be written: the directory is created and a file created in it and removed.
// Throws ArgError naming `origin` ("--report PATH", "run.report PATH").
std::pair<std::filesystem::path, std::filesystem::path> prepare_report_paths(const std::filesystem::path& p,
                                                                             const std::string& origin) {
  namespace fs = std::filesystem;
  std::pair<fs::path, fs::path> out;
  if (p.extension() == ".json") {
    auto html = p;
    html.replace_extension(".html");
    out = {p, html};
  } else {
    out = {p / "report.json", p / "report.html"};
  }
  fs::path dir = out.first.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw ArgError(origin + ": cannot create the directory " + dir.string() + ": " + ec.message());
  for (const auto& f : {out.first, out.second})
    if (fs::is_directory(f, ec)) throw ArgError(origin + ": " + f.string() + " is a directory");
  // The writer creates <report>.tmp and renames it: probe exactly that.
  fs::path probe = out.first;
  probe += ".tmp";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EEXIST)
    throw ArgError(origin + ": cannot write in " + dir.string() + ": " + std::strerror(errno));
  if (fd >= 0) {
    ::close(fd);
    ::unlink(probe.c_str());
  }
  return out;
}

std::optional<std::chrono::milliseconds> duration_arg(const std::optional<std::string>& v, const char* flag) {
  if (!v) return std::nullopt;
  const auto d = scenario::parse_duration(*v);
  if (!d) throw ArgError(std::string(flag) + ": expected a duration like 10s or 0, got \"" + *v + "\"");
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

// Starts the Prometheus exposer / Pushgateway pusher. An address the user asked for that
// cannot be bound is bad input; the default address being busy (another fleetload on this
// host) only costs the exposer, with a warning, so the run itself still happens.
int start_exporter(const Command& cmd, const scenario::Scenario& s, const std::optional<std::string>& listen,
                   std::optional<metrics::Exporter>& out) {
  if (!cmd.metrics && !cmd.pushgateway) return kExitOk;
  metrics::ExporterOptions eo = metrics::exporter_options_for(s);
  eo.listen = cmd.metrics ? listen.value_or("127.0.0.1:9464") : "";
  if (cmd.pushgateway) eo.pushgateway = *cmd.pushgateway;
  if (auto d = duration_arg(cmd.push_interval, "--push-interval")) eo.push_interval = *d;
  if (cmd.push_job) eo.push_job = *cmd.push_job;
  (void)duration_arg(cmd.metrics_linger, "--metrics-linger");  // checked before the run
  std::string why;
  try {
    out.emplace(eo);
    return kExitOk;
  } catch (const std::exception& e) {
    if (cmd.metrics_listen || !cmd.metrics) {
      std::fprintf(stderr, "fleetload: %s\n", e.what());
      return kExitBadInput;
    }
    why = e.what();
  }
  std::fprintf(stderr, "fleetload: warning: running without the Prometheus exposer: %s "
               "(choose another with --metrics-listen HOST:PORT, or --no-metrics)\n", why.c_str());
  eo.listen.clear();
  if (eo.pushgateway.empty()) return kExitOk;
  out.emplace(eo);
  return kExitOk;
}

// --out FORMAT=FILE, parsed and checked before the run so an unwritable file is bad input
// now rather than a lost series after the run: its directory must exist or be creatable and
// be writable.
std::vector<metrics::SeriesOutput> series_outputs(const std::vector<std::string>& args) {
  std::vector<metrics::SeriesOutput> outs;
  for (const auto& a : args) {
    auto o = metrics::parse_series_output(a);
    if (!o) throw ArgError("--out: expected csv=FILE or ndjson=FILE, got \"" + a + "\"");
    const std::filesystem::path dir = o->path.has_parent_path() ? o->path.parent_path() : ".";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || ::access(dir.c_str(), W_OK) != 0)
      throw ArgError("--out " + a + ": cannot write into " + dir.string() + (ec ? ": " + ec.message() : ""));
    if (std::filesystem::is_directory(o->path, ec))
      throw ArgError("--out " + a + ": " + o->path.string() + " is a directory");
    outs.push_back(std::move(*o));
  }
  return outs;
}

const char* signal_name(int signo) { return signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "signal"; }

}  // namespace

int validate_command(const Command& cmd) {
  const scenario::Scenario s = load(cmd);
  apply_checks(s, true, cmd.file_checks);
  std::fputs(scenario::to_yaml(s, /*mask_secrets=*/true).c_str(), stdout);
  std::fflush(stdout);
  print_warnings(s);
  // The limits of this machine do not make the file invalid (it may run elsewhere, or in
  // shards), but say now what `run` would refuse here.
  for (const auto& p : engine::preflight(s)) {
    std::fprintf(stderr, "warning: `run` would refuse on this machine: %s\n", p.format().c_str());
  }
  std::fprintf(stderr, "%s: valid\n", cmd.scenario_path.empty() ? kCommandLineSource : cmd.scenario_path.c_str());
  return kExitOk;
}

int exit_code_of(metrics::Verdict v) noexcept {
  switch (v) {
    case metrics::Verdict::Pass: return kExitOk;
    case metrics::Verdict::Fail: return kExitThresholdsBreached;
    case metrics::Verdict::Inconclusive: return kExitInconclusive;
  }
  return kExitRuntimeFailure;
}

int run_command(const Command& cmd) {
  scenario::Scenario s = load(cmd);
  engine::RunOptions options;
  if (cmd.threads) options.threads = *cmd.threads;
  apply_checks(s, false);
  if (cmd.start_at) {
    // A start already past would put this shard behind the others for the whole run.
    const auto late = std::chrono::system_clock::now() - *cmd.start_at;
    if (late > std::chrono::seconds(1)) {
      std::fprintf(stderr, "fleetload: --start-at %s is %.1f s in the past: start every shard before that time\n",
                   cmd.start_at_text.c_str(), std::chrono::duration<double>(late).count());
      return kExitBadInput;
    }
    options.start_at = cmd.start_at;
  }
  // Everything that can be refused is refused before the run: addresses, the report place.
  std::optional<std::string> listen;
  if (cmd.metrics && cmd.metrics_listen) listen = metrics_listen_address(*cmd.metrics_listen);
  if (cmd.pushgateway) check_pushgateway_url(*cmd.pushgateway);
  std::optional<std::pair<std::filesystem::path, std::filesystem::path>> report_files;
  if (cmd.report_path) {
    report_files = prepare_report_paths(*cmd.report_path, "--report " + *cmd.report_path);
  } else if (s.run.report) {
    report_files = prepare_report_paths(*s.run.report, "run.report " + s.run.report->string() + " (" + s.source + ")");
  }
  const auto outputs = series_outputs(cmd.outputs);
  print_warnings(s);

  const auto problems = engine::preflight(s, options.threads);
  if (!problems.empty()) {
    std::fprintf(stderr, "fleetload: refusing to start: this machine cannot hold the fleet as configured\n");
    for (const auto& p : problems) std::fprintf(stderr, "  %s\n", p.format().c_str());
    return kExitBadInput;
  }
  options.check_limits = false;  // done, before the exporter and signal watcher open theirs

  ProgressPrinter printer(stderr, ::isatty(STDERR_FILENO) == 1, progress_plan(s));
  // From here on threads start (exporter, engine): SIGINT/SIGTERM are blocked in all of
  // them and taken by the SignalWatcher below, so no signal, however late, kills the process.
  block_termination_signals();
  std::optional<metrics::Exporter> exporter;
  if (const int rc = start_exporter(cmd, s, listen, exporter); rc != kExitOk) return rc;
  options.on_progress = [&printer, &exporter, show = cmd.progress](const engine::Progress& p) {
    if (exporter) exporter->update(p);
    if (show) printer.print(p);
  };

  std::optional<engine::Engine> eng;
  try {
    eng.emplace(s, std::move(options));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetload: cannot start: %s\n", e.what());
    return kExitBadInput;
  }
  // Declared after the engine so the watcher stops before the engine is destroyed. Signals
  // after that stay blocked (cli/signals.hpp): the exit code is always the verdict's.
  SignalWatcher watcher([&eng, &printer](int signo, int n) {
    printer.finish();
    if (n == 1) {
      std::fprintf(stderr, "fleetload: %s: stopping (DISCONNECT from every device); send it again to stop at once\n",
                   signal_name(signo));
      eng->request_stop(false);
    } else {
      std::fprintf(stderr, "fleetload: %s again: stopping now\n", signal_name(signo));
      eng->request_stop(true);
    }
  });
  if (cmd.start_at)
    std::fprintf(stderr, "fleetload: set up; starting at %s (--start-at)\n", cmd.start_at_text.c_str());
  engine::RunResult result = eng->run();
  // The engine only saw request_stop(); name what the user did.
  if (watcher.count() > 0 && result.exit_reason == engine::ExitReason::Interrupted) {
    result.failure = signal_name(watcher.first_signal());
    if (watcher.count() > 1) result.failure += " twice: stopped at once";
  }
  printer.finish();

  const metrics::RunReport report = build_run_report(
      result, s, result.started_at.time_since_epoch().count() > 0 ? utc_iso8601(result.started_at) : utc_now_iso8601());
  if (exporter && !exporter->finish(result, report.verdict)) {
    std::fprintf(stderr, "fleetload: warning: final Pushgateway push failed: %s\n",
                 exporter->last_push_error().c_str());
  }
  std::fputs(metrics::format_summary(report).c_str(), stdout);
  std::fflush(stdout);
  int code = exit_code_of(report.verdict);
  if (result.exit_reason == engine::ExitReason::RuntimeFailure) {
    std::fprintf(stderr, "fleetload: the run failed: %s\n", result.failure.c_str());
    code = kExitRuntimeFailure;
  }
  if (report_files) {
    try {
      const auto& [json_path, html_path] = *report_files;
      metrics::write_json_report(report, json_path);
      metrics::write_html_report(report, html_path);
      std::fprintf(stderr, "fleetload: report written to %s and %s\n", json_path.c_str(), html_path.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fleetload: %s\n", e.what());
      code = kExitRuntimeFailure;
    }
  }
  for (const auto& o : outputs) {
    try {
      metrics::write_series(report, o);
      std::fprintf(stderr, "fleetload: %s series written to %s\n", metrics::to_string(o.format), o.path.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fleetload: %s\n", e.what());
      code = kExitRuntimeFailure;
    }
  }
  if (exporter && cmd.metrics_linger) {
    exporter->wait_for_final_scrape(std::chrono::duration_cast<std::chrono::milliseconds>(
        *scenario::parse_duration(*cmd.metrics_linger)));
  }
  return code;
}

int version_command() {
  std::printf("fleetload %s\n", fleetload_version());
  return kExitOk;
}

int help_command(const Command& cmd) {
  if (cmd.help_topic == "run") std::fputs(command_help(CommandKind::Run).c_str(), stdout);
  else if (cmd.help_topic == "validate") std::fputs(command_help(CommandKind::Validate).c_str(), stdout);
  else if (cmd.help_topic == "version") std::fputs(command_help(CommandKind::Version).c_str(), stdout);
  else std::fputs(global_help().c_str(), stdout);
  return kExitOk;
}

int fleetload_main(int argc, const char* const* argv) {
  // `certs` parses its own options (cli/cmd_certs.cpp).
  if (argc >= 2 && std::string_view(argv[1]) == "certs") {
    return certs_command(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "certs") {
    std::fputs(certs_help().c_str(), stdout);
    return kExitOk;
  }
  // `init` parses its own options (cli/cmd_init.cpp).
  if (argc >= 2 && std::string_view(argv[1]) == "init") return init_command(std::vector<std::string>(argv + 2, argv + argc));
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "init") {
    std::fputs(init_help().c_str(), stdout);
    return kExitOk;
  }
  if (argc >= 2 && std::string_view(argv[1]) == "schema") return schema_command(std::vector<std::string>(argv + 2, argv + argc));
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "schema") {
    std::fputs(schema_help().c_str(), stdout);
    return kExitOk;
  }
  // `responder` parses its own options (cli/cmd_responder.cpp).
  if (argc >= 2 && std::string_view(argv[1]) == "responder") return responder_command(std::vector<std::string>(argv + 2, argv + argc));
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "responder") return responder_command({"--help"});
  // `report merge` parses its own arguments too (cli/cmd_report.cpp).
  if (argc >= 2 && std::string_view(argv[1]) == "report") {
    return report_command(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "report") {
    std::fputs(report_help().c_str(), stdout);
    return kExitOk;
  }
  try {
    const Command cmd = parse_args(argc, argv);
    switch (cmd.kind) {
      case CommandKind::Help: return help_command(cmd);
      case CommandKind::Version: return version_command();
      case CommandKind::Validate: return validate_command(cmd);
      case CommandKind::Run: return run_command(cmd);
    }
  } catch (const ArgError& e) {
    std::fprintf(stderr, "fleetload: %s\n", e.what());
    return kExitBadInput;
  } catch (const scenario::ScenarioError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetload: %s\n", e.what());
    return kExitRuntimeFailure;
  }
  return kExitRuntimeFailure;
}

}  // namespace fleetload::cli
