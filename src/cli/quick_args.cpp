// The one-liner's flags as scenario fields (cli/quick_args.hpp).
#include "cli/quick_args.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace fleetload::cli {
namespace {

constexpr std::string_view kDefaultTopic = "telemetry/{client_id}";

constexpr std::array kFlags = {
    QuickFlag{"--broker", "URL", "target.endpoint",
              "mqtt|mqtts|ws|wss://HOST[:PORT][/PATH], or HOST:PORT"},
    QuickFlag{"--protocol", "P", "target.protocol", "3.1.1 or 5 (also mqtt311, mqtt5; default 3.1.1)"},
    QuickFlag{"--devices", "N", "fleet.devices", "how many devices (required without a scenario file)"},
    QuickFlag{"--connect-rate", "R", "fleet.connect_rate", "new connections per second (default 500/s)"},
    QuickFlag{"--client-id", "TEMPLATE", "fleet.client_id", "client ids with {index} (default fleetload-{index})"},
    QuickFlag{"--publish", "R", "publish.rate", "each device publishes at R: 1/s, 10/m (default: none)"},
    QuickFlag{"--topic", "TEMPLATE", "publish.topic", "publish topic (default telemetry/{client_id})"},
    QuickFlag{"--qos", "Q", "publish.qos", "publish QoS 0, 1, 2 (default 0), also the subscribers'"},
    QuickFlag{"--payload-size", "SIZE", "publish.payload", "payload size: 256B, 1KiB (default 64B)"},
    QuickFlag{"--subscribers", "N|P%", "subscribe.subscribers",
              "devices (count or share) subscribing to every topic"},
    QuickFlag{"--auth", "MODE", "auth.mode", "an auth mode (docs/auth.md); default: from the URL"},
    QuickFlag{"--username", "NAME", "auth.username", "CONNECT username"},
    QuickFlag{"--password", "PW", "auth.password", "CONNECT password (shown by ps: use ${ENV} in a file)"},
    QuickFlag{"--cert", "FILE", "auth.cert_filepath", "device certificate PEM (mtls_from_path)"},
    QuickFlag{"--key", "FILE", "auth.pri_key_filepath", "device private key PEM (mtls_from_path)"},
    QuickFlag{"--ca", "FILE", "auth.ca_filepath", "trust store for the broker certificate"},
    QuickFlag{"--insecure", "", "auth.tls.verify_peer", "do not verify the broker certificate (tests only)"},
};

// The value assigned to `path` in `given` (the last one wins, as with --set).
std::optional<std::string> value_of(const std::vector<std::string>& given, std::string_view path) {
  std::optional<std::string> out;
  for (const auto& g : given) {
    if (g.size() > path.size() && g.compare(0, path.size(), path) == 0 && g[path.size()] == '=')
      out = g.substr(path.size() + 1);
  }
  return out;
}

}  // namespace

std::span<const QuickFlag> quick_flags() { return kFlags; }

std::string quick_value(const QuickFlag& f, const std::string& value) {
  if (f.flag == "--protocol") {
    if (value == "3.1.1" || value == "3" || value == "311") return "mqtt311";
    if (value == "5") return "mqtt5";
  }
  if (f.flag == "--insecure") return "false";
  return value;
}

std::string filter_for_topic(std::string_view topic_template) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const auto slash = topic_template.find('/', start);
    const std::string_view level = topic_template.substr(start, slash == std::string_view::npos ? slash : slash - start);
    out += level.find('{') != std::string_view::npos ? std::string("+") : std::string(level);
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::vector<std::string> quick_defaults(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  const auto has_prefix = [&](std::string_view prefix) {
    for (const auto& g : given)
      if (g.compare(0, prefix.size(), prefix) == 0) return true;
    return false;
  };
  std::string topic = value_of(given, "publish.topic").value_or(std::string(kDefaultTopic));
  if (has_prefix("publish.") && !value_of(given, "publish.topic")) out.push_back("publish.topic=" + topic);
  if (value_of(given, "subscribe.subscribers") && !has_prefix("subscribe.filters")) {
    out.push_back("subscribe.filters.0.filter=" + filter_for_topic(topic));
    if (auto q = value_of(given, "publish.qos")) out.push_back("subscribe.filters.0.qos=" + *q);
  }
  return out;
}

std::string quick_help() {
  std::string h;
  for (const auto& f : kFlags) {
    std::string left = "  " + std::string(f.flag);
    if (!f.value.empty()) left += " " + std::string(f.value);
    // Two spaces at least: the completion generator ends an option's tag there.
    left.resize(std::max<std::size_t>(left.size() + 2, 24), ' ');
    h += left + std::string(f.help) + "\n";
  }
  return h;
}

}  // namespace fleetload::cli
