// generate_fleet_certs: the material it writes, checked with OpenSSL: chains verify against
// the CA for the right purpose, key types, PKCS#12 bundles open with the password only,
// unique client ids in the manifest, file layout from templates, key file modes, bad options.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "auth/certgen.hpp"

namespace fleetload::auth {
namespace {

namespace fs = std::filesystem;

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const noexcept { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Free<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Free<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Free<X509_STORE_CTX, X509_STORE_CTX_free>>;
using P12Ptr = std::unique_ptr<PKCS12, Free<PKCS12, PKCS12_free>>;

X509Ptr read_cert(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) return nullptr;
  X509Ptr c(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return c;
}

PkeyPtr read_key(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) return nullptr;
  PkeyPtr k(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return k;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Verifies `cert` against `ca` alone, for `purpose` (X509_PURPOSE_SSL_CLIENT/SERVER);
// returns the verify error string ("ok" when it verifies).
std::string verify(X509* cert, X509* ca, int purpose, const char* host = nullptr) {
  StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  if (host != nullptr) X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx.get()), host, 0);
  const int ok = X509_verify_cert(ctx.get());
  ERR_clear_error();
  return ok == 1 ? "ok" : X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

std::string subject_cn(X509* c) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, buf, sizeof buf);
  return buf;
}

class Certgen : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fleetload-certgen-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(Certgen, EcdsaDeviceChainsVerifyAgainstTheCaForClientAuth) {
  CertOptions o;
  o.out_dir = dir_;
  o.devices = 4;
  o.threads = 2;
  const CertResult r = generate_fleet_certs(o);
  EXPECT_EQ(r.devices, 4u);
  EXPECT_FALSE(r.reused_ca);
  X509Ptr ca = read_cert(r.ca_cert);
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  for (std::uint64_t i = 0; i < 4; ++i) {
    X509Ptr cert = read_cert(device_cert_path(dir_, i));
    PkeyPtr key = read_key(device_key_path(dir_, i));
    ASSERT_TRUE(cert && key) << i;
    EXPECT_EQ(verify(cert.get(), ca.get(), X509_PURPOSE_SSL_CLIENT), "ok") << i;
    // A device certificate is not for servers and not a CA.
    EXPECT_NE(verify(cert.get(), ca.get(), X509_PURPOSE_SSL_SERVER), "ok") << i;
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1) << i;
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
    char group[64] = {};
    std::size_t len = 0;
    ASSERT_EQ(EVP_PKEY_get_utf8_string_param(key.get(), "group", group, sizeof group, &len), 1);
    EXPECT_STREQ(group, "prime256v1");
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  }
  EXPECT_FALSE(fs::exists(device_cert_path(dir_, 4)));
  // The broker certificate: server purpose, names localhost and 127.0.0.1.
  X509Ptr server = read_cert(r.server_cert);
  ASSERT_TRUE(server);
  EXPECT_EQ(verify(server.get(), ca.get(), X509_PURPOSE_SSL_SERVER, "localhost"), "ok");
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_NE(verify(server.get(), ca.get(), X509_PURPOSE_SSL_SERVER, "example.com"), "ok");
  // Another fleet's CA does not vouch for these devices.
  CertOptions other;
  other.out_dir = dir_ / "other";
  generate_fleet_certs(other);
  X509Ptr foreign_ca = read_cert(other.out_dir / "ca.crt");
  X509Ptr dev0 = read_cert(device_cert_path(dir_, 0));
  EXPECT_NE(verify(dev0.get(), foreign_ca.get(), X509_PURPOSE_SSL_CLIENT), "ok");
}

TEST_F(Certgen, Rsa2048KeysEverywhere) {
  CertOptions o;
  o.out_dir = dir_;
  o.devices = 2;
  o.key_type = CertKeyType::Rsa2048;
  o.threads = 2;
  const CertResult r = generate_fleet_certs(o);
  X509Ptr ca = read_cert(r.ca_cert);
  ASSERT_TRUE(ca);
  for (const fs::path& k : {r.ca_key, r.server_key, device_key_path(dir_, 0), device_key_path(dir_, 1)}) {
    PkeyPtr key = read_key(k);
    ASSERT_TRUE(key) << k;
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA) << k;
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048) << k;
  }
  for (std::uint64_t i = 0; i < 2; ++i) {
    X509Ptr cert = read_cert(device_cert_path(dir_, i));
    ASSERT_TRUE(cert);
    EXPECT_EQ(verify(cert.get(), ca.get(), X509_PURPOSE_SSL_CLIENT), "ok");
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_sha256WithRSAEncryption);
  }
}

