// Limit arithmetic and the system readers behind preflight().
#include "engine/limits.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace fleetload::engine {

std::string LimitProblem::format() const {
  std::ostringstream o;
  o << what << ": need " << needed << ", have " << available << "; " << advice;
  return o.str();
}

std::uint64_t max_devices_per_pair(std::uint64_t devices, std::uint64_t sources,
                                   std::uint64_t endpoints) noexcept {
  const std::uint64_t pairs = std::max<std::uint64_t>(sources, 1) * std::max<std::uint64_t>(endpoints, 1);
  return (devices + pairs - 1) / pairs;
}

std::vector<LimitProblem> check_limits(const FleetShape& shape, const SystemLimits& sys) {
  std::vector<LimitProblem> problems;
  const std::uint64_t fds = shape.devices + kDescriptorMargin;
  if (fds > sys.nofile_soft) {
    LimitProblem p;
    p.what = "open files (RLIMIT_NOFILE)";
    p.needed = fds;
    p.available = sys.nofile_soft;
    const std::uint64_t per_process = sys.nofile_soft > kDescriptorMargin ? sys.nofile_soft - kDescriptorMargin : 1;
    const std::uint64_t shards = (shape.fleet_devices + per_process - 1) / per_process;
    std::ostringstream a;
    a << shape.devices << " devices + " << kDescriptorMargin << " spare descriptors > limit "
      << sys.nofile_soft << " (hard " << sys.nofile_hard << "); raise the hard limit (ulimit -Hn, "
      << "LimitNOFILE=) or split the fleet of " << shape.fleet_devices << " into at least "
      << shards << " shards (--shard K/" << shards << ")";
    p.advice = a.str();
    problems.push_back(std::move(p));
  }
  const std::uint64_t sources = std::max<std::uint64_t>(shape.source_addresses, 1);
  const std::uint64_t endpoints = std::max<std::uint64_t>(shape.endpoints, 1);
  const std::uint64_t per_pair = max_devices_per_pair(shape.devices, sources, endpoints);
  if (per_pair > sys.ports()) {
    LimitProblem p;
    p.what = "ephemeral ports per (source address, endpoint)";
    p.needed = per_pair;
    p.available = sys.ports();
    const std::uint64_t pairs_needed = (shape.devices + sys.ports() - 1) / std::max<std::uint64_t>(sys.ports(), 1);
    const std::uint64_t sources_needed = (pairs_needed + endpoints - 1) / endpoints;
    std::ostringstream a;
    a << shape.devices << " devices over " << sources << " source address(es) x " << endpoints
      << " endpoint(s) = " << per_pair << " per pair, but ip_local_port_range " << sys.port_low
      << "-" << sys.port_high << " gives " << sys.ports() << "; use at least " << sources_needed
      << " fleet.source_addresses (e.g. a range 127.0.0.2-127.0.0." << (1 + sources_needed)
      << " on loopback), add target endpoints, or shard across machines";
    p.advice = a.str();
    problems.push_back(std::move(p));
  }
  return problems;
}

std::vector<std::string> limit_warnings(const FleetShape& shape, const SystemLimits& sys) {
  std::vector<std::string> out;
  const std::uint64_t sources = std::max<std::uint64_t>(shape.source_addresses, 1);
  const std::uint64_t endpoints = std::max<std::uint64_t>(shape.endpoints, 1);
  const std::uint64_t per_pair = max_devices_per_pair(shape.devices, sources, endpoints);
  const std::uint64_t half = sys.ports() / 2;
  if (per_pair > half && per_pair <= sys.ports()) {
    std::ostringstream o;
    o << per_pair << " connections per (source address, endpoint) pair is more than half the "
      << "ephemeral port range (" << half << " of " << sys.ports() << "): Linux connect() slows "
      << "sharply past that point; add fleet.source_addresses (e.g. 127.0.0.2-127.0.0.5 on loopback)";
    out.push_back(o.str());
  }
  return out;
}

SystemLimits read_system_limits() {
  SystemLimits sys;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    if (rl.rlim_cur < rl.rlim_max) {
      rlimit raised = rl;
      raised.rlim_cur = rl.rlim_max;
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    sys.nofile_soft = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
    sys.nofile_hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
  }
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  std::uint32_t lo = 0, hi = 0;
  if (range >> lo >> hi) {
    sys.port_low = lo;
    sys.port_high = hi;
  }
  return sys;
}

std::uint64_t current_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      std::uint64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

}  // namespace fleetload::engine
