// One capacity-search phase as it runs (phase type search): applies the controller's value
// to the workers at each step boundary, waits `settle`, measures the step's own window
// (stats delta from settle end to step end), judges it and records it, until the
// controller (engine/search.hpp) ends the search. Runs on the engine's control thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "device/stats.hpp"
#include "engine/search.hpp"
#include "engine/worker.hpp"
#include "metrics/search_steps.hpp"

namespace fleetload::device { class FleetPlan; }

namespace fleetload::engine {

// The factor a publish_rate search applied to a group's scenario publish rates over time
// (1 before its first step), so that the rate asked of the group over any span is what
// the steps asked (report figures, the series), not the scenario's base rate.
class PublishScaleLog {
 public:
  void set(double t_s, double scale) { changes_.emplace_back(t_s, scale); }
  bool empty() const noexcept { return changes_.empty(); }
  // The mean over [a, b] seconds of scale(t) x share(t), where share_mean(x, y) gives
  // share's mean over [x, y] (the group's publishers started, by the ramp).
  template <class ShareMean>
  double mean(double a, double b, ShareMean&& share_mean) const {
    if (!(b > a)) return share_mean(a, b);
    double sum = 0.0, scale = 1.0, at = a;
    for (const auto& [t, k] : changes_) {
      if (t >= b) break;
      if (t > at) {
        sum += scale * share_mean(at, t) * (t - at);
        at = t;
      }
      scale = k;
    }
    sum += scale * share_mean(at, b) * (b - at);
    return sum / (b - a);
  }

 private:
  std::vector<std::pair<double, double>> changes_;  // (seconds from run start, scale), in order
};

// One device group as a search drives it: the whole fleet varies, each group in proportion.
struct SearchGroup {
  std::vector<Worker*> workers;  // may be empty for check_search_runnable
  std::uint64_t shard_devices = 0;
  double connect_rate = 0.0;  // the group's ramp pace: devices steps connect at it
  const device::FleetPlan* plan = nullptr;
  PublishScaleLog* scale_log = nullptr;  // publish_rate: where the scales applied are written
};

// What this build can drive of the scenario's search phase: throws std::runtime_error
// (exit 2, before any device connects) naming the phase and what to change.
void check_search_runnable(const scenario::Scenario& s, const std::vector<SearchGroup>& groups);

class SearchRun {
 public:
  using Snapshot = std::function<device::StatsSnapshot()>;
  // `merged` reads the fleet's stats now; `on_end` is called (from a step's end) when the
  // controller has ended the search. `t0` is the run's start (step windows are relative to
  // it), `phase_start` the phase's planned start. In a sharded run (the groups' plans say
  // so) the search is the fixed ladder, every step at phase_start + k x hold, each step's
  // value the fleet's and this shard's part of it applied; one process searches adaptively.
  SearchRun(boost::asio::io_context& control, std::string phase, scenario::Search search,
            std::vector<scenario::Threshold> thresholds, std::vector<SearchGroup> groups,
            std::uint64_t shard_devices, TimePoint t0, TimePoint phase_start, Snapshot merged,
            std::function<void()> on_end);

  void start();
  // Stops any running step and returns what was judged; `why` is the stop reason when the
  // controller had not ended the search (the run's duration, a stop request).
  metrics::SearchReport conclude(const std::string& why);

  std::optional<double> step_value() const { return step_value_; }   // the step running now
  std::optional<bool> step_passed() const { return step_passed_; }   // the last judged step

 private:
  void run_step();
  void apply_step(double value, std::size_t step_no);
  void finish_step();
  // A devices value's part for group g in this shard: the fleet's value split over the
  // groups by size (cumulative rounding, so they add up exactly), then the group's first
  // devices of that count that are in this shard (so the shards' parts add up too).
  std::uint64_t group_devices(std::size_t g, double value) const;
  // The part of a step's (fleet-wide) value this process runs (SearchStep::target).
  double step_target(double value) const;
  // A group's connect rate in a connect_rate step: the value shared by devices.
  double group_rate(std::size_t g, double value) const;
  double step_publish_rate(double value) const;
  // publish_rate: the factor on every stream's scenario rate a step's value asks for (the
  // same in every shard), and the varied groups' publishes per second it gives here.
  double publish_scale(double value) const;
  double publish_target(double value) const;
  // The figures of the groups it varies (`group`; every group without it).
  device::StatsSnapshot varied() const;
  double publishing_devices() const;
  // publish_rate: before a step, publishing pauses until the QoS 1/2 publishes in flight (and
  // queued) are answered, at most one hold, so no step inherits the previous one's backlog.
  void drain_then_step(double value, std::size_t step_no, TimePoint since);
  void begin_step(double value, std::size_t step_no);
  // Every varied group's publish rates at `scale` of the scenario's, from now on.
  void set_publish_scale(double scale);

  boost::asio::steady_timer timer_;
  std::string phase_;
  scenario::Search search_;
  std::vector<scenario::Threshold> thresholds_;
  std::vector<SearchGroup> groups_;
  std::uint64_t shard_devices_ = 0;
  bool sharded_ = false;              // fixed ladder at fixed times; report merge judges it
  std::uint64_t fleet_devices_ = 0;   // the varied groups' devices in the whole fleet
  double fleet_publish_base_ = 0.0;   // their scenario publish rate, whole fleet
  double fleet_publishers_ = 0.0;     // their publishing devices, whole fleet
  TimePoint t0_;
  TimePoint phase_start_;
  Snapshot merged_;
  std::function<void()> on_end_;
  SearchController controller_;
  TimePoint step_start_{};
  TimePoint window_start_{};
  device::StatsSnapshot window_begin_;
  device::StatsSnapshot window_varied_begin_;
  std::optional<double> step_value_;
  std::optional<bool> step_passed_;
  bool concluded_ = false;
};

}  // namespace fleetload::engine
