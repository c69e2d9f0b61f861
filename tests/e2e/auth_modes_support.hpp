// Shared by the auth-mode e2e tests (tests/e2e/auth_*_test.cpp): a throwaway PKI (good and
// foreign CA, PKCS#12 bundles), a SoftHSM2 token initialised in a temp dir, mosquitto
// listener configurations (client certificates or a password file), the usernames the SDK
// would send (written out here from aws doc §1/§4, independently of src/auth), and a
// fleetload-binary run with its JSON + HTML report.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "e2e/fleetload_runner.hpp"

namespace fleetload::e2e::auth_modes {

namespace fs = std::filesystem;

// Known secret values: the no-secret test greps every output for them.
inline constexpr const char* kP12Password = "p12-Zq81-secret";
inline constexpr const char* kPin = "86413579";
inline constexpr const char* kWrongPin = "11223399";
inline constexpr const char* kMqttPassword = "mqtt-Pw7Hx2-secret";
inline constexpr const char* kAuthzToken = "authzTok55secret";
inline constexpr const char* kAuthzSignature = "c2ln+Sig/secret=";  // sent URI-encoded
inline constexpr const char* kTokenLabel = "fleet";
inline constexpr const char* kKeyLabel = "devkey";
inline constexpr const char* kSoftHsmLib = "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr int kDevices = 4;

// One per test binary: created on first use, removed at exit.
struct World {
  fs::path dir;
  fs::path good;     // CA that signs the broker and the devices; device-{i}.p12 (kP12Password)
  fs::path foreign;  // another CA and its devices
  fs::path softhsm_conf;  // token kTokenLabel (PIN kPin) holding device 0's key as kKeyLabel
  World();
  ~World();
};
const World& world();

// SOFTHSM2_CONF for this process and the fleetload children it spawns.
void use_softhsm(const World& w);

// mosquitto listener settings: TLS requiring client certificates from `w.good`'s CA.
std::string mtls_listener(const World& w);
// TLS (server certificate only) plus a password file; anonymous clients refused.
std::string password_listener(const World& w, const fs::path& password_file);
// Writes a mosquitto password file (mosquitto_passwd -b) with these users.
void write_password_file(const fs::path& file, const std::vector<std::pair<std::string, std::string>>& users);

// The SDK metrics suffix (current format, fleetload's defaults) for MQTT 3.1.1 or 5.
std::string metrics_suffix(bool mqtt5);
// new_default_builder with username "user-<i>": what the SDK sends.
std::string default_builder_username(int index, bool mqtt5);
// direct_with_custom_authorizer with auth_username "ca-<i>", authorizer FleetAuth, the
// signature kAuthzSignature and token kAuthzToken: what the current SDK sends.
std::string custom_authorizer_username(int index, bool mqtt5);

// The scenario around an auth section (indented two spaces): kDevices devices on
// 127.0.0.1:port, QoS 1 publishes from all, the last two subscribe to everyone's topic.
std::string fleet_yaml(std::uint16_t port, bool mqtt5, const std::string& auth, int devices = kDevices,
                       bool pubsub = true);

struct FleetRun {
  Outcome outcome;
  std::string html;  // the HTML report next to the JSON one
  const boost::json::value& report() const;
  std::string all_output() const;  // stdout + stderr + JSON + HTML
};
// Writes the scenario to a fresh dir and runs `fleetload run` on it (bounded).
FleetRun run_fleet(const std::string& yaml, const std::string& tag, std::vector<std::string> extra_args = {});

// The count of a connect-failure cause in a report (errors.connect_failures), 0 if absent.
std::uint64_t failure_cause(const boost::json::value& report, const std::string& result, const std::string& reason);
// CONNACK count for `code` in the report (totals.connack_codes), 0 if absent.
std::uint64_t connack_count(const boost::json::value& report, unsigned code);

}  // namespace fleetload::e2e::auth_modes