TEST_F(Certgen, Pkcs12OpensWithThePasswordAndNotWithout) {
  CertOptions o;
  o.out_dir = dir_;
  o.devices = 2;
  o.pkcs12 = true;
  o.pkcs12_password = "bundle-Secret-42";
  const CertResult r = generate_fleet_certs(o);
  X509Ptr ca = read_cert(r.ca_cert);
  for (std::uint64_t i = 0; i < 2; ++i) {
    FILE* f = std::fopen(device_p12_path(dir_, i).c_str(), "rb");
    ASSERT_NE(f, nullptr);
    P12Ptr p12(d2i_PKCS12_fp(f, nullptr));
    std::fclose(f);
    ASSERT_TRUE(p12);
    EXPECT_EQ(PKCS12_verify_mac(p12.get(), "bundle-Secret-42", -1), 1);
    EXPECT_NE(PKCS12_verify_mac(p12.get(), "wrong", -1), 1);
    EXPECT_NE(PKCS12_verify_mac(p12.get(), nullptr, 0), 1);
    EXPECT_NE(PKCS12_verify_mac(p12.get(), "", 0), 1);
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* chain = nullptr;
    EXPECT_NE(PKCS12_parse(p12.get(), "wrong", &key, &cert, &chain), 1);
    ERR_clear_error();
    ASSERT_EQ(PKCS12_parse(p12.get(), "bundle-Secret-42", &key, &cert, &chain), 1);
    PkeyPtr k(key);
    X509Ptr c(cert);
    EXPECT_EQ(X509_check_private_key(c.get(), k.get()), 1);
    EXPECT_EQ(verify(c.get(), ca.get(), X509_PURPOSE_SSL_CLIENT), "ok");
    // The bundle carries the same certificate as the .crt, and the CA.
    X509Ptr pem = read_cert(device_cert_path(dir_, i));
    EXPECT_EQ(X509_cmp(c.get(), pem.get()), 0);
    ASSERT_NE(chain, nullptr);
    ASSERT_EQ(sk_X509_num(chain), 1);
    EXPECT_EQ(X509_cmp(sk_X509_value(chain, 0), ca.get()), 0);
    sk_X509_pop_free(chain, X509_free);
  }
  EXPECT_EQ(fs::status(device_p12_path(dir_, 0)).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
}

TEST_F(Certgen, TemplatesGiveUniqueClientIdsAndMatchingFileNames) {
  CertOptions o;
  o.out_dir = dir_;
  o.devices = 12;
  o.first_index = 3;
  o.shards = 4;
  o.index_width = 5;
  o.client_id = "sensor-{shard}-{index}";
  o.file_stem = "ids/{client_id}";
  o.device_common_name = "{client_id}";
  const CertResult r = generate_fleet_certs(o);
  ASSERT_EQ(r.manifest, dir_ / "devices.csv");
  std::ifstream in(r.manifest);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "index,client_id,cert,key");
  std::set<std::string> ids;
  std::uint64_t expect_index = 3;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 4u) << line;
    EXPECT_EQ(std::stoull(f[0]), expect_index);
    // {shard} is index % shards, as `fleetload run --shard K/N` renders it.
    char want[64];
    std::snprintf(want, sizeof want, "sensor-%llu-%05llu", static_cast<unsigned long long>(expect_index % 4),
                  static_cast<unsigned long long>(expect_index));
    EXPECT_EQ(f[1], want);
    EXPECT_EQ(f[1], device_client_id(o, expect_index));
    EXPECT_EQ(f[2], "ids/" + f[1] + ".crt");
    EXPECT_EQ(f[3], "ids/" + f[1] + ".key");
    X509Ptr cert = read_cert(dir_ / f[2]);
    ASSERT_TRUE(cert) << f[2];
    EXPECT_EQ(subject_cn(cert.get()), f[1]);
    EXPECT_TRUE(fs::exists(dir_ / f[3]));
    ids.insert(f[1]);
    ++expect_index;
  }
  EXPECT_EQ(expect_index, 15u);
  EXPECT_EQ(ids.size(), 12u);  // unique
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "ids"), fs::directory_iterator()), 24);
}

