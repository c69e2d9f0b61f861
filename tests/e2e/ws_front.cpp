// WsFront: starts ws_verify_server.py under Debian's python3 and reads its verdicts.
#include "e2e/ws_front.hpp"

#include <csignal>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {

namespace fs = std::filesystem;

fs::path ws_verify_server_script() {
  const char* src = std::getenv("FLEETLOAD_SOURCE_DIR");
  return fs::path(src != nullptr ? src : FLEETLOAD_SOURCE_DIR_DEFAULT) / "tests/e2e/ws_verify_server.py";
}

WsFront::WsFront(Options o) : dir_(make_temp_dir("ws-front")) {
  {
    std::ofstream(dir_ / "config.json") << o.config_json;
  }
  port_ = pick_free_port();
  // Debian's python3: websockify and botocore are Debian packages.
  std::vector<std::string> argv = {"/usr/bin/python3", ws_verify_server_script().string(),
                                   "--listen-port", std::to_string(port_),
                                   "--target-port", std::to_string(o.broker_port),
                                   "--config", (dir_ / "config.json").string(),
                                   "--log", (dir_ / "verdicts.jsonl").string()};
  if (!o.cert.empty()) {
    argv.insert(argv.end(), {"--cert", o.cert.string(), "--key", o.key.string()});
  }
  if (o.heartbeat_s > 0) argv.insert(argv.end(), {"--heartbeat", std::to_string(o.heartbeat_s)});
  proc_ = ChildProcess(argv, dir_ / "stdout.log", dir_ / "stderr.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!port_accepts(port_)) {
    if (!proc_.running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("ws_verify_server.py did not come up on port " + std::to_string(port_) + ":\n" +
                               proc_.stderr_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling with a deadline
  }
}

WsFront::~WsFront() {
  if (proc_.running()) {
    proc_.send_signal(SIGTERM);
    // websockify 0.10 can miss a SIGTERM (its handler raises inside its SIGCHLD handling).
    if (!proc_.wait_for(std::chrono::seconds(2))) proc_.kill_and_wait();
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> WsFront::verdicts() const {
  std::vector<std::string> out;
  std::ifstream f(dir_ / "verdicts.jsonl");
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::size_t WsFront::count(const std::string& needle) const {
  std::size_t n = 0;
  for (const auto& l : verdicts())
    if (l.find(needle) != std::string::npos) ++n;
  return n;
}

std::string WsFront::log() const { return proc_.stderr_text(); }

}  // namespace fleetload::e2e
