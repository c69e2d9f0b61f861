// Tools the metrics e2e tests share: headless Chromium on a report (with a probe script that
// measures what the layout engine drew) and `promtool check metrics`.
#pragma once

#include <filesystem>
#include <set>
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

// What Chromium rendered of an HTML report, measured by a probe script appended to a copy
// of it (so it proves drawing, not only that elements exist): at `width` CSS pixels wide,
// which chart boxes hold a uPlot canvas with series ink (saturated pixels; grid, text, grey
// reference lines and the light phase bands have none), which say "no samples", and which elements stick out past
// the viewport (outside any scrolling or clipping box) or make the page scroll sideways.
struct RenderedReport {
  bool ok = false;               // chromium ran and the probe reported
  bool console_messages = false;  // anything on the console (errors, exceptions, logs)
  int boxes = -1;                // div.chart elements with an id
  std::set<std::string> drawn;   // their ids, when drawn with ink
  std::set<std::string> empty;   // their ids, when they say "no samples"
  std::vector<std::string> overflow;  // what sticks out ("tag#id.class right=..."), empty when nothing
  int viewport = -1;             // the width the page was laid out at
  std::string log;
  std::string dom_head;  // the start of the dumped DOM, for failure messages
};
RenderedReport render_report(const std::filesystem::path& html, const std::filesystem::path& dir, int width = 1400);

// A screenshot of `html` `width` x `height` pixels into `png`; true when chromium wrote it.
// `log` gets chromium's stderr (console messages included).
bool screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int width, int height,
                const std::filesystem::path& dir, std::string& log);

// The width and height in a PNG's IHDR; {0, 0} when it is not a PNG.
std::pair<unsigned, unsigned> png_size(const std::string& bytes);

// `promtool check metrics` on `text`: its exit code (-1 on timeout) and output.
std::pair<int, std::string> promtool_check(const std::string& text, const std::filesystem::path& dir);

}  // namespace fleetload::e2e
