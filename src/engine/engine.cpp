// Engine: builds the workers, drives phases and progress from a control io_context on the
// caller's thread, handles stop requests and signals, and assembles the RunResult.
#include "engine/engine.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "auth/credentials.hpp"
#include "auth/presentation.hpp"
#include "auth/tls_identity.hpp"
#include "device/fleet_plan.hpp"
#include "engine/limits.hpp"
#include "engine/pacing.hpp"
#include "engine/phases.hpp"
#include "engine/run_id.hpp"
#include "engine/search_run.hpp"
#include "engine/worker.hpp"
#include "engine/worker_thread.hpp"
#include "net/tcp_stream.hpp"

namespace fleetload::engine {

const char* to_string(ExitReason r) noexcept {
  switch (r) {
    case ExitReason::Completed: return "completed";
    case ExitReason::Interrupted: return "interrupted";
    case ExitReason::RuntimeFailure: return "runtime_failure";
  }
  return "unknown";
}

namespace {

FleetShape shape_of(const scenario::Scenario& s, unsigned threads = 1) {
  FleetShape f;
  f.threads = threads;
  f.fleet_devices = s.fleet.devices;
  f.shard_count = std::max<std::uint32_t>(1, s.fleet.shard.n);
  f.devices = pacing::shard_devices(s.fleet.devices, s.fleet.shard.k, f.shard_count);
  f.source_addresses = s.fleet.source_addresses.size();
  f.endpoints = std::max<std::size_t>(1, s.target.endpoints.size());
  return f;
}

std::uint64_t errors_of(const device::StatsSnapshot& s, device::DropReason r) {
  const auto i = static_cast<std::size_t>(r);
  return s.connect_failed_by_reason[i] + s.drops_by_reason[i];
}
std::uint64_t errors_local(const device::StatsSnapshot& s) { return errors_of(s, device::DropReason::LocalLimit); }
std::uint64_t errors_local_faults(const device::StatsSnapshot& s) {
  return errors_of(s, device::DropReason::LocalError);
}

std::uint64_t errors_broker(const device::StatsSnapshot& s) { return device::broker_caused_errors(s); }

std::uint64_t sum3(const std::array<std::uint64_t, 3>& a) { return a[0] + a[1] + a[2]; }

// User + system CPU time of the whole process so far, in seconds.
double process_cpu_seconds() {
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

Seconds secs(std::chrono::steady_clock::duration d) { return std::chrono::duration_cast<Seconds>(d); }

// "host:port" as configured ("[::1]:1883" for IPv6 literals): the endpoint label.
std::string endpoint_name(const scenario::Endpoint& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

}  // namespace

unsigned effective_threads(const scenario::Scenario& s, unsigned threads) noexcept {
  const std::uint64_t devices = shape_of(s).devices;
  const unsigned t = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  // Device groups share the threads (each group is split over them): they add none.
  return static_cast<unsigned>(std::clamp<std::uint64_t>(t, 1, std::max<std::uint64_t>(1, devices)));
}

std::vector<LimitProblem> preflight(const scenario::Scenario& s, unsigned threads) {
  return check_limits(shape_of(s, effective_threads(s, threads)), read_system_limits());
}

std::vector<std::string> preflight_warnings(const scenario::Scenario& s, unsigned threads) {
  return limit_warnings(shape_of(s, effective_threads(s, threads)), read_system_limits());
}

// One group of the fleet as it runs: its plan (shared by its devices), where its devices
// connect, how they present themselves, and the workers that own them (a worker is one
// slice of one group, so a device's group is its worker's and the group's figures are its
// workers'; the workers of several groups share each thread).
struct GroupRun {
  scenario::Scenario scenario;
  std::unique_ptr<device::FleetPlan> plan;
  std::vector<net::tcp::endpoint> endpoints;
  std::vector<std::string> endpoint_names;  // "host:port" as configured, parallel to endpoints
  std::vector<bool> resolving;              // a lookup of endpoint i is in flight
  std::vector<boost::asio::ip::address> sources;
  std::uint64_t shard_devices = 0;
  double connect_rate = 0.0;  // this shard's devices of the group per second
  std::unique_ptr<auth::FleetPresentation> presentation;  // TLS and WebSocket modes only
  bool tls = false;
  bool websocket = false;
  std::unique_ptr<auth::CredentialsProvider> aws_credentials;  // SigV4 over WebSocket only
  std::vector<Worker*> workers;
  device::StatsSnapshot phase_begin;
  PublishScaleLog scale_log;  // a publish_rate search's steps, when it varies this group

  device::StatsSnapshot merged() const {
    device::StatsSnapshot m;
    for (const auto* w : workers) device::merge(m, device::snapshot(w->stats()));
    return m;
  }
  // Mean share of this group's publishers in the shard started over [a, b] seconds:
  // publishers are the group's lowest ordinals and start at ordinal / connect_rate, so
  // during the ramp only part of the requested rate is due.
  double started_share(double a, double b) const {
    const double p = static_cast<double>(plan->publishers_in_shard());
    if (!(connect_rate > 0.0) || p <= 0.0 || b <= a) return 1.0;
    const double T = p / connect_rate;  // when the last publisher starts
    auto integral = [T](double x) { return x < T ? x * x / (2 * T) : x - T / 2; };
    return (integral(b) - integral(a)) / (b - a);
  }
  // Publishes per second asked of this group in the shard over [a, b] seconds: its rate, times
  // the share of its publishers started, times the scale a publish_rate search set.
  double requested_between(double a, double b) const {
    return plan->shard_publish_rate() * scale_log.mean(a, b, [this](double x, double y) { return started_share(x, y); });
  }
};

// The shard's connect rate for group `g`: the first ramp phase's connect_rate paces the
// whole fleet, each group getting its share; without one, the group's fleet.connect_rate
// (its own, or its share of the top-level one: scenario parsing fills it).
// A group named by a ramp (`phases[].groups`) joins at that ramp instead: at its
// connect_rate shared by the named groups' sizes, or without one at the group's own.
double group_connect_rate(const scenario::Scenario& top, const scenario::Scenario& g) {
  const double n = std::max<std::uint32_t>(1, top.fleet.shard.n);
  for (const auto& p : top.phases) {
    if (p.type != scenario::PhaseType::Ramp ||
        std::find(p.groups.begin(), p.groups.end(), g.group) == p.groups.end())
      continue;
    if (!p.connect_rate) return g.fleet.connect_rate.per_second / n;
    std::uint64_t named = 0;
    for (const auto& o : top.groups)
      if (std::find(p.groups.begin(), p.groups.end(), o.group) != p.groups.end()) named += o.group_devices;
    const double share = named > 0 ? static_cast<double>(g.group_devices) / static_cast<double>(named) : 1.0;
    return p.connect_rate->per_second * share / n;
  }
  for (const auto& p : top.phases)
    if (p.type == scenario::PhaseType::Ramp && p.connect_rate && p.groups.empty()) {
      const double share = top.fleet.devices > 0 ? static_cast<double>(g.group_devices) /
                                                       static_cast<double>(top.fleet.devices)
                                                 : 1.0;
      return p.connect_rate->per_second * share / n;
    }
  return g.fleet.connect_rate.per_second / n;
}

// Connect failure causes of several groups as one list: same cause, same endpoint, summed.
void add_causes(std::vector<ConnectFailureCause>& into, std::vector<ConnectFailureCause> more) {
  for (auto& c : more) {
    auto it = std::find_if(into.begin(), into.end(), [&](const ConnectFailureCause& o) {
      return std::string_view(o.result) == c.result && std::string_view(o.reason) == c.reason && o.endpoint == c.endpoint;
    });
    if (it == into.end()) into.push_back(std::move(c));
    else it->count += c.count;
  }
}

std::vector<std::uint64_t> group_shard_devices(const scenario::Scenario& s) {
  std::vector<std::uint64_t> out;
  for (const auto& g : scenario::group_scenarios(s)) out.push_back(device::FleetPlan(g).devices_in_shard());
  return out;
}

struct Engine::Impl {
  scenario::Scenario scenario;
  RunOptions options;
  std::vector<GroupRun> groups;
  std::vector<const device::FleetPlan*> plans;  // every group's, in index order
  std::unique_ptr<device::SubscriptionClock> clock;  // with subscribers only
  std::unique_ptr<device::ShareBooks> shares;        // with $share filters only
  std::uint64_t shard_devices = 0;
  std::chrono::milliseconds duration{0};
  std::vector<PlannedPhase> phases;
  auth::TlsContextCache tls_contexts;

  boost::asio::io_context control{1};
  boost::asio::steady_timer progress_timer{control};
  boost::asio::steady_timer phase_timer{control};
  boost::asio::steady_timer grace_timer{control};
  boost::asio::steady_timer poll_timer{control};
  boost::asio::steady_timer dns_timer{control};
  net::tcp::resolver resolver{control};  // asio runs the lookups on a thread of its own
  std::vector<std::unique_ptr<WorkerThread>> threads;  // the OS threads' io_contexts and wheels (null: no devices)
  std::vector<std::unique_ptr<Worker>> owned;
  std::vector<Worker*> workers;  // all groups'

  RunResult result;
  TimePoint t0{};
  std::size_t phase_index = 0;
  device::StatsSnapshot phase_begin;
  device::StatsSnapshot last_progress;
  TimePoint last_progress_at{};
  std::uint32_t all_connected_workers = 0;
  std::uint32_t drained_workers = 0;
  std::uint32_t collected_workers = 0;
  TimePoint stop_began{};
  std::uint64_t last_received = 0;
  std::uint64_t last_received_bytes = 0;
  int quiet_polls = 0;
  // (when, messages received) at each drain poll of the last second: the delivery rate
  // still arriving when the drain gives up.
  std::vector<std::pair<TimePoint, std::uint64_t>> drain_window;
  std::vector<std::uint64_t> last_seq;  // by fleet index, filled at collect
  double last_cpu_s = 0.0;  // process CPU seconds at the previous sample
  bool stopping = false;
  bool finished = false;

  // Capacity search (phase type search): the phase running it, while it does.
  std::unique_ptr<SearchRun> search;
  std::size_t search_phase = 0;

  // RunOptions::start_at: run() waits for it; a stop request ends the wait.
  std::mutex start_mu;
  std::condition_variable start_cv;
  bool stop_asked = false;

  void wait_for_start() {
    if (!options.start_at) return;
    std::unique_lock lock(start_mu);
    start_cv.wait_until(lock, *options.start_at, [this] { return stop_asked; });
  }

  device::StatsSnapshot merged() const {
    device::StatsSnapshot m;
    for (const auto& w : workers) device::merge(m, device::snapshot(w->stats()));
    return m;
  }

  // Sharded runs: what report merge needs to settle the books across shards
  // (device/books_exchange.hpp): this shard's publisher streams, and its subscribers' books
  // of the others'.
  void exchange_books() {
    if (!clock || last_seq.empty()) return;
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      const auto& plan = *groups[gi].plan;
      for (std::uint64_t i = 0; i < plan.publishers_in_shard(); ++i) {
        const std::uint64_t index = plan.device_index(i);
        for (std::size_t st = 0; st < plan.streams.size(); ++st) {
          const std::uint64_t key = plan.stream_key(index, plan.streams[st].id);
          if (key >= last_seq.size() || last_seq[key] == 0) continue;
          const auto [first, last] = clock->send_span(plan.clock_slot(index, st));
          result.publisher_spans.push_back({key, last_seq[key], first, last});
        }
      }
      for (const auto* w : groups[gi].workers)
        for (auto f : w->foreign_books()) {
          f.group = static_cast<std::uint32_t>(gi);
          result.foreign_books.push_back(f);
        }
    }
  }

  // The share groups' books, once every worker stopped: judged only when this process has
  // every publisher and member (one shard) and the end-of-run sequence numbers were collected.
  // What no member received is booked like a subscriber's loss, in the run's and the
  // members' group's figures.
  void settle_shares(RunResult& r) const {
    if (!shares || plans.empty()) return;
    const bool judged = scenario.fleet.shard.n <= 1 && !last_seq.empty();
    r.share_groups = shares->settle(last_seq, *plans.front(), judged);
    for (auto& b : r.share_groups) {
      if (r.drain_timed_out) std::swap(b.lost, b.not_yet_delivered);
      const auto book = [&](device::StatsSnapshot& s) {
        s.messages_lost += b.lost;
        s.messages_not_yet_delivered += b.not_yet_delivered;
        if (b.nothing_delivered()) ++s.share_groups_empty;
        const auto kind = r.drain_timed_out ? device::StreamCount::NotYetDelivered : device::StreamCount::Lost;
        for (std::size_t sid = 0; sid < b.lost_by_stream.size(); ++sid)
          s.stream_counts[device::stream_index(static_cast<std::uint32_t>(sid), kind)] += b.lost_by_stream[sid];
      };
      book(r.stats);
      for (auto& g : r.groups)
        if (g.name == b.device_group) book(g.stats);
    }
  }

  void notify(std::uint32_t, WorkerEvent ev, TimePoint at) {
    boost::asio::post(control, [this, ev, at] {
      if (ev == WorkerEvent::AllConnected) {
        if (++all_connected_workers == workers.size() && !result.time_to_all_connected) {
          result.time_to_all_connected = secs(at - t0);
          result.rss_all_connected = current_rss_bytes();
        }
      } else if (ev == WorkerEvent::Collected) {
        if (++collected_workers == workers.size())
          for (auto& w : workers) w->post_stop(&last_seq, result.drain_timed_out);
      } else if (ev == WorkerEvent::Drained) {
        if (++drained_workers == workers.size()) finish();
      }
    });
  }

  void enter_phase(std::size_t i) {
    const TimePoint now = Clock::now();
    auto snap = merged();
    if (i > 0) close_phase(i - 1, now, snap);
    if (search && i == search_phase + 1) conclude_search("the run's duration ended the search");
    phase_index = i;
    phase_begin = std::move(snap);
    for (auto& g : groups) g.phase_begin = g.merged();
    if (i >= phases.size()) {
      begin_stop(ExitReason::Completed, "");
      return;
    }
    const auto& p = phases[i];
    // A phase naming groups acts on theirs; the other groups hold steady meanwhile.
    for (auto& g : groups) {
      const bool mine = p.acts_on(g.plan->group);
      for (auto* w : g.workers)
        w->post_phase(mine ? p.type : scenario::PhaseType::Steady, mine ? p.churn_share_per_second : 0.0);
    }
    // A search ends when its controller says so, at the latest at the phase's planned end
    // (max_steps x hold, or the run's duration).
    phase_timer.expires_at(t0 + p.end);
    phase_timer.async_wait([this, i](const net::error_code& ec) {
      if (!ec && !stopping) enter_phase(i + 1);
    });
    if (p.search) {
      std::vector<SearchGroup> sg;
      std::uint64_t varied = 0;
      for (auto& g : groups) {
        if (!p.search->group.empty() && g.plan->group != p.search->group) continue;  // holds steady
        sg.push_back({g.workers, g.shard_devices, g.connect_rate, g.plan.get(), &g.scale_log});
        varied += g.shard_devices;
      }
      search_phase = i;
      search = std::make_unique<SearchRun>(control, p.name, *p.search, scenario.thresholds, std::move(sg), varied, t0,
                                           t0 + p.start, [this] { return merged(); }, [this] { end_search(); });
      search->start();
    }
  }

  // The search's result into the RunResult, once; `why` when the controller had not ended it.
  void conclude_search(const std::string& why) {
    if (search && !result.search) result.search = search->conclude(why);
  }

  // The controller ended the search before its planned end: the phases after it move up.
  void end_search() {
    conclude_search("");
    const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    const auto early = phases[search_phase].end - at;
    if (early.count() > 0)
      for (std::size_t j = search_phase + 1; j < phases.size(); ++j) {
        phases[j].start -= early;
        phases[j].end -= early;
      }
    phase_timer.cancel();
    enter_phase(search_phase + 1);
  }

  void close_phase(std::size_t i, TimePoint now, const device::StatsSnapshot& snap) {
    if (i >= phases.size()) return;
    PhaseResult r;
    r.name = phases[i].name;
    r.type = phases[i].type;
    r.start = secs(phases[i].start);
    r.end = secs(now - t0);
    r.stats = device::delta(snap, phase_begin);
    const double len = (r.end - r.start).count();
    r.requested_publish_rate = requested_between(r.start.count(), r.end.count());
    r.achieved_publish_rate = len > 0 ? static_cast<double>(sum3(r.stats.publishes_sent)) / len : 0.0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      GroupPhaseResult gp;
      gp.stats = device::delta(groups[g].merged(), groups[g].phase_begin);
      gp.requested_publish_rate = groups[g].requested_between(r.start.count(), r.end.count());
      gp.achieved_publish_rate = len > 0 ? static_cast<double>(sum3(gp.stats.publishes_sent)) / len : 0.0;
      r.groups.push_back(std::move(gp));
    }
    result.phases.push_back(std::move(r));
  }

