// `fleetload responder` end to end: a real mosquitto, the real binary, and a device of the
// test's own (tests/e2e/responder_client.py: Debian's paho-mqtt and cbor2, not our codec):
// shadow get 404 -> update -> get accepted with version 1, the delta after a desired change,
// a 409 version conflict; a job QUEUED -> notify-next -> start-next -> SUCCEEDED with versions
// (MQTT 3.1.1 and 5); provisioning by claim in JSON and CBOR, then a TLS connection with the
// issued certificate that a mosquitto listener requiring client certificates from the
// responder's CA accepts (and one from another CA that it refuses); bad configuration exits 2.
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "auth/certgen.hpp"
#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

json::value J(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }

class ResponderE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("responder-e2e");
    pki_ = dir_ / "pki";
    auth::CertOptions o;
    o.out_dir = pki_;
    o.devices = 1;
    o.threads = 1;
    auth::generate_fleet_certs(o);
    tls_port_ = pick_free_port();
    MosquittoBroker::Options bo;
    // A second listener that only accepts client certificates from the responder's CA.
    bo.extra_config = "listener " + std::to_string(tls_port_) + " 127.0.0.1\ncafile " + (pki_ / "ca.crt").string() +
                      "\ncertfile " + (pki_ / "server.crt").string() + "\nkeyfile " + (pki_ / "server.key").string() +
                      "\nrequire_certificate true\nuse_identity_as_username true\n";
    broker_.emplace(bo);
  }
  void TearDown() override {
    if (responder_ && responder_->running()) responder_->kill_and_wait();
    broker_.reset();
    std::error_code ec;
    if (std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_, ec);
  }

  // Starts the responder with `config` (YAML) and waits until it is subscribed.
  void start_responder(const std::string& config, const std::string& protocol = "3.1.1",
                       std::vector<std::string> extra = {}) {
    const fs::path file = write_file(dir_, "responder.yaml", config);
    std::vector<std::string> args{"responder", "--config", file.string(), "--broker",
                                  "127.0.0.1:" + std::to_string(broker_->port()), "--protocol", protocol,
                                  "--duration", "60s"};
    args.insert(args.end(), extra.begin(), extra.end());
    responder_.emplace(spawn_fleetload(args, dir_, "responder"));
    ASSERT_TRUE(wait_for_stderr(*responder_, "fleetload responder: ready", 15s))
        << responder_->stderr_text() << "\nbroker log:\n" << broker_->log();
  }

  // Stops the responder with SIGTERM; returns its summary (stdout) after checking exit 0.
  std::string stop_responder() {
    responder_->send_signal(SIGTERM);
    const Outcome o = finish(*responder_, 20s);
    EXPECT_EQ(o.status.code, 0) << o.describe();
    return o.out;
  }

  // Runs the client program (steps, see responder_client.py); returns its output document.
  json::value device(json::array steps, int protocol = 4) {
    json::object program{{"port", broker_->port()}, {"protocol", protocol}, {"client_id", "dev-" + std::to_string(++n_)},
                         {"steps", std::move(steps)}};
    const fs::path file = write_file(dir_, "program-" + std::to_string(n_) + ".json", json::serialize(program));
    ChildProcess p({"/usr/bin/python3", (source_dir() / "tests/e2e/responder_client.py").string(), file.string()},
                   dir_ / ("client-" + std::to_string(n_) + ".out"), dir_ / ("client-" + std::to_string(n_) + ".err"));
    auto st = p.wait_for(60s);
    if (!st) p.kill_and_wait();
    EXPECT_TRUE(st && st->code == 0) << "client: " << p.stdout_text() << p.stderr_text() << "\nresponder:\n"
                                     << (responder_ ? responder_->stderr_text() : "");
    try {
      return J(p.stdout_text());
    } catch (const std::exception&) {
      ADD_FAILURE() << "client output is not JSON: " << p.stdout_text() << p.stderr_text();
      return json::object{};
    }
  }

  static const json::value& payload(const json::value& out, std::size_t i) {
    return out.at("received").at(i).at("payload");
  }
  // A device runs one job: notify-next, start-next, a refused update, SUCCEEDED.
  void job_flow(int protocol);

  fs::path dir_, pki_;
  std::uint16_t tls_port_ = 0;
  std::optional<MosquittoBroker> broker_;
  std::optional<ChildProcess> responder_;
  int n_ = 0;
};

