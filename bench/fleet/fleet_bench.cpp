// Fleet benchmark driver: runs a scenario through the Engine directly and prints one JSON
// object of what bench/RESULTS.md records (connect time, RSS per device, CPU, rates,
// latency percentiles). Usage: fleet_bench SCENARIO [--shard K/N] [--threads T]
//                                          [--duration SECONDS] [--set path=value]...
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "device/session.hpp"
#include "engine/engine.hpp"
#include "scenario/scenario.hpp"

namespace {

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

// Process CPU (all threads) in seconds: {user, system}.
std::pair<double, double> cpu_now() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return {static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6,
          static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6};
}

// The measurement window bench/floor/compare.sh compares against mqtt_floor's: from the
// first progress report inside the phase named "steady" to the last one, CPU and PUBLISH
// packets over exactly that window (the ramp, connects and the shutdown stay outside).
struct SteadyWindow {
  bool open = false;
  double t0 = 0, t1 = 0;
  std::pair<double, double> cpu0{}, cpu1{};
  std::uint64_t sent0 = 0, sent1 = 0;
};

void print_hist(const char* name, const fleetload::device::HistogramSnapshot& h) {
  std::printf("  \"%s_ms\": {\"count\": %llu, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f},\n",
              name, static_cast<unsigned long long>(h.count), ms(h.percentile(0.50)), ms(h.percentile(0.90)),
              ms(h.percentile(0.99)), ms(h.percentile(0.999)), ms(h.max));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fleetload;
  if (argc < 2) {
    std::cerr << "usage: fleet_bench SCENARIO [--shard K/N] [--threads T] [--duration S] [--set k=v]...\n";
    return 2;
  }
  std::vector<std::string> overrides;
  scenario::Shard shard;
  engine::RunOptions opts;
  opts.handle_signals = true;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--shard") {
      shard.k = static_cast<std::uint32_t>(std::stoul(v.substr(0, v.find('/'))));
      shard.n = static_cast<std::uint32_t>(std::stoul(v.substr(v.find('/') + 1)));
    } else if (k == "--threads") {
      opts.threads = static_cast<unsigned>(std::stoul(v));
    } else if (k == "--duration") {
      opts.duration = std::chrono::milliseconds(static_cast<long long>(std::stod(v) * 1000));
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
  s.fleet.shard = shard;
  SteadyWindow win;
  opts.on_progress = [&win](const engine::Progress& p) {
    if (p.phase == "steady") {
      const std::uint64_t sent = p.total.publishes_sent[0] + p.total.publishes_sent[1] + p.total.publishes_sent[2];
      const auto cpu = cpu_now();
      if (!win.open) {
        win.open = true;
        win.t0 = p.elapsed.count();
        win.cpu0 = cpu;
        win.sent0 = sent;
      }
      win.t1 = p.elapsed.count();
      win.cpu1 = cpu;
      win.sent1 = sent;
    }
    std::fprintf(stderr, "[%6.1fs] %-10.*s connected %llu/%llu  connects/s %.0f  pub/s %.0f  recv/s %.0f  local-errs %llu  broker-errs %llu  attempts %llu connecting %lld backoff %lld\n",
                 p.elapsed.count(), static_cast<int>(p.phase.size()), p.phase.data(),
                 static_cast<unsigned long long>(p.connected), static_cast<unsigned long long>(p.target),
                 static_cast<double>(p.delta.connects_ok) / p.interval.count(),
                 static_cast<double>(p.delta.publishes_sent[0] + p.delta.publishes_sent[1] + p.delta.publishes_sent[2]) / p.interval.count(),
                 static_cast<double>(p.delta.messages_received) / p.interval.count(),
                 static_cast<unsigned long long>(p.local_limit_errors), static_cast<unsigned long long>(p.broker_errors),
                 static_cast<unsigned long long>(p.total.connect_attempts), static_cast<long long>(p.total.connecting),
                 static_cast<long long>(p.total.backing_off));
  };
  engine::Engine eng(s, opts);
  const engine::RunResult r = eng.run();
  const auto& st = r.stats;
  const std::uint64_t sent = st.publishes_sent[0] + st.publishes_sent[1] + st.publishes_sent[2];
  const double cpu = r.cpu_user.count() + r.cpu_system.count();
  const double rss_delta = r.rss_all_connected > r.rss_before_devices
                               ? static_cast<double>(r.rss_all_connected - r.rss_before_devices) : 0.0;
  std::printf("{\n");
  std::printf("  \"exit_reason\": \"%s\", \"failure\": \"%s\",\n", engine::to_string(r.exit_reason), r.failure.c_str());
  std::printf("  \"shard\": \"%u/%u\", \"devices\": %llu, \"threads\": %u,\n", shard.k, shard.n,
              static_cast<unsigned long long>(r.devices), r.threads);
  std::printf("  \"connects_ok\": %llu, \"peak_connected\": %llu, \"time_to_all_connected_s\": %.3f,\n",
              static_cast<unsigned long long>(st.connects_ok), static_cast<unsigned long long>(r.peak_connected),
              r.time_to_all_connected ? r.time_to_all_connected->count() : -1.0);
  std::printf("  \"rss_before_devices_kib\": %llu, \"rss_all_connected_kib\": %llu, \"peak_rss_kib\": %llu,\n",
              static_cast<unsigned long long>(r.rss_before_devices / 1024),
              static_cast<unsigned long long>(r.rss_all_connected / 1024),
              static_cast<unsigned long long>(r.peak_rss_bytes / 1024));
  std::printf("  \"rss_per_device_bytes\": %.0f, \"sizeof_session\": %zu, \"engine_slot_bytes\": %llu,\n",
              r.devices ? rss_delta / static_cast<double>(r.devices) : 0.0, sizeof(device::Session),
              static_cast<unsigned long long>(r.device_slot_bytes));
  std::printf("  \"wall_s\": %.3f, \"cpu_user_s\": %.3f, \"cpu_sys_s\": %.3f,\n", r.wall.count(), r.cpu_user.count(),
              r.cpu_system.count());
  std::printf("  \"publishes_sent\": [%llu, %llu, %llu], \"acked\": [%llu, %llu, %llu], \"received\": %llu,\n",
              static_cast<unsigned long long>(st.publishes_sent[0]), static_cast<unsigned long long>(st.publishes_sent[1]),
              static_cast<unsigned long long>(st.publishes_sent[2]), static_cast<unsigned long long>(st.publishes_acked[0]),
              static_cast<unsigned long long>(st.publishes_acked[1]), static_cast<unsigned long long>(st.publishes_acked[2]),
              static_cast<unsigned long long>(st.messages_received));
  std::printf("  \"lost\": %llu, \"duplicated\": %llu, \"out_of_order\": %llu,\n",
              static_cast<unsigned long long>(st.messages_lost), static_cast<unsigned long long>(st.messages_duplicated),
              static_cast<unsigned long long>(st.messages_out_of_order));
  std::printf("  \"requested_rate\": %.2f, \"achieved_rate\": %.2f, \"rate_error_pct\": %.3f,\n", r.requested_publish_rate,
              r.achieved_publish_rate, r.publish_rate_error * 100.0);
  std::printf("  \"cpu_s_per_100k_msgs\": %.3f,\n", sent ? cpu * 100000.0 / static_cast<double>(sent) : 0.0);
  std::printf("  \"local_limit_errors\": %llu, \"broker_errors\": %llu, \"clean_disconnects\": %llu,\n",
              static_cast<unsigned long long>(r.local_limit_errors), static_cast<unsigned long long>(r.broker_errors),
              static_cast<unsigned long long>(st.clean_disconnects));
  {
    const double wcpu = (win.cpu1.first - win.cpu0.first) + (win.cpu1.second - win.cpu0.second);
    const std::uint64_t wsent = win.sent1 - win.sent0;
    const double wt = win.t1 - win.t0;
    std::printf("  \"window_s\": %.3f, \"steady_sent\": %llu, \"steady_rate\": %.2f, \"steady_cpu_s\": %.4f,\n", wt,
                static_cast<unsigned long long>(wsent), wt > 0 ? static_cast<double>(wsent) / wt : 0.0, wcpu);
    std::printf("  \"steady_cpu_user_s\": %.4f, \"steady_cpu_sys_s\": %.4f, \"steady_cpu_s_per_100k_msgs\": %.4f,\n",
                win.cpu1.first - win.cpu0.first, win.cpu1.second - win.cpu0.second,
                wsent ? wcpu * 100000.0 / static_cast<double>(wsent) : 0.0);
  }
  print_hist("time_to_connect", st.time_to_connect);
  print_hist("tcp_connect", st.tcp_connect);
  print_hist("ack_latency", st.ack_latency);
  print_hist("e2e_latency", st.e2e_latency);
  std::printf("  \"end\": true\n}\n");
  return r.exit_reason == engine::ExitReason::RuntimeFailure ? 3 : 0;
}
