// The books of real runs through the fleetload binary against a real mosquitto, compared
// with counts made in the test: a subscriber of the test's own (a plain socket, no
// fleetload code) counts retained copies and every message; a throttling proxy of the
// test's own makes the broker's deliveries arrive slowly after the publishers stop.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

void send_all(int fd, const std::vector<std::uint8_t>& b) {
  for (std::size_t off = 0; off < b.size();) {
    const ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send");
    off += static_cast<std::size_t>(n);
  }
}

// An MQTT 3.1.1 QoS 0 subscriber to `filter`: counts PUBLISHes, and those with RETAIN set.
class CountingSubscriber {
 public:
  CountingSubscriber(std::uint16_t port, const std::string& filter, const std::string& id) {
    fd_ = connect_loopback(port);
    std::vector<std::uint8_t> c{0x10, 0, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, static_cast<std::uint8_t>(id.size())};
    c.insert(c.end(), id.begin(), id.end());
    c[1] = static_cast<std::uint8_t>(c.size() - 2);
    send_all(fd_, c);
    std::vector<std::uint8_t> s{0x82, 0, 0, 1, 0, static_cast<std::uint8_t>(filter.size())};
    s.insert(s.end(), filter.begin(), filter.end());
    s.push_back(0);
    s[1] = static_cast<std::uint8_t>(s.size() - 2);
    send_all(fd_, s);
    reader_ = std::thread([this] { read_loop(); });
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!subscribed_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    if (!subscribed_) throw std::runtime_error("no SUBACK");
  }
  ~CountingSubscriber() {
    stop_ = true;
    reader_.join();
    ::close(fd_);
  }
  // Waits (bounded) until nothing new arrived for `quiet`.
  void settle(std::chrono::milliseconds quiet, std::chrono::seconds bound) {
    const auto end = std::chrono::steady_clock::now() + bound;
    std::uint64_t last = received_;
    auto since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < end && std::chrono::steady_clock::now() - since < quiet) {
      std::this_thread::sleep_for(20ms);
      if (received_ != last) {
        last = received_;
        since = std::chrono::steady_clock::now();
      }
    }
  }
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> retained_{0};

 private:
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
        std::size_t len = 0, k = 0;
        bool done = false;
        for (; k < 4 && off + 1 + k < buf.size(); ++k) {
          len |= std::size_t{buf[off + 1 + k] & 0x7fu} << (7 * k);
          if ((buf[off + 1 + k] & 0x80) == 0) {
            done = true;
            break;
          }
        }
        if (!done || buf.size() - off < 2 + k + len) break;
        const std::uint8_t type = buf[off] >> 4;
        if (type == 9) subscribed_ = true;
        if (type == 3) {
          if (buf[off] & 0x01) ++retained_;
          ++received_;
        }
        off += 2 + k + len;
      }
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(off));
    }
  }
  int fd_ = -1;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> subscribed_{false};
};

// A TCP proxy to 127.0.0.1:upstream that forwards client -> broker at once and broker ->
// client at most `bytes_per_s` per connection: it reads the broker as fast as it sends (so
// the broker queues nothing) and holds the backlog itself, like a broker that is behind.
// Counts the MQTT PUBLISH packets completed in a byte stream fed in pieces (framing only,
// 3.1.1 §2.2: type nibble, remaining-length varint).
class PublishCounter {
 public:
  void feed(const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t b = p[i];
      if (state_ == 0) {
        type_ = b >> 4;
        len_ = 0;
        shift_ = 0;
        state_ = 1;
      } else if (state_ == 1) {
        len_ |= std::size_t{b & 0x7fu} << shift_;
        shift_ += 7;
        if ((b & 0x80) == 0) {
          if (len_ == 0) done();
          else state_ = 2;
        }
      } else if (--len_ == 0) {
        done();
      }
    }
  }
  std::uint64_t publishes() const { return publishes_; }

 private:
  void done() {
    if (type_ == 3) ++publishes_;
    state_ = 0;
  }
  int state_ = 0;
  std::uint8_t type_ = 0;
  std::size_t len_ = 0;
  unsigned shift_ = 0;
  std::uint64_t publishes_ = 0;
};

