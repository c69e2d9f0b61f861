// Limit arithmetic and the system readers behind preflight().
#include "engine/limits.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "engine/event_loop.hpp"

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

std::uint64_t descriptors_needed(const FleetShape& shape, const SystemLimits& sys) noexcept {
  const std::uint64_t threads = std::max<std::uint64_t>(shape.threads, 1);
  return shape.devices + sys.open_descriptors + threads * sys.descriptors_per_worker_loop +
         kExtraEventLoops * sys.descriptors_per_control_loop + kDescriptorSpare;
}

std::vector<LimitProblem> check_limits(const FleetShape& shape, const SystemLimits& sys) {
  std::vector<LimitProblem> problems;
  const std::uint64_t fds = descriptors_needed(shape, sys);
  if (fds > sys.nofile_soft) {
    LimitProblem p;
    p.what = "open files (RLIMIT_NOFILE)";
    p.needed = fds;
    p.available = sys.nofile_soft;
    const std::uint64_t threads = std::max<std::uint64_t>(shape.threads, 1);
    const std::uint64_t per_thread = sys.descriptors_per_worker_loop;
    const std::uint64_t fixed = fds - shape.devices;
    const std::uint64_t per_process = sys.nofile_soft > fixed ? sys.nofile_soft - fixed : 1;
    const std::uint64_t shards = (shape.fleet_devices + per_process - 1) / per_process;
    std::ostringstream a;
    a << shape.devices << " devices + " << sys.open_descriptors << " open now + " << threads
      << " worker threads x " << per_thread << " + " << kExtraEventLoops << " control loops x "
      << sys.descriptors_per_control_loop << " + " << kDescriptorSpare << " spare = " << fds << " > limit "
      << sys.nofile_soft << " (hard " << sys.nofile_hard << "); ";
    // Fewer threads are enough when the worker loops are what tips it over.
    if (threads > 1 && fds - (threads - 1) * per_thread <= sys.nofile_soft) {
      const std::uint64_t room = sys.nofile_soft - (fds - threads * per_thread);
      a << "use at most --threads " << std::max<std::uint64_t>(room / std::max<std::uint64_t>(per_thread, 1), 1)
        << ", ";
    }
    a << "raise the hard limit (ulimit -Hn, LimitNOFILE=) or split the fleet of " << shape.fleet_devices
      << " into at least " << shards << " shards (--shard K/" << shards << ")";
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

std::uint64_t open_descriptor_count() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  std::uint64_t n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n > 0 ? n - 1 : 0;  // the directory's own descriptor
}

namespace {
// Descriptors open while `hold` keeps what it builds alive (it returns open_descriptor_count()
// then), less those open before; `fallback` when /proc cannot tell.
template <class Hold>
std::uint64_t descriptors_added_by(Hold hold, std::uint64_t fallback) {
  const std::uint64_t before = open_descriptor_count();
  const std::uint64_t during = hold();
  return during > before ? during - before : fallback;
}
}  // namespace

// Each measured once per process, not guessed: a change to EventLoop shows here, Asio may
// change how its reactor is built, and other platforms differ.
std::uint64_t descriptors_per_worker_loop() {
  static const std::uint64_t measured = descriptors_added_by(
      [] {
        EventLoop loop;
        return open_descriptor_count();
      },
      2);
  return measured;
}

std::uint64_t descriptors_per_control_loop() {
  // An io_context with what the control loop gives it: a timer and a socket object, which
  // bring up the reactor.
  static const std::uint64_t measured = descriptors_added_by(
      [] {
        boost::asio::io_context io(1);
        boost::asio::steady_timer timer(io);
        boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type> socket(
            io.get_executor());
        return open_descriptor_count();
      },
      3);
  return measured;
}

SystemLimits read_system_limits() {
  SystemLimits sys;
  sys.descriptors_per_worker_loop = descriptors_per_worker_loop();
  sys.descriptors_per_control_loop = descriptors_per_control_loop();
  sys.open_descriptors = open_descriptor_count();
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

namespace {
// A "Name:   123 kB" line of /proc/self/status, in bytes (0 when absent).
std::uint64_t status_kib_field(std::string_view name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 && line[name.size()] == ':') {
      std::istringstream in(line.substr(name.size() + 1));
      std::uint64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
  }
  return 0;
}
}  // namespace

std::uint64_t current_rss_bytes() { return status_kib_field("VmRSS"); }

std::uint64_t peak_rss_bytes() {
  std::uint64_t peak = status_kib_field("VmHWM");
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) peak = std::max(peak, static_cast<std::uint64_t>(ru.ru_maxrss) * 1024);
  return peak;
}

}  // namespace fleetload::engine
