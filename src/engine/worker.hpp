// One (device group, slice): the devices pinned to it, their sockets and deadlines.
//
// As h2load's Worker owns its Clients, a Worker owns a slice of a group's devices for the
// whole run. It runs on a WorkerThread (worker_thread.hpp) shared with the other groups'
// Workers of that thread: their io_context, timer wheel and scratch buffers. Everything
// here runs on that thread except the post_*() entry points (which only post) and stats()
// (readable from any thread by design).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <deque>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "auth/tls_identity.hpp"
#include "device/books_exchange.hpp"
#include "device/session.hpp"
#include "device/stats.hpp"
#include "engine/engine.hpp"
#include "engine/timer_wheel.hpp"
#include "engine/worker_thread.hpp"
#include "net/fd_stream.hpp"
#include "net/tcp_stream.hpp"
#include "net/tls_stream.hpp"
#include "net/ws_stream.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::device { class FleetPlan; }
namespace fleetload::auth {
class CredentialsProvider;
class FleetPresentation;
class TlsContextCache;
}  // namespace fleetload::auth

namespace fleetload::engine {

struct WorkerConfig {
  WorkerThread* thread = nullptr;  // where it runs (the io_context, wheel and scratch)
  std::uint32_t index = 0;    // this worker: slice `index` of its group
  std::uint32_t workers = 1;  // W: the group's slices
  std::uint64_t shard_devices = 0;  // m: ordinals 0..m-1 of the shard
  scenario::Shard shard;            // k/n: global index = k + ordinal * n
  const device::FleetPlan* plan = nullptr;
  const std::vector<net::tcp::endpoint>* endpoints = nullptr;
  const std::vector<boost::asio::ip::address>* sources = nullptr;  // empty = OS chooses
  double connect_rate = 0.0;  // this shard's devices per second (0 = all at once)
  std::chrono::milliseconds connect_timeout{5000};
  std::uint64_t rng_seed = 1;
  // TLS under MQTT (auth modes with tls): who each device is and the shared SSL_CTXs.
  // Null for plain TCP: devices then own no TLS state at all.
  auth::FleetPresentation* presentation = nullptr;
  auth::TlsContextCache* tls_contexts = nullptr;
  const std::vector<scenario::Endpoint>* targets = nullptr;  // parallel to endpoints
  bool tls_resumption = false;  // keep each device's session for its next handshake
  // WebSocket auth modes (worker_ws.cpp): the upgrade request per device, SigV4 credentials
  // (websockets_with_default_aws_signing only). Null otherwise: no WebSocket state at all.
  auth::FleetPresentation* websocket = nullptr;
  auth::CredentialsProvider* aws_credentials = nullptr;
};

// TCP connect and name lookup failures of one worker, by endpoint (index into the
// scenario's target.endpoints) and net::ConnectFailure (single writer: the worker thread).
// Sized once, before the thread starts: other threads may read it at any time.
struct TcpStats {
  explicit TcpStats(std::size_t endpoints) : by_endpoint(endpoints) {}
  std::vector<std::array<device::Counter, net::kConnectFailureCount>> by_endpoint;
};

// TLS outcomes of one worker (single writer: the worker thread).
struct TlsStats {
  // Failed connect attempts by net::TlsFailure: the attempt never reached an accepting
  // CONNACK. TLS errors that end an established connection are drops, counted apart.
  std::array<device::Counter, net::kTlsFailureCount> failures;
  std::array<device::Counter, net::kTlsFailureCount> drops;
  // Failures::Identity split by auth::TlsIdentityFailure (wrong_pin, wrong_password, ...).
  std::array<device::Counter, auth::kTlsIdentityFailureCount> identity;
  device::Counter handshakes;  // completed
  device::Counter resumed;     // of which resumed a session
  // Client CPU (this thread, ns) spent in the completed handshakes, full and resumed apart.
  device::Counter full_cpu_ns;
  device::Counter resumed_cpu_ns;
};

// WebSocket outcomes of one worker (single writer: the worker thread).
struct WsStats {
  std::array<device::Counter, net::kWsFailureCount> failures;  // failed attempts, by net::WsFailure
  std::array<device::Counter, net::kWsFailureCount> drops;     // ended established connections
  device::Counter upgrades;  // completed
};

// What a worker tells the control thread (called on the worker thread; the receiver posts).
enum class WorkerEvent : std::uint8_t {
  AllConnected,  // every device of this worker is Connected (first time only)
  Collected,     // post_collect() done: its devices' last sequence numbers are written
  Drained,       // after post_stop(): no socket is open any more
};

class Worker {
 public:
  using Notify = std::function<void(std::uint32_t worker, WorkerEvent, TimePoint)>;

