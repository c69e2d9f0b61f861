// `fleetload report merge` (read shard reports, merge them, write the fleet report) and
// `fleetload report diff` (two reports side by side, regressions flagged).
#include "cli/cmd_report.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <utility>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "metrics/report_html.hpp"
#include "metrics/report_json.hpp"
#include "metrics/report_merge.hpp"
#include "metrics/report_read.hpp"
#include "metrics/report_series_out.hpp"
#include "metrics/report_text.hpp"
#include "scenario/units.hpp"

namespace fleetload::cli {

namespace fs = std::filesystem;

namespace {

// Same rule as `run --report`: "x.json" gives x.json + x.html, anything else is a directory.
std::pair<fs::path, fs::path> out_paths(const fs::path& p) {
  if (p.extension() == ".json") {
    auto html = p;
    html.replace_extension(".html");
    return {p, html};
  }
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) throw std::runtime_error("cannot create the output directory " + p.string() + ": " + ec.message());
  return {p / "report.json", p / "report.html"};
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

// The value of `--name VALUE` or `--name=VALUE` at args[i] (advancing i), or nullopt.
std::optional<std::string> option(const std::vector<std::string>& args, std::size_t& i, const std::string& name,
                                  const std::string& what) {
  const std::string& x = args[i];
  if (x == name) {
    if (i + 1 >= args.size() || args[i + 1].empty()) throw ArgError(what + ": " + name + " needs a value");
    return args[++i];
  }
  if (x.rfind(name + "=", 0) == 0) {
    std::string v = x.substr(name.size() + 1);
    if (v.empty()) throw ArgError(what + ": " + name + " needs a value");
    return v;
  }
  return std::nullopt;
}

}  // namespace

ReportMergeArgs parse_report_args(const std::vector<std::string>& args) {
  if (args.empty()) throw ArgError("report: missing the subcommand (fleetload report merge|diff ...)");
  if (args[0] != "merge") throw ArgError("report: unknown subcommand \"" + args[0] + "\"; subcommands: merge, diff");
  ReportMergeArgs a;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& x = args[i];
    if (x == "--out" || x.rfind("--out=", 0) == 0) {
      const std::string v = *option(args, i, "--out", "report merge");
      // FORMAT=FILE is a series output; anything else names the merged report.
      if (metrics::parse_series_output(v)) a.series.push_back(v);
      else a.out = v;
    } else if (!x.empty() && x[0] == '-') {
      throw ArgError("report merge: unknown option \"" + x + "\" (see fleetload report --help)");
    } else {
      a.inputs.push_back(x);
    }
  }
  if (a.inputs.empty()) throw ArgError("report merge: no report files given (fleetload report merge A.json B.json ...)");
  return a;
}

ReportDiffArgs parse_report_diff_args(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "diff") throw ArgError("report: expected the diff subcommand");
  ReportDiffArgs a;
  std::vector<std::string> files;
  const std::string what = "report diff";
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& x = args[i];
    if (auto v = option(args, i, "--tolerance", what)) {
      // "5%" or a plain share "0.05"; more than 100 % is allowed (noisy figures).
      std::optional<double> t;
      if (!v->empty() && v->back() == '%') {
        if (auto n = scenario::parse_number(std::string_view(*v).substr(0, v->size() - 1))) t = *n / 100.0;
      } else {
        t = scenario::parse_number(*v);
      }
      if (!t) throw ArgError("report diff: --tolerance: expected a share like 5% or 0.05, got \"" + *v + "\"");
      a.options.tolerance = *t;
    } else if (auto v = option(args, i, "--latency-floor", what)) {
      const auto d = scenario::parse_duration(*v);
      if (!d) throw ArgError("report diff: --latency-floor: expected a duration like 1ms, 5ms or 0, got \"" + *v + "\"");
      a.options.latency_floor_ms = static_cast<double>(d->count());
    } else if (auto v = option(args, i, "--fail-on", what)) {
      if (*v == "regression") a.fail_on_regression = true;
      else if (*v == "never") a.fail_on_regression = false;
      else throw ArgError("report diff: --fail-on: expected regression or never, got \"" + *v + "\"");
    } else if (auto v = option(args, i, "--json", what)) {
      a.json_out = *v;
    } else if (auto v = option(args, i, "--html", what)) {
      a.html_out = *v;
    } else if (!x.empty() && x[0] == '-') {
      throw ArgError("report diff: unknown option \"" + x + "\" (see fleetload report --help)");
    } else {
      files.push_back(x);
    }
  }
  if (files.size() != 2)
    throw ArgError("report diff: expected two report files, BASE and NEW (fleetload report diff BASE.json NEW.json), got " +
                   std::to_string(files.size()));
  a.base = files[0];
  a.now = files[1];
  return a;
}

