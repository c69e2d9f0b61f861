// Shard reports -> one fleet report. Everything additive is summed; distributions are merged
// bucket by bucket and every derived figure (percentiles, books, rate errors, thresholds) is
// recomputed from the merged data.
#include "metrics/report_merge.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "metrics/report_share.hpp"
#include "metrics/search_merge.hpp"

namespace fleetload::metrics {

namespace {

// The resolved scenario without the "# shard K/N ..." comment the emitter adds per shard:
// what must be identical across the shards of one run.
std::string without_shard_comment(std::string yaml) {
  for (auto p = yaml.find("# shard "); p != std::string::npos; p = yaml.find("# shard ", p)) {
    auto end = yaml.find('\n', p);
    if (end == std::string::npos) end = yaml.size();
    auto begin = p;
    while (begin > 0 && yaml[begin - 1] == ' ') --begin;
    // A comment on its own line goes with its line break.
    if ((begin == 0 || yaml[begin - 1] == '\n') && end < yaml.size()) ++end;
    yaml.erase(begin, end - begin);
    p = begin;
  }
  return yaml;
}

// The first line where two texts differ, for the refusal message.
std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t pa = 0, pb = 0, line = 1;
  while (pa < a.size() || pb < b.size()) {
    const auto ea = std::min(a.find('\n', pa), a.size()), eb = std::min(b.find('\n', pb), b.size());
    const std::string la = a.substr(pa, ea - pa), lb = b.substr(pb, eb - pb);
    if (la != lb) return "line " + std::to_string(line) + ": \"" + la + "\" vs \"" + lb + "\"";
    pa = ea + 1;
    pb = eb + 1;
    ++line;
  }
  return "";
}

std::vector<std::uint32_t> shards_of(const RunReport& r) {
  if (!r.merged_shards.empty()) return r.merged_shards;
  return {r.shard_k};
}

void check_compatible(const std::vector<MergeInput>& in) {
  const auto& first = in.front();
  const std::string yaml0 = without_shard_comment(first.report.scenario_yaml);
  std::map<std::uint32_t, const std::string*> owner;
  for (const auto& x : in) {
    const auto& r = x.report;
    const std::string both = first.source + " and " + x.source;
    if (r.scenario_name != first.report.scenario_name)
      throw MergeError("cannot merge reports of different scenarios: " + first.source + " is \"" +
                       first.report.scenario_name + "\", " + x.source + " is \"" + r.scenario_name + "\"");
    if (r.protocol != first.report.protocol)
      throw MergeError("cannot merge reports of different scenarios: " + both + " use different MQTT versions");
    if (r.shard_n != first.report.shard_n)
      throw MergeError("cannot merge shards of different splits: " + first.source + " is one of " +
                       std::to_string(first.report.shard_n) + " shards, " + x.source + " one of " +
                       std::to_string(r.shard_n));
    if (const std::string yaml = without_shard_comment(r.scenario_yaml); yaml != yaml0)
      throw MergeError("cannot merge reports of different scenarios: the resolved scenarios of " + both +
                       " differ at " + first_difference(yaml0, yaml));
    // Shards of one run share its run id (payload headers carry it): reports of two runs of
    // the same scenario must not be added up as one fleet.
    if (r.run_id != first.report.run_id)
      throw MergeError("cannot merge reports of different runs: " + first.source + " has run id " +
                       (first.report.run_id.empty() ? "(none)" : first.report.run_id) + ", " + x.source + " has " +
                       (r.run_id.empty() ? "(none)" : r.run_id) + " (shards of one run share run.id)");
    for (auto k : shards_of(r)) {
      auto [it, fresh] = owner.emplace(k, &x.source);
      if (!fresh)
        throw MergeError("shard " + std::to_string(k) + "/" + std::to_string(r.shard_n) + " appears twice: in " +
                         *it->second + " and in " + x.source);
    }
  }
}

// Field-by-field series alignment: points of every shard are put in bins of one progress
// interval by their time since their shard's start.
struct Bin {
  double t_sum = 0;
  std::size_t t_n = 0;
  SeriesPoint sum;  // levels and rates summed over shards
};

// Per-second figures of a point: a shard's mean over its points in a bin, summed over
// shards (CPU included: the cores all shards kept busy).
constexpr double SeriesPoint::*kRates[] = {
    &SeriesPoint::connects_per_s,       &SeriesPoint::publishes_per_s,        &SeriesPoint::receives_per_s,
    &SeriesPoint::connect_failures_per_s, &SeriesPoint::drops_per_s,          &SeriesPoint::reconnects_per_s,
    &SeriesPoint::bytes_sent_per_s,     &SeriesPoint::bytes_received_per_s,   &SeriesPoint::publishes_requested_per_s,
    &SeriesPoint::cpu_cores};

struct ShardBin {  // one shard's points in one bin
  std::size_t n = 0;
  SeriesPoint acc;  // levels (connected, backing off, in flight, RSS) = the last; rates summed (divided by n later)
};

double interval_of(const std::vector<MergeInput>& in) {
  std::vector<double> d;
  for (const auto& x : in)
    for (std::size_t i = 1; i < x.report.series.size(); ++i) {
      const double step = x.report.series[i].t_s - x.report.series[i - 1].t_s;
      if (step > 0) d.push_back(step);
    }
  if (d.empty()) return 1.0;
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
  return d[d.size() / 2];
}

std::vector<SeriesPoint> merge_series(const std::vector<MergeInput>& in) {
  const double dt = interval_of(in);
  std::map<long long, Bin> bins;
  for (const auto& x : in) {
    std::map<long long, ShardBin> mine;
    for (const auto& p : x.report.series) {
      const long long b = std::llround(p.t_s / dt);
      auto& sb = mine[b];
      ++sb.n;
      sb.acc.connected = p.connected;
      sb.acc.backing_off = p.backing_off;
      sb.acc.in_flight = p.in_flight;
      sb.acc.rss_bytes = p.rss_bytes;
      for (auto f : kRates) sb.acc.*f += p.*f;
      sb.acc.errors += p.errors;
      sb.acc.local_limit_errors += p.local_limit_errors;
      sb.acc.ack_latency = merge_sparse(sb.acc.ack_latency, p.ack_latency);
      sb.acc.e2e_latency = merge_sparse(sb.acc.e2e_latency, p.e2e_latency);
      sb.acc.connect_duration = merge_sparse(sb.acc.connect_duration, p.connect_duration);
      auto& bin = bins[b];
      bin.t_sum += p.t_s;
      ++bin.t_n;
    }
    for (auto& [b, sb] : mine) {
      auto& s = bins[b].sum;
      const double n = static_cast<double>(sb.n);
      s.connected += sb.acc.connected;
      s.backing_off += sb.acc.backing_off;
      s.in_flight += sb.acc.in_flight;
      s.rss_bytes += sb.acc.rss_bytes;  // the fleet's load generators together
      for (auto f : kRates) s.*f += sb.acc.*f / n;
      s.errors += sb.acc.errors;
      s.local_limit_errors += sb.acc.local_limit_errors;
      s.ack_latency = merge_sparse(s.ack_latency, sb.acc.ack_latency);
      s.e2e_latency = merge_sparse(s.e2e_latency, sb.acc.e2e_latency);
      s.connect_duration = merge_sparse(s.connect_duration, sb.acc.connect_duration);
    }
  }
  std::vector<SeriesPoint> out;
  out.reserve(bins.size());
  for (auto& [b, bin] : bins) {
    bin.sum.t_s = bin.t_sum / static_cast<double>(bin.t_n);
    out.push_back(std::move(bin.sum));
  }
  return out;
}

// The phases of several reports (`of` gives each report's list), merged by name.
template <class Of>
std::vector<PhaseReport> merge_phase_lists(const std::vector<MergeInput>& in, Of&& of, std::vector<std::size_t>& seen_in) {
  std::vector<PhaseReport> out;
  for (const auto& x : in) {
    const std::vector<PhaseReport>* list = of(x.report);
    if (list == nullptr) continue;
    for (const auto& p : *list) {
      auto it = std::find_if(out.begin(), out.end(), [&](const PhaseReport& o) { return o.name == p.name; });
      if (it == out.end()) {
        out.push_back(p);
        seen_in.push_back(1);
        continue;
      }
      ++seen_in[static_cast<std::size_t>(it - out.begin())];
      it->start_s = std::min(it->start_s, p.start_s);
      it->end_s = std::max(it->end_s, p.end_s);
      it->publish_rate = rate_figure(it->publish_rate.requested + p.publish_rate.requested,
                                     it->publish_rate.achieved + p.publish_rate.achieved);
      device::merge(it->stats, p.stats);
    }
  }
  return out;
}

std::vector<PhaseReport> merge_phases(const std::vector<MergeInput>& in, std::vector<std::string>& warnings) {
  std::vector<std::size_t> seen_in;
  auto out = merge_phase_lists(in, [](const RunReport& r) { return &r.phases; }, seen_in);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (seen_in[i] != in.size())
      warnings.push_back("phase \"" + out[i].name + "\" ran in " + std::to_string(seen_in[i]) + " of " +
                         std::to_string(in.size()) + " reports (an interrupted shard?)");
  return out;
}

scenario::ThresholdOp op_of(const std::string& op, const std::string& where) {
  if (op == "<") return scenario::ThresholdOp::Lt;
  if (op == "<=") return scenario::ThresholdOp::Le;
  if (op == ">") return scenario::ThresholdOp::Gt;
  if (op == ">=") return scenario::ThresholdOp::Ge;
  if (op == "==") return scenario::ThresholdOp::Eq;
  throw MergeError(where + ": unknown threshold op \"" + op + "\"");
}

scenario::Threshold::Unit unit_of(const std::string& u, const std::string& where) {
  if (u == "count") return scenario::Threshold::Unit::Count;
  if (u == "ratio") return scenario::Threshold::Unit::Ratio;
  if (u == "seconds") return scenario::Threshold::Unit::Seconds;
  throw MergeError(where + ": unknown threshold unit \"" + u + "\"");
}

const char* worst_exit(const std::vector<MergeInput>& in) {
  const char* worst = "completed";
  for (const auto& x : in) {
    if (x.report.exit_reason == "runtime_failure") return "runtime_failure";
    if (x.report.exit_reason == "interrupted") worst = "interrupted";
  }
  return worst;
}

}  // namespace

