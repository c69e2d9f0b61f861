// The CONNECT packet each SDK builder puts on the wire (aws doc §1, §4, §5): the device
// session's bytes are compared with CONNECTs assembled by hand here (MQTT 3.1.1 §3.1,
// MQTT 5 §3.1), so the username (SDK metrics suffix, custom-authorizer parameters) and the
// password are checked byte for byte, independently of our encoder.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "auth/presentation.hpp"
#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using Bytes = std::vector<std::uint8_t>;

const std::string kCurrent311 =
    "SDK=IoTDeviceSDK/Python&Platform=Unix&Metadata=(CRTVersion=0.24.0;IoTSDKVersion=1.24.0;"
    "IoTSDKFeature=F/3;IoTSDKMetricsVersion=1)";
const std::string kCurrent5 =
    "SDK=IoTDeviceSDK/Python&Platform=Unix&Metadata=(CRTVersion=0.24.0;IoTSDKVersion=1.24.0;"
    "IoTSDKFeature=F/5;IoTSDKMetricsVersion=1)";

void put_string(Bytes& b, const std::string& s) {
  b.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  b.push_back(static_cast<std::uint8_t>(s.size() & 0xFF));
  b.insert(b.end(), s.begin(), s.end());
}

// A CONNECT as the spec lays it out, with the defaults a parsed scenario has: keep alive
// 1200 s, clean session false (3.1.1) / clean start (5), no will, no properties.
Bytes expected_connect(bool v5, const std::string& client_id, const std::optional<std::string>& user,
                       const std::optional<std::string>& pass) {
  Bytes body;
  put_string(body, "MQTT");
  body.push_back(v5 ? 5 : 4);
  std::uint8_t flags = v5 ? 0x02 : 0x00;
  if (user) flags |= 0x80;
  if (pass) flags |= 0x40;
  body.push_back(flags);
  body.push_back(1200 >> 8);
  body.push_back(1200 & 0xFF);
  if (v5) body.push_back(0);  // property length: the SDK sends no CONNECT properties
  put_string(body, client_id);
  if (user) put_string(body, *user);
  if (pass) put_string(body, *pass);
  Bytes out{0x10};
  for (std::size_t n = body.size();;) {  // remaining length, variable byte integer
    std::uint8_t byte = n % 128;
    n /= 128;
    if (n > 0) byte |= 0x80;
    out.push_back(byte);
    if (n == 0) break;
  }
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

scenario::Scenario parse(const std::string& auth, bool v5) {
  return scenario::parse_scenario(std::string("target: {endpoint: h.example, protocol: ") +
                                      (v5 ? "mqtt5" : "mqtt311") +
                                      "}\nfleet: {devices: 100, client_id: \"dev-{index}\"}\nauth:\n" + auth,
                                  "connect.yaml");
}

struct Case {
  const char* name;
  std::string auth;
  std::optional<std::string> user311, user5, pass;
};

std::vector<Case> cases() {
  const std::string ca_name = "x-amz-customauthorizer-name=MyAuth";
  return {
      {"mtls_from_path_metrics_only",
       "  mode: mtls_from_path\n  cert_filepath: c\n  pri_key_filepath: k\n",
       "?" + kCurrent311, "?" + kCurrent5, std::nullopt},
      {"mtls_from_bytes_username_legacy_metrics",
       "  mode: mtls_from_bytes\n  cert_bytes: \"-----BEGIN CERTIFICATE-----\"\n  pri_key_bytes: \"-----BEGIN PRIVATE KEY-----\"\n  username: \"u-{index}\"\n"
       "  metrics: {format: legacy, sdk_version: 1.2.3}\n",
       "u-7?SDK=PythonV2&Version=1.2.3", "u-7?SDK=PythonV2&Version=1.2.3", std::nullopt},
      {"mtls_with_pkcs12_metrics_off_no_username",
       "  mode: mtls_with_pkcs12\n  pkcs12_filepath: p.p12\n  pkcs12_password: pw\n"
       "  enable_metrics_collection: false\n",
       std::nullopt, std::nullopt, std::nullopt},
      {"mtls_with_pkcs11_username_with_query",
       "  mode: mtls_with_pkcs11\n  pkcs11_lib: /l.so\n  cert_filepath: c\n  token_label: t\n"
       "  username: \"{client_id}?a=1\"\n",
       "dev-7?a=1&" + kCurrent311, "dev-7?a=1&" + kCurrent5, std::nullopt},
      {"new_default_builder_username_password",
       "  mode: new_default_builder\n  username: \"user-{index}\"\n  password: s3cret\n",
       "user-7?" + kCurrent311, "user-7?" + kCurrent5, std::string("s3cret")},
      {"custom_authorizer_signed_current",
       "  mode: direct_with_custom_authorizer\n  auth_username: \"u{index}\"\n"
       "  auth_authorizer_name: MyAuth\n  auth_authorizer_signature: \"c2l+n=\"\n"
       "  auth_token_key_name: token\n  auth_token_value: \"tok-{index}\"\n  auth_password: apw\n"
       "  password: ignored\n",
       "u7?" + ca_name + "&x-amz-customauthorizer-signature=c2l%2Bn%3D&token=tok-7&" + kCurrent311,
       "u7?" + ca_name + "&token=tok-7&x-amz-customauthorizer-signature=c2l%2Bn%3D&" + kCurrent5,
       std::string("apw")},
      {"custom_authorizer_signed_legacy_doc_order",
       "  mode: direct_with_custom_authorizer\n  auth_username: user1\n"
       "  auth_authorizer_name: MyAuth\n  auth_authorizer_signature: c2ln\n"
       "  auth_token_key_name: token\n  auth_token_value: abc\n"
       "  metrics: {format: legacy, sdk_version: 1.2.3}\n",
       "user1?" + ca_name + "&x-amz-customauthorizer-signature=c2ln&token=abc&SDK=PythonV2&Version=1.2.3",
       "user1?" + ca_name + "&x-amz-customauthorizer-signature=c2ln&token=abc&SDK=PythonV2&Version=1.2.3",
       std::nullopt},
      {"custom_authorizer_unsigned_falls_back_to_username_and_password",
       "  mode: direct_with_custom_authorizer\n  username: \"base-{index}\"\n  password: pw\n"
       "  auth_authorizer_name: MyAuth\n  enable_metrics_collection: false\n",
       "base-7?" + ca_name, "base-7?" + ca_name, std::string("pw")},
      {"websockets_with_custom_authorizer_same_username",
       "  mode: websockets_with_custom_authorizer\n  auth_username: w\n  auth_authorizer_name: MyAuth\n"
       "  auth_token_key_name: k\n  auth_token_value: \"k=already-{index}\"\n  auth_password: p\n",
       "w?" + ca_name + "&k=already-7&" + kCurrent311, "w?" + ca_name + "&k=already-7&" + kCurrent5,
       std::string("p")},
      {"plain_tcp_username_as_written",
       "  mode: plain_tcp\n  username: \"{client_id}\"\n  password: p\n",
       "dev-7", "dev-7", std::string("p")},
  };
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class SdkConnect : public ::testing::TestWithParam<std::tuple<Case, bool>> {};

TEST_P(SdkConnect, ConnectBytesAreTheSdkBuildersExactly) {
  const auto& [c, v5] = GetParam();
  const scenario::Scenario s = parse(c.auth, v5);
  test::Harness h(s, 7);
  h.start();
  ASSERT_FALSE(h.sent.empty());
  const std::optional<std::string>& user = v5 ? c.user5 : c.user311;
  EXPECT_EQ(h.sent[0], expected_connect(v5, "dev-7", user, c.pass));
  const auto pkt = h.packet(0);
  const auto& connect = std::get<mqtt::Connect>(pkt);
  EXPECT_EQ(connect.username, user);
  // The engine's presentation (used for TLS/WebSocket set-up) tells the same story.
  auth::FleetPresentation fp(s);
  const auth::DevicePresentation d = fp.device(7, s.target.endpoints.at(0));
  EXPECT_EQ(d.username, user);
  EXPECT_EQ(d.password, c.pass);
  // Rendered into per-thread scratch when the CONNECT was built: nothing kept per device.
  EXPECT_EQ(h.session.heap_bytes(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, SdkConnect, ::testing::Combine(::testing::ValuesIn(cases()), ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<Case, bool>>& i) {
      return std::string(std::get<0>(i.param).name) + (std::get<1>(i.param) ? "_mqtt5" : "_mqtt311");
    });

TEST(SdkConnect, UsernameRecipeSeparatorsFollowTheRenderedBase) {
  // A '?' arriving through the client id decides the separator at render time (aws doc §1).
  auto s = parse("  mode: new_default_builder\n  username: \"{client_id}\"\n"
                 "  metrics: {format: legacy, sdk_version: 9}\n",
                 false);
  s.fleet.client_id = "d?{index}";
  test::Harness h(s, 3);
  h.start();
  const auto pkt = h.packet(0);
  EXPECT_EQ(std::get<mqtt::Connect>(pkt).username, "d?3&SDK=PythonV2&Version=9");
}

TEST(SdkConnect, ReconnectSendsTheSameUsername) {
  auto s = parse("  mode: direct_with_custom_authorizer\n  auth_username: \"u{index}\"\n"
                 "  auth_authorizer_name: A\n  enable_metrics_collection: false\n",
                 true);
  test::Harness h(s, 2);
  h.start();
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::SocketError, {}); });
  h.advance(std::chrono::seconds(130));
  const auto connects = h.of_type(mqtt::PacketType::Connect);
  ASSERT_GE(connects.size(), 2u);
  EXPECT_EQ(h.sent[connects[0]], h.sent[connects[1]]);
  EXPECT_EQ(std::get<mqtt::Connect>(h.packet(connects[1])).username, "u2?x-amz-customauthorizer-name=A");
}

}  // namespace
}  // namespace fleetload::device
