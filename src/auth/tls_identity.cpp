// SSL_CTX for a device identity: trust store (aws doc §1), PEM files/bytes, PKCS#12.
#include "auth/tls_identity.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

namespace fleetload::auth {
namespace {

using F = TlsIdentityFailure;

// The reasons OpenSSL queued (error queue cleared), for messages.
std::string openssl_reason() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* r = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    out += r != nullptr ? r : "error " + std::to_string(ERR_GET_REASON(e));
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// `field`: the auth option at fault, for positions in the scenario (TlsIdentityError::field).
[[noreturn]] void fail(F f, const std::string& msg, const char* field = "") {
  ERR_clear_error();
  throw TlsIdentityError(f, msg, field);
}

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
struct PkeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

BioPtr mem_bio(const std::string& s) {
  return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

// A PEM key with a passphrase would make OpenSSL prompt on the terminal: refuse instead.
int no_passphrase(char*, int, int, void*) { return -1; }

// A missing or unreadable file is its own failure, whatever the file is for: the fault is
// in the file system, not in the certificate or key it should hold.
void require_readable(const std::string& path, const char* what) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) fail(F::FileMissing, std::string(what) + " \"" + path + "\": no such file", what);
  if (std::filesystem::is_directory(st))
    fail(F::FileUnreadable, std::string(what) + " \"" + path + "\": is a directory, not a file", what);
  std::ifstream in(path);
  if (!in) fail(F::FileUnreadable, std::string(what) + " \"" + path + "\": cannot be read (permissions?)", what);
}

void load_trust(SSL_CTX* ctx, const TlsIdentitySpec& spec) {
  if (spec.ca_bytes) {
    BioPtr bio = mem_bio(*spec.ca_bytes);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int count = 0;
    while (X509Ptr x{PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)}) {
      if (X509_STORE_add_cert(store, x.get()) != 1) fail(F::BadCa, "ca_bytes: " + openssl_reason(), "ca_bytes");
      ++count;
    }
    ERR_clear_error();  // the loop ends on "no start line"
    if (count == 0) fail(F::BadCa, "ca_bytes: holds no PEM certificate", "ca_bytes");
    return;
  }
  if (spec.ca_filepath || spec.ca_dirpath) {
    if (spec.ca_filepath) require_readable(*spec.ca_filepath, "ca_filepath");
    if (spec.ca_dirpath) {
      std::error_code ec;
      if (!std::filesystem::is_directory(*spec.ca_dirpath, ec)) {
        fail(F::FileMissing, "ca_dirpath \"" + *spec.ca_dirpath + "\": no such directory", "ca_dirpath");
      }
    }
    const char* file = spec.ca_filepath ? spec.ca_filepath->c_str() : nullptr;
    const char* dir = spec.ca_dirpath ? spec.ca_dirpath->c_str() : nullptr;
    if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) {
      fail(F::BadCa, std::string(file ? "ca_filepath \"" : "ca_dirpath \"") + (file ? file : dir) +
                         "\": no usable PEM CA certificate (" + openssl_reason() + ")",
           file ? "ca_filepath" : "ca_dirpath");
    }
    return;
  }
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    fail(F::BadCa, "system CA store: " + openssl_reason());
  }
}

void use_pem_files(SSL_CTX* ctx, const TlsIdentitySpec& spec) {
  require_readable(spec.cert_filepath, "cert_filepath");
  require_readable(spec.pri_key_filepath, "pri_key_filepath");
  if (SSL_CTX_use_certificate_chain_file(ctx, spec.cert_filepath.c_str()) != 1) {
    fail(F::BadCertificate, "cert_filepath \"" + spec.cert_filepath +
                                "\": not a PEM certificate (" + openssl_reason() + ")", "cert_filepath");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, spec.pri_key_filepath.c_str(), SSL_FILETYPE_PEM) != 1) {
    const std::string why = openssl_reason();
    if (why.find("values mismatch") != std::string::npos || why.find("key values") != std::string::npos) {
      fail(F::WrongKey, "pri_key_filepath \"" + spec.pri_key_filepath +
                            "\" does not match the certificate in \"" + spec.cert_filepath + "\"", "pri_key_filepath");
    }
    fail(F::BadKey, "pri_key_filepath \"" + spec.pri_key_filepath +
                        "\": not a usable unencrypted PEM private key (" + why + ")", "pri_key_filepath");
  }
}

