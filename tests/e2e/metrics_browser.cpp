// Headless Chromium and promtool for the metrics e2e tests.
#include "e2e/metrics_browser.hpp"

#include <chrono>
#include <fstream>
#include <regex>

#include "e2e/child_process.hpp"

namespace fleetload::e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string run_chromium(const std::vector<std::string>& extra, const fs::path& page, const fs::path& dir,
                         std::string& log, bool& ok) {
  static int n = 0;
  const fs::path run = dir / ("chromium-" + std::to_string(++n));
  fs::create_directories(run);
  std::vector<std::string> argv{"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                "--no-first-run", "--user-data-dir=" + (run / "profile").string(),
                                "--enable-logging=stderr", "--v=0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("file://" + page.string());
  ChildProcess p(argv, run / "stdout.txt", run / "stderr.txt");
  const auto st = p.wait_for(45s);
  if (!st) p.kill_and_wait();
  log = p.stderr_text();
  ok = st && st->code == 0;
  return p.stdout_text();
}

bool has_console_message(const std::string& log) { return log.find(":CONSOLE") != std::string::npos; }

RenderedReport render_report(const fs::path& html, const fs::path& dir) {
  RenderedReport out;
  std::ifstream in(html, std::ios::binary);
  std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto body_end = page.rfind("</body>");
  if (body_end == std::string::npos) {
    out.dom_head = "no </body> in " + html.string();
    return out;
  }
  // The probe measures geometry, so it proves rendering, not only that elements exist.
  page.insert(body_end,
              "<script>(function(){var c=0,p=0,b=0,l=0;"
              "document.querySelectorAll('svg.chart').forEach(function(s){var r=s.getBoundingClientRect();"
              "if(r.width>100&&r.height>50)c++;});"
              "document.querySelectorAll('svg.chart path.series').forEach(function(e){if(e.getTotalLength()>10)p++;});"
              "document.querySelectorAll('svg.chart rect.bar').forEach(function(e){if(e.getBBox().height>0)b++;});"
              "document.querySelectorAll('svg.chart[aria-label=\"Latency percentiles per interval\"] path.series')"
              ".forEach(function(e){if(e.getTotalLength()>10)l++;});"
              "var d=document.createElement('div');d.id='probe';"
              "d.textContent='charts='+c+' paths='+p+' bars='+b+' latency='+l;"
              "document.body.appendChild(d);})();</script>");
  const fs::path probe = dir / (html.stem().string() + "-probe.html");
  std::ofstream(probe) << page;
  const std::string dom = run_chromium({"--dump-dom"}, probe, dir, out.log, out.ok);
  out.console_messages = has_console_message(out.log);
  out.dom_head = dom.substr(0, 500);
  std::smatch m;
  if (std::regex_search(dom, m, std::regex(R"(charts=(\d+) paths=(\d+) bars=(\d+) latency=(\d+))"))) {
    out.charts = std::stoi(m[1]);
    out.paths = std::stoi(m[2]);
    out.bars = std::stoi(m[3]);
    out.latency_paths = std::stoi(m[4]);
  }
  return out;
}

std::pair<int, std::string> promtool_check(const std::string& text, const fs::path& dir) {
  static int n = 0;
  const fs::path in = dir / ("exposition-" + std::to_string(++n) + ".txt");
  std::ofstream(in) << text;
  ChildProcess p({"/bin/sh", "-c", "/usr/bin/promtool check metrics < '" + in.string() + "'"},
                 dir / ("promtool-" + std::to_string(n) + ".out"), dir / ("promtool-" + std::to_string(n) + ".err"));
  const auto st = p.wait_for(30s);
  if (!st) return {-1, "promtool timed out"};
  return {st->code, p.stdout_text() + p.stderr_text()};
}

}  // namespace fleetload::e2e
