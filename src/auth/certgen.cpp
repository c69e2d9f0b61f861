// Fleet PKI generation with OpenSSL: CA, server and per-device certificates, in parallel.
//
// Speed (100,000 devices): each thread keeps its own key-generation context (no provider
// fetch per key), the device extensions are built once and copied, and each file is one
// open() + write() from a memory buffer.
#include "auth/certgen.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "auth/openssl_ptr.hpp"
#include "scenario/template.hpp"

namespace fleetload::auth {
namespace {

namespace fs = std::filesystem;
using scenario::Placeholder;

using ossl::BioPtr;
using ossl::ExtPtr;
using ossl::P12Ptr;
using ossl::PkeyCtxPtr;
using ossl::PkeyPtr;
using ossl::X509Ptr;

[[noreturn]] void fail(const std::string& what) {
  std::string why;
  while (unsigned long e = ERR_get_error()) {
    const char* r = ERR_reason_error_string(e);
    why += std::string(why.empty() ? "" : "; ") + (r ? r : "?");
  }
  throw CertError(what + (why.empty() ? "" : " (" + why + ")"));
}

// One key-generation context per thread, reused for every key it makes.
class KeyGen {
 public:
  explicit KeyGen(CertKeyType t) {
    ctx_.reset(EVP_PKEY_CTX_new_from_name(nullptr, t == CertKeyType::EcdsaP256 ? "EC" : "RSA", nullptr));
    if (!ctx_ || EVP_PKEY_keygen_init(ctx_.get()) != 1) fail("key generation setup failed");
    const int ok = t == CertKeyType::EcdsaP256 ? EVP_PKEY_CTX_set_group_name(ctx_.get(), "P-256")
                                               : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx_.get(), 2048);
    if (ok != 1) fail("key generation setup failed");
  }
  PkeyPtr make() {
    EVP_PKEY* k = nullptr;
    if (EVP_PKEY_generate(ctx_.get(), &k) != 1) fail("key generation failed");
    return PkeyPtr(k);
  }

 private:
  PkeyCtxPtr ctx_;
};

ExtPtr make_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext) fail("bad certificate extension " + value);
  return ext;
}

// A certificate for `key` without extensions, not yet signed.
X509Ptr new_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, unsigned days, bool fast_p256 = false) {
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
  if (!fast_p256 && X509_set_pubkey(c.get(), key) != 1) fail("setting the public key of " + cn);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("fleetload"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(c.get(), X509_get_subject_name(issuer != nullptr ? issuer : c.get()));
  return c;
}

void sign(X509* c, EVP_PKEY* issuer_key, const std::string& cn) {
  if (X509_sign(c, issuer_key, EVP_sha256()) == 0) fail("signing the certificate for " + cn);
}

X509Ptr make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, unsigned days,
                  const std::vector<std::pair<int, std::string>>& exts) {
  X509Ptr c = new_cert(key, cn, issuer, days);
  for (const auto& [nid, value] : exts) {
    X509_add_ext(c.get(), make_ext(c.get(), issuer != nullptr ? issuer : c.get(), nid, value).get(), -1);
  }
  sign(c.get(), issuer_key, cn);
  return c;
}

// Writes `len` bytes to `path` in one go, as a new file: whatever was there (a file from an
// earlier run, or a symlink someone planted to make us write a key elsewhere) is unlinked
// first, and the file is created with O_EXCL | O_NOFOLLOW, so nothing is ever written
// through a link; a link planted again in between is refused. Secrets are created 0600
// (no umask games: other threads create files at the same time).
void write_bytes(const fs::path& path, bool secret, const char* data, std::size_t len) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw CertError("cannot replace " + path.string() + ": " + std::strerror(errno));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) throw CertError("cannot write " + path.string() + ": " + std::strerror(errno));
  bool ok = !secret || ::fchmod(fd, 0600) == 0;  // the mode regardless of the umask
  while (ok && len > 0) {
    const ssize_t n = ::write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) {
      data += n;
      len -= static_cast<std::size_t>(n);
    }
  }
  const int err = errno;
  if (::close(fd) != 0 || !ok) throw CertError("cannot write " + path.string() + ": " + std::strerror(err));
}

template <class Writer>
void write_via_bio(const fs::path& path, bool secret, Writer&& writer) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !writer(bio.get())) fail("encoding " + path.string());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  write_bytes(path, secret, data, static_cast<std::size_t>(len));
}