const std::string kShadow = "$aws/things/dev-1/shadow";

TEST_F(ResponderE2e, ShadowGet404ThenUpdateThenGetVersion1ThenDeltaAndConflict) {
  start_responder("services: [shadow]\n");
  const json::value out = device(json::array{
      json::object{{"sub", json::array{kShadow + "/get/accepted", kShadow + "/get/rejected", kShadow + "/update/accepted",
                                       kShadow + "/update/rejected", kShadow + "/update/delta"}}},
      json::object{{"pub", kShadow + "/get"}, {"text", ""}},
      json::object{{"wait", kShadow + "/get/rejected"}},
      json::object{{"pub", kShadow + "/update"}, {"json", J(R"({"state":{"reported":{"fw":"1.0"}},"clientToken":"r1"})")}},
      json::object{{"wait", kShadow + "/update/accepted"}},
      json::object{{"pub", kShadow + "/get"}, {"json", J(R"({"clientToken":"g2"})")}},
      json::object{{"wait", kShadow + "/get/accepted"}},
      // An app sets desired: the device's delta subscription gets the difference.
      json::object{{"pub", kShadow + "/update"}, {"json", J(R"({"state":{"desired":{"fw":"2.0"}},"clientToken":"app"})")}},
      json::object{{"wait", kShadow + "/update/accepted"}},
      json::object{{"wait", kShadow + "/update/delta"}},
      json::object{{"pub", kShadow + "/update"}, {"json", J(R"({"state":{"reported":{"fw":"2.0"}},"version":1})")}},
      json::object{{"wait", kShadow + "/update/rejected"}},
  });
  ASSERT_EQ(out.at("received").as_array().size(), 6u) << out;
  EXPECT_EQ(payload(out, 0).at("code"), 404);
  EXPECT_EQ(payload(out, 0).at("message"), "No shadow exists with name: 'dev-1'");
  EXPECT_EQ(payload(out, 1).at("version"), 1);
  EXPECT_EQ(payload(out, 1).at("clientToken"), "r1");
  EXPECT_EQ(payload(out, 2).at("version"), 1);
  EXPECT_EQ(payload(out, 2).at("state"), J(R"({"reported":{"fw":"1.0"}})"));
  EXPECT_EQ(payload(out, 2).at("clientToken"), "g2");
  EXPECT_EQ(payload(out, 3).at("version"), 2);
  EXPECT_EQ(payload(out, 4).at("state"), J(R"({"fw":"2.0"})"));
  EXPECT_EQ(payload(out, 4).at("version"), 2);
  EXPECT_EQ(payload(out, 5).at("code"), 409);
  EXPECT_EQ(payload(out, 5).at("message"), "Version conflict");
  const std::string summary = stop_responder();
  EXPECT_NE(summary.find("404: 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("409: 1"), std::string::npos) << summary;
}

void ResponderE2e::job_flow(int protocol) {
  const std::string jobs = "$aws/things/dev-1/jobs/";
  const json::value out = device(
      json::array{
          json::object{{"sub", json::array{jobs + "notify-next", jobs + "get/accepted", jobs + "start-next/accepted",
                                           jobs + "fw-7/update/accepted", jobs + "fw-7/update/rejected"}}},
          // The first request makes the thing "seen": the continuous job queues an execution.
          json::object{{"pub", jobs + "get"}, {"json", J(R"({"clientToken":"g"})")}},
          json::object{{"wait", jobs + "notify-next"}},
          json::object{{"wait", jobs + "get/accepted"}},
          json::object{{"pub", jobs + "start-next"}, {"json", J(R"({"statusDetails":{"step":"download"}})")}},
          json::object{{"wait", jobs + "start-next/accepted"}},
          json::object{{"pub", jobs + "fw-7/update"}, {"json", J(R"({"status":"SUCCEEDED","expectedVersion":1})")}},
          json::object{{"wait", jobs + "fw-7/update/rejected"}},
          json::object{{"pub", jobs + "fw-7/update"},
                       {"json", J(R"({"status":"SUCCEEDED","expectedVersion":2,"includeJobExecutionState":true})")}},
          json::object{{"wait", jobs + "fw-7/update/accepted"}},
          json::object{{"wait", jobs + "notify-next"}},
      },
      protocol);
  ASSERT_EQ(out.at("received").as_array().size(), 6u) << out;
  const json::value& next = payload(out, 0);
  EXPECT_EQ(next.at("execution").at("jobId"), "fw-7");
  EXPECT_EQ(next.at("execution").at("status"), "QUEUED");
  EXPECT_EQ(next.at("execution").at("versionNumber"), 1);
  EXPECT_EQ(next.at("execution").at("jobDocument"), J(R"({"operation":"update","version":"2.0","size":1024})"));
  EXPECT_EQ(payload(out, 1).at("queuedJobs").at(0).at("jobId"), "fw-7");
  const json::value& started = payload(out, 2);
  EXPECT_EQ(started.at("execution").at("status"), "IN_PROGRESS");
  EXPECT_EQ(started.at("execution").at("versionNumber"), 2);
  EXPECT_EQ(payload(out, 3).at("code"), "VersionMismatch");
  EXPECT_EQ(payload(out, 3).at("executionState").at("versionNumber"), 2);
  EXPECT_EQ(payload(out, 4).at("executionState"),
            J(R"({"status":"SUCCEEDED","statusDetails":{"step":"download"},"versionNumber":3})"));
  EXPECT_FALSE(payload(out, 5).as_object().contains("execution"));  // the queue is empty
}

constexpr const char* kJobConfig =
    "services: [jobs]\n"
    "jobs:\n"
    "  - id: fw-7\n"
    "    document: {operation: update, version: \"2.0\", size: 1024}\n"
    "    targets: {seen: true, continuous: true}\n";

TEST_F(ResponderE2e, JobQueuedNotifyNextStartNextSucceededMqtt311) {
  start_responder(kJobConfig, "3.1.1");
  job_flow(4);
  const std::string summary = stop_responder();
  EXPECT_NE(summary.find("job fw-7: SUCCEEDED 1 (1 executions)"), std::string::npos) << summary;
}

TEST_F(ResponderE2e, JobQueuedNotifyNextStartNextSucceededMqtt5) {
  start_responder(kJobConfig, "5");
  job_flow(5);
  const std::string summary = stop_responder();
  EXPECT_NE(summary.find("job fw-7: SUCCEEDED 1 (1 executions)"), std::string::npos) << summary;
}

TEST_F(ResponderE2e, JobCreatedAtItsTimeForTemplateTargets) {
  const auto start = std::chrono::steady_clock::now();
  start_responder("services: [jobs]\n"
                  "jobs:\n"
                  "  - id: late\n"
                  "    targets: {template: \"dev-{index}\", count: 2, first_index: 1}\n"
                  "    at: 1500ms\n");
  ASSERT_TRUE(wait_for_stderr(*responder_, "job late created, 2 executions queued", 20s)) << responder_->stderr_text();
  // Not before its time: 1.5 s after the responder was ready, so at least that after its start.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
  const std::string jobs = "$aws/things/dev-2/jobs/";
  const json::value out = device(json::array{
      json::object{{"sub", json::array{jobs + "get/accepted"}}},
      json::object{{"pub", jobs + "get"}, {"text", ""}},
      json::object{{"wait", jobs + "get/accepted"}},
  });
  ASSERT_EQ(out.at("received").as_array().size(), 1u) << out;
  EXPECT_EQ(payload(out, 0).at("queuedJobs").at(0).at("jobId"), "late");
  const std::string summary = stop_responder();
  EXPECT_NE(summary.find("job late: QUEUED 2 (2 executions)"), std::string::npos) << summary;
}

std::string provisioning_config(const fs::path& pki) {
  return "services: [provisioning]\n"
         "provisioning:\n"
         "  ca_cert: " + (pki / "ca.crt").string() + "\n"
         "  ca_key: " + (pki / "ca.key").string() + "\n"
         "  templates:\n"
         "    - name: FleetTemplate\n"
         "      thing_name: \"car-{SerialNumber}\"\n"
         "      device_configuration: {FallbackUrl: \"https://www.example.com/test-site\"}\n";
}

TEST_F(ResponderE2e, ProvisioningByClaimJsonThenTlsWithTheIssuedCertificate) {
  start_responder(provisioning_config(pki_));
  auth::CertOptions other;  // a device identity from another CA, for the control
  other.out_dir = dir_ / "other";
  other.devices = 1;
  other.threads = 1;
  auth::generate_fleet_certs(other);
  const std::string tpl = "$aws/provisioning-templates/FleetTemplate/provision/json";
  const fs::path cert = dir_ / "issued.crt", key = dir_ / "issued.key";
  const json::value out = device(json::array{
      json::object{{"sub", json::array{"$aws/certificates/create/json/accepted", "$aws/certificates/create/json/rejected",
                                       tpl + "/accepted", tpl + "/rejected"}}},
      json::object{{"pub", "$aws/certificates/create/json"}, {"text", ""}},
      json::object{{"wait", "$aws/certificates/create/json/accepted"},
                   {"save", json::object{{"token", "certificateOwnershipToken"}}},
                   {"file", json::object{{"certificatePem", cert.string()}, {"privateKey", key.string()}}}},
      json::object{{"pub", tpl},
                   {"json", json::object{{"certificateOwnershipToken", "${token}"},
                                         {"parameters", json::object{{"SerialNumber", "SN-1"}}}}}},
      json::object{{"wait", tpl + "/accepted"}},
      json::object{{"tls_connect", json::object{{"port", tls_port_}, {"ca", (pki_ / "ca.crt").string()},
                                                {"cert", cert.string()}, {"key", key.string()}}}},
      // Controls over TLS 1.2: the issued certificate is accepted, and a certificate from
      // another CA is refused by the same listener.
      json::object{{"tls_connect", json::object{{"port", tls_port_}, {"ca", (pki_ / "ca.crt").string()},
                                                {"cert", cert.string()}, {"key", key.string()}, {"tls12", true}}}},
      json::object{{"tls_connect", json::object{{"port", tls_port_}, {"ca", (pki_ / "ca.crt").string()},
                                                {"cert", (dir_ / "other/device-0.crt").string()},
                                                {"key", (dir_ / "other/device-0.key").string()}, {"tls12", true}}}},
  });
  ASSERT_EQ(out.at("received").as_array().size(), 2u) << out;
  EXPECT_EQ(payload(out, 1), J(R"({"deviceConfiguration":{"FallbackUrl":"https://www.example.com/test-site"},"thingName":"car-SN-1"})"));
  ASSERT_EQ(out.at("tls").as_array().size(), 3u) << out;
  EXPECT_EQ(out.at("tls").at(0).at("connected"), true) << out << "\nbroker log:\n" << broker_->log();
  EXPECT_EQ(out.at("tls").at(0).at("published"), true) << out;
  EXPECT_EQ(out.at("tls").at(1).at("connected"), true) << out;
  EXPECT_EQ(out.at("tls").at(2).at("connected"), false) << out;
  const std::string summary = stop_responder();
  EXPECT_NE(summary.find("certificates issued: 1, things provisioned: 1"), std::string::npos) << summary;
  // The private key went to the device and nowhere else.
  std::ifstream k(key);
  std::string key_text((std::istreambuf_iterator<char>(k)), std::istreambuf_iterator<char>());
  ASSERT_NE(key_text.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(responder_->stdout_text().find(key_text.substr(30, 40)), std::string::npos);
  EXPECT_EQ(responder_->stderr_text().find(key_text.substr(30, 40)), std::string::npos);
}

TEST_F(ResponderE2e, ProvisioningFromCsrInCborThenTlsWithTheIssuedCertificate) {
  start_responder(provisioning_config(pki_));
  // The device's key and CSR, made by the openssl command line.
  const fs::path key = dir_ / "own.key", csr = dir_ / "own.csr", cert = dir_ / "own.crt";
  const std::string cmd = "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=csr-device -keyout " +
                          key.string() + " -out " + csr.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(csr);
  const std::string csr_pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string tpl = "$aws/provisioning-templates/FleetTemplate/provision/cbor";
  const json::value out = device(json::array{
      json::object{{"sub", json::array{"$aws/certificates/create-from-csr/cbor/accepted",
                                       "$aws/certificates/create-from-csr/cbor/rejected", tpl + "/accepted",
                                       tpl + "/rejected"}}},
      json::object{{"pub", "$aws/certificates/create-from-csr/cbor"},
                   {"cbor", json::object{{"certificateSigningRequest", csr_pem}}}},
      json::object{{"wait", "$aws/certificates/create-from-csr/cbor/accepted"}, {"cbor", true},
                   {"save", json::object{{"token", "certificateOwnershipToken"}}},
                   {"file", json::object{{"certificatePem", cert.string()}}}},
      json::object{{"pub", tpl}, {"cbor", json::object{{"certificateOwnershipToken", "${token}"}, {"parameters", json::object{}}}}},
      json::object{{"wait", tpl + "/rejected"}, {"cbor", true}},  // SerialNumber missing
      json::object{{"pub", tpl},
                   {"cbor", json::object{{"certificateOwnershipToken", "${token}"},
                                         {"parameters", json::object{{"SerialNumber", "77"}}}}}},
      json::object{{"wait", tpl + "/accepted"}, {"cbor", true}},
      json::object{{"tls_connect", json::object{{"port", tls_port_}, {"ca", (pki_ / "ca.crt").string()},
                                                {"cert", cert.string()}, {"key", key.string()}}}},
  });
  ASSERT_EQ(out.at("received").as_array().size(), 3u) << out;
  EXPECT_EQ(payload(out, 0).at("certificateId").as_string().size(), 64u);
  EXPECT_EQ(payload(out, 1).at("errorCode"), "InvalidParameters");
  EXPECT_EQ(payload(out, 2).at("thingName"), "car-77");
  ASSERT_EQ(out.at("tls").as_array().size(), 1u) << out;
  EXPECT_EQ(out.at("tls").at(0).at("connected"), true) << out << "\nbroker log:\n" << broker_->log();
  stop_responder();
}

TEST_F(ResponderE2e, ResponderConnectsOverMtlsAndAnswersPlainDevices) {
  // The responder's own connection: mTLS to the listener requiring the CA's client
  // certificates (the later --broker wins), devices on the plain listener.
  start_responder("services: [shadow]\n", "5",
                  {"--broker", "127.0.0.1:" + std::to_string(tls_port_), "--ca-file", (pki_ / "ca.crt").string(),
                   "--cert", (pki_ / "device-0.crt").string(), "--key", (pki_ / "device-0.key").string()});
  EXPECT_NE(responder_->stderr_text().find("(MQTT 5, TLS)"), std::string::npos) << responder_->stderr_text();
  const json::value out = device(json::array{
      json::object{{"sub", json::array{kShadow + "/get/rejected"}}},
      json::object{{"pub", kShadow + "/get"}, {"json", J(R"({"clientToken":"tls"})")}},
      json::object{{"wait", kShadow + "/get/rejected"}},
  });
  ASSERT_EQ(out.at("received").as_array().size(), 1u) << out;
  EXPECT_EQ(payload(out, 0).at("clientToken"), "tls");
  stop_responder();
}

TEST_F(ResponderE2e, BrokerUrlsPickTlsAndRefuseWhatTheResponderCannotSpeak) {
  // mqtts:// is TLS without --tls (the later --broker wins over the plain one).
  start_responder("services: [shadow]\n", "5",
                  {"--broker", "mqtts://127.0.0.1:" + std::to_string(tls_port_), "--ca-file", (pki_ / "ca.crt").string(),
                   "--cert", (pki_ / "device-0.crt").string(), "--key", (pki_ / "device-0.key").string()});
  EXPECT_NE(responder_->stderr_text().find("(MQTT 5, TLS)"), std::string::npos) << responder_->stderr_text();
  const json::value out = device(json::array{
      json::object{{"sub", json::array{kShadow + "/get/rejected"}}},
      json::object{{"pub", kShadow + "/get"}, {"json", J(R"({"clientToken":"url"})")}},
      json::object{{"wait", kShadow + "/get/rejected"}},
  });
  ASSERT_EQ(out.at("received").as_array().size(), 1u) << out;
  EXPECT_EQ(payload(out, 0).at("clientToken"), "url");
  stop_responder();

  const std::string plain = "127.0.0.1:" + std::to_string(broker_->port());
  const Outcome ws = run_fleetload({"responder", "--broker", "ws://" + plain + "/mqtt", "--duration", "5s"}, dir_, 30s);
  EXPECT_EQ(ws.status.code, 2) << ws.describe();
  EXPECT_NE(ws.err.find("--broker: the responder speaks MQTT over TCP or TLS, not WebSocket"), std::string::npos) << ws.err;
  const Outcome clash = run_fleetload(
      {"responder", "--broker", "mqtt://" + plain, "--ca-file", (pki_ / "ca.crt").string(), "--duration", "5s"}, dir_, 30s);
  EXPECT_EQ(clash.status.code, 2) << clash.describe();
  EXPECT_NE(clash.err.find("--broker mqtt:// is MQTT without TLS"), std::string::npos) << clash.err;
  const Outcome secret = run_fleetload({"responder", "--broker", "mqtt://u:hunter2@" + plain, "--duration", "5s"}, dir_, 30s);
  EXPECT_EQ(secret.status.code, 2) << secret.describe();
  EXPECT_EQ(secret.err.find("hunter2"), std::string::npos) << secret.err;
}

TEST_F(ResponderE2e, BadConfigurationExits2NamingFileLineAndField) {
  const fs::path file = write_file(dir_, "bad.yaml", "broker:\n  port: 70000\njobs:\n  - id: \"no spaces\"\n    targets: {things: [a]}\n");
  const Outcome o = run_fleetload({"responder", "--config", file.string()}, dir_, 30s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_NE(o.err.find("bad.yaml:2:9: broker.port:"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("bad.yaml:4:9: jobs[0].id: job id has a character outside [a-zA-Z0-9_-]"), std::string::npos) << o.err;
  const Outcome missing_ca = run_fleetload({"responder", "--broker", "127.0.0.1:" + std::to_string(broker_->port()),
                                            "--ca-file", (dir_ / "nope.crt").string(), "--duration", "5s"},
                                           dir_, 30s);
  EXPECT_EQ(missing_ca.status.code, 2) << missing_ca.describe();
  const Outcome help = run_fleetload({"responder", "--help"}, dir_, 30s);
  EXPECT_EQ(help.status.code, 0);
  EXPECT_NE(help.out.find("Usage: fleetload responder"), std::string::npos);
}

}  // namespace
}  // namespace fleetload::e2e
