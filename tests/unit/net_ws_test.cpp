// WsConn: the upgrade request it writes, the response checks (RFC 6455 §4.1-4.2, accept
// key recomputed here with OpenSSL), client frames (masked, all three length forms), and
// the in-place reader of server frames split at every byte, plus its protocol errors.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <cstring>
#include <string>
#include <vector>

#include "net/ws_stream.hpp"

namespace fleetload::net {
namespace {

std::string request_text(const WsConn& c) {
  const auto p = c.request_pending();
  return std::string(reinterpret_cast<const char*>(p.data()), p.size());
}

std::string header_value(const std::string& req, const std::string& name) {
  const auto at = req.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "<absent>";
  const auto start = at + name.size() + 4;
  return req.substr(start, req.find("\r\n", start) - start);
}

// base64(SHA-1(key + GUID)), RFC 6455 §4.2.2, computed independently of Beast.
std::string accept_for(const std::string& key) {
  const std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(in.data(), in.size(), md, &n, EVP_sha1(), nullptr);
  unsigned char b64[64];
  const int len = EVP_EncodeBlock(b64, md, static_cast<int>(n));
  return std::string(reinterpret_cast<char*>(b64), static_cast<std::size_t>(len));
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

WsConn begun(const std::string& target = "/mqtt") {
  WsConn c;
  c.begin("broker.example.com", target, "mqtt", {{"X-Fleet", "dev-7"}});
  return c;
}

std::string ok_response(const WsConn& c, const std::string& extra = "Sec-WebSocket-Protocol: mqtt\r\n") {
  const std::string key = header_value(request_text(c), "Sec-WebSocket-Key");
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " + accept_for(key) + "\r\n" + extra + "\r\n";
}

TEST(WsUpgrade, RequestCarriesTheSdkHandshakeAndCustomHeaders) {
  WsConn c = begun("/mqtt?X-Amz-Date=20150830T123600Z&X-Amz-Signature=abc");
  const std::string req = request_text(c);
  EXPECT_EQ(req.rfind("GET /mqtt?X-Amz-Date=20150830T123600Z&X-Amz-Signature=abc HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_EQ(header_value(req, "Host"), "broker.example.com");
  EXPECT_EQ(header_value(req, "Upgrade"), "websocket");
  EXPECT_EQ(header_value(req, "Connection"), "Upgrade");
  EXPECT_EQ(header_value(req, "Sec-WebSocket-Version"), "13");
  EXPECT_EQ(header_value(req, "Sec-WebSocket-Protocol"), "mqtt");
  EXPECT_EQ(header_value(req, "X-Fleet"), "dev-7");
  EXPECT_EQ(header_value(req, "Sec-WebSocket-Key").size(), 24u);  // base64 of 16 bytes
  EXPECT_TRUE(req.ends_with("\r\n\r\n"));
  // A fresh key per attempt.
  EXPECT_NE(header_value(req, "Sec-WebSocket-Key"), header_value(request_text(begun()), "Sec-WebSocket-Key"));
  c.request_written(10);
  EXPECT_EQ(c.request_pending().size(), req.size() - 10);
  c.request_written(req.size());
  EXPECT_TRUE(c.request_pending().empty());
}

TEST(WsUpgrade, ValidResponseSplitAnywhereUpgradesAndLeavesFrameBytes) {
  WsConn c = begun();
  const std::string resp = ok_response(c);
  const std::string all = resp + "\x82\x02hi";
  std::size_t fed = 0;
  for (; fed < all.size(); ++fed) {
    std::size_t consumed = 0;
    error_code ec;
    const auto step = c.on_response(bytes(all).subspan(fed, 1), consumed, ec);
    if (step == WsConn::Step::Done) {
      EXPECT_EQ(fed + consumed, resp.size());
      break;
    }
    ASSERT_EQ(step, WsConn::Step::NeedMore) << ec.message();
    EXPECT_EQ(consumed, 1u);
  }
  EXPECT_TRUE(c.upgraded());
  EXPECT_EQ(fed + 1, resp.size());
  // Response and frames in one read: consumed stops at the header's end.
  WsConn d = begun();
  const std::string r2 = ok_response(d) + "\x82\x02hi";
  std::size_t consumed = 0;
  error_code ec;
  EXPECT_EQ(d.on_response(bytes(r2), consumed, ec), WsConn::Step::Done);
  EXPECT_EQ(consumed, r2.size() - 4);
}

TEST(WsUpgrade, RefusalsAreReportedByStatusWithTheQueryWithheld) {
  struct Case {
    const char* status_line;
    WsFailure want;
    unsigned status;
  };
  for (const Case& k : {Case{"HTTP/1.1 403 signature mismatch", WsFailure::UpgradeForbidden, 403},
                        Case{"HTTP/1.1 401 Unauthorized", WsFailure::UpgradeUnauthorized, 401},
                        Case{"HTTP/1.1 500 Internal Server Error", WsFailure::UpgradeRefused, 500},
                        Case{"HTTP/1.1 200 OK", WsFailure::UpgradeRefused, 200}}) {
    WsConn c = begun("/mqtt?X-Amz-Credential=AKID%2Fscope&X-Amz-Signature=deadbeef");
    const std::string resp = std::string(k.status_line) + "\r\nContent-Length: 5\r\n\r\nbody!";
    std::size_t consumed = 0;
    error_code ec;
    ASSERT_EQ(c.on_response(bytes(resp), consumed, ec), WsConn::Step::Failed) << k.status_line;
    EXPECT_EQ(ws_failure_of(ec), k.want) << ec.message();
    EXPECT_EQ(c.status(), k.status);
    const std::string d = c.describe();
    EXPECT_NE(d.find("HTTP " + std::to_string(k.status)), std::string::npos) << d;
    EXPECT_NE(d.find("for GET /mqtt?X-Amz-Credential=…&X-Amz-Signature=…"), std::string::npos) << d;
    EXPECT_EQ(d.find("deadbeef"), std::string::npos) << d;
    EXPECT_EQ(d.find("AKID"), std::string::npos) << d;
    EXPECT_FALSE(c.upgraded());
    EXPECT_FALSE(c.may_send_close());
  }
}

TEST(WsUpgrade, A101ThatIsNotAValidHandshakeFails) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"wrong accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"},
      {"no upgrade", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {A}\r\n\r\n"},
      {"other subprotocol", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                            "Sec-WebSocket-Accept: {A}\r\nSec-WebSocket-Protocol: binary\r\n\r\n"},
      {"garbage", "SSH-2.0-OpenSSH_9.2\r\n\r\n"},
  };
  for (const auto& [name, tpl] : cases) {
    WsConn c = begun();
    std::string resp = tpl;
    if (auto at = resp.find("{A}"); at != std::string::npos)
      resp.replace(at, 3, accept_for(header_value(request_text(c), "Sec-WebSocket-Key")));
    std::size_t consumed = 0;
    error_code ec;
    EXPECT_EQ(c.on_response(bytes(resp), consumed, ec), WsConn::Step::Failed) << name;
    EXPECT_EQ(ws_failure_of(ec), WsFailure::BadUpgradeResponse) << name;
  }
  // Connection with several tokens and no subprotocol echoed are fine (as the SDK accepts).
  WsConn ok = begun();
  std::string resp = ok_response(ok, "");
  resp.replace(resp.find("Connection: Upgrade"), 19, "Connection: keep-alive, upgrade");
  std::size_t consumed = 0;
  error_code ec;
  EXPECT_EQ(ok.on_response(bytes(resp), consumed, ec), WsConn::Step::Done) << ok.reason();
  // A header that never ends is cut off at 8 KiB.
  WsConn big = begun();
  const std::string endless = "HTTP/1.1 101 Switching Protocols\r\nX: " + std::string(9000, 'a');
  EXPECT_EQ(big.on_response(bytes(endless), consumed, ec), WsConn::Step::Failed);
  EXPECT_EQ(ws_failure_of(ec), WsFailure::BadUpgradeResponse);
}

// Unmasks a client frame; checks the header form for `len`.
std::vector<std::uint8_t> unmask(const std::vector<std::uint8_t>& f, std::uint8_t op, std::size_t len) {
  EXPECT_EQ(f[0], 0x80 | op);  // FIN, no RSV
  EXPECT_TRUE(f[1] & 0x80);    // masked (RFC 6455 §5.3: every client frame)
  std::size_t at = 2;
  const std::uint8_t l7 = f[1] & 0x7F;
  if (len <= 125) {
    EXPECT_EQ(l7, len);
  } else if (len <= 0xFFFF) {
    EXPECT_EQ(l7, 126);
    EXPECT_EQ((std::size_t{f[2]} << 8) | f[3], len);
    at = 4;
  } else {
    EXPECT_EQ(l7, 127);
    std::uint64_t v = 0;
    for (int i = 2; i < 10; ++i) v = (v << 8) | f[static_cast<std::size_t>(i)];
    EXPECT_EQ(v, len);
    at = 10;
  }
  const std::uint8_t* key = &f[at];
  at += 4;
  EXPECT_EQ(f.size(), at + len);
  std::vector<std::uint8_t> out(f.begin() + static_cast<std::ptrdiff_t>(at), f.end());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] ^= key[i % 4];
  return out;
}

TEST(WsFraming, ClientFramesAreMaskedBinaryInAllLengthForms) {
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{125}, std::size_t{126}, std::size_t{65535},
                          std::size_t{65536}, std::size_t{70000}}) {
    std::vector<std::uint8_t> payload(len);
    for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 3);
    std::vector<std::uint8_t> f = payload;
    WsConn::frame_binary(f);
    EXPECT_EQ(unmask(f, 0x2, len), payload) << len;
  }
  std::vector<std::uint8_t> ctl;
  const std::uint8_t ping[3] = {1, 2, 3};
  WsConn::frame_control(ctl, WsOpcode::Pong, ping);
  EXPECT_EQ(unmask(ctl, 0xA, 3), std::vector<std::uint8_t>({1, 2, 3}));
  ctl.clear();
  WsConn::frame_close(ctl);
  EXPECT_EQ(unmask(ctl, 0x8, 2), std::vector<std::uint8_t>({0x03, 0xE8}));  // 1000
}

