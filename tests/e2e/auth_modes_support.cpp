// PKI, SoftHSM2 token, mosquitto configurations and fleetload runs for the auth-mode e2e tests.
#include "e2e/auth_modes_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "auth/certgen.hpp"
#include "e2e/child_process.hpp"

namespace fleetload::e2e::auth_modes {

namespace {

void must_run(const std::string& cmd) {
  const int status = std::system((cmd + " >/dev/null 2>&1").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("test set-up failed: " + cmd);
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

World::World() {
  dir = make_temp_dir("auth-modes");
  good = dir / "good";
  foreign = dir / "foreign";
  auth::CertOptions o;
  o.out_dir = good;
  o.devices = kDevices;
  o.threads = 2;
  o.client_id = "dev-{index}";
  auth::generate_fleet_certs(o);
  o.out_dir = foreign;
  o.ca_common_name = "someone else's CA";
  auth::generate_fleet_certs(o);
  // PKCS#12 bundles by the openssl tool: an implementation independent of ours.
  for (int i = 0; i < kDevices; ++i) {
    must_run("openssl pkcs12 -export -in " + auth::device_cert_path(good, i).string() + " -inkey " +
             auth::device_key_path(good, i).string() + " -certfile " + (good / "ca.crt").string() + " -out " +
             auth::device_p12_path(good, i).string() + " -passout pass:" + kP12Password);
  }

  // SoftHSM2: a token of our own in the temp dir, device 0's key imported into it.
  fs::create_directories(dir / "tokens");
  softhsm_conf = dir / "softhsm2.conf";
  std::ofstream(softhsm_conf) << "directories.tokendir = " << (dir / "tokens").string()
                              << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  use_softhsm(*this);
  must_run(std::string("softhsm2-util --init-token --free --label ") + kTokenLabel + " --pin " + kPin +
           " --so-pin 97531024");
  must_run("softhsm2-util --import " + auth::device_key_path(good, 0).string() + " --token " + kTokenLabel +
           " --label " + kKeyLabel + " --id 01 --pin " + kPin);
}

World::~World() {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

const World& world() {
  static const World w;
  return w;
}

void use_softhsm(const World& w) { ::setenv("SOFTHSM2_CONF", w.softhsm_conf.c_str(), 1); }

std::string mtls_listener(const World& w) {
  return "cafile " + (w.good / "ca.crt").string() + "\ncertfile " + (w.good / "server.crt").string() +
         "\nkeyfile " + (w.good / "server.key").string() + "\nrequire_certificate true\n";
}

std::string password_listener(const World& w, const fs::path& password_file) {
  return "certfile " + (w.good / "server.crt").string() + "\nkeyfile " + (w.good / "server.key").string() +
         "\npassword_file " + password_file.string() + "\nallow_anonymous false\n";
}

void write_password_file(const fs::path& file, const std::vector<std::pair<std::string, std::string>>& users) {
  fs::remove(file);
  { std::ofstream create(file); }
  for (const auto& [user, pass] : users)
    must_run("mosquitto_passwd -b " + quote(file.string()) + " " + quote(user) + " " + quote(pass));
}

std::string metrics_suffix(bool mqtt5) {
  return std::string("SDK=IoTDeviceSDK/Python&Platform=Unix&Metadata=(CRTVersion=0.24.0;IoTSDKVersion=1.24.0;") +
         "IoTSDKFeature=" + (mqtt5 ? "F/5" : "F/3") + ";IoTSDKMetricsVersion=1)";
}

std::string default_builder_username(int index, bool mqtt5) {
  return "user-" + std::to_string(index) + "?" + metrics_suffix(mqtt5);
}

std::string custom_authorizer_username(int index, bool mqtt5) {
  const std::string name = "x-amz-customauthorizer-name=FleetAuth";
  const std::string sig = "x-amz-customauthorizer-signature=c2ln%2BSig%2Fsecret%3D";  // URI-encoded
  const std::string token = std::string("token=") + kAuthzToken;
  // Current SDKs: MQTT 5 puts the token before the signature (aws doc §4).
  const std::string params = mqtt5 ? name + "&" + token + "&" + sig : name + "&" + sig + "&" + token;
  return "ca-" + std::to_string(index) + "?" + params + "&" + metrics_suffix(mqtt5);
}

std::string fleet_yaml(std::uint16_t port, bool mqtt5, const std::string& auth, int devices, bool pubsub) {
  std::string y = "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: " +
                  (mqtt5 ? "mqtt5" : "mqtt311") + ", connect_timeout: 3s}\n" +
                  "fleet: {devices: " + std::to_string(devices) + ", connect_rate: 100/s, client_id: \"dev-{index}\"}\n"
                  "session: {keepalive: 30s, clean_session: true}\n"
                  "reconnect: {min_delay: 300ms, max_delay: 600ms}\n"
                  "auth:\n" + auth;
  if (pubsub) {
    y += "publish: {topic: \"auth/{index}/t\", qos: 1, rate: 5/s, payload: 32B}\n"
         "subscribe: {filters: [{filter: \"auth/+/t\", qos: 1}], subscribers: 2}\n";
  }
  // Identities load on each device's first connect (slow under ASan), hence the settle phase.
  y += "phases:\n  - type: ramp\n  - {name: settle, type: steady, duration: 1500ms}\n"
       "  - {name: hold, type: steady, duration: 1500ms}\n";
  return y;
}

const boost::json::value& FleetRun::report() const {
  if (!outcome.report) throw std::runtime_error("no JSON report: " + outcome.describe());
  return *outcome.report;
}

std::string FleetRun::all_output() const {
  std::string all = outcome.out + "\n" + outcome.err + "\n" + html + "\n";
  if (outcome.report) all += boost::json::serialize(*outcome.report);
  return all;
}

FleetRun run_fleet(const std::string& yaml, const std::string& tag, std::vector<std::string> extra_args) {
  const fs::path dir = make_temp_dir("auth-run-" + tag);
  const fs::path scenario = write_file(dir, "scenario.yaml", yaml);
  const fs::path report = dir / "report.json";
  std::vector<std::string> args = {"run", scenario.string(), "--report", report.string(), "--no-progress",
                                   "--threads", "2", "--no-metrics"};
  // A caller's --metrics-listen replaces --no-metrics.
  for (const auto& a : extra_args) {
    if (a.starts_with("--metrics")) std::erase(args, std::string("--no-metrics"));
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  FleetRun r;
  r.outcome = run_fleetload(args, dir, std::chrono::seconds(60), report);
  const fs::path html = dir / "report.html";
  if (fs::exists(html)) r.html = read_file(html);
  std::error_code ec;
  fs::remove_all(dir, ec);  // everything worth keeping is in `r`
  return r;
}

std::uint64_t failure_cause(const boost::json::value& report, const std::string& result, const std::string& reason) {
  const auto* causes = report.at("errors").as_object().if_contains("connect_failures");
  if (causes == nullptr) return 0;
  for (const auto& c : causes->as_array()) {
    if (c.at("result").as_string() == result && c.at("reason").as_string() == reason) return u64(c.at("count"));
  }
  return 0;
}

std::uint64_t connack_count(const boost::json::value& report, unsigned code) {
  for (const auto& c : report.at("totals").at("connack_codes").as_array()) {
    if (u64(c.at("code")) == code) return u64(c.at("count"));
  }
  return 0;
}

}  // namespace fleetload::e2e::auth_modes
