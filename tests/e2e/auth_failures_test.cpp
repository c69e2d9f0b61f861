// Credential failures through the fleetload binary against a real mosquitto: unknown CA,
// wrong key (certificate/key mismatch, certificate from another CA), wrong PKCS#11 PIN,
// wrong PKCS#12 password, wrong MQTT password. Each is counted by reason in the JSON report
// (errors.connect_failures) and the summary, with a clear message, and the devices with good
// credentials in the same fleet connect and publish regardless.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "auth/certgen.hpp"
#include "e2e/auth_modes_support.hpp"
#include "e2e/child_process.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e::auth_modes {
namespace {

// Connected devices carried on: every good device connected exactly once and the QoS 1
// books balance with acknowledgements.
void expect_good_devices_worked(const FleetRun& r, std::uint64_t good) {
  const auto& rep = r.report();
  EXPECT_EQ(counter(rep, "connects_ok"), good) << r.outcome.describe();
  EXPECT_EQ(counter(rep, "drops"), 0u);
  EXPECT_GT(qos_counter(rep, "publishes_acked", 1), 0u);
  EXPECT_EQ(qos_counter(rep, "ack_timeouts", 1), 0u);
}

TEST(AuthFailures, WrongKeyAndForeignCertificateFailWhileTheRestConnect) {
  const World& w = world();
  // device 1: its certificate with device 2's key; device 3: a certificate of another CA.
  const fs::path mixed = make_temp_dir("auth-mixed");
  for (int i = 0; i < kDevices; ++i) {
    const fs::path& from = i == 3 ? w.foreign : w.good;
    fs::copy_file(auth::device_cert_path(from, i), auth::device_cert_path(mixed, i));
    fs::copy_file(auth::device_key_path(from, i == 1 ? 2 : i), auth::device_key_path(mixed, i));
  }
  MosquittoBroker broker({.extra_config = mtls_listener(w), .log_connections = false});
  const std::string a = "  mode: mtls_from_path\n  cert_filepath: " + (mixed / "device-{index}.crt").string() +
                        "\n  pri_key_filepath: " + (mixed / "device-{index}.key").string() +
                        "\n  ca_filepath: " + (w.good / "ca.crt").string() + "\n";
  const FleetRun r = run_fleet(fleet_yaml(broker.port(), true, a), "wrong-key");
  ASSERT_EQ(r.outcome.status.code, 0) << r.outcome.describe();
  expect_good_devices_worked(r, kDevices - 2);
  const auto& rep = r.report();
  EXPECT_GE(failure_cause(rep, "identity_failed", "wrong_key"), 1u) << r.outcome.out;
  // The refusal of the foreign certificate: named by the broker's alert, or, when the reset
  // overtook the alert (a race TLS 1.3 leaves open), by the reset right after the handshake.
  // Never a plain socket error.
  const std::uint64_t rejected = failure_cause(rep, "tls_failed", "client_cert_rejected");
  const std::uint64_t reset = failure_cause(rep, "tls_failed", "reset_after_handshake");
  EXPECT_GE(rejected + reset, 1u) << r.outcome.out;
  EXPECT_EQ(rep.at("totals").at("connect_failed_by_reason").at("socket_error").to_number<std::uint64_t>(), 0u)
      << r.outcome.out;
  // The summary says it too, and the identity message names the files.
  EXPECT_NE(r.outcome.out.find("identity_failed/wrong_key"), std::string::npos) << r.outcome.out;
  EXPECT_NE(r.outcome.out.find(rejected ? "tls_failed/client_cert_rejected" : "tls_failed/reset_after_handshake"),
            std::string::npos)
      << r.outcome.out;
  const std::string why = rep.at("errors").at("identity_error").as_string().c_str();
  EXPECT_NE(why.find("device-1.key"), std::string::npos) << why;
  EXPECT_NE(why.find("does not match"), std::string::npos) << why;
  fs::remove_all(mixed);
}

TEST(AuthFailures, UnknownBrokerCaIsCountedByReason) {
  const World& w = world();
  MosquittoBroker broker({.extra_config = mtls_listener(w), .log_connections = false});
  const std::string a = "  mode: mtls_from_path\n  cert_filepath: " + (w.good / "device-{index}.crt").string() +
                        "\n  pri_key_filepath: " + (w.good / "device-{index}.key").string() +
                        "\n  ca_filepath: " + (w.foreign / "ca.crt").string() + "\n";
  const FleetRun r = run_fleet(fleet_yaml(broker.port(), false, a, kDevices, false), "unknown-ca");
  ASSERT_EQ(r.outcome.status.code, 4) << "no device connected: inconclusive\n" << r.outcome.describe();
  const auto& rep = r.report();
  EXPECT_EQ(counter(rep, "connects_ok"), 0u);
  EXPECT_GE(failure_cause(rep, "tls_failed", "unknown_ca"), static_cast<std::uint64_t>(kDevices)) << r.outcome.out;
  EXPECT_NE(r.outcome.out.find("tls_failed/unknown_ca"), std::string::npos) << r.outcome.out;
}

TEST(AuthFailures, WrongPkcs12PasswordFailsOnlyThatDevice) {
  const World& w = world();
  // Device 2's bundle is re-exported under another password.
  const fs::path dir = make_temp_dir("auth-p12");
  for (int i = 0; i < kDevices; ++i) fs::copy_file(auth::device_p12_path(w.good, i), auth::device_p12_path(dir, i));
  fs::remove(auth::device_p12_path(dir, 2));
  const std::string cmd = "openssl pkcs12 -export -in " + auth::device_cert_path(w.good, 2).string() + " -inkey " +
                          auth::device_key_path(w.good, 2).string() + " -out " +
                          auth::device_p12_path(dir, 2).string() + " -passout pass:another-password";
  ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
  MosquittoBroker broker({.extra_config = mtls_listener(w), .log_connections = false});
  ::setenv("AUTH_E2E_P12_PASSWORD", kP12Password, 1);
  const std::string a = "  mode: mtls_with_pkcs12\n  pkcs12_filepath: " + (dir / "device-{index}.p12").string() +
                        "\n  pkcs12_password: ${AUTH_E2E_P12_PASSWORD}\n  ca_filepath: " +
                        (w.good / "ca.crt").string() + "\n";
  const FleetRun r = run_fleet(fleet_yaml(broker.port(), false, a), "wrong-p12");
  ASSERT_EQ(r.outcome.status.code, 0) << r.outcome.describe();
  expect_good_devices_worked(r, kDevices - 1);
  const auto& rep = r.report();
  EXPECT_GE(failure_cause(rep, "identity_failed", "wrong_password"), 1u) << r.outcome.out;
  const std::string why = rep.at("errors").at("identity_error").as_string().c_str();
  EXPECT_NE(why.find("device-2.p12"), std::string::npos) << why;
  EXPECT_NE(why.find("password"), std::string::npos) << why;
  fs::remove_all(dir);
}

TEST(AuthFailures, WrongPkcs11PinIsCountedAndNeverShown) {
  const World& w = world();
  use_softhsm(w);
  MosquittoBroker broker({.extra_config = mtls_listener(w), .log_connections = false});
  ::setenv("AUTH_E2E_WRONG_PIN", kWrongPin, 1);
  const std::string a = std::string("  mode: mtls_with_pkcs11\n  pkcs11_lib: ") + kSoftHsmLib +
                        "\n  user_pin: ${AUTH_E2E_WRONG_PIN}\n  token_label: " + kTokenLabel +
                        "\n  private_key_label: " + kKeyLabel + "\n  cert_filepath: " +
                        auth::device_cert_path(w.good, 0).string() + "\n  ca_filepath: " +
                        (w.good / "ca.crt").string() + "\n";
  const FleetRun r = run_fleet(fleet_yaml(broker.port(), true, a, 2, false), "wrong-pin");
  ASSERT_EQ(r.outcome.status.code, 4) << "no device connected: inconclusive\n" << r.outcome.describe();
  const auto& rep = r.report();
  EXPECT_EQ(counter(rep, "connects_ok"), 0u);
  EXPECT_GE(failure_cause(rep, "identity_failed", "wrong_pin"), 2u) << r.outcome.out;
  EXPECT_NE(r.outcome.out.find("identity_failed/wrong_pin"), std::string::npos) << r.outcome.out;
  // A wrong PIN is our fault, not the broker's.
  EXPECT_EQ(u64(rep.at("errors").at("local")), failure_cause(rep, "identity_failed", "wrong_pin"));
  EXPECT_EQ(u64(rep.at("errors").at("broker")), 0u);
  EXPECT_EQ(r.all_output().find(kWrongPin), std::string::npos);
  // The token itself is fine: the right PIN connects (another process, fresh engine).
  ::setenv("AUTH_E2E_WRONG_PIN", kPin, 1);
  const FleetRun ok = run_fleet(fleet_yaml(broker.port(), true, a, 2, false), "right-pin");
  EXPECT_EQ(counter(ok.report(), "connects_ok"), 2u) << ok.outcome.describe();
}

TEST(AuthFailures, WrongMqttPasswordIsRefusedByConnackWhileTheRestConnect) {
  const World& w = world();
  for (const bool mqtt5 : {false, true}) {
    // The broker knows device 1 under another password.
    std::vector<std::pair<std::string, std::string>> users;
    for (int i = 0; i < kDevices; ++i)
      users.emplace_back(default_builder_username(i, mqtt5), i == 1 ? "not-the-password" : kMqttPassword);
    const fs::path pw = w.dir / (mqtt5 ? "passwd-wrong-5" : "passwd-wrong-3");
    write_password_file(pw, users);
    MosquittoBroker broker({.extra_config = password_listener(w, pw), .log_connections = false});
    ::setenv("AUTH_E2E_MQTT_PASSWORD", kMqttPassword, 1);
    const std::string a = "  mode: new_default_builder\n  username: \"user-{index}\"\n"
                          "  password: ${AUTH_E2E_MQTT_PASSWORD}\n  ca_filepath: " +
                          (w.good / "ca.crt").string() + "\n";
    const FleetRun r = run_fleet(fleet_yaml(broker.port(), mqtt5, a), mqtt5 ? "wrong-pw-5" : "wrong-pw-3");
    ASSERT_EQ(r.outcome.status.code, 0) << r.outcome.describe();
    expect_good_devices_worked(r, kDevices - 1);
    const auto& rep = r.report();
    // mosquitto answers a bad password with "not authorized" (3.1.1 code 5, MQTT 5 0x87)
    // or "bad user name or password" (4 / 0x86), depending on its version.
    const std::uint64_t refused =
        mqtt5 ? failure_cause(rep, "connack_refused", "not_authorized") +
                    failure_cause(rep, "connack_refused", "bad_user_name_or_password")
              : failure_cause(rep, "connack_refused", "not_authorized") +
                    failure_cause(rep, "connack_refused", "bad_username_or_password");
    EXPECT_GE(refused, 1u) << r.outcome.out;
    EXPECT_NE(r.outcome.out.find("connack_refused/"), std::string::npos) << r.outcome.out;
    EXPECT_EQ(r.all_output().find(kMqttPassword), std::string::npos);
  }
}

}  // namespace
}  // namespace fleetload::e2e::auth_modes