std::vector<std::uint8_t> server_frame(std::uint8_t b0, const std::string& payload) {
  std::vector<std::uint8_t> f = {b0};
  if (payload.size() <= 125) {
    f.push_back(static_cast<std::uint8_t>(payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.insert(f.end(), {126, static_cast<std::uint8_t>(payload.size() >> 8), static_cast<std::uint8_t>(payload.size())});
  } else {
    f.push_back(127);
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<std::uint8_t>(payload.size() >> (8 * i)));
  }
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

WsConn upgraded_conn() {
  WsConn c = begun();
  const std::string resp = ok_response(c);
  std::size_t consumed = 0;
  error_code ec;
  EXPECT_EQ(c.on_response(bytes(resp), consumed, ec), WsConn::Step::Done);
  return c;
}

TEST(WsFraming, ServerFramesSplitAtEveryByteYieldTheSameData) {
  const std::string big(70000, 'x');
  std::vector<std::uint8_t> stream;
  std::string want;
  for (const auto& [b0, p] : std::vector<std::pair<std::uint8_t, std::string>>{
           {0x82, "\x10\x02\x00\x00"}, {0x02, "first-half/"}, {0x80, "continued"}, {0x89, "pi"},
           {0x82, std::string(300, 'm')}, {0x8A, "unsolicited pong"}, {0x82, big}, {0x82, ""}}) {
    const auto f = server_frame(b0, p);
    stream.insert(stream.end(), f.begin(), f.end());
    if ((b0 & 0x0F) <= 2) want += p;
  }
  for (std::size_t split : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{1000},
                            stream.size()}) {
    WsConn c = upgraded_conn();
    std::string got;
    bool ping = false;
    for (std::size_t at = 0; at < stream.size(); at += split) {
      std::vector<std::uint8_t> chunk(stream.begin() + static_cast<std::ptrdiff_t>(at),
                                      stream.begin() + static_cast<std::ptrdiff_t>(std::min(stream.size(), at + split)));
      WsConn::Events ev;
      error_code ec;
      const std::size_t n = c.unframe(chunk, ev, ec);
      ASSERT_FALSE(ec) << split << " " << at;
      got.append(reinterpret_cast<const char*>(chunk.data()), n);
      if (ev.ping) {
        ping = true;
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(c.pong_payload().data()), c.pong_payload().size()), "pi");
      }
      EXPECT_FALSE(ev.close);
    }
    EXPECT_EQ(got, want) << "split " << split;
    EXPECT_TRUE(ping) << split;
    EXPECT_TRUE(c.may_send_close());
  }
}

