// The engine's public face: run a fleet of device sessions over real sockets, report.
//
// One io_context per worker thread, each device pinned to one worker for its whole life,
// a per-worker timer wheel, a paced connection ramp, phases, and a clean shutdown. The CLI
// builds an Engine from a validated Scenario, calls run() on its own thread and gets a
// RunResult back; progress arrives through a callback once per progress interval.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "device/books_exchange.hpp"
#include "device/share_books.hpp"
#include "device/stats.hpp"
#include "metrics/search_steps.hpp"
#include "metrics/sparse_histogram.hpp"
#include "net/tls_stream.hpp"
#include "net/ws_stream.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::engine {

using Seconds = std::chrono::duration<double>;

// Failed connect attempts of one cause, with low-cardinality labels: `result` names the layer
// that failed (tcp_failed, dns_failed, tls_failed, identity_failed, websocket_failed,
// local_error, connack_refused), `reason` the cause (refused, timeout, name_not_resolved,
// expired, hostname_mismatch, file_missing, wrong_pin, upgrade_forbidden, not_authorized,
// ...). result and reason are static strings. `endpoint` is set for tcp_failed and
// dns_failed: the endpoint as configured ("host:port", one of the scenario's bounded list).
struct ConnectFailureCause {
  const char* result = "";
  const char* reason = "";
  std::uint64_t count = 0;
  std::string endpoint;
};

// One device group's part of a progress call (one, "default", without scenario groups).
struct GroupProgress {
  std::string_view name;
  std::string_view protocol;   // "mqtt311" | "mqtt5"
  std::string_view auth_mode;  // scenario auth mode name
  std::uint64_t target = 0;    // the group's devices in this shard
  device::StatsSnapshot total; // merged over the group's workers, cumulative since start
};

// What the progress callback sees, once per progress interval (scenario run.progress_interval,
// default 1 s). Called from the thread that called run(), never from a worker thread; the
// references are valid only during the call.
struct Progress {
  Seconds elapsed{0};
  std::string_view phase;              // current phase name ("ramp-0", ...)
  std::uint64_t connected = 0;         // devices whose session is Connected now
  std::uint64_t target = 0;            // devices in this shard
  const device::StatsSnapshot& total;  // merged over workers, cumulative since start
  const device::StatsSnapshot& delta;  // merged, since the previous progress call
  Seconds interval{0};                 // length of the delta window
  std::uint64_t local_limit_errors = 0;  // cumulative: EMFILE/ENFILE/EADDRNOTAVAIL/EADDRINUSE
  std::uint64_t local_errors = 0;        // cumulative: our identity not loadable, CONNECT unencodable
  std::uint64_t broker_errors = 0;       // cumulative: refused, timeouts, resets, EOF ...
  std::vector<ConnectFailureCause> connect_failures;  // cumulative, non-zero causes only
  std::vector<GroupProgress> groups;                  // per group; their totals add up to `total`
  // Capacity search: the value of the step running now, and whether the last judged step
  // passed (empty outside a search / before its first step is judged).
  std::optional<double> search_step_value;
  std::optional<bool> search_step_passed;
};

struct RunOptions {
  // Worker threads (one io_context each). 0 = std::thread::hardware_concurrency().
  unsigned threads = 0;
  // Overrides scenario run.duration (CLI --duration). The shard comes from
  // scenario.fleet.shard (CLI --shard K/N).
  std::optional<std::chrono::milliseconds> duration;
  // Called about once per progress interval; may be empty.
  std::function<void(const Progress&)> on_progress;
  // After a graceful stop (end of run or first signal): how long to wait for DISCONNECTs
  // to be written and sockets closed before giving up.
  std::chrono::milliseconds shutdown_grace{5000};
  // Install SIGINT/SIGTERM handlers for the duration of run(): first signal = graceful
  // stop, second = immediate. When false the caller calls request_stop() itself.
  bool handle_signals = false;
  // run() starts with preflight(). false: the caller ran it already, before opening what it
  // opens around the run (exporter, signal watcher: preflight's spare covers them), so they
  // are not counted twice at the limit.
  bool check_limits = true;
  // CLI --start-at: the wall-clock instant the run starts (t0), so shards started apart
  // run the same phases and search steps at the same times. run() sets everything up,
  // then waits for it (a stop request ends the wait). Empty: at once.
  std::optional<std::chrono::system_clock::time_point> start_at;
};

enum class ExitReason : std::uint8_t {
  Completed,       // the run reached its duration
  Interrupted,     // request_stop() or a signal
  RuntimeFailure,  // something failed during the run; see RunResult::failure
};
const char* to_string(ExitReason r) noexcept;

// One group's part of a phase (PhaseResult::groups, in group order).
struct GroupPhaseResult {
  device::StatsSnapshot stats;          // delta over the phase, the group's devices only
  double requested_publish_rate = 0.0;  // msg/s the group's devices of this shard should have sent
  double achieved_publish_rate = 0.0;
};

