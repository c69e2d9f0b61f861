// Large payloads against a real mosquitto: the shared body written by scatter-gather (and its
// unsent tails when the socket is full) arrives byte for byte, every message, as counted by
// an MQTT subscriber of the test's own (a plain blocking socket, no fleetload code).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e/mosquitto_fixture.hpp"
#include "engine/engine.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::engine {
namespace {

using namespace std::chrono_literals;

// A QoS 1 subscriber to `filter` that checks each payload against the fleetload layout:
// "FLD2", run id (4), publisher (4), stream (1), seq (7), ns (8), then 'a' + (offset % 26) up to `size`.
class CheckingSubscriber {
 public:
  CheckingSubscriber(std::uint16_t port, const std::string& filter, std::size_t size) : size_(size) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    const std::string id = "checker";
    std::vector<std::uint8_t> c{0x10, 0, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, static_cast<std::uint8_t>(id.size())};
    c.insert(c.end(), id.begin(), id.end());
    c[1] = static_cast<std::uint8_t>(c.size() - 2);
    send_all(c);
    std::vector<std::uint8_t> s{0x82, 0, 0, 1, 0, static_cast<std::uint8_t>(filter.size())};
    s.insert(s.end(), filter.begin(), filter.end());
    s.push_back(1);
    s[1] = static_cast<std::uint8_t>(s.size() - 2);
    send_all(s);
    reader_ = std::thread([this] { read_loop(); });
    // Subscribed once the SUBACK is in (bounded wait).
    for (int i = 0; i < 500 && !subscribed_; ++i) std::this_thread::sleep_for(10ms);
    if (!subscribed_) throw std::runtime_error("no SUBACK");
  }
  ~CheckingSubscriber() {
    stop_ = true;
    reader_.join();
    ::close(fd_);
  }

  // Waits (bounded) until `n` messages are in or nothing new arrived for `quiet`.
  void wait_for(std::uint64_t n, std::chrono::milliseconds quiet) {
    std::uint64_t last = received_;
    auto since = std::chrono::steady_clock::now();
    while (received_ < n && std::chrono::steady_clock::now() - since < quiet) {
      std::this_thread::sleep_for(20ms);
      if (received_ != last) {
        last = received_;
        since = std::chrono::steady_clock::now();
      }
    }
  }

  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> bad_{0};  // wrong size, header or padding
  std::size_t distinct() {
    std::lock_guard<std::mutex> l(m_);
    return seen_.size();
  }

 private:
  void send_all(const std::vector<std::uint8_t>& b) {
    for (std::size_t off = 0; off < b.size();) {
      const ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send");
      off += static_cast<std::size_t>(n);
    }
  }
  void read_loop() {
    std::vector<std::uint8_t> buf;
    std::uint8_t chunk[65536];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buf.insert(buf.end(), chunk, chunk + n);
      std::size_t off = 0;
      for (;;) {
        if (buf.size() - off < 2) break;
        std::size_t len = 0, k = 0;
        bool done = false;
        for (; k < 4 && off + 1 + k < buf.size(); ++k) {
          len |= std::size_t{buf[off + 1 + k] & 0x7fu} << (7 * k);
          if ((buf[off + 1 + k] & 0x80) == 0) { done = true; break; }
        }
        if (!done) break;
        const std::size_t hdr = 2 + k;
        if (buf.size() - off < hdr + len) break;
        on_packet(buf.data() + off, hdr, len);
        off += hdr + len;
      }
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(off));
    }
  }
  void on_packet(const std::uint8_t* p, std::size_t hdr, std::size_t len) {
    const std::uint8_t type = p[0] >> 4;
    if (type == 9) subscribed_ = true;
    if (type != 3) return;
    const std::uint8_t* v = p + hdr;
    const std::size_t tlen = (std::size_t{v[0]} << 8) | v[1];
    const int qos = (p[0] >> 1) & 3;
    std::size_t at = 2 + tlen;
    if (qos > 0) {
      const std::vector<std::uint8_t> ack{0x40, 2, v[at], v[at + 1]};
      send_all(ack);
      at += 2;
    }
    const std::uint8_t* pl = v + at;
    const std::size_t plen = len - at;
    bool ok = plen == size_ && std::memcmp(pl, "FLD2", 4) == 0;
    for (std::size_t i = 28; ok && i < plen; ++i) ok = pl[i] == static_cast<std::uint8_t>('a' + i % 26);
    if (ok) {
      std::uint32_t pub;
      std::uint64_t seq = 0;
      std::memcpy(&pub, pl + 8, 4);
      std::memcpy(&seq, pl + 13, 7);  // little-endian host, as the header
      std::lock_guard<std::mutex> l(m_);
      seen_.insert({pub, seq});
    } else {
      ++bad_;
    }
    ++received_;
  }

  std::size_t size_;
  std::mutex m_;
  std::set<std::pair<std::uint32_t, std::uint64_t>> seen_;  // (publisher, seq)
  int fd_ = -1;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> subscribed_{false};
};

TEST(LargePayloads, SharedBodyArrivesWholeForEveryMessage) {
  e2e::MosquittoBroker broker({.extra_config = "", .log_connections = false});
  // 3 MiB: larger than a loopback socket's send buffer takes at once, so writes come back
  // short and the rest (header bytes and part of the shared body) goes out from the tail.
  constexpr std::size_t kSize = 3 * 1024 * 1024;
  CheckingSubscriber sub(broker.port(), "big/+/t", kSize);
  const std::string yaml =
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + ", protocol: mqtt311}\n"
      "fleet: {devices: 3, connect_rate: 100/s}\n"
      "session: {keepalive: 30s, clean_session: true}\n"
      "publish: {topic: \"big/{index}/t\", qos: 1, rate: 4/s, payload: 3MiB}\n"
      "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 2s}\n";
  RunOptions o;
  o.threads = 1;
  Engine e(scenario::parse_scenario(yaml, "payload-test.yaml"), o);
  const RunResult r = e.run();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure << broker.log();
  const std::uint64_t sent = r.stats.publishes_sent[1];
  ASSERT_GE(sent, 12u);
  EXPECT_EQ(r.stats.publishes_acked[1], sent);
  sub.wait_for(sent, 5000ms);
  EXPECT_EQ(sub.bad_.load(), 0u);
  EXPECT_EQ(sub.received_.load(), sent);
  EXPECT_EQ(sub.distinct(), sent);  // no duplicates, each (publisher, seq) once
  // bytes_sent counts whole packets: payload + topic + headers per message.
  EXPECT_GE(r.stats.bytes_sent, sent * kSize);
}

}  // namespace
}  // namespace fleetload::engine
