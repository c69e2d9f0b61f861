// Fleet Provisioning by claim of a device session (behaviour_provisioning.hpp), driven by the
// scripted broker of device_harness.hpp on a simulated clock, with real certificates from a
// test CA (the responder's CertIssuer): the topics of "Device provisioning MQTT API" in JSON
// and CBOR, subscribe-before-request, the certificate then RegisterThing with the ownership
// token and parameters, DISCONNECT and the reconnect under the thing name with the new
// identity, outcomes by statusCode and errorCode, timeouts, answers meant for other devices,
// and the scenario's checks.
#include <unistd.h>

#include <filesystem>

#include "auth/certgen.hpp"
#include "auth/client_identity.hpp"
#include "awsiot/provisioning.hpp"
#include "device/behaviour_provisioning.hpp"
#include "device_harness.hpp"
#include "responder/cert_issuer.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::device::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using awsiot::PayloadFormat;

class Pki : public ::testing::Environment {
 public:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("fleetload-prov-unit-" + std::to_string(::getpid()));
    auth::CertOptions o;
    o.out_dir = dir;
    o.devices = 1;
    o.threads = 1;
    auth::generate_fleet_certs(o);
    issuer = std::make_unique<responder::CertIssuer>(dir / "ca.crt", dir / "ca.key");
  }
  void TearDown() override {
    issuer.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static inline fs::path dir;
  static inline std::unique_ptr<responder::CertIssuer> issuer;
};
const auto* const kPki = ::testing::AddGlobalTestEnvironment(new Pki);

struct Param {
  mqtt::Version version;
  bool cbor;
  bool csr;
};

scenario::Scenario prov_scenario(const Param& p) {
  auto s = make_scenario(p.version);
  s.fleet.client_id = "claim-{index}";
  s.auth.mode = scenario::AuthMode::MtlsFromPath;
  scenario::Provisioning pv;
  pv.template_name = "FleetTemplate";
  pv.parameters = {{"SerialNumber", "SN-{index}"}, {"Owner", "{client_id}"}};
  pv.certificate = p.csr ? scenario::ProvisioningCertificate::CreateFromCsr : scenario::ProvisioningCertificate::Create;
  pv.format = p.cbor ? scenario::ProvisioningFormat::Cbor : scenario::ProvisioningFormat::Json;
  pv.timeout = std::chrono::milliseconds(5000);
  s.provisioning = std::move(pv);
  return s;
}

PayloadFormat fmt(const Param& p) { return p.cbor ? PayloadFormat::Cbor : PayloadFormat::Json; }
const char* fname(const Param& p) { return p.cbor ? "cbor" : "json"; }

std::span<const std::uint8_t> bytes(const std::vector<std::uint8_t>& v) { return {v.data(), v.size()}; }

// The session's PUBLISHes since `from`.
std::vector<mqtt::Publish> publishes(const Harness& h, std::size_t from = 0) {
  std::vector<mqtt::Publish> out;
  for (std::size_t i : h.of_type(mqtt::PacketType::Publish))
    if (i >= from) out.push_back(std::get<mqtt::Publish>(h.packet(i)));
  return out;
}

// An answer on `topic`, carrying `correlation` (MQTT 5) as the responder echoes it.
void answer(Harness& h, const std::string& topic, const std::vector<std::uint8_t>& payload,
            std::optional<std::string> correlation = std::nullopt) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = bytes(payload);
  std::string c = correlation.value_or("");
  if (correlation && h.version() == mqtt::Version::V5)
    p.properties.correlation_data = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(c.data()), c.size());
  h.feed(mqtt::Packet(std::move(p)));
}

std::optional<std::string> correlation_of(const mqtt::Publish& p) {
  if (!p.properties.correlation_data) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(p.properties.correlation_data->data()),
                     p.properties.correlation_data->size());
}

std::uint64_t ops(const Harness& h, ProvisioningOp op, ProvisioningOutcome o) {
  return h.stats->provisioning_ops[provisioning_index(op, o)].load();
}

