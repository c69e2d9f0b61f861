// Fleet PKI generation with OpenSSL: CA, server and per-device certificates, in parallel.
#include "auth/certgen.hpp"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace fleetload::auth {
namespace {

namespace fs = std::filesystem;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

[[noreturn]] void fail(const std::string& what) {
  std::string why;
  while (unsigned long e = ERR_get_error()) {
    const char* r = ERR_reason_error_string(e);
    why += std::string(why.empty() ? "" : "; ") + (r ? r : "?");
  }
  throw CertError(what + (why.empty() ? "" : " (" + why + ")"));
}

PkeyPtr new_key(CertKeyType t) {
  EVP_PKEY* k = t == CertKeyType::EcdsaP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  if (k == nullptr) fail("key generation failed");
  return PkeyPtr(k);
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) fail("bad certificate extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A signed certificate. `issuer` null = self-signed (the CA).
X509Ptr make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                  unsigned days, const std::vector<std::pair<int, std::string>>& exts) {
  X509Ptr c(X509_new());
  if (!c) fail("X509_new");
  X509_set_version(c.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("RAND_bytes");
  serial[0] &= 0x7F;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);  // tolerate small clock skew
  X509_gmtime_adj(X509_getm_notAfter(c.get()), static_cast<long>(days) * 86400L);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("fleetload"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : c.get();
  X509_set_issuer_name(c.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : exts) add_ext(c.get(), signer, nid, value);
  if (X509_sign(c.get(), issuer_key, EVP_sha256()) == 0) fail("signing the certificate for " + cn);
  return c;
}

void write_file(const fs::path& path, bool secret, const auto& writer) {
  // Keys are created 0600 from the start: no window where others could read them.
  const mode_t old = secret ? ::umask(077) : 0;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (secret) ::umask(old);
  if (f == nullptr) throw CertError("cannot write " + path.string());
  const bool ok = writer(f);
  if (std::fclose(f) != 0 || !ok) fail("writing " + path.string());
}

void write_cert(const fs::path& p, X509* c) {
  write_file(p, false, [&](FILE* f) { return PEM_write_X509(f, c) == 1; });
}
void write_key(const fs::path& p, EVP_PKEY* k) {
  write_file(p, true, [&](FILE* f) {
    return PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
}

std::string key_usage(CertKeyType t) {
  return t == CertKeyType::Rsa2048 ? "critical,digitalSignature,keyEncipherment"
                                   : "critical,digitalSignature";
}

std::string with_index(std::string tpl, std::uint64_t index) {
  const std::string ph = "{index}";
  for (auto pos = tpl.find(ph); pos != std::string::npos; pos = tpl.find(ph, pos)) {
    tpl.replace(pos, ph.size(), std::to_string(index));
  }
  return tpl;
}

}  // namespace

fs::path device_cert_path(const fs::path& dir, std::uint64_t index) {
  return dir / ("device-" + std::to_string(index) + ".crt");
}
fs::path device_key_path(const fs::path& dir, std::uint64_t index) {
  return dir / ("device-" + std::to_string(index) + ".key");
}
fs::path device_p12_path(const fs::path& dir, std::uint64_t index) {
  return dir / ("device-" + std::to_string(index) + ".p12");
}

CertResult generate_fleet_certs(const CertOptions& o) {
  if (o.pkcs12 && o.pkcs12_password.empty()) {
    throw CertError("PKCS#12 bundles need a password (it protects each device key)");
  }
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw CertError("cannot create " + o.out_dir.string() + ": " + ec.message());
  CertResult r;
  r.ca_cert = o.out_dir / "ca.crt";
  r.ca_key = o.out_dir / "ca.key";
  r.server_cert = o.out_dir / "server.crt";
  r.server_key = o.out_dir / "server.key";

  PkeyPtr ca_key;
  X509Ptr ca;
  if (o.reuse_ca && fs::exists(r.ca_cert) && fs::exists(r.ca_key)) {
    FILE* f = std::fopen(r.ca_cert.c_str(), "rb");
    if (f != nullptr) {
      ca.reset(PEM_read_X509(f, nullptr, nullptr, nullptr));
      std::fclose(f);
    }
    f = std::fopen(r.ca_key.c_str(), "rb");
    if (f != nullptr) {
      ca_key.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
      std::fclose(f);
    }
    if (!ca || !ca_key || X509_check_private_key(ca.get(), ca_key.get()) != 1) {
      fail("existing " + r.ca_cert.string() + " / ca.key are unreadable or do not match");
    }
  } else {
    ca_key = new_key(o.key_type);
    ca = make_cert(ca_key.get(), o.ca_common_name, nullptr, ca_key.get(), o.days + 365,
                   {{NID_basic_constraints, "critical,CA:TRUE"},
                    {NID_key_usage, "critical,keyCertSign,cRLSign"},
                    {NID_subject_key_identifier, "hash"}});
    write_cert(r.ca_cert, ca.get());
    write_key(r.ca_key, ca_key.get());
  }

  std::string san;
  for (const auto& d : o.server_dns) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : o.server_ips) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  PkeyPtr server_key = new_key(o.key_type);
  X509Ptr server = make_cert(server_key.get(), o.server_dns.empty() ? "localhost" : o.server_dns[0],
                             ca.get(), ca_key.get(), o.days,
                             {{NID_basic_constraints, "critical,CA:FALSE"},
                              {NID_key_usage, key_usage(o.key_type)},
                              {NID_ext_key_usage, "serverAuth"},
                              {NID_subject_alt_name, san},
                              {NID_authority_key_identifier, "keyid"}});
  write_cert(r.server_cert, server.get());
  write_key(r.server_key, server_key.get());

  const auto start = std::chrono::steady_clock::now();
  const unsigned threads =
      std::max(1u, o.threads != 0 ? o.threads : std::thread::hardware_concurrency());
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::string first_error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (std::uint64_t i = next++; i < o.devices && !failed; i = next++) {
        const std::uint64_t index = o.first_index + i;
        PkeyPtr key = new_key(o.key_type);
        X509Ptr cert = make_cert(key.get(), with_index(o.device_common_name, index), ca.get(),
                                 ca_key.get(), o.days,
                                 {{NID_basic_constraints, "critical,CA:FALSE"},
                                  {NID_key_usage, key_usage(o.key_type)},
                                  {NID_ext_key_usage, "clientAuth"},
                                  {NID_authority_key_identifier, "keyid"}});
        write_cert(device_cert_path(o.out_dir, index), cert.get());
        write_key(device_key_path(o.out_dir, index), key.get());
        if (o.pkcs12) {
          STACK_OF(X509)* chain = sk_X509_new_null();
          sk_X509_push(chain, ca.get());
          const std::string name = "device-" + std::to_string(index);
          // OpenSSL 3 defaults: AES-256-CBC + PBKDF2, SHA-256 MAC.
          PKCS12* p12 = PKCS12_create(o.pkcs12_password.c_str(), name.c_str(), key.get(),
                                      cert.get(), chain, 0, 0, 0, 0, 0);
          sk_X509_free(chain);  // does not free ca: the stack only borrowed it
          if (p12 == nullptr) fail("PKCS12_create for " + name);
          write_file(device_p12_path(o.out_dir, index), true,
                     [&](FILE* f) { return i2d_PKCS12_fp(f, p12) == 1; });
          PKCS12_free(p12);
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(error_mutex);
      if (!failed.exchange(true)) first_error = e.what();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failed) throw CertError(first_error);
  r.devices = o.devices;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace fleetload::auth
