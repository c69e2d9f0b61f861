// What one simulated device presents to the broker, per SDK connection builder (aws doc §1-§5):
// transport, TLS identity, SNI, ALPN, CONNECT username/password, WebSocket request.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/sigv4.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::auth {

// Everything needed to build one SSL_CTX. Devices with equal specs share one SSL_CTX
// (DESIGN: one shared TLS context per credential set); key() tells them apart.
// Holds secrets (key bytes, PIN, PKCS#12 password): never log a spec, only key().
struct TlsIdentitySpec {
  enum class Kind : std::uint8_t { None, PemFiles, PemBytes, Pkcs12, Pkcs11 };
  Kind kind = Kind::None;  // None: server verification only (no client certificate)
  std::string cert_filepath;     // PemFiles, Pkcs11 (one of cert_filepath / cert_bytes)
  std::string pri_key_filepath;  // PemFiles
  std::string cert_bytes;        // PemBytes, Pkcs11
  std::string pri_key_bytes;     // PemBytes (secret)
  std::string pkcs12_filepath;   // Pkcs12
  std::string pkcs12_password;   // Pkcs12 (secret)
  std::string pkcs11_lib;        // Pkcs11
  std::optional<std::string> user_pin;  // Pkcs11 (secret); none = protected path
  std::optional<std::uint64_t> slot_id;
  std::optional<std::string> token_label;
  std::optional<std::string> private_key_label;
  // Trust store: ca_bytes wins, else ca_filepath and/or ca_dirpath, else the system store.
  std::optional<std::string> ca_bytes;
  std::optional<std::string> ca_filepath;
  std::optional<std::string> ca_dirpath;
  bool verify_peer = true;
  bool session_resumption = false;
  // A digest of every field: safe to log, equal for equal specs.
  std::string key() const;
};

// The WebSocket upgrade request (aws doc §3). The standard upgrade headers (Upgrade,
// Connection, Sec-WebSocket-Key/Version) are the WebSocket library's; `headers` are the rest.
struct WebSocketRequest {
  std::string host;  // Host header: the endpoint host
  std::string path = "/mqtt";
  std::string subprotocol = "mqtt";  // Sec-WebSocket-Protocol
  std::vector<std::pair<std::string, std::string>> headers;  // custom handshake, rendered
  std::vector<std::pair<std::string, std::string>> query;    // custom handshake, rendered
  // Set for websockets_with_default_aws_signing: the target must be presigned per attempt.
  std::optional<std::string> sigv4_region;
  // The request target for an unsigned request (path + encoded query).
  std::string target() const;
  // The presigned target for a connection attempt at `now` (aws doc §3: fresh date and
  // signature on every attempt). Requires sigv4_region.
  Presigned presign(const AwsCredentials& creds, std::chrono::system_clock::time_point now,
                    SignedHeaders variant = SignedHeaders::ConnectionHost) const;
};

struct DevicePresentation {
  std::string host;  // TCP connect target
  std::uint16_t port = 0;
  bool tls = false;
  // Index into FleetPresentation::identities() when tls; devices sharing an identity share
  // one SSL_CTX.
  std::size_t identity = 0;
  std::string sni;                  // empty: none (IP literal host without override)
  std::vector<std::string> alpn;    // offered protocols, in order; empty: no ALPN
  std::optional<std::string> username;  // CONNECT username; none when empty (aws doc §1)
  std::optional<std::string> password;  // CONNECT password (secret)
  std::optional<WebSocketRequest> websocket;
};

// Built once from the scenario (pure: no file or network access); hands out each device's
// presentation. Identities whose paths use {index}/{client_id} are one per device.
class FleetPresentation {
 public:
  explicit FleetPresentation(const scenario::Scenario& s);

  // Device `index` connecting to `endpoint` (the engine chooses the endpoint). Thread-safe.
  DevicePresentation device(std::uint64_t index, const scenario::Endpoint& endpoint);

  // A TLS identity by DevicePresentation::identity. Thread-safe; the reference stays valid.
  const TlsIdentitySpec& identity(std::size_t i) const;
  std::size_t identity_count() const;

  // The SDK metrics suffix (aws doc §1) for this scenario, without ? or &; empty when off.
  std::string metrics_suffix() const;

 private:
  std::size_t intern_identity(TlsIdentitySpec spec);
  std::string username_for(std::uint64_t index) const;

  scenario::Scenario s_;
  mutable std::mutex mutex_;
  std::deque<TlsIdentitySpec> identities_;  // deque: references survive growth
  std::unordered_map<std::string, std::size_t> by_key_;
};

// The CONNECT username as a recipe, rendered per device when its CONNECT is built (aws doc
// §1, §4): the base template, then each parameter appended after '?' (when the string has
// none yet) or '&'. A parameter is `literal` followed by the per-device `value_template`
// (only the authorizer token value has one). Empty result: no username at all.
struct UsernameParam {
  std::string literal;         // e.g. "x-amz-customauthorizer-name=MyAuth", "token=", metrics
  std::string value_template;  // scenario template syntax; empty for most parameters
};
struct UsernameRecipe {
  std::string base;  // template: auth_username / username, or empty
  std::vector<UsernameParam> params;
  bool empty() const noexcept { return base.empty() && params.empty(); }
};
UsernameRecipe username_recipe(const scenario::Scenario& s);
// The CONNECT password of the scenario's mode (auth_password wins for custom authorizers).
std::optional<std::string> connect_password(const scenario::Auth& a);

// "<base>?<param>" or "<base>&<param>" (aws doc §1, §4: `?` unless the string has one).
void append_username_parameter(std::string& username, std::string_view param);

// The custom authorizer username (aws doc §4) before the metrics suffix.
std::string custom_authorizer_username(const scenario::Auth& a, std::string base,
                                       bool mqtt5, std::string_view token_value);

// ALPN wire format (length-prefixed list) for SSL_CTX_set_alpn_protos.
std::string encode_alpn(const std::vector<std::string>& protocols);

}  // namespace fleetload::auth
