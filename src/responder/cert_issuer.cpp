// Issuing device certificates from the responder's CA with OpenSSL (see cert_issuer.hpp).
#include "responder/cert_issuer.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <array>

#include "auth/openssl_ptr.hpp"

namespace fleetload::responder {
namespace {

using auth::ossl::BioPtr;
using auth::ossl::ExtPtr;
using auth::ossl::PkeyPtr;
using auth::ossl::ReqPtr;
using auth::ossl::X509Ptr;

[[noreturn]] void fail(const std::string& what) {
  ERR_clear_error();  // OpenSSL's queue may name key material details; say only what failed
  throw auth::CertError(what);
}

std::string bio_text(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of(X509* c) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_X509(b.get(), c) != 1) fail("cannot encode the certificate");
  return bio_text(b.get());
}

std::string key_pem_of(EVP_PKEY* k) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("cannot encode the private key");
  }
  return bio_text(b.get());
}

// AWS IoT certificate ids are the SHA-256 fingerprint of the certificate, in hex.
std::string fingerprint(X509* c) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(c, EVP_sha256(), md, &n) != 1) fail("cannot hash the certificate");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 15];
  }
  return s;
}

template <class T, T* (*Read)(BIO*, T**, pem_password_cb*, void*)>
T* read_pem(const std::filesystem::path& p) {
  BioPtr bio(BIO_new_file(p.c_str(), "rb"));
  return bio ? Read(bio.get(), nullptr, nullptr, nullptr) : nullptr;
}

}  // namespace

struct CertIssuer::Impl {
  X509Ptr ca;
  PkeyPtr ca_key;
  auth::CertKeyType key_type;
  unsigned days;

  // The device profile of auth/certgen.cpp: CA:FALSE, digitalSignature (+keyEncipherment for
  // RSA), clientAuth, the CA's key id; a random positive 128-bit serial; an hour of skew.
  X509Ptr sign(EVP_PKEY* pub, X509_NAME* subject) {
    X509Ptr c(X509_new());
    if (!c) fail("X509_new");
    X509_set_version(c.get(), 2);
    std::array<unsigned char, 16> serial{};
    if (RAND_bytes(serial.data(), serial.size()) != 1) fail("RAND_bytes");
    serial[0] &= 0x7F;
    BIGNUM* bn = BN_bin2bn(serial.data(), serial.size(), nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c.get()), static_cast<long>(days) * 86400L);
    if (X509_set_pubkey(c.get(), pub) != 1 || X509_set_subject_name(c.get(), subject) != 1 ||
        X509_set_issuer_name(c.get(), X509_get_subject_name(ca.get())) != 1)
      fail("cannot build the certificate");
    const bool rsa = EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA;
    const std::pair<int, const char*> exts[] = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"},
        {NID_ext_key_usage, "clientAuth"},
        {NID_authority_key_identifier, "keyid"},
    };
    for (const auto& [nid, value] : exts) {
      X509V3_CTX ctx;
      X509V3_set_ctx_nodb(&ctx);
      X509V3_set_ctx(&ctx, ca.get(), c.get(), nullptr, nullptr, 0);
      ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
      if (!ext || X509_add_ext(c.get(), ext.get(), -1) != 1) fail(std::string("bad certificate extension ") + value);
    }
    if (X509_sign(c.get(), ca_key.get(), EVP_sha256()) == 0) fail("cannot sign the certificate");
    return c;
  }
};

CertIssuer::CertIssuer(const std::filesystem::path& ca_cert, const std::filesystem::path& ca_key,
                       auth::CertKeyType key_type, unsigned days)
    : impl_(std::make_unique<Impl>()) {
  impl_->ca.reset(read_pem<X509, PEM_read_bio_X509>(ca_cert));
  if (!impl_->ca) fail("cannot read the CA certificate " + ca_cert.string() + " (PEM expected)");
  impl_->ca_key.reset(read_pem<EVP_PKEY, PEM_read_bio_PrivateKey>(ca_key));
  if (!impl_->ca_key) fail("cannot read the CA key " + ca_key.string() + " (unencrypted PEM expected)");
  if (X509_check_private_key(impl_->ca.get(), impl_->ca_key.get()) != 1) {
    fail("the CA key " + ca_key.string() + " does not match the CA certificate " + ca_cert.string());
  }
  impl_->key_type = key_type;
  impl_->days = days;
}

CertIssuer::~CertIssuer() = default;

IssuedCertificate CertIssuer::issue_with_key(const std::string& common_name) {
  EVP_PKEY* raw = impl_->key_type == auth::CertKeyType::EcdsaP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  PkeyPtr key(raw);
  if (!key) fail("key generation failed");
  std::unique_ptr<X509_NAME, auth::ossl::Deleter<X509_NAME, X509_NAME_free>> name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("fleetload"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509Ptr c = impl_->sign(key.get(), name.get());
  return IssuedCertificate{fingerprint(c.get()), pem_of(c.get()), key_pem_of(key.get())};
}

IssuedCertificate CertIssuer::issue_for_csr(std::string_view csr_pem) {
  BioPtr bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!req) fail("not a PEM certificate signing request");
  PkeyPtr pub(X509_REQ_get_pubkey(req.get()));
  if (!pub) fail("the CSR has no usable public key");
  if (X509_REQ_verify(req.get(), pub.get()) != 1) fail("the CSR signature does not verify");
  X509Ptr c = impl_->sign(pub.get(), X509_REQ_get_subject_name(req.get()));
  return IssuedCertificate{fingerprint(c.get()), pem_of(c.get()), {}};
}

}  // namespace fleetload::responder
