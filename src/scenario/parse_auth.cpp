// Parser for the `auth` section: SDK builder modes, their options, per-mode validation.
#include <algorithm>
#include <cstdint>

#include "scenario/parse.hpp"

namespace fleetload::scenario::detail {
namespace {

using Modes = std::uint32_t;
constexpr Modes bit(AuthMode m) { return Modes{1} << static_cast<unsigned>(m); }
constexpr Modes kAllModes = 0xFFFFFFFFu;
constexpr Modes kWs = bit(AuthMode::WebsocketsWithDefaultAwsSigning) |
                      bit(AuthMode::WebsocketsWithCustomHandshake) |
                      bit(AuthMode::WebsocketsWithCustomAuthorizer);
constexpr Modes kTls = kAllModes & ~bit(AuthMode::PlainTcp);
constexpr Modes kCustomAuth =
    bit(AuthMode::DirectWithCustomAuthorizer) | bit(AuthMode::WebsocketsWithCustomAuthorizer);

constexpr const auto& kModeNames = keys::kAuthModes;

// Which modes accept each option (the SDK builder's parameters).
struct KeyRule {
  std::string_view key;
  Modes modes;
};
constexpr std::array kRules = {
    KeyRule{"cert_filepath", bit(AuthMode::MtlsFromPath) | bit(AuthMode::MtlsWithPkcs11)},
    KeyRule{"pri_key_filepath", bit(AuthMode::MtlsFromPath)},
    KeyRule{"cert_bytes", bit(AuthMode::MtlsFromBytes) | bit(AuthMode::MtlsWithPkcs11)},
    KeyRule{"pri_key_bytes", bit(AuthMode::MtlsFromBytes)},
    KeyRule{"ca_filepath", kTls},
    KeyRule{"ca_dirpath", kTls},
    KeyRule{"ca_bytes", kTls},
    KeyRule{"tls", kTls},
    KeyRule{"pkcs11_lib", bit(AuthMode::MtlsWithPkcs11)},
    KeyRule{"user_pin", bit(AuthMode::MtlsWithPkcs11)},
    KeyRule{"slot_id", bit(AuthMode::MtlsWithPkcs11)},
    KeyRule{"token_label", bit(AuthMode::MtlsWithPkcs11)},
    KeyRule{"private_key_label", bit(AuthMode::MtlsWithPkcs11)},
    KeyRule{"pkcs12_filepath", bit(AuthMode::MtlsWithPkcs12)},
    KeyRule{"pkcs12_password", bit(AuthMode::MtlsWithPkcs12)},
    KeyRule{"cert_store_path", bit(AuthMode::MtlsWithWindowsCertStorePath)},
    KeyRule{"region", bit(AuthMode::WebsocketsWithDefaultAwsSigning)},
    KeyRule{"credentials", bit(AuthMode::WebsocketsWithDefaultAwsSigning)},
    KeyRule{"websocket", kWs},
    KeyRule{"auth_username", kCustomAuth},
    KeyRule{"auth_authorizer_name", kCustomAuth},
    KeyRule{"auth_authorizer_signature", kCustomAuth},
    KeyRule{"auth_password", kCustomAuth},
    KeyRule{"auth_token_key_name", kCustomAuth},
    KeyRule{"auth_token_value", kCustomAuth},
};

std::string modes_text(Modes modes) {
  std::string out;
  for (std::size_t i = 0; i < kModeNames.size(); ++i) {
    if ((modes & (Modes{1} << i)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += kModeNames[i];
  }
  return out;
}

// A template whose value may be secret: the error never quotes it.
std::optional<std::string> read_secret_template(Reader& r, const YAML::Node& n,
                                                const std::string& path) {
  auto t = read_string(r, n, path);
  if (!t) return std::nullopt;
  if (auto err = check_template(*t, kTopicVars)) {
    r.error(n, path, *err + " (the value is not shown: it is a secret)");
    return std::nullopt;
  }
  return t;
}

bool looks_like_pem(const std::string& v) { return v.find("-----BEGIN ") != std::string::npos; }

void parse_credentials(Reader& r, const YAML::Node& n, AwsCredentialsSpec& c) {
  MapView m(r, n, "auth.credentials", keys::kCredentials);
  if (!m.ok()) return;
  auto str = [&](std::string_view key, std::optional<std::string>& out) {
    if (auto v = m.get(key)) out = read_string(r, *v, m.path(key));
  };
  str("access_key_id", c.access_key_id);
  str("secret_access_key", c.secret_access_key);
  str("session_token", c.session_token);
  str("profile", c.profile);
  str("credential_process", c.credential_process);
  const bool has_static = m.has("access_key_id") || m.has("secret_access_key");
  if (auto v = m.get("source")) {
    if (auto i = read_enum(r, *v, m.path("source"), keys::kCredentialSources)) {
      c.source = static_cast<CredentialsSource>(*i);
    }
  } else if (has_static) {
    c.source = CredentialsSource::Static;
  } else if (m.has("credential_process")) {
    c.source = CredentialsSource::Process;
  } else if (m.has("profile")) {
    c.source = CredentialsSource::Profile;
  }
  const YAML::Node& at = m.node();
  switch (c.source) {
    case CredentialsSource::Static:
      if (!m.has("access_key_id") || !m.has("secret_access_key")) {
        r.error(at, "auth.credentials",
                "static credentials need both access_key_id and secret_access_key "
                "(e.g. \"${AWS_ACCESS_KEY_ID}\" and \"${AWS_SECRET_ACCESS_KEY}\")");
      }
      if (m.has("credential_process") || m.has("profile")) {
        r.error(at, "auth.credentials",
                "give one source: static keys, a profile, or a credential_process");
      }
      break;
    case CredentialsSource::Process:
      if (!m.has("credential_process")) {
        r.error(at, "auth.credentials.credential_process",
                "required with source process: the command printing credentials as JSON");
      }
      [[fallthrough]];
    case CredentialsSource::Profile:
    case CredentialsSource::Environment:
    case CredentialsSource::DefaultChain:
      if (has_static) {
        r.error(at, "auth.credentials",
                std::string("access_key_id/secret_access_key are only read with source static, "
                            "not ") + to_string(c.source));
      }
      break;
  }
  if (c.source == CredentialsSource::Process && m.has("profile")) {
    r.error(at, "auth.credentials", "give one source: a profile or a credential_process");
  }
  // Keys another source would read are refused, never ignored (a --set of one of them must
  // change something): the command only runs with source process (a profile's own
  // credential_process comes from the shared files), the profile is not read by environment.
  if (auto v = m.get("credential_process"); v && c.source != CredentialsSource::Process &&
                                            c.source != CredentialsSource::Static) {
    r.error(*v, m.path("credential_process"),
            std::string("only read with source process, not ") + to_string(c.source) +
                " (a profile's credential_process goes in its shared config file)");
  }
  if (auto v = m.get("profile"); v && c.source == CredentialsSource::Environment) {
    r.error(*v, m.path("profile"), "not read with source environment (only the AWS_* variables are)");
  }
}

// `websocket.headers` / `websocket.query`: mappings of name -> template value, in order.
void parse_pairs(Reader& r, const YAML::Node& n, const std::string& path, bool headers,
                 std::vector<std::pair<std::string, std::string>>& out) {
  if (!n.IsMap()) {
    r.error(n, path, "expected a mapping of name: value, " + describe(n));
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node k = it->first;
    const YAML::Node v = it->second;
    if (!k.IsScalar() || k.Scalar().empty()) {
      r.error(k, path, "expected a name, " + describe(k));
      continue;
    }
    const std::string name = k.Scalar();
    const std::string item = path + "." + name;
    if (headers) {
      const bool token = std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      });
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!token) {
        r.error(k, item, "not a valid HTTP header name");
        continue;
      }
      if (lower == "host" || lower == "upgrade" || lower == "connection" ||
          lower.starts_with("sec-websocket-")) {
        r.error(k, item, "set by the WebSocket handshake itself (aws doc §3); it cannot be replaced");
        continue;
      }
    }
    if (auto t = read_secret_template(r, v, item)) out.emplace_back(name, *t);
  }
}

void parse_websocket(Reader& r, const YAML::Node& n, Auth& a) {
  MapView m(r, n, "auth.websocket", keys::kWebsocket);
  if (!m.ok()) return;
  if (auto v = m.get("headers")) parse_pairs(r, *v, m.path("headers"), true, a.websocket_headers);
  if (auto v = m.get("query")) parse_pairs(r, *v, m.path("query"), false, a.websocket_query);
}

void parse_tls(Reader& r, const YAML::Node& n, Auth& a) {
  MapView m(r, n, "auth.tls", keys::kTls);
  if (!m.ok()) return;
  auto flag = [&](std::string_view key, bool& out) {
    read_into(m, key, out, [&](const YAML::Node& v, const std::string& p) {
      return read_bool(r, v, p);
    });
  };
  flag("enabled", a.tls.enabled);
  flag("verify_peer", a.tls.verify_peer);
  flag("session_resumption", a.tls.session_resumption);
  if (auto v = m.get("sni")) {
    if (auto t = read_string(r, *v, m.path("sni"))) {
      if (t->empty()) r.error(*v, m.path("sni"), "expected a host name, got \"\"");
      else a.tls.sni = *t;
    }
  }
  if (auto v = m.get("alpn")) {
    std::vector<std::string> list;
    auto one = [&](const YAML::Node& item, const std::string& p) {
      auto t = read_string(r, item, p);
      if (!t) return;
      if (t->empty() || t->size() > 255) {
        r.error(item, p, "an ALPN protocol name is 1 to 255 bytes, got \"" + *t + "\"");
        return;
      }
      list.push_back(*t);
    };
    if (v->IsSequence()) {
      for (std::size_t i = 0; i < v->size(); ++i) one((*v)[i], m.path("alpn") + "." + std::to_string(i));
    } else {
      one(*v, m.path("alpn"));
    }
    a.tls.alpn = std::move(list);
  }
  if (!a.tls.enabled && is_mtls(a.mode)) {
    r.error(*m.get("enabled"), m.path("enabled"),
            std::string(to_string(a.mode)) + " presents a client certificate, which needs TLS");
  }
}

void parse_metrics(Reader& r, const YAML::Node& n, SdkMetrics& mt) {
  MapView m(r, n, "auth.metrics", keys::kSdkMetrics);
  if (!m.ok()) return;
  if (auto v = m.get("format")) {
    if (auto i = read_enum(r, *v, m.path("format"), keys::kMetricsFormats)) {
      mt.format = static_cast<MetricsFormat>(*i);
    }
  }
  auto str = [&](std::string_view key, std::string& out) {
    if (auto v = m.get(key)) {
      if (auto t = read_string(r, *v, m.path(key))) out = *t;
    }
  };
  str("sdk_language", mt.sdk_language);
  str("sdk_version", mt.sdk_version);
  str("crt_version", mt.crt_version);
  str("platform", mt.platform);
  if (auto v = m.get("features")) {
    if (!v->IsSequence()) {
      r.error(*v, m.path("features"), "expected a list of feature codes like G/A, " + describe(*v));
    } else {
      for (std::size_t i = 0; i < v->size(); ++i) {
        if (auto t = read_string(r, (*v)[i], m.path("features") + "." + std::to_string(i))) {
          mt.features.push_back(*t);
        }
      }
    }
  }
}

void require(Reader& r, const MapView& m, std::string_view key, const std::string& why) {
  if (!m.has(key)) r.error(m.node(), m.path(key), "required by " + why);
}

}  // namespace