// What the service answers to the device's certificate request `req`.
std::vector<std::uint8_t> certificate_answer(const Param& p, const mqtt::Publish& req, const std::string& token) {
  if (p.csr) {
    auto r = awsiot::parse_create_from_csr_request(req.payload, fmt(p));
    EXPECT_TRUE(r) << r.error.error_message;
    auto c = Pki::issuer->issue_for_csr(r->certificate_signing_request);
    return awsiot::encode(awsiot::CreateCertificateFromCsrResponse{token, c.certificate_id, c.certificate_pem}, fmt(p));
  }
  EXPECT_TRUE(req.payload.empty());  // "an empty message payload"
  auto c = Pki::issuer->issue_with_key("issued-cn");
  return awsiot::encode(
      awsiot::CreateKeysAndCertificateResponse{c.certificate_id, c.certificate_pem, c.private_key_pem, token}, fmt(p));
}

std::string create_topic(const Param& p, const char* reply) {
  return std::string(p.csr ? "$aws/certificates/create-from-csr/" : "$aws/certificates/create/") + fname(p) + "/" + reply;
}
std::string provision_topic(const Param& p, const char* reply) {
  return std::string("$aws/provisioning-templates/FleetTemplate/provision/") + fname(p) + "/" + reply;
}

class ProvisioningSession : public ::testing::TestWithParam<Param> {};

TEST_P(ProvisioningSession, SubscribesToTheAnswerTopicsBeforeAskingForACertificate) {
  const Param p = GetParam();
  Harness h(prov_scenario(p));
  h.start();
  const auto subs = h.of_type(mqtt::PacketType::Subscribe);
  ASSERT_EQ(subs.size(), 1u);
  std::vector<std::string> filters;
  const auto sub = std::get<mqtt::Subscribe>(h.packet(subs[0]));
  for (const auto& f : sub.subscriptions) filters.emplace_back(f.filter);
  EXPECT_EQ(filters, (std::vector<std::string>{create_topic(p, "accepted"), create_topic(p, "rejected"),
                                               provision_topic(p, "accepted"), provision_topic(p, "rejected")}));
  const auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_GT(h.of_type(mqtt::PacketType::Publish)[0], subs[0]);  // after the SUBACK
  EXPECT_EQ(pubs[0].topic, std::string(p.csr ? "$aws/certificates/create-from-csr/" : "$aws/certificates/create/") + fname(p));
  EXPECT_EQ(correlation_of(pubs[0]).has_value(), p.version == mqtt::Version::V5);
  EXPECT_EQ(h.stats->provisioning_in_flight.load(), 1);
  EXPECT_EQ(h.stats->provisioning_attempts.load(), 1u);
}

TEST_P(ProvisioningSession, RegistersThenReconnectsWithTheNewIdentityUnderTheThingName) {
  const Param p = GetParam();
  Harness h(prov_scenario(p));
  h.start();
  EXPECT_EQ(h.session.client_identity(), nullptr);  // the claim identity: the group's own
  const auto req = publishes(h).at(0);
  h.advance(3ms);
  answer(h, create_topic(p, "accepted"), certificate_answer(p, req, "token-0"), correlation_of(req));
  EXPECT_EQ(ops(h, ProvisioningOp::CreateCertificate, ProvisioningOutcome::Accepted), 1u);
  EXPECT_EQ(h.stats->provisioning_create_latency.count(), 1u);

  // RegisterThing: the ownership token and the parameters rendered for the device.
  const auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[1].topic, std::string("$aws/provisioning-templates/FleetTemplate/provision/") + fname(p));
  const auto reg = awsiot::parse_register_thing_request(pubs[1].payload, fmt(p));
  ASSERT_TRUE(reg) << reg.error.error_message;
  EXPECT_EQ(reg->certificate_ownership_token, "token-0");
  EXPECT_EQ(reg->parameters, (awsiot::StringMap{{"SerialNumber", "SN-0"}, {"Owner", "claim-0"}}));
  EXPECT_EQ(h.count(mqtt::PacketType::Disconnect), 0u);

  const int opens = h.opens;
  answer(h, provision_topic(p, "accepted"),
         awsiot::encode(awsiot::RegisterThingResponse{{{"Location", "lab"}}, "thing-SN-0"}, fmt(p)), correlation_of(pubs[1]));
  EXPECT_EQ(ops(h, ProvisioningOp::RegisterThing, ProvisioningOutcome::Accepted), 1u);
  // The claim connection ends with a DISCONNECT; the next one opens at once.
  EXPECT_EQ(h.count(mqtt::PacketType::Disconnect), 1u);
  EXPECT_EQ(h.closes, 1);
  ASSERT_NE(h.session.client_identity(), nullptr);
  h.advance(0ms);
  EXPECT_EQ(h.opens, opens + 1);
  const auto connects = h.of_type(mqtt::PacketType::Connect);
  ASSERT_EQ(connects.size(), 2u);
  EXPECT_EQ(std::get<mqtt::Connect>(h.packet(connects[0])).client_id, "claim-0");
  EXPECT_EQ(std::get<mqtt::Connect>(h.packet(connects[1])).client_id, "thing-SN-0");
  EXPECT_EQ(h.session.state(), State::Connected);
  EXPECT_EQ(h.session.client_identity()->common_name(), p.csr ? "claim-0" : "issued-cn");
  EXPECT_EQ(h.stats->provisioning_devices.load(), 1u);
  EXPECT_EQ(h.stats->provisioning_latency.count(), 1u);
  EXPECT_EQ(h.stats->provisioning_in_flight.load(), 0);
  EXPECT_EQ(h.stats->reconnects.load(), 0u);  // the planned second connection is no reconnect
  EXPECT_EQ(h.stats->drops.load(), 0u);
  // No provisioning traffic on the new identity's connection.
  EXPECT_EQ(h.count(mqtt::PacketType::Subscribe), 1u);
  // A later drop reconnects with the same identity and name, and does not provision again.
  h.call([&](Context& c) { h.session.drop(c); });
  h.advance(200s);
  const auto again = h.of_type(mqtt::PacketType::Connect);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(std::get<mqtt::Connect>(h.packet(again[2])).client_id, "thing-SN-0");
  EXPECT_EQ(h.stats->provisioning_attempts.load(), 1u);
  EXPECT_EQ(h.stats->provisioning_devices.load(), 1u);
  EXPECT_NE(h.session.client_identity(), nullptr);
}

