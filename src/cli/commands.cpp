// The `fleetload` commands and the top-level dispatch with exit codes.
#include "cli/commands.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/cmd_certs.hpp"
#include "cli/cmd_report.hpp"
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

// Reads the scenario as both run and validate see it: overrides, then the shard.
scenario::Scenario load(const Command& cmd) {
  scenario::Scenario s = scenario::load_scenario(cmd.scenario_path, cmd.overrides);
  if (cmd.shard) s.fleet.shard = scenario::Shard{cmd.shard->k, cmd.shard->n};
  return s;
}

// Scenario warnings (e.g. AWS IoT Core limits) and this machine's soft limits (e.g. more
// connections per source/endpoint pair than Linux connects quickly).
void print_warnings(const scenario::Scenario& s) {
  for (const auto& w : scenario::warnings(s)) std::fprintf(stderr, "warning: %s\n", w.c_str());
  for (const auto& w : engine::preflight_warnings(s)) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

// --report PATH: "x.json" gives x.json + x.html; anything else is a directory that gets
// report.json + report.html.
std::pair<std::filesystem::path, std::filesystem::path> report_paths(const std::filesystem::path& p) {
  if (p.extension() == ".json") {
    auto html = p;
    html.replace_extension(".html");
    return {p, html};
  }
  std::filesystem::create_directories(p);
  return {p / "report.json", p / "report.html"};
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
int start_exporter(const Command& cmd, const scenario::Scenario& s, std::optional<metrics::Exporter>& out) {
  if (!cmd.metrics && !cmd.pushgateway) return kExitOk;
  metrics::ExporterOptions eo = metrics::exporter_options_for(s);
  eo.listen = cmd.metrics ? cmd.metrics_listen.value_or("127.0.0.1:9464") : "";
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
  std::fputs(scenario::to_yaml(s, /*mask_secrets=*/true).c_str(), stdout);
  std::fflush(stdout);
  print_warnings(s);
  // The limits of this machine do not make the file invalid (it may run elsewhere, or in
  // shards), but say now what `run` would refuse here.
  for (const auto& p : engine::preflight(s)) {
    std::fprintf(stderr, "warning: `run` would refuse on this machine: %s\n", p.format().c_str());
  }
  std::fprintf(stderr, "%s: valid\n", cmd.scenario_path.c_str());
  return kExitOk;
}

int run_command(const Command& cmd) {
  scenario::Scenario s = load(cmd);
  engine::RunOptions options;
  if (cmd.duration) {
    const auto d = scenario::parse_duration(*cmd.duration);
    if (!d || d->count() == 0) {
      throw ArgError("--duration: expected a positive duration like 30s, 5m or 1h30m, got \"" + *cmd.duration + "\"");
    }
    s.run.duration = *d;
    options.duration = *d;
  }
  if (cmd.threads) options.threads = *cmd.threads;
  std::optional<std::filesystem::path> report_path = s.run.report;
  if (cmd.report_path) report_path = *cmd.report_path;
  const auto outputs = series_outputs(cmd.outputs);
  print_warnings(s);

  const auto problems = engine::preflight(s);
  if (!problems.empty()) {
    std::fprintf(stderr, "fleetload: refusing to start: this machine cannot hold the fleet as configured\n");
    for (const auto& p : problems) std::fprintf(stderr, "  %s\n", p.format().c_str());
    return kExitBadInput;
  }

  ProgressPrinter printer(stderr, ::isatty(STDERR_FILENO) == 1, progress_plan(s));
  std::optional<metrics::Exporter> exporter;
  if (const int rc = start_exporter(cmd, s, exporter); rc != kExitOk) return rc;
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
  const std::string started_at = utc_now_iso8601();
  // Declared after the engine so the watcher stops before the engine is destroyed, and
  // kept until the report is written so a late signal cannot kill the process mid-write.
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
  engine::RunResult result = eng->run();
  // The engine only saw request_stop(); name what the user did.
  if (watcher.count() > 0 && result.exit_reason == engine::ExitReason::Interrupted) {
    result.failure = signal_name(watcher.first_signal());
    if (watcher.count() > 1) result.failure += " twice: stopped at once";
  }
  printer.finish();
  if (exporter && !exporter->finish(result)) {
    std::fprintf(stderr, "fleetload: warning: final Pushgateway push failed: %s\n",
                 exporter->last_push_error().c_str());
  }

  const metrics::RunReport report = build_run_report(result, s, started_at);
  std::fputs(metrics::format_summary(report).c_str(), stdout);
  std::fflush(stdout);
  int code = report.thresholds_passed ? kExitOk : kExitThresholdsBreached;
  if (result.exit_reason == engine::ExitReason::RuntimeFailure) {
    std::fprintf(stderr, "fleetload: the run failed: %s\n", result.failure.c_str());
    code = kExitRuntimeFailure;
  }
  if (report_path) {
    try {
      const auto [json_path, html_path] = report_paths(*report_path);
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
