// Secrets in scenarios: which keys hold one (also misspelt ones), masking their values
// wherever else they appear, and the warning about secrets on the command line.
#include <algorithm>
#include <cctype>

#include "scenario/yaml_reader.hpp"

namespace fleetload::scenario::detail {
namespace {

// The names secrets go by: exact keys and the words that make an unknown key look secret.
constexpr std::string_view kSecretKeys[] = {"password", "secret", "token", "pin", "secret_access_key",
                                            "session_token", "passphrase", "pri_key_bytes", "user_pin",
                                            "pkcs12_password", "auth_authorizer_signature",
                                            "auth_password", "auth_token_value"};

}  // namespace

bool is_secret_path(std::string_view path) {
  auto dot = path.rfind('.');
  std::string_view last = dot == std::string_view::npos ? path : path.substr(dot + 1);
  for (std::string_view secret : kSecretKeys) {
    if (last == secret) return true;
  }
  // WebSocket header and query values may carry tokens: never quote them.
  return path.starts_with("auth.websocket.");
}

}  // namespace fleetload::scenario::detail

namespace fleetload::scenario {

bool looks_secret(std::string_view path) {
  if (detail::is_secret_path(path)) return true;
  auto dot = path.rfind('.');
  std::string last(dot == std::string_view::npos ? path : path.substr(dot + 1));
  std::transform(last.begin(), last.end(), last.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // A key no section knows may still be a misspelt secret ("pasword", "user_ping") or a
  // secret under another name ("mqtt_password"). No known key is this close to a secret
  // name (tests/unit/scenario_overrides_test.cpp checks them all).
  for (std::string_view w : {"password", "passwd", "secret"})
    if (last.find(w) != std::string::npos) return true;
  for (std::string_view secret : detail::kSecretKeys) {
    const std::size_t limit = secret.size() <= 5 ? 1 : 2;
    if (detail::edit_distance(last, secret) <= limit) return true;
  }
  return false;
}

std::string mask_secret_values(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& v : secrets) {
    if (v.size() < 4) continue;
    for (auto p = text.find(v); p != std::string::npos; p = text.find(v, p + 3)) text.replace(p, v.size(), "***");
  }
  return text;
}

std::vector<std::string> override_warnings(std::span<const Override> overrides) {
  std::vector<std::string> out;
  for (const auto& ov : overrides) {
    const auto eq = ov.assignment.find('=');
    if (eq == std::string::npos) continue;
    const std::string path = ov.assignment.substr(0, eq);
    const std::string value = ov.assignment.substr(eq + 1);
    // A ${VAR} reference is read from the environment: the secret is not on the command line.
    if (!looks_secret(path) || value.empty() || value.find("${") != std::string::npos) continue;
    out.push_back(mask_secret_values(ov.origin, {value}) +
                  ": a secret on the command line is visible to every user of this machine "
                  "(/proc/PID/cmdline, ps); put ${ENV_VAR} in the scenario (or --set '" + path +
                  "=${ENV_VAR}', quoted) and the secret in the environment, or use a file option "
                  "(pri_key_filepath, --pkcs12-password-file)");
  }
  return out;
}

}  // namespace fleetload::scenario