  // Publishes per second the plan asks of this shard over [a, b] seconds: every group's
  // (GroupRun::requested_between).
  double requested_between(double a, double b) const {
    double r = 0.0;
    for (const auto& g : groups) r += g.requested_between(a, b);
    return r;
  }

  std::vector<ConnectFailureCause> causes() const {
    std::vector<ConnectFailureCause> out;
    for (const auto& g : groups)
      add_causes(out, connect_failure_causes(g.workers, g.merged(), g.scenario.target.protocol, g.endpoint_names));
    return out;
  }

  // target.dns_refresh: each named endpoint is looked up again, in the background; the
  // workers get the new address, or the failure (their attempts then fail as dns_failed
  // until a later lookup succeeds).
  void arm_dns_refresh() {
    auto every = std::chrono::milliseconds(0);
    for (const auto& g : groups)
      if (g.scenario.target.dns_refresh.count() > 0 && (every.count() == 0 || g.scenario.target.dns_refresh < every))
        every = g.scenario.target.dns_refresh;
    if (every.count() <= 0 || finished) return;
    dns_timer.expires_after(every);
    dns_timer.async_wait([this](const net::error_code& ec) {
      if (ec || finished) return;
      refresh_endpoints();
      arm_dns_refresh();
    });
  }

  void refresh_endpoints() {
    for (auto& g : groups) {
      const auto& eps = g.scenario.target.endpoints;
      for (std::size_t i = 0; i < eps.size(); ++i) {
        if (g.resolving[i] || net::is_ip_literal(eps[i].host)) continue;
        g.resolving[i] = true;
        resolver.async_resolve(eps[i].host, std::to_string(eps[i].port),
                               [this, &g, i](const net::error_code& ec, const net::tcp::resolver::results_type& res) {
                                 g.resolving[i] = false;
                                 if (finished || ec == boost::asio::error::operation_aborted) return;
                                 net::error_code why = ec;
                                 if (!why && res.empty()) why = boost::asio::error::host_not_found;
                                 const auto failure = net::resolve_failure_of(why);
                                 const net::tcp::endpoint addr = why ? g.endpoints[i] : res.begin()->endpoint();
                                 if (!why) g.endpoints[i] = addr;
                                 for (auto* w : g.workers) w->post_endpoint(i, addr, failure);
                               });
      }
    }
  }

