// A capacity-search phase as it runs: step boundaries, windows, judging.
#include "engine/search_run.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "device/fleet_plan.hpp"

namespace fleetload::engine {
namespace {

// Connections a connect_rate step opens: its rate for its whole hold.
std::uint64_t step_connects(double rate, std::chrono::milliseconds hold) {
  return static_cast<std::uint64_t>(std::ceil(rate * static_cast<double>(hold.count()) / 1000.0));
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }


}  // namespace

void check_search_runnable(const scenario::Scenario& s, const std::vector<SearchGroup>& all) {
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    if (!s.phases[i].search) continue;
    const auto& q = *s.phases[i].search;
    const std::string at = "phases." + std::to_string(i) + ": ";
    // The groups it varies (`group`, or every one).
    std::vector<SearchGroup> groups;
    std::uint64_t shard_devices = 0;
    for (const auto& g : all) {
      if (!q.group.empty() && g.plan->group != q.group) continue;
      groups.push_back(g);
      shard_devices += g.shard_devices;
    }
    if (q.vary == scenario::SearchVary::PublishRate) {
      double base = 0.0;
      for (const auto& g : groups) base += g.plan->shard_publish_rate();
      if (!(base > 0.0))
        throw std::runtime_error(at + "vary: publish_rate needs devices that publish (a publish: stream with a rate "
                                 "and publishers)");
    }
    // A devices or connect_rate search stops and restarts devices; a publish_rate search
    // keeps every connection and sequence, so subscribers' books stay exact through it.
    if (q.vary != scenario::SearchVary::PublishRate)
      for (const auto& g : all)
        if (g.plan->subscribers > 0)
          throw std::runtime_error(at + "a search stops and restarts devices, which subscribers' loss and duplicate "
                                   "counts cannot tell from broker faults: run the search without subscribers "
                                   "(group \"" + g.plan->group + "\" has some), or vary publish_rate");
    if (q.vary != scenario::SearchVary::ConnectRate) continue;
    // Each step connects new devices for its hold, from alternate halves of every group:
    // each group (in this shard) its share of the rate, by devices.
    std::uint64_t fleet = 0;
    for (const auto& g : groups) fleet += g.plan->group_devices;
    const std::uint64_t need = 2 * step_connects(q.to, q.hold);
    bool fits = fleet >= need;
    for (const auto& g : groups) {
      const double share = static_cast<double>(g.shard_devices) / static_cast<double>(std::max<std::uint64_t>(1, fleet));
      fits = fits && step_connects(q.to * share, q.hold) <= g.shard_devices / 2;
    }
    if (!fits)
      throw std::runtime_error(at + "fleet.devices (" + std::to_string(s.fleet.devices) +
                               ") is too small for this connect_rate search: each step connects new devices for "
                               "its whole hold, alternating between two halves of the fleet, so it needs at least "
                               "2 x to x hold = " + std::to_string(need) + " devices (a few more with groups or shards)");
  }
}

SearchRun::SearchRun(boost::asio::io_context& control, std::string phase, scenario::Search search,
                     std::vector<scenario::Threshold> thresholds, std::vector<SearchGroup> groups,
                     std::uint64_t shard_devices, TimePoint t0, TimePoint phase_start, Snapshot merged,
                     std::function<void()> on_end)
    : timer_(control),
      phase_(std::move(phase)),
      search_(std::move(search)),
      thresholds_(std::move(thresholds)),
      groups_(std::move(groups)),
      shard_devices_(shard_devices),
      sharded_(!groups_.empty() && groups_.front().plan->shard.n > 1),
      t0_(t0),
      phase_start_(phase_start),
      merged_(std::move(merged)),
      on_end_(std::move(on_end)),
      controller_(search_, !sharded_) {
  for (const auto& g : groups_) {
    fleet_devices_ += g.plan->group_devices;
    fleet_publishers_ += static_cast<double>(g.plan->publishers);
    for (const auto& st : g.plan->streams) fleet_publish_base_ += st.per_device_rate * static_cast<double>(st.publishers);
  }
}

void SearchRun::start() { run_step(); }

