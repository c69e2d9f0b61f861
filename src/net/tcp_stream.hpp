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

// Why a TCP connection attempt (or the name lookup before it) failed, as a report label.
// Local limits are not here: they are counted apart (is_local_limit).
enum class ConnectFailure : std::uint8_t {
  None = 0,
  Refused,           // ECONNREFUSED: nothing listens there (RST to our SYN)
  Timeout,           // no answer to our SYNs within target.connect_timeout
  HostUnreachable,   // EHOSTUNREACH (ICMP host unreachable, no ARP/ND answer)
  NetUnreachable,    // ENETUNREACH: no route to that network
  Reset,             // ECONNRESET, ECONNABORTED, EPIPE while connecting
  NameNotResolved,   // DNS: the name does not exist (NXDOMAIN, no such host)
  ResolutionFailed,  // DNS: the lookup itself failed (no answer, SERVFAIL, try again)
  Other,             // any other socket error (EACCES from a firewall, EAFNOSUPPORT, ...)
};
inline constexpr std::size_t kConnectFailureCount = 9;
const char* to_string(ConnectFailure f) noexcept;
// The label for a failed connect's error code (None for no error and for local limits).
// A timeout is ETIMEDOUT from the kernel or std::errc::timed_out from our own deadline.
ConnectFailure connect_failure_of(const error_code& ec) noexcept;
// The label for a failed name lookup (boost::asio resolver / getaddrinfo error codes).
ConnectFailure resolve_failure_of(const error_code& ec) noexcept;

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

// True when `host` is an IP literal (no name lookup needed, now or later).
bool is_ip_literal(const std::string& host) noexcept;

// Resolves host:port (numeric hosts without DNS), blocking: the first address, or the
// failure (NameNotResolved / ResolutionFailed) with the resolver's own message in `why`.
struct Resolved {
  tcp::endpoint endpoint;
  ConnectFailure failure = ConnectFailure::None;
  std::string why;  // the resolver's message when failed
};
Resolved resolve(const std::string& host, std::uint16_t port);

// resolve(), throwing std::runtime_error naming host:port and the failure.
tcp::endpoint resolve_endpoint(const std::string& host, std::uint16_t port);

}  // namespace fleetload::net
