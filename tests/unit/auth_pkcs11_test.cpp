// PKCS#11 identities through the OpenSSL "pkcs11" engine against a real SoftHSM2 token that
// the test initialises in a temp dir: the token signs a real TLS handshake; wrong PIN fails.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "auth/certgen.hpp"
#include "auth/tls_identity.hpp"
#include "auth_tls_util.hpp"

namespace fleetload::auth {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSoftHsm = "/usr/lib/softhsm/libsofthsm2.so";

int run(const std::string& cmd) {
  const int status = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One test: the engine (and SoftHSM's configuration) is set up once per process, and the
// order matters (a wrong PIN must be tried before a successful login on the same token).
TEST(AuthPkcs11, SoftHsmTokenSignsTheHandshakeAndWrongPinFailsWithoutShowingIt) {
  ASSERT_TRUE(fs::exists(kSoftHsm)) << "install softhsm2 (Debian package softhsm2)";
  const fs::path dir = fs::temp_directory_path() / ("fleetload-p11-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "tokens");
  std::ofstream(dir / "softhsm2.conf") << "directories.tokendir = " << (dir / "tokens").string()
                                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  ::setenv("SOFTHSM2_CONF", (dir / "softhsm2.conf").c_str(), 1);

  CertOptions o;
  o.out_dir = dir / "pki";
  o.devices = 2;
  o.threads = 1;
  generate_fleet_certs(o);
  ASSERT_EQ(run("softhsm2-util --init-token --free --label fleet --pin 4321 --so-pin 8765"), 0);
  ASSERT_EQ(run("softhsm2-util --import " + device_key_path(o.out_dir, 0).string() +
                " --token fleet --label devkey --id 01 --pin 4321"),
            0);

  TlsIdentitySpec s;
  s.kind = TlsIdentitySpec::Kind::Pkcs11;
  s.pkcs11_lib = kSoftHsm;
  s.token_label = "fleet";
  s.private_key_label = "devkey";
  s.cert_filepath = device_cert_path(o.out_dir, 0).string();
  s.ca_filepath = (o.out_dir / "ca.crt").string();
  EXPECT_EQ(pkcs11_key_id(s), "pkcs11:token=fleet;object=devkey;type=private");

  s.user_pin = "9999-WRONG";
  try {
    make_client_context(s);
    ADD_FAILURE() << "a wrong PIN loaded the key";
  } catch (const TlsIdentityError& e) {
    EXPECT_EQ(e.failure(), TlsIdentityFailure::WrongPin) << e.what();
    EXPECT_EQ(std::string(e.what()).find("9999"), std::string::npos) << e.what();
  }

  // The token's key with another device's certificate: refused as a wrong key.
  s.user_pin = "4321";
  TlsIdentitySpec mismatch = s;
  mismatch.cert_filepath = device_cert_path(o.out_dir, 1).string();
  try {
    make_client_context(mismatch);
    ADD_FAILURE() << "a mismatched certificate was accepted";
  } catch (const TlsIdentityError& e) {
    EXPECT_EQ(e.failure(), TlsIdentityFailure::WrongKey) << e.what();
  }

  SslCtxPtr client = make_client_context(s);
  SslCtxPtr server = test::server_context(o.out_dir / "server.crt", o.out_dir / "server.key",
                                          o.out_dir / "ca.crt");
  DevicePresentation d;
  d.host = d.sni = "localhost";
  d.tls = true;
  test::Handshake h = test::handshake(client.get(), server.get(), d);
  EXPECT_TRUE(h.ok) << h.error;  // CertificateVerify was signed by the token
  EXPECT_EQ(h.client_cn, "fleetload-device-0");

  // A label that does not exist on the token.
  TlsIdentitySpec missing = s;
  missing.private_key_label = "nokey";
  try {
    make_client_context(missing);
    ADD_FAILURE() << "a missing key loaded";
  } catch (const TlsIdentityError& e) {
    EXPECT_EQ(std::string(e.what()).find("4321"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(AuthPkcs11, KeyIdForms) {
  TlsIdentitySpec s;
  s.token_label = "my token";
  s.private_key_label = "k;1";
  EXPECT_EQ(pkcs11_key_id(s), "pkcs11:token=my%20token;object=k%3B1;type=private");
  s.token_label.reset();
  s.slot_id = 7;
  EXPECT_EQ(pkcs11_key_id(s), "slot_7-label_k;1");
  s.private_key_label.reset();
  s.slot_id.reset();
  EXPECT_EQ(pkcs11_key_id(s), "pkcs11:type=private");
}

}  // namespace
}  // namespace fleetload::auth
