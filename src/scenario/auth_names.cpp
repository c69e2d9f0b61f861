// Names and per-mode facts of the auth section: YAML names, WebSocket/mTLS, default ports.
#include "scenario/scenario.hpp"

namespace fleetload::scenario {

const char* to_string(AuthMode m) noexcept {
  switch (m) {
    case AuthMode::PlainTcp: return "plain_tcp";
    case AuthMode::MtlsFromPath: return "mtls_from_path";
    case AuthMode::MtlsFromBytes: return "mtls_from_bytes";
    case AuthMode::MtlsWithPkcs11: return "mtls_with_pkcs11";
    case AuthMode::MtlsWithPkcs12: return "mtls_with_pkcs12";
    case AuthMode::MtlsWithWindowsCertStorePath: return "mtls_with_windows_cert_store_path";
    case AuthMode::WebsocketsWithDefaultAwsSigning: return "websockets_with_default_aws_signing";
    case AuthMode::WebsocketsWithCustomHandshake: return "websockets_with_custom_handshake";
    case AuthMode::DirectWithCustomAuthorizer: return "direct_with_custom_authorizer";
    case AuthMode::WebsocketsWithCustomAuthorizer: return "websockets_with_custom_authorizer";
    case AuthMode::NewDefaultBuilder: return "new_default_builder";
  }
  return "?";
}

const char* to_string(MetricsFormat f) noexcept {
  switch (f) {
    case MetricsFormat::Current: return "current";
    case MetricsFormat::Legacy: return "legacy";
    case MetricsFormat::Off: return "off";
  }
  return "?";
}

const char* to_string(CredentialsSource c) noexcept {
  switch (c) {
    case CredentialsSource::DefaultChain: return "default";
    case CredentialsSource::Static: return "static";
    case CredentialsSource::Environment: return "environment";
    case CredentialsSource::Profile: return "profile";
    case CredentialsSource::Process: return "process";
  }
  return "?";
}

bool is_websocket(AuthMode m) noexcept {
  return m == AuthMode::WebsocketsWithDefaultAwsSigning ||
         m == AuthMode::WebsocketsWithCustomHandshake ||
         m == AuthMode::WebsocketsWithCustomAuthorizer;
}

bool is_mtls(AuthMode m) noexcept {
  return m == AuthMode::MtlsFromPath || m == AuthMode::MtlsFromBytes ||
         m == AuthMode::MtlsWithPkcs11 || m == AuthMode::MtlsWithPkcs12 ||
         m == AuthMode::MtlsWithWindowsCertStorePath;
}

std::uint16_t default_port(AuthMode m) noexcept {
  if (m == AuthMode::PlainTcp) return 1883;
  if (is_websocket(m) || m == AuthMode::DirectWithCustomAuthorizer) return 443;
  return 8883;
}

}  // namespace fleetload::scenario