  void on_progress() {
    if (finished) return;
    const TimePoint now = Clock::now();
    auto total = merged();
    auto d = device::delta(total, last_progress);
    const double dt = std::max(1e-9, std::chrono::duration<double>(now - last_progress_at).count());
    Sample s;
    s.t = secs(now - t0);
    s.connected = static_cast<std::uint64_t>(std::max<std::int64_t>(0, total.connected));
    s.connects_per_s = static_cast<double>(d.connects_ok) / dt;
    s.publishes_per_s = static_cast<double>(sum3(d.publishes_sent)) / dt;
    s.receives_per_s = static_cast<double>(d.messages_received) / dt;
    s.local_limit_errors = errors_local(d);
    s.errors = s.local_limit_errors + errors_broker(d);
    s.connect_failures_per_s = static_cast<double>(d.connect_failures) / dt;
    s.drops_per_s = static_cast<double>(d.drops) / dt;
    s.reconnects_per_s = static_cast<double>(d.reconnects) / dt;
    s.backing_off = static_cast<std::uint64_t>(std::max<std::int64_t>(0, total.backing_off));
    s.bytes_sent_per_s = static_cast<double>(d.bytes_sent) / dt;
    s.bytes_received_per_s = static_cast<double>(d.bytes_received) / dt;
    s.in_flight = static_cast<std::uint64_t>(std::max<std::int64_t>(0, total.in_flight));
    // Publishing is due in every phase until the stop (so only for the window's part before
    // it); during the ramp only the publishers started so far (the phase figures' share).
    const double from_s = secs(last_progress_at - t0).count();
    const double to_s = secs((stopping ? std::min(now, stop_began) : now) - t0).count();
    if (to_s > from_s)
      s.publishes_requested_per_s =
          requested_between(from_s, to_s) * (to_s - from_s) / dt;
    const double cpu = process_cpu_seconds();
    s.cpu_cores = std::max(0.0, cpu - last_cpu_s) / dt;
    last_cpu_s = cpu;
    s.rss_bytes = current_rss_bytes();
    s.ack_latency = metrics::SparseHistogram::of(d.ack_latency);
    s.e2e_latency = metrics::SparseHistogram::of(d.e2e_latency);
    s.connect_duration = metrics::SparseHistogram::of(d.connect_duration);
    result.series.push_back(s);
    result.peak_connected = std::max(result.peak_connected, s.connected);
    if (options.on_progress) {
      const std::string_view name = phase_index < phases.size() ? std::string_view(phases[phase_index].name)
                                                                : std::string_view("stopping");
      Progress p{secs(now - t0), stopping ? std::string_view("stopping") : name, s.connected, shard_devices,
                 total, d, Seconds(dt), errors_local(total), errors_local_faults(total), errors_broker(total),
                 causes(), {},
                 search ? search->step_value() : std::nullopt, search ? search->step_passed() : std::nullopt};
      p.groups.reserve(groups.size());
      for (const auto& g : groups)
        p.groups.push_back({g.plan->group, g.scenario.target.protocol == mqtt::Version::V5 ? "mqtt5" : "mqtt311",
                            scenario::to_string(g.scenario.auth.mode), g.shard_devices, g.merged()});
      options.on_progress(p);
    }
    last_progress = std::move(total);
    last_progress_at = now;
    progress_timer.expires_at(now + scenario.run.progress_interval);
    progress_timer.async_wait([this](const net::error_code& ec) { if (!ec) on_progress(); });
  }

