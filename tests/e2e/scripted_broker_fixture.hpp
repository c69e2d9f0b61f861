// The scripted misbehaving broker for e2e tests (tests/e2e/scripted_broker/scripted_broker.py):
// started on a free 127.0.0.1 port with a per-test JSON config, its event log (one JSON line
// per event, each with the broker's own CLOCK_MONOTONIC timestamp) read back as traces per
// connection, so tests measure fleetload on the wire.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "e2e/child_process.hpp"

namespace fleetload::e2e {

class ScriptedBroker {
 public:
  // Starts the broker with `config_json` (the script's docstring lists the keys) and waits,
  // bounded, until it accepts; throws with its stderr when it does not.
  explicit ScriptedBroker(const std::string& config_json);
  ~ScriptedBroker();
  ScriptedBroker(const ScriptedBroker&) = delete;
  ScriptedBroker& operator=(const ScriptedBroker&) = delete;

  std::uint16_t port() const { return port_; }
  // Every event logged so far, in order.
  std::vector<boost::json::object> events() const;
  // Polls events() until `done(events)` holds or `timeout` passes; true when it held.
  bool wait_until(const std::function<bool(const std::vector<boost::json::object>&)>& done,
                  std::chrono::milliseconds timeout) const;
  std::string log() const;  // the script's stderr, for failure messages
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  ChildProcess proc_;
};

// One TCP connection as the broker saw it. Times are the broker's CLOCK_MONOTONIC seconds;
// NaN when the event did not happen.
struct ConnTrace {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  int conn = 0;
  std::string client_id;      // from CONNECT ("" if none arrived)
  int version = 0;            // 4 or 5
  bool clean_start = false;
  double accept = kNone;
  double connect = kNone;
  double connack = kNone;
  int connack_code = -1;
  bool session_present = false;
  double close = kNone;
  std::string closed_by;      // "device" or "broker" ("" while open)
  std::vector<double> pingreqs;
  std::vector<double> publishes;
  std::vector<std::pair<double, int>> disconnects;  // (time, reason code) sent by the device
  std::vector<boost::json::object> events;          // all of them, for details
};
std::vector<ConnTrace> connections(const std::vector<boost::json::object>& events);
// The traces grouped by client id, each list in accept order.
std::map<std::string, std::vector<ConnTrace>> by_client(const std::vector<ConnTrace>& traces);

// Path of the script in the source tree.
std::filesystem::path scripted_broker_script();

}  // namespace fleetload::e2e
