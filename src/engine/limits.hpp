// Up-front limit checks: descriptors and ephemeral ports, with the arithmetic spelled out.
//
// Pure arithmetic (check_limits) is separate from reading the system (read_system_limits)
// so tests can prove the messages without touching rlimits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace fleetload::engine {

// Descriptors the process needs besides one per device and those counted from the system
// (already open, per event loop): the signal pipe, the Prometheus exposer's socket and its
// scrapes, the Pushgateway connection, the report and certificate files opened during the
// run, the resolver.
inline constexpr std::uint64_t kDescriptorSpare = 32;
// Event loops besides the worker threads': the engine's control loop and the CLI's signal
// watcher (each an Asio io_context with its reactor).
inline constexpr std::uint64_t kExtraEventLoops = 2;

struct SystemLimits {
  std::uint64_t nofile_soft = 0;  // after raising to hard
  std::uint64_t nofile_hard = 0;
  std::uint64_t open_descriptors = 0;  // open in this process now (/proc/self/fd)
  // What one event loop costs, measured on this system, not assumed: a worker thread's
  // EventLoop (epoll and eventfd), and a control loop (an io_context with a timer and a
  // socket: epoll, eventfd and timerfd with Asio's epoll reactor).
  std::uint64_t descriptors_per_worker_loop = 2;
  std::uint64_t descriptors_per_control_loop = 3;
  std::uint32_t port_low = 32768;   // /proc/sys/net/ipv4/ip_local_port_range
  std::uint32_t port_high = 60999;
  std::uint64_t ports() const noexcept { return port_high >= port_low ? port_high - port_low + 1 : 0; }
};

struct FleetShape {
  std::uint64_t devices = 0;          // in this shard
  std::uint64_t threads = 1;          // worker threads (one event loop each)
  std::uint64_t fleet_devices = 0;    // whole fleet (for the advice)
  std::uint32_t shard_count = 1;
  std::uint64_t source_addresses = 0; // 0 = OS chooses (counts as one)
  std::uint64_t endpoints = 1;
};

// Devices placed on the busiest (source address, endpoint) pair when device ordinal j
// goes to endpoint j % E and source (j / E) % S.
std::uint64_t max_devices_per_pair(std::uint64_t devices, std::uint64_t sources,
                                   std::uint64_t endpoints) noexcept;

std::vector<LimitProblem> check_limits(const FleetShape& shape, const SystemLimits& sys);
std::vector<std::string> limit_warnings(const FleetShape& shape, const SystemLimits& sys);

// Descriptors check_limits counts for `shape` under `sys`: one per device, those open now,
// one worker event loop per thread, kExtraEventLoops control loops, and kDescriptorSpare.
std::uint64_t descriptors_needed(const FleetShape& shape, const SystemLimits& sys) noexcept;

// Raises RLIMIT_NOFILE soft to hard (best effort), counts the descriptors open now and
// measures the event loops', and reads the port range.
SystemLimits read_system_limits();

// Descriptors open in this process now (entries of /proc/self/fd; 0 when unreadable).
std::uint64_t open_descriptor_count();
// Descriptors one worker EventLoop adds (2: epoll and eventfd), and one io_context with a
// steady_timer and a TCP socket object (3 with Asio's epoll reactor): each measured once by
// building one and counting /proc/self/fd before and after.
std::uint64_t descriptors_per_worker_loop();
std::uint64_t descriptors_per_control_loop();

// VmRSS of this process in bytes (0 when /proc is unreadable).
std::uint64_t current_rss_bytes();
// The process's peak resident memory so far: the larger of getrusage's ru_maxrss and
// /proc/self/status VmHWM, in bytes (0 when neither can be read).
std::uint64_t peak_rss_bytes();

}  // namespace fleetload::engine