  void begin_stop(ExitReason why, std::string text) {
    if (finished) return;
    if (stopping) {  // second request: at once
      abort_now();
      return;
    }
    stopping = true;
    if (result.exit_reason == ExitReason::Completed) {
      result.exit_reason = why;
      result.failure = std::move(text);
    }
    conclude_search("the run was stopped before the search ended");
    phase_timer.cancel();
    stop_began = Clock::now();
    if (phase_index < phases.size()) {
      close_phase(phase_index, stop_began, merged());
      phase_index = phases.size();
    }
    for (auto& w : workers) w->post_quiesce();
    // The grace for closing sockets comes after the longest drain.
    grace_timer.expires_after(options.shutdown_grace + scenario.run.drain_timeout);
    grace_timer.async_wait([this](const net::error_code& ec) { if (!ec) abort_now(); });
    poll_quiet();
  }

  // The end-of-run drain. Waits for in-flight QoS 1/2 acks and queued publishes to reach
  // zero and, with subscribers, for deliveries to stop arriving — by messages and by bytes,
  // so a large message still in transfer keeps it waiting. Bounds: half the shutdown grace
  // while only acks are outstanding (a broker that never acks is not waited for), and
  // run.drain_timeout while deliveries still arrive. Then collects sequence numbers so
  // subscribers can count loss (or, when deliveries were still arriving at the timeout,
  // what was not yet delivered), then stops every session.
  void poll_quiet() {
    if (finished) return;
    const TimePoint now = Clock::now();
    std::int64_t pending = 0;
    std::uint64_t received = 0, bytes = 0;
    for (const auto& w : workers) {
      pending += w->stats().in_flight.load() + w->stats().offline_queued.load() + w->stats().shadow_in_flight.load() +
                 w->stats().job_requests_in_flight.load();
      received += w->stats().messages_received.load();
      bytes += w->stats().bytes_received.load();
    }
    const bool subscribers = std::any_of(groups.begin(), groups.end(), [](const GroupRun& g) {
      return g.plan->subscribers > 0;
    });
    const bool arriving = subscribers && (received != last_received || bytes != last_received_bytes);
    last_received = received;
    last_received_bytes = bytes;
    drain_window.emplace_back(now, received);
    while (drain_window.size() > 2 && now - drain_window[1].first >= std::chrono::seconds(1))
      drain_window.erase(drain_window.begin());
    const auto waited = now - stop_began;
    const bool settled = pending <= 0 && !arriving;
    if (!settled) quiet_polls = 0;  // quiet twice in a row, not twice in all
    const bool timed_out = waited >= scenario.run.drain_timeout;
    if ((settled && quiet_polls++ > 0) || (!arriving && waited > options.shutdown_grace / 2) || timed_out) {
      result.drain = secs(waited);
      result.drain_timed_out = timed_out && arriving;
      if (result.drain_timed_out && drain_window.size() > 1) {
        const double dt = std::chrono::duration<double>(now - drain_window.front().first).count();
        if (dt > 0.0) result.delivery_rate_at_stop = static_cast<double>(received - drain_window.front().second) / dt;
      }
      last_seq.assign(scenario.fleet.devices * std::max<std::size_t>(1, result.streams.size()), 0);
      for (auto& w : workers) w->post_collect(&last_seq);
      return;
    }
    poll_timer.expires_after(std::chrono::milliseconds(100));
    poll_timer.async_wait([this](const net::error_code& ec) { if (!ec) poll_quiet(); });
  }

