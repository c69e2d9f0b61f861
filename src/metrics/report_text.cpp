// Formatting the end-of-run summary table: the numbers a user reads first after a run.
#include "metrics/report_text.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "metrics/anomalies.hpp"
#include "metrics/report_share.hpp"
#include "metrics/format.hpp"

namespace fleetload::metrics {

namespace {

// printf into a std::string; the formats here are all literals in this file.
template <class... A>
std::string fmt(const char* f, A... a) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, a...);
  return buf;
}

// Counts as people read them ("1,234,567"), as C strings for the printf formats here.
std::string n(std::uint64_t v) { return human::count(v); }

void row(std::string& out, std::string_view label, const std::string& text) {
  out += fmt("  %-16s", std::string(label).c_str());
  out += text;
  out += '\n';
}

// Right-aligned in `width` display columns ("µ" is one column, two bytes).
// "N requests: a accepted, b rejected_404" of one operation's outcome counts; no row when none.
template <class Name>
void outcomes_row(std::string& out, std::string_view label, const std::uint64_t* counts, std::size_t kinds, Name&& name) {
  std::string line;
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < kinds; ++k) {
    total += counts[k];
    if (counts[k] != 0) line += (line.empty() ? "" : ", ") + n(counts[k]) + " " + name(k);
  }
  if (total > 0) row(out, label, n(total) + " requests: " + line);
}

std::string pad(const std::string& s, std::size_t width) {
  const std::size_t cols = human::columns(s);
  return cols >= width ? s : std::string(width - cols, ' ') + s;
}

void latency_row(std::string& out, const char* name, const device::HistogramSnapshot& h) {
  if (h.count == 0) return;
  const Percentiles p = percentiles_of(h);
  out += fmt("  %-18s", name) + " " + pad(n(p.count), 10);
  for (double v : {p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms}) out += " " + pad(human::duration_ms(v), 10);
  out += '\n';
}

// Fleet Provisioning by claim: each request by outcome, rejections by errorCode, devices.
void provisioning_rows(std::string& out, const device::StatsSnapshot& s) {
  for (std::size_t op = 0; op < device::kProvisioningOpCount; ++op) {
    std::string line;
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < device::kProvisioningOutcomeCount; ++k) {
      const auto c = s.provisioning_ops[op * device::kProvisioningOutcomeCount + k];
      total += c;
      if (c > 0) line += (line.empty() ? "" : ", ") + n(c) + " " + device::to_string(static_cast<device::ProvisioningOutcome>(k));
    }
    if (total > 0)
      row(out, op == 0 ? "prov. create" : "prov. register", n(total) + " requests: " + line);
  }
  std::string errors;
  for (std::size_t k = 0; k < device::kProvisioningErrorCodeCount; ++k)
    if (s.provisioning_errors[k] > 0)
      errors += (errors.empty() ? "" : ", ") + n(s.provisioning_errors[k]) + " " +
                device::to_string(static_cast<device::ProvisioningErrorCode>(k));
  if (!errors.empty()) row(out, "provisioning errors", errors);
  if (s.provisioning_attempts > 0)
    row(out, "provisioning", fmt("%s attempts, %s devices connected with their new identity, %s failed attempts, %s unusable answers",
                                 n(s.provisioning_attempts).c_str(), n(s.provisioning_devices).c_str(),
                                 n(s.provisioning_failures).c_str(), n(s.provisioning_bad_answers).c_str()));
}

std::string measured_text(const ThresholdResult& t) {
  if (!t.measured) return "not measured: " + t.reason;
  return "measured " + human::in_unit(t.value, t.unit);
}

}  // namespace

