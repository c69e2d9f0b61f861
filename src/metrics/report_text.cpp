// Formatting the end-of-run summary table: the numbers a user reads first after a run.
#include "metrics/report_text.hpp"

#include <cstdio>
#include <string_view>

namespace fleetload::metrics {

namespace {

// printf into a std::string; the formats here are all literals in this file.
template <class... A>
std::string fmt(const char* f, A... a) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, a...);
  return buf;
}

std::string bytes_text(double b) {
  if (b >= 1024.0 * 1024.0 * 1024.0) return fmt("%.2f GiB", b / (1024.0 * 1024.0 * 1024.0));
  if (b >= 1024.0 * 1024.0) return fmt("%.1f MiB", b / (1024.0 * 1024.0));
  if (b >= 1024.0) return fmt("%.2f KiB", b / 1024.0);
  return fmt("%.0f B", b);
}

unsigned long long u(std::uint64_t v) { return static_cast<unsigned long long>(v); }

void row(std::string& out, std::string_view label, const std::string& text) {
  out += fmt("  %-16s", std::string(label).c_str());
  out += text;
  out += '\n';
}

void latency_row(std::string& out, const char* name, const device::HistogramSnapshot& h) {
  if (h.count == 0) return;
  const Percentiles p = percentiles_of(h);
  out += fmt("  %-18s %10llu %10.2f %10.2f %10.2f %10.2f %10.2f\n", name, u(p.count), p.p50_ms, p.p90_ms, p.p99_ms,
             p.p999_ms, p.max_ms);
}

std::string value_text(const ThresholdResult& t) {
  if (!t.measured) return "not measured";
  if (t.unit == "ratio") return fmt("%.4g%%", t.value * 100.0);
  if (t.unit == "seconds") return fmt("%.4g ms", t.value * 1000.0);
  return fmt("%.0f", t.value);
}

}  // namespace

