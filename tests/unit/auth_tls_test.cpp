// TLS identities against real OpenSSL handshakes (in memory, no sockets): certificates made
// by generate_fleet_certs; PEM files, PEM bytes, PKCS#12; failures by reason, secret-free.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "auth/certgen.hpp"
#include "auth/tls_identity.hpp"
#include "auth_tls_util.hpp"

namespace fleetload::auth {
namespace {

namespace fs = std::filesystem;
using test::Handshake;
using test::handshake;
using test::server_context;

class AuthTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("fleetload-tls-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    CertOptions o;
    o.out_dir = *dir_;
    o.devices = 3;
    o.pkcs12 = true;
    o.pkcs12_password = "P12-PASSWORD-SECRET";
    o.threads = 2;
    generate_fleet_certs(o);
    CertOptions other;  // a second, unrelated CA
    other.out_dir = *dir_ / "other";
    other.devices = 1;
    generate_fleet_certs(other);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path p(const std::string& name) { return *dir_ / name; }
  static std::string read(const fs::path& f) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static TlsIdentitySpec files(int index) {
    TlsIdentitySpec s;
    s.kind = TlsIdentitySpec::Kind::PemFiles;
    s.cert_filepath = p("device-" + std::to_string(index) + ".crt");
    s.pri_key_filepath = p("device-" + std::to_string(index) + ".key");
    s.ca_filepath = p("ca.crt").string();
    return s;
  }
  static DevicePresentation localhost() {
    DevicePresentation d;
    d.host = "localhost";
    d.sni = "localhost";
    d.tls = true;
    return d;
  }
  static TlsIdentityFailure failure_of(const TlsIdentitySpec& s, std::string* msg = nullptr) {
    try {
      make_client_context(s);
    } catch (const TlsIdentityError& e) {
      if (msg) *msg = e.what();
      return e.failure();
    }
    ADD_FAILURE() << "no error";
    return TlsIdentityFailure::OpenSsl;
  }

  static fs::path* dir_;
};
fs::path* AuthTls::dir_ = nullptr;

TEST_F(AuthTls, MutualTlsWithPemFiles) {
  SslCtxPtr client = make_client_context(files(1));
  SslCtxPtr server = server_context(p("server.crt"), p("server.key"), p("ca.crt"));
  Handshake h = handshake(client.get(), server.get(), localhost());
  EXPECT_TRUE(h.ok) << h.error;
  EXPECT_EQ(h.client_cn, "fleetload-device-1");
  EXPECT_EQ(h.version, "TLSv1.3");
}

TEST_F(AuthTls, MutualTlsWithPemBytesAndAlpn) {
  TlsIdentitySpec s;
  s.kind = TlsIdentitySpec::Kind::PemBytes;
  s.cert_bytes = read(p("device-2.crt"));
  s.pri_key_bytes = read(p("device-2.key"));
  s.ca_bytes = read(p("ca.crt"));
  SslCtxPtr server = server_context(p("server.crt"), p("server.key"), p("ca.crt"), "x-amzn-mqtt-ca");
  DevicePresentation d = localhost();
  d.alpn = {"x-amzn-mqtt-ca"};
  Handshake h = handshake(make_client_context(s).get(), server.get(), d);
  EXPECT_TRUE(h.ok) << h.error;
  EXPECT_EQ(h.client_cn, "fleetload-device-2");
  EXPECT_EQ(h.alpn, "x-amzn-mqtt-ca");
}

TEST_F(AuthTls, MutualTlsWithPkcs12) {
  TlsIdentitySpec s;
  s.kind = TlsIdentitySpec::Kind::Pkcs12;
  s.pkcs12_filepath = p("device-0.p12");
  s.pkcs12_password = "P12-PASSWORD-SECRET";
  s.ca_filepath = p("ca.crt").string();
  SslCtxPtr server = server_context(p("server.crt"), p("server.key"), p("ca.crt"));
  Handshake h = handshake(make_client_context(s).get(), server.get(), localhost());
  EXPECT_TRUE(h.ok) << h.error;
  EXPECT_EQ(h.client_cn, "fleetload-device-0");
}

TEST_F(AuthTls, ServerOnlyVerificationForTheDefaultBuilder) {
  TlsIdentitySpec s;  // Kind::None
  s.ca_dirpath = (*dir_ / "cadir").string();
  fs::create_directories(s.ca_dirpath.value());
  // A hashed CA directory as c_rehash makes it.
  X509* ca = nullptr;
  {
    FILE* f = std::fopen(p("ca.crt").c_str(), "rb");
    ca = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
  }
  char name[32];
  std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(ca));
  X509_free(ca);
  fs::copy_file(p("ca.crt"), fs::path(*s.ca_dirpath) / name, fs::copy_options::overwrite_existing);
  SslCtxPtr server = server_context(p("server.crt"), p("server.key"), {});
  Handshake h = handshake(make_client_context(s).get(), server.get(), localhost());
  EXPECT_TRUE(h.ok) << h.error;
}

TEST_F(AuthTls, UnknownCaFailsTheHandshakeAndVerifyOffSkipsIt) {
  TlsIdentitySpec s = files(1);
  s.ca_filepath = p("other/ca.crt").string();  // not the server's CA
  SslCtxPtr server = server_context(p("server.crt"), p("server.key"), p("ca.crt"));
  Handshake h = handshake(make_client_context(s).get(), server.get(), localhost());
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.error.find("certificate verify failed"), std::string::npos) << h.error;
  s.verify_peer = false;
  h = handshake(make_client_context(s).get(), server.get(), localhost());
  EXPECT_TRUE(h.ok) << h.error;
}

