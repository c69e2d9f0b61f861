// No secret leaves fleetload: fleets run (and `fleetload validate` checks) scenarios holding
// known secret values (private key PEM, PKCS#11 PIN, PKCS#12 password, MQTT password,
// custom-authorizer token and signature, AWS secret key and session token from the
// environment); stdout, stderr, the JSON and HTML reports and a /metrics scrape taken at the
// end of each run are searched for every one of them. The scrape also shows connect
// results by reason (a device refused by the broker among accepted ones).
#include <gtest/gtest.h>

#include <cstdlib>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "auth/certgen.hpp"
#include "e2e/auth_modes_support.hpp"
#include "e2e/child_process.hpp"
#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e::auth_modes {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAwsSecret = "awsSecretKx9Zp/QWk+Secret";
constexpr const char* kAwsSession = "awsSessionTokenMn55+Very/Long=";

// The run with its /metrics scrape, taken once the run reported its final values.
struct ScrapedRun {
  FleetRun run;
  std::string metrics;
};

ScrapedRun run_scraped(const std::string& yaml, const std::string& tag) {
  const fs::path dir = make_temp_dir("auth-secret-" + tag);
  const fs::path scenario = write_file(dir, "scenario.yaml", yaml);
  const fs::path report = dir / "report.json";
  const std::uint16_t port = pick_free_port();
  ChildProcess p = spawn_fleetload({"run", scenario.string(), "--report", report.string(), "--threads", "2",
                                    "--metrics-listen", "127.0.0.1:" + std::to_string(port), "--metrics-linger",
                                    "20s"},
                                   dir);
  ScrapedRun out;
  // The exporter stays up after the run until a scrape has seen the final values.
  wait_until(
      [&] {
        const HttpResponse r = http_get(port, "/metrics", 2000ms);
        if (r.status == 200) out.metrics = r.body;
        return sample_value(out.metrics, "fleetload_run_finished").value_or(0.0) == 1.0 || !p.running();
      },
      60s);
  out.run.outcome = finish(p, 60s, report);
  if (fs::exists(dir / "report.html")) out.run.html = read_file(dir / "report.html");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

std::string validate(const std::string& yaml, const std::string& tag) {
  const fs::path dir = make_temp_dir("auth-validate-" + tag);
  const Outcome o = run_fleetload({"validate", write_file(dir, "scenario.yaml", yaml).string()}, dir, 30s);
  EXPECT_EQ(o.status.code, 0) << o.describe();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return o.out + "\n" + o.err;
}

// Every line of a PEM body (the base64 of the key), which must never be shown.
std::vector<std::string> pem_body_lines(const fs::path& pem) {
  std::vector<std::string> lines;
  const std::string text = read_file(pem);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(start, nl - start);
    if (!line.empty() && !line.starts_with("-----")) lines.push_back(line);
    start = nl + 1;
  }
  return lines;
}

void expect_no_secret(const std::string& where, const std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    ASSERT_FALSE(s.empty());
    EXPECT_EQ(text.find(s), std::string::npos) << where << " shows the secret \"" << s << "\"";
  }
}

std::vector<std::string> all_secrets(const World& w) {
  std::vector<std::string> secrets = {kPin, kP12Password, kMqttPassword, kAuthzToken, kAuthzSignature,
                                      "c2ln%2BSig%2Fsecret%3D", kAwsSecret, kAwsSession};
  for (const auto& line : pem_body_lines(auth::device_key_path(w.good, 0))) secrets.push_back(line);
  return secrets;
}

void set_secret_environment(const World& w) {
  use_softhsm(w);
  ::setenv("SECRET_E2E_KEY", read_file(auth::device_key_path(w.good, 0)).c_str(), 1);
  ::setenv("SECRET_E2E_CERT", read_file(auth::device_cert_path(w.good, 0)).c_str(), 1);
  ::setenv("SECRET_E2E_PIN", kPin, 1);
  ::setenv("SECRET_E2E_P12", kP12Password, 1);
  ::setenv("SECRET_E2E_MQTT", kMqttPassword, 1);
  ::setenv("SECRET_E2E_TOKEN", kAuthzToken, 1);
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDFLEETLOADE2E", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", kAwsSecret, 1);
  ::setenv("AWS_SESSION_TOKEN", kAwsSession, 1);
}

struct Case {
  std::string tag;
  bool password_broker = false;  // else the client-certificate listener
  std::string auth;              // without the CA line
};

