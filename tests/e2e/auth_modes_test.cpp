// Every non-WebSocket SDK builder x {MQTT 3.1.1, MQTT 5}: the fleetload binary runs a fleet
// that connects, publishes at QoS 1 and receives on subscriptions against a real mosquitto
// started by the test, with certificates, PKCS#12 bundles, a SoftHSM2 token and a password
// file made by the test. For the password-file modes the file holds only the username the
// SDK would send (written out in auth_modes_support.cpp from aws doc §1/§4), so being
// accepted proves the username on the wire, byte for byte.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ostream>
#include <string>

#include "auth/certgen.hpp"
#include "e2e/auth_modes_support.hpp"
#include "e2e/child_process.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e::auth_modes {
namespace {

// A PEM file as a YAML block scalar under an auth key.
std::string block(const std::string& key, const fs::path& pem) {
  std::string out = "  " + key + ": |\n";
  std::string text = read_file(pem);
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == std::string::npos ? text.size() : nl;
    if (end > start) out += "    " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

struct Mode {
  std::string name;
  bool password_file = false;  // else: client certificates required
};

// The auth section of `mode` for a fleet of kDevices. Sets the environment variables the
// section refers to.
std::string auth_section(const std::string& mode, const World& w, bool mqtt5) {
  const std::string ca = "  ca_filepath: " + (w.good / "ca.crt").string() + "\n";
  if (mode == "mtls_from_path") {
    return "  mode: mtls_from_path\n  cert_filepath: " + (w.good / "device-{index}.crt").string() +
           "\n  pri_key_filepath: " + (w.good / "device-{index}.key").string() + "\n" + ca;
  }
  if (mode == "mtls_from_bytes_inline") {
    return "  mode: mtls_from_bytes\n" + block("cert_bytes", auth::device_cert_path(w.good, 0)) +
           block("pri_key_bytes", auth::device_key_path(w.good, 0)) + ca;
  }
  if (mode == "mtls_from_bytes_env") {
    ::setenv("AUTH_E2E_CERT", read_file(auth::device_cert_path(w.good, 1)).c_str(), 1);
    ::setenv("AUTH_E2E_KEY", read_file(auth::device_key_path(w.good, 1)).c_str(), 1);
    ::setenv("AUTH_E2E_CA", read_file(w.good / "ca.crt").c_str(), 1);
    return "  mode: mtls_from_bytes\n  cert_bytes: ${AUTH_E2E_CERT}\n  pri_key_bytes: ${AUTH_E2E_KEY}\n"
           "  ca_bytes: ${AUTH_E2E_CA}\n";
  }
  if (mode == "mtls_with_pkcs12") {
    ::setenv("AUTH_E2E_P12_PASSWORD", kP12Password, 1);
    return "  mode: mtls_with_pkcs12\n  pkcs12_filepath: " + (w.good / "device-{index}.p12").string() +
           "\n  pkcs12_password: ${AUTH_E2E_P12_PASSWORD}\n" + ca;
  }
  if (mode == "mtls_with_pkcs11") {
    use_softhsm(w);
    ::setenv("AUTH_E2E_PIN", kPin, 1);
    return std::string("  mode: mtls_with_pkcs11\n  pkcs11_lib: ") + kSoftHsmLib +
           "\n  user_pin: ${AUTH_E2E_PIN}\n  token_label: " + kTokenLabel + "\n  private_key_label: " + kKeyLabel +
           "\n  cert_filepath: " + auth::device_cert_path(w.good, 0).string() + "\n" + ca;
  }
  if (mode == "new_default_builder") {
    ::setenv("AUTH_E2E_MQTT_PASSWORD", kMqttPassword, 1);
    return "  mode: new_default_builder\n  username: \"user-{index}\"\n  password: ${AUTH_E2E_MQTT_PASSWORD}\n" + ca;
  }
  // direct_with_custom_authorizer, signed, token per scenario (the SDK's parameters).
  (void)mqtt5;
  return std::string("  mode: direct_with_custom_authorizer\n  auth_username: \"ca-{index}\"\n") +
         "  auth_authorizer_name: FleetAuth\n  auth_authorizer_signature: \"" + kAuthzSignature + "\"\n" +
         "  auth_token_key_name: token\n  auth_token_value: " + kAuthzToken + "\n" +
         "  auth_password: " + kMqttPassword + "\n" + ca;
}

void PrintTo(const Mode& m, std::ostream* os) { *os << m.name; }

class AuthModes : public ::testing::TestWithParam<std::tuple<Mode, bool>> {};

TEST_P(AuthModes, ConnectPublishSubscribeAgainstMosquitto) {
  const auto& [mode, mqtt5] = GetParam();
  const World& w = world();
  const fs::path pw = w.dir / ("passwd-" + mode.name + (mqtt5 ? "-5" : "-3"));
  if (mode.password_file) {
    std::vector<std::pair<std::string, std::string>> users;
    for (int i = 0; i < kDevices; ++i) {
      users.emplace_back(mode.name == "new_default_builder" ? default_builder_username(i, mqtt5)
                                                             : custom_authorizer_username(i, mqtt5),
                         kMqttPassword);
    }
    write_password_file(pw, users);
  }
  MosquittoBroker broker({.extra_config = mode.password_file ? password_listener(w, pw) : mtls_listener(w),
                          .log_connections = true});
  const FleetRun r = run_fleet(fleet_yaml(broker.port(), mqtt5, auth_section(mode.name, w, mqtt5)), mode.name);
  ASSERT_EQ(r.outcome.status.code, 0) << r.outcome.describe() << broker.log();
  const auto& rep = r.report();
  EXPECT_EQ(counter(rep, "connects_ok"), static_cast<std::uint64_t>(kDevices)) << r.outcome.describe() << broker.log();
  EXPECT_EQ(counter(rep, "connect_failures"), 0u) << r.outcome.out;
  EXPECT_EQ(counter(rep, "drops"), 0u);
  EXPECT_TRUE(rep.at("errors").at("connect_failures").as_array().empty()) << r.outcome.out;
  EXPECT_GT(qos_counter(rep, "publish_requests", 1), 0u);
  EXPECT_EQ(qos_counter(rep, "publishes_acked", 1), qos_counter(rep, "publish_requests", 1));
  EXPECT_GT(counter(rep, "messages_received"), 0u);
  EXPECT_EQ(counter(rep, "messages_lost"), 0u);
  EXPECT_EQ(counter(rep, "messages_duplicated"), 0u);
  EXPECT_EQ(u64(histogram(rep, "tls_handshake").at("count")), static_cast<std::uint64_t>(kDevices));
}

INSTANTIATE_TEST_SUITE_P(
    SdkBuilders, AuthModes,
    ::testing::Combine(::testing::Values(Mode{"mtls_from_path"}, Mode{"mtls_from_bytes_inline"},
                                         Mode{"mtls_from_bytes_env"}, Mode{"mtls_with_pkcs12"},
                                         Mode{"mtls_with_pkcs11"}, Mode{"new_default_builder", true},
                                         Mode{"direct_with_custom_authorizer", true}),
                       ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<Mode, bool>>& i) {
      return std::get<0>(i.param).name + (std::get<1>(i.param) ? "_mqtt5" : "_mqtt311");
    });

TEST(AuthModes, WindowsCertStoreIsRefusedAtValidationWithAClearMessage) {
  const fs::path dir = make_temp_dir("auth-windows");
  const fs::path scenario = write_file(
      dir, "windows.yaml",
      fleet_yaml(8883, false, "  mode: mtls_with_windows_cert_store_path\n  cert_store_path: \"CurrentUser\\\\MY\\\\A1B2\"\n"));
  for (const char* cmd : {"validate", "run"}) {
    const Outcome o = run_fleetload({cmd, scenario.string()}, dir, std::chrono::seconds(30));
    EXPECT_EQ(o.status.code, 2) << cmd << ": " << o.describe();
    const std::string all = o.out + o.err;
    EXPECT_NE(all.find("windows.yaml"), std::string::npos) << all;  // names the file
    EXPECT_NE(all.find("mtls_with_windows_cert_store_path"), std::string::npos) << all;
    EXPECT_NE(all.find("only on Windows"), std::string::npos) << all;
    EXPECT_NE(all.find("mtls_with_pkcs12"), std::string::npos) << all;  // says what to use instead
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::e2e::auth_modes
