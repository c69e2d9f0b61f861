// Broker URLs (scenario/endpoint_url.hpp) and how target.endpoint(s) read them: the scheme
// picks TLS, WebSocket, the default port and (when auth.mode is absent) the mode; a scheme
// that contradicts auth.mode is an error naming both.
#include <gtest/gtest.h>

#include "scenario/endpoint_url.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

BrokerUrl url(std::string_view text) {
  std::string err;
  auto u = parse_broker_url(text, err);
  if (!u) throw std::runtime_error(std::string(text) + ": " + err);
  return *u;
}

std::string url_error(std::string_view text) {
  std::string err;
  return parse_broker_url(text, err) ? "(no error)" : err;
}

std::string error_of(std::string_view yaml) {
  try {
    parse_scenario(yaml, "s.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

// The same URL given with --set: the override's own name masks it too.
std::string error_of_override() {
  try {
    parse_scenario("", "s.yaml", std::vector<std::string>{"target.endpoint=mqtt://dev:hunter2@b", "fleet.devices=1"});
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(BrokerUrl, EachSchemeHasItsTransportAndDefaultPort) {
  EXPECT_EQ(url("mqtt://b").endpoint, (Endpoint{"b", 1883}));
  EXPECT_EQ(url("mqtts://b").endpoint, (Endpoint{"b", 8883}));
  EXPECT_EQ(url("ws://b").endpoint, (Endpoint{"b", 80}));
  EXPECT_EQ(url("wss://b").endpoint, (Endpoint{"b", 443}));
  EXPECT_EQ(url("MQTTS://b").scheme, UrlScheme::Mqtts);  // schemes are case-insensitive (RFC 3986 §3.1)
  EXPECT_FALSE(url("mqtt://b").explicit_port);
  const BrokerUrl p = url("wss://b.example:8443/mqtt/v2");
  EXPECT_EQ(p.endpoint, (Endpoint{"b.example", 8443, "/mqtt/v2"}));
  EXPECT_TRUE(p.explicit_port);
  EXPECT_EQ(url("mqtt://[::1]:1884").endpoint, (Endpoint{"::1", 1884}));
  EXPECT_EQ(url("ws://127.0.0.1:9001/").endpoint.path, "/");
}

TEST(BrokerUrl, RefusesWhatAnEndpointCannotMean) {
  EXPECT_EQ(url_error("http://b"), "the scheme must be mqtt://, mqtts://, ws:// or wss://");
  EXPECT_EQ(url_error("mqtt://"), "no host");
  EXPECT_EQ(url_error("mqtt://b:0"), "port must be 1..65535");
  EXPECT_EQ(url_error("mqtt://b:65536"), "port must be 1..65535");
  EXPECT_EQ(url_error("mqtt://b:99999"), "port must be 1..65535");  // not 99999 mod 65536
  EXPECT_EQ(url_error("mqtt://b:"), "port must be 1..65535");
  EXPECT_NE(url_error("mqtt://u:pw@b").find("auth.username and auth.password"), std::string::npos);
  EXPECT_NE(url_error("wss://b/mqtt?x=1").find("auth.websocket.query"), std::string::npos);
  EXPECT_NE(url_error("mqtt://b#f").find("fragment"), std::string::npos);
  EXPECT_NE(url_error("mqtts://b/path").find("a path only with ws:// or wss://"), std::string::npos);
  EXPECT_EQ(mask_url_userinfo("mqtt://u:pw@b:1/x@y"), "mqtt://***@b:1/x@y");
  EXPECT_EQ(mask_url_userinfo("mqtt://b:1"), "mqtt://b:1");
}

TEST(ScenarioUrl, TheSchemePicksTheModeWhenAuthNamesNone) {
  Scenario s = parse_scenario("target: {endpoint: \"mqtts://b\"}\nfleet: {devices: 1}\n", "s.yaml");
  EXPECT_EQ(s.auth.mode, AuthMode::NewDefaultBuilder);
  EXPECT_TRUE(s.auth.tls.enabled);
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"b", 8883}}));

  s = parse_scenario("target: {endpoint: \"ws://b:8080/fleet\"}\nfleet: {devices: 1}\n", "s.yaml");
  EXPECT_EQ(s.auth.mode, AuthMode::WebsocketsWithCustomHandshake);
  EXPECT_FALSE(s.auth.tls.enabled);
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"b", 8080, "/fleet"}}));

  s = parse_scenario("target: {endpoint: \"wss://b\"}\nfleet: {devices: 1}\n", "s.yaml");
  EXPECT_EQ(s.auth.mode, AuthMode::WebsocketsWithCustomHandshake);
  EXPECT_TRUE(s.auth.tls.enabled);

  s = parse_scenario("target: {endpoint: \"mqtt://b\"}\nfleet: {devices: 1}\n", "s.yaml");
  EXPECT_EQ(s.auth.mode, AuthMode::PlainTcp);
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"b", 1883}}));
}