SparseHistogram merge_sparse(const SparseHistogram& a, const SparseHistogram& b) {
  if (b.count == 0) return a;
  if (a.count == 0) return b;
  SparseHistogram m;
  m.buckets.reserve(a.buckets.size() + b.buckets.size());
  auto i = a.buckets.begin(), j = b.buckets.begin();
  while (i != a.buckets.end() || j != b.buckets.end()) {
    if (j == b.buckets.end() || (i != a.buckets.end() && i->first < j->first)) m.buckets.push_back(*i++);
    else if (i == a.buckets.end() || j->first < i->first) m.buckets.push_back(*j++);
    else {
      m.buckets.emplace_back(i->first, i->second + j->second);
      ++i;
      ++j;
    }
  }
  m.count = a.count + b.count;
  m.sum = a.sum + b.sum;
  m.min = std::min(a.min, b.min);
  m.max = std::max(a.max, b.max);
  return m;
}

std::vector<scenario::Threshold> thresholds_of(const std::vector<ThresholdResult>& results, const std::string& source,
                                               const std::string& base = "thresholds.results") {
  std::vector<scenario::Threshold> out;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& t = results[i];
    const std::string where = source + ": " + base + "[" + std::to_string(i) + "]";
    scenario::Threshold d;
    d.metric = t.metric;
    d.op = op_of(t.op, where);
    d.value = t.limit;
    d.unit = unit_of(t.unit, where);
    d.text = t.text;
    out.push_back(std::move(d));
  }
  return out;
}

