// Tools the metrics e2e tests share: headless Chromium on a report (with a probe script that
// measures what the layout engine drew) and `promtool check metrics`.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace fleetload::e2e {

// Headless /usr/bin/chromium on the local file `page` with `extra` flags, bounded to 45 s,
// with a fresh profile under `dir`. Returns stdout; `log` gets stderr; `ok` is false when it
// failed or timed out.
std::string run_chromium(const std::vector<std::string>& extra, const std::filesystem::path& page,
                         const std::filesystem::path& dir, std::string& log, bool& ok);

// True when Chromium's log (--enable-logging=stderr) shows a console message.
bool has_console_message(const std::string& log);

// What Chromium rendered of an HTML report: chart boxes with area, series paths with
// length, bars with height, and series paths with length in the "Latency percentiles per
// interval" chart. -1 when the probe did not run.
struct RenderedReport {
  bool ok = false;
  bool console_messages = false;
  int charts = -1, paths = -1, bars = -1, latency_paths = -1;
  std::string log;
  std::string dom_head;  // the start of the dumped DOM, for failure messages
};
RenderedReport render_report(const std::filesystem::path& html, const std::filesystem::path& dir);

// `promtool check metrics` on `text`: its exit code (-1 on timeout) and output.
std::pair<int, std::string> promtool_check(const std::string& text, const std::filesystem::path& dir);

}  // namespace fleetload::e2e
