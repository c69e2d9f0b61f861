// The WebSocket front for e2e tests: tests/e2e/ws_verify_server.py (websockify's real proxy
// with a request-checking hook) on a free 127.0.0.1 port, in front of a broker port; plain
// and TLS on the same port. Its verdicts (one JSON line per upgrade request) are readable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "e2e/child_process.hpp"

namespace fleetload::e2e {

class WsFront {
 public:
  struct Options {
    std::uint16_t broker_port = 0;
    std::string config_json;             // {"mode": "sigv4"|"handshake"|"authorizer", ...}
    std::filesystem::path cert, key;     // server certificate for TLS; empty: plain only
    int heartbeat_s = 0;                 // ping every N seconds (0: never)
  };
  // Starts the front and waits (bounded) until it accepts; throws with its log otherwise.
  explicit WsFront(Options o);
  ~WsFront();
  WsFront(const WsFront&) = delete;
  WsFront& operator=(const WsFront&) = delete;

  std::uint16_t port() const { return port_; }
  // The verdict lines so far, and how many contain `needle`.
  std::vector<std::string> verdicts() const;
  std::size_t count(const std::string& needle) const;
  std::string log() const;  // stderr of the front, for failure messages

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  ChildProcess proc_;
};

// The fixture script (source tree).
std::filesystem::path ws_verify_server_script();

}  // namespace fleetload::e2e