  Worker(const WorkerConfig& cfg, Notify notify);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // From the control thread.
  void post_start(TimePoint ramp_start);
  void post_phase(scenario::PhaseType type, double churn_share_per_second);
  // A capacity-search step (phase type search): only this worker's devices whose group
  // ordinal lies in [first, end) may run from now on. Those outside that are running stop
  // cleanly (DISCONNECT, no reconnect); those inside that are not running start, paced at
  // `rate` per second (this group's share of it) from the call on. A device stopped by an
  // earlier step starts again as a fresh session (docs/scenario.md "Capacity search").
  void post_search_range(std::uint64_t first, std::uint64_t end, double rate);
  // Every stream of every device at `scale` times its scenario rate (0 pauses them).
  void post_publish_scale(double scale);
  // Graceful end, in three steps driven by the control thread:
  // quiesce: no new starts or churn, every session stops publishing (in-flight acks and
  //   deliveries may still arrive);
  // collect: write each device's last_sequence() into seq[fleet index], then Collected;
  // stop: subscribers finalize loss against `seq` (may be null), session.stop() everywhere
  //   (DISCONNECT normal), then Drained once every socket is closed.
  void post_quiesce();
  void post_collect(std::vector<std::uint64_t>* seq);
  // `still_arriving`: the drain timed out with deliveries still coming in, so what is
  // missing counts as not yet delivered rather than lost.
  void post_stop(const std::vector<std::uint64_t>* seq, bool still_arriving = false);
  void post_abort();     // close every socket now
  // A fresh lookup of endpoint `e` (target.dns_refresh): later attempts use `addr`, or fail
  // at once with `dns` (NameNotResolved / ResolutionFailed) while the name does not resolve.
  void post_endpoint(std::size_t e, const net::tcp::endpoint& addr, net::ConnectFailure dns);
  void post_shutdown();  // detach from the thread (the last one to do so ends its run())

  const device::ThreadStats& stats() const noexcept { return *stats_; }
  const TlsStats& tls_stats() const noexcept { return *tls_stats_; }
  const TcpStats& tcp_stats() const noexcept { return *tcp_stats_; }
  // The first TLS identity loading error of this worker (names files, never secrets);
  // read after run() has returned.
  const std::string& tls_identity_error() const noexcept { return tls_identity_error_; }
  const WsStats& ws_stats() const noexcept { return *ws_stats_; }
  // The first WebSocket failure of this worker, as one secret-free line; read after run().
  const std::string& ws_error() const noexcept { return ws_error_; }
  // Fixed bytes per device in the engine (slot incl. Session handle and socket, wheel node);
  // the session's own heap and the kernel/reactor state come on top.
  static std::size_t device_slot_bytes() noexcept;
  std::uint64_t device_count() const noexcept { return devices_.size(); }
  // Sharded runs, once stopped: its subscribers' books of other shards' publishers (group 0:
  // the engine names the group).
  const std::vector<device::ForeignBooks>& foreign_books() const noexcept { return foreign_; }

 private:
  friend class WorkerThread;  // drives on_io(), on_wheel(), on_tick(), next_tick()
  static std::uint64_t wall_ns_now();

  // What a device could not write yet: packet bytes with shared payload bodies spliced in
  // (plain TCP only; bodies are referenced, never copied). Allocated only while non-empty.
  struct Tail {
    std::vector<std::uint8_t> bytes;
    std::vector<device::Splice> splices;  // at = offset into bytes, ascending
    void append(std::span<const std::uint8_t> b, std::span<const device::Splice> sp);
    void consume(std::size_t n);  // drops the first n bytes of the stream
    bool empty() const noexcept { return bytes.empty() && splices.empty(); }
  };
  // What a device waits for readiness to do, reading or writing (at most one each).
  enum class Wait : std::uint8_t {
    None,
    Read,   // on_readable (also on writability: OpenSSL must write before it reads on)
    Write,  // on_writable: the unsent tail
    Tls,    // on_tls_io: the handshake
    Ws,     // on_ws_io: the upgrade
  };
  struct Device {
    device::Session session;
    net::FdStream stream;  // registered once with the thread's epoll set, edge-triggered
    std::unique_ptr<Tail> tail;  // unsent bytes; null when drained
    // TLS state: while connected, and between connections when a session is kept.
    std::unique_ptr<net::TlsConn> tls;
    std::unique_ptr<net::WsConn> ws;  // WebSocket modes, while a transport is open
    std::uint32_t gen = 0;               // bumps on close: stale handlers see a mismatch
    std::uint32_t connect_deadline = 0;  // wheel tick while connecting
    bool connecting = false;
    bool tcp_up = false;  // the TCP connect of the current attempt completed
    Wait in_wait = Wait::None;   // for readability
    Wait out_wait = Wait::None;  // for writability
    // Readiness the kernel reported while nothing waited for it (edge-triggered: it is not
    // reported again until the next change), kept until a wait takes it.
    // Writability needs no such flag: a wait for it always follows a short write, so what
    // was reported before is stale.
    bool in_ready = false;
    bool close_after_flush = false;
    // The session asked for a new connection while this one still flushes its last bytes
    // (a DISCONNECT behind a full socket buffer): opened once the flush ends, never by
    // cutting it short (a truncated TLS record is a protocol error at the broker).
    bool open_after_flush = false;
  };
  // Where device attempts go: the address last resolved, or why the name does not resolve.
  struct EndpointState {
    net::tcp::endpoint addr;
    net::ConnectFailure dns = net::ConnectFailure::None;
  };
  struct Down {
    bool pending = false;
    device::DropReason reason = device::DropReason::None;
    net::error_code ec;
  };

