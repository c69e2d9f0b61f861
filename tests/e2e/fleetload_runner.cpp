// Spawning fleetload for the e2e tests and reading its JSON report.
#include "e2e/fleetload_runner.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace fleetload::e2e {

namespace json = boost::json;

namespace {
// The environment wins (ctest sets it); the build's own paths are the fallback, so the
// test binaries also run by hand.
std::filesystem::path env_dir(const char* name, const char* built_in) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : built_in;
}
}  // namespace

std::filesystem::path fleetload_binary() {
  return env_dir("FLEETLOAD_BINARY_DIR", FLEETLOAD_E2E_BINARY_DIR) / "fleetload";
}
std::filesystem::path source_dir() { return env_dir("FLEETLOAD_SOURCE_DIR", FLEETLOAD_E2E_SOURCE_DIR); }

std::filesystem::path write_file(const std::filesystem::path& dir, const std::string& name, const std::string& yaml) {
  const auto p = dir / name;
  std::ofstream(p) << yaml;
  return p;
}

std::string Outcome::describe() const {
  std::string s = "exit code " + std::to_string(status.code) + ", signal " + std::to_string(status.signal);
  s += "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
  return s;
}

ChildProcess spawn_fleetload(const std::vector<std::string>& args, const std::filesystem::path& dir,
                             const std::string& tag) {
  std::vector<std::string> argv{fleetload_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return ChildProcess(argv, dir / (tag + ".out"), dir / (tag + ".err"));
}

Outcome finish(ChildProcess& p, std::chrono::seconds timeout, const std::optional<std::filesystem::path>& report) {
  Outcome o;
  auto st = p.wait_for(timeout);
  if (!st) {
    p.kill_and_wait();
    o.status.code = -1;
    o.status.signal = 9;
    o.err = "(killed by the test after " + std::to_string(timeout.count()) + " s)\n";
  } else {
    o.status = *st;
  }
  o.out = p.stdout_text();
  o.err += p.stderr_text();
  if (report && std::filesystem::exists(*report)) {
    o.report = json::parse(read_file(*report));
  }
  return o;
}

Outcome run_fleetload(const std::vector<std::string>& args, const std::filesystem::path& dir,
                      std::chrono::seconds timeout, const std::optional<std::filesystem::path>& report) {
  ChildProcess p = spawn_fleetload(args, dir);
  return finish(p, timeout, report);
}

bool wait_for_stderr(ChildProcess& p, const std::string& needle, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (p.stderr_text().find(needle) != std::string::npos) return true;
    if (!p.running()) return p.stderr_text().find(needle) != std::string::npos;
    // The progress line is written once a second; polling the file is the only signal.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::uint64_t u64(const json::value& v) { return v.to_number<std::uint64_t>(); }
double f64(const json::value& v) { return v.to_number<double>(); }

const json::object& named(const json::value& report, const char* list, const std::string& name) {
  for (const auto& item : report.at(list).as_array())
    if (item.at("name").as_string() == name) return item.as_object();
  throw std::runtime_error(std::string("no ") + list + " item \"" + name + "\" in the report");
}

std::uint64_t counter(const json::value& r, const char* name) { return u64(r.at("totals").at("counters").at(name)); }

std::uint64_t qos_counter(const json::value& r, const char* name, unsigned qos) {
  return u64(r.at("totals").at("counters_by_qos").at(name).as_array().at(qos));
}

const json::value& histogram(const json::value& r, const char* name) { return r.at("totals").at("histograms").at(name); }

double histogram_quantile_s(const json::value& h, double q) {
  const auto total = u64(h.at("count"));
  if (total == 0) return 0.0;
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total));
  std::uint64_t seen = 0;
  for (const auto& b : h.at("buckets").as_array()) {
    const auto& t = b.as_array();
    seen += u64(t.at(2));
    if (seen > rank) return static_cast<double>(u64(t.at(1))) / 1e9;
  }
  return f64(h.at("max_ms")) / 1e3;
}

double histogram_share_below(const json::value& h, double seconds) {
  const auto total = u64(h.at("count"));
  if (total == 0) return 0.0;
  std::uint64_t below = 0;
  for (const auto& b : h.at("buckets").as_array()) {
    const auto& t = b.as_array();
    if (static_cast<double>(u64(t.at(1))) / 1e9 < seconds) below += u64(t.at(2));
  }
  return static_cast<double>(below) / static_cast<double>(total);
}

}  // namespace fleetload::e2e
