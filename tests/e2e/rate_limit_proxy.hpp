// A TCP proxy of the tests' own in front of a broker, with a capacity the test sets: it
// admits at most `connects_per_second` new connections per second (and, when asked,
// forwards at most so many bytes per second towards the broker) (a token bucket with a
// one-second burst by default) and refuses the rest by closing them at once, before a byte is read.
// The capacity search's tests put it between fleetload and mosquitto: the knee the search
// reports must match the limit, and the proxy's own counts are what the test checks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

namespace fleetload::e2e {

class RateLimitProxy {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:upstream_port. The bucket
  // holds `burst_seconds` of the rate (at least one connection): a short burst keeps a short
  // step from borrowing much beyond the rate (the capacity-search tests use 0.1 s).
  // `max_open` > 0 also caps the connections open through it at once (the rest are refused
  // the same way): a broker of a known size (mosquitto's own max_connections drifts
  // upwards when refused clients retry, so it cannot be the known limit).
  RateLimitProxy(std::uint16_t upstream_port, double connects_per_second, double burst_seconds = 1.0,
                 std::uint64_t max_open = 0);
  ~RateLimitProxy();
  RateLimitProxy(const RateLimitProxy&) = delete;
  RateLimitProxy& operator=(const RateLimitProxy&) = delete;

  // Caps what all connections together forward towards the broker at `bytes_per_second`
  // (0: no cap, the default): a broker that takes messages only so fast. Bytes beyond it
  // wait in the proxy (reads pause), so publishes are acknowledged ever later.
  void limit_upstream_bytes(double bytes_per_second);
  // A network outage as every device sees it at once: closes every open connection (both
  // sides), so each client sees its connection lost and the broker sees each drop.
  void drop_all();
  // While refusing, every new connection is refused (closed before a byte is read, counted
  // in refused()), whatever the bucket holds: the outage lasts.
  void set_refusing(bool refusing);
  std::uint64_t upstream_bytes() const { return upstream_bytes_.load(); }

  std::uint16_t port() const { return port_; }
  std::uint64_t admitted() const { return admitted_.load(); }
  std::uint64_t refused() const { return refused_.load(); }
  std::uint64_t open() const { return open_.load(); }
  std::uint64_t peak_open() const { return peak_open_.load(); }  // most open at once

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> admitted_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> open_{0};
  std::atomic<std::uint64_t> peak_open_{0};
  std::atomic<std::uint64_t> upstream_bytes_{0};
  std::thread thread_;
};

}  // namespace fleetload::e2e