// EC P-256 fast paths. OpenSSL 3 routes X509_set_pubkey and PEM_write_bio_PrivateKey through
// its generic encoder/decoder framework, which cost ~80% of the time per device; for P-256
// both encodings are fixed-size DER, built here from the provider's raw key parameters.
constexpr std::size_t kP256Point = 65;  // uncompressed: 04 || X || Y

bool p256_point(EVP_PKEY* k, unsigned char (&point)[kP256Point]) {
  std::size_t len = 0;
  return EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) == 1 &&
         len == kP256Point && point[0] == 0x04;
}

// SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 } with the point, set on the certificate.
void set_p256_pubkey(X509* c, EVP_PKEY* k) {
  unsigned char point[kP256Point];
  if (!p256_point(k, point)) fail("reading the P-256 public key");
  auto* bits = static_cast<unsigned char*>(OPENSSL_memdup(point, sizeof point));
  if (bits == nullptr ||
      X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(c), OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                             OBJ_nid2obj(NID_X9_62_prime256v1), bits, static_cast<int>(sizeof point)) != 1) {
    OPENSSL_free(bits);
    fail("setting the P-256 public key");
  }
}

// PKCS#8 PrivateKeyInfo (RFC 5208) holding an ECPrivateKey (RFC 5915) with the public key,
// 138 bytes, exactly as OpenSSL writes a P-256 key.
void write_p256_key(const fs::path& p, EVP_PKEY* k) {
  static constexpr unsigned char kHead[] = {
      0x30, 0x81, 0x87,                                      // PrivateKeyInfo, 135 bytes
      0x02, 0x01, 0x00,                                      // version 0
      0x30, 0x13,                                            // AlgorithmIdentifier
      0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,  // id-ecPublicKey
      0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,  // prime256v1
      0x04, 0x6d,                                            // privateKey OCTET STRING, 109 bytes
      0x30, 0x6b,                                            // ECPrivateKey, 107 bytes
      0x02, 0x01, 0x01,                                      // version 1
      0x04, 0x20};                                           // privateKey, 32 bytes
  static constexpr unsigned char kPubHead[] = {0xa1, 0x44, 0x03, 0x42, 0x00};  // [1] BIT STRING
  unsigned char der[sizeof kHead + 32 + sizeof kPubHead + kP256Point];
  static_assert(sizeof der == 138);
  std::memcpy(der, kHead, sizeof kHead);
  BIGNUM* priv = nullptr;
  const bool ok = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1 &&
                  BN_bn2binpad(priv, der + sizeof kHead, 32) == 32;
  BN_clear_free(priv);
  unsigned char point[kP256Point];
  if (!ok || !p256_point(k, point)) {
    OPENSSL_cleanse(der, sizeof der);
    fail("reading the P-256 private key");
  }
  std::memcpy(der + sizeof kHead + 32, kPubHead, sizeof kPubHead);
  std::memcpy(der + sizeof kHead + 32 + sizeof kPubHead, point, sizeof point);
  try {
    write_via_bio(p, true, [&](BIO* b) { return PEM_write_bio(b, "PRIVATE KEY", "", der, sizeof der) > 0; });
  } catch (...) {
    OPENSSL_cleanse(der, sizeof der);
    throw;
  }
  OPENSSL_cleanse(der, sizeof der);
}

void write_cert(const fs::path& p, X509* c) {
  write_via_bio(p, false, [&](BIO* b) { return PEM_write_bio_X509(b, c) == 1; });
}
void write_key(const fs::path& p, EVP_PKEY* k) {
  write_via_bio(p, true,
                [&](BIO* b) { return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr) == 1; });
}

template <class T, T* (*Read)(BIO*, T**, pem_password_cb*, void*)>
T* read_pem(const fs::path& p) {
  BioPtr bio(BIO_new_file(p.c_str(), "rb"));
  return bio ? Read(bio.get(), nullptr, nullptr, nullptr) : nullptr;
}

std::string key_usage(CertKeyType t) {
  return t == CertKeyType::Rsa2048 ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature";
}

scenario::TemplateVars vars_of(const CertOptions& o, std::uint64_t index) {
  scenario::TemplateVars v;
  v.index = index;
  v.shard = o.shards > 1 ? static_cast<std::uint32_t>(index % o.shards) : 0;
  v.index_width = o.index_width;
  return v;
}

std::optional<std::string> check_tpl(const std::string& field, const std::string& tpl,
                                     std::initializer_list<Placeholder> allowed, bool must_vary) {
  if (auto e = scenario::check_template(tpl, std::span<const Placeholder>(allowed.begin(), allowed.size()))) {
    return field + ": " + *e;
  }
  if (must_vary && !scenario::template_uses(tpl, Placeholder::Index) &&
      !scenario::template_uses(tpl, Placeholder::ClientId)) {
    return field + ": \"" + tpl + "\" must contain {index} or {client_id}, or every device gets the same name";
  }
  return std::nullopt;
}

