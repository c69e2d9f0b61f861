// sanitize_server_text: what a server says reaches reports without our secrets or query
// values, as printable ASCII, bounded; and a refused WebSocket upgrade whose reason phrase
// echoes the whole request is described without any of it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/server_text.hpp"
#include "net/ws_stream.hpp"

namespace fleetload::net {
namespace {

TEST(ServerText, SecretsAndQueryValuesAreRemoved) {
  const std::vector<std::string> secrets = {"tok/en+with=chars", "hunter22"};
  EXPECT_EQ(sanitize_server_text("denied for tok/en+with=chars (user hunter22)", secrets), "denied for *** (user ***)");
  EXPECT_EQ(sanitize_server_text("GET /mqtt?X-Amz-Date=20250101T000000Z&flag&key=v HTTP/1.1", {}),
            "GET /mqtt?X-Amz-Date=***&flag&key=*** HTTP/1.1");
  // Short secrets only where they stand alone: "1" does not blank "HTTP/1.1".
  const std::vector<std::string> short_one = {"1"};
  EXPECT_EQ(sanitize_server_text("HTTP/1.1 code 1", short_one), "HTTP/1.1 code ***");
}

TEST(ServerText, OnlyPrintableAsciiAndBounded) {
  EXPECT_EQ(sanitize_server_text("a\r\nb\x1b[31m\xc3\xa9", {}), "a??b?[31m??");
  const std::string cut = sanitize_server_text(std::string(1000, 'x'), {});
  EXPECT_EQ(cut.size(), kMaxServerText);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
}

TEST(ServerText, QueryValuesAreCollectedRawAndDecoded) {
  std::vector<std::string> v;
  query_values("/mqtt?a=x%2Fy&b=&c=plain&flag", v);
  EXPECT_EQ(v, (std::vector<std::string>{"x%2Fy", "x/y", "plain"}));
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(ServerText, AnUpgradeRefusalEchoingTheRequestLeaksNothing) {
  const std::string token = "FwoGZXIvYXdzEXAMPLE/TOKEN+with=chars";
  const std::string encoded = "FwoGZXIvYXdzEXAMPLE%2FTOKEN%2Bwith%3Dchars";
  WsConn c;
  c.begin("broker.example", "/mqtt?X-Amz-Credential=AKIDEXAMPLE%2F20250101&X-Amz-Security-Token=" + encoded +
                                "&X-Amz-Signature=deadbeefcafe",
          "mqtt", {{"X-Api-Key", "custom-header-secret"}});
  const std::vector<std::uint8_t> req(c.request_pending().begin(), c.request_pending().end());
  std::string echoed(req.begin(), req.end());
  for (auto p = echoed.find("\r\n"); p != std::string::npos; p = echoed.find("\r\n")) echoed.replace(p, 2, " | ");
  // The reason phrase: the request line and headers, plus the token decoded (as a server
  // that parsed the query would print it).
  const std::string resp = "HTTP/1.1 403 " + echoed + " decoded " + token + "\r\nContent-Length: 0\r\n\r\n";
  std::size_t consumed = 0;
  error_code ec;
  ASSERT_EQ(c.on_response(bytes(resp), consumed, ec), WsConn::Step::Failed);
  const std::string d = c.describe();
  for (const std::string& secret : {token, encoded, std::string("deadbeefcafe"), std::string("AKIDEXAMPLE"),
                                    std::string("custom-header-secret")})
    EXPECT_EQ(d.find(secret), std::string::npos) << secret << " in: " << d;
  EXPECT_NE(d.find("HTTP 403 GET /mqtt?X-Amz-Credential=***"), std::string::npos) << d;
  EXPECT_LE(d.size(), kMaxServerText + 100);  // the reason bounded, plus our own "for GET ..." line
}

}  // namespace
}  // namespace fleetload::net