std::string format_summary(const RunReport& r) {
  const auto& s = r.stats;
  std::string out;
  out += fmt("\nfleetload %s: scenario \"%s\" (%s, shard %u/%u) %s after %.1f s\n", r.fleetload_version.c_str(),
             r.scenario_name.c_str(), r.protocol == mqtt::Version::V5 ? "MQTT 5" : "MQTT 3.1.1", r.shard_k, r.shard_n,
             r.exit_reason.c_str(), r.cost.wall_s);
  if (!r.failure.empty()) row(out, "reason", r.failure);
  if (!r.merged_shards.empty()) {
    std::string shards;
    for (auto k : r.merged_shards) shards += (shards.empty() ? "" : ", ") + std::to_string(k);
    row(out, "merged", "shards " + shards + " of " + std::to_string(r.shard_n) + " (fleetload report merge)");
  }

  std::string devices = fmt("%llu in shard, peak connected %llu, connected at end %lld", u(r.devices),
                            u(r.peak_connected), static_cast<long long>(r.connected_at_end));
  if (r.time_to_all_connected_s) devices += fmt(", all connected after %.2f s", *r.time_to_all_connected_s);
  row(out, "devices", devices);
  row(out, "connections",
      fmt("attempts %llu, ok %llu, failed %llu, drops %llu, reconnects %llu, resumed sessions %llu",
          u(s.connect_attempts), u(s.connects_ok), u(s.connect_failures), u(s.drops), u(s.reconnects),
          u(s.sessions_resumed)));
  std::string reasons;
  for (std::size_t i = 1; i < device::kDropReasonCount; ++i) {
    const auto n = s.drops_by_reason[i] + s.connect_failed_by_reason[i];
    if (n == 0) continue;
    if (!reasons.empty()) reasons += ", ";
    reasons += fmt("%s %llu", device::to_string(static_cast<device::DropReason>(i)), u(n));
  }
  if (!reasons.empty()) row(out, "failures/drops", reasons);
  std::string causes;
  for (const auto& c : r.connect_failures) {
    if (!causes.empty()) causes += ", ";
    causes += fmt("%s/%s %llu", c.result.c_str(), c.reason.c_str(), u(c.count));
  }
  if (!causes.empty()) row(out, "connect errors", causes);
  if (r.tls.handshakes > 0) {
    row(out, "tls",
        fmt("%llu handshakes (%llu resumed), client CPU per handshake: full %.3f ms, resumed %.3f ms",
            u(r.tls.handshakes), u(r.tls.resumed), r.tls.full_cpu_ms, r.tls.resumed_cpu_ms));
  }
  if (!r.tls_identity_error.empty()) row(out, "identity error", r.tls_identity_error);
  if (!r.websocket_error.empty()) row(out, "websocket error", r.websocket_error);
  row(out, "errors", fmt("broker %llu, local limits %llu", u(r.broker_errors), u(r.local_limit_errors)));

  const std::uint64_t sent = s.publishes_sent[0] + s.publishes_sent[1] + s.publishes_sent[2];
  if (r.publish_rate.requested > 0.0 || sent > 0) {
    row(out, "publish rate",
        fmt("requested %.1f/s, achieved %.1f/s (error %+.2f %%), %llu sent, %llu late", r.publish_rate.requested,
            r.publish_rate.achieved, r.publish_rate.error_percent, u(sent), u(s.publishes_late)));
  }
  for (const auto& b : r.books) {
    row(out, fmt("QoS %u books", b.qos),
        fmt("%llu requested = %llu acked + %llu timed out + %llu failed + %llu pending  [%s]", u(b.requests),
            u(b.acked), u(b.timed_out), u(b.failed), u(b.pending), b.balanced ? "balanced" : "NOT BALANCED"));
  }
  if (s.messages_received > 0 || s.subscribe_requests > 0) {
    row(out, "received",
        fmt("%llu messages, lost %llu, duplicated %llu, out of order %llu, untracked %llu", u(s.messages_received),
            u(s.messages_lost), u(s.messages_duplicated), u(s.messages_out_of_order), u(s.messages_untracked)));
  }
  if (s.pings_sent > 0 || s.ping_timeouts > 0) {
    row(out, "keepalive", fmt("%llu PINGREQs, %llu answered, %llu ping timeouts", u(s.pings_sent),
                              u(s.pings_answered), u(s.ping_timeouts)));
  }

  out += fmt("\n  %-18s %10s %10s %10s %10s %10s %10s\n", "latency (ms)", "count", "p50", "p90", "p99", "p99.9", "max");
#define FLEETLOAD_X(name, help) latency_row(out, #name, s.name);
  FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X

  if (!r.phases.empty()) {
    out += fmt("\n  %-18s %8s %8s %10s %10s %10s %8s\n", "phase", "start s", "end s", "pub req/s", "pub got/s",
               "connects", "drops");
    for (const auto& p : r.phases) {
      out += fmt("  %-18s %8.1f %8.1f %10.1f %10.1f %10llu %8llu\n", p.name.c_str(), p.start_s, p.end_s,
                 p.publish_rate.requested, p.publish_rate.achieved, u(p.stats.connects_ok), u(p.stats.drops));
    }
  }

  const auto& c = r.cost;
  out += '\n';
  row(out, "fleetload cost",
      fmt("CPU %.2f s (user %.2f, system %.2f), %.3f CPU s per 100k messages, peak RSS %s (%s per device)",
          c.cpu_user_s + c.cpu_system_s, c.cpu_user_s, c.cpu_system_s, c.cpu_s_per_100k_messages,
          bytes_text(static_cast<double>(c.peak_rss_bytes)).c_str(), bytes_text(c.peak_rss_per_device_bytes).c_str()));

  if (!r.thresholds.empty()) {
    out += "\n  thresholds\n";
    for (const auto& t : r.thresholds) {
      out += fmt("    %s  %-24s %-14s measured %s\n", t.passed ? "pass" : "FAIL", t.metric.c_str(), t.text.c_str(),
                 value_text(t).c_str());
    }
  }
  out += r.thresholds_passed ? "\n  verdict: PASS\n" : "\n  verdict: FAIL (thresholds breached)\n";
  return out;
}

}  // namespace fleetload::metrics
