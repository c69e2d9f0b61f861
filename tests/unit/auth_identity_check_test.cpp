// What validate and run check of the auth section before anything connects (real files made
// by certgen): every file exists and loads for the shard's first and last device, errors
// point at the option's file:line:column, name the file and device and reason, never a secret.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "auth/certgen.hpp"
#include "auth/identity_check.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::auth {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "IDCHECK-P12-SECRET";

class IdentityCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("fleetload-idcheck-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    CertOptions o;
    o.out_dir = *dir_;
    o.devices = 4;
    o.pkcs12 = true;
    o.pkcs12_password = kPassword;
    o.threads = 2;
    generate_fleet_certs(o);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string p(const std::string& name) { return (*dir_ / name).string(); }

  static scenario::CheckResult check(const std::string& auth, int devices = 4) {
    const std::string yaml = "target: {endpoint: \"127.0.0.1:8883\"}\nfleet: {devices: " + std::to_string(devices) +
                             "}\nauth:\n" + auth;
    scenario::CheckResult out;
    check_identities(scenario::parse_scenario(yaml, "s.yaml"), out);
    return out;
  }
  static std::string errors(const scenario::CheckResult& r) {
    std::string s;
    for (const auto& d : r.errors) s += d.format() + "\n";
    return s;
  }
  static std::string mtls(const std::string& cert, const std::string& key, const std::string& ca) {
    return "  mode: mtls_from_path\n  cert_filepath: " + cert + "\n  pri_key_filepath: " + key +
           "\n  ca_filepath: " + ca + "\n";
  }

  static fs::path* dir_;
};
fs::path* IdentityCheck::dir_ = nullptr;

TEST_F(IdentityCheck, GoodPerDeviceFilesPassAndTheNoteSaysWhichDevices) {
  const auto r = check(mtls(p("device-{index}.crt"), p("device-{index}.key"), p("ca.crt")));
  EXPECT_EQ(errors(r), "");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("devices 0 and 3"), std::string::npos) << r.notes[0];
  EXPECT_NE(r.notes[0].find("first and last device"), std::string::npos) << r.notes[0];
}

TEST_F(IdentityCheck, MissingFileOfTheLastDeviceIsNamedAtItsOption) {
  fs::copy_file(p("device-3.key"), p("saved-3.key"), fs::copy_options::overwrite_existing);
  fs::remove(p("device-3.key"));
  const auto r = check(mtls(p("device-{index}.crt"), p("device-{index}.key"), p("ca.crt")));
  fs::rename(p("saved-3.key"), p("device-3.key"));
  EXPECT_EQ(errors(r), "s.yaml:6:21: auth.pri_key_filepath: file_missing: pri_key_filepath \"" + p("device-3.key") +
                           "\": no such file (rendered for device 3)\n");
}

TEST_F(IdentityCheck, MissingCaAndMismatchedKeyAreTheirOwnReasons) {
  EXPECT_EQ(errors(check(mtls(p("device-0.crt"), p("device-0.key"), p("nope.crt")))),
            "s.yaml:7:16: auth.ca_filepath: file_missing: ca_filepath \"" + p("nope.crt") + "\": no such file\n");
  const std::string e = errors(check(mtls(p("device-0.crt"), p("device-1.key"), p("ca.crt"))));
  EXPECT_NE(e.find("s.yaml:6:21: auth.pri_key_filepath: wrong_key: pri_key_filepath \"" + p("device-1.key") +
                   "\" does not match the certificate"),
            std::string::npos)
      << e;
  // A directory where a certificate should be: unreadable, not a bad certificate.
  EXPECT_NE(errors(check(mtls(dir_->string(), p("device-0.key"), p("ca.crt")))).find("file_unreadable"),
            std::string::npos);
}

