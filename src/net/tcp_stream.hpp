// Plain TCP byte stream in reactor style: wait for readiness, then non-blocking read/write.
//
// Why reactor style: an idle device must not own a read buffer. The engine waits for
// readability with no buffer attached, then reads into one buffer per worker thread; writes
// go straight out with write_some and only an unsent tail is kept by the caller. TLS and
// WebSocket streams slot in later with this same face (open/connect, wait_readable,
// read_some, write_some, wait_writable, close), layered over TcpStream as Beast layers its
// streams.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace fleetload::net {

using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

// Where a failure comes from, for the report: "we hit a local limit" is not "the broker
// stopped answering".
enum class FailureSide : std::uint8_t {
  Local,   // EMFILE, ENFILE, EADDRNOTAVAIL, EADDRINUSE, ENOBUFS, ENOMEM: our machine
  Remote,  // refused, reset, timed out, EOF, unreachable: the broker or the path to it
};
FailureSide classify(const error_code& ec) noexcept;
bool is_local_limit(const error_code& ec) noexcept;

class TcpStream {
 public:
  // The io_context's own executor type, not any_io_executor: the socket object shrinks
  // from 88 to 40 bytes, and there is one per device.
  using Socket = boost::asio::basic_stream_socket<tcp, boost::asio::io_context::executor_type>;

  explicit TcpStream(const boost::asio::io_context::executor_type& ex) : socket_(ex) {}

  // Opens a non-blocking socket for `remote` with TCP_NODELAY and, when `source` is given,
  // binds it to that local address (port chosen at connect time, IP_BIND_ADDRESS_NO_PORT,
  // so one source address serves ~ip_local_port_range connections per remote endpoint
  // rather than per machine). Errors come back synchronously (EMFILE shows up here).
  error_code open(const tcp::endpoint& remote, const boost::asio::ip::address* source);

  // Starts the non-blocking connect; handler(error_code).
  template <class Handler>
  void async_connect(const tcp::endpoint& remote, Handler&& h) {
    socket_.async_connect(remote, std::forward<Handler>(h));
  }

  // handler(error_code) when the socket is readable / writable (or errored / closed).
  template <class Handler>
  void async_wait_readable(Handler&& h) {
    socket_.async_wait(Socket::wait_read, std::forward<Handler>(h));
  }
  template <class Handler>
  void async_wait_writable(Handler&& h) {
    socket_.async_wait(Socket::wait_write, std::forward<Handler>(h));
  }

  // Non-blocking; would_block when nothing is there; eof when the peer closed.
  std::size_t read_some(std::span<std::uint8_t> buf, error_code& ec) {
    return socket_.read_some(boost::asio::buffer(buf.data(), buf.size()), ec);
  }
  // Non-blocking; may write fewer bytes than given (would_block when none).
  std::size_t write_some(std::span<const std::uint8_t> buf, error_code& ec) {
    return socket_.write_some(boost::asio::buffer(buf.data(), buf.size()), ec);
  }

  // Cancels pending waits (their handlers get operation_aborted) and closes. Idempotent.
  void close() noexcept;
  bool is_open() const noexcept { return socket_.is_open(); }
  Socket& socket() noexcept { return socket_; }

 private:
  Socket socket_;
};

// "1.2.3.4" or "::1"; throws std::invalid_argument naming the text when it is not an IP.
boost::asio::ip::address parse_address(const std::string& text);

// Resolves host:port once at start-up (numeric hosts without DNS); throws
// std::runtime_error naming host and port when nothing resolves.
tcp::endpoint resolve_endpoint(const std::string& host, std::uint16_t port);

}  // namespace fleetload::net