TEST_P(ProvisioningSession, RejectionsCountedByStatusAndErrorCodeAndTriedAgainOnTheNextClaimConnection) {
  const Param p = GetParam();
  Harness h(prov_scenario(p));
  h.start();
  const auto req = publishes(h).at(0);
  answer(h, create_topic(p, "accepted"), certificate_answer(p, req, "token-0"), correlation_of(req));
  const auto reg = publishes(h).at(1);
  answer(h, provision_topic(p, "rejected"),
         awsiot::encode(awsiot::ProvisioningError{404, "ResourceNotFound", "no provisioning template named FleetTemplate"}, fmt(p)),
         correlation_of(reg));
  EXPECT_EQ(ops(h, ProvisioningOp::RegisterThing, ProvisioningOutcome::Rejected404), 1u);
  EXPECT_EQ(h.stats->provisioning_errors[static_cast<std::size_t>(ProvisioningErrorCode::ResourceNotFound)].load(), 1u);
  EXPECT_EQ(h.stats->provisioning_failures.load(), 1u);
  EXPECT_EQ(h.stats->provisioning_in_flight.load(), 0);
  EXPECT_EQ(h.session.client_identity(), nullptr);
  EXPECT_EQ(h.count(mqtt::PacketType::Disconnect), 0u);  // stays on the claim connection
  // A certificate request refused: its own label; an unknown errorCode as other.
  h.call([&](Context& c) { h.session.drop(c); });
  // Up to the reconnect (the backoff's delay), not past the new request's timeout.
  for (int i = 0; i < 2000 && h.stats->provisioning_attempts.load() < 2; ++i) h.advance(100ms);
  EXPECT_EQ(h.stats->provisioning_attempts.load(), 2u);
  const auto req2 = publishes(h).back();
  answer(h, create_topic(p, "rejected"), awsiot::encode(awsiot::ProvisioningError{429, "Throttled", "slow down"}, fmt(p)),
         correlation_of(req2));
  EXPECT_EQ(ops(h, ProvisioningOp::CreateCertificate, ProvisioningOutcome::Rejected429), 1u);
  EXPECT_EQ(h.stats->provisioning_errors[static_cast<std::size_t>(ProvisioningErrorCode::Other)].load(), 1u);
  EXPECT_EQ(h.stats->provisioning_failures.load(), 2u);
}