TEST(ScenarioUrl, AnOptionOfTheImpliedModeIsAccepted) {
  // mqtts:// stands for new_default_builder, whose trust store option is ca_filepath.
  const Scenario s = parse_scenario("target: {endpoint: \"mqtts://b\"}\nauth: {ca_filepath: ca.pem}\nfleet: {devices: 1}\n",
                                    "s.yaml");
  EXPECT_EQ(s.auth.ca_filepath, "ca.pem");
}

TEST(ScenarioUrl, AnExplicitModeMustAgreeWithTheScheme) {
  EXPECT_EQ(error_of("target: {endpoint: \"mqtts://b\"}\nauth: {mode: plain_tcp}\nfleet: {devices: 1}\n"),
            "s.yaml:1:20: target.endpoint: \"mqtts://b\": mqtts:// (MQTT over TLS) does not match auth.mode plain_tcp "
            "(MQTT over TCP, no TLS); write mqtt:// or choose an auth.mode with TLS (e.g. new_default_builder)");
  const std::string ws = error_of(
      "target: {endpoint: \"ws://b\"}\nauth: {mode: mtls_from_path, cert_filepath: c, pri_key_filepath: k}\n"
      "fleet: {devices: 1}\n");
  EXPECT_NE(ws.find("ws:// (MQTT over WebSocket, no TLS) does not match auth.mode mtls_from_path (MQTT over TLS)"),
            std::string::npos)
      << ws;
  const std::string tls_off = error_of(
      "target: {endpoint: \"wss://b\"}\nauth: {mode: websockets_with_custom_handshake, tls: {enabled: false}}\n"
      "fleet: {devices: 1}\n");
  EXPECT_NE(tls_off.find("does not match auth.mode websockets_with_custom_handshake with auth.tls.enabled false"),
            std::string::npos)
      << tls_off;
  // Agreeing: an mTLS mode on mqtts://, a WebSocket mode on ws:// (TLS then off).
  EXPECT_EQ(error_of("target: {endpoint: \"mqtts://b:8883\"}\nauth: {mode: mtls_from_path, cert_filepath: c, "
                     "pri_key_filepath: k}\nfleet: {devices: 1}\n"),
            "(no error)");
  const Scenario s = parse_scenario(
      "target: {endpoint: \"ws://b\"}\nauth: {mode: websockets_with_default_aws_signing, region: eu-west-1}\n"
      "fleet: {devices: 1}\n",
      "s.yaml");
  EXPECT_FALSE(s.auth.tls.enabled);
}

TEST(ScenarioUrl, PortsOfPortlessUrls) {
  // target.port, else the scheme's; direct_with_custom_authorizer always 443, as the SDK.
  Scenario s = parse_scenario("target: {endpoint: \"mqtt://b\", port: 18830}\nfleet: {devices: 1}\n", "s.yaml");
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"b", 18830}}));
  s = parse_scenario("target: {endpoint: \"mqtts://b\"}\nauth: {mode: direct_with_custom_authorizer}\nfleet: {devices: 1}\n",
                     "s.yaml");
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"b", 443}}));
  EXPECT_NE(error_of("target: {endpoint: \"mqtt://b:1884\", port: 1883}\nfleet: {devices: 1}\n")
                .find("target.port: 1883 conflicts with the port of target.endpoint \"mqtt://b:1884\""),
            std::string::npos);
}

TEST(ScenarioUrl, EndpointListsMixFormsButNotTransports) {
  const Scenario s = parse_scenario(
      "target:\n  endpoints: [\"mqtt://a\", \"b:1884\", {host: c, port: 1885}]\nfleet: {devices: 3}\n", "s.yaml");
  EXPECT_EQ(s.target.endpoints, (std::vector<Endpoint>{{"a", 1883}, {"b", 1884}, {"c", 1885}}));
  const std::string e = error_of("target:\n  endpoints: [\"mqtt://a\", \"mqtts://b\"]\nfleet: {devices: 2}\n");
  EXPECT_NE(e.find("target.endpoints.1: \"mqtts://b\": mqtts:// (MQTT over TLS) does not match auth.mode plain_tcp"),
            std::string::npos)
      << e;
}

TEST(ScenarioUrl, BadUrlsNameTheFieldAndNeverThePassword) {
  const std::string e = error_of("target: {endpoint: \"mqtt://dev:hunter2@b\"}\nfleet: {devices: 1}\n");
  EXPECT_NE(e.find("s.yaml:1:20: target.endpoint: expected a broker URL"), std::string::npos) << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
  const std::string o = error_of_override();
  EXPECT_EQ(o.find("hunter2"), std::string::npos) << o;
}

TEST(ScenarioUrl, AWebSocketPathSurvivesToYaml) {
  const Scenario s = parse_scenario("target: {endpoint: \"wss://b/mqtt/v2\"}\nfleet: {devices: 1}\n", "s.yaml");
  const std::string y = to_yaml(s, true);
  EXPECT_NE(y.find("wss://b:443/mqtt/v2"), std::string::npos) << y;
  const Scenario again = parse_scenario(y, "again.yaml");
  EXPECT_EQ(again.target.endpoints, s.target.endpoints);
  EXPECT_EQ(again.auth.mode, s.auth.mode);
  EXPECT_EQ(to_yaml(again, true), y);
}

}  // namespace
}  // namespace fleetload::scenario
