// AedesBroker: runs tests/brokers/aedes/aedes_broker.mjs under Node.js and reads its log.
#include "e2e/aedes_fixture.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "e2e/event_log.hpp"
#include "e2e/fleetload_runner.hpp"

namespace fleetload::e2e {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// ChildProcess runs an absolute path: look node up on PATH as a shell would.
std::optional<fs::path> find_node() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');) {
    if (d.empty()) continue;
    const fs::path p = fs::path(d) / "node";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

fs::path launcher() { return source_dir() / "tests/brokers/aedes/aedes_broker.mjs"; }

// FLEETLOAD_AEDES_NODE_MODULES (a node_modules made elsewhere) or the package's own, which
// scripts/setup-deps.sh installs with `npm ci`.
fs::path node_modules() {
  if (const char* m = std::getenv("FLEETLOAD_AEDES_NODE_MODULES"); m && *m) return m;
  return source_dir() / "tests/brokers/aedes/node_modules";
}

}  // namespace

std::optional<std::string> AedesBroker::unavailable() {
  std::optional<std::string> why;
  if (!find_node()) {
    why = "node is not on PATH";
  } else if (!fs::exists(node_modules() / "aedes" / "package.json")) {
    why = "aedes is not installed in " + node_modules().string() +
          " (scripts/setup-deps.sh runs `npm ci` in tests/brokers/aedes)";
  }
  if (why && std::getenv("FLEETLOAD_REQUIRE_AEDES") != nullptr)
    throw std::runtime_error("FLEETLOAD_REQUIRE_AEDES is set but aedes cannot run: " + *why);
  return why;
}

AedesBroker::AedesBroker() : AedesBroker(Options{}) {}

AedesBroker::AedesBroker(Options opts) : dir_(make_temp_dir("aedes")) {
  const auto node = find_node();
  if (!node) throw std::runtime_error("node is not on PATH");
  std::vector<std::string> argv{node->string(), launcher().string(), "--modules", node_modules().string()};
  if (!opts.refuse.empty()) argv.insert(argv.end(), {"--refuse", opts.refuse});
  proc_ = ChildProcess(argv, dir_ / "events.jsonl", dir_ / "stderr.log");
  // The launcher binds port 0 and prints the kernel's choice as its first line: no race
  // between picking a free port and binding it. Polled with a deadline (Node starts in
  // about 0.1 s; ASan builds share the machine with other tests).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    const auto ev = events();
    if (!ev.empty() && ev.front().at("event").as_string() == "listening") {
      port_ = static_cast<std::uint16_t>(ev.front().at("port").to_number<int>());
      break;
    }
    if (!proc_.running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("aedes did not start:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

AedesBroker::~AedesBroker() { stop_broker_process(proc_, dir_); }

std::vector<json::object> AedesBroker::events() const {
  return read_event_log(dir_ / "events.jsonl");
}

std::uint64_t AedesBroker::count(const std::string& event,
                                 const std::function<bool(const json::object&)>& pred) const {
  std::uint64_t n = 0;
  for (const auto& e : events())
    if (e.at("event").as_string() == event && (!pred || pred(e))) ++n;
  return n;
}

std::string AedesBroker::log() const {
  return "--- aedes stdout ---\n" + read_file(dir_ / "events.jsonl") + "--- aedes stderr ---\n" +
         read_file(dir_ / "stderr.log");
}

}  // namespace fleetload::e2e