void SearchRun::run_step() {
  if (concluded_) return;
  if (!controller_.next()) {
    on_end_();
    return;
  }
  const double value = controller_.next()->value;
  const std::size_t step_no = controller_.steps().size();
  // A shard keeps the ladder's clock: no pause (its settle leaves the change out).
  if (search_.vary == scenario::SearchVary::PublishRate && step_no > 0 && !sharded_) {
    set_publish_scale(0.0);
    drain_then_step(value, step_no, Clock::now());
    return;
  }
  begin_step(value, step_no);
}

device::StatsSnapshot SearchRun::varied() const {
  device::StatsSnapshot s;
  for (const auto& g : groups_)
    for (const auto* w : g.workers) device::merge(s, device::snapshot(w->stats()));
  return s;
}

void SearchRun::drain_then_step(double value, std::size_t step_no, TimePoint since) {
  // The varied groups' own publishes (the others go on publishing through the search).
  std::int64_t pending = 0;
  for (const auto& g : groups_)
    for (const auto* w : g.workers) pending += w->stats().in_flight.load() + w->stats().offline_queued.load();
  if (pending <= 0 || Clock::now() - since >= search_.hold) {
    begin_step(value, step_no);
    return;
  }
  timer_.expires_after(std::chrono::milliseconds(50));
  timer_.async_wait([this, value, step_no, since](const net::error_code& ec) {
    if (!ec && !concluded_) drain_then_step(value, step_no, since);
  });
}

double SearchRun::publishing_devices() const {
  double n = 0.0;
  for (const auto& g : groups_) n += static_cast<double>(g.plan->publishers_in_shard());
  return n;
}

void SearchRun::set_publish_scale(double scale) {
  const double at = seconds(Clock::now() - t0_);
  for (const auto& g : groups_) {
    for (auto* w : g.workers) w->post_publish_scale(scale);
    if (g.scale_log) g.scale_log->set(at, scale);
  }
}

void SearchRun::begin_step(double value, std::size_t step_no) {
  apply_step(value, step_no);
  step_value_ = value;
  // Shards run step k at the same offset from the phase's planned start (--start-at gives
  // them one clock), so their windows line up for report merge.
  step_start_ = sharded_ ? phase_start_ + search_.hold * static_cast<long>(step_no) : Clock::now();
  timer_.expires_at(step_start_ + search_.settle);
  timer_.async_wait([this](const net::error_code& ec) {
    if (ec || concluded_) return;
    window_start_ = Clock::now();
    window_begin_ = merged_();
    window_varied_begin_ = varied();
    timer_.expires_at(step_start_ + search_.hold);
    timer_.async_wait([this](const net::error_code& e) {
      if (!e && !concluded_) finish_step();
    });
  });
}

std::uint64_t SearchRun::group_devices(std::size_t g, double value) const {
  std::uint64_t before = 0;
  for (std::size_t i = 0; i < g; ++i) before += groups_[i].plan->group_devices;
  const auto upto = [&](std::uint64_t d) {
    return static_cast<std::uint64_t>(
        std::llround(value * static_cast<double>(d) / static_cast<double>(std::max<std::uint64_t>(1, fleet_devices_))));
  };
  const auto* plan = groups_[g].plan;
  const std::uint64_t fleet_part = std::min(plan->group_devices, upto(before + plan->group_devices) - upto(before));
  return std::min(groups_[g].shard_devices, plan->in_shard(fleet_part));
}

double SearchRun::group_rate(std::size_t g, double value) const {
  return value * static_cast<double>(groups_[g].shard_devices) / static_cast<double>(std::max<std::uint64_t>(1, fleet_devices_));
}

double SearchRun::step_target(double value) const {
  switch (search_.vary) {
    case scenario::SearchVary::Devices: {
      std::uint64_t n = 0;
      for (std::size_t g = 0; g < groups_.size(); ++g) n += group_devices(g, value);
      return static_cast<double>(n);
    }
    case scenario::SearchVary::ConnectRate: {
      double r = 0.0;
      for (std::size_t g = 0; g < groups_.size(); ++g) r += group_rate(g, value);
      return r;
    }
    case scenario::SearchVary::PublishRate: return search_.per_device ? value : publish_target(value);
  }
  return value;
}

// publish_rate: every stream of every group at one scale of its scenario rate, so the mix
// stays as written and the fleet's total is the step's value (per fleet) or the value times
// the publishing devices (per device); every shard applies the same scale to its share.
double SearchRun::publish_scale(double value) const {
  const double total = search_.per_device ? value * fleet_publishers_ : value;
  return fleet_publish_base_ > 0.0 ? total / fleet_publish_base_ : 0.0;
}