TEST_P(ProvisioningSession, AnUnansweredRequestTimesOut) {
  const Param p = GetParam();
  Harness h(prov_scenario(p));
  h.start();
  h.advance(4999ms);
  EXPECT_EQ(ops(h, ProvisioningOp::CreateCertificate, ProvisioningOutcome::TimedOut), 0u);
  h.advance(2ms);
  EXPECT_EQ(ops(h, ProvisioningOp::CreateCertificate, ProvisioningOutcome::TimedOut), 1u);
  EXPECT_EQ(h.stats->provisioning_failures.load(), 1u);
  EXPECT_EQ(h.stats->provisioning_in_flight.load(), 0);
  EXPECT_EQ(h.stats->provisioning_create_latency.count(), 0u);
}

TEST_P(ProvisioningSession, AnswersToOtherDevicesAreNotTaken) {
  const Param p = GetParam();
  Harness h(prov_scenario(p));
  h.start();
  const auto req = publishes(h).at(0);
  if (p.version == mqtt::Version::V5) {
    // Another device's answer (its Correlation Data) on the shared answer topic.
    answer(h, create_topic(p, "accepted"), certificate_answer(p, req, "token-x"), std::string("fl7-1"));
    answer(h, create_topic(p, "rejected"), awsiot::encode(awsiot::ProvisioningError{400, "InvalidPayload", "x"}, fmt(p)),
           std::string("fl7-1"));
  }
  if (p.csr) {
    // A certificate for another device's key (a CSR of its own), whatever the version.
    const auto other = auth::make_key_and_csr("someone-else", auth::CertKeyType::EcdsaP256);
    EVP_PKEY_free(other.key);
    auto c = Pki::issuer->issue_for_csr(other.csr_pem);
    answer(h, create_topic(p, "accepted"),
           awsiot::encode(awsiot::CreateCertificateFromCsrResponse{"token-y", c.certificate_id, c.certificate_pem}, fmt(p)),
           correlation_of(req));
  }
  EXPECT_EQ(publishes(h).size(), 1u);  // no RegisterThing yet
  EXPECT_EQ(ops(h, ProvisioningOp::CreateCertificate, ProvisioningOutcome::Accepted), 0u);
  EXPECT_EQ(h.stats->provisioning_failures.load(), 0u);
  answer(h, create_topic(p, "accepted"), certificate_answer(p, req, "token-0"), correlation_of(req));
  EXPECT_EQ(ops(h, ProvisioningOp::CreateCertificate, ProvisioningOutcome::Accepted), 1u);
  ASSERT_EQ(publishes(h).size(), 2u);
  EXPECT_EQ(awsiot::parse_register_thing_request(publishes(h)[1].payload, fmt(p))->certificate_ownership_token, "token-0");
}

TEST_P(ProvisioningSession, AnUnusableAnswerIsAFailureNotAnIdentity) {
  const Param p = GetParam();
  Harness h(prov_scenario(p));
  h.start();
  const auto req = publishes(h).at(0);
  answer(h, create_topic(p, "accepted"), certificate_answer(p, req, "token-0"), correlation_of(req));
  const auto reg = publishes(h).at(1);
  // A thing name AWS IoT would never return (and a client id we could not use).
  answer(h, provision_topic(p, "accepted"), awsiot::encode(awsiot::RegisterThingResponse{{}, "bad name/1"}, fmt(p)),
         correlation_of(reg));
  EXPECT_EQ(h.stats->provisioning_bad_answers.load(), 1u);
  EXPECT_EQ(h.stats->provisioning_failures.load(), 1u);
  EXPECT_EQ(h.session.client_identity(), nullptr);
  EXPECT_EQ(h.count(mqtt::PacketType::Disconnect), 0u);
}

TEST_P(ProvisioningSession, AProvisioningDeviceKeepsItsStateOnTheHeapOnly) {
  auto s = make_scenario(GetParam().version);
  Harness plain(s);
  plain.start();
  EXPECT_EQ(plain.session.heap_bytes(), 0u);
  Harness with(prov_scenario(GetParam()));
  with.start();
  EXPECT_GE(with.session.heap_bytes(), sizeof(ProvisioningBehaviour));
  EXPECT_LT(with.session.heap_bytes(), 2048u);
  RecordProperty("provisioning_device_heap_bytes", static_cast<int>(with.session.heap_bytes()));
  RecordProperty("sizeof_session", static_cast<int>(sizeof(Session)));
}