std::vector<Case> cases() {
  const World& w = world();
  return {
      {"mqtt_password", true,
       "  mode: new_default_builder\n  username: \"user-{index}\"\n  password: ${SECRET_E2E_MQTT}\n"},
      {"authorizer", true,
       std::string("  mode: direct_with_custom_authorizer\n  auth_username: \"ca-{index}\"\n") +
           "  auth_authorizer_name: FleetAuth\n  auth_authorizer_signature: \"" + kAuthzSignature + "\"\n" +
           "  auth_token_key_name: token\n  auth_token_value: ${SECRET_E2E_TOKEN}\n" +
           "  auth_password: ${SECRET_E2E_MQTT}\n"},
      {"key_bytes", false,
       "  mode: mtls_from_bytes\n  cert_bytes: ${SECRET_E2E_CERT}\n  pri_key_bytes: ${SECRET_E2E_KEY}\n"},
      {"pkcs12", false,
       "  mode: mtls_with_pkcs12\n  pkcs12_filepath: " + (w.good / "device-{index}.p12").string() +
           "\n  pkcs12_password: ${SECRET_E2E_P12}\n"},
      {"pkcs11", false,
       std::string("  mode: mtls_with_pkcs11\n  pkcs11_lib: ") + kSoftHsmLib +
           "\n  user_pin: ${SECRET_E2E_PIN}\n  token_label: " + kTokenLabel + "\n  private_key_label: " + kKeyLabel +
           "\n  cert_filepath: " + auth::device_cert_path(w.good, 0).string() + "\n"},
      // SigV4 from the standard environment variables, and from the scenario via ${ENV}.
      // mosquitto's TLS listener is no WebSocket server, so these attempts fail: their error
      // paths must not leak either.
      {"sigv4_env", false, "  mode: websockets_with_default_aws_signing\n  region: eu-west-1\n"},
      {"sigv4_scenario", false,
       "  mode: websockets_with_default_aws_signing\n  region: eu-west-1\n"
       "  credentials:\n    access_key_id: AKIDFLEETLOADE2E\n    secret_access_key: ${AWS_SECRET_ACCESS_KEY}\n"
       "    session_token: ${AWS_SESSION_TOKEN}\n"},
  };
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.tag; }

class AuthSecrets : public ::testing::TestWithParam<Case> {};

TEST_P(AuthSecrets, NoSecretInValidateRunOutputReportsOrMetrics) {
  const Case& c = GetParam();
  const World& w = world();
  set_secret_environment(w);
  const std::vector<std::string> secrets = all_secrets(w);
  // Password-file broker: device 1's password there differs, so one refusal shows up.
  const fs::path pw = w.dir / ("passwd-secrets-" + c.tag);
  std::vector<std::pair<std::string, std::string>> users;
  for (int i = 0; i < kDevices; ++i) {
    users.emplace_back(default_builder_username(i, false), i == 1 ? "other-password" : kMqttPassword);
    users.emplace_back(custom_authorizer_username(i, false), kMqttPassword);
  }
  write_password_file(pw, users);
  MosquittoBroker broker({.extra_config = c.password_broker ? password_listener(w, pw) : mtls_listener(w),
                          .log_connections = false});
  const std::string yaml =
      fleet_yaml(broker.port(), false, c.auth + "  ca_filepath: " + (w.good / "ca.crt").string() + "\n");

  const std::string checked = validate(yaml, c.tag);
  // The secret fields are there, masked (sigv4_env has none: its secrets are in the environment).
  if (c.tag != "sigv4_env") {
    EXPECT_NE(checked.find("\"***\""), std::string::npos) << checked;
  }
  expect_no_secret("validate", checked, secrets);

  const ScrapedRun r = run_scraped(yaml, c.tag);
  const bool websocket = c.tag.starts_with("sigv4");
  if (!websocket) {  // the WebSocket modes may be refused before the run starts
    ASSERT_TRUE(r.run.outcome.report.has_value()) << r.run.outcome.describe();
    EXPECT_FALSE(r.run.html.empty()) << r.run.outcome.describe();
    EXPECT_FALSE(r.metrics.empty()) << r.run.outcome.describe();
  }
  expect_no_secret("run output and reports", r.run.all_output(), secrets);
  expect_no_secret("/metrics", r.metrics, secrets);
  if (websocket) return;
  const std::uint64_t ok = counter(*r.run.outcome.report, "connects_ok");
  if (c.tag == "mqtt_password") {
    EXPECT_EQ(ok, static_cast<std::uint64_t>(kDevices - 1)) << r.run.outcome.describe();
    // Connect results by result and reason, from the scrape at the end of the run.
    EXPECT_EQ(sample_value(r.metrics, "fleetload_connect_results_total", {"result=\"accepted\""}),
              static_cast<double>(kDevices - 1))
        << r.metrics;
    EXPECT_GE(sample_value(r.metrics, "fleetload_connect_results_total", {"result=\"connack_refused\""})
                  .value_or(0.0),
              1.0)
        << r.metrics;
  } else {
    EXPECT_EQ(ok, static_cast<std::uint64_t>(kDevices)) << r.run.outcome.describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, AuthSecrets, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.tag; });

}  // namespace
}  // namespace fleetload::e2e::auth_modes