  TimerWheel::Tick tick_of(TimePoint tp) const noexcept { return thread_.tick_of(tp); }
  TimePoint time_of(TimerWheel::Tick t) const noexcept { return thread_.time_of(t); }
  void prepare(TimePoint now);  // reads the wall clock
  void prepare(TimePoint now, std::uint64_t wall_ns);
  // Runs f(session, ctx) for device id and carries out what the session asked for.
  template <class F>
  void call(std::uint32_t id, F&& f);
  // The same at a time already read (timer-wheel fires share one clock read per few fires).
  template <class F>
  void call_at(std::uint32_t id, TimePoint now, std::uint64_t wall_ns, F&& f);
  void settle(std::uint32_t id);
  bool send(std::uint32_t id, net::error_code& ec);
  bool send_bytes(std::uint32_t id, std::span<const std::uint8_t> bytes, std::span<const device::Splice> splices,
                  net::error_code& ec);
  // One writev of bytes with the splices in place (at most kMaxIov pieces: a prefix).
  std::size_t gather_write(Device& d, std::span<const std::uint8_t> bytes, std::span<const device::Splice> splices,
                           net::error_code& ec);
  void open_transport(std::uint32_t id, Down& down);
  // The old connection's flush ended (or failed): closes it, then opens the new one when the
  // session asked for it meanwhile (open_after_flush).
  void finish_close_after_flush(std::uint32_t id);
  // `linger`: an orderly close after our last bytes (a DISCONNECT): FIN after them, the
  // socket kept kLinger before its descriptor closes (sweep_lingering).
  void close_transport(Device& d, bool linger = false);
  void sweep_lingering(TimePoint now) noexcept;
  static constexpr std::chrono::milliseconds kLinger{1000};
  std::deque<std::pair<int, TimePoint>> lingering_;  // oldest first
  void rearm(std::uint32_t id);
  // Waits for readability (writability) to run `w`. `drained`: the caller has just seen the
  // socket empty (full), so readiness reported before that is stale. Readiness already
  // reported and not stale runs `w` after this wake-up's events (never inside the caller).
  void wait_in(std::uint32_t id, Wait w, bool drained);
  void wait_out(std::uint32_t id, Wait w);
  void arm_read(std::uint32_t id, bool drained = false) { wait_in(id, Wait::Read, drained); }
  void arm_write(std::uint32_t id) { wait_out(id, Wait::Write); }
  // The thread's loop reported `events` for device id (generation low 16 bits `gen`).
  void on_io(std::uint32_t id, std::uint16_t gen, std::uint32_t events);
  // The tag of device id's current descriptor: Worker slot, generation low 16 bits, id.
  std::uint64_t tag(std::uint32_t id) const noexcept {
    return (std::uint64_t{slot_} << 48) | (std::uint64_t{devices_[id].gen & 0xffffU} << 32) | id;
  }
  // Runs the wait `which` (&Device::in_wait or out_wait) holds, if the connection is still gen.
  void fire(std::uint32_t id, std::uint32_t gen, Wait Device::*which);
  void run_wait(std::uint32_t id, std::uint32_t gen, Wait w);
  void on_connected(std::uint32_t id, std::uint32_t gen, const net::error_code& ec);
  bool start_tls(Device& d, std::uint64_t endpoint, Down& down);
  void tls_step(std::uint32_t id);
  void on_tls_io(std::uint32_t id, std::uint32_t gen);
  void fail_connect(std::uint32_t id, const net::error_code& ec);
  std::size_t endpoint_of(std::uint32_t id) const noexcept;
  void count_connect(std::uint32_t id, net::ConnectFailure f) noexcept;
  // The deadline of a connect attempt passed: counted by the stage it was in.
  void connect_timed_out(std::uint32_t id);
  // Whether the session had an accepting CONNACK: a transport failure then is a drop.
  bool established(std::uint32_t id) const noexcept;
  void transport_up(std::uint32_t id);  // on_transport_up, then reads
  void count_tls(const net::error_code& ec, bool established) noexcept;
  // A transport that failed under a device: counts its TLS cause and says how the session
  // books it (a local limit, a failed connect for a certificate the broker refused after
  // the TLS 1.3 handshake, else a socket error).
  device::DropReason transport_error(const net::error_code& ec, bool established) noexcept;
  // WebSocket (worker_ws.cpp).
  bool start_ws(Device& d, std::uint64_t endpoint, Down& down);
  void ws_write_request(std::uint32_t id);
  void ws_read_response(std::uint32_t id);
  void on_ws_io(std::uint32_t id, std::uint32_t gen);
  bool ws_data(std::uint32_t id, std::uint32_t gen, std::span<std::uint8_t> bytes);
  void ws_fail(std::uint32_t id, const net::error_code& ec, const std::string& what);
  void ws_end(Device& d);
  std::size_t write_some(Device& d, std::span<const std::uint8_t> buf, net::error_code& ec);
  void on_readable(std::uint32_t id, std::uint32_t gen);
  void on_writable(std::uint32_t id, std::uint32_t gen);
  void on_wheel(std::uint32_t id, TimePoint now, std::uint64_t wall_ns);
  // Starts loading device id's state ahead of its on_wheel (TimerWheel::advance's ahead).
  // Every 64-byte line the slot touches: slots are not line-aligned, so from the line its
  // first byte is in to the one its last byte is in.
  void prefetch(std::uint32_t id) const noexcept {
    const auto first = reinterpret_cast<std::uintptr_t>(&devices_[id]) & ~std::uintptr_t{63};
    const auto end = reinterpret_cast<std::uintptr_t>(&devices_[id] + 1);
    for (std::uintptr_t a = first; a < end; a += 64) __builtin_prefetch(reinterpret_cast<const void*>(a));
  }
  void on_tick(TimePoint now);              // starts and churn due by now
  TimerWheel::Tick next_tick() const noexcept;  // when those are next due (kNoTick: never)
  void arm_timer() { thread_.arm_timer(); }
  void start_due(TimePoint now);
  void search_range(std::uint64_t first, std::uint64_t end, double rate);
  void churn(TimePoint now);
  void drop_connected(std::uint64_t limit);
  void check_all_connected();
  void check_drained();

