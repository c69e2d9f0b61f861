// What the test's own broker processes (scripted_broker.py, the aedes launcher) share: an
// event log of one JSON object per line, read while the broker may still be writing it, and
// the end of such a child process with its scratch directory.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "e2e/child_process.hpp"

namespace fleetload::e2e {

// Every complete line of `path` that is a JSON object, in order.
inline std::vector<boost::json::object> read_event_log(const std::filesystem::path& path) {
  std::vector<boost::json::object> out;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    // A line still being written has no closing brace yet and would not parse: skip it.
    if (line.empty() || line.back() != '}') continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

// SIGTERM, then SIGKILL after 3 s; the scratch directory removed unless FLEETLOAD_KEEP_TEMP.
inline void stop_broker_process(ChildProcess& proc, const std::filesystem::path& dir) {
  if (proc.running()) {
    proc.send_signal(SIGTERM);
    if (!proc.wait_for(std::chrono::seconds(3))) proc.kill_and_wait();
  }
  std::error_code ec;
  if (std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) std::filesystem::remove_all(dir, ec);
}

}  // namespace fleetload::e2e