class SlowDeliveryProxy {
 public:
  SlowDeliveryProxy(std::uint16_t upstream, std::size_t bytes_per_s) : upstream_(upstream), rate_(bytes_per_s) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 16) != 0)
      throw std::runtime_error("proxy listen");
    socklen_t l = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &l);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~SlowDeliveryProxy() {
    stop_ = true;
    thread_.join();
    for (auto& c : conns_) {
      if (c.closed) continue;
      ::close(c.client);
      ::close(c.broker);
    }
    ::close(listen_);
  }
  std::uint16_t port() const { return port_; }
  // PUBLISHes the broker sent to the proxy's clients, and those passed on to them so far.
  std::uint64_t from_broker() const { return from_broker_.load(); }
  std::uint64_t delivered() const { return delivered_.load(); }

 private:
  struct Conn {
    PublishCounter in, out;
    int client = -1, broker = -1;
    std::deque<std::uint8_t> backlog;  // broker -> client, not yet passed on
    double budget = 0;                 // bytes that may go to the client now
    bool closed = false;
  };
  void loop() {
    auto last = std::chrono::steady_clock::now();
    std::uint8_t chunk[65536];
    while (!stop_) {
      std::vector<pollfd> fds{{listen_, POLLIN, 0}};
      for (auto& c : conns_) {
        fds.push_back({c.client, POLLIN, 0});
        fds.push_back({c.broker, POLLIN, 0});
      }
      ::poll(fds.data(), fds.size(), 10);
      const auto now = std::chrono::steady_clock::now();
      const double dt = std::chrono::duration<double>(now - last).count();
      last = now;
      if (fds[0].revents & POLLIN) {
        const int cl = ::accept(listen_, nullptr, nullptr);
        if (cl >= 0) {
          Conn c;
          c.client = cl;
          c.broker = connect_loopback(upstream_);
          conns_.push_back(std::move(c));
        }
      }
      const std::size_t polled = (fds.size() - 1) / 2;  // connections accepted above are not yet
      for (std::size_t i = 0; i < conns_.size(); ++i) {
        Conn& c = conns_[i];
        if (c.closed) continue;
        if (i < polled && (fds[1 + 2 * i].revents & (POLLIN | POLLHUP))) {
          const ssize_t n = ::recv(c.client, chunk, sizeof chunk, 0);
          if (n <= 0) {  // the client left: so does its broker connection (fd -1: poll skips it)
            ::close(c.client);
            ::close(c.broker);
            c.client = c.broker = -1;
            c.closed = true;
            continue;
          }
          send_all(c.broker, std::vector<std::uint8_t>(chunk, chunk + n));
        }
        if (i < polled && (fds[2 + 2 * i].revents & (POLLIN | POLLHUP))) {
          const ssize_t n = ::recv(c.broker, chunk, sizeof chunk, 0);
          if (n > 0) {
            c.backlog.insert(c.backlog.end(), chunk, chunk + n);
            const auto before = c.in.publishes();
            c.in.feed(chunk, static_cast<std::size_t>(n));
            from_broker_ += c.in.publishes() - before;
          }
        }
        c.budget = std::min(c.budget + dt * static_cast<double>(rate_), static_cast<double>(rate_) / 10);
        const auto k = std::min(c.backlog.size(), static_cast<std::size_t>(c.budget));
        if (k > 0) {
          const std::vector<std::uint8_t> out(c.backlog.begin(), c.backlog.begin() + static_cast<std::ptrdiff_t>(k));
          const ssize_t n = ::send(c.client, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n > 0) {
            const auto before = c.out.publishes();
            c.out.feed(out.data(), static_cast<std::size_t>(n));
            delivered_ += c.out.publishes() - before;
            c.backlog.erase(c.backlog.begin(), c.backlog.begin() + n);
            c.budget -= static_cast<double>(n);
          }
        }
      }
    }
  }
  std::uint16_t upstream_;
  std::size_t rate_;
  int listen_ = -1;
  std::uint16_t port_ = 0;
  std::vector<Conn> conns_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> from_broker_{0}, delivered_{0};
};