TEST_F(Certgen, KeysArePrivateAndEachDeviceHasItsOwn) {
  CertOptions o;
  o.out_dir = dir_;
  o.devices = 3;
  const CertResult r = generate_fleet_certs(o);
  const auto others = fs::perms::group_all | fs::perms::others_all;
  for (const fs::path& k : {r.ca_key, r.server_key, device_key_path(dir_, 0), device_key_path(dir_, 2)}) {
    EXPECT_EQ(fs::status(k).permissions() & others, fs::perms::none) << k;
  }
  EXPECT_NE(fs::status(device_cert_path(dir_, 0)).permissions() & fs::perms::others_read, fs::perms::none);
  std::set<std::string> keys;
  for (std::uint64_t i = 0; i < 3; ++i) keys.insert(read_text(device_key_path(dir_, i)));
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_NE(read_text(device_key_path(dir_, 0)).find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST_F(Certgen, GrowingAFleetReusesTheCa) {
  CertOptions o;
  o.out_dir = dir_;
  o.devices = 1;
  generate_fleet_certs(o);
  const std::string ca = read_text(dir_ / "ca.crt");
  o.first_index = 1;
  const CertResult r = generate_fleet_certs(o);
  EXPECT_TRUE(r.reused_ca);
  EXPECT_EQ(read_text(dir_ / "ca.crt"), ca);
  X509Ptr ca_cert = read_cert(dir_ / "ca.crt");
  X509Ptr dev = read_cert(device_cert_path(dir_, 1));
  EXPECT_EQ(verify(dev.get(), ca_cert.get(), X509_PURPOSE_SSL_CLIENT), "ok");
  // A CA key that does not belong to the certificate is refused, not silently replaced.
  fs::copy_file(o.out_dir / "server.key", o.out_dir / "ca.key", fs::copy_options::overwrite_existing);
  EXPECT_THROW(generate_fleet_certs(o), CertError);
}

TEST(CertgenOptions, BadOptionsAreNamed) {
  CertOptions o;
  o.out_dir = "/tmp/unused";
  o.devices = 2;
  EXPECT_EQ(check_cert_options(o), std::nullopt);
  auto msg = [&](auto change) {
    CertOptions c = o;
    change(c);
    return check_cert_options(c).value_or("");
  };
  EXPECT_NE(msg([](CertOptions& c) { c.client_id = "dev"; }).find("must contain {index}"), std::string::npos);
  EXPECT_NE(msg([](CertOptions& c) { c.client_id = "dev-{client_id}"; }).find("client id"), std::string::npos);
  EXPECT_NE(msg([](CertOptions& c) { c.file_stem = "same"; }).find("file name"), std::string::npos);
  EXPECT_NE(msg([](CertOptions& c) { c.file_stem = "../{index}"; }).find("inside the output directory"),
            std::string::npos);
  EXPECT_NE(msg([](CertOptions& c) { c.file_stem = "/abs/{index}"; }).find("relative"), std::string::npos);
  EXPECT_NE(msg([](CertOptions& c) { c.device_common_name = "{idx}"; }).find("common name"), std::string::npos);
  EXPECT_NE(msg([](CertOptions& c) { c.pkcs12 = true; }).find("password"), std::string::npos);
  EXPECT_NE(msg([](CertOptions& c) { c.devices = 0; }).find("devices"), std::string::npos);
  // One device may share a fixed name.
  EXPECT_EQ(msg([](CertOptions& c) {
              c.devices = 1;
              c.file_stem = "device";
              c.client_id = "only";
            }),
            "");
  CertOptions bad = o;
  bad.client_id = "x";
  EXPECT_THROW(generate_fleet_certs(bad), CertError);
}

}  // namespace
}  // namespace fleetload::auth
