// Per-device presentation for each SDK builder: username rules (aws doc §1, §4), ports,
// ALPN, SNI, identities, WebSocket request.
#include "auth/presentation.hpp"

#include <arpa/inet.h>

#include "scenario/template.hpp"

namespace fleetload::auth {
namespace {

using scenario::AuthMode;

std::string render(const scenario::Scenario& s, std::string_view tpl, std::uint64_t index) {
  scenario::TemplateVars v = scenario::template_vars(s, index);
  std::string client_id;
  if (scenario::template_uses(tpl, scenario::Placeholder::ClientId)) {
    client_id = scenario::render_template(s.fleet.client_id, v);
    v.client_id = client_id;
  }
  return scenario::render_template(tpl, v);
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

void add_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += '=';
  out += std::to_string(value.size());  // length-prefixed: no separator ambiguity
  out += ':';
  out += value;
  out += '\n';
}

}  // namespace

std::string TlsIdentitySpec::key() const {
  std::string all;
  add_field(all, "kind", std::to_string(static_cast<int>(kind)));
  add_field(all, "cert_filepath", cert_filepath);
  add_field(all, "pri_key_filepath", pri_key_filepath);
  add_field(all, "cert_bytes", cert_bytes);
  add_field(all, "pri_key_bytes", pri_key_bytes);
  add_field(all, "pkcs12_filepath", pkcs12_filepath);
  add_field(all, "pkcs12_password", pkcs12_password);
  add_field(all, "pkcs11_lib", pkcs11_lib);
  add_field(all, "user_pin", user_pin ? "1" + *user_pin : "0");
  add_field(all, "slot_id", slot_id ? std::to_string(*slot_id) : "-");
  add_field(all, "token_label", token_label ? "1" + *token_label : "0");
  add_field(all, "private_key_label", private_key_label ? "1" + *private_key_label : "0");
  add_field(all, "ca_bytes", ca_bytes ? "1" + *ca_bytes : "0");
  add_field(all, "ca_filepath", ca_filepath ? "1" + *ca_filepath : "0");
  add_field(all, "ca_dirpath", ca_dirpath ? "1" + *ca_dirpath : "0");
  add_field(all, "verify_peer", verify_peer ? "1" : "0");
  add_field(all, "session_resumption", session_resumption ? "1" : "0");
  return sha256_hex(all);  // a digest: the secrets above never leave in clear
}

std::string WebSocketRequest::target() const {
  std::string t = path;
  char sep = '?';
  for (const auto& [k, v] : query) {
    t += sep;
    t += uri_encode(k) + "=" + uri_encode(v);
    sep = '&';
  }
  return t;
}

Presigned WebSocketRequest::presign(const AwsCredentials& creds,
                                    std::chrono::system_clock::time_point now,
                                    SignedHeaders variant) const {
  PresignRequest r;
  r.host = host;
  r.region = sigv4_region.value_or("");
  r.path = path;
  r.signed_headers = variant;
  r.when = now;
  r.extra_query = query;
  return presign_websocket(creds, r);
}

void append_username_parameter(std::string& username, std::string_view param) {
  username += username.find('?') == std::string::npos ? '?' : '&';
  username += param;
}

namespace {

bool is_custom_authorizer(AuthMode m) {
  return m == AuthMode::DirectWithCustomAuthorizer || m == AuthMode::WebsocketsWithCustomAuthorizer;
}

// The authorizer parameters in the SDK's order (aws doc §4). The token's value goes into
// value_template: a template in a recipe, rendered text for custom_authorizer_username.
std::vector<UsernameParam> authorizer_params(const scenario::Auth& a, bool mqtt5,
                                             std::string_view token_value) {
  // A value already carrying its "name=" prefix is appended as is (aws doc §4).
  auto param = [](std::string_view name, std::string_view value) {
    const std::string prefix = std::string(name) + "=";
    return value.starts_with(prefix) ? std::string(value) : prefix + std::string(value);
  };
  const bool current = a.metrics.format != scenario::MetricsFormat::Legacy;
  UsernameParam name_param, sig_param, token_param;
  if (a.auth_authorizer_name) {
    name_param.literal = param("x-amz-customauthorizer-name", *a.auth_authorizer_name);
  }
  if (a.auth_authorizer_signature) {
    std::string sig = *a.auth_authorizer_signature;
    // Current SDKs URI-encode the signature unless it already is; the Python (legacy) does not.
    const std::string prefix = "x-amz-customauthorizer-signature=";
    if (sig.starts_with(prefix)) sig = sig.substr(prefix.size());
    if (current && sig.find('%') == std::string::npos) sig = uri_encode(sig);
    sig_param.literal = prefix + sig;
  }
  if (a.auth_token_key_name && a.auth_token_value) {
    const std::string prefix = *a.auth_token_key_name + "=";
    if (!token_value.starts_with(prefix)) token_param.literal = prefix;
    token_param.value_template = std::string(token_value);
  }
  // Current MQTT 5 builders: name, token, signature; otherwise name, signature, token.
  std::vector<UsernameParam*> order = {&name_param, &sig_param, &token_param};
  if (current && mqtt5) order = {&name_param, &token_param, &sig_param};
  std::vector<UsernameParam> out;
  for (UsernameParam* p : order) {
    if (!p->literal.empty() || !p->value_template.empty()) out.push_back(std::move(*p));
  }
  return out;
}

std::string metrics_suffix_of(const scenario::Scenario& s) {
  const scenario::SdkMetrics& m = s.auth.metrics;
  if (!m.enabled || m.format == scenario::MetricsFormat::Off) return {};
  if (m.format == scenario::MetricsFormat::Legacy) {
    return "SDK=" + m.sdk_language + "V2&Version=" + m.sdk_version;
  }
  std::string features = s.target.protocol == mqtt::Version::V5 ? "F/5" : "F/3";
  for (const auto& f : m.features) features += "," + f;
  return "SDK=IoTDeviceSDK/" + m.sdk_language + "&Platform=" + m.platform +
         "&Metadata=(CRTVersion=" + m.crt_version + ";IoTSDKVersion=" + m.sdk_version +
         ";IoTSDKFeature=" + features + ";IoTSDKMetricsVersion=1)";
}

}  // namespace

std::string custom_authorizer_username(const scenario::Auth& a, std::string base, bool mqtt5,
                                       std::string_view token_value) {
  for (const UsernameParam& p : authorizer_params(a, mqtt5, token_value)) {
    append_username_parameter(base, p.literal + p.value_template);
  }
  return base;
}

UsernameRecipe username_recipe(const scenario::Scenario& s) {
  const scenario::Auth& a = s.auth;
  UsernameRecipe r;
  const bool custom = is_custom_authorizer(a.mode);
  if (custom && a.auth_username) r.base = *a.auth_username;
  else if (a.username) r.base = *a.username;
  if (custom) {
    r.params = authorizer_params(a, s.target.protocol == mqtt::Version::V5,
                                 a.auth_token_value.value_or(""));
  }
  if (auto suffix = metrics_suffix_of(s); !suffix.empty()) r.params.push_back({std::move(suffix), {}});
  return r;
}

std::optional<std::string> connect_password(const scenario::Auth& a) {
  if (is_custom_authorizer(a.mode) && a.auth_password) return a.auth_password;
  return a.password;
}

std::string encode_alpn(const std::vector<std::string>& protocols) {
  std::string out;
  for (const auto& p : protocols) {
    out += static_cast<char>(p.size());
    out += p;
  }
  return out;
}

FleetPresentation::FleetPresentation(const scenario::Scenario& s) : s_(s) {}

std::string FleetPresentation::metrics_suffix() const { return metrics_suffix_of(s_); }

std::string FleetPresentation::username_for(std::uint64_t index) const {
  const UsernameRecipe r = username_recipe(s_);
  std::string u = render(s_, r.base, index);
  for (const UsernameParam& p : r.params) {
    if (p.value_template.empty()) append_username_parameter(u, p.literal);
    else append_username_parameter(u, p.literal + render(s_, p.value_template, index));
  }
  return u;
}

std::size_t FleetPresentation::intern_identity(TlsIdentitySpec spec) {
  std::string key = spec.key();
  std::lock_guard lock(mutex_);
  if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
  identities_.push_back(std::move(spec));
  by_key_.emplace(std::move(key), identities_.size() - 1);
  return identities_.size() - 1;
}

const TlsIdentitySpec& FleetPresentation::identity(std::size_t i) const {
  std::lock_guard lock(mutex_);
  return identities_.at(i);
}

std::size_t FleetPresentation::identity_count() const {
  std::lock_guard lock(mutex_);
  return identities_.size();
}

DevicePresentation FleetPresentation::device(std::uint64_t index,
                                             const scenario::Endpoint& endpoint) {
  const scenario::Auth& a = s_.auth;
  DevicePresentation d;
  d.host = endpoint.host;
  d.port = endpoint.port;
  d.tls = a.mode != AuthMode::PlainTcp && a.tls.enabled;
  if (auto u = username_for(index); !u.empty()) d.username = std::move(u);
  d.password = connect_password(a);

  if (scenario::is_websocket(a.mode)) {
    WebSocketRequest w;
    w.host = endpoint.host;
    if (!endpoint.path.empty()) w.path = endpoint.path;  // a ws:// or wss:// URL's path
    for (const auto& [k, v] : a.websocket_headers) w.headers.emplace_back(k, render(s_, v, index));
    for (const auto& [k, v] : a.websocket_query) w.query.emplace_back(k, render(s_, v, index));
    if (a.mode == AuthMode::WebsocketsWithDefaultAwsSigning) w.sigv4_region = a.region;
    d.websocket = std::move(w);
  }
  if (!d.tls) return d;

  d.sni = a.tls.sni ? *a.tls.sni : (is_ip_literal(endpoint.host) ? "" : endpoint.host);
  if (a.tls.alpn) {
    d.alpn = *a.tls.alpn;
  } else if (a.mode == AuthMode::DirectWithCustomAuthorizer) {
    d.alpn = {"mqtt"};
  } else if (scenario::is_mtls(a.mode) && endpoint.port == 443) {
    d.alpn = {"x-amzn-mqtt-ca"};
  } else if (scenario::is_websocket(a.mode) && endpoint.port == 443) {
    d.alpn = {"http/1.1"};  // the Python SDK's choice (aws doc §1)
  }

  TlsIdentitySpec spec;
  spec.verify_peer = a.tls.verify_peer;
  spec.session_resumption = a.tls.session_resumption;
  spec.ca_bytes = a.ca_bytes;
  if (!a.ca_bytes) {
    spec.ca_filepath = a.ca_filepath;
    spec.ca_dirpath = a.ca_dirpath;
  }
  switch (a.mode) {
    case AuthMode::MtlsFromPath:
      spec.kind = TlsIdentitySpec::Kind::PemFiles;
      spec.cert_filepath = render(s_, a.cert_filepath.value_or(""), index);
      spec.pri_key_filepath = render(s_, a.pri_key_filepath.value_or(""), index);
      break;
    case AuthMode::MtlsFromBytes:
      spec.kind = TlsIdentitySpec::Kind::PemBytes;
      spec.cert_bytes = a.cert_bytes.value_or("");
      spec.pri_key_bytes = a.pri_key_bytes.value_or("");
      break;
    case AuthMode::MtlsWithPkcs12:
      spec.kind = TlsIdentitySpec::Kind::Pkcs12;
      spec.pkcs12_filepath = render(s_, a.pkcs12_filepath.value_or(""), index);
      spec.pkcs12_password = a.pkcs12_password.value_or("");
      break;
    case AuthMode::MtlsWithPkcs11:
      spec.kind = TlsIdentitySpec::Kind::Pkcs11;
      if (a.cert_filepath) spec.cert_filepath = render(s_, *a.cert_filepath, index);
      spec.cert_bytes = a.cert_bytes.value_or("");
      spec.pkcs11_lib = a.pkcs11_lib.value_or("");
      spec.user_pin = a.user_pin;
      spec.slot_id = a.slot_id;
      spec.token_label = a.token_label;
      spec.private_key_label = a.private_key_label;
      break;
    default:
      break;  // server verification only
  }
  d.identity = intern_identity(std::move(spec));
  return d;
}

}  // namespace fleetload::auth