class Books : public ::testing::Test {
 protected:
  fs::path dir_ = make_temp_dir("books");
  void TearDown() override {
    if (!HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_);
  }
  Outcome run(const std::string& tag, const std::string& yaml) {
    const auto file = write_file(dir_, tag + ".yaml", yaml);
    const auto report = dir_ / (tag + ".json");
    return run_fleetload({"run", file.string(), "--report", report.string(), "--no-progress", "--no-metrics"}, dir_,
                         90s, report);
  }
};

// The subscriber connects last, ~4 s after the first publishers, who publish once every 10 s
// at a random phase: many of them published only before it subscribed (never seen by it).
// Those messages were never owed to it. A subscriber of the test's own, in before the run,
// counts every message the broker delivered: all that were acknowledged, so any loss
// fleetload reported would be false.
TEST_F(Books, MessagesSentBeforeTheSubscriberSubscribedAreNotLost) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  CountingSubscriber probe(broker.port(), "late/#", "probe");
  const std::string yaml =
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + ", protocol: mqtt311}\n"
      "fleet: {devices: 21, connect_rate: 5/s}\n"
      "publish: {topic: \"late/{index}\", qos: 1, rate: 6/m, publishers: 20}\n"
      "subscribe: {filters: [{filter: \"late/#\", qos: 1}], subscribers: 1}\n"
      "run: {duration: 7s}\n";
  const Outcome o = run("late", yaml);
  ASSERT_TRUE(o.report) << o.describe();
  const auto& r = *o.report;
  probe.settle(300ms, 5s);
  const std::uint64_t acked = qos_counter(r, "publishes_acked", 1);
  ASSERT_GT(acked, 0u);
  ASSERT_EQ(probe.received_.load(), acked) << "the broker delivered every acknowledged message";
  EXPECT_LT(counter(r, "messages_received"), acked) << "some were sent before fleetload's subscriber was in";
  EXPECT_EQ(counter(r, "messages_lost"), 0u) << o.out;
  EXPECT_EQ(o.status.code, 0) << o.describe();
}

// Two runs of one scenario against one broker, 4 publishers of retained QoS 1 messages and 2
// subscribers. The second run's subscribers are handed the first run's retained messages
// (one per publisher topic) at subscribe: from an earlier run, not duplicates, not
// latencies of a second run.
TEST_F(Books, SecondRunCountsTheFirstRunsRetainedMessagesApart) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  const std::string yaml =
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + ", protocol: mqtt311}\n"
      "fleet: {devices: 6, connect_rate: 1000/s}\n"
      "publish: {topic: \"r/{index}\", qos: 1, rate: 10/s, publishers: 4, retain: true}\n"
      "subscribe: {filters: [{filter: \"r/#\", qos: 1}], subscribers: 2}\n"
      "run: {duration: 2s}\n";
  const Outcome first = run("first", yaml);
  ASSERT_EQ(first.status.code, 0) << first.describe();
  ASSERT_TRUE(first.report);
  // What the broker now holds as retained, as a fresh subscriber of the test's sees it.
  std::uint64_t retained = 0;
  {
    CountingSubscriber probe(broker.port(), "r/#", "probe");
    probe.settle(300ms, 5s);
    retained = probe.retained_;
  }
  ASSERT_EQ(retained, 4u) << "one retained message per publisher topic";

  // The second run publishes the same topics without RETAIN, so what its subscribers are
  // handed at subscribe is exactly the first run's retained set (a retained publish of the
  // second run could replace one before a subscriber is in: a race, not a check).
  std::string again = yaml;
  again.replace(again.find(", retain: true"), 14, "");
  const Outcome second = run("second", again);
  ASSERT_EQ(second.status.code, 0) << second.describe();
  ASSERT_TRUE(second.report);
  const auto& r = *second.report;
  EXPECT_EQ(counter(r, "messages_from_earlier_run"), retained * 2) << "each of 2 subscribers got each";
  EXPECT_GE(counter(r, "retained_received"), retained * 2);
  EXPECT_EQ(counter(r, "messages_duplicated"), 0u);
  EXPECT_EQ(counter(r, "messages_lost"), 0u);
  // The earlier run's messages are seconds old: not one of them in this run's latencies.
  EXPECT_LT(histogram_quantile_s(histogram(r, "e2e_latency"), 0.99), 0.5);
  EXPECT_NE(std::string(r.at("run").at("run_id").as_string()),
            std::string(first.report->at("run").at("run_id").as_string()));
  EXPECT_NE(second.out.find("from an earlier run"), std::string::npos) << second.out;
}