TEST_F(IdentityCheck, Pkcs12IsOpenedWithItsPasswordWhichNeverShows) {
  const std::string a = "  mode: mtls_with_pkcs12\n  pkcs12_filepath: " + p("device-{index}.p12") +
                        "\n  ca_filepath: " + p("ca.crt") + "\n  pkcs12_password: ";
  EXPECT_EQ(errors(check(a + kPassword + "\n")), "");
  const std::string e = errors(check(a + "WRONG-IDCHECK-SECRET\n"));
  EXPECT_NE(e.find("s.yaml:7:20: auth.pkcs12_password: wrong_password: pkcs12_filepath \"" + p("device-0.p12") +
                   "\": wrong pkcs12_password"),
            std::string::npos)
      << e;
  EXPECT_EQ(e.find("WRONG-IDCHECK-SECRET"), std::string::npos) << e;
  EXPECT_EQ(e.find(kPassword), std::string::npos) << e;
}

TEST_F(IdentityCheck, Pkcs11ModuleMustExistAndLoadButThePinIsNotTried) {
  const std::string a = "  mode: mtls_with_pkcs11\n  cert_filepath: " + p("device-0.crt") + "\n  ca_filepath: " +
                        p("ca.crt") + "\n  token_label: none\n  user_pin: IDCHECK-PIN-SECRET\n  pkcs11_lib: ";
  const std::string missing = errors(check(a + "/nonexistent/libnope.so\n"));
  EXPECT_NE(missing.find("auth.pkcs11_lib: file_missing: pkcs11_lib \"/nonexistent/libnope.so\": no such file"),
            std::string::npos)
      << missing;
  // A file that is no PKCS#11 module (this test binary): the engine cannot load it.
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string bad = errors(check(a + self + "\n"));
  EXPECT_NE(bad.find("auth.pkcs11_lib: pkcs11_module: PKCS#11: cannot load pkcs11_lib \"" + self + "\""),
            std::string::npos)
      << "errors: [" << bad << "]";
  EXPECT_EQ(bad.find("IDCHECK-PIN-SECRET"), std::string::npos) << bad;
}

TEST_F(IdentityCheck, OverlongConnectUsernameIsRefused) {
  const std::string a = "  mode: new_default_builder\n  ca_filepath: " + p("ca.crt") + "\n  username: \"" +
                        std::string(65530, 'u') + "{index}\"\n";
  // The SDK metrics suffix comes on top of the template: well over 65,535 bytes.
  const std::string e = errors(check(a));
  EXPECT_NE(e.find("auth.username: the CONNECT username of device 0 is "), std::string::npos) << e;
}


// With device groups every group's own identity is checked, for the group's first and last
// device, and a problem is named as the group's at its line in the file.
TEST_F(IdentityCheck, EachGroupsIdentityIsCheckedAndNamedAsTheGroups) {
  const std::string yaml =
      "target: {endpoint: \"127.0.0.1:8883\"}\n"                                     // 1
      "fleet: {devices: 6, client_id: \"{group}-{group_index}\"}\n"                  // 2
      "groups:\n"                                                                  // 3
      "  - {name: plain, devices: 2, auth: {mode: plain_tcp}, target: {endpoint: \"127.0.0.1:1883\"}}\n"  // 4
      "  - name: gw\n"                                                             // 5
      "    devices: 4\n"                                                           // 6
      "    auth:\n"                                                                // 7
      "      mode: mtls_from_path\n"                                               // 8
      "      cert_filepath: " + p("device-{group_index}.crt") + "\n"               // 9
      "      pri_key_filepath: " + p("nope-{group_index}.key") + "\n"              // 10
      "      ca_filepath: " + p("ca.crt") + "\n";                                  // 11
  const auto r = check_scenario(scenario::parse_scenario(yaml, "g.yaml"));
  // The gateways' devices 2..5 are the group's 0..3: the first one's key is already missing.
  EXPECT_EQ(errors(r), "g.yaml:10:25: groups.gw.auth.pri_key_filepath: file_missing: pri_key_filepath \"" +
                           p("nope-0.key") + "\": no such file (rendered for device 2)\n");
  // Fixed, the check passes and says which group's devices it loaded.
  std::string good = yaml;
  good.replace(good.find("nope-"), 5, "device-");
  const auto ok = check_scenario(scenario::parse_scenario(good, "g.yaml"));
  EXPECT_EQ(errors(ok), "");
  bool noted = false;
  for (const auto& n : ok.notes) noted = noted || (n.starts_with("groups.gw: ") && n.find("devices 2 and 5") != std::string::npos);
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace fleetload::auth