void use_pem_bytes(SSL_CTX* ctx, const TlsIdentitySpec& spec) {
  BioPtr cb = mem_bio(spec.cert_bytes);
  X509Ptr leaf{PEM_read_bio_X509(cb.get(), nullptr, no_passphrase, nullptr)};
  if (!leaf) fail(F::BadCertificate, "cert_bytes: not a PEM certificate (" + openssl_reason() + ")", "cert_bytes");
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    fail(F::BadCertificate, "cert_bytes: " + openssl_reason(), "cert_bytes");
  }
  while (X509* chain = PEM_read_bio_X509(cb.get(), nullptr, no_passphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, chain) != 1) {  // takes ownership on success
      X509_free(chain);
      fail(F::BadCertificate, "cert_bytes: chain certificate refused (" + openssl_reason() + ")", "cert_bytes");
    }
  }
  ERR_clear_error();
  BioPtr kb = mem_bio(spec.pri_key_bytes);
  PkeyPtr key{PEM_read_bio_PrivateKey(kb.get(), nullptr, no_passphrase, nullptr)};
  // The OpenSSL reason is left out: parse errors never echo key material, but keep it simple.
  if (!key) fail(F::BadKey, "pri_key_bytes: not a usable unencrypted PEM private key", "pri_key_bytes");
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    fail(F::WrongKey, "pri_key_bytes does not match the certificate in cert_bytes", "pri_key_bytes");
  }
}

void use_pkcs12(SSL_CTX* ctx, const TlsIdentitySpec& spec) {
  require_readable(spec.pkcs12_filepath, "pkcs12_filepath");
  BioPtr bio{BIO_new_file(spec.pkcs12_filepath.c_str(), "rb")};
  PKCS12* raw = bio ? d2i_PKCS12_bio(bio.get(), nullptr) : nullptr;
  if (raw == nullptr) {
    fail(F::BadPkcs12, "pkcs12_filepath \"" + spec.pkcs12_filepath +
                           "\": not a PKCS#12 (DER) bundle (" + openssl_reason() + ")", "pkcs12_filepath");
  }
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(raw, &PKCS12_free);
  const std::string& pass = spec.pkcs12_password;
  if (PKCS12_mac_present(p12.get()) == 1 &&
      PKCS12_verify_mac(p12.get(), pass.c_str(), static_cast<int>(pass.size())) != 1) {
    fail(F::WrongPassword, "pkcs12_filepath \"" + spec.pkcs12_filepath +
                               "\": wrong pkcs12_password (MAC check failed)", "pkcs12_password");
  }
  EVP_PKEY* pkey = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), pass.c_str(), &pkey, &cert, &ca) != 1) {
    fail(F::BadPkcs12, "pkcs12_filepath \"" + spec.pkcs12_filepath +
                           "\": cannot be decrypted (" + openssl_reason() +
                           "; legacy RC2/3DES bundles need OpenSSL's legacy provider)", "pkcs12_filepath");
  }
  PkeyPtr key(pkey);
  X509Ptr leaf(cert);
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> chain(
      ca, [](STACK_OF(X509)* s) { sk_X509_pop_free(s, X509_free); });
  if (!leaf || !key) {
    fail(F::BadPkcs12, "pkcs12_filepath \"" + spec.pkcs12_filepath +
                           "\": needs both a certificate and its private key", "pkcs12_filepath");
  }
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) fail(F::BadCertificate, openssl_reason(), "pkcs12_filepath");
  for (int i = 0; chain && i < sk_X509_num(chain.get()); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain.get(), i)) != 1) {
      fail(F::BadCertificate, "pkcs12 chain: " + openssl_reason(), "pkcs12_filepath");
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    fail(F::WrongKey, "pkcs12_filepath \"" + spec.pkcs12_filepath +
                          "\": its key does not match its certificate", "pkcs12_filepath");
  }
}

// The certificate half of a PKCS#11 identity (the key stays on the token).
void use_pkcs11_certificate(SSL_CTX* ctx, const TlsIdentitySpec& spec) {
  if (!spec.cert_bytes.empty()) {
    BioPtr cb = mem_bio(spec.cert_bytes);
    X509Ptr leaf{PEM_read_bio_X509(cb.get(), nullptr, no_passphrase, nullptr)};
    if (!leaf || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
      fail(F::BadCertificate, "cert_bytes: not a PEM certificate (" + openssl_reason() + ")", "cert_bytes");
    }
  } else {
    require_readable(spec.cert_filepath, "cert_filepath");
    if (SSL_CTX_use_certificate_chain_file(ctx, spec.cert_filepath.c_str()) != 1) {
      fail(F::BadCertificate, "cert_filepath \"" + spec.cert_filepath +
                                  "\": not a PEM certificate (" + openssl_reason() + ")", "cert_filepath");
    }
  }
}

