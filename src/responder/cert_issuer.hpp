// The responder's certificate authority for Fleet Provisioning: loads a CA certificate and key
// (for instance the ones `fleetload certs` writes, auth/certgen.hpp) and issues device client
// certificates with the same profile as that command's device certificates, either with a
// fresh key (CreateKeysAndCertificate) or for the public key of a CSR (CreateCertificateFromCsr).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auth/certgen.hpp"

namespace fleetload::responder {

struct IssuedCertificate {
  std::string certificate_id;   // lowercase hex SHA-256 of the certificate's DER, as AWS IoT's ids
  std::string certificate_pem;
  std::string private_key_pem;  // empty for a CSR; a secret otherwise
};

class CertIssuer {
 public:
  // Throws auth::CertError naming the file when a file is unreadable or the key does not
  // match the certificate.
  CertIssuer(const std::filesystem::path& ca_cert, const std::filesystem::path& ca_key,
             auth::CertKeyType key_type = auth::CertKeyType::EcdsaP256, unsigned days = 365);
  ~CertIssuer();
  CertIssuer(const CertIssuer&) = delete;
  CertIssuer& operator=(const CertIssuer&) = delete;

  // A new key and a certificate for it (subject CN `common_name`). Throws auth::CertError.
  IssuedCertificate issue_with_key(const std::string& common_name);
  // A certificate for the CSR's public key, after checking the CSR's own signature; the CSR's
  // subject is kept. Throws auth::CertError with a reason a device may see ("not a PEM CSR",
  // "the CSR signature does not verify").
  IssuedCertificate issue_for_csr(std::string_view csr_pem);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetload::responder
