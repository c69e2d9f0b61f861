// What each device presents per SDK builder: username rules (aws doc §1, §4), ALPN, ports,
// SNI, shared vs per-device TLS identities, WebSocket requests and SigV4 at connect time.
#include <gtest/gtest.h>

#include "auth/presentation.hpp"

namespace fleetload::auth {
namespace {

using scenario::parse_scenario;

scenario::Scenario make(std::string_view auth, std::string_view target = "target: {endpoint: h.example}\n") {
  return parse_scenario(std::string(target) + "fleet: {devices: 100, client_id: \"dev-{index}\"}\nauth:\n" +
                            std::string(auth),
                        "s.yaml");
}

DevicePresentation first(const scenario::Scenario& s, std::uint64_t index = 0) {
  FleetPresentation f(s);
  return f.device(index, s.target.endpoints.at(0));
}

TEST(AuthPresentation, DocCustomAuthorizerExampleExactly) {
  // aws doc §4 example: direct, metrics on (the Python SDK's legacy format, version 1.2.3).
  auto s = make("  mode: direct_with_custom_authorizer\n  auth_username: user1\n"
                "  auth_authorizer_name: MyAuth\n  auth_authorizer_signature: c2ln\n"
                "  auth_token_key_name: token\n  auth_token_value: abc\n"
                "  metrics: {format: legacy, sdk_version: 1.2.3}\n");
  DevicePresentation d = first(s);
  EXPECT_EQ(*d.username,
            "user1?x-amz-customauthorizer-name=MyAuth&x-amz-customauthorizer-signature=c2ln&"
            "token=abc&SDK=PythonV2&Version=1.2.3");
  EXPECT_EQ(d.port, 443);
  EXPECT_EQ(d.alpn, std::vector<std::string>{"mqtt"});
  EXPECT_TRUE(d.tls);
  EXPECT_FALSE(d.password);
}

TEST(AuthPresentation, CurrentSdkEncodesTheSignatureAndPutsTheTokenFirstOnMqtt5) {
  auto s = make("  mode: direct_with_custom_authorizer\n  auth_authorizer_name: A\n"
                "  auth_authorizer_signature: \"ab+c/d==\"\n  auth_password: pw\n"
                "  auth_token_key_name: tok\n  auth_token_value: \"t-{index}\"\n"
                "  enable_metrics_collection: false\n",
                "target: {endpoint: h.example, protocol: mqtt5}\n");
  DevicePresentation d = first(s, 7);
  EXPECT_EQ(*d.username,
            "?x-amz-customauthorizer-name=A&tok=t-7&x-amz-customauthorizer-signature=ab%2Bc%2Fd%3D%3D");
  EXPECT_EQ(*d.password, "pw");
  // Already encoded: left alone.
  s.auth.auth_authorizer_signature = "ab%2B";
  EXPECT_NE(first(s).username->find("signature=ab%2B"), std::string::npos);
}

TEST(AuthPresentation, CurrentMetricsSuffixFormat) {
  auto s = make("  mode: mtls_from_path\n  cert_filepath: c\n  pri_key_filepath: k\n"
                "  username: \"u-{index}\"\n  metrics: {sdk_language: JS, sdk_version: 1.28.0, "
                "crt_version: 1.33.0, features: [G/A]}\n");
  EXPECT_EQ(*first(s, 3).username,
            "u-3?SDK=IoTDeviceSDK/JS&Platform=Unix&Metadata=(CRTVersion=1.33.0;"
            "IoTSDKVersion=1.28.0;IoTSDKFeature=F/3,G/A;IoTSDKMetricsVersion=1)");
  s.auth.username = "u?x=1";
  EXPECT_TRUE(first(s).username->starts_with("u?x=1&SDK=IoTDeviceSDK/JS&"));
  s.target.protocol = mqtt::Version::V5;
  EXPECT_NE(first(s).username->find("IoTSDKFeature=F/5,G/A"), std::string::npos);
}

TEST(AuthPresentation, UsernameIsNoneWhenEmptyAfterTheMetricsRule) {
  auto s = make("  mode: new_default_builder\n  enable_metrics_collection: false\n");
  EXPECT_FALSE(first(s).username);
  s = make("  mode: plain_tcp\n  username: \"{client_id}\"\n  password: p\n");
  DevicePresentation d = first(s, 4);
  EXPECT_EQ(*d.username, "dev-4");  // plain_tcp adds no metrics suffix
  EXPECT_EQ(*d.password, "p");
  EXPECT_FALSE(d.tls);
}

TEST(AuthPresentation, AlpnRules) {
  const char* mtls = "  mode: mtls_from_path\n  cert_filepath: c\n  pri_key_filepath: k\n";
  EXPECT_TRUE(first(make(mtls)).alpn.empty());  // 8883: none
  EXPECT_EQ(first(make(mtls, "target: {endpoint: \"h.example:443\"}\n")).alpn,
            std::vector<std::string>{"x-amzn-mqtt-ca"});
  EXPECT_TRUE(first(make("  mode: new_default_builder\n", "target: {endpoint: \"h.example:443\"}\n")).alpn.empty());
  EXPECT_EQ(first(make("  mode: websockets_with_custom_handshake\n")).alpn,
            std::vector<std::string>{"http/1.1"});
  EXPECT_EQ(first(make(std::string(mtls) + "  tls: {alpn: [x, y]}\n")).alpn,
            (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(encode_alpn({"mqtt", "h2"}), std::string("\x04mqtt\x02h2", 8));
}

TEST(AuthPresentation, SniIsTheHostUnlessAnIpOrOverridden) {
  const char* mode = "  mode: new_default_builder\n";
  EXPECT_EQ(first(make(mode)).sni, "h.example");
  EXPECT_EQ(first(make(mode, "target: {endpoint: 127.0.0.1}\n")).sni, "");
  EXPECT_EQ(first(make("  mode: new_default_builder\n  tls: {sni: other.example}\n")).sni, "other.example");
}

TEST(AuthPresentation, OneIdentityPerDistinctCredentialSet) {
  auto shared = make("  mode: mtls_from_path\n  cert_filepath: c.crt\n  pri_key_filepath: k.key\n"
                     "  ca_filepath: ca.crt\n");
  FleetPresentation f(shared);
  for (std::uint64_t i = 0; i < 50; ++i) EXPECT_EQ(f.device(i, shared.target.endpoints[0]).identity, 0u);
  EXPECT_EQ(f.identity_count(), 1u);
  EXPECT_EQ(f.identity(0).kind, TlsIdentitySpec::Kind::PemFiles);
  EXPECT_EQ(*f.identity(0).ca_filepath, "ca.crt");

  auto per_device = make("  mode: mtls_from_path\n  cert_filepath: \"d/device-{index}.crt\"\n"
                         "  pri_key_filepath: \"d/{client_id}.key\"\n");
  FleetPresentation g(per_device);
  const auto& ep = per_device.target.endpoints[0];
  const std::size_t a = g.device(1, ep).identity;
  const std::size_t b = g.device(2, ep).identity;
  EXPECT_NE(a, b);
  EXPECT_EQ(g.device(1, ep).identity, a);  // the same device again: same identity
  EXPECT_EQ(g.identity(a).cert_filepath, "d/device-1.crt");
  EXPECT_EQ(g.identity(b).pri_key_filepath, "d/dev-2.key");
  EXPECT_EQ(g.identity_count(), 2u);
}

TEST(AuthPresentation, IdentityKeyHidesSecretsAndSeparatesThem) {
  TlsIdentitySpec a;
  a.kind = TlsIdentitySpec::Kind::Pkcs12;
  a.pkcs12_filepath = "x.p12";
  a.pkcs12_password = "P12SECRET";
  TlsIdentitySpec b = a;
  b.pkcs12_password = "other";
  EXPECT_NE(a.key(), b.key());
  EXPECT_EQ(a.key().find("P12SECRET"), std::string::npos);
  EXPECT_EQ(a.key().size(), 64u);
}

TEST(AuthPresentation, CaBytesWinOverFiles) {
  auto s = make("  mode: new_default_builder\n  ca_filepath: f.crt\n  ca_bytes: \"-----BEGIN CERTIFICATE-----\"\n");
  FleetPresentation f(s);
  auto d = f.device(0, s.target.endpoints[0]);
  EXPECT_TRUE(f.identity(d.identity).ca_bytes);
  EXPECT_FALSE(f.identity(d.identity).ca_filepath);
}

TEST(AuthPresentation, WebSocketCustomHandshakeRendersPerDevice) {
  auto s = make("  mode: websockets_with_custom_handshake\n"
                "  websocket:\n    headers: {x-device: \"{client_id}\"}\n    query: {n: \"{index} x\"}\n");
  DevicePresentation d = first(s, 9);
  ASSERT_TRUE(d.websocket);
  EXPECT_EQ(d.websocket->host, "h.example");
  EXPECT_EQ(d.websocket->path, "/mqtt");
  EXPECT_EQ(d.websocket->subprotocol, "mqtt");
  EXPECT_EQ(d.websocket->headers.at(0), (std::pair<std::string, std::string>{"x-device", "dev-9"}));
  EXPECT_EQ(d.websocket->target(), "/mqtt?n=9%20x");
  EXPECT_FALSE(d.websocket->sigv4_region);
  EXPECT_EQ(d.port, 443);
}

TEST(AuthPresentation, SigV4PresignsAtConnectTime) {
  auto s = make("  mode: websockets_with_default_aws_signing\n  region: us-east-1\n",
                "target: {endpoint: example-ats.iot.us-east-1.amazonaws.com}\n");
  DevicePresentation d = first(s);
  ASSERT_TRUE(d.websocket && d.websocket->sigv4_region);
  AwsCredentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                   "FwoGZXIvYXdzEXAMPLE/TOKEN+with=chars", std::nullopt};
  Presigned p = d.websocket->presign(c, std::chrono::system_clock::from_time_t(1440938160));
  // aws doc §9, second vector.
  EXPECT_EQ(p.signature, "bb97ceda63bdd9199ada8c5ce76411245451e9449f3ef5bfcb5ebb278816da2e");
  EXPECT_TRUE(p.target.starts_with("/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
}

TEST(AuthPresentation, Pkcs11AndPkcs12IdentitiesCarryTheirOptions) {
  auto s = make("  mode: mtls_with_pkcs11\n  pkcs11_lib: /lib.so\n  user_pin: \"1234\"\n"
                "  token_label: tok\n  private_key_label: key\n  cert_filepath: c.crt\n");
  FleetPresentation f(s);
  const auto& id = f.identity(f.device(0, s.target.endpoints[0]).identity);
  EXPECT_EQ(id.kind, TlsIdentitySpec::Kind::Pkcs11);
  EXPECT_EQ(id.pkcs11_lib, "/lib.so");
  EXPECT_EQ(*id.user_pin, "1234");
  EXPECT_EQ(*id.token_label, "tok");
  auto p = make("  mode: mtls_with_pkcs12\n  pkcs12_filepath: \"d-{index}.p12\"\n  pkcs12_password: pw\n");
  FleetPresentation g(p);
  const auto& pid = g.identity(g.device(5, p.target.endpoints[0]).identity);
  EXPECT_EQ(pid.pkcs12_filepath, "d-5.p12");
  EXPECT_EQ(pid.pkcs12_password, "pw");
}

}  // namespace
}  // namespace fleetload::auth
