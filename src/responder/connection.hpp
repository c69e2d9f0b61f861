// The responder's one MQTT connection (plain TCP or TLS / mTLS): CONNECT, SUBSCRIBE to the
// services' request filters in batches of at most 8 (AWS IoT's rule, harmless elsewhere),
// PUBACK for QoS 1 requests, answers published at QoS 0 or 1 with an in-flight window,
// keepalive, and reconnect with backoff. It uses the codec and net/ streams; it knows nothing
// of devices. Single-threaded: everything runs on the io_context given.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "auth/tls_identity.hpp"
#include "mqtt/codec.hpp"
#include "net/tcp_stream.hpp"
#include "net/tls_stream.hpp"
#include "responder/config.hpp"
#include "responder/publisher.hpp"

namespace fleetload::responder {

struct ConnectionStats {
  std::uint64_t connects = 0;           // accepted CONNACKs
  std::uint64_t connect_failures = 0;   // attempts that did not reach an accepted CONNACK
  std::uint64_t drops = 0;              // established connections lost
  std::uint64_t requests_received = 0;  // PUBLISHes received
  std::uint64_t answers_published = 0;  // PUBLISHes sent
  std::uint64_t answers_acked = 0;      // PUBACKs for our QoS 1 answers
  std::uint64_t answers_dropped = 0;    // answers produced while not connected
  std::uint64_t answers_lost = 0;       // QoS 1 answers in flight when a connection dropped
  std::uint64_t answers_queued_peak = 0;  // most answers waiting for in-flight room
  std::uint64_t subscribe_refused = 0;  // topic filters the broker refused
};

class Connection : public Publisher {
 public:
  struct Events {
    std::function<void()> on_ready;  // every time the subscriptions are in place
    std::function<void(std::string_view topic, std::span<const std::uint8_t> payload)> on_message;
    std::function<void(const std::string& why)> on_down;  // a connection failed or dropped (no secret in `why`)
  };

  // Throws std::runtime_error (unresolvable host) or auth::TlsIdentityError (unreadable TLS files).
  Connection(boost::asio::io_context& io, const BrokerConfig& cfg, std::vector<std::string> filters, Events events);
  ~Connection() override;

  void start();
  // Sends DISCONNECT once pending answers are flushed (bounded by `grace`), then closes and
  // stops reconnecting; `done` runs after.
  void stop(std::chrono::milliseconds grace, std::function<void()> done);

  void publish(std::string_view topic, std::string_view payload) override;

  bool ready() const noexcept { return state_ == State::Ready; }
  const ConnectionStats& stats() const noexcept { return stats_; }
  std::size_t waiting() const noexcept { return waiting_.size(); }

 private:
  enum class State : std::uint8_t { Idle, Connecting, Handshaking, WaitConnack, Subscribing, Ready, Closing };

  void connect();
  void on_connected(const net::error_code& ec);
  void tls_step();
  void transport_up();
  void wait_readable();
  void on_readable(const net::error_code& ec);
  bool handle(const mqtt::Packet& p);
  void send_packet(const mqtt::Packet& p);
  void send_publish(std::string_view topic, std::string_view payload, std::string_view correlation);
  void drain_waiting();
  void flush();
  void wait_writable();
  void down(const std::string& why);
  void schedule_reconnect();
  void arm_keepalive();
  void maybe_finish_stop();
  void post_flush();
  std::uint16_t next_packet_id();

  boost::asio::io_context& io_;
  BrokerConfig cfg_;
  std::vector<std::string> filters_;
  Events events_;
  net::tcp::endpoint endpoint_;
  auth::SslCtxPtr ssl_ctx_;
  std::unique_ptr<net::TcpStream> stream_;
  std::unique_ptr<net::TlsConn> tls_;
  mqtt::StreamDecoder decoder_;
  mqtt::Packet packet_;
  std::vector<std::uint8_t> out_;  // encoded, not yet written
  std::size_t out_begin_ = 0;
  bool waiting_writable_ = false;
  bool reading_ = false;      // a readable wait is armed
  bool in_batch_ = false;     // inside on_readable: answers are flushed once at its end
  bool flush_posted_ = false;
  State state_ = State::Idle;
  std::uint32_t gen_ = 0;  // connection generation: handlers of an older one do nothing
  std::uint16_t next_id_ = 0;
  std::vector<bool> ids_in_use_ = std::vector<bool>(65536, false);
  std::uint32_t inflight_ = 0;
  std::uint32_t window_ = 0;  // min(max_inflight, broker's Receive Maximum)
  struct Waiting {
    std::string topic, payload, correlation;
  };
  std::deque<Waiting> waiting_;  // QoS 1 answers waiting for window room
  // MQTT 5: the Correlation Data of the request being handled (empty: none). Answers made
  // while handling it carry it back (the MQTT 5 request/response pattern, 5.0 §4.10), so a
  // device on a broker that delivers every answer topic to every subscriber (AWS IoT Core
  // delivers each client only its own) can tell its answer from the others'.
  std::string correlation_;
  std::uint32_t suback_pending_ = 0;
  bool ping_outstanding_ = false;
  std::chrono::milliseconds backoff_{500};
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer keepalive_timer_;
  boost::asio::steady_timer stop_timer_;
  bool stopping_ = false;
  std::function<void()> stop_done_;
  ConnectionStats stats_;
};

}  // namespace fleetload::responder