TEST(WsFraming, CloseFrameEndsTheStreamWithItsCode) {
  WsConn c = upgraded_conn();
  auto f = server_frame(0x82, "ab");
  const auto close = server_frame(0x88, std::string("\x03\xF3", 2) + "bye");  // 1011
  f.insert(f.end(), close.begin(), close.end());
  const auto after = server_frame(0x82, "ignored");
  f.insert(f.end(), after.begin(), after.end());
  WsConn::Events ev;
  error_code ec;
  EXPECT_EQ(c.unframe(f, ev, ec), 2u);
  EXPECT_TRUE(ev.close);
  EXPECT_FALSE(ec);
  EXPECT_EQ(c.close_code(), 1011);
  EXPECT_TRUE(c.may_send_close());  // the answer to a close is a close
  c.close_sent();
  EXPECT_FALSE(c.may_send_close());
}

TEST(WsFraming, ProtocolViolationsAreErrors) {
  const std::vector<std::pair<const char*, std::vector<std::uint8_t>>> cases = {
      {"text frame", server_frame(0x81, "{}")},
      {"masked server frame", {0x82, 0x82, 1, 2, 3, 4, 'a', 'b'}},
      {"rsv bit", server_frame(0xC2, "x")},
      {"reserved opcode", server_frame(0x83, "x")},
      {"fragmented ping", server_frame(0x09, "x")},
      {"long ping", server_frame(0x89, std::string(126, 'p'))},
  };
  for (const auto& [name, frame] : cases) {
    WsConn c = upgraded_conn();
    std::vector<std::uint8_t> buf = server_frame(0x82, "ok");
    buf.insert(buf.end(), frame.begin(), frame.end());
    WsConn::Events ev;
    error_code ec;
    EXPECT_EQ(c.unframe(buf, ev, ec), 2u) << name;  // the data before the error still counts
    EXPECT_EQ(ws_failure_of(ec), WsFailure::Protocol) << name;
    EXPECT_FALSE(c.may_send_close()) << name;
  }
}

TEST(WsMessages, RedactTargetKeepsNamesOnly) {
  EXPECT_EQ(redact_target("/mqtt"), "/mqtt");
  EXPECT_EQ(redact_target("/mqtt?a=1&X-Amz-Security-Token=s%2Fecret&flag"), "/mqtt?a=…&X-Amz-Security-Token=…&flag=…");
  EXPECT_EQ(to_string(WsFailure::UpgradeForbidden), std::string("upgrade_forbidden"));
  EXPECT_NE(make_error_code(WsFailure::CredentialsExpired).message().find("expired"), std::string::npos);
  EXPECT_EQ(ws_failure_of(make_error_code(WsFailure::Closed)), WsFailure::Closed);
  EXPECT_EQ(ws_failure_of(error_code()), WsFailure::None);
}

}  // namespace
}  // namespace fleetload::net