MergeResult merge_reports(const std::vector<MergeInput>& in) {
  if (in.empty()) throw MergeError("no reports to merge");
  check_compatible(in);
  MergeResult res;
  RunReport& m = res.report;
  const RunReport& f = in.front().report;
  m.fleetload_version = f.fleetload_version;
  m.scenario_name = f.scenario_name;
  m.scenario_source = f.scenario_source;
  m.scenario_yaml = without_shard_comment(f.scenario_yaml);
  m.protocol = f.protocol;
  m.shard_n = f.shard_n;
  m.started_at_utc = f.started_at_utc;
  m.exit_reason = worst_exit(in);
  m.reconnect = f.reconnect;  // one scenario, one policy
  m.run_id = f.run_id;
  m.run_id_source = f.run_id_source;
  m.streams = f.streams;
  m.stream_requested_rate = f.stream_requested_rate;

  std::set<std::uint32_t> shards;
  double requested = 0, achieved = 0;
  bool all_connected = true;
  std::uint64_t peak_sum = 0;
  bool rss_all_known = true;
  auto& c = m.cost;
  double full_cpu_ms = 0, resumed_cpu_ms = 0;  // totals over the shards
  for (const auto& x : in) {
    const RunReport& r = x.report;
    if (r.fleetload_version != f.fleetload_version)
      res.warnings.push_back(x.source + " was written by fleetload " + r.fleetload_version + ", " + in.front().source +
                             " by " + f.fleetload_version);
    for (auto k : shards_of(r)) shards.insert(k);
    m.started_at_utc = std::min(m.started_at_utc, r.started_at_utc);  // ISO 8601 UTC sorts as text
    if (!r.failure.empty())
      m.failure += (m.failure.empty() ? "" : "; ") + x.source + ": " + r.failure;
    m.devices += r.devices;
    m.threads += r.threads;
    m.drain_s = std::max(m.drain_s, r.drain_s);
    m.drain_timed_out = m.drain_timed_out || r.drain_timed_out;
    m.delivery_rate_at_stop += r.delivery_rate_at_stop;
    peak_sum += r.peak_connected;
    m.connected_at_end += r.connected_at_end;
    // The fleet was all connected when the last shard was (times are per shard start).
    if (r.time_to_all_connected_s && all_connected)
      m.time_to_all_connected_s = std::max(m.time_to_all_connected_s.value_or(0.0), *r.time_to_all_connected_s);
    else
      all_connected = false;
    device::merge(m.stats, r.stats);
    // Every shard of one scenario numbers its streams alike.
    if (r.streams != f.streams)
      res.warnings.push_back(x.source + " has publish streams that differ from " + in.front().source + "'s");
    for (std::size_t i = 0; i < r.stream_requested_rate.size() && &x != &in.front(); ++i)
      if (i < m.stream_requested_rate.size()) m.stream_requested_rate[i] += r.stream_requested_rate[i];
    requested += r.publish_rate.requested;
    achieved += r.publish_rate.achieved;
    m.local_limit_errors += r.local_limit_errors;
    m.local_errors += r.local_errors;
    m.broker_errors += r.broker_errors;
    for (const auto& cause : r.connect_failures) {
      auto it = std::find_if(m.connect_failures.begin(), m.connect_failures.end(), [&](const ConnectFailureCause& c) {
        return c.result == cause.result && c.reason == cause.reason && c.endpoint == cause.endpoint;
      });
      if (it == m.connect_failures.end()) m.connect_failures.push_back(cause);
      else it->count += cause.count;
    }
    if (m.tls_identity_error.empty() && !r.tls_identity_error.empty())
      m.tls_identity_error = x.source + ": " + r.tls_identity_error;
    if (m.websocket_error.empty() && !r.websocket_error.empty()) m.websocket_error = x.source + ": " + r.websocket_error;
    m.tls.handshakes += r.tls.handshakes;
    m.tls.resumed += r.tls.resumed;
    full_cpu_ms += r.tls.full_cpu_ms * static_cast<double>(r.tls.handshakes - r.tls.resumed);
    resumed_cpu_ms += r.tls.resumed_cpu_ms * static_cast<double>(r.tls.resumed);
    c.wall_s = std::max(c.wall_s, r.cost.wall_s);
    c.cpu_user_s += r.cost.cpu_user_s;
    c.cpu_system_s += r.cost.cpu_system_s;
    c.messages += r.cost.messages;
    c.peak_rss_bytes += r.cost.peak_rss_bytes;
    c.rss_before_devices += r.cost.rss_before_devices;
    c.rss_all_connected += r.cost.rss_all_connected;
    rss_all_known = rss_all_known && r.cost.rss_all_connected > 0;
  }
  if (m.tls.handshakes > m.tls.resumed) m.tls.full_cpu_ms = full_cpu_ms / static_cast<double>(m.tls.handshakes - m.tls.resumed);
  if (m.tls.resumed > 0) m.tls.resumed_cpu_ms = resumed_cpu_ms / static_cast<double>(m.tls.resumed);
  if (!rss_all_known) c.rss_all_connected = 0;  // some shard never had all its devices up
  if (!all_connected) m.time_to_all_connected_s.reset();
  m.merged_shards.assign(shards.begin(), shards.end());
  m.shard_k = m.merged_shards.front();
  if (shards.size() < m.shard_n) {
    std::string missing;
    for (std::uint32_t k = 0; k < m.shard_n; ++k)
      if (!shards.count(k)) missing += (missing.empty() ? "" : ", ") + std::to_string(k);
    res.warnings.push_back("merged " + std::to_string(shards.size()) + " of " + std::to_string(m.shard_n) +
                           " shards; missing: " + missing);
  }

  // Books across shards: each subscriber's books of other shards' publishers, settled
  // against those publishers' spans (device/books_exchange.hpp), per subscriber group.
  std::vector<device::StatsSnapshot> settled(f.groups.size());
  {
    std::unordered_map<std::uint64_t, device::PublisherSpan> spans;
    for (const auto& x : in)
      for (const auto& p : x.report.publisher_spans) spans[p.key] = p;
    const std::uint64_t stride = std::max<std::size_t>(1, f.streams.size());
    for (const auto& x : in) {
      for (const auto& fb : x.report.foreign_books) {
        const auto it = spans.find(fb.key);
        if (it == spans.end()) {
          m.foreign_books.push_back(fb);  // its publisher's shard is not in this merge (yet)
          continue;
        }
        if (fb.group >= settled.size()) continue;
        const auto st = device::settle_foreign(fb, it->second);
        auto& d = settled[fb.group];
        d.messages_lost += st.lost;
        d.messages_unjudged += st.unjudged;
        d.stream_counts[device::stream_index(static_cast<std::uint32_t>(fb.key % stride), device::StreamCount::Lost)] +=
            st.lost;
      }
    }
    for (const auto& d : settled) device::merge(m.stats, d);
    for (auto& [k, p] : spans) m.publisher_spans.push_back(p);
    std::sort(m.publisher_spans.begin(), m.publisher_spans.end(),
              [](const device::PublisherSpan& a, const device::PublisherSpan& b) { return a.key < b.key; });
  }

  for (const auto& x : in) merge_share_groups(m.share_groups, x.report.share_groups);
  m.publish_rate = rate_figure(requested, achieved);
  m.books = message_books(m.stats);
  m.phases = merge_phases(in, res.warnings);
  m.series = merge_series(in);
  // Peak of the fleet: the highest merged sample (each shard's peak is its highest sample too).
  m.peak_connected = peak_sum;
  if (!m.series.empty()) {
    m.peak_connected = 0;
    for (const auto& p : m.series) m.peak_connected = std::max(m.peak_connected, p.connected);
  }

  if (c.messages > 0)
    c.cpu_s_per_100k_messages = (c.cpu_user_s + c.cpu_system_s) * 100000.0 / static_cast<double>(c.messages);
  if (m.devices > 0) {
    c.peak_rss_per_device_bytes = static_cast<double>(c.peak_rss_bytes) / static_cast<double>(m.devices);
    if (c.rss_all_connected > c.rss_before_devices)
      c.rss_per_connected_device_bytes =
          static_cast<double>(c.rss_all_connected - c.rss_before_devices) / static_cast<double>(m.devices);
  }

  // Per group, by name in the first report's order: each group's figures merged as the
  // fleet's are, its thresholds judged again on the merged figures.
  for (const auto& fg : f.groups) {
    GroupReport g;
    g.name = fg.name;
    g.fleet_devices = fg.fleet_devices;
    double req = 0, ach = 0;
    for (const auto& x : in) {
      for (const auto& xg : x.report.groups) {
        if (xg.name != fg.name) continue;
        g.devices += xg.devices;
        device::merge(g.stats, xg.stats);
        req += xg.publish_rate.requested;
        ach += xg.publish_rate.achieved;
      }
    }
    if (m.groups.size() < settled.size()) device::merge(g.stats, settled[m.groups.size()]);
    g.publish_rate = rate_figure(req, ach);
    g.books = message_books(g.stats);
    std::vector<std::size_t> seen;
    g.phases = merge_phase_lists(
        in,
        [&](const RunReport& r) -> const std::vector<PhaseReport>* {
          for (const auto& xg : r.groups)
            if (xg.name == fg.name) return &xg.phases;
          return nullptr;
        },
        seen);
    evaluate_group_thresholds(thresholds_of(fg.thresholds, in.front().source, "groups." + fg.name + ".thresholds"), g);
    m.groups.push_back(std::move(g));
  }
  const auto thresholds = thresholds_of(f.thresholds, in.front().source);
  m.started_at_unix_ms = f.started_at_unix_ms;
  for (const auto& x : in) m.started_at_unix_ms = std::min(m.started_at_unix_ms, x.report.started_at_unix_ms);
  // A sharded search's steps judged on the fleet's data; its answer is the verdict.
  m.search = merge_searches(in, thresholds, res.warnings);
  evaluate_thresholds(thresholds, m);
  return res;
}

}  // namespace fleetload::metrics
