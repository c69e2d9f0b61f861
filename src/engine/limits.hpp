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

// Descriptors the process needs besides one per device: stdio, epoll, eventfds/pipes per
// worker, the report file, resolver, logs.
inline constexpr std::uint64_t kDescriptorMargin = 64;

struct SystemLimits {
  std::uint64_t nofile_soft = 0;  // after raising to hard
  std::uint64_t nofile_hard = 0;
  std::uint32_t port_low = 32768;   // /proc/sys/net/ipv4/ip_local_port_range
  std::uint32_t port_high = 60999;
  std::uint64_t ports() const noexcept { return port_high >= port_low ? port_high - port_low + 1 : 0; }
};

struct FleetShape {
  std::uint64_t devices = 0;          // in this shard
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

// Raises RLIMIT_NOFILE soft to hard (best effort) and reads the port range.
SystemLimits read_system_limits();

// VmRSS of this process in bytes (0 when /proc is unreadable).
std::uint64_t current_rss_bytes();

}  // namespace fleetload::engine