double SearchRun::publish_target(double value) const {
  double base = 0.0;
  for (const auto& g : groups_) base += g.plan->shard_publish_rate();
  return publish_scale(value) * base;
}

void SearchRun::apply_step(double value, std::size_t step_no) {
  if (search_.vary == scenario::SearchVary::PublishRate) {
    set_publish_scale(publish_scale(value));
    return;
  }
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto& g = groups_[gi];
    if (search_.vary == scenario::SearchVary::Devices) {
      const std::uint64_t n = group_devices(gi, value);
      for (auto* w : g.workers) w->post_search_range(0, n, g.connect_rate);
      continue;
    }
    // connect_rate: every step connects new devices for its whole hold, alternating between
    // the two halves of each group; the other half's devices (the previous step's)
    // disconnect cleanly at the boundary, so each step measures only new connections and
    // never waits for its own devices to close.
    const double rate = group_rate(gi, value);
    const std::uint64_t half = g.shard_devices / 2;
    const std::uint64_t first = (step_no % 2) * half;
    const std::uint64_t n = std::min(half, step_connects(rate, search_.hold));
    for (auto* w : g.workers) w->post_search_range(first, first + n, rate);
  }
}

// Publishes per second due in a step: a publish_rate step's scaled total; in a devices step
// the publishers of the devices running (each group's lowest ordinals).
double SearchRun::step_publish_rate(double value) const {
  if (search_.vary == scenario::SearchVary::PublishRate) return publish_target(value);
  double r = 0.0;
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto* plan = groups_[gi].plan;
    for (const auto& st : plan->streams)
      r += st.per_device_rate * static_cast<double>(std::min(group_devices(gi, value), plan->in_shard(st.publishers)));
  }
  return r;
}

void SearchRun::finish_step() {
  const TimePoint now = Clock::now();
  const auto d = device::delta(merged_(), window_begin_);
  const double value = controller_.next()->value;
  metrics::SearchStep st;
  st.value = value;
  st.target = step_target(value);
  st.window_start_s = seconds(window_start_ - t0_);
  st.window_end_s = seconds(now - t0_);
  // What the step set is measured on the groups it varies (all, without `group`); the
  // criteria on the whole fleet, whose thresholds they are.
  const auto vnow = varied();
  const auto vd = device::delta(vnow, window_varied_begin_);
  metrics::StepWindow w;
  w.seconds = seconds(now - window_start_);
  w.varied_connected = static_cast<std::uint64_t>(std::max<std::int64_t>(0, vnow.connected));
  w.varied_connects_ok = vd.connects_ok;
  w.varied_connect_failures = vd.connect_failures;
  w.varied_sent = vd.publishes_sent[0] + vd.publishes_sent[1] + vd.publishes_sent[2];
  w.publishing_devices = publishing_devices();
  // The publish rate due in the window: all publishers of the devices running (devices), the
  // scaled rate (publish_rate); a connect_rate step's publishers come and go with its
  // connections, so none is due.
  if (search_.vary != scenario::SearchVary::ConnectRate) {
    w.requested_publish_rate = step_publish_rate(value);
    w.achieved_publish_rate = static_cast<double>(w.varied_sent) / std::max(1e-9, w.seconds);
  }
  w.broker_errors_per_s = static_cast<double>(device::broker_caused_errors(d)) / std::max(1e-9, w.seconds);
  w.fleet = d;
  metrics::judge_window(st, w, search_, thresholds_);
  if (sharded_) st.window = std::move(w);  // report merge judges the fleet's step from these
  step_passed_ = st.verdict == metrics::Verdict::Pass;
  controller_.record(std::move(st));
  run_step();
}

metrics::SearchReport SearchRun::conclude(const std::string& why) {
  concluded_ = true;
  timer_.cancel();
  step_value_.reset();
  metrics::SearchReport r;
  r.phase = phase_;
  r.search = search_;
  r.steps = controller_.steps();
  r.summary = controller_.summary();
  r.stop_reason = controller_.stop_reason().empty() ? why : controller_.stop_reason();
  return r;
}

}  // namespace fleetload::engine