TEST_P(ProvisioningSession, AtQos1AnswersArePubackedBeforeTheClaimConnectionEnds) {
  const Param p = GetParam();
  auto s = prov_scenario(p);
  ASSERT_EQ(s.provisioning->qos, 1u);  // the default, as the SDK's fleet provisioning sample
  Harness h(s);
  h.start();
  const auto sub = std::get<mqtt::Subscribe>(h.packet(h.of_type(mqtt::PacketType::Subscribe).at(0)));
  for (const auto& f : sub.subscriptions) EXPECT_EQ(f.qos, mqtt::QoS::AtLeastOnce);
  const auto req = publishes(h).at(0);
  EXPECT_EQ(req.qos, mqtt::QoS::AtLeastOnce);
  EXPECT_NE(req.packet_id, 0u);
  // Answers delivered at QoS 1 (the subscription's), each with its packet id.
  auto deliver = [&](const std::string& topic, const std::vector<std::uint8_t>& payload, const mqtt::Publish& to,
                     std::uint16_t id) {
    mqtt::Publish a;
    a.topic = topic;
    a.payload = bytes(payload);
    a.qos = mqtt::QoS::AtLeastOnce;
    a.packet_id = id;
    const auto c = correlation_of(to);
    if (c && h.version() == mqtt::Version::V5)
      a.properties.correlation_data = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(c->data()), c->size());
    h.feed(mqtt::Packet(std::move(a)));
  };
  deliver(create_topic(p, "accepted"), certificate_answer(p, req, "token-0"), req, 501);
  const auto reg = publishes(h).at(1);
  EXPECT_EQ(reg.qos, mqtt::QoS::AtLeastOnce);
  EXPECT_NE(reg.packet_id, req.packet_id);
  deliver(provision_topic(p, "accepted"),
          awsiot::encode(awsiot::RegisterThingResponse{{}, "thing-SN-0"}, fmt(p)), reg, 502);
  ASSERT_NE(h.session.client_identity(), nullptr);
  // Both answers PUBACKed, the RegisterThing one before the DISCONNECT that ends the claim
  // connection; the broker's PUBACKs of our requests (the harness's auto_ack) were ours.
  std::vector<std::uint16_t> acked;
  std::size_t disconnect_at = 0, last_ack_at = 0;
  for (std::size_t i = 0; i < h.sent.size(); ++i) {
    const auto pk = h.packet(i);
    if (const auto* a = std::get_if<mqtt::PubAck>(&pk); a && a->type == mqtt::PacketType::Puback)
      acked.push_back(a->packet_id), last_ack_at = i;
    if (std::holds_alternative<mqtt::Disconnect>(pk) && disconnect_at == 0) disconnect_at = i;
  }
  EXPECT_EQ(acked, (std::vector<std::uint16_t>{501, 502}));
  ASSERT_NE(disconnect_at, 0u);
  EXPECT_LT(last_ack_at, disconnect_at);
  EXPECT_EQ(h.stats->aws_requests_acked.load(), 2u);
  EXPECT_EQ(h.stats->unexpected_acks.load(), 0u);
  EXPECT_EQ(h.stats->aws_requests_unacked.load(), 0u);
}

TEST_P(ProvisioningSession, AtQos0NothingIsAcknowledged) {
  const Param p = GetParam();
  auto s = prov_scenario(p);
  s.provisioning->qos = 0;
  Harness h(s);
  h.start();
  const auto sub = std::get<mqtt::Subscribe>(h.packet(h.of_type(mqtt::PacketType::Subscribe).at(0)));
  for (const auto& f : sub.subscriptions) EXPECT_EQ(f.qos, mqtt::QoS::AtMostOnce);
  const auto req = publishes(h).at(0);
  EXPECT_EQ(req.qos, mqtt::QoS::AtMostOnce);
  EXPECT_EQ(h.stats->aws_requests_acked.load(), 0u);
}

INSTANTIATE_TEST_SUITE_P(All, ProvisioningSession,
                         ::testing::Values(Param{mqtt::Version::V311, false, false}, Param{mqtt::Version::V5, false, false},
                                           Param{mqtt::Version::V311, true, true}, Param{mqtt::Version::V5, true, true},
                                           Param{mqtt::Version::V5, false, true}, Param{mqtt::Version::V311, true, false}),
                         [](const auto& i) {
                           return std::string(i.param.version == mqtt::Version::V5 ? "Mqtt5" : "Mqtt311") +
                                  (i.param.cbor ? "Cbor" : "Json") + (i.param.csr ? "Csr" : "Create");
                         });

