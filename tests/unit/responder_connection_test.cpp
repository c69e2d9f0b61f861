// The responder's MQTT connection against a scripted broker on 127.0.0.1 (a thread of the
// test's own with a blocking socket): MQTT 5 CONNECT announcing Receive Maximum 65535,
// SUBSCRIBE in batches of at most 8 filters, PUBACK for QoS 1 requests, QoS 1 answers held
// back by the in-flight window until the broker's PUBACK, and a reconnect after the broker
// closes the connection, with the answers that were in flight counted as lost.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>

#include "awsiot/topics.hpp"
#include "mqtt/codec.hpp"
#include "responder/connection.hpp"
#include "responder/dispatcher.hpp"

namespace fleetload::responder {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// One side of the scripted exchange: blocking reads and writes of whole packets.
class Peer {
 public:
  explicit Peer(tcp::socket s) : s_(std::move(s)), dec_(mqtt::DecodeOptions{mqtt::Version::V5}) {}
  mqtt::Packet read() {
    while (true) {
      mqtt::Packet p;
      const auto r = dec_.next(p);
      if (r.status == mqtt::DecodeStatus::Ok) return p;
      if (r.status == mqtt::DecodeStatus::Error) throw std::runtime_error("decode: " + r.error.message());
      auto buf = dec_.prepare(4096);
      dec_.commit(s_.read_some(asio::buffer(buf.data(), buf.size())));
    }
  }
  void write(const mqtt::Packet& p) {
    const auto bytes = mqtt::encode_to_vector(p, mqtt::Version::V5);
    asio::write(s_, asio::buffer(bytes));
  }
  void close() { s_.close(); }

 private:
  tcp::socket s_;
  mqtt::StreamDecoder dec_;
};

struct Script {
  std::atomic<bool> connect_seen{false}, answers_two{false}, answer_three{false}, reconnected{false}, failed{false};
  std::mutex m;
  std::optional<std::uint16_t> receive_maximum;
  std::vector<std::size_t> subscribe_sizes;
  std::size_t pubacks = 0;
  std::string error;
};

TEST(ResponderConnection, BatchesSubscribesAnswersWithinTheWindowAndReconnects) {
  asio::io_context broker_io;
  tcp::acceptor acceptor(broker_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::uint16_t port = acceptor.local_endpoint().port();
  Script sc;
  std::atomic<bool> ack_first{false};
  std::thread broker([&] {
    try {
      Peer peer(acceptor.accept());
      auto c = std::get<mqtt::Connect>(peer.read());
      {
        std::lock_guard lock(sc.m);
        sc.receive_maximum = c.properties.receive_maximum;
      }
      sc.connect_seen = true;
      peer.write(mqtt::Connack{});
      for (int i = 0; i < 2; ++i) {
        auto s = std::get<mqtt::Subscribe>(peer.read());
        {
          std::lock_guard lock(sc.m);
          sc.subscribe_sizes.push_back(s.subscriptions.size());
        }
        mqtt::Suback ack;
        ack.packet_id = s.packet_id;
        ack.reason_codes.assign(s.subscriptions.size(), 1);
        peer.write(ack);
      }
      // Three QoS 1 requests from three things.
      std::vector<std::string> topics;
      for (int i = 0; i < 3; ++i) topics.push_back("$aws/things/t" + std::to_string(i) + "/shadow/get");
      for (int i = 0; i < 3; ++i) {
        mqtt::Publish p;
        p.topic = topics[i];
        p.qos = mqtt::QoS::AtLeastOnce;
        p.packet_id = static_cast<std::uint16_t>(100 + i);
        peer.write(p);
      }
      std::vector<std::uint16_t> answer_ids;
      while (answer_ids.size() < 2 || sc.pubacks < 3) {
        mqtt::Packet p = peer.read();
        if (std::holds_alternative<mqtt::PubAck>(p)) {
          std::lock_guard lock(sc.m);
          ++sc.pubacks;
        } else if (auto* pub = std::get_if<mqtt::Publish>(&p)) {
          answer_ids.push_back(pub->packet_id);
        }
      }
      sc.answers_two = true;
      while (!ack_first) std::this_thread::yield();
      mqtt::PubAck ack;
      ack.packet_id = answer_ids[0];
      peer.write(ack);
      while (true) {
        mqtt::Packet p = peer.read();
        if (std::holds_alternative<mqtt::Publish>(p)) break;
      }
      sc.answer_three = true;
      peer.close();  // the broker goes away with two answers unacknowledged
      Peer again(acceptor.accept());
      std::get<mqtt::Connect>(again.read());
      sc.reconnected = true;
    } catch (const std::exception& e) {
      std::lock_guard lock(sc.m);
      sc.error = e.what();
      sc.failed = true;
    }
  });

  asio::io_context io(1);
  BrokerConfig cfg;
  cfg.port = port;
  cfg.version = mqtt::Version::V5;
  cfg.qos = 1;
  cfg.max_inflight = 2;
  std::vector<std::string> filters;
  for (auto s : {awsiot::Service::Shadow, awsiot::Service::Jobs, awsiot::Service::Provisioning})
    for (auto& f : awsiot::request_filters(s)) filters.push_back(f);
  std::unique_ptr<Dispatcher> dispatcher;
  Connection::Events ev;
  ev.on_message = [&](std::string_view topic, std::span<const std::uint8_t> payload) {
    dispatcher->on_publish(topic, payload, 1);
  };
  Connection conn(io, cfg, filters, ev);
  dispatcher = std::make_unique<Dispatcher>(conn, DispatcherOptions{});
  conn.start();

  // Runs the responder's loop until `done` or a bounded deadline.
  auto run_until = [&](const std::atomic<bool>& done) {
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (!done && !sc.failed && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    return done.load();
  };
  ASSERT_TRUE(run_until(sc.answers_two)) << sc.error;
  // The window holds the third answer back until an answer is acknowledged.
  EXPECT_EQ(conn.stats().answers_published, 2u);
  EXPECT_EQ(conn.waiting(), 1u);
  ack_first = true;
  ASSERT_TRUE(run_until(sc.answer_three)) << sc.error;
  ASSERT_TRUE(run_until(sc.reconnected)) << sc.error;
  broker.join();
  std::lock_guard lock(sc.m);
  EXPECT_EQ(sc.receive_maximum, 65535);
  EXPECT_EQ(sc.subscribe_sizes, (std::vector<std::size_t>{8, 5}));  // 13 filters, at most 8 per SUBSCRIBE
  EXPECT_EQ(sc.pubacks, 3u);
  EXPECT_EQ(conn.stats().answers_published, 3u);
  EXPECT_EQ(conn.stats().answers_acked, 1u);
  EXPECT_EQ(conn.stats().answers_lost, 2u);
  EXPECT_EQ(conn.stats().drops, 1u);
  EXPECT_EQ(dispatcher->books(Api::ShadowGet).rejected.at("404"), 3u);
}

}  // namespace
}  // namespace fleetload::responder
