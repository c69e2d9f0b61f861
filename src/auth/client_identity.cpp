// Run-time client identities and CSRs (see client_identity.hpp).
#include "auth/client_identity.hpp"

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "auth/openssl_ptr.hpp"

namespace fleetload::auth {
namespace {

using ossl::BioPtr;
using ossl::PkeyPtr;
using ossl::ReqPtr;
using ossl::X509Ptr;

BioPtr mem_bio(std::string_view text) {
  BioPtr b(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!b) throw CertError("cannot allocate a memory BIO");
  return b;
}

X509Ptr read_cert(std::string_view pem) {
  BioPtr b = mem_bio(pem);
  X509Ptr c(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
  if (!c) throw CertError("the issued certificate is not a PEM certificate");
  return c;
}

}  // namespace

ClientIdentity::ClientIdentity(std::string_view certificate_pem, std::string_view private_key_pem) {
  X509Ptr c = read_cert(certificate_pem);
  BioPtr b = mem_bio(private_key_pem);
  PkeyPtr k(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
  if (!k) throw CertError("the issued private key is not an unencrypted PEM key");
  if (X509_check_private_key(c.get(), k.get()) != 1) throw CertError("the issued private key does not match its certificate");
  cert_ = c.release();
  key_ = k.release();
}

ClientIdentity::ClientIdentity(std::string_view certificate_pem, EVP_PKEY* key) {
  X509Ptr c = read_cert(certificate_pem);
  if (key == nullptr || X509_check_private_key(c.get(), key) != 1)
    throw CertError("the certificate is not for our key");
  if (EVP_PKEY_up_ref(key) != 1) throw CertError("cannot share the key");
  cert_ = c.release();
  key_ = key;
}

ClientIdentity::~ClientIdentity() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

bool ClientIdentity::apply(SSL* ssl) const noexcept {
  // The certificate first: setting one whose key differs from the SSL_CTX's drops that key,
  // then ours goes in beside it.
  return SSL_use_certificate(ssl, cert_) == 1 && SSL_use_PrivateKey(ssl, key_) == 1 && SSL_check_private_key(ssl) == 1;
}

std::string ClientIdentity::common_name() const {
  char buf[256] = {};
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert_), NID_commonName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

KeyAndCsr make_key_and_csr(const std::string& common_name, CertKeyType type) {
  PkeyPtr key(type == CertKeyType::EcdsaP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048));
  if (!key) throw CertError("key generation failed");
  ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1 || X509_REQ_set_pubkey(req.get(), key.get()) != 1)
    throw CertError("cannot build the certificate signing request");
  if (!common_name.empty() &&
      X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1)
    throw CertError("the CSR's common name is refused");
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) throw CertError("cannot sign the CSR");
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509_REQ(out.get(), req.get()) != 1) throw CertError("cannot write the CSR");
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  KeyAndCsr r;
  r.csr_pem.assign(data, static_cast<std::size_t>(n));
  r.key = key.release();
  return r;
}

}  // namespace fleetload::auth