  void abort_now() {
    if (finished) return;
    if (!stopping) {
      stopping = true;
      conclude_search("the run was stopped before the search ended");
      const TimePoint now = Clock::now();
      if (phase_index < phases.size()) close_phase(phase_index, now, merged());
      phase_index = phases.size();
    }
    finish();
  }

  void finish() {
    if (finished) return;
    finished = true;
    phase_timer.cancel();
    if (search) search->conclude("");
    grace_timer.cancel();
    poll_timer.cancel();
    progress_timer.cancel();
    dns_timer.cancel();
    resolver.cancel();
    for (auto& w : workers) w->post_shutdown();
    control.stop();
  }
};

Engine::Engine(const scenario::Scenario& s, RunOptions options) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.scenario = s;
  m.options = std::move(options);
  const auto shape = shape_of(s);
  m.shard_devices = shape.devices;
  if (m.shard_devices > UINT32_MAX) throw std::runtime_error("too many devices for one process");
  m.duration = m.options.duration ? *m.options.duration : s.run.duration;
  m.phases = plan_phases(s.phases, m.duration, m.shard_devices, shard_connect_rate(s));
  auto specs = scenario::group_scenarios(s);
  m.groups.reserve(specs.size());
  for (auto& gs : specs) {
    GroupRun& g = m.groups.emplace_back();
    g.scenario = std::move(gs);
    const auto& sc = g.scenario;
    if (sc.target.endpoints.empty()) throw std::runtime_error("scenario has no target endpoints");
    for (const auto& e : sc.target.endpoints) {
      g.endpoint_names.push_back(endpoint_name(e));
      // A name that does not resolve before the run is a configuration error (a typo, the
      // wrong network): refused, naming the endpoint, rather than a run of failed attempts.
      const net::Resolved r = net::resolve(e.host, e.port);
      if (r.failure != net::ConnectFailure::None)
        throw std::runtime_error("target endpoint \"" + g.endpoint_names.back() + "\" cannot be resolved: " +
                                 (r.failure == net::ConnectFailure::NameNotResolved
                                      ? "the name does not exist (name_not_resolved: "
                                      : "the lookup failed (resolution_failed: ") +
                                 r.why + ")");
      g.endpoints.push_back(r.endpoint);
    }
    g.resolving.assign(g.endpoints.size(), false);
    for (const auto& a : sc.fleet.source_addresses) g.sources.push_back(net::parse_address(a));
    g.plan = std::make_unique<device::FleetPlan>(sc);
    g.shard_devices = g.plan->devices_in_shard();
    g.connect_rate = group_connect_rate(s, sc);
    const auto mode = sc.auth.mode;
    g.tls = mode != scenario::AuthMode::PlainTcp && sc.auth.tls.enabled;
    g.websocket = scenario::is_websocket(mode);
    if (g.tls || g.websocket) g.presentation = std::make_unique<auth::FleetPresentation>(sc);
    // Resolved lazily, at the first connection attempt: a failure is counted per attempt.
    if (mode == scenario::AuthMode::WebsocketsWithDefaultAwsSigning)
      g.aws_credentials = std::make_unique<auth::CredentialsProvider>(sc.auth.credentials);
  }
  {
    std::vector<SearchGroup> sg;
    for (const auto& g : m.groups) sg.push_back({{}, g.shard_devices, g.connect_rate, g.plan.get()});
    check_search_runnable(s, sg);
  }
  // One run id for every group (and every shard of the run): payload headers carry it.
  const RunId id = choose_run_id(s);
  m.result.run_id = id.value;
  m.result.run_id_source = std::string(to_string(id.source));
  for (auto& g : m.groups) {
    g.plan->run_id = id.value;
    m.plans.push_back(g.plan.get());
  }
  // Subscribers expect the publishers of every group: each plan sees them all, and every
  // plan numbers the fleet's publish streams alike (the payload header's stream byte).
  m.result.streams = scenario::stream_names(s);
  for (auto& g : m.groups) {
    g.plan->fleet_groups = &m.plans;
    g.plan->set_fleet_streams(m.result.streams);
  }
  // With subscribers, one subscription clock for the run (what each subscriber was owed:
  // device/subscription_clock.hpp), a slot per publisher of this shard.
  if (std::any_of(m.groups.begin(), m.groups.end(), [](const GroupRun& g) { return g.plan->subscribers > 0; })) {
    std::uint64_t slots = 0;
    for (auto& g : m.groups) {
      g.plan->clock_slot_base = slots;
      slots += g.plan->clock_slots();
    }
    m.clock = std::make_unique<device::SubscriptionClock>(slots);
    for (auto& g : m.groups) g.plan->clock = m.clock.get();
  }
  if (std::any_of(m.groups.begin(), m.groups.end(), [](const GroupRun& g) { return g.plan->shared_filters != 0; })) {
    m.shares = std::make_unique<device::ShareBooks>();
    for (auto& g : m.groups) g.plan->share_books = m.shares.get();
  }
}

