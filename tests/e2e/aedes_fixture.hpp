// aedes (npm, pinned in tests/brokers/aedes) for e2e tests: a second broker implementation
// beside mosquitto, MQTT 3.1.1 only. Started on a free 127.0.0.1 port by
// tests/brokers/aedes/aedes_broker.mjs, which prints the port and then one JSON line per
// CONNECT, CONNACK, SUBSCRIBE filter, PUBLISH received and PUBLISH delivered: the tests
// count what the broker did from that log, independently of fleetload.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "e2e/child_process.hpp"

namespace fleetload::e2e {

class AedesBroker {
 public:
  struct Options {
    std::string refuse;  // ECMAScript regex: matching filters get SUBACK 0x80 ("" = none)
  };

  // Why aedes cannot run here (no node on PATH, aedes not installed), or nullopt when it can.
  // Tests GTEST_SKIP with this reason, unless FLEETLOAD_REQUIRE_AEDES is set (scripts/test.sh
  // sets it: CI installs aedes, so there a missing aedes is a failure, not a skip).
  static std::optional<std::string> unavailable();

  // Starts aedes and waits (bounded) for its "listening" line; throws with its stderr when
  // it does not come up.
  AedesBroker();
  explicit AedesBroker(Options opts);
  ~AedesBroker();
  AedesBroker(const AedesBroker&) = delete;
  AedesBroker& operator=(const AedesBroker&) = delete;

  std::uint16_t port() const { return port_; }
  // Every event logged so far, in order (the "listening" line included).
  std::vector<boost::json::object> events() const;
  // Events named `event` for which `pred` holds (all of them without one).
  std::uint64_t count(const std::string& event,
                      const std::function<bool(const boost::json::object&)>& pred = {}) const;
  std::string log() const;  // stdout and stderr, for failure messages
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  ChildProcess proc_;
};

}  // namespace fleetload::e2e
