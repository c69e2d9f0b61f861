// The responder's Fleet Provisioning service without a broker, with a real CA written by
// `fleetload certs`' generator: CreateKeysAndCertificate and CreateCertificateFromCsr issue
// certificates that verify against that CA (checked here with OpenSSL's X509_verify_cert and
// the key match), RegisterThing honours the ownership token once and within the hour, the
// template's thing name and device configuration; JSON and CBOR; errors on the rejected topics.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "auth/certgen.hpp"
#include "awsiot/provisioning.hpp"
#include "responder/dispatcher.hpp"

namespace fleetload::responder {
namespace {

namespace fs = std::filesystem;
using awsiot::PayloadFormat;

json::value J(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }
std::span<const std::uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Verifies `pem` against the CA file with OpenSSL's chain verification (client purpose).
bool verifies(const std::string& pem, const fs::path& ca_file) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  if (cert == nullptr) return false;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_load_file(store, ca_file.c_str());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(cert);
  return ok;
}

bool key_matches(const std::string& cert_pem, const std::string& key_pem) {
  BIO* b = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  b = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  const bool ok = cert && key && X509_check_private_key(cert, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

// A PEM CSR for a fresh P-256 key with CN `cn`.
std::string make_csr(const std::string& cn) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_pubkey(req, key);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_sign(req, key, EVP_sha256());
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(b, req);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(b);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return pem;
}

class ProvisioningFlow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("responder-prov-" + std::to_string(::getpid()));
    auth::CertOptions o;
    o.out_dir = dir_;
    o.devices = 1;
    o.threads = 1;
    auth::generate_fleet_certs(o);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static inline fs::path dir_;

  ProvisioningFlow() {
    DispatcherOptions opt;
    opt.issuer = std::make_shared<CertIssuer>(dir_ / "ca.crt", dir_ / "ca.key");
    opt.templates.push_back(ProvisioningTemplate{"FleetTemplate", "car-{SerialNumber}",
                                                 {{"FallbackUrl", "https://www.example.com/test-site"},
                                                  {"Location", "{DeviceLocation}"}}});
    d = std::make_unique<Dispatcher>(out, std::move(opt));
  }

  std::pair<std::string, std::vector<std::uint8_t>> request(const std::string& topic, std::span<const std::uint8_t> payload,
                                                            std::uint64_t now = 5000) {
    out.messages.clear();
    d->on_publish(topic, payload, now);
    EXPECT_EQ(out.messages.size(), 1u) << topic;
    if (out.messages.empty()) return {};
    const auto& [t, p] = out.messages.front();
    return {t, std::vector<std::uint8_t>(p.begin(), p.end())};
  }

  CollectingPublisher out;
  std::unique_ptr<Dispatcher> d;
};

TEST_F(ProvisioningFlow, CreateKeysThenRegisterThingInJson) {
  auto [topic, body] = request("$aws/certificates/create/json", {});
  ASSERT_EQ(topic, "$aws/certificates/create/json/accepted");
  const json::value r = J(std::string(body.begin(), body.end()));
  const std::string pem(r.at("certificatePem").as_string()), key(r.at("privateKey").as_string());
  EXPECT_TRUE(verifies(pem, dir_ / "ca.crt"));
  EXPECT_TRUE(key_matches(pem, key));
  EXPECT_EQ(r.at("certificateId").as_string().size(), 64u);  // SHA-256 in hex
  const std::string token(r.at("certificateOwnershipToken").as_string());

  const std::string reg = R"({"certificateOwnershipToken":")" + token +
                          R"(","parameters":{"SerialNumber":"SN-42","DeviceLocation":"Seattle"}})";
  auto [rt, rb] = request("$aws/provisioning-templates/FleetTemplate/provision/json", bytes(reg));
  ASSERT_EQ(rt, "$aws/provisioning-templates/FleetTemplate/provision/json/accepted");
  EXPECT_EQ(J(std::string(rb.begin(), rb.end())),
            J(R"({"deviceConfiguration":{"FallbackUrl":"https://www.example.com/test-site","Location":"Seattle"},"thingName":"car-SN-42"})"));
  EXPECT_EQ(d->provisioning().things().at("car-SN-42"), std::string(r.at("certificateId").as_string()));
  EXPECT_EQ(d->things_seen().count("car-SN-42"), 1u);

  // The token is good for one registration only.
  auto [again, ab] = request("$aws/provisioning-templates/FleetTemplate/provision/json", bytes(reg));
  ASSERT_EQ(again, "$aws/provisioning-templates/FleetTemplate/provision/json/rejected");
  EXPECT_EQ(J(std::string(ab.begin(), ab.end())).at("errorCode"), "InvalidCertificateOwnershipToken");
  EXPECT_EQ(d->books(Api::ProvisioningRegisterThing).accepted, 1u);
  EXPECT_EQ(d->books(Api::ProvisioningRegisterThing).rejected.at("InvalidCertificateOwnershipToken"), 1u);
}

TEST_F(ProvisioningFlow, CreateFromCsrAndRegisterInCbor) {
  const std::string csr = make_csr("my-device");
  auto payload = awsiot::encode(awsiot::CreateCertificateFromCsrRequest{csr}, PayloadFormat::Cbor);
  auto [topic, body] = request("$aws/certificates/create-from-csr/cbor", payload);
  ASSERT_EQ(topic, "$aws/certificates/create-from-csr/cbor/accepted");
  auto r = awsiot::parse_create_from_csr_response(body, PayloadFormat::Cbor);
  ASSERT_TRUE(r) << r.error;
  EXPECT_TRUE(verifies(r->certificate_pem, dir_ / "ca.crt"));
  EXPECT_NE(r->certificate_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);

  auto reg = awsiot::encode(awsiot::RegisterThingRequest{r->certificate_ownership_token, {{"SerialNumber", "7"}}},
                            PayloadFormat::Cbor);
  auto [rt, rb] = request("$aws/provisioning-templates/FleetTemplate/provision/cbor", reg);
  ASSERT_EQ(rt, "$aws/provisioning-templates/FleetTemplate/provision/cbor/rejected");  // DeviceLocation missing
  auto err = awsiot::parse_provisioning_error(rb, PayloadFormat::Cbor);
  ASSERT_TRUE(err) << err.error;
  EXPECT_EQ(err->error_code, "InvalidParameters");
  EXPECT_EQ(err->error_message, "missing template parameter DeviceLocation");
}

TEST_F(ProvisioningFlow, TokensExpireAfterAnHourAndBadRequestsAreRejected) {
  auto [topic, body] = request("$aws/certificates/create/cbor", {}, 1000);
  auto keys = awsiot::parse_create_keys_response(body, PayloadFormat::Cbor);
  ASSERT_TRUE(keys) << keys.error;
  const auto reg = awsiot::encode(
      awsiot::RegisterThingRequest{keys->certificate_ownership_token, {{"SerialNumber", "1"}, {"DeviceLocation", "x"}}},
      PayloadFormat::Cbor);
  auto [late, lb] = request("$aws/provisioning-templates/FleetTemplate/provision/cbor", reg, 1000 + 3601);
  ASSERT_EQ(late, "$aws/provisioning-templates/FleetTemplate/provision/cbor/rejected");
  EXPECT_EQ(awsiot::parse_provisioning_error(lb, PayloadFormat::Cbor)->error_code, "InvalidCertificateOwnershipToken");

  auto [nt, nb] = request("$aws/provisioning-templates/NoSuch/provision/json", bytes(R"({"certificateOwnershipToken":"x"})"));
  EXPECT_EQ(nt, "$aws/provisioning-templates/NoSuch/provision/json/rejected");
  EXPECT_EQ(J(std::string(nb.begin(), nb.end())).at("statusCode"), 404);
  auto [bt, bb] = request("$aws/certificates/create-from-csr/json", bytes(R"({"certificateSigningRequest":"not a csr"})"));
  EXPECT_EQ(bt, "$aws/certificates/create-from-csr/json/rejected");
  EXPECT_EQ(J(std::string(bb.begin(), bb.end())).at("errorCode"), "InvalidCsr");
  auto [jt, jb] = request("$aws/certificates/create-from-csr/json", bytes("{"));
  EXPECT_EQ(J(std::string(jb.begin(), jb.end())).at("errorCode"), "InvalidPayload");
  EXPECT_EQ(d->provisioning().certificates_issued(), 1u);
}

TEST_F(ProvisioningFlow, GarbagePayloadsAreRejectedInTheirFormat) {
  std::vector<std::string> payloads = {"{", "[]", std::string(50'000, '\x81'), std::string(10'000, '['),
                                       std::string("\xA1\x61k\x5F\x41", 5), std::string("\xBF\x61", 2)};
  for (const char* topic : {"$aws/certificates/create/json", "$aws/certificates/create/cbor",
                            "$aws/certificates/create-from-csr/json", "$aws/certificates/create-from-csr/cbor",
                            "$aws/provisioning-templates/FleetTemplate/provision/json",
                            "$aws/provisioning-templates/FleetTemplate/provision/cbor"}) {
    const bool cbor = std::string_view(topic).ends_with("cbor");
    for (const auto& p : payloads) {
      auto [t, body] = request(topic, bytes(p));
      EXPECT_EQ(t, std::string(topic) + "/rejected") << topic;
      auto e = awsiot::parse_provisioning_error(body, cbor ? PayloadFormat::Cbor : PayloadFormat::Json);
      ASSERT_TRUE(e) << topic << ": " << e.error;  // the error is in the topic's own format
      EXPECT_EQ(e->status_code, 400) << topic;
    }
  }
  EXPECT_EQ(d->provisioning().certificates_issued(), 0u);
}

TEST_F(ProvisioningFlow, WithoutACaEveryCreateIsA500) {
  CollectingPublisher o;
  Dispatcher none(o, DispatcherOptions{});
  none.on_publish("$aws/certificates/create/json", {}, 1);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].first, "$aws/certificates/create/json/rejected");
  EXPECT_EQ(J(o.messages[0].second).at("statusCode"), 500);
  EXPECT_THROW(CertIssuer(dir_ / "missing.crt", dir_ / "ca.key"), auth::CertError);
  EXPECT_THROW(CertIssuer(dir_ / "ca.crt", dir_ / "server.key"), auth::CertError);  // not the CA's key
}

}  // namespace
}  // namespace fleetload::responder