TEST_F(AuthTls, WrongHostNameFailsVerification) {
  SslCtxPtr server = server_context(p("server.crt"), p("server.key"), p("ca.crt"));
  DevicePresentation d = localhost();
  d.host = d.sni = "broker.example";
  Handshake h = handshake(make_client_context(files(0)).get(), server.get(), d);
  EXPECT_FALSE(h.ok);
  DevicePresentation ip = localhost();
  ip.host = "127.0.0.1";
  ip.sni.clear();
  h = handshake(make_client_context(files(0)).get(), server.get(), ip);
  EXPECT_TRUE(h.ok) << h.error;  // the server certificate names IP 127.0.0.1
}

TEST_F(AuthTls, ServerRejectsAClientFromAnotherCa) {
  TlsIdentitySpec s;
  s.kind = TlsIdentitySpec::Kind::PemFiles;
  s.cert_filepath = p("other/device-0.crt");
  s.pri_key_filepath = p("other/device-0.key");
  s.ca_filepath = p("ca.crt").string();
  SslCtxPtr server = server_context(p("server.crt"), p("server.key"), p("ca.crt"));
  EXPECT_FALSE(handshake(make_client_context(s).get(), server.get(), localhost()).ok);
}

TEST_F(AuthTls, FailuresByReasonWithClearMessages) {
  std::string msg;
  TlsIdentitySpec s = files(0);
  s.ca_filepath = p("nope.crt").string();
  EXPECT_EQ(failure_of(s, &msg), TlsIdentityFailure::FileMissing);
  EXPECT_NE(msg.find("ca_filepath \"" + p("nope.crt").string() + "\": no such file"), std::string::npos) << msg;

  s = files(0);
  s.ca_filepath = p("device-0.key").string();  // not a certificate
  EXPECT_EQ(failure_of(s, &msg), TlsIdentityFailure::BadCa);

  // A directory where a file should be is unreadable, not a bad certificate.
  s = files(0);
  s.cert_filepath = dir_->string();
  EXPECT_EQ(failure_of(s, &msg), TlsIdentityFailure::FileUnreadable);
  EXPECT_NE(msg.find("is a directory"), std::string::npos) << msg;

  s = files(0);
  s.pri_key_filepath = p("device-1.key");
  EXPECT_EQ(failure_of(s, &msg), TlsIdentityFailure::WrongKey);
  EXPECT_NE(msg.find("does not match"), std::string::npos) << msg;

  s = files(0);
  s.cert_filepath = p("missing.crt");
  EXPECT_EQ(failure_of(s, &msg), TlsIdentityFailure::FileMissing);
  s = files(0);
  s.cert_filepath = p("device-0.key");  // a file, but not a certificate
  EXPECT_EQ(failure_of(s, &msg), TlsIdentityFailure::BadCertificate);

  TlsIdentitySpec b;
  b.kind = TlsIdentitySpec::Kind::PemBytes;
  b.cert_bytes = read(p("device-0.crt"));
  b.pri_key_bytes = read(p("device-1.key"));
  EXPECT_EQ(failure_of(b, &msg), TlsIdentityFailure::WrongKey);
  EXPECT_EQ(msg.find("PRIVATE KEY"), std::string::npos) << msg;
  b.pri_key_bytes = "-----BEGIN PRIVATE KEY-----\nGARBAGESECRET\n-----END PRIVATE KEY-----\n";
  EXPECT_EQ(failure_of(b, &msg), TlsIdentityFailure::BadKey);
  EXPECT_EQ(msg.find("GARBAGESECRET"), std::string::npos) << msg;

  TlsIdentitySpec w;
  w.kind = TlsIdentitySpec::Kind::Pkcs12;
  w.pkcs12_filepath = p("device-0.p12");
  w.pkcs12_password = "WRONG-PASSWORD-SECRET";
  EXPECT_EQ(failure_of(w, &msg), TlsIdentityFailure::WrongPassword);
  EXPECT_NE(msg.find("wrong pkcs12_password"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("WRONG-PASSWORD-SECRET"), std::string::npos) << msg;
  w.pkcs12_filepath = p("device-0.crt");
  EXPECT_EQ(failure_of(w, &msg), TlsIdentityFailure::BadPkcs12);
}

TEST_F(AuthTls, ContextSettingsAndCacheSharing) {
  SslCtxPtr c = make_client_context(files(0));
  EXPECT_EQ(SSL_CTX_get_min_proto_version(c.get()), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_mode(c.get()) & SSL_MODE_RELEASE_BUFFERS, 0u);
  EXPECT_EQ(SSL_CTX_get_verify_mode(c.get()), SSL_VERIFY_PEER);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(c.get()), SSL_SESS_CACHE_OFF);
  TlsIdentitySpec r = files(0);
  r.session_resumption = true;
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(make_client_context(r).get()), SSL_SESS_CACHE_CLIENT);

  TlsContextCache cache;
  SslCtxPtr a = cache.get(files(0));
  EXPECT_EQ(cache.get(files(0)).get(), a.get());
  EXPECT_NE(cache.get(files(1)).get(), a.get());
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(AuthTls, SessionResumptionResumesWhenOn) {
  TlsIdentitySpec s = files(0);
  s.session_resumption = true;
  SslCtxPtr client = make_client_context(s);
  SslCtxPtr server = server_context(p("server.crt"), p("server.key"), p("ca.crt"));
  Handshake first = handshake(client.get(), server.get(), localhost(), nullptr, true);
  ASSERT_TRUE(first.ok) << first.error;
  ASSERT_NE(first.session, nullptr);
  EXPECT_EQ(SSL_SESSION_is_resumable(first.session.get()), 1);
  Handshake second = handshake(client.get(), server.get(), localhost(), first.session.get());
  EXPECT_TRUE(second.ok) << second.error;
  EXPECT_TRUE(second.resumed);
}