// One phase as it actually ran (times relative to run start).
struct PhaseResult {
  std::string name;
  scenario::PhaseType type = scenario::PhaseType::Steady;
  Seconds start{0};
  Seconds end{0};
  device::StatsSnapshot stats;  // delta over the phase (merged)
  double requested_publish_rate = 0.0;  // msg/s this shard should have sent in the phase
  double achieved_publish_rate = 0.0;   // msg/s it did send
  std::vector<GroupPhaseResult> groups;  // per group (scenario `groups`; one without)
};

// One group's figures over the whole run (RunResult::groups, in fleet index order).
struct GroupResult {
  std::string name;                 // groups[].name, "default" without groups
  std::string protocol;             // "mqtt311" | "mqtt5"
  std::string auth_mode;            // the group's auth mode name
  std::uint64_t fleet_devices = 0;  // the group's size in the whole fleet
  std::uint64_t devices = 0;        // of which in this shard
  device::StatsSnapshot stats;      // merged over the group's workers
  double requested_publish_rate = 0.0;
  double achieved_publish_rate = 0.0;
  std::vector<ConnectFailureCause> connect_failures;
};

// One point of the time series, sampled once per progress interval.
struct Sample {
  Seconds t{0};
  std::uint64_t connected = 0;
  double connects_per_s = 0.0;   // successful CONNACKs per second in the window
  double publishes_per_s = 0.0;  // PUBLISH packets sent per second
  double receives_per_s = 0.0;   // PUBLISH packets received per second
  std::uint64_t errors = 0;      // drops (any reason but Churn/Shutdown) in the window
  std::uint64_t local_limit_errors = 0;  // of which local limits, in the window
  double connect_failures_per_s = 0.0;  // connect attempts that ended without an accepting CONNACK
  double drops_per_s = 0.0;             // established connections lost (churn included)
  double reconnects_per_s = 0.0;        // reconnect attempts started
  std::uint64_t backing_off = 0;        // devices waiting for their reconnect delay, at the sample
  double bytes_sent_per_s = 0.0;        // MQTT bytes handed to the transports
  double bytes_received_per_s = 0.0;    // MQTT bytes received from them
  std::uint64_t in_flight = 0;          // QoS 1/2 publishes awaiting their ack, at the sample
  double publishes_requested_per_s = 0.0;  // what the plan asks of this shard over the window
  double cpu_cores = 0.0;               // fleetload's CPU seconds (user + system) per second: 1 = one core
  std::uint64_t rss_bytes = 0;          // fleetload's resident memory, at the sample
  // Latency distributions of the window (histogram deltas), sparse: the series' percentiles.
  metrics::SparseHistogram ack_latency;
  metrics::SparseHistogram e2e_latency;
  metrics::SparseHistogram connect_duration;
};

// A capacity search as it ran (phase type search): metrics::SearchReport.
using SearchResult = metrics::SearchReport;

struct RunResult {
  ExitReason exit_reason = ExitReason::Completed;
  std::string failure;  // RuntimeFailure: what went wrong; Interrupted: "SIGINT" etc.

  device::StatsSnapshot stats;  // merged over workers, whole run
  std::vector<GroupResult> groups;  // the same, per group; `stats` is their merge
  // The fleet's publish streams by id (scenario::stream_names): stats.stream_counts and the
  // groups' are indexed by these; the publishes per second each should reach in this shard.
  std::vector<std::string> streams;
  std::vector<double> stream_requested_rate;
  // Sharded runs with subscribers: the books across shards for report merge to settle.
  std::vector<device::PublisherSpan> publisher_spans;
  std::vector<device::ForeignBooks> foreign_books;
  // Every $share group's books (device/share_books.hpp), settled at the end of the run; their
  // lost (or not yet delivered) messages are in `stats` and the groups' stats too.
  std::vector<device::ShareGroupBooks> share_groups;
  std::vector<PhaseResult> phases;
  std::vector<Sample> series;
  std::optional<SearchResult> search;  // when the scenario has a search phase that started

  std::uint64_t devices = 0;  // devices in this shard
  unsigned threads = 0;
  // The wall-clock time of t0 (every time in the result is relative to it).
  std::chrono::system_clock::time_point started_at{};
  // The run id in every payload header (engine/run_id.hpp) and where it came from.
  std::uint32_t run_id = 0;
  std::string run_id_source;

  // End-of-run drain: how long the engine waited after the stop for deliveries and acks,
  // whether it gave up (run.drain_timeout) with deliveries still arriving, and the rate
  // they were arriving at then (msg/s, over the last second).
  Seconds drain{0};
  bool drain_timed_out = false;
  double delivery_rate_at_stop = 0.0;
  std::uint64_t peak_connected = 0;
  // From run start until every device of the shard was Connected at once; empty if never.
  std::optional<Seconds> time_to_all_connected;

