// The responder's configuration: a small YAML file (docs/responder.md) read with the
// scenario's reader, so every error names file:line:column and the field, then command-line
// flags on top.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "auth/certgen.hpp"
#include "mqtt/packet.hpp"
#include "responder/provisioning_service.hpp"

namespace fleetload::responder {

struct BrokerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  mqtt::Version version = mqtt::Version::V311;
  std::string client_id = "fleetload-responder";
  std::chrono::seconds keepalive{60};
  std::uint8_t qos = 1;          // answers: 1 lets the broker deliver at each device's subscription QoS, as AWS does
  // Subscriptions: the most a request is delivered to us with. 0 by default: our session is
  // clean, so a QoS 1 delivery would be dropped with the connection all the same, and it would
  // put the whole fleet's requests under the broker's per-client in-flight cap (mosquitto: 20).
  std::uint8_t request_qos = 0;
  // QoS 1 answers awaiting PUBACK; MQTT 5 also the broker's Receive Maximum. Nothing is kept
  // per answer in flight, so the window costs no memory.
  std::uint32_t max_inflight = 65535;
  std::optional<std::string> username;
  std::optional<std::string> password;  // secret
  bool tls = false;
  std::optional<std::string> ca_file;   // trust store for the broker; else the system store
  std::optional<std::string> cert_file;  // client certificate (mTLS) ...
  std::optional<std::string> key_file;   // ... and its key
  std::string server_name;  // SNI and host check; empty: host
  bool verify_peer = true;
};

struct JobTargets {
  std::vector<std::string> things;   // explicit thing names
  std::string name_template;         // "{index}" rendered for first_index .. first_index+count-1
  std::uint64_t count = 0;
  std::uint64_t first_index = 0;
  bool seen = false;                 // every thing seen by the responder when the job is created
  bool continuous = false;           // with seen: also things seen afterwards
};

struct JobConfig {
  std::string id;
  boost::json::value document;   // the job document (a YAML mapping becomes JSON)
  JobTargets targets;
  std::chrono::milliseconds at{0};  // created this long after the responder subscribed
  std::vector<std::string> expand_targets() const;  // things + rendered template
};

struct ProvisioningConfig {
  std::optional<std::string> ca_cert;
  std::optional<std::string> ca_key;
  auth::CertKeyType key_type = auth::CertKeyType::EcdsaP256;
  unsigned days = 365;
  std::vector<ProvisioningTemplate> templates;
};

struct ResponderConfig {
  BrokerConfig broker;
  bool shadow = true;
  bool jobs = true;
  bool provisioning = true;
  std::vector<JobConfig> job_list;
  ProvisioningConfig provisioning_config;
  std::optional<std::chrono::milliseconds> duration;  // stop after; none: until SIGINT/SIGTERM
  std::string source = "(defaults)";  // the file read, for messages
};

// Reads the file (or YAML text). Throws scenario::ScenarioError listing every problem, each
// "file:line:col: path: message"; secrets never appear in a message.
ResponderConfig load_config(const std::filesystem::path& file);
ResponderConfig parse_config(std::string_view yaml_text, std::string_view file_name);

// Renders "{index}" in `tpl` for `index` (the only placeholder of job target templates).
std::string render_index(std::string_view tpl, std::uint64_t index);

}  // namespace fleetload::responder
