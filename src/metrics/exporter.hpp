// Prometheus export of a run: an exposer for scrapes and an optional Pushgateway push, both
// fed from the engine's merged snapshots (never from device code), so no lock or shared
// atomic sits on the per-message path.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device/stats.hpp"
#include "engine/engine.hpp"
#include "metrics/verdict.hpp"
#include "metrics/run_report.hpp"
#include "mqtt/packet.hpp"
#include "scenario/scenario.hpp"

namespace prometheus {
struct MetricFamily;
}

namespace fleetload::metrics {

// Labels every series carries: the same for the whole process, so they cost no cardinality.
struct ExportLabels {
  std::string scenario;
  std::string shard = "0";  // K of --shard K/N
  std::string protocol = "mqtt311";
  std::string auth_mode = "plain_tcp";
};

struct ExporterOptions {
  ExportLabels labels;
  mqtt::Version protocol = mqtt::Version::V311;  // names CONNACK codes
  std::uint32_t shard_count = 1;                 // N of --shard K/N
  double target_publish_rate = 0.0;  // msg/s this shard should deliver in steady phases
  // The fleet's publish streams by id (scenario::stream_names): the `stream` label.
  std::vector<std::string> streams;
  // Exposer: "host:port"; empty = no exposer. Port 0 picks a free port (see listen_port()).
  std::string listen = "127.0.0.1:9464";
  // Pushgateway, "http://host:port[/prefix]"; empty = no push. Grouping key: job (push_job),
  // scenario, shard.
  std::string pushgateway;
  std::string push_job = "fleetload";
  // Pushes every interval while the run goes (0 = only the final push in finish()).
  std::chrono::milliseconds push_interval{10000};
  // Bound of one push (connect + PUT + response): a dead gateway never holds the run.
  std::chrono::milliseconds push_timeout{5000};
  // The scenario's thresholds, exported with their limit, value so far and verdict.
  std::vector<scenario::Threshold> thresholds;
};

// The labels and target rate for a validated scenario (shard from s.fleet.shard).
ExporterOptions exporter_options_for(const scenario::Scenario& s);

// Fixed upper bounds (seconds) of every exported histogram; +Inf is implied.
const std::vector<double>& histogram_bounds_seconds();

// What one update carries into the families; plain data so tests can build it.
// One device group's device series (`group` label; its own protocol and auth mode).
struct ExportGroup {
  std::string name;
  std::string protocol;
  std::string auth_mode;
  std::uint64_t target = 0;
  std::uint64_t connected = 0;
  device::StatsSnapshot total;
};

struct ExportState {
  device::StatsSnapshot total;   // cumulative since the start of the run
  // Per device group; empty = one group, "default", made of `total`, `target`, `connected`
  // and the process labels.
  std::vector<ExportGroup> groups;
  double elapsed_s = 0.0;
  std::string phase;
  std::uint64_t connected = 0;
  std::uint64_t target = 0;
  double achieved_publish_rate = 0.0;  // msg/s over the last window
  std::uint64_t local_limit_errors = 0;
  std::uint64_t local_errors = 0;
  std::uint64_t broker_errors = 0;
  std::vector<engine::ConnectFailureCause> connect_failures;  // non-zero only
  // Capacity search: the running step's value, the last judged step's verdict (each
  // exported only while it has one).
  std::optional<double> search_step_value;
  std::optional<bool> search_step_passed;
  bool finished = false;
  std::string exit_reason;  // set when finished
  std::optional<Verdict> verdict;  // set when finished: fleetload_verdict{verdict}
  // Each threshold evaluated on this state (while running: on the figures so far, the
  // publish rate error on the last interval; when finished: as the run report has them).
  std::vector<ThresholdResult> thresholds;
};

// The whole exposition for one state (pure; the exporter caches its result per update).
std::vector<prometheus::MetricFamily> build_families(const ExportState& state,
                                                     const ExporterOptions& options);

class Exporter {
 public:
  // Starts the exposer (throws std::runtime_error naming the address when it cannot bind)
  // and, with a Pushgateway and an interval, the periodic pusher thread.
  explicit Exporter(ExporterOptions options);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // From RunOptions::on_progress (about once a second).
  void update(const engine::Progress& p);
  // Final values from the run's result and its verdict, then the final push (if any).
  // Returns false when the final push failed (the reason is in last_push_error()).
  bool finish(const engine::RunResult& r, std::optional<Verdict> verdict = std::nullopt);
  // For tests and other feeds: replace the exported state.
  void set_state(ExportState state);

  // After finish(): waits until a scrape has taken the final values, or `timeout` passes.
  // Lets the CLI keep the exposer up just long enough for Prometheus (--metrics-linger).
  bool wait_for_final_scrape(std::chrono::milliseconds timeout) const;

  // The port the exposer listens on (resolves port 0); 0 when there is no exposer.
  std::uint16_t listen_port() const;
  // Pushes now; true on HTTP 2xx.
  bool push_now();
  std::string last_push_error() const;
  std::uint64_t pushes_ok() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetload::metrics
