// From engine::RunResult and the scenario to the report model the writers share.
#include "cli/report_builder.hpp"

#include <algorithm>
#include <ctime>

#include "device/fleet_plan.hpp"
#include "engine/limits.hpp"
#include "engine/run_id.hpp"

namespace fleetload::cli {

const char* fleetload_version() noexcept { return FLEETLOAD_VERSION; }

std::string utc_now_iso8601() { return utc_iso8601(std::chrono::system_clock::now()); }

std::string utc_iso8601(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

metrics::RunReport build_run_report(const engine::RunResult& res, const scenario::Scenario& s,
                                    const std::string& started_at_utc) {
  metrics::RunReport r;
  r.fleetload_version = fleetload_version();
  r.scenario_name = s.name;
  r.scenario_source = s.source;
  r.scenario_yaml = scenario::to_yaml(s, /*mask_secrets=*/true);
  r.started_at_utc = started_at_utc;
  if (res.started_at.time_since_epoch().count() > 0)
    r.started_at_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(res.started_at.time_since_epoch()).count();
  r.protocol = s.target.protocol;
  r.shard_k = s.fleet.shard.k;
  r.shard_n = s.fleet.shard.n;

  r.exit_reason = engine::to_string(res.exit_reason);
  r.failure = res.failure;
  r.devices = res.devices;
  r.threads = res.threads;
  r.run_id = engine::run_id_text(res.run_id);
  r.run_id_source = res.run_id_source;
  r.drain_s = res.drain.count();
  r.drain_timed_out = res.drain_timed_out;
  r.delivery_rate_at_stop = res.delivery_rate_at_stop;
  r.peak_connected = res.peak_connected;
  // The engine stops every device at the end (the final gauge reads 0) and keeps sampling
  // while it stops; the fleet as it stood is the last sample taken before the stop, which
  // is when the last phase closed.
  const double stop_s = res.phases.empty() ? res.wall.count() : res.phases.back().end.count();
  for (const auto& x : res.series) {
    if (x.t.count() > stop_s) break;
    r.connected_at_end = static_cast<std::int64_t>(x.connected);
  }
  if (res.time_to_all_connected) r.time_to_all_connected_s = res.time_to_all_connected->count();

  r.stats = res.stats;
  for (const auto& p : res.phases) {
    metrics::PhaseReport pr;
    pr.name = p.name;
    pr.type = p.type;
    pr.start_s = p.start.count();
    pr.end_s = p.end.count();
    pr.publish_rate = metrics::rate_figure(p.requested_publish_rate, p.achieved_publish_rate);
    pr.stats = p.stats;
    r.phases.push_back(std::move(pr));
  }
  for (const auto& x : res.series) {
    metrics::SeriesPoint p;
    p.t_s = x.t.count();
    p.connected = x.connected;
    p.connects_per_s = x.connects_per_s;
    p.publishes_per_s = x.publishes_per_s;
    p.receives_per_s = x.receives_per_s;
    p.errors = x.errors;
    p.local_limit_errors = x.local_limit_errors;
    p.connect_failures_per_s = x.connect_failures_per_s;
    p.drops_per_s = x.drops_per_s;
    p.reconnects_per_s = x.reconnects_per_s;
    p.backing_off = x.backing_off;
    p.bytes_sent_per_s = x.bytes_sent_per_s;
    p.bytes_received_per_s = x.bytes_received_per_s;
    p.in_flight = x.in_flight;
    p.publishes_requested_per_s = x.publishes_requested_per_s;
    p.cpu_cores = x.cpu_cores;
    p.rss_bytes = x.rss_bytes;
    p.ack_latency = x.ack_latency;
    p.e2e_latency = x.e2e_latency;
    p.connect_duration = x.connect_duration;
    r.series.push_back(std::move(p));
  }
  {
    // The backoff as the devices resolved it (jitter "default" is the SDK's full jitter).
    const auto& b = device::FleetPlan(s).backoff;
    r.reconnect = {true, static_cast<double>(b.min_ms) / 1e3, static_cast<double>(b.max_ms) / 1e3,
                   device::to_string(b.mode), static_cast<double>(b.reset_after_ms) / 1e3};
  }
  r.publish_rate = metrics::rate_figure(res.requested_publish_rate, res.achieved_publish_rate);
  r.streams = res.streams;
  r.stream_requested_rate = res.stream_requested_rate;
  r.publisher_spans = res.publisher_spans;
  r.foreign_books = res.foreign_books;
  r.share_groups = res.share_groups;
  r.books = metrics::message_books(res.stats);
  r.local_limit_errors = res.local_limit_errors;
  r.local_errors = res.local_errors;
  r.broker_errors = res.broker_errors;
  for (const auto& c : res.connect_failures) r.connect_failures.push_back({c.result, c.reason, c.count, c.endpoint});
  r.tls_identity_error = res.tls_identity_error;
  r.websocket_error = res.ws_error;

  r.tls.handshakes = res.tls_handshakes;
  r.tls.resumed = res.tls_resumed;
  const std::uint64_t full = res.tls_handshakes - res.tls_resumed;
  if (full > 0) r.tls.full_cpu_ms = static_cast<double>(res.tls_full_cpu_ns) / 1e6 / static_cast<double>(full);
  if (res.tls_resumed > 0)
    r.tls.resumed_cpu_ms = static_cast<double>(res.tls_resumed_cpu_ns) / 1e6 / static_cast<double>(res.tls_resumed);

  auto& c = r.cost;
  c.wall_s = res.wall.count();
  c.cpu_user_s = res.cpu_user.count();
  c.cpu_system_s = res.cpu_system.count();
  const auto& st = res.stats;
  c.messages = st.publishes_sent[0] + st.publishes_sent[1] + st.publishes_sent[2] + st.messages_received;
  if (c.messages > 0) c.cpu_s_per_100k_messages = (c.cpu_user_s + c.cpu_system_s) * 100000.0 / static_cast<double>(c.messages);
  c.peak_rss_bytes = res.peak_rss_bytes;
  if (res.devices > 0) c.peak_rss_per_device_bytes = static_cast<double>(res.peak_rss_bytes) / static_cast<double>(res.devices);
  c.rss_before_devices = res.rss_before_devices;
  c.rss_all_connected = res.rss_all_connected;
  if (res.devices > 0 && res.rss_all_connected > res.rss_before_devices) {
    c.rss_per_connected_device_bytes =
        static_cast<double>(res.rss_all_connected - res.rss_before_devices) / static_cast<double>(res.devices);
  }

  // Per group: the engine's figures, the run's phases with the group's part, its thresholds.
  const auto groups = scenario::group_scenarios(s);
  for (std::size_t gi = 0; gi < res.groups.size(); ++gi) {
    const auto& g = res.groups[gi];
    metrics::GroupReport gr;
    gr.name = g.name;
    gr.fleet_devices = g.fleet_devices;
    gr.devices = g.devices;
    gr.stats = g.stats;
    gr.publish_rate = metrics::rate_figure(g.requested_publish_rate, g.achieved_publish_rate);
    gr.books = metrics::message_books(g.stats);
    for (const auto& p : res.phases) {
      if (gi >= p.groups.size()) continue;
      metrics::PhaseReport pr;
      pr.name = p.name;
      pr.type = p.type;
      pr.start_s = p.start.count();
      pr.end_s = p.end.count();
      pr.publish_rate = metrics::rate_figure(p.groups[gi].requested_publish_rate, p.groups[gi].achieved_publish_rate);
      pr.stats = p.groups[gi].stats;
      gr.phases.push_back(std::move(pr));
    }
    if (gi < groups.size()) metrics::evaluate_group_thresholds(groups[gi].thresholds, gr);
    r.groups.push_back(std::move(gr));
  }
  r.search = res.search;  // its answer is the verdict (decide_report_verdict)
  metrics::evaluate_thresholds(s.thresholds, r);
  // The process's peak read again now that the report is built: the engine read it after
  // the drain; building the report (series, phases, groups) may have taken more.
  r.cost.peak_rss_bytes = std::max(r.cost.peak_rss_bytes, engine::peak_rss_bytes());
  if (res.devices > 0)
    r.cost.peak_rss_per_device_bytes = static_cast<double>(r.cost.peak_rss_bytes) / static_cast<double>(res.devices);
  return r;
}

}  // namespace fleetload::cli
