// Headless Chromium and promtool for the metrics e2e tests.
#include "e2e/metrics_browser.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <fstream>

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

RenderedReport render_report(const fs::path& html, const fs::path& dir, int width) {
  RenderedReport out;
  std::ifstream in(html, std::ios::binary);
  std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto body_end = page.rfind("</body>");
  if (body_end == std::string::npos) {
    out.dom_head = "no </body> in " + html.string();
    return out;
  }
  // Runs after the chart script (and the microtasks in which uPlot draws).
  page.insert(body_end, R"(<script>(function(){
var out={boxes:0,drawn:[],empty:[],overflow:[],viewport:document.documentElement.clientWidth};
document.querySelectorAll('div.chart[id]').forEach(function(el){
  out.boxes++;
  if(el.querySelector('p.empty'))out.empty.push(el.id);
  var ink=0;
  el.querySelectorAll('canvas').forEach(function(c){
    var d=c.getContext('2d').getImageData(0,0,c.width,c.height).data;
    for(var i=0;i<d.length;i+=4){var mx=Math.max(d[i],d[i+1],d[i+2]),mn=Math.min(d[i],d[i+1],d[i+2]);
      if(d[i+3]>200&&mx-mn>60)ink++;}
  });
  if(ink>10)out.drawn.push(el.id);
});
var vw=out.viewport;
function clipped(e){for(var a=e.parentElement;a&&a!==document.body;a=a.parentElement){
  if(getComputedStyle(a).overflowX!=='visible')return true;}return false;}
document.querySelectorAll('body *').forEach(function(e){var r=e.getBoundingClientRect();
  if(r.width>0&&r.right>vw+0.5&&!clipped(e))out.overflow.push(e.tagName+'#'+e.id+'.'+e.className+' right='+Math.round(r.right));});
if(document.documentElement.scrollWidth>vw)out.overflow.push('page scrollWidth='+document.documentElement.scrollWidth);
var p=document.createElement('pre');p.id='probe';p.textContent='PROBE'+JSON.stringify(out)+'EBORP';
document.body.appendChild(p);})();</script>)");
  const fs::path probe = dir / (html.stem().string() + "-probe-" + std::to_string(width) + ".html");
  std::ofstream(probe) << page;
  bool ran = false;
  const std::string dom =
      run_chromium({"--dump-dom", "--hide-scrollbars", "--window-size=" + std::to_string(width) + ",2000"}, probe, dir,
                   out.log, ran);
  out.console_messages = has_console_message(out.log);
  out.dom_head = dom.substr(0, 500);
  const auto from = dom.find("PROBE{"), to = dom.find("}EBORP");
  if (!ran || from == std::string::npos || to == std::string::npos) return out;
  // The text is HTML-escaped in the dump; the probe's JSON has no < > & of its own.
  const auto j = boost::json::parse(dom.substr(from + 5, to - from - 4));
  out.boxes = static_cast<int>(j.at("boxes").to_number<std::int64_t>());
  for (const auto& id : j.at("drawn").as_array()) out.drawn.insert(std::string(id.as_string().c_str()));
  for (const auto& id : j.at("empty").as_array()) out.empty.insert(std::string(id.as_string().c_str()));
  for (const auto& o : j.at("overflow").as_array()) out.overflow.emplace_back(o.as_string().c_str());
  out.viewport = static_cast<int>(j.at("viewport").to_number<std::int64_t>());
  out.ok = true;
  return out;
}

bool screenshot(const fs::path& html, const fs::path& png, int width, int height, const fs::path& dir,
                std::string& log) {
  bool ok = false;
  run_chromium({"--screenshot=" + png.string(),
                "--window-size=" + std::to_string(width) + "," + std::to_string(height), "--hide-scrollbars"},
               html, dir, log, ok);
  return ok && fs::exists(png);
}

std::pair<unsigned, unsigned> png_size(const std::string& b) {
  if (b.size() < 24 || b.compare(1, 3, "PNG") != 0) return {0, 0};
  auto be32 = [&](std::size_t at) {
    unsigned v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
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
