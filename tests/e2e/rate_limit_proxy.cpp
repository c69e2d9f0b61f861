// Rate-limiting TCP proxy: accept, charge the token bucket, then splice both directions
// (towards the broker through the byte bucket when one is set).
#include "e2e/rate_limit_proxy.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <vector>

namespace fleetload::e2e {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Bytes towards the broker, all connections together: a bucket that may go into debt; a
// read of n bytes waits until the debt it leaves is paid at `rate` bytes per second.
struct ByteBucket {
  double rate = 0.0;  // 0: no limit
  double tokens = 0.0;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  std::chrono::nanoseconds charge(std::size_t n) {
    if (!(rate > 0.0)) return std::chrono::nanoseconds{0};
    const auto now = std::chrono::steady_clock::now();
    // A burst of at most 10 ms of the rate.
    tokens = std::min(rate * 0.01, tokens + rate * std::chrono::duration<double>(now - last).count());
    last = now;
    tokens -= static_cast<double>(n);
    if (tokens >= 0.0) return std::chrono::nanoseconds{0};
    return std::chrono::nanoseconds(static_cast<std::int64_t>(-tokens / rate * 1e9));
  }
};

// One proxied connection: two sockets, one buffer per direction; closing either side
// closes both.
struct Pipe : std::enable_shared_from_this<Pipe> {
  tcp::socket client;
  tcp::socket upstream;
  asio::steady_timer wait;  // the upstream direction's pause for the byte bucket
  std::array<char, 16384> up_buf{};
  std::array<char, 16384> down_buf{};
  std::atomic<std::uint64_t>* open;  // the proxy's count of open pipes
  ByteBucket* bucket;
  std::atomic<std::uint64_t>* up_bytes;
  bool closed = false;
  Pipe(tcp::socket c, asio::io_context& io, std::atomic<std::uint64_t>* open_count, ByteBucket* b,
       std::atomic<std::uint64_t>* ub)
      : client(std::move(c)), upstream(io), wait(io), open(open_count), bucket(b), up_bytes(ub) {}

  void close() {
    if (closed) return;
    closed = true;
    --*open;
    boost::system::error_code ignored;
    client.close(ignored);
    upstream.close(ignored);
  }
  void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
    from.async_read_some(asio::buffer(buf), [self = shared_from_this(), &from, &to, &buf](
                                                const boost::system::error_code& ec, std::size_t n) {
      if (ec) return self->close();
      const bool up = &to == &self->upstream;
      const auto delay = up ? self->bucket->charge(n) : std::chrono::nanoseconds{0};
      auto forward = [self, &from, &to, &buf, n, up] {
        if (up) *self->up_bytes += n;
        asio::async_write(to, asio::buffer(buf.data(), n),
                          [self, &from, &to, &buf](const boost::system::error_code& wec, std::size_t) {
                            if (wec) return self->close();
                            self->pump(from, to, buf);
                          });
      };
      if (delay.count() == 0) return forward();
      self->wait.expires_after(delay);
      self->wait.async_wait([self, forward](const boost::system::error_code& wec) {
        if (wec || self->closed) return self->close();
        forward();
      });
    });
  }
};

}  // namespace

struct RateLimitProxy::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  tcp::endpoint upstream;
  double rate = 0.0;
  double capacity = 0.0;  // tokens the bucket holds at most
  double tokens = 0.0;
  std::uint64_t max_open = 0;  // 0: no cap
  ByteBucket bytes;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  RateLimitProxy* owner = nullptr;
  bool refusing = false;
  std::vector<std::weak_ptr<Pipe>> pipes;  // every pipe admitted (closed ones expire)

  // The bucket refills at `rate` per second and holds at most `capacity`.
  bool take() {
    const auto now = std::chrono::steady_clock::now();
    tokens = std::min(capacity, tokens + rate * std::chrono::duration<double>(now - last).count());
    last = now;
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }

  void accept() {
    acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (ec) return;  // closed: the proxy is stopping
      if (refusing || (max_open > 0 && owner->open_.load() >= max_open) || !take()) {
        ++owner->refused_;
        boost::system::error_code ignored;
        s.close(ignored);
      } else {
        ++owner->admitted_;
        const auto now_open = ++owner->open_;
        if (now_open > owner->peak_open_.load()) owner->peak_open_.store(now_open);
        auto p = std::make_shared<Pipe>(std::move(s), io, &owner->open_, &bytes, &owner->upstream_bytes_);
        std::erase_if(pipes, [](const std::weak_ptr<Pipe>& w) { return w.expired(); });
        pipes.push_back(p);
        p->upstream.async_connect(upstream, [p](const boost::system::error_code& cec) {
          if (cec) return p->close();
          p->pump(p->client, p->upstream, p->up_buf);
          p->pump(p->upstream, p->client, p->down_buf);
        });
      }
      accept();
    });
  }
};

RateLimitProxy::RateLimitProxy(std::uint16_t upstream_port, double connects_per_second, double burst_seconds,
                               std::uint64_t max_open)
    : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.owner = this;
  m.max_open = max_open;
  m.rate = connects_per_second;
  m.capacity = std::max(1.0, connects_per_second * burst_seconds);
  m.tokens = m.capacity;
  m.upstream = tcp::endpoint(asio::ip::make_address("127.0.0.1"), upstream_port);
  const tcp::endpoint here(asio::ip::make_address("127.0.0.1"), 0);
  m.acceptor.open(here.protocol());
  m.acceptor.set_option(tcp::acceptor::reuse_address(true));
  m.acceptor.bind(here);
  m.acceptor.listen(1024);
  port_ = m.acceptor.local_endpoint().port();
  m.accept();
  thread_ = std::thread([&m] { m.io.run(); });
}

void RateLimitProxy::limit_upstream_bytes(double bytes_per_second) {
  auto* m = impl_.get();
  asio::post(m->io, [m, bytes_per_second] {
    m->bytes.rate = bytes_per_second;
    m->bytes.tokens = 0.0;
    m->bytes.last = std::chrono::steady_clock::now();
  });
}

void RateLimitProxy::drop_all() {
  auto* m = impl_.get();
  asio::post(m->io, [m] {
    for (auto& w : m->pipes)
      if (auto p = w.lock()) p->close();
    m->pipes.clear();
  });
}

void RateLimitProxy::set_refusing(bool refusing) {
  auto* m = impl_.get();
  asio::post(m->io, [m, refusing] { m->refusing = refusing; });
}

RateLimitProxy::~RateLimitProxy() {
  impl_->io.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace fleetload::e2e
