// Formatting and printing the once-a-second progress line.
#include "cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include "engine/pacing.hpp"
#include "engine/phases.hpp"
#include "metrics/format.hpp"

namespace fleetload::cli {

namespace {

namespace human = metrics::human;

double per_s(std::uint64_t n, engine::Seconds interval) {
  return interval.count() > 0.0 ? static_cast<double>(n) / interval.count() : 0.0;
}

// Full digits while they are short ("1234", "12.3"), the compact form beyond ("12.3k"), so a
// field keeps its width as the fleet grows. No thousands separator: four digits read at a
// glance, and "connected 1000/1000" stays greppable in CI logs.
std::string num(double v) {
  const double a = std::fabs(v);
  if (a >= 9999.5) return human::compact(v);
  if (a >= 999.5) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  return human::number(v);
}

std::string elapsed_text(double s) {
  const auto t = static_cast<long long>(std::floor(std::max(0.0, s)));
  char buf[32];
  if (t < 60) std::snprintf(buf, sizeof buf, "%llds", t);
  else if (t < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t / 60) % 60);
  return buf;
}

std::string p99_text(const device::HistogramSnapshot& h) {
  return h.count ? human::duration(static_cast<double>(h.percentile(0.99)) / 1e9) : "-";
}

// Errors of the window: failed connects and drops by any reason but the run's own churn and
// shutdown (as the engine's broker/local split counts them).
struct WindowErrors {
  std::uint64_t all = 0, local = 0;
};
WindowErrors window_errors(const device::StatsSnapshot& d) {
  WindowErrors e;
  for (std::size_t i = 0; i < device::kDropReasonCount; ++i) {
    const auto r = static_cast<device::DropReason>(i);
    if (r == device::DropReason::None || r == device::DropReason::Churn || r == device::DropReason::Shutdown) continue;
    const std::uint64_t n = d.connect_failed_by_reason[i] + d.drops_by_reason[i];
    e.all += n;
    if (r == device::DropReason::LocalLimit || r == device::DropReason::LocalError) e.local += n;
  }
  return e;
}

// Keeps the first `cols` display columns of UTF-8 text.
std::string cut(const std::string& s, std::size_t cols) {
  std::size_t n = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (n == cols) break;
    ++n;
  }
  return s.substr(0, i);
}

struct Field {
  int importance;  // 0 = always shown; higher = dropped first
  std::string text;
};

}  // namespace

ProgressPlan progress_plan(const scenario::Scenario& s) {
  ProgressPlan plan;
  plan.publish_target_per_s = publish_target_per_s(s);
  const std::uint32_t n = std::max<std::uint32_t>(1, s.fleet.shard.n);
  const std::uint64_t devices = engine::pacing::shard_devices(s.fleet.devices, s.fleet.shard.k, n);
  const double rate = engine::shard_connect_rate(s);
  const auto run = std::chrono::duration_cast<std::chrono::milliseconds>(s.run.duration);
  for (const auto& p : engine::plan_phases(s.phases, run, devices, rate)) {
    if (p.type != scenario::PhaseType::Ramp) continue;
    // Devices start at ordinal / rate from the run's start: by the ramp's end, this many.
    const double by_end = rate > 0 ? std::floor(rate * std::chrono::duration<double>(p.end).count()) : 0.0;
    plan.ramps.push_back({p.name, std::min<std::uint64_t>(devices, static_cast<std::uint64_t>(by_end)), rate});
  }
  return plan;
}

double publish_target_per_s(const scenario::Scenario& s) {
  // Every group's streams (a scenario without groups is its own one group).
  double total = 0.0;
  for (const auto& g : scenario::group_scenarios(s))
    for (const auto& p : g.publish) total += p.per_device_rate.per_second * static_cast<double>(p.publishers.selected);
  return total / static_cast<double>(std::max<std::uint32_t>(1, s.fleet.shard.n));
}

std::size_t progress_columns(int fd, bool tty, const char* columns_env) {
  if (columns_env && *columns_env) {
    std::size_t v = 0;
    const char* end = columns_env + std::strlen(columns_env);
    const auto [p, ec] = std::from_chars(columns_env, end, v);
    if (ec == std::errc() && p == end && v > 0) return v;
  }
  if (tty) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  }
  return 80;
}