  WorkerConfig cfg_;
  Notify notify_;
  WorkerThread& thread_;
  EventLoop& loop_;  // the thread's
  std::unique_ptr<device::ThreadStats> stats_;
  std::vector<EndpointState> eps_;
  std::unique_ptr<TcpStats> tcp_stats_;
  std::unique_ptr<TlsStats> tls_stats_;
  std::string tls_identity_error_;
  std::unique_ptr<WsStats> ws_stats_;
  std::string ws_error_;
  // The thread's scratch, empty between handlers (worker_thread.hpp).
  std::vector<std::uint8_t>& ws_ctl_;  // control frames to send (pong, close)
  std::vector<std::uint8_t>& out_;
  std::vector<device::Splice>& splices_;  // shared payload bodies of out_ (plain TCP fleets)
  std::vector<iovec>& iov_;  // gather_write's scratch
  std::span<std::uint8_t> read_buf_;
  device::Context ctx_;
  std::vector<Device> devices_;
  std::vector<device::ForeignBooks> foreign_;
  std::uint32_t base_ = 0;  // device id i is id base_ + i on the thread's wheel
  std::uint16_t slot_ = 0;  // this Worker's place on its thread (event tags)

  // Ramp.
  bool started_ = false;
  TimePoint ramp_start_{};
  std::uint64_t next_start_ = 0;  // local id of the next device to start
  std::uint64_t start_end_ = 0;   // local ids from here on are not started (search steps)

  // Phases.
  scenario::PhaseType phase_ = scenario::PhaseType::Ramp;
  double churn_share_ = 0.0;
  double churn_carry_ = 0.0;
  TimePoint last_churn_{};
  std::uint64_t churn_cursor_ = 0;

  std::uint64_t open_sockets_ = 0;
  bool quiet_ = false;     // no new starts, no churn
  bool stopping_ = false;  // no new transports either
  bool drained_sent_ = false;
  bool all_connected_sent_ = false;
  bool detached_ = false;  // post_shutdown() done
};

// The causes of failed connect attempts so far (worker_tls.cpp): the workers' TCP and name
// lookup failures by endpoint (named by `endpoint_names`, parallel to target.endpoints), TLS,
// identity and WebSocket failures (read from their counters: any thread), the CONNECTs that
// could not be encoded and the CONNACK refusals of `total`, with CONNACK codes named for
// protocol `v`.
std::vector<ConnectFailureCause> connect_failure_causes(const std::vector<Worker*>& workers,
                                                        const device::StatsSnapshot& total, mqtt::Version v,
                                                        const std::vector<std::string>& endpoint_names);

}  // namespace fleetload::engine
