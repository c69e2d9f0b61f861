// Worker, WebSocket part (aws doc §3): the upgrade request per connection attempt (SigV4
// presigned afresh, or the custom handshake's headers and query), the non-blocking upgrade
// over TCP or TLS driven by readiness waits, server frames unframed in place in the read
// buffer, pings answered, failures counted by reason. Client framing happens in send().
#include <boost/asio/error.hpp>
#include <cstring>

#include "auth/credentials.hpp"
#include "auth/presentation.hpp"
#include "engine/worker.hpp"

namespace fleetload::engine {

namespace {

net::WsFailure failure_of(auth::CredentialsFailure f) noexcept {
  switch (f) {
    case auth::CredentialsFailure::Missing: return net::WsFailure::CredentialsMissing;
    case auth::CredentialsFailure::Expired: return net::WsFailure::CredentialsExpired;
    case auth::CredentialsFailure::ProcessFailed:
    case auth::CredentialsFailure::Malformed: return net::WsFailure::CredentialsProcess;
  }
  return net::WsFailure::CredentialsMissing;
}

bool would_block(const net::error_code& ec) noexcept {
  return ec == boost::asio::error::would_block || ec == boost::asio::error::try_again;
}

}  // namespace

// The upgrade request for this attempt, on the just-opened socket. false: `down` is set and
// the socket is closed again (no credentials: nothing is sent to the server).
bool Worker::start_ws(Device& d, std::uint64_t endpoint, Down& down) {
  net::error_code ec;
  std::string what;
  try {
    const auth::DevicePresentation pres = cfg_.websocket->device(d.session.index(), (*cfg_.targets)[endpoint]);
    const auth::WebSocketRequest& w = pres.websocket.value();
    std::string target;
    if (w.sigv4_region) {
      // A fresh date and signature on every attempt (aws doc §3).
      const auto now = std::chrono::system_clock::now();
      target = w.presign(cfg_.aws_credentials->get(now), now).target;
    } else {
      target = w.target();
    }
    d.ws = std::make_unique<net::WsConn>();
    d.ws->begin(w.host, target, w.subprotocol, w.headers);
    return true;
  } catch (const auth::CredentialsError& e) {
    ec = net::make_error_code(failure_of(e.failure()));
    what = e.what();  // "<provider>: <reason>", secret-free by contract
  } catch (const std::exception& e) {
    ec = net::make_error_code(net::WsFailure::CredentialsMissing);
    what = e.what();
  }
  ws_stats_->failures[static_cast<std::size_t>(net::ws_failure_of(ec))].add();
  if (ws_error_.empty()) ws_error_ = std::string(net::to_string(net::ws_failure_of(ec))) + ": " + what;
  close_transport(d);
  down = {true, device::DropReason::ConnectFailed, ec};
  return false;
}

void Worker::ws_write_request(std::uint32_t id) {
  Device& d = devices_[id];
  for (auto pending = d.ws->request_pending(); !pending.empty(); pending = d.ws->request_pending()) {
    net::error_code ec;
    const std::size_t n = write_some(d, pending, ec);
    if (would_block(ec)) {
      wait_out(id, Wait::Ws);
      return;
    }
    if (ec) {
      ws_fail(id, ec, "");
      return;
    }
    d.ws->request_written(n);
  }
  ws_read_response(id);
}

void Worker::ws_read_response(std::uint32_t id) {
  Device& d = devices_[id];
  const std::uint32_t gen = d.gen;
  const bool tls = d.tls && d.tls->active();
  for (;;) {
    net::error_code ec;
    bool want_write = false;
    const std::size_t n = tls ? d.tls->read_some(read_buf_, ec, want_write) : d.stream.read_some(read_buf_, ec);
    if (would_block(ec)) {
      if (want_write) wait_out(id, Wait::Ws);
      else wait_in(id, Wait::Ws, true);
      return;
    }
    if (ec || n == 0) {
      ws_fail(id, ec ? ec : net::error_code(boost::asio::error::eof), "");
      return;
    }
    std::size_t consumed = 0;
    const auto step = d.ws->on_response(std::span<const std::uint8_t>(read_buf_.data(), n), consumed, ec);
    if (step == net::WsConn::Step::NeedMore) continue;
    if (step == net::WsConn::Step::Failed) {
      ws_fail(id, ec, d.ws->describe());
      return;
    }
    // Upgraded. Bytes after the response header are frames already: keep them at the front
    // of the read buffer, with whatever OpenSSL still holds (no readiness event would tell).
    std::size_t have = n - consumed;
    if (have != 0) std::memmove(read_buf_.data(), read_buf_.data() + consumed, have);
    while (tls && d.tls->has_pending() && have < read_buf_.size()) {
      net::error_code rec;
      const std::size_t m = d.tls->read_some(std::span<std::uint8_t>(read_buf_).subspan(have), rec, want_write);
      if (rec || m == 0) break;  // the next read reports it
      have += m;
    }
    const TimePoint now = Clock::now();
    ctx_.stats.websocket_handshake.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - d.ws->started).count()));
    ws_stats_->upgrades.add();
    d.connecting = false;
    transport_up(id);  // the session sends CONNECT; reads are armed
    if (have != 0 && d.gen == gen && d.stream.is_open()) ws_data(id, gen, std::span<std::uint8_t>(read_buf_.data(), have));
    return;
  }
}

