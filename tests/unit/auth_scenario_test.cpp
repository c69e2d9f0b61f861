// The scenario `auth:` section: every SDK builder mode, its options, defaults, per-mode
// validation with file:line:col, Windows refusal, secrets masked in to_yaml and messages.
#include <gtest/gtest.h>

#include <cstdlib>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

constexpr const char* kPem = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n";
constexpr const char* kKeyPem = "-----BEGIN PRIVATE KEY-----\\nSECRETKEYBODY\\n-----END PRIVATE KEY-----\\n";

std::string doc(std::string_view auth, std::string_view target = "target: {endpoint: h}\n") {
  return std::string(target) + "fleet: {devices: 10}\nauth:\n" + std::string(auth);
}

std::string error_of(const std::string& yaml) {
  try {
    parse_scenario(yaml, "s.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(AuthScenario, PlainTcpStaysTheDefaultWithPort1883AndNoMetrics) {
  Scenario s = parse_scenario("target: {endpoint: h}\nfleet: {devices: 1}\n", "s.yaml");
  EXPECT_EQ(s.auth.mode, AuthMode::PlainTcp);
  EXPECT_EQ(s.target.endpoints.at(0).port, 1883);
  EXPECT_FALSE(s.auth.metrics.enabled);
  EXPECT_FALSE(s.auth.tls.enabled);
}

TEST(AuthScenario, DefaultPortsFollowTheSdk) {
  auto port = [](std::string_view auth) {
    return parse_scenario(doc(auth), "s.yaml").target.endpoints.at(0).port;
  };
  EXPECT_EQ(port("  mode: mtls_from_path\n  cert_filepath: c\n  pri_key_filepath: k\n"), 8883);
  EXPECT_EQ(port("  mode: new_default_builder\n"), 8883);
  EXPECT_EQ(port("  mode: websockets_with_custom_handshake\n"), 443);
  EXPECT_EQ(port("  mode: websockets_with_default_aws_signing\n  region: us-east-1\n"), 443);
  EXPECT_EQ(port("  mode: direct_with_custom_authorizer\n"), 443);
  // An explicit port wins.
  Scenario s = parse_scenario(doc("  mode: new_default_builder\n", "target: {endpoint: \"h:9999\"}\n"), "s.yaml");
  EXPECT_EQ(s.target.endpoints.at(0).port, 9999);
}

TEST(AuthScenario, MtlsFromPathReadsTemplatesAndTls) {
  Scenario s = parse_scenario(doc("  mode: mtls_from_path\n"
                                  "  cert_filepath: certs/device-{index}.crt\n"
                                  "  pri_key_filepath: certs/{client_id}.key\n"
                                  "  ca_filepath: certs/ca.crt\n"
                                  "  tls: {session_resumption: true, alpn: [a, b], sni: x.example}\n"),
                              "s.yaml");
  EXPECT_EQ(s.auth.mode, AuthMode::MtlsFromPath);
  EXPECT_EQ(*s.auth.cert_filepath, "certs/device-{index}.crt");
  EXPECT_EQ(*s.auth.pri_key_filepath, "certs/{client_id}.key");
  EXPECT_TRUE(s.auth.tls.enabled);
  EXPECT_TRUE(s.auth.tls.verify_peer);
  EXPECT_TRUE(s.auth.tls.session_resumption);
  EXPECT_EQ(*s.auth.tls.alpn, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*s.auth.tls.sni, "x.example");
  EXPECT_TRUE(s.auth.metrics.enabled);
  EXPECT_EQ(s.auth.metrics.format, MetricsFormat::Current);
}

TEST(AuthScenario, BytesComeFromTheEnvironment) {
  ::setenv("FLEETLOAD_TEST_CERT", "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n", 1);
  ::setenv("FLEETLOAD_TEST_KEY", "-----BEGIN PRIVATE KEY-----\nBBB\n-----END PRIVATE KEY-----\n", 1);
  Scenario s = parse_scenario(doc("  mode: mtls_from_bytes\n  cert_bytes: ${FLEETLOAD_TEST_CERT}\n"
                                  "  pri_key_bytes: ${FLEETLOAD_TEST_KEY}\n"),
                              "s.yaml");
  EXPECT_NE(s.auth.cert_bytes->find("AAA"), std::string::npos);
  EXPECT_NE(s.auth.pri_key_bytes->find("BBB"), std::string::npos);
}

TEST(AuthScenario, RequiredFieldsPerModeWithPositions) {
  EXPECT_EQ(error_of(doc("  mode: mtls_from_path\n  cert_filepath: c\n")),
            "s.yaml:4:3: auth.pri_key_filepath: required by mode mtls_from_path (the device "
            "private key PEM file)");
  EXPECT_EQ(error_of(doc("  mode: mtls_with_pkcs12\n  pkcs12_filepath: a.p12\n")),
            "s.yaml:4:3: auth.pkcs12_password: required by mode mtls_with_pkcs12 (the bundle's password)");
  EXPECT_EQ(error_of(doc("  mode: websockets_with_default_aws_signing\n")),
            "s.yaml:4:3: auth.region: required by mode websockets_with_default_aws_signing (the "
            "AWS region signed into the URL, e.g. us-east-1)");
  EXPECT_EQ(error_of(doc("  mode: mtls_with_pkcs11\n  pkcs11_lib: /x.so\n")),
            "s.yaml:4:3: auth.cert_filepath: mode mtls_with_pkcs11 needs exactly one of "
            "cert_filepath or cert_bytes (the token holds the key)");
  EXPECT_EQ(error_of(doc("  mode: direct_with_custom_authorizer\n  auth_token_key_name: t\n")),
            "s.yaml:4:3: auth.auth_token_key_name: auth_token_key_name and auth_token_value go "
            "together (the token is sent as <key name>=<value>)");
}

TEST(AuthScenario, OptionsOfAnotherModeAreRefused) {
  EXPECT_EQ(error_of(doc("  mode: new_default_builder\n  cert_filepath: c\n")),
            "s.yaml:5:18: auth.cert_filepath: not an option of mode new_default_builder (used "
            "by: mtls_from_path, mtls_with_pkcs11)");
  EXPECT_EQ(error_of(doc("  mode: plain_tcp\n  tls: {verify_peer: false}\n")).substr(0, 52),
            "s.yaml:5:8: auth.tls: not an option of mode plain_tc");
}

TEST(AuthScenario, WindowsCertStoreIsRefusedWithAReasonAndAnAlternative) {
  const std::string e = error_of(doc("  mode: mtls_with_windows_cert_store_path\n"
                                     "  cert_store_path: CurrentUser\\MY\\abc\n"));
  EXPECT_NE(e.find("s.yaml:4:9: auth.mode:"), std::string::npos) << e;
  EXPECT_NE(e.find("only on Windows"), std::string::npos) << e;
  EXPECT_NE(e.find("mtls_with_pkcs12"), std::string::npos) << e;
  EXPECT_NE(e.find("mtls_from_path"), std::string::npos) << e;
}

TEST(AuthScenario, CredentialsSourcesAreInferredOrExplicit) {
  auto creds = [](std::string_view c) {
    return parse_scenario(doc("  mode: websockets_with_default_aws_signing\n  region: r\n"
                              "  credentials: " + std::string(c) + "\n"),
                          "s.yaml")
        .auth.credentials;
  };
  EXPECT_EQ(creds("{access_key_id: A, secret_access_key: S, session_token: T}").source,
            CredentialsSource::Static);
  EXPECT_EQ(creds("{profile: dev}").source, CredentialsSource::Profile);
  EXPECT_EQ(creds("{credential_process: /bin/true}").source, CredentialsSource::Process);
  EXPECT_EQ(creds("{source: environment}").source, CredentialsSource::Environment);
  EXPECT_EQ(parse_scenario(doc("  mode: websockets_with_default_aws_signing\n  region: r\n"), "s.yaml")
                .auth.credentials.source,
            CredentialsSource::DefaultChain);
  EXPECT_NE(error_of(doc("  mode: websockets_with_default_aws_signing\n  region: r\n"
                         "  credentials: {access_key_id: A}\n"))
                .find("need both access_key_id and secret_access_key"),
            std::string::npos);
}

TEST(AuthScenario, WebsocketHeadersAndQueryKeepOrderAndRefuseHandshakeHeaders) {
  Scenario s = parse_scenario(doc("  mode: websockets_with_custom_handshake\n"
                                  "  websocket:\n    headers: {x-b: \"{index}\", x-a: v}\n"
                                  "    query: {q: \"{client_id}\"}\n"),
                              "s.yaml");
  ASSERT_EQ(s.auth.websocket_headers.size(), 2u);
  EXPECT_EQ(s.auth.websocket_headers[0].first, "x-b");
  EXPECT_EQ(s.auth.websocket_query.at(0).second, "{client_id}");
  EXPECT_NE(error_of(doc("  mode: websockets_with_custom_handshake\n"
                         "  websocket: {headers: {Sec-WebSocket-Protocol: x}}\n"))
                .find("set by the WebSocket handshake itself"),
            std::string::npos);
}

TEST(AuthScenario, MtlsNeedsTlsAndVerifyOffIsWarnedLoudly) {
  EXPECT_NE(error_of(doc("  mode: mtls_from_path\n  cert_filepath: c\n  pri_key_filepath: k\n"
                         "  tls: {enabled: false}\n"))
                .find("needs TLS"),
            std::string::npos);
  Scenario s = parse_scenario(doc("  mode: new_default_builder\n  tls: {verify_peer: false}\n"), "s.yaml");
  EXPECT_FALSE(s.auth.tls.verify_peer);
  bool loud = false;
  for (const auto& w : warnings(s)) loud = loud || w.find("NOT VERIFIED") != std::string::npos;
  EXPECT_TRUE(loud);
}

// Every secret option, with a recognisable value.
std::string all_secrets_yaml(std::string_view mode_block) { return doc(mode_block); }

TEST(AuthScenario, ToYamlMasksEverySecretAndRoundTrips) {
  const std::vector<std::string> blocks = {
      std::string("  mode: mtls_from_bytes\n  cert_bytes: \"") + kPem + "\"\n  pri_key_bytes: \"" +
          kKeyPem + "\"\n  password: PASSWORD-SECRET\n",
      "  mode: mtls_with_pkcs11\n  pkcs11_lib: /x.so\n  user_pin: PIN-SECRET-9876\n"
      "  cert_filepath: c\n  slot_id: 3\n  token_label: t\n  private_key_label: k\n",
      "  mode: mtls_with_pkcs12\n  pkcs12_filepath: d-{index}.p12\n  pkcs12_password: P12-SECRET\n",
      "  mode: websockets_with_default_aws_signing\n  region: us-east-1\n  credentials:\n"
      "    access_key_id: AKIDVISIBLE\n    secret_access_key: SAK-SECRET-abc\n"
      "    session_token: SESSION-SECRET-xyz\n",
      "  mode: direct_with_custom_authorizer\n  auth_username: u\n  auth_authorizer_name: A\n"
      "  auth_authorizer_signature: SIG-SECRET\n  auth_password: AUTHPW-SECRET\n"
      "  auth_token_key_name: tok\n  auth_token_value: TOKVAL-SECRET\n",
      "  mode: websockets_with_custom_handshake\n  websocket: {headers: {x-api-key: HDR-SECRET}}\n"};
  for (const auto& b : blocks) {
    Scenario s = parse_scenario(all_secrets_yaml(b), "s.yaml");
    const std::string masked = to_yaml(s);
    for (const char* secret : {"SECRETKEYBODY", "PASSWORD-SECRET", "PIN-SECRET", "P12-SECRET",
                               "SAK-SECRET", "SESSION-SECRET", "SIG-SECRET", "AUTHPW-SECRET",
                               "TOKVAL-SECRET", "HDR-SECRET"}) {
      EXPECT_EQ(masked.find(secret), std::string::npos) << secret << " in\n" << masked;
    }
    EXPECT_NE(masked.find("***"), std::string::npos) << masked;
    // Unmasked output parses back to the same auth section.
    Scenario again = parse_scenario(to_yaml(s, false), "again.yaml");
    EXPECT_EQ(to_yaml(again, false), to_yaml(s, false));
  }
}

TEST(AuthScenario, SecretsNeverAppearInErrorMessages) {
  ::setenv("FLEETLOAD_TEST_BAD_KEY", "not-a-pem-KEYSECRET", 1);
  std::string e = error_of(doc("  mode: mtls_from_bytes\n  cert_bytes: x\n  pri_key_bytes: ${FLEETLOAD_TEST_BAD_KEY}\n"));
  EXPECT_NE(e.find("auth.pri_key_bytes"), std::string::npos) << e;
  EXPECT_EQ(e.find("KEYSECRET"), std::string::npos) << e;
  e = error_of(doc("  mode: direct_with_custom_authorizer\n  auth_token_key_name: t\n"
                   "  auth_token_value: \"TOKSECRET{nope}\"\n"));
  EXPECT_NE(e.find("auth.auth_token_value"), std::string::npos) << e;
  EXPECT_EQ(e.find("TOKSECRET"), std::string::npos) << e;
  e = error_of(doc("  mode: mtls_with_pkcs11\n  pkcs11_lib: l\n  cert_filepath: c\n"
                   "  user_pin: \"${PINSECRET\"\n"));
  EXPECT_EQ(e.find("PINSECRET"), std::string::npos) << e;
  try {
    parse_scenario(doc("  mode: mtls_with_pkcs12\n  pkcs12_filepath: f\n"), "s.yaml",
                   {"auth.pkcs12_password=OVERRIDESECRET", "auth.bogus=1"});
    ADD_FAILURE() << "expected an error";
  } catch (const ScenarioError& err) {
    EXPECT_EQ(std::string(err.what()).find("OVERRIDESECRET"), std::string::npos) << err.what();
  }
}

TEST(AuthScenario, MetricsOptions) {
  Scenario s = parse_scenario(doc("  mode: new_default_builder\n  metrics: {format: legacy, "
                                  "sdk_language: JS, sdk_version: 9.9, features: [G/A]}\n"),
                              "s.yaml");
  EXPECT_EQ(s.auth.metrics.format, MetricsFormat::Legacy);
  EXPECT_EQ(s.auth.metrics.sdk_language, "JS");
  EXPECT_EQ(s.auth.metrics.features, std::vector<std::string>{"G/A"});
  s = parse_scenario(doc("  mode: new_default_builder\n  enable_metrics_collection: false\n"), "s.yaml");
  EXPECT_FALSE(s.auth.metrics.enabled);
}

}  // namespace
}  // namespace fleetload::scenario
