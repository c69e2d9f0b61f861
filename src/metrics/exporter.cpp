// The exporter: caches one exposition per update, serves it to scrapes (prometheus-cpp's
// civetweb exposer) and pushes it to a Pushgateway periodically and at the end.
#include "metrics/exporter.hpp"

#include <algorithm>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "device/fleet_plan.hpp"
#include "metrics/exporter_push.hpp"

namespace fleetload::metrics {
namespace {

// Hands out the families built by the last update; scrapes and pushes copy them.
class CachedCollectable final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard lock(mu_);
    if (final_) final_collected_ = true;
    collected_.notify_all();
    return families_;
  }
  void replace(std::vector<prometheus::MetricFamily> f, bool final) {
    std::lock_guard lock(mu_);
    families_ = std::move(f);
    final_ = final;
    final_collected_ = false;
  }
  std::vector<prometheus::MetricFamily> snapshot() const {
    std::lock_guard lock(mu_);
    return families_;
  }
  bool wait_final_collected(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return collected_.wait_for(lock, timeout, [this] { return final_collected_; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable collected_;
  std::vector<prometheus::MetricFamily> families_;
  bool final_ = false;
  mutable bool final_collected_ = false;  // a scrape took the final values
};

// The thresholds on the figures a scrape sees: the whole-run stats so far and a publish rate
// (the run's, or the last interval's while it runs), as evaluate_thresholds computes them
// for the report.
std::vector<ThresholdResult> thresholds_on(const std::vector<scenario::Threshold>& defs,
                                           const device::StatsSnapshot& stats, RateFigure rate) {
  if (defs.empty()) return {};
  RunReport r;
  r.stats = stats;
  r.publish_rate = rate;
  evaluate_thresholds(defs, r);
  return std::move(r.thresholds);
}

}  // namespace

ExporterOptions exporter_options_for(const scenario::Scenario& s) {
  ExporterOptions o;
  o.labels.scenario = s.name;
  o.labels.shard = std::to_string(s.fleet.shard.k);
  o.labels.protocol = s.target.protocol == mqtt::Version::V5 ? "mqtt5" : "mqtt311";
  o.labels.auth_mode = scenario::to_string(s.auth.mode);
  o.protocol = s.target.protocol;
  o.shard_count = s.fleet.shard.n;
  o.target_publish_rate = device::FleetPlan(s).shard_publish_rate();
  o.streams = scenario::stream_names(s);
  o.thresholds = s.thresholds;
  return o;
}

struct Exporter::Impl {
  ExporterOptions opts;
  std::shared_ptr<CachedCollectable> collectable = std::make_shared<CachedCollectable>();
  std::unique_ptr<prometheus::Exposer> exposer;
  std::optional<PushTarget> push_target;

  std::mutex push_mu;  // one push at a time; guards the fields below
  std::string last_push_error;
  std::uint64_t pushes_ok = 0;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread pusher;

  bool push() {
    std::lock_guard lock(push_mu);
    // Serialized from a copy taken without Collect(), so a push never counts as a scrape.
    const std::string body = prometheus::TextSerializer().Serialize(collectable->snapshot());
    std::string error;
    const int code = http_put(*push_target, body, opts.push_timeout, error);
    if (code >= 200 && code < 300) {
      ++pushes_ok;
      return true;
    }
    last_push_error = "pushgateway " + opts.pushgateway + ": " + error;
    return false;
  }

  void stop_pusher() {
    {
      std::lock_guard lock(stop_mu);
      stopping = true;
    }
    stop_cv.notify_all();
    if (pusher.joinable()) pusher.join();
  }
};

Exporter::Exporter(ExporterOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(options);
  set_state({});
  if (!impl_->opts.listen.empty()) {
    try {
      impl_->exposer = std::make_unique<prometheus::Exposer>(impl_->opts.listen, 2);
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot serve metrics on " + impl_->opts.listen + ": " + e.what());
    }
    impl_->exposer->RegisterCollectable(impl_->collectable);
  }
  if (!impl_->opts.pushgateway.empty()) {
    impl_->push_target = parse_push_target(impl_->opts.pushgateway, impl_->opts.push_job,
                                           impl_->opts.labels.scenario, impl_->opts.labels.shard);
    if (impl_->opts.push_interval.count() > 0) {
      impl_->pusher = std::thread([impl = impl_.get()] {
        std::unique_lock lock(impl->stop_mu);
        while (!impl->stop_cv.wait_for(lock, impl->opts.push_interval, [impl] { return impl->stopping; })) {
          lock.unlock();
          impl->push();
          lock.lock();
        }
      });
    }
  }
}

Exporter::~Exporter() { impl_->stop_pusher(); }

void Exporter::set_state(ExportState state) {
  const bool final = state.finished;
  impl_->collectable->replace(build_families(state, impl_->opts), final);
}

bool Exporter::wait_for_final_scrape(std::chrono::milliseconds timeout) const {
  return impl_->collectable->wait_final_collected(timeout);
}

void Exporter::update(const engine::Progress& p) {
  ExportState st;
  st.total = p.total;
  st.elapsed_s = p.elapsed.count();
  st.phase = std::string(p.phase);
  st.connected = p.connected;
  st.target = p.target;
  const auto& d = p.delta;
  const double sent = static_cast<double>(d.publishes_sent[0] + d.publishes_sent[1] + d.publishes_sent[2]);
  st.achieved_publish_rate = p.interval.count() > 0 ? sent / p.interval.count() : 0.0;
  st.local_limit_errors = p.local_limit_errors;
  st.local_errors = p.local_errors;
  st.broker_errors = p.broker_errors;
  st.connect_failures = p.connect_failures;
  st.search_step_value = p.search_step_value;
  st.search_step_passed = p.search_step_passed;
  for (const auto& g : p.groups) {
    st.groups.push_back({std::string(g.name), std::string(g.protocol), std::string(g.auth_mode), g.target,
                         static_cast<std::uint64_t>(std::max<std::int64_t>(0, g.total.connected)), g.total});
  }
  st.thresholds = thresholds_on(impl_->opts.thresholds, st.total,
                                rate_figure(impl_->opts.target_publish_rate, st.achieved_publish_rate));
  set_state(std::move(st));
}

bool Exporter::finish(const engine::RunResult& r, std::optional<Verdict> verdict) {
  ExportState st;
  st.total = r.stats;
  st.elapsed_s = r.wall.count();
  st.phase = r.phases.empty() ? std::string() : r.phases.back().name;
  st.connected = r.stats.connected > 0 ? static_cast<std::uint64_t>(r.stats.connected) : 0;
  st.target = r.devices;
  st.achieved_publish_rate = r.achieved_publish_rate;
  st.local_limit_errors = r.local_limit_errors;
  st.local_errors = r.local_errors;
  st.broker_errors = r.broker_errors;
  st.connect_failures = r.connect_failures;
  for (const auto& g : r.groups) {
    st.groups.push_back({g.name, g.protocol, g.auth_mode, g.devices,
                         static_cast<std::uint64_t>(std::max<std::int64_t>(0, g.stats.connected)), g.stats});
  }
  st.finished = true;
  st.exit_reason = engine::to_string(r.exit_reason);
  st.verdict = verdict;
  st.thresholds = thresholds_on(impl_->opts.thresholds, r.stats,
                                rate_figure(r.requested_publish_rate, r.achieved_publish_rate));
  set_state(std::move(st));
  if (!impl_->push_target) return true;
  impl_->stop_pusher();
  return impl_->push();
}

std::uint16_t Exporter::listen_port() const {
  if (!impl_->exposer) return 0;
  const auto ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : static_cast<std::uint16_t>(ports.front());
}

bool Exporter::push_now() { return impl_->push_target ? impl_->push() : false; }

std::string Exporter::last_push_error() const {
  std::lock_guard lock(impl_->push_mu);
  return impl_->last_push_error;
}

std::uint64_t Exporter::pushes_ok() const {
  std::lock_guard lock(impl_->push_mu);
  return impl_->pushes_ok;
}

}  // namespace fleetload::metrics
