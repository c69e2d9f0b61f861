// TLS fleet benchmark driver: runs a scenario (ramp, hold, storm) through the Engine and
// prints one JSON object: TLS setup rate during the ramp and the storm's reconnects,
// handshake durations per phase, resumed handshakes, RSS per idle TLS device.
// Usage: tls_bench SCENARIO [--threads T] [--set path=value]...
// FLEETLOAD_OPENSSL_MEM_SITES=N: also list the N OpenSSL allocation sites holding the most
// live heap at the idle point (slows the run; for finding where idle memory goes).
#include <malloc.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "net/tls_stream.hpp"
#include "openssl_mem_sites.hpp"
#include "scenario/scenario.hpp"

namespace {

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

void print_hist(const char* name, const fleetload::device::HistogramSnapshot& h) {
  std::printf("  \"%s_ms\": {\"count\": %llu, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f},\n", name,
              static_cast<unsigned long long>(h.count), ms(h.percentile(0.50)), ms(h.percentile(0.90)),
              ms(h.percentile(0.99)), ms(h.max));
}

// VmRSS of this process in bytes (0 when unreadable).
std::uint64_t vm_rss() {
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    if (key == "VmRSS:") {
      std::uint64_t kib = 0;
      f >> kib;
      return kib * 1024;
    }
    f.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fleetload;
  const char* sites_env = std::getenv("FLEETLOAD_OPENSSL_MEM_SITES");
  const std::size_t mem_sites = sites_env != nullptr ? std::strtoul(sites_env, nullptr, 10) : 0;
  if (mem_sites > 0 && !bench::openssl_mem::install()) std::cerr << "CRYPTO_set_mem_functions refused\n";
  if (argc < 2) {
    std::cerr << "usage: tls_bench SCENARIO [--threads T] [--set k=v]...\n";
    return 2;
  }
  std::vector<std::string> overrides;
  engine::RunOptions opts;
  opts.handle_signals = true;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") {
      opts.threads = static_cast<unsigned>(std::stoul(v));
    } else if (k == "--set") {
      overrides.push_back(v);
    } else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  scenario::Scenario s;
  try {
    s = scenario::load_scenario(argv[1], overrides);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  // Storm reconnect timing from the progress samples: from the first sample in the storm
  // (everyone dropped) to the first with everyone connected again.
  std::optional<double> storm_seen, storm_back;
  bool storm_dipped = false;
  // Idle RSS: the fifth progress sample of the hold phase with everyone connected, before
  // and after malloc_trim (glibc keeps freed handshake buffers of a fast ramp mapped).
  int idle_samples = 0;
  std::uint64_t rss_idle = 0, rss_idle_trimmed = 0, heap_idle = 0, heap_before = 0;
  double trim_ms = 0.0;
  opts.on_progress = [&](const engine::Progress& p) {
    if (p.phase == "hold" && p.connected == p.target && ++idle_samples == 5) {
      rss_idle = vm_rss();
      const auto t0 = std::chrono::steady_clock::now();
      ::malloc_trim(0);
      trim_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      rss_idle_trimmed = vm_rss();
      heap_idle = ::mallinfo2().uordblks;  // bytes malloc'd and not freed
      if (mem_sites > 0) bench::openssl_mem::print_top(mem_sites, static_cast<double>(p.target));
    }
    std::fprintf(stderr, "[%6.2fs] %-8.*s connected %llu/%llu connects/s %.0f broker-errs %llu\n", p.elapsed.count(),
                 static_cast<int>(p.phase.size()), p.phase.data(), static_cast<unsigned long long>(p.connected),
                 static_cast<unsigned long long>(p.target),
                 static_cast<double>(p.delta.connects_ok) / p.interval.count(),
                 static_cast<unsigned long long>(p.broker_errors));
    if (p.phase != "storm") return;
    if (!storm_seen) storm_seen = p.elapsed.count() - p.interval.count();
    if (p.connected < p.target) storm_dipped = true;
    if (storm_dipped && !storm_back && p.connected == p.target) storm_back = p.elapsed.count();
  };
  heap_before = ::mallinfo2().uordblks;
  engine::Engine eng(s, opts);
  const engine::RunResult r = eng.run();
  const double rss_delta = r.rss_all_connected > r.rss_before_devices
                               ? static_cast<double>(r.rss_all_connected - r.rss_before_devices) : 0.0;
  const double t_all = r.time_to_all_connected ? r.time_to_all_connected->count() : -1.0;
  std::printf("{\n");
  std::printf("  \"exit_reason\": \"%s\", \"failure\": \"%s\",\n", engine::to_string(r.exit_reason), r.failure.c_str());
  std::printf("  \"devices\": %llu, \"threads\": %u, \"connects_ok\": %llu, \"broker_errors\": %llu,\n",
              static_cast<unsigned long long>(r.devices), r.threads, static_cast<unsigned long long>(r.stats.connects_ok),
              static_cast<unsigned long long>(r.broker_errors));
  std::printf("  \"tls_handshakes\": %llu, \"tls_resumed\": %llu,\n", static_cast<unsigned long long>(r.tls_handshakes),
              static_cast<unsigned long long>(r.tls_resumed));
  // Client CPU per handshake (the worker threads' CPU inside the handshake steps), as the
  // run report's tls.handshake_cpu_ms.
  const std::uint64_t full = r.tls_handshakes - r.tls_resumed;
  std::printf("  \"handshake_cpu_ms_full\": %.4f, \"handshake_cpu_ms_resumed\": %.4f,\n",
              full ? static_cast<double>(r.tls_full_cpu_ns) / 1e6 / static_cast<double>(full) : 0.0,
              r.tls_resumed ? static_cast<double>(r.tls_resumed_cpu_ns) / 1e6 / static_cast<double>(r.tls_resumed) : 0.0);
  std::printf("  \"ramp_time_to_all_connected_s\": %.3f, \"ramp_setup_rate_per_s\": %.0f,\n", t_all,
              t_all > 0 ? static_cast<double>(r.devices) / t_all : 0.0);
  if (storm_seen && storm_back) {
    const double t = *storm_back - *storm_seen;
    std::printf("  \"storm_all_back_s\": %.3f, \"storm_setup_rate_per_s\": %.0f,\n", t,
                t > 0 ? static_cast<double>(r.devices) / t : 0.0);
  }
  std::printf("  \"rss_before_devices_kib\": %llu, \"rss_all_connected_kib\": %llu, \"rss_per_device_bytes\": %.0f,\n",
              static_cast<unsigned long long>(r.rss_before_devices / 1024),
              static_cast<unsigned long long>(r.rss_all_connected / 1024),
              r.devices ? rss_delta / static_cast<double>(r.devices) : 0.0);
  const auto per = [&](std::uint64_t rss) {
    return rss > r.rss_before_devices && r.devices ? static_cast<double>(rss - r.rss_before_devices) / static_cast<double>(r.devices) : 0.0;
  };
  std::printf("  \"idle_rss_per_device_bytes\": %.0f, \"idle_rss_per_device_trimmed_bytes\": %.0f,\n", per(rss_idle),
              per(rss_idle_trimmed));
  std::printf("  \"idle_heap_in_use_per_device_bytes\": %.0f,\n",
              heap_idle > heap_before && r.devices ? static_cast<double>(heap_idle - heap_before) / static_cast<double>(r.devices) : 0.0);
  std::printf("  \"tls_memory_trims\": %llu, \"idle_malloc_trim_ms\": %.2f,\n",
              static_cast<unsigned long long>(net::tls_memory_trims()), trim_ms);
  std::printf("  \"cpu_user_s\": %.3f, \"cpu_sys_s\": %.3f,\n", r.cpu_user.count(), r.cpu_system.count());
  for (const auto& p : r.phases) {
    const std::string n = "tls_handshake_" + p.name;
    print_hist(n.c_str(), p.stats.tls_handshake);
  }
  print_hist("tcp_connect", r.stats.tcp_connect);
  print_hist("time_to_connect", r.stats.time_to_connect);
  std::printf("  \"end\": true\n}\n");
  return r.exit_reason == engine::ExitReason::RuntimeFailure ? 3 : 0;
}