TEST_F(AuthTls, CertgenWritesPredictableFilesWithPrivateKeys) {
  for (const char* f : {"ca.crt", "ca.key", "server.crt", "server.key", "device-0.crt",
                        "device-2.key", "device-2.p12"}) {
    EXPECT_TRUE(fs::exists(p(f))) << f;
  }
  EXPECT_FALSE(fs::exists(p("device-3.crt")));
  EXPECT_EQ(fs::status(p("device-0.key")).permissions() & fs::perms::group_read, fs::perms::none);
  EXPECT_EQ(fs::status(p("ca.key")).permissions() & fs::perms::others_read, fs::perms::none);
  EXPECT_NE(read(p("device-0.key")), read(p("device-1.key")));  // one key per device
  EXPECT_NE(read(p("device-0.key")).find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST_F(AuthTls, CertgenRsaAndAddingDevicesReusesTheCa) {
  CertOptions o;
  o.out_dir = *dir_ / "rsa";
  o.devices = 1;
  o.key_type = CertKeyType::Rsa2048;
  generate_fleet_certs(o);
  const std::string ca_before = read(o.out_dir / "ca.crt");
  o.first_index = 1;
  generate_fleet_certs(o);
  EXPECT_EQ(read(o.out_dir / "ca.crt"), ca_before);
  TlsIdentitySpec s;
  s.kind = TlsIdentitySpec::Kind::PemFiles;
  s.cert_filepath = (o.out_dir / "device-1.crt").string();
  s.pri_key_filepath = (o.out_dir / "device-1.key").string();
  s.ca_filepath = (o.out_dir / "ca.crt").string();
  SslCtxPtr server = server_context(o.out_dir / "server.crt", o.out_dir / "server.key", o.out_dir / "ca.crt");
  Handshake h = handshake(make_client_context(s).get(), server.get(), localhost());
  EXPECT_TRUE(h.ok) << h.error;
  EXPECT_EQ(h.client_cn, "fleetload-device-1");
  CertOptions bad = o;
  bad.pkcs12 = true;
  EXPECT_THROW(generate_fleet_certs(bad), CertError);  // a bundle needs a password
}

// Sized for a sanitizer build; the release-build measurement for N=1000 is in the report.
TEST_F(AuthTls, CertgenManyDevicesInParallel) {
  CertOptions o;
  o.out_dir = *dir_ / "many";
  o.devices = 200;
  o.threads = 2;
  CertResult r = generate_fleet_certs(o);
  EXPECT_EQ(r.devices, 200u);
  EXPECT_TRUE(fs::exists(o.out_dir / "device-199.key"));
  EXPECT_FALSE(fs::exists(o.out_dir / "device-200.key"));
  std::printf("certgen: 200 ECDSA P-256 devices in %.2f s on 2 threads\n", r.seconds);
  EXPECT_LT(r.seconds, 30.0);
}

}  // namespace
}  // namespace fleetload::auth