std::string report_help() {
  return "Usage: fleetload report merge A.json B.json ... [--out OUT.json|DIR] [--out csv=FILE]\n"
         "       fleetload report diff BASE.json NEW.json [--tolerance 5%] [--latency-floor 1ms]\n"
         "                             [--fail-on regression|never] [--json FILE] [--html FILE]\n"
         "\n"
         "merge: joins the JSON reports of the shards of one run (fleetload run --shard K/N\n"
         "--report ...) into one fleet-wide report: counts and rates summed, latency histograms\n"
         "merged bucket by bucket (percentiles come from the merged distribution, never averaged),\n"
         "time series aligned by time since each shard's start, phases matched by name, and the\n"
         "scenario's thresholds and the verdict evaluated again on the merged figures. Reports of\n"
         "different scenarios, of different shard counts, or the same shard twice are refused.\n"
         "\n"
         "  --out PATH        PATH ending in .json: the merged JSON report there and the HTML\n"
         "                    report beside it (.html); any other PATH is a directory that gets\n"
         "                    report.json and report.html (default: merged-report.json here)\n"
         "  --out csv=FILE    also the merged time series as CSV / NDJSON (repeatable)\n"
         "  --out ndjson=FILE\n"
         "\n"
         "The merged summary goes to stdout, warnings (e.g. shards missing) to stderr.\n"
         "Exit codes, from the verdict on the merged data: 0 pass, 1 fail (a threshold breached),\n"
         "4 inconclusive (no device connected in any shard, or a threshold measured nothing);\n"
         "2 bad input (arguments, an unreadable report, reports that do not belong together),\n"
         "3 a shard's run failed (runtime_failure) or the report could not be written.\n"
         "\n"
         "diff: two reports side by side (e.g. last week's broker build and today's): every\n"
         "figure (rates, latency percentiles, loss and duplicates, connect failures by reason,\n"
         "fleetload's cost, each phase, each threshold) with its change, absolute and relative.\n"
         "A change the worse way for that figure (latency up, achieved rate down, loss up, ...)\n"
         "by more than the tolerance is a regression, flagged WORSE.\n"
         "\n"
         "  --tolerance T     share of BASE a figure may move the worse way (default 5%); a\n"
         "                    figure that was 0 in BASE regresses on any worse change\n"
         "  --latency-floor D latency and duration changes smaller than D never count (default\n"
         "                    1ms; 0 to count every change)\n"
         "  --fail-on W       regression (default): exit 1 when a figure regressed; never: exit 0\n"
         "  --json FILE       also write the diff as JSON\n"
         "  --html FILE       also write the diff as an HTML page\n"
         "\n"
         "The table goes to stdout. Exit codes: 0 no regression (or --fail-on never), 1 a\n"
         "regression, 2 bad input (arguments, an unreadable report), 3 --json/--html could not\n"
         "be written.\n";
}

namespace {

void write_text(const fs::path& path, const std::string& text, const std::string& what) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write the " + what + " to " + path.string() + ": cannot open " + tmp.string());
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write the " + what + " to " + path.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot write the " + what + " to " + path.string() + ": " + ec.message());
}

int diff_command(const std::vector<std::string>& args) {
  ReportDiffArgs a;
  metrics::RunReport base, now;
  try {
    a = parse_report_diff_args(args);
    base = metrics::read_json_report(a.base);
    now = metrics::read_json_report(a.now);
  } catch (const ArgError& e) {
    std::fprintf(stderr, "fleetload: %s\n", e.what());
    return kExitBadInput;
  } catch (const metrics::ReportReadError& e) {
    std::fprintf(stderr, "fleetload: report diff: %s\n", e.what());
    return kExitBadInput;
  }
  const metrics::ReportDiff d = metrics::diff_reports(base, now, a.options, a.base, a.now);
  std::fputs(metrics::diff_text(d).c_str(), stdout);
  std::fflush(stdout);
  try {
    if (a.json_out) write_text(*a.json_out, metrics::diff_json(d), "diff JSON");
    if (a.html_out) write_text(*a.html_out, metrics::diff_html(d), "diff HTML");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetload: report diff: %s\n", e.what());
    return kExitRuntimeFailure;
  }
  return d.regressions > 0 && a.fail_on_regression ? kExitThresholdsBreached : kExitOk;
}

int merge_command(const std::vector<std::string>& args) {
  ReportMergeArgs a;
  std::vector<metrics::MergeInput> inputs;
  metrics::MergeResult merged;
  try {
    a = parse_report_args(args);
    for (const auto& f : a.inputs) inputs.push_back({f, metrics::read_json_report(f)});
    merged = metrics::merge_reports(inputs);
  } catch (const ArgError& e) {
    std::fprintf(stderr, "fleetload: %s\n", e.what());
    return kExitBadInput;
  } catch (const metrics::ReportReadError& e) {
    std::fprintf(stderr, "fleetload: report merge: %s\n", e.what());
    return kExitBadInput;
  } catch (const metrics::MergeError& e) {
    std::fprintf(stderr, "fleetload: report merge: %s\n", e.what());
    return kExitBadInput;
  }
  for (const auto& w : merged.warnings) std::fprintf(stderr, "fleetload: warning: %s\n", w.c_str());
  const metrics::RunReport& r = merged.report;
  std::fputs(metrics::format_summary(r).c_str(), stdout);
  std::fflush(stdout);
  int code = exit_code_of(r.verdict);
  if (r.exit_reason == "runtime_failure") {
    std::fprintf(stderr, "fleetload: report merge: a shard's run failed: %s\n", r.failure.c_str());
    code = kExitRuntimeFailure;
  }
  try {
    const auto [json_path, html_path] = out_paths(a.out);
    for (const auto& f : a.inputs) {
      if (same_file(f, json_path) || same_file(f, html_path)) {
        std::fprintf(stderr, "fleetload: report merge: --out would overwrite the input %s\n", f.c_str());
        return kExitBadInput;
      }
    }
    metrics::write_json_report(r, json_path);
    metrics::write_html_report(r, html_path);
    std::fprintf(stderr, "fleetload: merged %zu reports into %s and %s\n", inputs.size(), json_path.c_str(),
                 html_path.c_str());
    for (const auto& v : a.series) {
      const auto o = *metrics::parse_series_output(v);
      metrics::write_series(r, o);
      std::fprintf(stderr, "fleetload: %s series written to %s\n", metrics::to_string(o.format), o.path.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetload: report merge: %s\n", e.what());
    return kExitRuntimeFailure;
  }
  return code;
}

}  // namespace

int report_command(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(report_help().c_str(), stdout);
      return kExitOk;
    }
  }
  if (!args.empty() && args[0] == "diff") return diff_command(args);
  return merge_command(args);
}

}  // namespace fleetload::cli
