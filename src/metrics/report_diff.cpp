// The diff model: which figures two reports are compared on, and which way each is worse.
#include "metrics/report_diff.hpp"

#include <algorithm>
#include <cmath>

#include "metrics/format.hpp"

namespace fleetload::metrics {

namespace {

using Opt = std::optional<double>;

std::uint64_t sum3(const std::array<std::uint64_t, 3>& a) { return a[0] + a[1] + a[2]; }

Opt ratio(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

// The report's figures, each as a function of one report, so BASE and NEW are read alike.
class Collector {
 public:
  Collector(const RunReport& b, const RunReport& n, const DiffOptions& o) : b_(b), n_(n), o_(o) {}

  template <class F>
  void add(const std::string& section, const std::string& name, const char* unit, Better better, F&& value,
           double floor = 0.0) {
    DiffFigure f;
    f.section = section;
    f.name = name;
    f.unit = unit;
    f.better = better;
    f.base = value(b_);
    f.now = value(n_);
    f.floor = floor;
    out_.push_back(std::move(f));
  }
  void count(const std::string& section, const std::string& name, Better better,
             std::uint64_t (*value)(const RunReport&)) {
    add(section, name, "count", better, [value](const RunReport& r) -> Opt { return static_cast<double>(value(r)); });
  }
  double latency_floor() const { return o_.latency_floor_ms; }
  std::vector<DiffFigure> take() { return std::move(out_); }

 private:
  const RunReport& b_;
  const RunReport& n_;
  const DiffOptions& o_;
  std::vector<DiffFigure> out_;
};

Opt p(const device::HistogramSnapshot& h, double q) {
  if (h.count == 0) return std::nullopt;
  return static_cast<double>(h.percentile(q)) / 1e6;
}

struct NamedHistogram {
  const char* name;
  device::HistogramSnapshot device::StatsSnapshot::*h;
  Better better;
};
constexpr NamedHistogram kHistograms[] = {
    {"connect (CONNECT to CONNACK)", &device::StatsSnapshot::connect_duration, Better::Lower},
    {"time to connect", &device::StatsSnapshot::time_to_connect, Better::Lower},
    {"tcp connect", &device::StatsSnapshot::tcp_connect, Better::Lower},
    {"tls handshake", &device::StatsSnapshot::tls_handshake, Better::Lower},
    {"websocket upgrade", &device::StatsSnapshot::websocket_handshake, Better::Lower},
    {"ack latency", &device::StatsSnapshot::ack_latency, Better::Lower},
    {"end-to-end latency", &device::StatsSnapshot::e2e_latency, Better::Lower},
    {"ping round trip", &device::StatsSnapshot::ping_rtt, Better::Lower},
    {"subscribe latency", &device::StatsSnapshot::subscribe_latency, Better::Lower},
    // What the scenario configured, not what the broker did.
    {"reconnect delay", &device::StatsSnapshot::reconnect_delay, Better::Neither},
};

void run_figures(Collector& c) {
  c.count("run", "devices", Better::Neither, [](const RunReport& r) { return r.devices; });
  c.count("run", "peak connected", Better::Higher, [](const RunReport& r) { return r.peak_connected; });
  c.add("run", "time to all connected", "seconds", Better::Lower,
        [](const RunReport& r) { return r.time_to_all_connected_s; }, c.latency_floor() / 1e3);
  c.add("run", "wall time", "seconds", Better::Neither, [](const RunReport& r) -> Opt { return r.cost.wall_s; });
}

void connect_figures(Collector& c, const RunReport& b, const RunReport& n) {
  c.count("connects", "connect attempts", Better::Neither, [](const RunReport& r) { return r.stats.connect_attempts; });
  c.count("connects", "connects accepted", Better::Neither, [](const RunReport& r) { return r.stats.connects_ok; });
  // The failure share, not the success share: 99.9 % -> 99 % is ten times the failures,
  // which a relative tolerance on the success ratio would call a 0.9 % change.
  c.add("connects", "connect failure ratio", "ratio", Better::Lower, [](const RunReport& r) {
    return ratio(r.stats.connect_failures, r.stats.connects_ok + r.stats.connect_failures);
  });
  c.count("connects", "connect failures", Better::Lower, [](const RunReport& r) { return r.stats.connect_failures; });
  c.count("connects", "drops", Better::Neither, [](const RunReport& r) { return r.stats.drops; });
  c.count("connects", "reconnects", Better::Neither, [](const RunReport& r) { return r.stats.reconnects; });
  for (std::size_t i = 1; i < device::kDropReasonCount; ++i) {
    const auto reason = static_cast<device::DropReason>(i);
    // Dropped on purpose or at the stop: the scenario's doing, not the broker's.
    const bool planned = reason == device::DropReason::Churn || reason == device::DropReason::Shutdown;
    const bool any_failed = b.stats.connect_failed_by_reason[i] + n.stats.connect_failed_by_reason[i] > 0;
    const bool any_dropped = b.stats.drops_by_reason[i] + n.stats.drops_by_reason[i] > 0;
    if (any_failed)
      c.add("connects", std::string("connect failed: ") + device::to_string(reason), "count", Better::Lower,
            [i](const RunReport& r) -> Opt { return static_cast<double>(r.stats.connect_failed_by_reason[i]); });
    if (any_dropped)
      c.add("connects", std::string("dropped: ") + device::to_string(reason), "count",
            planned ? Better::Neither : Better::Lower,
            [i](const RunReport& r) -> Opt { return static_cast<double>(r.stats.drops_by_reason[i]); });
  }
  // Failed attempts by cause (tls_failed/unknown_ca, connack_refused/not_authorized, ...),
  // summed over endpoints (a cause is listed per endpoint when it has one).
  std::vector<std::pair<std::string, std::string>> causes;
  for (const auto* r : {&b, &n})
    for (const auto& cause : r->connect_failures)
      if (std::find(causes.begin(), causes.end(), std::make_pair(cause.result, cause.reason)) == causes.end())
        causes.emplace_back(cause.result, cause.reason);
  for (const auto& [result, reason] : causes)
    c.add("connects", result + "/" + reason, "count", Better::Lower, [result, reason](const RunReport& r) -> Opt {
      double sum = 0.0;
      for (const auto& x : r.connect_failures)
        if (x.result == result && x.reason == reason) sum += static_cast<double>(x.count);
      return sum;
    });
}

void publish_figures(Collector& c) {
  c.add("publish", "publish rate requested", "per_s", Better::Neither,
        [](const RunReport& r) -> Opt { return r.publish_rate.requested; });
  c.add("publish", "publish rate achieved", "per_s", Better::Higher,
        [](const RunReport& r) -> Opt { return r.publish_rate.requested > 0 || r.publish_rate.achieved > 0
                                                   ? Opt(r.publish_rate.achieved) : std::nullopt; });
  // Shown; judged through the achieved rate above (the same fact, relative to the same base).
  c.add("publish", "publish rate error", "percent", Better::Neither, [](const RunReport& r) -> Opt {
    return r.publish_rate.requested > 0 ? Opt(r.publish_rate.error_percent) : std::nullopt;
  });
  c.count("publish", "publishes sent", Better::Neither, [](const RunReport& r) { return sum3(r.stats.publishes_sent); });
  c.count("publish", "ack timeouts", Better::Lower, [](const RunReport& r) { return sum3(r.stats.ack_timeouts); });
  c.count("publish", "publishes failed", Better::Lower,
          [](const RunReport& r) { return sum3(r.stats.publishes_failed_by_qos); });
  c.count("publish", "publishes late", Better::Lower, [](const RunReport& r) { return r.stats.publishes_late; });
}

void delivery_figures(Collector& c) {
  c.count("delivery", "messages received", Better::Neither, [](const RunReport& r) { return r.stats.messages_received; });
  c.count("delivery", "messages lost", Better::Lower, [](const RunReport& r) { return r.stats.messages_lost; });
  c.add("delivery", "loss ratio", "ratio", Better::Lower, [](const RunReport& r) {
    const auto& s = r.stats;
    const std::uint64_t tracked = s.messages_received - std::min(s.messages_received, s.messages_untracked);
    return ratio(s.messages_lost, tracked + s.messages_lost);
  });
  c.count("delivery", "messages duplicated", Better::Lower, [](const RunReport& r) { return r.stats.messages_duplicated; });
  c.add("delivery", "duplicate ratio", "ratio", Better::Lower,
        [](const RunReport& r) { return ratio(r.stats.messages_duplicated, r.stats.messages_received); });
  c.count("delivery", "messages out of order", Better::Lower,
          [](const RunReport& r) { return r.stats.messages_out_of_order; });
  c.count("delivery", "ping timeouts", Better::Lower, [](const RunReport& r) { return r.stats.ping_timeouts; });
}

void latency_figures(Collector& c, const RunReport& b, const RunReport& n) {
  static constexpr std::pair<const char*, double> kQuantiles[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99},
                                                                  {"p99.9", 0.999}};
  for (const auto& h : kHistograms) {
    if ((b.stats.*h.h).count == 0 && (n.stats.*h.h).count == 0) continue;
    for (const auto& [qname, q] : kQuantiles)
      c.add("latency", std::string(h.name) + " " + qname, "ms", h.better,
            [hh = h.h, q = q](const RunReport& r) { return p(r.stats.*hh, q); }, c.latency_floor());
    // The maximum is one sample: shown, never a regression.
    c.add("latency", std::string(h.name) + " max", "ms", Better::Neither,
          [hh = h.h](const RunReport& r) { return p(r.stats.*hh, 1.0); });
  }
}

void cost_figures(Collector& c) {
  c.add("cost", "CPU per 100k messages", "seconds", Better::Lower, [](const RunReport& r) -> Opt {
    return r.cost.messages ? Opt(r.cost.cpu_s_per_100k_messages) : std::nullopt;
  });
  c.add("cost", "peak RSS per device", "bytes", Better::Lower,
        [](const RunReport& r) -> Opt { return r.devices ? Opt(r.cost.peak_rss_per_device_bytes) : std::nullopt; });
  c.add("cost", "RSS per connected device", "bytes", Better::Lower, [](const RunReport& r) -> Opt {
    return r.cost.rss_per_connected_device_bytes > 0 ? Opt(r.cost.rss_per_connected_device_bytes) : std::nullopt;
  });
}

const PhaseReport* phase_named(const RunReport& r, const std::string& name) {
  for (const auto& ph : r.phases)
    if (ph.name == name) return &ph;
  return nullptr;
}

void phase_figures(Collector& c, const RunReport& b, const RunReport& n) {
  std::vector<std::string> names;
  for (const auto* r : {&b, &n})
    for (const auto& ph : r->phases)
      if (std::find(names.begin(), names.end(), ph.name) == names.end()) names.push_back(ph.name);
  for (const auto& name : names) {
    const std::string section = "phase " + name;
    auto of = [name](auto&& get) {
      return [name, get](const RunReport& r) -> Opt {
        const PhaseReport* ph = phase_named(r, name);
        return ph ? get(*ph) : std::nullopt;
      };
    };
    c.add(section, "publish rate achieved", "per_s", Better::Higher, of([](const PhaseReport& ph) -> Opt {
      return ph.publish_rate.requested > 0 ? Opt(ph.publish_rate.achieved) : std::nullopt;
    }));
    c.add(section, "connects accepted", "count", Better::Neither,
          of([](const PhaseReport& ph) -> Opt { return static_cast<double>(ph.stats.connects_ok); }));
    c.add(section, "connect failures", "count", Better::Lower,
          of([](const PhaseReport& ph) -> Opt { return static_cast<double>(ph.stats.connect_failures); }));
    c.add(section, "ack latency p99", "ms", Better::Lower,
          of([](const PhaseReport& ph) { return p(ph.stats.ack_latency, 0.99); }), c.latency_floor());
    c.add(section, "end-to-end latency p99", "ms", Better::Lower,
          of([](const PhaseReport& ph) { return p(ph.stats.e2e_latency, 0.99); }), c.latency_floor());
    c.add(section, "messages lost", "count", Better::Lower,
          of([](const PhaseReport& ph) -> Opt { return static_cast<double>(ph.stats.messages_lost); }));
  }
}

void threshold_figures(Collector& c, const RunReport& b, const RunReport& n) {
  std::vector<std::string> metrics;
  for (const auto* r : {&b, &n})
    for (const auto& t : r->thresholds)
      if (std::find(metrics.begin(), metrics.end(), t.metric) == metrics.end()) metrics.push_back(t.metric);
  auto find = [](const RunReport& r, const std::string& m) -> const ThresholdResult* {
    for (const auto& t : r.thresholds)
      if (t.metric == m) return &t;
    return nullptr;
  };
  for (const auto& m : metrics) {
    const ThresholdResult* any = find(b, m) ? find(b, m) : find(n, m);
    // The threshold's own value (its direction is the threshold's), then its verdict: a
    // threshold that passed in BASE and fails in NEW is a regression whatever the tolerance.
    const Better dir = any->op.rfind('<', 0) == 0 ? Better::Lower : any->op.rfind('>', 0) == 0 ? Better::Higher
                                                                                                : Better::Neither;
    c.add("thresholds", m + " (" + any->text + ")", any->unit.c_str(), dir, [find, m](const RunReport& r) -> Opt {
            const ThresholdResult* t = find(r, m);
            return t && t->measured ? Opt(t->value) : std::nullopt;
          }, any->unit == "seconds" ? c.latency_floor() / 1e3 : 0.0);
    c.add("thresholds", m + " passed", "verdict", Better::Higher, [find, m](const RunReport& r) -> Opt {
      const ThresholdResult* t = find(r, m);
      return t ? Opt(t->passed ? 1.0 : 0.0) : std::nullopt;
    });
  }
}

}  // namespace

const char* to_string(Better b) noexcept {
  switch (b) {
    case Better::Higher: return "higher";
    case Better::Lower: return "lower";
    case Better::Neither: return "neither";
  }
  return "?";
}

void classify(DiffFigure& f, const DiffOptions& o) {
  f.change.reset();
  f.relative.reset();
  f.regression = f.improvement = false;
  if (!f.base || !f.now) return;
  const double change = *f.now - *f.base;
  f.change = change;
  if (*f.base != 0) f.relative = change / std::fabs(*f.base);
  if (f.better == Better::Neither || change == 0) return;
  if (std::fabs(change) < f.floor) return;
  // Beyond the tolerance: relative to the base, or any change from a base of 0; a verdict
  // (pass -> fail) has no tolerance.
  const bool beyond = f.unit == "verdict" || !f.relative || std::fabs(*f.relative) > o.tolerance;
  if (!beyond) return;
  const bool worse = f.better == Better::Lower ? change > 0 : change < 0;
  f.regression = worse;
  f.improvement = !worse;
}

ReportDiff diff_reports(const RunReport& b, const RunReport& n, const DiffOptions& o, const std::string& base_source,
                        const std::string& new_source) {
  ReportDiff d;
  d.base_source = base_source;
  d.new_source = new_source;
  for (const auto* r : {&b, &n}) {
    std::string about = "scenario \"" + r->scenario_name + "\", started " + r->started_at_utc + ", " +
                        std::to_string(r->devices) + " devices, " + r->exit_reason;
    if (!r->merged_shards.empty()) about += ", " + std::to_string(r->merged_shards.size()) + " shards merged";
    (r == &b ? d.base_about : d.new_about) = std::move(about);
  }
  d.options = o;
  if (b.scenario_name != n.scenario_name)
    d.notes.push_back("different scenarios: \"" + b.scenario_name + "\" vs \"" + n.scenario_name + "\"");
  if (b.protocol != n.protocol) d.notes.push_back("different MQTT versions");
  if (b.devices != n.devices)
    d.notes.push_back("different fleet sizes (" + std::to_string(b.devices) + " vs " + std::to_string(n.devices) +
                      " devices): counts scale with the fleet, compare the rates and ratios");
  if (std::fabs(b.publish_rate.requested - n.publish_rate.requested) >
      0.01 * std::max(b.publish_rate.requested, n.publish_rate.requested))
    d.notes.push_back("the scenarios ask for different publish rates (" + human::rate(b.publish_rate.requested) +
                      " vs " + human::rate(n.publish_rate.requested) + ")");
  if (std::fabs(b.cost.wall_s - n.cost.wall_s) > 0.1 * std::max(b.cost.wall_s, n.cost.wall_s))
    d.notes.push_back("runs of different lengths: counts scale with the run, compare the rates and ratios");
  for (const auto* r : {&b, &n})
    if (r->exit_reason != "completed")
      d.notes.push_back((r == &b ? base_source : new_source) + " did not complete (" + r->exit_reason + ")");

  Collector c(b, n, o);
  run_figures(c);
  connect_figures(c, b, n);
  publish_figures(c);
  delivery_figures(c);
  latency_figures(c, b, n);
  cost_figures(c);
  phase_figures(c, b, n);
  threshold_figures(c, b, n);
  d.figures = c.take();
  for (auto& f : d.figures) {
    classify(f, o);
    d.regressions += f.regression;
    d.improvements += f.improvement;
  }
  return d;
}

}  // namespace fleetload::metrics
