// TcpStream: socket options, source binding, error classification, start-up resolution.
#include "net/tcp_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

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

FailureSide classify(const error_code& ec) noexcept {
  return is_local_limit(ec) ? FailureSide::Local : FailureSide::Remote;
}

error_code TcpStream::open(const tcp::endpoint& remote, const boost::asio::ip::address* source) {
  error_code ec;
  socket_.open(remote.protocol(), ec);
  if (ec) return ec;
  socket_.non_blocking(true, ec);
  if (!ec) socket_.set_option(tcp::no_delay(true), ec);
  if (!ec && source != nullptr) {
    // Without this, bind() picks the port at once and it is reserved for every
    // destination: one source address would then hold only ~28k connections in total.
    const int one = 1;
    if (source->is_v4() &&
        ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                     sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
    if (!ec) socket_.bind(tcp::endpoint(*source, 0), ec);
  }
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

tcp::endpoint resolve_endpoint(const std::string& host, std::uint16_t port) {
  error_code ec;
  auto a = boost::asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(a, port);
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve broker endpoint " + host + ":" +
                             std::to_string(port) + (ec ? ": " + ec.message() : ""));
  return results.begin()->endpoint();
}

}  // namespace fleetload::net
