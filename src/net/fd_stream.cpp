// FdStream: a non-blocking TCP descriptor with Asio-compatible error codes.
#include "net/fd_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/error.hpp>

namespace fleetload::net {

namespace {
error_code errno_code() noexcept { return {errno, boost::system::system_category()}; }

// One socket call, made again after EINTR: its byte count, or 0 and errno as `ec`.
template <class Call>
std::size_t io_call(error_code& ec, Call&& call) noexcept {
  for (;;) {
    const ssize_t n = call();
    if (n >= 0) {
      ec.clear();
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      ec = errno_code();
      return 0;
    }
  }
}
}  // namespace

int open_tcp_socket(const tcp::endpoint& remote, const boost::asio::ip::address* source, error_code& ec) noexcept {
  ec.clear();
  const int fd = ::socket(remote.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    ec = errno_code();
    return -1;
  }
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) ec = errno_code();
  if (!ec && source != nullptr) {
    // Without this, bind() picks the port at once and it is reserved for every
    // destination: one source address would then hold only ~28k connections in total.
    if (source->is_v4() && ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
      ec = errno_code();
    if (!ec) {
      const tcp::endpoint local(*source, 0);
      if (::bind(fd, local.data(), static_cast<socklen_t>(local.size())) != 0) ec = errno_code();
    }
  }
  if (ec) {
    ::close(fd);
    return -1;
  }
  return fd;
}

error_code FdStream::open(const tcp::endpoint& remote, const boost::asio::ip::address* source) noexcept {
  close();
  error_code ec;
  fd_ = open_tcp_socket(remote, source, ec);
  return ec;
}

error_code FdStream::connect(const tcp::endpoint& remote) noexcept {
  if (::connect(fd_, remote.data(), static_cast<socklen_t>(remote.size())) == 0 || errno == EINPROGRESS) return {};
  return errno_code();
}

error_code FdStream::connect_result() const noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno_code();
  return {err, boost::system::system_category()};
}

std::size_t FdStream::read_some(std::span<std::uint8_t> buf, error_code& ec) noexcept {
  const std::size_t n = io_call(ec, [&] { return ::recv(fd_, buf.data(), buf.size(), 0); });
  if (!ec && n == 0) ec = boost::asio::error::eof;
  return n;
}

std::size_t FdStream::write_some(std::span<const std::uint8_t> buf, error_code& ec) noexcept {
  return io_call(ec, [&] { return ::send(fd_, buf.data(), buf.size(), MSG_NOSIGNAL); });
}

std::size_t FdStream::write_some(std::span<const iovec> iov, error_code& ec) noexcept {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov.data());
  msg.msg_iovlen = iov.size();
  return io_call(ec, [&] { return ::sendmsg(fd_, &msg, MSG_NOSIGNAL); });
}

void FdStream::close() noexcept {
  if (fd_ < 0) return;
  // No lingering here: a load tester must not sit on FIN_WAIT state for closed devices; the
  // default close is graceful for bytes already written (the engine keeps an orderly close's
  // descriptor itself, worker.cpp close_transport).
  ::close(fd_);
  fd_ = -1;
}

}  // namespace fleetload::net