void Worker::on_ws_io(std::uint32_t id, std::uint32_t gen) {
  Device& d = devices_[id];
  if (gen != d.gen || !d.connecting || !d.ws) return;
  if (!d.ws->request_pending().empty()) ws_write_request(id);
  else ws_read_response(id);
}

// A failed upgrade attempt: counted by reason (WebSocket or TLS), the first one described.
void Worker::ws_fail(std::uint32_t id, const net::error_code& ec, const std::string& what) {
  const auto f = net::ws_failure_of(ec);
  if (f != net::WsFailure::None) {
    ws_stats_->failures[static_cast<std::size_t>(f)].add();
    if (ws_error_.empty()) ws_error_ = std::string(net::to_string(f)) + ": " + what;
  } else {
    count_tls(ec, false);
  }
  fail_connect(id, ec);
}

// Server frames in `bytes` (in the read buffer): data to the session, pings answered, a
// close or a framing error ends the connection. false: the transport is gone.
bool Worker::ws_data(std::uint32_t id, std::uint32_t gen, std::span<std::uint8_t> bytes) {
  Device& d = devices_[id];
  net::WsConn::Events ev;
  net::error_code ec;
  const std::size_t n = d.ws->unframe(bytes, ev, ec);
  if (n != 0) {
    prepare(Clock::now());  // what call() does (its template lives in worker.cpp)
    d.session.on_data(ctx_, std::span<const std::uint8_t>(bytes.data(), n));
    settle(id);
    if (d.gen != gen || !d.stream.is_open()) return false;
  }
  if (ev.ping && !ec && !ev.close) {
    ws_ctl_.clear();
    net::WsConn::frame_control(ws_ctl_, net::WsOpcode::Pong, d.ws->pong_payload());
    net::error_code wec;
    if (!send_bytes(id, ws_ctl_, {}, wec)) {
      const bool up = established(id);
      close_transport(d);
      const auto why = transport_error(wec, up);
      prepare(Clock::now());
      d.session.on_transport_down(ctx_, why, wec);
      settle(id);
      return false;
    }
  }
  if (!ec && !ev.close) return true;
  const net::error_code down = ec ? ec : net::make_error_code(net::WsFailure::Closed);
  const auto f = net::ws_failure_of(down);
  // A close or framing error on a connection that had its CONNACK is a drop.
  (established(id) ? ws_stats_->drops : ws_stats_->failures)[static_cast<std::size_t>(f)].add();
  if (ws_error_.empty())
    ws_error_ = std::string(net::to_string(f)) + (ev.close ? ": close code " + std::to_string(d.ws->close_code()) : "");
  close_transport(d);  // answers a close with a close (RFC 6455 §5.5.1)
  const auto why = ec ? device::DropReason::ProtocolError : device::DropReason::SocketError;
  prepare(Clock::now());
  d.session.on_transport_down(ctx_, why, down);
  settle(id);
  return false;
}

// Before the socket closes: a close frame when the connection is up and nothing is queued
// (best effort, non-blocking), then the WebSocket state goes: a device that is down holds none.
void Worker::ws_end(Device& d) {
  if (d.ws->may_send_close() && !d.tail && !d.connecting) {
    ws_ctl_.clear();
    net::WsConn::frame_close(ws_ctl_);
    net::error_code ignored;
    write_some(d, ws_ctl_, ignored);
    d.ws->close_sent();
  }
  d.ws.reset();
}

}  // namespace fleetload::engine