Engine::~Engine() = default;

void Engine::request_stop(bool immediate) noexcept {
  auto* m = impl_.get();
  {
    std::lock_guard lock(m->start_mu);
    m->stop_asked = true;
  }
  m->start_cv.notify_all();
  boost::asio::post(m->control, [m, immediate] {
    if (immediate) {
      if (m->result.exit_reason == ExitReason::Completed) m->result.exit_reason = ExitReason::Interrupted;
      m->abort_now();
    } else {
      m->begin_stop(ExitReason::Interrupted, "stop requested");
    }
  });
}

RunResult Engine::run() {
  auto& m = *impl_;
  RunResult& r = m.result;
  r.devices = m.shard_devices;
  const TimePoint wall_start = Clock::now();

  const unsigned threads = effective_threads(m.scenario, m.options.threads);
  if (auto problems = m.options.check_limits ? preflight(m.scenario, threads) : std::vector<LimitProblem>{};
      !problems.empty()) {
    r.exit_reason = ExitReason::RuntimeFailure;
    r.failure = "refusing to start:";
    for (const auto& p : problems) r.failure += "\n  " + p.format();
    return r;
  }

  r.threads = threads;
  for (const auto& g : m.groups) r.requested_publish_rate += g.plan->shard_publish_rate();
  r.stream_requested_rate.assign(r.streams.size(), 0.0);
  for (const auto& g : m.groups)
    for (const auto& st : g.plan->streams) r.stream_requested_rate[st.id] += g.plan->shard_publish_rate(st);

  // OpenSSL writes TLS records with plain send()/write() (no MSG_NOSIGNAL): a close frame or
  // close_notify to a peer that has just hung up must be an EPIPE, not a process-killing
  // SIGPIPE (as h2load and wrk do, process-wide).
  std::signal(SIGPIPE, SIG_IGN);
  r.rss_before_devices = current_rss_bytes();
  r.device_slot_bytes = Worker::device_slot_bytes();
  // Every group split over the threads (pacing.hpp): first the devices of each thread, so
  // its timer wheel has a slot for each, then the workers.
  std::vector<std::uint64_t> thread_devices(threads, 0);
  {
    std::uint64_t before = 0;
    for (const auto& g : m.groups) {
      const auto slices = pacing::group_slices(g.shard_devices, threads);
      for (std::uint32_t i = 0; i < slices; ++i)
        thread_devices[pacing::thread_of_slice(before, i, threads)] += pacing::worker_devices(g.shard_devices, i, slices);
      before += g.shard_devices;
    }
  }
  for (const auto d : thread_devices)  // none for a thread without devices (an empty shard)
    m.threads.push_back(d > 0 ? std::make_unique<WorkerThread>(d) : nullptr);
  std::uint32_t worker_no = 0;
  std::uint64_t before = 0;
  for (std::size_t gi = 0; gi < m.groups.size(); ++gi) {
    GroupRun& g = m.groups[gi];
    const auto slices = pacing::group_slices(g.shard_devices, threads);
    for (std::uint32_t i = 0; i < slices; ++i) {
      WorkerConfig cfg;
      cfg.thread = m.threads[pacing::thread_of_slice(before, i, threads)].get();
      cfg.index = i;
      cfg.workers = slices;
      cfg.shard_devices = g.shard_devices;
      cfg.shard = m.scenario.fleet.shard;
      if (cfg.shard.n == 0) cfg.shard.n = 1;
      cfg.plan = g.plan.get();
      cfg.endpoints = &g.endpoints;
      cfg.sources = &g.sources;
      cfg.connect_rate = g.connect_rate;
      cfg.connect_timeout = g.scenario.target.connect_timeout;
      cfg.presentation = g.tls ? g.presentation.get() : nullptr;
      cfg.websocket = g.websocket ? g.presentation.get() : nullptr;
      cfg.aws_credentials = g.aws_credentials.get();
      cfg.tls_contexts = &m.tls_contexts;
      cfg.targets = &g.scenario.target.endpoints;
      cfg.tls_resumption = g.scenario.auth.tls.session_resumption;
      cfg.rng_seed = 0x9E3779B97F4A7C15ull * (worker_no + 1) ^ (static_cast<std::uint64_t>(cfg.shard.k) << 32);
      const std::uint32_t id = worker_no++;
      m.owned.push_back(std::make_unique<Worker>(
          cfg, [&m, id](std::uint32_t, WorkerEvent ev, TimePoint at) { m.notify(id, ev, at); }));
      m.workers.push_back(m.owned.back().get());
      g.workers.push_back(m.owned.back().get());
    }
    before += g.shard_devices;
  }
  std::vector<std::thread> pool;
  pool.reserve(m.threads.size());
  for (auto& t : m.threads) {
    if (!t) continue;
    pool.emplace_back([&m, tp = t.get()] {
      try {
        tp->run();
      } catch (const std::exception& e) {
        std::string what = e.what();
        boost::asio::post(m.control, [&m, what] {
          m.result.exit_reason = ExitReason::RuntimeFailure;
          m.result.failure = "worker failed: " + what;
          m.abort_now();
        });
      }
    });
  }
  r.threads = static_cast<unsigned>(pool.size());  // the OS threads running devices

  std::optional<boost::asio::signal_set> signals;
  std::function<void()> wait_signal;
  if (m.options.handle_signals) {
    signals.emplace(m.control, SIGINT, SIGTERM);
    wait_signal = [&] {
      signals->async_wait([&](const net::error_code& ec, int sig) {
        if (ec) return;
        m.begin_stop(ExitReason::Interrupted, sig == SIGINT ? "SIGINT" : "SIGTERM");
        wait_signal();
      });
    };
    wait_signal();
  }

  // A stop asked for while waiting is handled as soon as the control loop runs: the run
  // then stops at its start, measuring nothing (its verdict says so).
  m.wait_for_start();
  m.t0 = Clock::now();
  r.started_at = std::chrono::system_clock::now();
  m.last_progress_at = m.t0;
  m.last_cpu_s = process_cpu_seconds();
  // Every group starts connecting at once, except those that join at a later ramp naming
  // them: their pacing starts at that ramp's start (a ramp cut off by the run's end never
  // comes, so they never connect).
  for (auto& g : m.groups) {
    TimePoint start = m.t0;
    const auto joins = std::find_if(m.phases.begin(), m.phases.end(), [&](const PlannedPhase& p) {
      return p.type == scenario::PhaseType::Ramp && !p.groups.empty() && p.acts_on(g.plan->group);
    });
    if (joins != m.phases.end()) start = m.t0 + joins->start;
    else if (std::any_of(m.scenario.phases.begin(), m.scenario.phases.end(), [&](const scenario::Phase& p) {
               return p.type == scenario::PhaseType::Ramp &&
                      std::find(p.groups.begin(), p.groups.end(), g.plan->group) != p.groups.end();
             }))
      start = m.t0 + m.duration + std::chrono::hours(24);
    for (auto* w : g.workers) w->post_start(start);
  }
  m.enter_phase(0);
  m.progress_timer.expires_at(m.t0 + m.scenario.run.progress_interval);
  m.progress_timer.async_wait([&m](const net::error_code& ec) { if (!ec) m.on_progress(); });
  m.arm_dns_refresh();

  m.control.run();
  for (auto& t : pool) t.join();
  if (signals) {
    net::error_code ignored;
    signals->cancel(ignored);
  }

  // Whole-run figures.
  r.stats = m.merged();
  r.local_limit_errors = errors_local(r.stats);
  r.local_errors = errors_local_faults(r.stats);
  r.broker_errors = errors_broker(r.stats);
  r.wall = secs(Clock::now() - wall_start);
  for (const auto& w : m.workers) {
    const auto& t = w->tls_stats();
    for (std::size_t i = 0; i < net::kTlsFailureCount; ++i) {
      r.tls_failures[i] += t.failures[i].load();
      r.tls_drops[i] += t.drops[i].load();
    }
    r.tls_handshakes += t.handshakes.load();
    r.tls_resumed += t.resumed.load();
    r.tls_full_cpu_ns += t.full_cpu_ns.load();
    r.tls_resumed_cpu_ns += t.resumed_cpu_ns.load();
    if (r.tls_identity_error.empty()) r.tls_identity_error = w->tls_identity_error();
    const auto& ws = w->ws_stats();
    for (std::size_t i = 0; i < net::kWsFailureCount; ++i) {
      r.ws_failures[i] += ws.failures[i].load();
      r.ws_drops[i] += ws.drops[i].load();
    }
    r.ws_upgrades += ws.upgrades.load();
    if (r.ws_error.empty()) r.ws_error = w->ws_error();
  }
  r.connect_failures = m.causes();
  for (const auto& g : m.groups) {
    GroupResult gr;
    gr.name = g.plan->group;
    gr.protocol = g.scenario.target.protocol == mqtt::Version::V5 ? "mqtt5" : "mqtt311";
    gr.auth_mode = scenario::to_string(g.scenario.auth.mode);
    gr.fleet_devices = g.plan->group_devices;
    gr.devices = g.shard_devices;
    gr.stats = g.merged();
    gr.requested_publish_rate = g.plan->shard_publish_rate();
    gr.connect_failures = connect_failure_causes(g.workers, gr.stats, g.scenario.target.protocol, g.endpoint_names);
    r.groups.push_back(std::move(gr));
  }
  // Achieved over the steady phases (the whole run without one), of the fleet (gi = npos) or
  // of group gi; after a publish_rate search, the rate asked over the same spans is what its
  // steps asked, not the scenario's base.
  const double run_len = secs(Clock::now() - m.t0).count();
  const bool scaled = std::any_of(m.groups.begin(), m.groups.end(), [](const GroupRun& g) { return !g.scale_log.empty(); });
  const auto steady_rates = [&](std::size_t gi, double base, std::uint64_t total_sent) {
    const auto asked = [&](double a, double b) {
      return gi == std::string::npos ? m.requested_between(a, b) : m.groups[gi].requested_between(a, b);
    };
    double len = 0.0, requested = 0.0;
    std::uint64_t sent = 0;
    for (const auto& p : r.phases) {
      if (p.type != scenario::PhaseType::Steady || (gi != std::string::npos && gi >= p.groups.size())) continue;
      const double l = (p.end - p.start).count();
      len += l;
      sent += sum3(gi == std::string::npos ? p.stats.publishes_sent : p.groups[gi].stats.publishes_sent);
      requested += asked(p.start.count(), p.end.count()) * l;
    }
    if (len <= 0.0) {
      len = run_len;
      sent = total_sent;
      requested = asked(0.0, run_len) * run_len;
    }
    const double achieved = len > 0 ? static_cast<double>(sent) / len : 0.0;
    return std::pair{scaled && len > 0 ? requested / len : base, achieved};
  };
  std::tie(r.requested_publish_rate, r.achieved_publish_rate) =
      steady_rates(std::string::npos, r.requested_publish_rate, sum3(r.stats.publishes_sent));
  if (scaled) std::fill(r.stream_requested_rate.begin(), r.stream_requested_rate.end(), 0.0);
  for (std::size_t gi = 0; gi < r.groups.size(); ++gi) {
    const double base = r.groups[gi].requested_publish_rate;
    std::tie(r.groups[gi].requested_publish_rate, r.groups[gi].achieved_publish_rate) =
        steady_rates(gi, base, sum3(r.groups[gi].stats.publishes_sent));
    // A group's streams are scaled alike: each asked its share of what the group was.
    if (scaled && base > 0.0)
      for (const auto& st : m.groups[gi].plan->streams)
        r.stream_requested_rate[st.id] += m.groups[gi].plan->shard_publish_rate(st) * r.groups[gi].requested_publish_rate / base;
  }
  r.publish_rate_error = r.requested_publish_rate > 0
                             ? (r.achieved_publish_rate - r.requested_publish_rate) / r.requested_publish_rate
                             : 0.0;
  if (m.scenario.fleet.shard.n > 1) m.exchange_books();
  m.settle_shares(r);
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    r.cpu_user = Seconds(static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6);
    r.cpu_system = Seconds(static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6);
  }
  // After the drain and the books: the peak of the whole run (the CLI reads it again once
  // its report is built).
  r.peak_rss_bytes = peak_rss_bytes();
  // The workers (and their devices) stay alive until the Engine is destroyed so the CLI
  // can still read them; the threads have ended.
  return r;
}

}  // namespace fleetload::engine