// ---- the scenario's `provisioning:` section ----------------------------------------------

std::string base(const std::string& auth, const std::string& prov) {
  return "target: {endpoint: 127.0.0.1, port: 8883}\n" + auth + "fleet: {devices: 2}\nprovisioning:\n" + prov;
}
const std::string kMtls = "auth: {mode: mtls_from_path, cert_filepath: c.crt, pri_key_filepath: c.key}\n";

std::string error_of(const std::string& yaml) {
  try {
    scenario::parse_scenario(yaml, "prov.yaml");
  } catch (const scenario::ScenarioError& e) {
    return e.what();
  }
  return "";
}

TEST(ProvisioningScenario, ParsesEveryKeyAndRoundTrips) {
  const auto s = scenario::parse_scenario(
      base(kMtls, "  template: FleetTemplate\n  parameters: {SerialNumber: \"{index}\", Owner: \"{client_id}\"}\n"
                  "  certificate: create_from_csr\n  format: cbor\n  key_type: rsa2048\n  timeout: 3s\n"),
      "prov.yaml");
  ASSERT_TRUE(s.provisioning);
  EXPECT_EQ(s.provisioning->template_name, "FleetTemplate");
  EXPECT_EQ(s.provisioning->parameters,
            (std::vector<std::pair<std::string, std::string>>{{"SerialNumber", "{index}"}, {"Owner", "{client_id}"}}));
  EXPECT_EQ(s.provisioning->certificate, scenario::ProvisioningCertificate::CreateFromCsr);
  EXPECT_EQ(s.provisioning->format, scenario::ProvisioningFormat::Cbor);
  EXPECT_EQ(s.provisioning->key_type, scenario::ProvisioningKey::Rsa2048);
  EXPECT_EQ(s.provisioning->timeout, std::chrono::milliseconds(3000));
  const std::string y = scenario::to_yaml(s, false);
  EXPECT_EQ(scenario::to_yaml(scenario::parse_scenario(y, "again.yaml"), false), y);
}

TEST(ProvisioningScenario, ErrorsNameTheFileLineAndField) {
  EXPECT_NE(error_of(base("", "  template: FleetTemplate\n")).find("auth.mode"), std::string::npos);
  EXPECT_NE(error_of(base("", "  template: FleetTemplate\n")).find("mtls_*"), std::string::npos);
  const std::string bad_name = error_of(base(kMtls, "  template: \"has space\"\n"));
  EXPECT_NE(bad_name.find("prov.yaml:"), std::string::npos) << bad_name;
  EXPECT_NE(bad_name.find("provisioning.template"), std::string::npos) << bad_name;
  EXPECT_NE(error_of(base(kMtls, "  parameters: {A: b}\n")).find("provisioning.template"), std::string::npos);
  EXPECT_NE(error_of(base(kMtls, "  template: T\n  key_type: rsa2048\n")).find("create_from_csr"), std::string::npos);
  EXPECT_NE(error_of(base(kMtls, "  template: T\n  format: xml\n")).find("provisioning.format"), std::string::npos);
  EXPECT_NE(error_of(base(kMtls, "  template: T\n  parameters: {A: \"{seq}\"}\n")).find("provisioning.parameters.A"),
            std::string::npos);
  EXPECT_NE(error_of(base(kMtls, "  template: T\n  colour: red\n")).find("colour"), std::string::npos);
  EXPECT_EQ(error_of(base(kMtls, "  template: T\n  qos: 2\n")),
            "prov.yaml:6:8: provisioning.qos: expected 0 or 1, got 2: AWS IoT Core does not support QoS 2");
}

TEST(ProvisioningScenario, QosDefaultsToOneAsTheSdkSampleAndZeroIsKept) {
  EXPECT_EQ(scenario::parse_scenario(base(kMtls, "  template: T\n"), "prov.yaml").provisioning->qos, 1u);
  const auto s = scenario::parse_scenario(base(kMtls, "  template: T\n  qos: 0\n"), "prov.yaml");
  EXPECT_EQ(s.provisioning->qos, 0u);
  EXPECT_EQ(FleetPlan(s).provisioning->qos, 0u);
  EXPECT_EQ(scenario::parse_scenario(scenario::to_yaml(s, false), "again.yaml").provisioning->qos, 0u);
}

}  // namespace
}  // namespace fleetload::device::test