// Device work shared by the threads.
struct Fleet {
  const CertOptions& o;
  X509* ca;
  EVP_PKEY* ca_key;
  std::vector<ExtPtr> exts;  // built once, copied into every device certificate
};

void make_device(const Fleet& f, KeyGen& gen, std::uint64_t index) {
  const CertOptions& o = f.o;
  const std::string stem = device_file_stem(o, index);
  const fs::path base = o.out_dir / stem;
  if (stem.find('/') != std::string::npos) fs::create_directories(base.parent_path());
  scenario::TemplateVars v = vars_of(o, index);
  const std::string client_id = scenario::render_template(o.client_id, v);
  v.client_id = client_id;
  const std::string cn = scenario::render_template(o.device_common_name, v);
  PkeyPtr key = gen.make();
  // PKCS12_create needs the certificate's decoded public key, which the fast path leaves out.
  const bool p256 = o.key_type == CertKeyType::EcdsaP256 && !o.pkcs12;
  X509Ptr cert = new_cert(key.get(), cn, f.ca, o.days, p256);
  if (p256) set_p256_pubkey(cert.get(), key.get());
  for (const auto& e : f.exts) X509_add_ext(cert.get(), e.get(), -1);
  sign(cert.get(), f.ca_key, cn);
  write_cert(fs::path(base).concat(".crt"), cert.get());
  if (p256) write_p256_key(fs::path(base).concat(".key"), key.get());
  else write_key(fs::path(base).concat(".key"), key.get());
  if (!o.pkcs12) return;
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, f.ca);
  // OpenSSL 3 defaults: AES-256-CBC + PBKDF2, SHA-256 MAC. The friendly name is the client id.
  P12Ptr p12(PKCS12_create(o.pkcs12_password.c_str(), client_id.c_str(), key.get(), cert.get(), chain, 0, 0, 0, 0, 0));
  sk_X509_free(chain);  // does not free the CA: the stack only borrowed it
  if (!p12) fail("PKCS12_create for device " + std::to_string(index));
  unsigned char* der = nullptr;
  const int len = i2d_PKCS12(p12.get(), &der);
  if (len <= 0) fail("encoding the PKCS#12 bundle of device " + std::to_string(index));
  try {
    write_bytes(fs::path(base).concat(".p12"), true, reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  } catch (...) {
    OPENSSL_free(der);
    throw;
  }
  OPENSSL_free(der);
}

void write_manifest(const CertOptions& o, const fs::path& path) {
  std::ostringstream out;
  out << (o.pkcs12 ? "index,client_id,cert,key,pkcs12\n" : "index,client_id,cert,key\n");
  for (std::uint64_t i = 0; i < o.devices; ++i) {
    const std::uint64_t index = o.first_index + i;
    const std::string stem = device_file_stem(o, index);
    out << index << ',' << device_client_id(o, index) << ',' << stem << ".crt," << stem << ".key";
    if (o.pkcs12) out << ',' << stem << ".p12";
    out << '\n';
  }
  const std::string text = out.str();
  write_bytes(path, false, text.data(), text.size());  // never through a planted symlink
}

}  // namespace

const char* to_string(CertKeyType t) noexcept { return t == CertKeyType::Rsa2048 ? "rsa2048" : "ecdsa-p256"; }

std::optional<std::string> check_cert_options(const CertOptions& o) {
  if (o.out_dir.empty()) return "the output directory is empty";
  if (o.devices == 0) return "devices must be at least 1";
  if (o.shards == 0) return "shards must be at least 1";
  if (o.days == 0) return "days must be at least 1";
  if (o.pkcs12 && o.pkcs12_password.empty()) return "PKCS#12 bundles need a password (it protects each device key)";
  const bool many = o.devices > 1;
  if (auto e = check_tpl("client id", o.client_id, {Placeholder::Index, Placeholder::Shard}, false)) return e;
  if (many && !scenario::template_uses(o.client_id, Placeholder::Index)) {
    return "client id: \"" + o.client_id + "\" must contain {index}: client ids must be unique";
  }
  const auto all = {Placeholder::Index, Placeholder::Shard, Placeholder::ClientId};
  if (auto e = check_tpl("file name", o.file_stem, all, many)) return e;
  if (auto e = check_tpl("common name", o.device_common_name, all, false)) return e;
  if (o.file_stem.empty() || o.file_stem.front() == '/' || o.file_stem.back() == '/') {
    return "file name: \"" + o.file_stem + "\" must be a relative file name (it may contain '/')";
  }
  for (const auto& part : fs::path(o.file_stem)) {
    if (part == "..") return "file name: \"" + o.file_stem + "\" must stay inside the output directory (no ..)";
  }
  if (o.client_id.find_first_of(",\n\"") != std::string::npos) {
    return "client id: \"" + o.client_id + "\" must not contain ',', '\"' or a newline";
  }
  return std::nullopt;
}

