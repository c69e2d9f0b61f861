// A device's TCP socket as a bare non-blocking descriptor, for an event loop of the caller's
// own (engine/event_loop.hpp) instead of Asio's reactor.
//
// Why not an Asio socket: each device's descriptor is registered with the worker's epoll set
// once, edge-triggered, and never touched again; Asio 1.81 re-registers a descriptor
// (EPOLL_CTL_MOD) for every readiness wait, one extra syscall per PUBACK wake-up
// (bench/RESULTS.md, "Close to the floor"). It is also 4 bytes per device, not 40.
//
// Errors are system_category error codes, so they compare equal to boost::asio::error's
// (would_block, connection_reset, ...); a read of 0 bytes is boost::asio::error::eof, as
// Asio reports it.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>

#include "net/tcp_stream.hpp"

namespace fleetload::net {

// A non-blocking, close-on-exec TCP socket for `remote` with TCP_NODELAY, bound to `source`
// when given (IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect time, per destination).
// -1 and `ec` on failure (EMFILE shows up here).
int open_tcp_socket(const tcp::endpoint& remote, const boost::asio::ip::address* source, error_code& ec) noexcept;

class FdStream {
 public:
  FdStream() = default;
  ~FdStream() { close(); }
  FdStream(FdStream&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FdStream& operator=(FdStream&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  FdStream(const FdStream&) = delete;
  FdStream& operator=(const FdStream&) = delete;

  error_code open(const tcp::endpoint& remote, const boost::asio::ip::address* source) noexcept;
  // Starts the connect: no error when it completed or is under way (the descriptor turns
  // writable when it ends: then connect_result()), else why it failed at once.
  error_code connect(const tcp::endpoint& remote) noexcept;
  // The outcome of a connect under way, once the descriptor is writable (SO_ERROR).
  error_code connect_result() const noexcept;

  // would_block when nothing is there; eof when the peer closed.
  std::size_t read_some(std::span<std::uint8_t> buf, error_code& ec) noexcept;
  // May write fewer bytes than given (would_block when none). Never raises SIGPIPE.
  std::size_t write_some(std::span<const std::uint8_t> buf, error_code& ec) noexcept;
  std::size_t write_some(std::span<const iovec> iov, error_code& ec) noexcept;

  void close() noexcept;
  // Hands the descriptor over to the caller (who closes it); the stream is closed after.
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace fleetload::net
