// A real mosquitto broker for e2e tests: 127.0.0.1, a free port, generated config, logs kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "e2e/child_process.hpp"

namespace fleetload::e2e {

class MosquittoBroker {
 public:
  struct Options {
    std::string extra_config;  // appended to the generated mosquitto.conf
    bool log_connections = true;
  };

  // Picks a free loopback port and starts the broker; throws with the broker's log when it
  // does not come up within the start timeout.
  MosquittoBroker();
  explicit MosquittoBroker(Options opts);
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return proc_.pid(); }
  bool running() { return proc_.running(); }

  void stop();     // SIGTERM, waits for exit
  void kill();     // SIGKILL, waits for exit: a crash as clients see it
  void pause();    // SIGSTOP: the socket stays open, nothing is answered
  void resume();   // SIGCONT
  void restart();  // start again on the same port (after stop/kill), waits until it accepts

  // Everything every incarnation of the broker logged, for failure messages.
  std::string log() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void start();
  void wait_accepting(std::chrono::milliseconds timeout);

  Options opts_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  int starts_ = 0;
  ChildProcess proc_;
};

// A port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
std::uint16_t pick_free_port();
// True when a TCP connect to 127.0.0.1:port succeeds now.
bool port_accepts(std::uint16_t port);

}  // namespace fleetload::e2e