std::string format_progress(const engine::Progress& p, const ProgressPlan& plan, std::size_t columns) {
  const auto& d = p.delta;
  const auto& t = p.total;
  const auto* ramp = [&]() -> const ProgressPlan::Ramp* {
    for (const auto& r : plan.ramps)
      if (r.phase == p.phase) return &r;
    return nullptr;
  }();
  std::vector<Field> f;  // in display order
  std::string phase(p.phase);
  if (human::columns(phase) > 14) phase = cut(phase, 13) + "~";
  f.push_back({0, "[" + elapsed_text(p.elapsed.count()) + " " + phase + "]"});
  // In a ramp, against what the ramp connects by its end, and its rate.
  const double goal = static_cast<double>(ramp ? ramp->devices : p.target);
  f.push_back({0, "connected " + num(static_cast<double>(p.connected)) + "/" + num(goal)});
  if (ramp) f.push_back({2, "ramp @" + num(ramp->rate_per_s) + "/s"});
  f.push_back({ramp ? 1 : 4, "+" + num(per_s(d.connects_ok, p.interval)) + "/s"});
  const std::uint64_t sent = d.publishes_sent[0] + d.publishes_sent[1] + d.publishes_sent[2];
  const std::uint64_t sent_total = t.publishes_sent[0] + t.publishes_sent[1] + t.publishes_sent[2];
  if (plan.publish_target_per_s > 0.0 || sent_total > 0) {
    std::string pub = "pub " + num(per_s(sent, p.interval));
    if (plan.publish_target_per_s > 0.0) pub += "/" + num(plan.publish_target_per_s);
    f.push_back({1, pub + "/s"});
  }
  if (t.messages_received > 0 || t.subscribe_requests > 0)
    f.push_back({5, "recv " + num(per_s(d.messages_received, p.interval)) + "/s"});
  const WindowErrors e = window_errors(d);
  std::string err = "err " + num(per_s(e.all, p.interval)) + "/s";
  if (p.local_limit_errors + p.local_errors > 0) err += " (local " + num(per_s(e.local, p.interval)) + "/s)";
  f.push_back({1, err});
  if (t.drops + t.reconnects + t.connect_failures > 0) {
    f.push_back({2, "drop " + num(per_s(d.drops, p.interval)) + "/s"});
    f.push_back({3, "reconn " + num(per_s(d.reconnects, p.interval)) + "/s"});
    f.push_back({7, "backoff " + num(static_cast<double>(std::max<std::int64_t>(0, t.backing_off)))});
  }
  if (t.ack_latency.count) f.push_back({2, "ack p99 " + p99_text(d.ack_latency)});
  if (t.e2e_latency.count) f.push_back({6, "e2e p99 " + p99_text(d.e2e_latency)});
  if (t.time_to_connect.count) f.push_back({ramp ? 3 : 8, "connect p99 " + p99_text(d.time_to_connect)});

  // Most important first while they fit; ties keep display order.
  constexpr std::size_t kSep = 3;  // " | "
  std::vector<std::size_t> order(f.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return f[a].importance < f[b].importance; });
  std::vector<bool> shown(f.size(), false);
  std::size_t used = 0;
  for (std::size_t i : order) {
    const std::size_t w = human::columns(f[i].text) + (used ? kSep : 0);
    if (f[i].importance > 0 && used + w > columns) continue;
    shown[i] = true;
    used += w;
  }
  std::string line;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (!shown[i]) continue;
    // The ramp's rate reads as part of its target: "connected 1,234/2,500 ramp @500/s".
    if (!line.empty()) line += f[i].text.rfind("ramp @", 0) == 0 ? " " : " | ";
    line += f[i].text;
  }
  // Even the essentials never wrap: cut at the width.
  return human::columns(line) > columns ? cut(line, columns) : line;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, bool tty, ProgressPlan plan)
    : out_(out), tty_(tty), plan_(std::move(plan)) {}

void ProgressPrinter::print(const engine::Progress& p) {
  // One column spare on a terminal: writing the last column leaves some terminals waiting
  // to wrap, and the next \r would then start a new line.
  const std::size_t width = progress_columns(::fileno(out_), tty_, std::getenv("COLUMNS"));
  const std::string line = format_progress(p, plan_, tty_ && width > 1 ? width - 1 : width);
  if (tty_) {
    // Carriage return and erase-to-end-of-line: the line updates in place.
    std::fprintf(out_, "\r%s\x1b[K", line.c_str());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void ProgressPrinter::finish() {
  if (line_open_.exchange(false)) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
}

}  // namespace fleetload::cli
