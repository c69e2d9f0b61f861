// `fleetload report merge`: read shard reports, merge them, write the fleet report.
#include "cli/cmd_report.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <utility>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "metrics/report_html.hpp"
#include "metrics/report_json.hpp"
#include "metrics/report_merge.hpp"
#include "metrics/report_read.hpp"
#include "metrics/report_text.hpp"

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

}  // namespace

ReportMergeArgs parse_report_args(const std::vector<std::string>& args) {
  if (args.empty()) throw ArgError("report: missing the subcommand (fleetload report merge A.json B.json ...)");
  if (args[0] != "merge") throw ArgError("report: unknown subcommand \"" + args[0] + "\"; subcommands: merge");
  ReportMergeArgs a;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& x = args[i];
    if (x == "--out") {
      if (i + 1 >= args.size() || args[i + 1].empty()) throw ArgError("report merge: --out needs a file.json or a directory");
      a.out = args[++i];
    } else if (x.rfind("--out=", 0) == 0) {
      a.out = x.substr(6);
      if (a.out.empty()) throw ArgError("report merge: --out needs a file.json or a directory");
    } else if (!x.empty() && x[0] == '-') {
      throw ArgError("report merge: unknown option \"" + x + "\" (see fleetload report --help)");
    } else {
      a.inputs.push_back(x);
    }
  }
  if (a.inputs.empty()) throw ArgError("report merge: no report files given (fleetload report merge A.json B.json ...)");
  return a;
}

std::string report_help() {
  return "Usage: fleetload report merge A.json B.json ... [--out OUT.json|DIR]\n"
         "\n"
         "Merges the JSON reports of the shards of one run (fleetload run --shard K/N --report ...)\n"
         "into one fleet-wide report: counts and rates summed, latency histograms merged bucket by\n"
         "bucket (percentiles come from the merged distribution, never averaged), time series\n"
         "aligned by time since each shard's start, phases matched by name, and the scenario's\n"
         "thresholds and the verdict evaluated again on the merged figures. Reports of different\n"
         "scenarios, of different shard counts, or the same shard twice are refused.\n"
         "\n"
         "Options:\n"
         "  --out PATH  PATH ending in .json: the merged JSON report there and the HTML report\n"
         "              beside it (.html); any other PATH is a directory that gets report.json\n"
         "              and report.html (default: merged-report.json in the current directory)\n"
         "\n"
         "The merged summary goes to stdout, warnings (e.g. shards missing) to stderr.\n"
         "\n"
         "Exit codes, from the verdict on the merged data: 0 pass, 1 fail (a threshold breached),\n"
         "4 inconclusive (no device connected in any shard, or a threshold measured nothing);\n"
         "2 bad input (arguments, an unreadable report, reports that do not belong together),\n"
         "3 a shard's run failed (runtime_failure) or the report could not be written.\n";
}

int report_command(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(report_help().c_str(), stdout);
      return kExitOk;
    }
  }
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetload: report merge: %s\n", e.what());
    return kExitRuntimeFailure;
  }
  return code;
}

}  // namespace fleetload::cli