void parse_auth(Reader& r, const YAML::Node& n, Scenario& s, std::optional<UrlScheme> scheme) {
  MapView m(r, n, "auth", keys::kAuth);
  if (!m.ok()) return;
  Auth& a = s.auth;
  // A URL endpoint names the transport; without auth.mode it picks the mode too.
  if (scheme && !m.has("mode")) a.mode = implied_mode(*scheme);
  if (auto v = m.get("mode")) {
    if (auto i = read_enum(r, *v, m.path("mode"), keys::kAuthModes)) {
      a.mode = static_cast<AuthMode>(*i);
    }
#ifndef _WIN32
    if (a.mode == AuthMode::MtlsWithWindowsCertStorePath) {
      r.error(*v, m.path("mode"),
              "mtls_with_windows_cert_store_path reads the Windows certificate store, which "
              "exists only on Windows (the SDK offers it only there); export the certificate "
              "and key and use mtls_with_pkcs12 (a .pfx bundle) or mtls_from_path (PEM files)");
    }
#endif
  }
  // ws:// and mqtt:// turn TLS off where the mode allows it (not under a client certificate,
  // nor across WebSocket and not: parse_target then reports the mismatch); auth.tls.enabled
  // still has the last word.
  a.tls.enabled = a.mode != AuthMode::PlainTcp &&
                  !(scheme && !is_tls(*scheme) && !is_mtls(a.mode) && is_websocket(*scheme) == is_websocket(a.mode));
  // plain_tcp is no SDK builder: it adds no metrics suffix unless asked to.
  a.metrics.enabled = a.mode != AuthMode::PlainTcp;
  const std::string mode_name = to_string(a.mode);
  const Modes mode_bit = bit(a.mode);
  for (const auto& rule : kRules) {
    if (auto v = m.get(rule.key); v && (rule.modes & mode_bit) == 0) {
      r.error(*v, m.path(rule.key),
              "not an option of mode " + mode_name + " (used by: " + modes_text(rule.modes) + ")");
    }
  }

  if (auto v = m.get("username")) {
    a.username = read_template(r, *v, m.path("username"), kTopicVars);
  }
  if (auto v = m.get("password")) a.password = read_string(r, *v, m.path("password"));
  read_into(m, "enable_metrics_collection", a.metrics.enabled,
            [&](const YAML::Node& v, const std::string& p) { return read_bool(r, v, p); });
  if (auto v = m.get("metrics")) parse_metrics(r, *v, a.metrics);

  auto tpl = [&](std::string_view key, std::optional<std::string>& out) {
    if (auto v = m.get(key)) out = read_template(r, *v, m.path(key), kTopicVars);
  };
  auto str = [&](std::string_view key, std::optional<std::string>& out) {
    if (auto v = m.get(key)) out = read_string(r, *v, m.path(key));
  };
  tpl("cert_filepath", a.cert_filepath);
  tpl("pri_key_filepath", a.pri_key_filepath);
  tpl("pkcs12_filepath", a.pkcs12_filepath);
  tpl("auth_username", a.auth_username);
  str("ca_filepath", a.ca_filepath);
  str("ca_dirpath", a.ca_dirpath);
  str("pkcs11_lib", a.pkcs11_lib);
  str("user_pin", a.user_pin);
  str("token_label", a.token_label);
  str("private_key_label", a.private_key_label);
  str("pkcs12_password", a.pkcs12_password);
  str("cert_store_path", a.cert_store_path);
  str("region", a.region);
  str("auth_authorizer_name", a.auth_authorizer_name);
  str("auth_authorizer_signature", a.auth_authorizer_signature);
  str("auth_password", a.auth_password);
  str("auth_token_key_name", a.auth_token_key_name);
  if (auto v = m.get("auth_token_value")) {
    a.auth_token_value = read_secret_template(r, *v, m.path("auth_token_value"));
  }
  // PEM from inline text or ${ENV}; checked for shape only (the loader checks the rest).
  for (auto [key, out, secret] :
       {std::tuple{"cert_bytes", &a.cert_bytes, false}, std::tuple{"ca_bytes", &a.ca_bytes, false},
        std::tuple{"pri_key_bytes", &a.pri_key_bytes, true}}) {
    auto v = m.get(key);
    if (!v) continue;
    *out = read_string(r, *v, m.path(key));
    if (*out && !looks_like_pem(**out)) {
      r.error(*v, m.path(key),
              std::string("expected PEM text (-----BEGIN ...), inline or from ${ENV}") +
                  (secret ? " (the value is not shown: it is a secret)" : ""));
      out->reset();
    }
  }
  if (auto v = m.get("slot_id")) {
    a.slot_id = read_uint(r, *v, m.path("slot_id"), 0, 0xFFFFFFFFull);
  }
  if (auto v = m.get("credentials")) parse_credentials(r, *v, a.credentials);
  if (auto v = m.get("websocket")) parse_websocket(r, *v, a);
  if (auto v = m.get("tls")) parse_tls(r, *v, a);

  // Mode-specific requirements (the SDK builder's required parameters).
  const std::string by = "mode " + mode_name;
  switch (a.mode) {
    case AuthMode::MtlsFromPath:
      require(r, m, "cert_filepath", by + " (the device certificate PEM file)");
      require(r, m, "pri_key_filepath", by + " (the device private key PEM file)");
      break;
    case AuthMode::MtlsFromBytes:
      require(r, m, "cert_bytes", by + " (the device certificate as PEM text)");
      require(r, m, "pri_key_bytes", by + " (the device private key as PEM text)");
      break;
    case AuthMode::MtlsWithPkcs11:
      require(r, m, "pkcs11_lib", by + " (path of the PKCS#11 module .so)");
      if (m.has("cert_filepath") == m.has("cert_bytes")) {
        r.error(n, "auth.cert_filepath",
                by + " needs exactly one of cert_filepath or cert_bytes (the token holds the key)");
      }
      break;
    case AuthMode::MtlsWithPkcs12:
      require(r, m, "pkcs12_filepath", by + " (the .p12/.pfx bundle)");
      require(r, m, "pkcs12_password", by + " (the bundle's password)");
      break;
    case AuthMode::MtlsWithWindowsCertStorePath:
      require(r, m, "cert_store_path", by + " (e.g. CurrentUser\\MY\\<thumbprint>)");
      break;
    case AuthMode::WebsocketsWithDefaultAwsSigning:
      require(r, m, "region", by + " (the AWS region signed into the URL, e.g. us-east-1)");
      break;
    case AuthMode::DirectWithCustomAuthorizer:
    case AuthMode::WebsocketsWithCustomAuthorizer:
      if (m.has("auth_token_key_name") != m.has("auth_token_value")) {
        r.error(n, "auth.auth_token_key_name",
                "auth_token_key_name and auth_token_value go together (the token is sent as "
                "<key name>=<value>)");
      }
      break;
    case AuthMode::PlainTcp:
    case AuthMode::WebsocketsWithCustomHandshake:
    case AuthMode::NewDefaultBuilder:
      break;
  }
}

}  // namespace fleetload::scenario::detail