  // Publish accounting over the publishing phases (steady/churn/storm and ramp).
  double requested_publish_rate = 0.0;  // msg/s for this shard, from the plan
  double achieved_publish_rate = 0.0;   // msg/s actually sent while publishing was due
  double publish_rate_error = 0.0;      // (achieved - requested) / requested; 0 if none requested

  // Errors told apart: we hit a local limit, a local fault of ours (an identity that cannot
  // be loaded, a CONNECT that cannot be encoded), or the broker (or the path to it) failed us.
  std::uint64_t local_limit_errors = 0;
  std::uint64_t local_errors = 0;
  std::uint64_t broker_errors = 0;

  // fleetload's own cost.
  Seconds wall{0};
  Seconds cpu_user{0};
  Seconds cpu_system{0};
  std::uint64_t peak_rss_bytes = 0;         // getrusage ru_maxrss
  std::uint64_t rss_before_devices = 0;     // VmRSS before the devices were created
  std::uint64_t rss_all_connected = 0;      // VmRSS when all were first connected (0 = never)
  std::uint64_t device_slot_bytes = 0;      // engine's fixed bytes per device (sizeof)

  // TLS (auth modes with TLS): failed attempts by reason (index = net::TlsFailure; each
  // is also a connect failure or drop with DropReason::ConnectFailed / SocketError),
  // completed handshakes, of which resumed, and the first identity loading error.
  std::array<std::uint64_t, net::kTlsFailureCount> tls_failures{};
  // TLS errors that ended connections after their CONNACK (drops, not connect failures).
  std::array<std::uint64_t, net::kTlsFailureCount> tls_drops{};
  std::uint64_t tls_handshakes = 0;
  std::uint64_t tls_resumed = 0;
  // Client-side CPU (the worker threads' CLOCK_THREAD_CPUTIME_ID inside SSL_do_handshake) of
  // the completed handshakes, full and resumed, in total.
  std::uint64_t tls_full_cpu_ns = 0;
  std::uint64_t tls_resumed_cpu_ns = 0;
  std::string tls_identity_error;
  // Every failed connect attempt's cause (TLS, identity, WebSocket, CONNACK refusal), the
  // non-zero ones in a stable order; identity failures split by reason here.
  std::vector<ConnectFailureCause> connect_failures;

  // WebSocket (websockets_* modes): failed attempts and drops by reason (index =
  // net::WsFailure; each is also a connect failure or drop), completed upgrades, and the
  // first failure as one secret-free line (query values withheld).
  std::array<std::uint64_t, net::kWsFailureCount> ws_failures{};
  std::array<std::uint64_t, net::kWsFailureCount> ws_drops{};  // after the CONNACK
  std::uint64_t ws_upgrades = 0;
  std::string ws_error;
};

// One reason the run cannot start, with the arithmetic.
struct LimitProblem {
  std::string what;       // "open files", "ephemeral ports per (source, endpoint)"
  std::uint64_t needed = 0;
  std::uint64_t available = 0;
  std::string advice;     // what to do: --shard, add source_addresses / endpoints ...
  std::string format() const;  // one line: what: need N, have M; advice
};

// The worker threads a run uses for RunOptions::threads (0 = one per core), at most one per
// device of the shard.
unsigned effective_threads(const scenario::Scenario& s, unsigned threads) noexcept;

// Raises RLIMIT_NOFILE soft to hard (as a side effect, once) and checks the shard against
// the descriptor limit (a descriptor per device, those open now, the event loops of
// `threads` workers as effective_threads() counts them, and a spare) and the ephemeral port
// range. Empty = fine.
std::vector<LimitProblem> preflight(const scenario::Scenario& s, unsigned threads = 0);
// Advice that does not refuse the run (for the CLI to print): e.g. more connections per
// (source address, endpoint) than half the ephemeral port range, beyond which Linux
// connect() slows sharply (it prefers even ports for connect and scans for a free one).
std::vector<std::string> preflight_warnings(const scenario::Scenario& s, unsigned threads = 0);

class Engine {
 public:
  // Resolves endpoints (numeric or by name) and builds the plan; throws std::runtime_error
  // naming the endpoint when a name does not resolve. Does not start anything. During the
  // run, named endpoints are looked up again every target.dns_refresh: a name that stops
  // resolving fails the attempts to it (counted as dns_failed), never the run.
  Engine(const scenario::Scenario& s, RunOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs preflight (refusing with RuntimeFailure and the problems as `failure` if any),
  // then the fleet, on the calling thread plus the workers. Returns when the run ends.
  RunResult run();

  // Thread-safe (not async-signal-safe: use handle_signals for signals). First call:
  // stop starting work, session.stop() everywhere, flush within shutdown_grace.
  // immediate (or a second call): close everything now and return what we have.
  void request_stop(bool immediate = false) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetload::engine