std::string format_summary(const RunReport& r) {
  const auto& s = r.stats;
  std::string out;
  out += fmt("\nfleetload %s: scenario \"%s\" (%s, shard %u/%u) %s after %s\n", r.fleetload_version.c_str(),
             r.scenario_name.c_str(), r.protocol == mqtt::Version::V5 ? "MQTT 5" : "MQTT 3.1.1", r.shard_k, r.shard_n,
             r.exit_reason.c_str(), human::duration(r.cost.wall_s).c_str());
  if (!r.failure.empty()) row(out, "reason", r.failure);
  if (!r.merged_shards.empty()) {
    std::string shards;
    for (auto k : r.merged_shards) shards += (shards.empty() ? "" : ", ") + std::to_string(k);
    row(out, "merged", "shards " + shards + " of " + std::to_string(r.shard_n) + " (fleetload report merge)");
  }

  std::string devices = fmt("%s in shard, peak connected %s, connected at end %s", n(r.devices).c_str(),
                            n(r.peak_connected).c_str(), human::count(r.connected_at_end).c_str());
  if (r.time_to_all_connected_s)
    devices += fmt(", all connected after %s", human::duration(*r.time_to_all_connected_s).c_str());
  row(out, "devices", devices);
  row(out, "connections",
      fmt("attempts %s, ok %s, failed %s, drops %s, reconnects %s, resumed sessions %s",
          n(s.connect_attempts).c_str(), n(s.connects_ok).c_str(), n(s.connect_failures).c_str(), n(s.drops).c_str(),
          n(s.reconnects).c_str(), n(s.sessions_resumed).c_str()));
  std::string reasons;
  for (std::size_t i = 1; i < device::kDropReasonCount; ++i) {
    const auto n = s.drops_by_reason[i] + s.connect_failed_by_reason[i];
    if (n == 0) continue;
    if (!reasons.empty()) reasons += ", ";
    reasons += fmt("%s %s", device::to_string(static_cast<device::DropReason>(i)), human::count(n).c_str());
  }
  if (!reasons.empty()) row(out, "failures/drops", reasons);
  std::string causes;
  for (const auto& c : r.connect_failures) {
    if (!causes.empty()) causes += ", ";
    causes += fmt("%s/%s", c.result.c_str(), c.reason.c_str());
    if (!c.endpoint.empty()) causes += " to " + c.endpoint;
    causes += " " + n(c.count);
  }
  if (!causes.empty()) row(out, "connect errors", causes);
  // RabbitMQ 3.10 closes an MQTT 5 CONNECT without any CONNACK; a 3.1.1-only broker that
  // answers 0x01 is named above. Every attempt closed before a CONNACK on MQTT 5: say why.
  if (r.protocol == mqtt::Version::V5 && s.connects_ok == 0 && s.connack_mqtt311_on_v5 == 0 &&
      s.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::SocketError)] > 0 &&
      s.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::SocketError)] == s.connect_failures)
    row(out, "hint",
        "the broker closed every connection right after the MQTT 5 CONNECT, without a CONNACK: "
        "it may not speak MQTT 5 (try target.protocol: mqtt311)");
  if (r.tls.handshakes > 0) {
    row(out, "tls",
        fmt("%s handshakes (%s resumed), client CPU per handshake: full %s, resumed %s", n(r.tls.handshakes).c_str(),
            n(r.tls.resumed).c_str(), human::duration_ms(r.tls.full_cpu_ms).c_str(),
            human::duration_ms(r.tls.resumed_cpu_ms).c_str()));
  }
  if (!r.tls_identity_error.empty()) row(out, "identity error", r.tls_identity_error);
  if (!r.websocket_error.empty()) row(out, "websocket error", r.websocket_error);
  row(out, "errors", fmt("broker %s, local limits %s, local faults %s", n(r.broker_errors).c_str(),
                         n(r.local_limit_errors).c_str(), n(r.local_errors).c_str()));

  const std::uint64_t sent = s.publishes_sent[0] + s.publishes_sent[1] + s.publishes_sent[2];
  if (r.publish_rate.requested > 0.0 || sent > 0) {
    row(out, "publish rate",
        fmt("requested %s, achieved %s (error %s), %s sent, %s late", human::rate(r.publish_rate.requested).c_str(),
            human::rate(r.publish_rate.achieved).c_str(), human::signed_percent(r.publish_rate.error_percent).c_str(),
            n(sent).c_str(), n(s.publishes_late).c_str()));
  }
  for (const auto& b : r.books) {
    row(out, fmt("QoS %u books", b.qos),
        fmt("%s requested = %s acked + %s timed out + %s failed + %s pending  [%s]", n(b.requests).c_str(),
            n(b.acked).c_str(), n(b.timed_out).c_str(), n(b.failed).c_str(), n(b.pending).c_str(),
            b.balanced ? "balanced" : "NOT BALANCED"));
  }
  if (s.messages_received > 0 || s.subscribe_requests > 0) {
    row(out, "received",
        fmt("%s messages, lost %s, duplicated %s, out of order %s, untracked %s", n(s.messages_received).c_str(),
            n(s.messages_lost).c_str(), n(s.messages_duplicated).c_str(), n(s.messages_out_of_order).c_str(),
            n(s.messages_untracked).c_str()));
    // Kept out of the books (neither live deliveries of this run nor duplicates): shown
    // when there were any, and retained always when the run published retained messages.
    if (s.retained_received > 0 || s.messages_from_earlier_run > 0)
      row(out, "", fmt("%s with RETAIN (retained received), %s from an earlier run", n(s.retained_received).c_str(),
                       n(s.messages_from_earlier_run).c_str()));
    if (s.messages_unjudged > 0)
      row(out, "", fmt("%s messages of other shards' publishers not judged: sent while the subscription may not "
                       "have been held (neither owed nor lost)",
                       n(s.messages_unjudged).c_str()));
    if (s.messages_not_yet_delivered > 0 || r.drain_timed_out)
      row(out, "", fmt("%s not yet delivered at stop (not lost): the drain timed out after %s with deliveries "
                       "still arriving at %s",
                       n(s.messages_not_yet_delivered).c_str(), human::duration(r.drain_s).c_str(),
                       human::rate(r.delivery_rate_at_stop).c_str()));
    if (s.messages_duplicated_qos1 > 0 || s.messages_lost_qos0 > 0)
      row(out, "", fmt("%s duplicates (QoS 1 allowed), apart from duplicated; %s of lost at QoS 0 (allowed)",
                       n(s.messages_duplicated_qos1).c_str(), n(s.messages_lost_qos0).c_str()));
  }
  for (std::size_t i = 0; i < r.share_groups.size(); ++i)
    row(out, i == 0 ? "share groups" : "", share_group_line(r.share_groups[i]));
  // Per publish stream when there are several: each its own rate and books.
  if (r.streams.size() > 1) {
    for (std::size_t id = 0; id < r.streams.size(); ++id) {
      const auto c = [&](device::StreamCount k) { return n(s.stream_count(static_cast<std::uint32_t>(id), k)); };
      using K = device::StreamCount;
      const double req = id < r.stream_requested_rate.size() ? r.stream_requested_rate[id] : 0.0;
      row(out, id == 0 ? "streams" : "",
          r.streams[id] + fmt(": requested %s; %s sent, %s acked, %s failed; %s received, lost %s, duplicated %s, out of order %s",
              human::rate(req).c_str(), c(K::Sent).c_str(), c(K::Acked).c_str(), c(K::Failed).c_str(),
              c(K::Received).c_str(), c(K::Lost).c_str(), c(K::Duplicated).c_str(), c(K::OutOfOrder).c_str()));
    }
  }
  // Per scenario filter, what the SUBACKs granted against what was requested: a lower QoS
  // changes what delivery may do (QoS 0: at most once), a refusal means no subscription.
  std::string grants;
  for (std::size_t i = 0; i < s.suback_grants.size(); ++i) {
    if (s.suback_grants[i] == 0) continue;
    const auto g = device::suback_grant_of(i);
    if (!grants.empty()) grants += ", ";
    grants += fmt("filter %zu requested QoS %u: %s %s", g.filter, unsigned{g.requested},
                  g.granted == 3 ? "refused" : fmt("granted QoS %u", unsigned{g.granted}).c_str(),
                  n(s.suback_grants[i]).c_str());
  }
  if (!grants.empty()) row(out, "subscriptions", grants);
  for (std::size_t op = 0; op < device::kShadowOpCount; ++op)
    outcomes_row(out, op == 0 ? "shadow get" : "shadow update", &s.shadow_ops[op * device::kShadowOutcomeCount],
                 device::kShadowOutcomeCount, [](std::size_t k) { return device::to_string(static_cast<device::ShadowOutcome>(k)); });
  for (std::size_t op = 0; op < device::kJobOpCount; ++op)
    outcomes_row(out, op == 0 ? "job start-next" : "job update", &s.job_requests[op * device::kJobOutcomeCount],
                 device::kJobOutcomeCount, [](std::size_t k) { return device::to_string(static_cast<device::JobOutcome>(k)); });
  if (s.job_starts + s.job_notifications + s.job_foreign_responses > 0) {
    using device::JobEnd;
    row(out, "jobs",
        fmt("%s started: %s succeeded, %s failed, %s rejected, %s timed out, %s in progress; %s notify-next "
            "announcing one, %s version-mismatch retries, %s answers to other clients",
            n(s.job_starts).c_str(), n(s.job_ended(JobEnd::Succeeded)).c_str(), n(s.job_ended(JobEnd::Failed)).c_str(),
            n(s.job_ended(JobEnd::Rejected)).c_str(), n(s.job_ended(JobEnd::TimedOut)).c_str(),
            n(static_cast<std::uint64_t>(std::max<std::int64_t>(s.job_executions_in_progress, 0))).c_str(),
            n(s.job_notifications).c_str(), n(s.job_version_retries).c_str(), n(s.job_foreign_responses).c_str()));
  }
  if (s.aws_requests_acked + s.aws_requests_refused + s.aws_requests_unacked > 0)
    row(out, "aws requests",
        fmt("QoS 1 shadow/jobs/provisioning requests: %s PUBACKed, %s refused by PUBACK code, %s without PUBACK",
            n(s.aws_requests_acked).c_str(), n(s.aws_requests_refused).c_str(), n(s.aws_requests_unacked).c_str()));
  if (s.shadow_deltas_received + s.shadow_version_regressions + s.shadow_foreign_responses > 0)
    row(out, "shadow", fmt("%s deltas received, %s conflict retries, %s version regressions, %s answers to other clients",
                           n(s.shadow_deltas_received).c_str(), n(s.shadow_conflict_retries).c_str(),
                           n(s.shadow_version_regressions).c_str(), n(s.shadow_foreign_responses).c_str()));
  provisioning_rows(out, s);
  if (s.subscribers_unsubscribed > 0 || s.messages_not_subscribed > 0)
    row(out, "not subscribed",
        fmt("%s subscribers never subscribed (filters refused, SUBACK never came, or never connected); "
            "%s messages owed only to filters never granted: not counted lost",
            n(s.subscribers_unsubscribed).c_str(), n(s.messages_not_subscribed).c_str()));
  // Anomalies a healthy broker never causes: one line each, only those that happened.
  const auto anomalies = anomalies_of(s);
  for (std::size_t i = 0; i < anomalies.size(); ++i) {
    const auto& a = anomalies[i];
    row(out, i == 0 ? "anomalies" : "",
        fmt("%s %s: %s", n(a.count).c_str(), std::string(a.counter).c_str(), std::string(a.label).c_str()));
  }
  if (s.pings_sent > 0 || s.ping_timeouts > 0) {
    row(out, "keepalive", fmt("%s PINGREQs, %s answered, %s ping timeouts", n(s.pings_sent).c_str(),
                              n(s.pings_answered).c_str(), n(s.ping_timeouts).c_str()));
  }

  out += fmt("\n  %-18s %10s %10s %10s %10s %10s %10s\n", "latency", "count", "p50", "p90", "p99", "p99.9", "max");
