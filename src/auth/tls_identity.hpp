// Loading a device TLS identity and trust store into an OpenSSL SSL_CTX: PEM files or bytes,
// PKCS#12 + password, PKCS#11 through the OpenSSL "pkcs11" engine (libp11).
#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <openssl/ssl.h>

#include "auth/presentation.hpp"

namespace fleetload::auth {

// Why an identity could not be loaded: the run counts failures by these names. Every one
// is a local fault (our files, token or settings), never the broker's.
enum class TlsIdentityFailure : std::uint8_t {
  FileMissing,      // a file the auth section names does not exist (CA, certificate, key, bundle, module)
  FileUnreadable,   // it exists but cannot be read (permissions, a directory)
  BadCa,            // CA file/dir/bytes hold no usable certificate
  BadCertificate,   // certificate not PEM, or refused
  BadKey,           // private key not a usable unencrypted PEM key
  WrongKey,         // private key does not match the certificate
  WrongPassword,    // PKCS#12 password wrong
  BadPkcs12,        // PKCS#12 file malformed or not decryptable
  WrongPin,         // PKCS#11 login failed
  Pkcs11Module,     // the PKCS#11 module (or OpenSSL's pkcs11 engine) cannot be loaded
  Pkcs11,           // PKCS#11 token/slot/key not found
  OpenSsl,          // anything else OpenSSL refused
};
inline constexpr std::size_t kTlsIdentityFailureCount = 12;
const char* to_string(TlsIdentityFailure f) noexcept;

// what() names the file/option and the reason; never a key, PIN or password. field() is
// the auth option at fault ("cert_filepath", "ca_filepath", "pkcs11_lib", ...; empty when
// none in particular), so a check can point at its position in the scenario.
class TlsIdentityError : public std::runtime_error {
 public:
  TlsIdentityError(TlsIdentityFailure f, const std::string& msg, std::string field = {})
      : std::runtime_error(msg), failure_(f), field_(std::move(field)) {}
  TlsIdentityFailure failure() const noexcept { return failure_; }
  const std::string& field() const noexcept { return field_; }

 private:
  TlsIdentityFailure failure_;
  std::string field_;
};

struct SslCtxFree {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
using SslCtxPtr = std::shared_ptr<SSL_CTX>;

// A client SSL_CTX for `spec`: TLS 1.2 minimum, peer verification unless disabled,
// SSL_MODE_RELEASE_BUFFERS, client session cache when resumption is on (the caller keeps
// SSL_get1_session and calls SSL_set_session on reconnect). Throws TlsIdentityError.
SslCtxPtr make_client_context(const TlsIdentitySpec& spec);

// What `validate` and `run` check before starting: everything make_client_context loads
// (trust store, certificate, key and their match, PKCS#12 opened with its password), except
// that for PKCS#11 only the certificate and the module are loaded: no login, so a wrong PIN
// is not tried against the token (tokens lock after a few). Throws TlsIdentityError.
void check_identity(const TlsIdentitySpec& spec);
// Loads the PKCS#11 module through the pkcs11 engine (kept loaded, as the run would).
// Throws TlsIdentityError (FileMissing, Pkcs11Module).
void check_pkcs11_module(const std::string& module);

// Per-connection settings of `d` on a new SSL: SNI, host name check, ALPN.
// Returns false (OpenSSL error) when a setting is refused.
bool apply_presentation(SSL* ssl, const DevicePresentation& d, bool verify_peer);

// One SSL_CTX per distinct identity (TlsIdentitySpec::key()), shared by its devices.
// Thread-safe. Failures are not cached: a fixed file is picked up on the next attempt.
class TlsContextCache {
 public:
  SslCtxPtr get(const TlsIdentitySpec& spec);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, SslCtxPtr> contexts_;
};

// Loads the PKCS#11 private key that `spec` names (module, PIN, token/slot, key label)
// through the "pkcs11" engine. Internal to make_client_context; exposed for tests.
EVP_PKEY* load_pkcs11_key(const TlsIdentitySpec& spec);
// The pkcs11: URI (RFC 7512) or libp11 slot form for `spec`; holds no PIN.
std::string pkcs11_key_id(const TlsIdentitySpec& spec);

}  // namespace fleetload::auth
