// The responder's MQTT connection (see connection.hpp).
#include "responder/connection.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "auth/presentation.hpp"

namespace fleetload::responder {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxReadsPerWakeup = 64;          // then let timers and writes run
constexpr std::size_t kHighWaterBytes = 64 * 1024 * 1024;  // stop reading requests past this backlog
constexpr std::size_t kMaxWaiting = 1'000'000;             // answers kept while the window is full or down
constexpr std::chrono::milliseconds kMaxBackoff{10'000};

bool would_block(const net::error_code& ec) {
  return ec == boost::asio::error::would_block || ec == boost::asio::error::try_again;
}

mqtt::Bytes bytes_of(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

Connection::Connection(boost::asio::io_context& io, const BrokerConfig& cfg, std::vector<std::string> filters,
                       Events events)
    : io_(io),
      cfg_(cfg),
      filters_(std::move(filters)),
      events_(std::move(events)),
      reconnect_timer_(io),
      keepalive_timer_(io),
      stop_timer_(io) {
  endpoint_ = net::resolve_endpoint(cfg_.host, cfg_.port);
  if (cfg_.tls) {
    auth::TlsIdentitySpec spec;
    if (cfg_.cert_file) {
      spec.kind = auth::TlsIdentitySpec::Kind::PemFiles;
      spec.cert_filepath = *cfg_.cert_file;
      spec.pri_key_filepath = *cfg_.key_file;
    }
    spec.ca_filepath = cfg_.ca_file;
    spec.verify_peer = cfg_.verify_peer;
    ssl_ctx_ = auth::make_client_context(spec);
  }
  decoder_ = mqtt::StreamDecoder(mqtt::DecodeOptions{cfg_.version, mqtt::kMaxPacketSize, false});
  window_ = cfg_.max_inflight;
}

Connection::~Connection() {
  if (tls_) tls_->end();
  if (stream_) stream_->close();
}

void Connection::start() { connect(); }

void Connection::connect() {
  if (stopping_) return;
  ++gen_;
  stream_ = std::make_unique<net::TcpStream>(io_.get_executor());
  if (const net::error_code ec = stream_->open(endpoint_, nullptr)) {
    state_ = State::Connecting;
    down("cannot open a socket: " + ec.message());
    return;
  }
  state_ = State::Connecting;
  stream_->async_connect(endpoint_, [this, g = gen_](const net::error_code& ec) {
    if (g == gen_) on_connected(ec);
  });
}

void Connection::on_connected(const net::error_code& ec) {
  if (ec) {
    down("TCP connect to " + cfg_.host + ":" + std::to_string(cfg_.port) + " failed: " + ec.message());
    return;
  }
  if (!cfg_.tls) {
    transport_up();
    return;
  }
  tls_ = std::make_unique<net::TlsConn>();
  auth::DevicePresentation pres;
  pres.host = cfg_.host;
  pres.port = cfg_.port;
  pres.tls = true;
  pres.sni = !cfg_.server_name.empty() ? cfg_.server_name : (is_ip(cfg_.host) ? std::string() : cfg_.host);
  const bool verify = cfg_.verify_peer;
  if (!tls_->start(ssl_ctx_.get(), stream_->socket().native_handle(), false,
                   [&](SSL* ssl) { return auth::apply_presentation(ssl, pres, verify); })) {
    down("TLS setup refused by OpenSSL");
    return;
  }
  state_ = State::Handshaking;
  tls_step();
}

void Connection::tls_step() {
  net::error_code ec;
  switch (tls_->handshake(ec)) {
    case net::TlsConn::Step::Done: transport_up(); return;
    case net::TlsConn::Step::WantRead:
      stream_->async_wait_readable([this, g = gen_](const net::error_code& e) {
        if (g != gen_) return;
        if (e) down("TLS handshake: " + e.message());
        else tls_step();
      });
      return;
    case net::TlsConn::Step::WantWrite:
      stream_->async_wait_writable([this, g = gen_](const net::error_code& e) {
        if (g != gen_) return;
        if (e) down("TLS handshake: " + e.message());
        else tls_step();
      });
      return;
    case net::TlsConn::Step::Failed: down("TLS handshake failed: " + ec.message()); return;
  }
}

void Connection::transport_up() {
  decoder_.reset();
  decoder_.set_version(cfg_.version);
  state_ = State::WaitConnack;
  mqtt::Connect c;
  c.version = cfg_.version;
  c.clean_start = true;
  c.keep_alive = static_cast<std::uint16_t>(cfg_.keepalive.count());
  c.client_id = cfg_.client_id;
  if (cfg_.username) c.username = *cfg_.username;
  if (cfg_.password) c.password = bytes_of(*cfg_.password);
  // Every request of the fleet reaches us over this one connection: let the broker keep as
  // many QoS 1 requests in flight to us as MQTT 5 allows (mosquitto's default for clients
  // that say nothing is 20, which would cap the whole fleet at 20 requests per round trip).
  if (cfg_.version == mqtt::Version::V5) c.properties.receive_maximum = 65535;
  send_packet(c);
  flush();
  wait_readable();
}

void Connection::wait_readable() {
  if (reading_ || state_ == State::Idle || !stream_) return;
  reading_ = true;
  stream_->async_wait_readable([this, g = gen_](const net::error_code& ec) {
    if (g != gen_) return;
    reading_ = false;
    on_readable(ec);
  });
}

void Connection::on_readable(const net::error_code& ec) {
  if (ec) {
    down("connection lost: " + ec.message());
    return;
  }
  const std::uint32_t g = gen_;
  in_batch_ = true;
  struct BatchEnd {
    bool& flag;
    ~BatchEnd() { flag = false; }
  } batch_end{in_batch_};
  for (std::size_t reads = 0; reads < kMaxReadsPerWakeup; ++reads) {
    std::span<std::uint8_t> buf = decoder_.prepare(kReadChunk);
    net::error_code rec;
    bool want_write = false;
    const std::size_t n = tls_ ? tls_->read_some(buf, rec, want_write) : stream_->read_some(buf, rec);
    if (would_block(rec)) break;
    if (rec) {
      down(rec == boost::asio::error::eof ? "the broker closed the connection" : "read failed: " + rec.message());
      return;
    }
    decoder_.commit(n);
    while (true) {
      const mqtt::DecodeResult r = decoder_.next(packet_);
      if (r.status == mqtt::DecodeStatus::NeedMore) break;
      if (r.status == mqtt::DecodeStatus::Error) {
        down("the broker sent bytes the MQTT decoder refuses: " + r.error.message());
        return;
      }
      if (!handle(packet_)) return;
      if (g != gen_) return;  // the handler dropped the connection
    }
    if (n < buf.size() && !(tls_ && tls_->has_pending())) break;
  }
  flush();
  if (g != gen_) return;
  // Backpressure: with a large backlog of answers, read no more requests until it drains.
  if (out_.size() - out_begin_ < kHighWaterBytes) wait_readable();
}

bool Connection::handle(const mqtt::Packet& p) {
  switch (mqtt::packet_type(p)) {
    case mqtt::PacketType::Connack: {
      const auto& c = std::get<mqtt::Connack>(p);
      if (state_ != State::WaitConnack) return true;
      if (c.reason_code != 0) {
        down("the broker refused CONNECT (code " + std::to_string(c.reason_code) + ")");
        return false;
      }
      ++stats_.connects;
      backoff_ = std::chrono::milliseconds(500);
      window_ = cfg_.max_inflight;
      if (c.properties.receive_maximum) window_ = std::min<std::uint32_t>(window_, *c.properties.receive_maximum);
      state_ = State::Subscribing;
      suback_pending_ = 0;
      // "Maximum subscriptions per subscribe call": 8 topic filters per SUBSCRIBE.
      for (std::size_t i = 0; i < filters_.size(); i += 8) {
        mqtt::Subscribe s;
        s.packet_id = next_packet_id();
        for (std::size_t k = i; k < filters_.size() && k < i + 8; ++k) {
          s.subscriptions.push_back(mqtt::Subscription{filters_[k], static_cast<mqtt::QoS>(cfg_.request_qos)});
        }
        send_packet(s);
        ++suback_pending_;
      }
      arm_keepalive();
      return true;
    }
    case mqtt::PacketType::Suback: {
      const auto& s = std::get<mqtt::Suback>(p);
      if (s.packet_id < ids_in_use_.size()) ids_in_use_[s.packet_id] = false;
      for (std::uint8_t rc : s.reason_codes)
        if (rc >= 0x80) ++stats_.subscribe_refused;
      if (suback_pending_ > 0 && --suback_pending_ == 0 && state_ == State::Subscribing) {
        state_ = State::Ready;
        drain_waiting();
        if (events_.on_ready) events_.on_ready();
      }
      return true;
    }
    case mqtt::PacketType::Publish: {
      const auto& pub = std::get<mqtt::Publish>(p);
      ++stats_.requests_received;
      if (pub.qos == mqtt::QoS::AtLeastOnce) {
        mqtt::PubAck ack;
        ack.packet_id = pub.packet_id;
        send_packet(ack);
      }
      if (pub.properties.correlation_data)
        correlation_.assign(reinterpret_cast<const char*>(pub.properties.correlation_data->data()),
                            pub.properties.correlation_data->size());
      if (events_.on_message) events_.on_message(pub.topic, pub.payload);
      correlation_.clear();
      return true;
    }
    case mqtt::PacketType::Puback: {
      const auto& a = std::get<mqtt::PubAck>(p);
      if (ids_in_use_[a.packet_id]) {
        ids_in_use_[a.packet_id] = false;
        --inflight_;
        ++stats_.answers_acked;
        drain_waiting();
      }
      return true;
    }
    case mqtt::PacketType::Pingresp: ping_outstanding_ = false; return true;
    case mqtt::PacketType::Disconnect:
      down("the broker sent DISCONNECT (reason " + std::to_string(std::get<mqtt::Disconnect>(p).reason_code) + ")");
      return false;
    default: return true;
  }
}

std::uint16_t Connection::next_packet_id() {
  for (int tries = 0; tries < 65535; ++tries) {
    next_id_ = static_cast<std::uint16_t>(next_id_ == 65535 ? 1 : next_id_ + 1);
    if (!ids_in_use_[next_id_]) {
      ids_in_use_[next_id_] = true;
      return next_id_;
    }
  }
  return 0;  // unreachable: the window is at most 65535 and SUBSCRIBEs are few
}

void Connection::send_packet(const mqtt::Packet& p) {
  const mqtt::SizeResult sz = mqtt::encoded_size(p, cfg_.version);
  if (sz.error) return;  // our own packets are valid; nothing to send otherwise
  const std::size_t at = out_.size();
  out_.resize(at + sz.size);
  mqtt::encode(p, cfg_.version, std::span<std::uint8_t>(out_.data() + at, sz.size));
}

void Connection::send_publish(std::string_view topic, std::string_view payload, std::string_view correlation) {
  mqtt::Publish pub;
  pub.topic = topic;
  pub.payload = bytes_of(payload);
  if (!correlation.empty() && cfg_.version == mqtt::Version::V5) pub.properties.correlation_data = bytes_of(correlation);
  pub.qos = static_cast<mqtt::QoS>(cfg_.qos);
  if (cfg_.qos == 1) {
    pub.packet_id = next_packet_id();
    ++inflight_;
  }
  const mqtt::SizeResult sz = mqtt::encoded_size(pub, cfg_.version);
  if (sz.error) return;
  const std::size_t at = out_.size();
  out_.resize(at + sz.size);
  mqtt::encode(pub, cfg_.version, std::span<std::uint8_t>(out_.data() + at, sz.size));
  ++stats_.answers_published;
}

void Connection::publish(std::string_view topic, std::string_view payload) {
  const bool room = state_ == State::Ready && (cfg_.qos == 0 || inflight_ < window_) && waiting_.empty();
  if (room) {
    send_publish(topic, payload, correlation_);
  } else if (waiting_.size() < kMaxWaiting && !stopping_) {
    // Kept for when the window opens or the connection is back: a device still waits for it.
    waiting_.push_back({std::string(topic), std::string(payload), correlation_});
    stats_.answers_queued_peak = std::max<std::uint64_t>(stats_.answers_queued_peak, waiting_.size());
    return;
  } else {
    ++stats_.answers_dropped;
    return;
  }
  // Answers made inside the read loop are flushed once at its end; others (timers) soon.
  if (!in_batch_) post_flush();
}

void Connection::post_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  boost::asio::post(io_, [this, g = gen_] {
    flush_posted_ = false;
    if (g == gen_) flush();
  });
}

void Connection::drain_waiting() {
  bool sent = false;
  while (state_ == State::Ready && !waiting_.empty() && (cfg_.qos == 0 || inflight_ < window_)) {
    send_publish(waiting_.front().topic, waiting_.front().payload, waiting_.front().correlation);
    waiting_.pop_front();
    sent = true;
  }
  if (sent && !in_batch_) post_flush();
}

void Connection::flush() {
  if (!stream_ || state_ == State::Idle || state_ == State::Connecting || state_ == State::Handshaking) return;
  while (out_begin_ < out_.size()) {
    net::error_code ec;
    const std::span<const std::uint8_t> rest(out_.data() + out_begin_, out_.size() - out_begin_);
    const std::size_t n = tls_ ? tls_->write_some(rest, ec) : stream_->write_some(rest, ec);
    if (would_block(ec)) {
      wait_writable();
      return;
    }
    if (ec) {
      down("write failed: " + ec.message());
      return;
    }
    out_begin_ += n;
  }
  out_.clear();
  out_begin_ = 0;
  if (!reading_ && state_ != State::Closing) wait_readable();  // resumes after backpressure
  maybe_finish_stop();
}

void Connection::wait_writable() {
  if (waiting_writable_) return;
  waiting_writable_ = true;
  stream_->async_wait_writable([this, g = gen_](const net::error_code& ec) {
    if (g != gen_) return;
    waiting_writable_ = false;
    if (ec) down("connection lost: " + ec.message());
    else flush();
  });
}

void Connection::arm_keepalive() {
  if (cfg_.keepalive.count() == 0) return;
  keepalive_timer_.expires_after(cfg_.keepalive);
  keepalive_timer_.async_wait([this, g = gen_](const net::error_code& ec) {
    if (ec || g != gen_) return;
    if (ping_outstanding_) {
      down("no PINGRESP within the keepalive");
      return;
    }
    std::uint8_t ping[2];
    mqtt::encode_pingreq(ping);
    out_.insert(out_.end(), ping, ping + 2);
    ping_outstanding_ = true;
    flush();
    arm_keepalive();
  });
}

void Connection::down(const std::string& why) {
  if (state_ == State::Idle) return;
  const bool established = state_ == State::Subscribing || state_ == State::Ready || state_ == State::Closing;
  ++gen_;
  keepalive_timer_.cancel();
  if (tls_) tls_->end();
  tls_.reset();
  if (stream_) stream_->close();
  stats_.answers_lost += inflight_;
  inflight_ = 0;
  std::fill(ids_in_use_.begin(), ids_in_use_.end(), false);
  out_.clear();
  out_begin_ = 0;
  reading_ = waiting_writable_ = ping_outstanding_ = false;
  state_ = State::Idle;
  if (stopping_) {
    stop_timer_.cancel();
    if (auto done = std::move(stop_done_)) {
      stop_done_ = nullptr;
      done();
    }
    return;
  }
  if (established) ++stats_.drops;
  else ++stats_.connect_failures;
  if (events_.on_down) events_.on_down(why);
  schedule_reconnect();
}

void Connection::schedule_reconnect() {
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  reconnect_timer_.async_wait([this](const net::error_code& ec) {
    if (!ec) connect();
  });
}

void Connection::stop(std::chrono::milliseconds grace, std::function<void()> done) {
  stopping_ = true;
  stop_done_ = std::move(done);
  reconnect_timer_.cancel();
  if (state_ != State::Ready && state_ != State::Subscribing && state_ != State::WaitConnack) {
    state_ = State::Closing;  // so down() runs the stop path even when idle
    down("stopped");
    return;
  }
  state_ = State::Closing;
  send_packet(mqtt::Disconnect{});
  stop_timer_.expires_after(grace);
  stop_timer_.async_wait([this](const net::error_code& ec) {
    if (!ec) down("stopped");
  });
  flush();
}

void Connection::maybe_finish_stop() {
  if (stopping_ && state_ == State::Closing && out_begin_ >= out_.size()) down("stopped");
}

}  // namespace fleetload::responder
