// The scripted broker itself, driven with raw bytes from a plain socket (no fleetload code):
// it answers as its config says and logs what it saw with timestamps, so the SDK-behaviour
// tests can trust its traces.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <vector>

#include "e2e/scripted_broker_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{2, 0};  // every read is bounded
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const Bytes& b) { ASSERT_EQ(::send(fd_, b.data(), b.size(), 0), static_cast<ssize_t>(b.size())); }
  // Reads exactly n bytes; fewer when the peer closed or the 2 s timeout passed.
  Bytes read(std::size_t n) {
    Bytes out(n);
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

Bytes connect_packet(const std::string& client_id, std::uint8_t version, bool clean) {
  Bytes body{0x00, 0x04, 'M', 'Q', 'T', 'T', version, static_cast<std::uint8_t>(clean ? 0x02 : 0x00), 0x00, 0x3C};
  if (version == 5) body.push_back(0x00);  // no properties
  body.push_back(0x00);
  body.push_back(static_cast<std::uint8_t>(client_id.size()));
  body.insert(body.end(), client_id.begin(), client_id.end());
  Bytes p{0x10, static_cast<std::uint8_t>(body.size())};
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

const boost::json::object* find_event(const std::vector<boost::json::object>& ev, const char* name) {
  for (const auto& e : ev)
    if (e.at("event").as_string() == name) return &e;
  return nullptr;
}

TEST(ScriptedBrokerFixture, AnswersAsConfiguredAndLogsEveryEventWithItsTime) {
  ScriptedBroker b(R"({"profiles": [{"match": "x-.*", "server_keep_alive": 7, "pingresp": false,
                                      "suback_extra_codes": 2, "drop_after": 0.5,
                                      "actions": [{"after": "suback", "type": "publish", "topic": "a/b", "alias": 3}]}]})");
  Client c(b.port());
  ASSERT_TRUE(c.connected());
  c.send(connect_packet("x-1", 5, true));
  // CONNACK: session present 0, success, properties {Server Keep Alive 7}.
  EXPECT_EQ(c.read(8), (Bytes{0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x07}));
  c.send({0xC0, 0x00});  // PINGREQ: not answered
  c.send({0x82, 0x09, 0x00, 0x01, 0x00, 0x00, 0x03, 'a', '/', 'b', 0x01});  // SUBSCRIBE a/b QoS 1
  // SUBACK with 1 + 2 codes, then the PUBLISH action: topic a/b, Topic Alias 3, 16 bytes.
  EXPECT_EQ(c.read(8), (Bytes{0x90, 0x06, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01}));
  const Bytes pub = c.read(2 + 2 + 3 + 4 + 16);
  ASSERT_EQ(pub.size(), 27u);
  EXPECT_EQ(pub[0], 0x30);
  EXPECT_EQ((Bytes{pub.begin() + 7, pub.begin() + 11}), (Bytes{0x03, 0x23, 0x00, 0x03}));
  EXPECT_TRUE(c.read(1).empty()) << "the broker closes 0.5 s after CONNACK";
  ASSERT_TRUE(b.wait_until([](const auto& ev) { return find_event(ev, "close") != nullptr; }, 5s));

  const auto ev = b.events();
  const auto* connect = find_event(ev, "connect");
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->at("client_id").as_string(), "x-1");
  EXPECT_EQ(connect->at("version").to_number<int>(), 5);
  EXPECT_TRUE(connect->at("clean_start").as_bool());
  EXPECT_NE(find_event(ev, "pingreq"), nullptr);
  EXPECT_EQ(find_event(ev, "pingresp"), nullptr);
  const auto traces = connections(ev);
  ASSERT_EQ(traces.size(), 1u);
  const ConnTrace& t = traces[0];
  EXPECT_EQ(t.closed_by, "broker");
  EXPECT_NEAR(t.close - t.connack, 0.5, 0.1);
  EXPECT_LE(t.accept, t.connect);
  EXPECT_LE(t.connect, t.connack);
  EXPECT_EQ(t.pingreqs.size(), 1u);
}

TEST(ScriptedBrokerFixture, RefusesPerAttemptAndKeepsSessionsWhenAskedTo) {
  ScriptedBroker b(R"({"profiles": [{"match": "k", "connack_codes": [5, 0], "session": "keep"}]})");
  const std::vector<std::pair<bool, Bytes>> attempts = {
      {false, {0x20, 0x02, 0x00, 0x05}},  // 1st: refused (3.1.1 not authorized)
      {false, {0x20, 0x02, 0x00, 0x00}},  // 2nd: accepted, no session yet
      {false, {0x20, 0x02, 0x01, 0x00}},  // 3rd: rejoins it: Session Present
      {true, {0x20, 0x02, 0x00, 0x00}},   // 4th: Clean Session discards it
  };
  for (const auto& [clean, want] : attempts) {
    Client c(b.port());
    c.send(connect_packet("k", 4, clean));
    EXPECT_EQ(c.read(4), want);
    c.send({0xE0, 0x00});  // DISCONNECT
  }
  ASSERT_TRUE(b.wait_until([](const auto& ev) { return connections(ev).size() == 4 && !std::isnan(connections(ev)[3].close); }, 5s));
  for (const auto& t : connections(b.events())) {
    ASSERT_EQ(t.disconnects.size(), 1u);
    EXPECT_EQ(t.disconnects[0].second, 0);
    EXPECT_EQ(t.closed_by, "device");
  }
}

}  // namespace
}  // namespace fleetload::e2e