std::string device_client_id(const CertOptions& o, std::uint64_t index) {
  return scenario::render_template(o.client_id, vars_of(o, index));
}

std::string device_file_stem(const CertOptions& o, std::uint64_t index) {
  scenario::TemplateVars v = vars_of(o, index);
  std::string client_id;
  if (scenario::template_uses(o.file_stem, Placeholder::ClientId)) {
    client_id = scenario::render_template(o.client_id, v);
    v.client_id = client_id;
  }
  return scenario::render_template(o.file_stem, v);
}

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
  if (auto e = check_cert_options(o)) throw CertError(*e);
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw CertError("cannot create " + o.out_dir.string() + ": " + ec.message());
  CertResult r;
  r.ca_cert = o.out_dir / "ca.crt";
  r.ca_key = o.out_dir / "ca.key";
  r.server_cert = o.out_dir / "server.crt";
  r.server_key = o.out_dir / "server.key";
  KeyGen gen(o.key_type);

  PkeyPtr ca_key;
  X509Ptr ca;
  if (o.reuse_ca && fs::exists(r.ca_cert) && fs::exists(r.ca_key)) {
    ca.reset(read_pem<X509, PEM_read_bio_X509>(r.ca_cert));
    ca_key.reset(read_pem<EVP_PKEY, PEM_read_bio_PrivateKey>(r.ca_key));
    if (!ca || !ca_key || X509_check_private_key(ca.get(), ca_key.get()) != 1) {
      fail("existing " + r.ca_cert.string() + " and ca.key are unreadable or do not match");
    }
    r.reused_ca = true;
  } else {
    ca_key = gen.make();
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
  PkeyPtr server_key = gen.make();
  X509Ptr server = make_cert(server_key.get(), o.server_dns.empty() ? "localhost" : o.server_dns[0], ca.get(),
                             ca_key.get(), o.days,
                             {{NID_basic_constraints, "critical,CA:FALSE"},
                              {NID_key_usage, key_usage(o.key_type)},
                              {NID_ext_key_usage, "serverAuth"},
                              {NID_subject_alt_name, san},
                              {NID_authority_key_identifier, "keyid"}});
  write_cert(r.server_cert, server.get());
  write_key(r.server_key, server_key.get());

  Fleet fleet{o, ca.get(), ca_key.get(), {}};
  fleet.exts.push_back(make_ext(nullptr, ca.get(), NID_basic_constraints, "critical,CA:FALSE"));
  fleet.exts.push_back(make_ext(nullptr, ca.get(), NID_key_usage, key_usage(o.key_type)));
  fleet.exts.push_back(make_ext(nullptr, ca.get(), NID_ext_key_usage, "clientAuth"));
  fleet.exts.push_back(make_ext(nullptr, ca.get(), NID_authority_key_identifier, "keyid"));

  const auto start = std::chrono::steady_clock::now();
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = static_cast<unsigned>(
      std::clamp<std::uint64_t>(o.threads != 0 ? o.threads : hw, 1, std::max<std::uint64_t>(1, o.devices)));
  std::atomic<std::uint64_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::string first_error;
  std::mutex error_mutex;
  auto work = [&](bool reporter) {
    try {
      KeyGen keys(o.key_type);
      auto last = std::chrono::steady_clock::now();
      for (std::uint64_t i = next++; i < o.devices && !failed; i = next++) {
        make_device(fleet, keys, o.first_index + i);
        const std::uint64_t n = ++done;
        if (reporter && o.on_progress && std::chrono::steady_clock::now() - last >= std::chrono::seconds(1)) {
          last = std::chrono::steady_clock::now();
          o.on_progress(n, o.devices);
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(error_mutex);
      if (!failed.exchange(true)) first_error = e.what();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, false);
  work(true);
  for (auto& t : pool) t.join();
  if (failed) throw CertError(first_error);
  if (o.manifest) {
    r.manifest = o.out_dir / "devices.csv";
    write_manifest(o, r.manifest);
  }
  r.devices = o.devices;
  r.threads = threads;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace fleetload::auth