// Subscribers behind a delivery path much slower than the publish rate: at stop most
// messages are still on their way. fleetload waits while bytes keep arriving and ends with
// every message the broker sent its subscriber (counted by the proxy), none lost.
std::string slow_scenario(std::uint16_t port, const std::string& drain) {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: mqtt311}\n"
         "fleet: {devices: 2, connect_rate: 1000/s}\n"
         "publish: {topic: \"s/{index}\", qos: 0, rate: 200/s, publishers: 1, payload: 1KiB}\n"
         "subscribe: {filters: [{filter: \"s/#\", qos: 0}], subscribers: 1}\n"
         "run: {duration: 2s" + drain + "}\n";
}

TEST_F(Books, DrainWaitsForDeliveriesStillArriving) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  SlowDeliveryProxy proxy(broker.port(), 64 * 1024);  // ~60 msg/s of 1 KiB through
  const Outcome o = run("drain", slow_scenario(proxy.port(), ", drain_timeout: 20s"));
  ASSERT_EQ(o.status.code, 0) << o.describe();
  const auto& r = *o.report;
  ASSERT_GT(proxy.from_broker(), 300u);
  EXPECT_EQ(proxy.delivered(), proxy.from_broker());
  EXPECT_EQ(counter(r, "messages_received"), proxy.from_broker());
  EXPECT_EQ(counter(r, "messages_lost"), 0u);
  EXPECT_EQ(counter(r, "messages_not_yet_delivered"), 0u);
  EXPECT_FALSE(r.at("run").at("drain_timed_out").as_bool());
  EXPECT_GT(f64(r.at("run").at("drain_s")), 2.0) << "the backlog took seconds to arrive";
}

// The same path with a short drain_timeout: what has not arrived by then is reported as not
// yet delivered (with the rate it was still arriving at), never as lost.
TEST_F(Books, DrainTimeoutReportsNotYetDeliveredApartFromLost) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  SlowDeliveryProxy proxy(broker.port(), 64 * 1024);
  const Outcome o = run("timeout", slow_scenario(proxy.port(), ", drain_timeout: 1s"));
  ASSERT_EQ(o.status.code, 0) << o.describe();
  const auto& r = *o.report;
  const std::uint64_t received = counter(r, "messages_received");
  const std::uint64_t pending = counter(r, "messages_not_yet_delivered");
  EXPECT_EQ(counter(r, "messages_lost"), 0u);
  EXPECT_EQ(counter(r, "messages_duplicated"), 0u);
  EXPECT_GT(pending, 50u);
  // What the broker had sent to the subscriber: received by fleetload, or still in the
  // proxy's backlog when it stopped.
  EXPECT_EQ(received + pending, proxy.from_broker());
  EXPECT_LT(proxy.delivered(), proxy.from_broker());
  EXPECT_TRUE(r.at("run").at("drain_timed_out").as_bool());
  EXPECT_GT(f64(r.at("run").at("delivery_rate_at_stop")), 10.0);
  EXPECT_NE(o.out.find("not yet delivered at stop"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace fleetload::e2e
