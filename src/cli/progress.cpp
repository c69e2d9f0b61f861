// Formatting and printing the once-a-second progress line.
#include "cli/progress.hpp"

#include <algorithm>
#include <cmath>

namespace fleetload::cli {

namespace {

double per_s(std::uint64_t n, engine::Seconds interval) {
  return interval.count() > 0.0 ? static_cast<double>(n) / interval.count() : 0.0;
}

std::string ms_text(const device::HistogramSnapshot& h) {
  if (h.count == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fms", static_cast<double>(h.percentile(0.99)) / 1e6);
  return buf;
}

}  // namespace

double publish_target_per_s(const scenario::Scenario& s) {
  if (!s.publish) return 0.0;
  const double publishers = static_cast<double>(s.publish->publishers.selected);
  const double shards = static_cast<double>(std::max<std::uint32_t>(1, s.fleet.shard.n));
  return s.publish->per_device_rate.per_second * publishers / shards;
}

std::string format_progress(const engine::Progress& p, double target) {
  const auto& d = p.delta;
  const std::uint64_t sent = d.publishes_sent[0] + d.publishes_sent[1] + d.publishes_sent[2];
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "[%5.0fs %s] connected %llu/%llu | connects/s %.0f | pub/s %.0f",
                        std::floor(p.elapsed.count()), std::string(p.phase).c_str(),
                        static_cast<unsigned long long>(p.connected), static_cast<unsigned long long>(p.target),
                        per_s(d.connects_ok, p.interval), per_s(sent, p.interval));
  std::string line(buf, static_cast<std::size_t>(std::max(0, n)));
  if (target > 0.0) {
    std::snprintf(buf, sizeof buf, "/%.0f", target);
    line += buf;
  }
  std::snprintf(buf, sizeof buf,
                " | recv/s %.0f | errors %llu (local limits %llu, local faults %llu) | p99 connect %s ack %s e2e %s",
                per_s(d.messages_received, p.interval),
                static_cast<unsigned long long>(p.broker_errors + p.local_limit_errors + p.local_errors),
                static_cast<unsigned long long>(p.local_limit_errors), static_cast<unsigned long long>(p.local_errors),
                ms_text(d.time_to_connect).c_str(),
                ms_text(d.ack_latency).c_str(), ms_text(d.e2e_latency).c_str());
  line += buf;
  return line;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, bool tty, double target)
    : out_(out), tty_(tty), publish_target_(target) {}

void ProgressPrinter::print(const engine::Progress& p) {
  const std::string line = format_progress(p, publish_target_);
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