#define FLEETLOAD_X(name, help) latency_row(out, #name, s.name);
  FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X

  if (!r.phases.empty()) {
    out += fmt("\n  %-18s %10s %10s %10s %10s %10s %8s\n", "phase", "from", "to", "pub req", "pub got",
               "connects", "drops");
    for (const auto& p : r.phases) {
      out += fmt("  %-18s", p.name.c_str()) + " " + pad(human::duration(p.start_s), 10) + " " +
             pad(human::duration(p.end_s), 10) + " " + pad(human::rate(p.publish_rate.requested), 10) + " " +
             pad(human::rate(p.publish_rate.achieved), 10) + " " + pad(n(p.stats.connects_ok), 10) + " " +
             pad(n(p.stats.drops), 8) + "\n";
    }
  }

  // Per group, when the scenario has groups (one implicit group would repeat the totals).
  if (r.groups.size() > 1) {
    out += fmt("\n  %-18s %9s %9s %8s %7s %10s %10s %8s %8s %6s %9s %9s\n", "group", "devices", "connects", "failed",
               "drops", "pub req", "pub got", "books", "lost", "dups", "p99 ack", "p99 e2e");
    for (const auto& g : r.groups) {
      const auto& gs = g.stats;
      bool balanced = true;
      for (const auto& b : g.books) balanced = balanced && b.balanced;
      auto p99 = [](const device::HistogramSnapshot& h) {
        return h.count == 0 ? std::string("-") : human::duration_ms(percentiles_of(h).p99_ms);
      };
      out += fmt("  %-18s", g.name.c_str()) + " " + pad(n(g.devices), 9) + " " + pad(n(gs.connects_ok), 9) + " " +
             pad(n(gs.connect_failures), 8) + " " + pad(n(gs.drops), 7) + " " +
             pad(human::rate(g.publish_rate.requested), 10) + " " + pad(human::rate(g.publish_rate.achieved), 10) +
             " " + pad(g.books.empty() ? "-" : balanced ? "balanced" : "NOT BAL", 8) + " " +
             pad(n(gs.messages_lost), 8) + " " + pad(n(gs.messages_duplicated), 6) + " " +
             pad(p99(gs.ack_latency), 9) + " " + pad(p99(gs.e2e_latency), 9) + "\n";
    }
  }

  const auto& c = r.cost;
  out += '\n';
  row(out, "fleetload cost",
      fmt("CPU %s (user %s, system %s), %s CPU per 100k messages, peak RSS %s (%s per device)",
          human::duration(c.cpu_user_s + c.cpu_system_s).c_str(), human::duration(c.cpu_user_s).c_str(),
          human::duration(c.cpu_system_s).c_str(), human::duration(c.cpu_s_per_100k_messages).c_str(),
          human::bytes(static_cast<double>(c.peak_rss_bytes)).c_str(), human::bytes(c.peak_rss_per_device_bytes).c_str()));

  bool group_thresholds = false;
  for (const auto& g : r.groups) group_thresholds = group_thresholds || !g.thresholds.empty();
  if (!r.thresholds.empty() || group_thresholds) {
    out += "\n  thresholds\n";
    auto line = [&](const ThresholdResult& t, const std::string& metric) {
      const char* result = t.verdict() == Verdict::Pass ? "pass" : t.verdict() == Verdict::Fail ? "FAIL" : "inconclusive";
      out += fmt("    %-12s  %-24s %-14s %s\n", result, metric.c_str(), t.text.c_str(), measured_text(t).c_str());
    };
    for (const auto& t : r.thresholds) line(t, t.metric);
    for (const auto& g : r.groups)
      for (const auto& t : g.thresholds) line(t, g.name + ": " + t.metric);
  }
  if (r.search) out += search_text(*r.search);
  VerdictResult v{r.verdict, r.verdict_reasons};
  out += "\n  verdict: " + v.headline() + "\n";
  return out;
}

}  // namespace fleetload::metrics
