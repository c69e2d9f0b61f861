// TcpStream: socket options, source binding, error classification, start-up resolution.
#include "net/tcp_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/fd_stream.hpp"

namespace fleetload::net {

bool is_local_limit(const error_code& ec) noexcept {
  if (ec.category() != boost::system::system_category() &&
      ec.category() != boost::asio::error::get_system_category())
    return false;
  switch (ec.value()) {
    case EMFILE:
    case ENFILE:
    case EADDRNOTAVAIL:
    case EADDRINUSE:
    case ENOBUFS:
    case ENOMEM:
      return true;
    default:
      return false;
  }
}

const char* to_string(ConnectFailure f) noexcept {
  switch (f) {
    case ConnectFailure::None: return "none";
    case ConnectFailure::Refused: return "refused";
    case ConnectFailure::Timeout: return "timeout";
    case ConnectFailure::HostUnreachable: return "host_unreachable";
    case ConnectFailure::NetUnreachable: return "net_unreachable";
    case ConnectFailure::Reset: return "reset";
    case ConnectFailure::NameNotResolved: return "name_not_resolved";
    case ConnectFailure::ResolutionFailed: return "resolution_failed";
    case ConnectFailure::Other: return "other";
  }
  return "unknown";
}

ConnectFailure connect_failure_of(const error_code& ec) noexcept {
  if (!ec || is_local_limit(ec)) return ConnectFailure::None;
  if (ec == std::errc::timed_out) return ConnectFailure::Timeout;  // any category
  if (ec.category() != boost::system::system_category() &&
      ec.category() != boost::asio::error::get_system_category())
    return ConnectFailure::Other;
  switch (ec.value()) {
    case ECONNREFUSED: return ConnectFailure::Refused;
    case ETIMEDOUT: return ConnectFailure::Timeout;
    case EHOSTUNREACH:
    case EHOSTDOWN: return ConnectFailure::HostUnreachable;
    case ENETUNREACH:
    case ENETDOWN: return ConnectFailure::NetUnreachable;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE: return ConnectFailure::Reset;
    default: return ConnectFailure::Other;
  }
}

ConnectFailure resolve_failure_of(const error_code& ec) noexcept {
  if (!ec) return ConnectFailure::None;
  // getaddrinfo's EAI_NONAME / EAI_NODATA arrive as host_not_found / no_data (netdb
  // category); everything else (try again, no recovery, EAI_FAIL, system errors) means the
  // lookup could not be answered, not that the name does not exist.
  if (ec == boost::asio::error::host_not_found || ec == boost::asio::error::no_data)
    return ConnectFailure::NameNotResolved;
  return ConnectFailure::ResolutionFailed;
}

FailureSide classify(const error_code& ec) noexcept {
  return is_local_limit(ec) ? FailureSide::Local : FailureSide::Remote;
}

error_code TcpStream::open(const tcp::endpoint& remote, const boost::asio::ip::address* source) {
  error_code ec;
  const int fd = open_tcp_socket(remote, source, ec);
  if (ec) return ec;
  socket_.assign(remote.protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    return ec;
  }
  socket_.non_blocking(true, ec);  // Asio's own flag: its reads and writes then never block
  if (ec) close();
  return ec;
}

void TcpStream::close() noexcept {
  if (!socket_.is_open()) return;
  error_code ignored;
  // No lingering: a load tester must not sit on FIN_WAIT state for closed devices; the
  // default close is graceful for bytes already written.
  socket_.close(ignored);
}

boost::asio::ip::address parse_address(const std::string& text) {
  error_code ec;
  auto a = boost::asio::ip::make_address(text, ec);
  if (ec) throw std::invalid_argument("not an IP address: \"" + text + "\"");
  return a;
}

bool is_ip_literal(const std::string& host) noexcept {
  error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  return !ec;
}

Resolved resolve(const std::string& host, std::uint16_t port) {
  Resolved out;
  error_code ec;
  auto a = boost::asio::ip::make_address(host, ec);
  if (!ec) {
    out.endpoint = tcp::endpoint(a, port);
    return out;
  }
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (!ec && results.empty()) ec = boost::asio::error::host_not_found;
  if (ec) {
    out.failure = resolve_failure_of(ec);
    out.why = ec.message();
    return out;
  }
  out.endpoint = results.begin()->endpoint();
  return out;
}

tcp::endpoint resolve_endpoint(const std::string& host, std::uint16_t port) {
  const Resolved r = resolve(host, port);
  if (r.failure != ConnectFailure::None)
    throw std::runtime_error("cannot resolve broker endpoint " + host + ":" + std::to_string(port) + ": " +
                             to_string(r.failure) + " (" + r.why + ")");
  return r.endpoint;
}

}  // namespace fleetload::net
