// A WebSocket server that refuses every upgrade with a reason phrase echoing the request
// line and all headers (ws_verify_server.py --mode echo, a real websockify): through the
// fleetload binary, the first WebSocket failure reaches the summary, the JSON and the HTML
// report without the session token, the signature, the credential, custom header or query
// values, in printable ASCII and bounded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/ws_front.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kAkid = "AKIDWSECHOTEST";
constexpr const char* kToken = "FwoGZXIvYXdzEcho/TOKEN+with=chars";
constexpr const char* kTokenEncoded = "FwoGZXIvYXdzEcho%2FTOKEN%2Bwith%3Dchars";
constexpr const char* kHeaderSecret = "hdr-Echo-secret-77";
constexpr const char* kQuerySecret = "qry-Echo-secret-88";

struct Case {
  const char* name;
  std::string auth;
  std::vector<std::string> secrets;  // none may appear in any output
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class WsEcho : public ::testing::TestWithParam<Case> {};

TEST_P(WsEcho, AReasonPhraseEchoingTheRequestLeaksNoSecret) {
  const Case& c = GetParam();
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  WsFront front({.broker_port = broker.port(), .config_json = R"({"mode": "echo"})", .cert = {}, .key = {},
                 .heartbeat_s = 0});
  const fs::path dir = make_temp_dir(std::string("ws-echo-") + c.name);
  const fs::path file = write_file(
      dir, "s.yaml",
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(front.port()) + ", connect_timeout: 3s}\n"
      "fleet: {devices: 2, connect_rate: 100/s}\n"
      "reconnect: {min_delay: 300ms, max_delay: 600ms}\n"
      "run: {duration: 2s}\n"
      "auth:\n" + c.auth + "  tls: {enabled: false}\n");
  const fs::path report = dir / "report.json";
  const Outcome o = run_fleetload({"run", file.string(), "--report", report.string(), "--no-progress", "--no-metrics"},
                                  dir, 60s, report);
  ASSERT_TRUE(o.report.has_value()) << o.describe() << front.log();
  // The server did echo them: its verdict log holds the reason it sent.
  ASSERT_GE(front.count("refused"), 1u) << front.log();
  const std::string html = read_file(dir / "report.html");
  const std::string json = boost::json::serialize(*o.report);
  const std::string error = o.report->at("errors").at("websocket_error").as_string().c_str();
  EXPECT_EQ(error.rfind("upgrade_forbidden: HTTP 403 GET /mqtt", 0), 0u) << error;
  // The access key id is no secret (the resolved scenario shows it), but as a query value of
  // the echoed request it is withheld like every other.
  EXPECT_EQ(error.find(kAkid), std::string::npos) << error;
  for (const std::string& secret : c.secrets) {
    EXPECT_EQ(o.out.find(secret), std::string::npos) << secret << " in the summary:\n" << o.out;
    EXPECT_EQ(o.err.find(secret), std::string::npos) << secret << " on stderr";
    EXPECT_EQ(json.find(secret), std::string::npos) << secret << " in the JSON report: " << error;
    EXPECT_EQ(html.find(secret), std::string::npos) << secret << " in the HTML report";
  }
  // The signature (computed per attempt, unknown here) is gone too: no long hex run is left.
  std::size_t run = 0, longest = 0;
  for (char ch : error) {
    run = std::isxdigit(static_cast<unsigned char>(ch)) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  EXPECT_LT(longest, 32u) << error;
  // Printable ASCII, apart from the "…" our own redaction of the request target writes.
  std::string ascii = error;
  for (auto p = ascii.find("…"); p != std::string::npos; p = ascii.find("…")) ascii.replace(p, std::string("…").size(), ".");
  for (char ch : ascii) EXPECT_TRUE(ch >= 0x20 && ch < 0x7F) << error;
  // Bounded: the 200-character reason plus our own "for GET <path and names>" line.
  EXPECT_LT(error.size(), 500u) << error;
  EXPECT_NE(o.out.find("websocket error"), std::string::npos) << o.out;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, WsEcho,
    ::testing::Values(
        Case{"sigv4",
             "  mode: websockets_with_default_aws_signing\n  region: eu-west-1\n"
             "  credentials: {access_key_id: " + std::string(kAkid) +
                 ", secret_access_key: \"echoSecret/Key+0123456789abcdefEXAMPLE\", session_token: \"" + kToken +
                 "\"}\n",
             {kToken, kTokenEncoded, "echoSecret"}},
        Case{"handshake",
             "  mode: websockets_with_custom_handshake\n"
             "  websocket:\n    headers: {X-Fleet-Token: \"" + std::string(kHeaderSecret) + "-{index}\"}\n"
             "    query: {device: \"" + std::string(kQuerySecret) + "-{index}\"}\n",
             {kHeaderSecret, kQuerySecret}}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fleetload::e2e
