// A client certificate and key obtained at run time (Fleet Provisioning by claim), presented
// on one device's connections instead of its SSL_CTX's identity: SSL_use_certificate and
// SSL_use_PrivateKey on the SSL before the handshake, so the devices that have one need no
// SSL_CTX of their own and those that do not pay nothing.
//
// And the local half of CreateCertificateFromCsr: a fresh key and a PKCS#10 request for it.
// Private keys live only in the EVP_PKEY (and, while parsing, a buffer wiped after use):
// never in a log, a report or an error text.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

#include "auth/certgen.hpp"

namespace fleetload::auth {

class ClientIdentity {
 public:
  // Parses both PEMs and checks that the key matches the certificate. Throws CertError
  // (naming what was wrong, never the key).
  ClientIdentity(std::string_view certificate_pem, std::string_view private_key_pem);
  // For a CSR's certificate: the key made locally (make_key_and_csr), shared (its reference
  // count taken) only when the certificate is for it; CertError otherwise, `key` untouched.
  ClientIdentity(std::string_view certificate_pem, EVP_PKEY* key);
  ~ClientIdentity();
  ClientIdentity(const ClientIdentity&) = delete;
  ClientIdentity& operator=(const ClientIdentity&) = delete;

  // Presents this identity on `ssl` (before its handshake). false: OpenSSL refused.
  bool apply(SSL* ssl) const noexcept;
  // The certificate's subject CN (for messages and tests).
  std::string common_name() const;

 private:
  X509* cert_ = nullptr;
  EVP_PKEY* key_ = nullptr;
};

// A fresh key (EC P-256 or RSA-2048) and a PEM CSR for it with subject CN `common_name`,
// signed with the key (SHA-256). The caller owns `key` (EVP_PKEY_free, or hand it to a
// ClientIdentity). Throws CertError.
struct KeyAndCsr {
  EVP_PKEY* key = nullptr;
  std::string csr_pem;
};
KeyAndCsr make_key_and_csr(const std::string& common_name, CertKeyType type);

}  // namespace fleetload::auth