void use_pkcs11(SSL_CTX* ctx, const TlsIdentitySpec& spec) {
  use_pkcs11_certificate(ctx, spec);
  PkeyPtr key(load_pkcs11_key(spec));
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    fail(F::WrongKey, "PKCS#11 key \"" + pkcs11_key_id(spec) +
                          "\" does not match the certificate (" + openssl_reason() + ")", "private_key_label");
  }
}

}  // namespace

const char* to_string(TlsIdentityFailure f) noexcept {
  switch (f) {
    case F::FileMissing: return "file_missing";
    case F::FileUnreadable: return "file_unreadable";
    case F::BadCa: return "bad_ca";
    case F::BadCertificate: return "bad_certificate";
    case F::BadKey: return "bad_key";
    case F::WrongKey: return "wrong_key";
    case F::WrongPassword: return "wrong_password";
    case F::BadPkcs12: return "bad_pkcs12";
    case F::WrongPin: return "wrong_pin";
    case F::Pkcs11Module: return "pkcs11_module";
    case F::Pkcs11: return "pkcs11";
    case F::OpenSsl: return "openssl";
  }
  return "?";
}

void check_identity(const TlsIdentitySpec& spec) {
  if (spec.kind != TlsIdentitySpec::Kind::Pkcs11) {
    (void)make_client_context(spec);
    return;
  }
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), SslCtxFree{});
  if (!ctx) fail(F::OpenSsl, "SSL_CTX_new: " + openssl_reason());
  load_trust(ctx.get(), spec);
  use_pkcs11_certificate(ctx.get(), spec);
  check_pkcs11_module(spec.pkcs11_lib);
}

SslCtxPtr make_client_context(const TlsIdentitySpec& spec) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), SslCtxFree{});
  if (!ctx) fail(F::OpenSsl, "SSL_CTX_new: " + openssl_reason());
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Idle connections give their read/write buffers back: memory per device stays small.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_verify(ctx.get(), spec.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (spec.session_resumption) {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT);
  } else {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  }
  load_trust(ctx.get(), spec);
  switch (spec.kind) {
    case TlsIdentitySpec::Kind::None: break;
    case TlsIdentitySpec::Kind::PemFiles: use_pem_files(ctx.get(), spec); break;
    case TlsIdentitySpec::Kind::PemBytes: use_pem_bytes(ctx.get(), spec); break;
    case TlsIdentitySpec::Kind::Pkcs12: use_pkcs12(ctx.get(), spec); break;
    case TlsIdentitySpec::Kind::Pkcs11: use_pkcs11(ctx.get(), spec); break;
  }
  if (spec.kind != TlsIdentitySpec::Kind::None && SSL_CTX_check_private_key(ctx.get()) != 1) {
    fail(F::WrongKey, "the private key does not match the certificate");
  }
  return ctx;
}

bool apply_presentation(SSL* ssl, const DevicePresentation& d, bool verify_peer) {
  if (!d.sni.empty() && SSL_set_tlsext_host_name(ssl, d.sni.c_str()) != 1) return false;
  if (verify_peer) {
    // The certificate must name the host we connect to (or the SNI override).
    const std::string& name = d.sni.empty() ? d.host : d.sni;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
      ERR_clear_error();
      if (SSL_set1_host(ssl, name.c_str()) != 1) return false;
    }
  }
  if (!d.alpn.empty()) {
    const std::string wire = encode_alpn(d.alpn);
    // Unlike most OpenSSL calls, 0 means success here.
    if (SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size())) != 0) {
      return false;
    }
  }
  return true;
}

SslCtxPtr TlsContextCache::get(const TlsIdentitySpec& spec) {
  const std::string key = spec.key();
  {
    std::lock_guard lock(mutex_);
    if (auto it = contexts_.find(key); it != contexts_.end()) return it->second;
  }
  // Built outside the lock: PKCS#11 and file reads may be slow. A race builds two; one wins.
  SslCtxPtr ctx = make_client_context(spec);
  std::lock_guard lock(mutex_);
  return contexts_.emplace(key, std::move(ctx)).first->second;
}

std::size_t TlsContextCache::size() const {
  std::lock_guard lock(mutex_);
  return contexts_.size();
}

}  // namespace fleetload::auth
