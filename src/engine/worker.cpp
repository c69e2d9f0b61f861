// Worker: device I/O in reactor style on the thread's edge-triggered epoll loop, the timer
// wheel, ramp pacing, churn/storm, shutdown.
#include "engine/worker.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/error.hpp>

#include "device/fleet_plan.hpp"
#include "engine/pacing.hpp"

namespace fleetload::engine {

namespace {
constexpr int kReadsPerWake = 16;               // fairness: then yield to other devices
constexpr std::uint64_t kStartsPerTick = 512;   // bound a catch-up burst per timer wake
constexpr std::chrono::milliseconds kChurnPeriod{100};
}  // namespace

std::uint64_t Worker::wall_ns_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

Worker::Worker(const WorkerConfig& cfg, Notify notify)
    : cfg_(cfg),
      notify_(std::move(notify)),
      thread_(*cfg.thread),
      loop_(thread_.loop()),
      stats_(std::make_unique<device::ThreadStats>()),
      tcp_stats_(std::make_unique<TcpStats>(std::max<std::size_t>(1, cfg.endpoints->size()))),
      tls_stats_(std::make_unique<TlsStats>()),
      ws_stats_(std::make_unique<WsStats>()),
      ws_ctl_(thread_.ws_ctl),
      out_(thread_.out),
      splices_(thread_.splices),
      iov_(thread_.iov),
      read_buf_(thread_.read_buffer()),
      ctx_{.now = {}, .wall_ns = 0, .out = out_, .action = device::TransportAction::None,
           .stats = *stats_, .rng_state = cfg.rng_seed | 1} {
  const std::uint64_t mine = pacing::worker_devices(cfg.shard_devices, cfg.index, cfg.workers);
  base_ = thread_.attach(*this, mine, slot_);
  for (const auto& e : *cfg.endpoints) eps_.push_back({e, net::ConnectFailure::None});
  // Plain TCP: large shared payload bodies go out by scatter-gather, never copied. TLS and
  // WebSocket frame or encrypt contiguous bytes, so the session copies bodies into out_.
  if (cfg.presentation == nullptr && cfg.websocket == nullptr) ctx_.splices = &splices_;
  devices_.reserve(mine);
  start_end_ = mine;
  for (std::uint64_t local = 0; local < mine; ++local) {
    const std::uint64_t ordinal = pacing::ordinal_of(local, cfg.index, cfg.workers);
    const auto global = cfg.plan->device_index(ordinal);  // the group's ordinal-th device of the shard
    devices_.push_back(Device{device::Session(*cfg.plan, static_cast<std::uint32_t>(global)),
                              net::FdStream(), nullptr, nullptr, nullptr});
  }
}

Worker::~Worker() {
  for (const auto& [fd, since] : lingering_) ::close(fd);
}

std::size_t Worker::device_slot_bytes() noexcept { return sizeof(Device) + 16; }

void Worker::post_start(TimePoint ramp_start) {
  loop_.post([this, ramp_start] {
    started_ = true;
    ramp_start_ = ramp_start;
    thread_.on_tick();
  });
}

void Worker::post_phase(scenario::PhaseType type, double churn_share_per_second) {
  loop_.post([this, type, churn_share_per_second] {
    phase_ = type;
    churn_share_ = churn_share_per_second;
    churn_carry_ = 0.0;
    last_churn_ = Clock::now();
    if (quiet_) return;
    if (type == scenario::PhaseType::Storm) drop_connected(devices_.size());
    thread_.on_tick();
  });
}

void Worker::post_search_range(std::uint64_t first, std::uint64_t end, double rate) {
  loop_.post([this, first, end, rate] {
    if (quiet_) return;
    search_range(first, end, rate);
  });
}

void Worker::post_publish_scale(double scale) {
  loop_.post([this, scale] {
    if (quiet_) return;
    ctx_.publish_scale = scale;
    for (std::uint32_t id = 0; id < devices_.size(); ++id)
      call(id, [](device::Session& s, device::Context& c) { s.rescale_schedule(c); });
  });
}

// The first local id whose group ordinal is at least `ordinal` (ordinals of this worker are
// index, index + W, ...).
static std::uint64_t local_at_least(std::uint64_t ordinal, std::uint32_t index, std::uint32_t workers) {
  return ordinal <= index ? 0 : (ordinal - index + workers - 1) / workers;
}

void Worker::search_range(std::uint64_t first, std::uint64_t end, double rate) {
  const std::uint64_t n = devices_.size();
  const std::uint64_t lo = std::min(n, local_at_least(first, cfg_.index, cfg_.workers));
  const std::uint64_t hi = std::min(n, local_at_least(end, cfg_.index, cfg_.workers));
  for (std::uint64_t id = 0; id < n; ++id) {
    if (id >= lo && id < hi) continue;
    const auto st = devices_[id].session.state();
    if (st == device::State::Idle || st == device::State::Stopped) continue;
    call(static_cast<std::uint32_t>(id), [](device::Session& s, device::Context& c) { s.stop(c); });
  }
  // Devices of the range still running (a devices search going up) keep their connection;
  // the range is contiguous, so the ones to start follow them.
  std::uint64_t next = lo;
  while (next < hi) {
    const auto st = devices_[next].session.state();
    if (st == device::State::Idle || st == device::State::Stopped) break;
    ++next;
  }
  next_start_ = next;
  start_end_ = hi;
  cfg_.connect_rate = rate;
  const TimePoint now = Clock::now();
  // Paced from now: the next device's ordinal starts at once, the rest follow at `rate`.
  ramp_start_ = now - pacing::start_offset(pacing::ordinal_of(next, cfg_.index, cfg_.workers), rate);
  thread_.on_tick();
}

void Worker::post_quiesce() {
  loop_.post([this] {
    quiet_ = true;
    for (auto& d : devices_) d.session.stop_publishing();
  });
}

void Worker::post_collect(std::vector<std::uint64_t>* seq) {
  loop_.post([this, seq] {
    const auto& plan = *cfg_.plan;
    for (const auto& d : devices_) {
      for (std::size_t s = 0; s < plan.streams.size(); ++s) {
        const auto key = plan.stream_key(d.session.index(), plan.streams[s].id);
        if (key < seq->size()) (*seq)[key] = d.session.last_sequence(s);
      }
    }
    notify_(cfg_.index, WorkerEvent::Collected, Clock::now());
  });
}

void Worker::post_stop(const std::vector<std::uint64_t>* seq, bool still_arriving) {
  loop_.post([this, seq, still_arriving] {
    if (stopping_) return;
    quiet_ = stopping_ = true;
    if (seq != nullptr) {
      for (auto& d : devices_)
        if (d.session.state() != device::State::Idle && cfg_.plan->is_subscriber(d.session.index())) {
          d.session.finalize_receive(*stats_, *seq, still_arriving);
          if (cfg_.shard.n > 1) d.session.collect_foreign_books(*seq, wall_ns_now(), 0, foreign_);
        }
    }
    for (std::uint32_t id = 0; id < devices_.size(); ++id) {
      const auto st = devices_[id].session.state();
      if (st == device::State::Idle || st == device::State::Stopped) continue;
      call(id, [](device::Session& s, device::Context& c) { s.stop(c); });
    }
    check_drained();
  });
}

void Worker::post_abort() {
  loop_.post([this] {
    quiet_ = stopping_ = true;
    for (auto& d : devices_) close_transport(d);
    for (std::uint32_t id = 0; id < devices_.size(); ++id) thread_.wheel().cancel(base_ + id);
    check_drained();
  });
}

void Worker::post_endpoint(std::size_t e, const net::tcp::endpoint& addr, net::ConnectFailure dns) {
  loop_.post([this, e, addr, dns] {
    if (e >= eps_.size()) return;
    // A failed lookup keeps the last address: it is used again once the name resolves.
    if (dns == net::ConnectFailure::None) eps_[e].addr = addr;
    eps_[e].dns = dns;
  });
}

void Worker::post_shutdown() {
  loop_.post([this] {
    if (detached_) return;
    detached_ = quiet_ = stopping_ = true;
    for (auto& d : devices_) close_transport(d);
    for (std::uint32_t id = 0; id < devices_.size(); ++id) thread_.wheel().cancel(base_ + id);
    thread_.detach();
  });
}

void Worker::prepare(TimePoint now) { prepare(now, wall_ns_now()); }

void Worker::prepare(TimePoint now, std::uint64_t wall_ns) {
  ctx_.now = now;
  ctx_.wall_ns = wall_ns;
  ctx_.action = device::TransportAction::None;
  out_.clear();
  splices_.clear();
}

template <class F>
void Worker::call(std::uint32_t id, F&& f) {
  call_at(id, Clock::now(), wall_ns_now(), std::forward<F>(f));
}

template <class F>
void Worker::call_at(std::uint32_t id, TimePoint now, std::uint64_t wall_ns, F&& f) {
  prepare(now, wall_ns);
  f(devices_[id].session, ctx_);
  settle(id);
}

// Carries out what the session asked for: bytes to write, transport to open or close. A
// failure found here (open or write) goes back to the session as on_transport_down, which
// may ask for more; the loop is bounded because each round needs a new failure.
void Worker::settle(std::uint32_t id) {
  Device& d = devices_[id];
  for (int round = 0; round < 8; ++round) {
    const auto action = ctx_.action;
    ctx_.action = device::TransportAction::None;
    Down down;
    if (!out_.empty()) {
      if (d.stream.is_open() && !d.connecting) {
        net::error_code ec;
        if (!send(id, ec) && action != device::TransportAction::Close) {
          down = {true, transport_error(ec, established(id)), ec};
        }
      }
      out_.clear();
      splices_.clear();
    }
    if (down.pending) {
      close_transport(d);
    } else if (action == device::TransportAction::Close) {
      if (d.tail && d.stream.is_open()) {
        d.close_after_flush = true;
      } else {
        close_transport(d, true);
      }
    } else if (action == device::TransportAction::Open) {
      if (d.close_after_flush && d.stream.is_open()) d.open_after_flush = true;
      else open_transport(id, down);
    }
    if (!down.pending) break;
    prepare(Clock::now(), wall_ns_now());
    d.session.on_transport_down(ctx_, down.reason, down.ec);
  }
  rearm(id);
  check_all_connected();
  if (stopping_) check_drained();
}

bool Worker::send(std::uint32_t id, net::error_code& ec) {
  if (devices_[id].ws) net::WsConn::frame_binary(out_);  // one binary frame per batch
  return send_bytes(id, out_, splices_, ec);
}

bool Worker::send_bytes(std::uint32_t id, std::span<const std::uint8_t> bytes, std::span<const device::Splice> splices,
                        net::error_code& ec) {
  Device& d = devices_[id];
  if (d.tail) {
    d.tail->append(bytes, splices);
    return true;
  }
  std::size_t total = bytes.size();
  for (const auto& s : splices) total += s.bytes.size();
  std::size_t n = splices.empty() ? write_some(d, bytes, ec) : gather_write(d, bytes, splices, ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    ec.clear();
    n = 0;
  }
  if (ec) return false;
  if (n < total) {
    d.tail = std::make_unique<Tail>();
    d.tail->append(bytes, splices);
    d.tail->consume(n);
    arm_write(id);
  }
  return true;
}

std::size_t Worker::endpoint_of(std::uint32_t id) const noexcept {
  const std::uint64_t ordinal = pacing::ordinal_of(id, cfg_.index, cfg_.workers);
  return pacing::endpoint_of(ordinal, static_cast<std::uint32_t>(eps_.size()));
}

void Worker::count_connect(std::uint32_t id, net::ConnectFailure f) noexcept {
  if (f == net::ConnectFailure::None) return;
  tcp_stats_->by_endpoint[endpoint_of(id)][static_cast<std::size_t>(f)].add();
}

bool Worker::established(std::uint32_t id) const noexcept {
  return devices_[id].session.state() == device::State::Connected;
}

std::size_t Worker::gather_write(Device& d, std::span<const std::uint8_t> bytes,
                                 std::span<const device::Splice> splices, net::error_code& ec) {
  // At most 64 pieces to one sendmsg; the tail carries the rest.
  constexpr std::size_t kMaxIov = 64;
  const auto piece = [](const std::uint8_t* p, std::size_t n) { return iovec{const_cast<std::uint8_t*>(p), n}; };
  iov_.clear();
  std::size_t pos = 0;
  bool whole = true;
  for (const auto& s : splices) {
    if (iov_.size() + 2 > kMaxIov) {
      whole = false;
      break;
    }
    if (s.at > pos) iov_.push_back(piece(bytes.data() + pos, s.at - pos));
    iov_.push_back(piece(s.bytes.data(), s.bytes.size()));
    pos = s.at;
  }
  if (whole && pos < bytes.size()) iov_.push_back(piece(bytes.data() + pos, bytes.size() - pos));
  return d.stream.write_some(std::span<const iovec>(iov_), ec);
}

void Worker::Tail::append(std::span<const std::uint8_t> b, std::span<const device::Splice> sp) {
  const std::size_t base = bytes.size();
  bytes.insert(bytes.end(), b.begin(), b.end());
  for (const auto& s : sp) splices.push_back(device::Splice{base + s.at, s.bytes});
}

void Worker::Tail::consume(std::size_t n) {
  std::size_t first = 0;  // splices fully written
  while (n > 0) {
    const std::size_t lead = first < splices.size() ? splices[first].at : bytes.size();  // bytes before the next splice
    if (lead > 0) {
      const std::size_t k = std::min(n, lead);
      bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(k));
      for (std::size_t i = first; i < splices.size(); ++i) splices[i].at -= k;
      n -= k;
      continue;
    }
    if (first == splices.size()) break;  // nothing left (n beyond the end: not expected)
    auto& s = splices[first];
    const std::size_t k = std::min(n, s.bytes.size());
    s.bytes = s.bytes.subspan(k);
    n -= k;
    if (s.bytes.empty()) ++first;
  }
  splices.erase(splices.begin(), splices.begin() + static_cast<std::ptrdiff_t>(first));
}

void Worker::open_transport(std::uint32_t id, Down& down) {
  Device& d = devices_[id];
  close_transport(d);
  if (stopping_) {
    down = {true, device::DropReason::Shutdown, boost::asio::error::operation_aborted};
    return;
  }
  const std::uint64_t ordinal = pacing::ordinal_of(id, cfg_.index, cfg_.workers);
  const auto e = endpoint_of(id);
  const EndpointState& ep = eps_[e];
  if (ep.dns != net::ConnectFailure::None) {
    // The endpoint's name stopped resolving (the last refresh failed): this attempt fails
    // now, counted as a lookup failure of that endpoint, and backs off like any other.
    count_connect(id, ep.dns);
    down = {true, device::DropReason::ConnectFailed,
            ep.dns == net::ConnectFailure::NameNotResolved ? boost::asio::error::host_not_found
                                                           : boost::asio::error::host_not_found_try_again};
    return;
  }
  const auto& srcs = *cfg_.sources;
  const boost::asio::ip::address* src =
      srcs.empty() ? nullptr
                   : &srcs[pacing::source_of(ordinal, static_cast<std::uint32_t>(eps_.size()),
                                             static_cast<std::uint32_t>(srcs.size()))];
  net::error_code ec = d.stream.open(ep.addr, src);
  if (ec) {
    count_connect(id, net::connect_failure_of(ec));
    down = {true, net::is_local_limit(ec) ? device::DropReason::LocalLimit : device::DropReason::ConnectFailed, ec};
    return;
  }
  ++open_sockets_;
  d.tcp_up = false;
  if (cfg_.websocket != nullptr && !start_ws(d, e, down)) return;
  if (cfg_.presentation != nullptr && !start_tls(d, e, down)) return;
  d.connecting = true;
  d.connect_deadline = static_cast<std::uint32_t>(tick_of(ctx_.now + cfg_.connect_timeout));
  ec = d.stream.connect(ep.addr);
  // Registered once for the connection's life: the connect's end is its first writability.
  if (!ec) ec = loop_.watch(d.stream.native_handle(), tag(id));
  if (ec) {
    // Refused at once (a local limit such as EADDRNOTAVAIL, no route): reported after this
    // wake-up's events, as a connect that failed.
    loop_.defer([this, id, gen = d.gen, ec] { on_connected(id, gen, ec); });
  }
}

void Worker::sweep_lingering(TimePoint now) noexcept {
  // In the order they began, so the expired ones are at the front: a close costs only the
  // sockets it ends, not a walk of all that linger (an end of run closes every device).
  while (!lingering_.empty() && now - lingering_.front().second >= kLinger) {
    ::close(lingering_.front().first);
    lingering_.pop_front();
  }
}

void Worker::close_transport(Device& d, bool linger) {
  if (!d.stream.is_open()) return;
  sweep_lingering(Clock::now());
  if (d.ws) ws_end(d);  // close frame first, then TLS close_notify, then the socket
  if (d.tls) {
    // Before the socket closes: close_notify goes out on it.
    d.tls->end(cfg_.tls_resumption);
    if (!d.tls->has_session()) d.tls.reset();  // nothing to keep: no TLS memory while down
  }
  if (linger && d.tcp_up && !d.connecting) {
    // An orderly end (our DISCONNECT is written): a socket closed while the broker is still
    // sending (a claim connection's answers) ends in a reset, which throws away what we wrote
    // and the broker has not read yet, the DISCONNECT among it. So the socket sends its FIN
    // after our last bytes and is kept (released from the device, off the epoll set) for
    // kLinger before it is closed.
    // Off the epoll set first: the registration would outlive the device's descriptor.
    loop_.unwatch(d.stream.native_handle());
    const int held = d.stream.release();
    ::shutdown(held, SHUT_WR);
    lingering_.emplace_back(held, Clock::now());
  }
  d.stream.close();
  --open_sockets_;
  ++d.gen;
  d.tail.reset();
  d.connecting = d.tcp_up = d.in_ready = d.close_after_flush = d.open_after_flush = false;
  d.in_wait = d.out_wait = Wait::None;
}

void Worker::rearm(std::uint32_t id) {
  Device& d = devices_[id];
  TimerWheel::Tick at = tick_of(d.session.deadline());
  if (d.connecting) at = std::min<TimerWheel::Tick>(at, d.connect_deadline);
  if (at == TimerWheel::kNoTick) {
    thread_.wheel().cancel(base_ + id);
    return;
  }
  thread_.wheel().schedule(base_ + id, at);
  thread_.wake_by(at);
}

void Worker::wait_in(std::uint32_t id, Wait w, bool drained) {
  Device& d = devices_[id];
  if (!d.stream.is_open()) return;
  d.in_wait = w;
  if (drained) d.in_ready = false;
  if (!d.in_ready) return;  // the next edge runs it
  d.in_ready = false;
  loop_.defer([this, id, gen = d.gen] { fire(id, gen, &Device::in_wait); });
}

void Worker::wait_out(std::uint32_t id, Wait w) {
  Device& d = devices_[id];
  if (!d.stream.is_open()) return;
  // Every caller has just seen the socket full (a short write, would_block): writability
  // reported before that (it comes along with every readability report) is stale.
  d.out_wait = w;
}

void Worker::on_io(std::uint32_t id, std::uint16_t gen16, std::uint32_t events) {
  Device& d = devices_[id];
  if (static_cast<std::uint16_t>(d.gen) != gen16 || !d.stream.is_open()) return;  // an earlier connection's
  const std::uint32_t gen = d.gen;
  const bool broken = (events & (EPOLLERR | EPOLLHUP)) != 0;
  if (d.connecting && !d.tcp_up) {
    if ((events & EPOLLOUT) == 0 && !broken) return;
    on_connected(id, gen, d.stream.connect_result());
    if (d.gen != gen || !d.stream.is_open()) return;
  }
  // Writes first: a read's handler may write, and then wants to know only of later room.
  if ((events & EPOLLOUT) != 0 || broken) {
    if (d.out_wait != Wait::None) fire(id, gen, &Device::out_wait);
    if (d.gen != gen || !d.stream.is_open()) return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP)) != 0 || broken) {
    if (d.in_wait != Wait::None) fire(id, gen, &Device::in_wait);
    else d.in_ready = true;
  }
}

void Worker::fire(std::uint32_t id, std::uint32_t gen, Wait Device::*which) {
  Device& d = devices_[id];
  const Wait w = d.*which;
  if (d.gen != gen || w == Wait::None) return;
  d.*which = Wait::None;
  run_wait(id, gen, w);
}

void Worker::run_wait(std::uint32_t id, std::uint32_t gen, Wait w) {
  switch (w) {
    case Wait::Read: return on_readable(id, gen);
    case Wait::Write: return on_writable(id, gen);
    case Wait::Tls: return on_tls_io(id, gen);
    case Wait::Ws: return on_ws_io(id, gen);
    case Wait::None: return;
  }
}

void Worker::on_connected(std::uint32_t id, std::uint32_t gen, const net::error_code& ec) {
  Device& d = devices_[id];
  if (gen != d.gen || !d.connecting) return;
  d.connecting = false;
  const TimePoint now = Clock::now();
  if (ec) {
    count_connect(id, net::connect_failure_of(ec));
    fail_connect(id, ec);
    return;
  }
  d.tcp_up = true;
  // The start is known to the tick (1 ms) from the deadline: enough for a histogram whose
  // interesting values are the slow tail; a sub-tick connect is recorded as 0.
  const TimePoint began = time_of(d.connect_deadline) - cfg_.connect_timeout;
  ctx_.stats.tcp_connect.record(now > began ? static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - began).count()) : 0);
  if (d.tls && d.tls->active()) {
    d.connecting = true;  // until the handshake is done; the connect deadline still holds
    d.tls->started = now;
    tls_step(id);
    return;
  }
  transport_up(id);
}

void Worker::fail_connect(std::uint32_t id, const net::error_code& ec) {
  Device& d = devices_[id];
  d.connecting = false;
  close_transport(d);
  const auto why = net::is_local_limit(ec) ? device::DropReason::LocalLimit : device::DropReason::ConnectFailed;
  call(id, [&](device::Session& s, device::Context& c) { s.on_transport_down(c, why, ec); });
}

void Worker::connect_timed_out(std::uint32_t id) {
  Device& d = devices_[id];
  // The one deadline covers TCP, then TLS, then the WebSocket upgrade: name the stage.
  if (!d.tcp_up) {
    count_connect(id, net::ConnectFailure::Timeout);
  } else if (d.tls && d.tls->active() && !d.tls->handshake_done()) {
    tls_stats_->failures[static_cast<std::size_t>(net::TlsFailure::HandshakeTimeout)].add();
  } else if (d.ws && !d.ws->upgraded()) {
    ws_stats_->failures[static_cast<std::size_t>(net::WsFailure::UpgradeTimeout)].add();
  }
  close_transport(d);
  const std::error_code ec = std::make_error_code(std::errc::timed_out);
  call(id, [&](device::Session& s, device::Context& c) {
    s.on_transport_down(c, device::DropReason::ConnectFailed, ec);
  });
}

void Worker::transport_up(std::uint32_t id) {
  Device& d = devices_[id];
  if (d.ws && !d.ws->upgraded()) {  // TCP/TLS is up: the WebSocket upgrade comes first
    d.connecting = true;            // until the upgrade is done; the connect deadline holds
    d.ws->started = Clock::now();
    ws_write_request(id);
    return;
  }
  const std::uint32_t gen = d.gen;
  call(id, [](device::Session& s, device::Context& c) { s.on_transport_up(c); });
  if (d.gen == gen && d.stream.is_open() && !d.close_after_flush) arm_read(id);
}

void Worker::on_readable(std::uint32_t id, std::uint32_t gen) {
  Device& d = devices_[id];
  if (gen != d.gen) return;
  bool drained = false;  // read to empty: only a new edge can bring more
  for (int i = 0; i < kReadsPerWake; ++i) {
    net::error_code rec;
    bool want_write = false;
    const bool tls = d.tls && d.tls->active();
    const std::size_t n = tls ? d.tls->read_some(read_buf_, rec, want_write) : d.stream.read_some(read_buf_, rec);
    if (rec == boost::asio::error::would_block || rec == boost::asio::error::try_again) {
      if (want_write) {
        // OpenSSL must write (a TLS 1.3 key update) before it can read on.
        wait_out(id, Wait::Read);
        return;
      }
      drained = true;
      break;
    }
    if (rec || n == 0) {
      // After an accepting CONNACK this is a drop, whatever TLS says (a broker that restarts
      // or closes without close_notify); before it, a failed connect attempt.
      const bool up = established(id);
      close_transport(d);
      const auto why = transport_error(rec, up);
      const std::error_code sec = rec ? std::error_code(rec) : std::make_error_code(std::errc::connection_reset);
      call(id, [&](device::Session& s, device::Context& c) { s.on_transport_down(c, why, sec); });
      return;
    }
    if (d.ws) {
      if (!ws_data(id, gen, std::span<std::uint8_t>(read_buf_.data(), n))) return;
    } else {
      call(id, [&](device::Session& s, device::Context& c) {
        s.on_data(c, std::span<const std::uint8_t>(read_buf_.data(), n));
      });
    }
    if (d.gen != gen || !d.stream.is_open()) return;
    if (!tls && n < read_buf_.size()) {  // a short read takes all the socket had
      drained = true;
      break;
    }
  }
  if (d.gen != gen || !d.stream.is_open() || d.close_after_flush) return;
  if (d.tls && d.tls->active() && d.tls->has_pending()) {
    // Plaintext already inside OpenSSL: no readiness event would announce it.
    drained = false;
  }
  // Not drained (the fairness bound, or OpenSSL holding plaintext): the edge that brought
  // it will not come again, so the read goes on after the other devices' events.
  if (!drained) devices_[id].in_ready = true;
  arm_read(id, drained);
}

void Worker::on_writable(std::uint32_t id, std::uint32_t gen) {
  Device& d = devices_[id];
  if (gen != d.gen || !d.tail) return;
  net::error_code wec;
  const std::size_t n = d.tail->splices.empty() ? write_some(d, d.tail->bytes, wec)
                                                : gather_write(d, d.tail->bytes, d.tail->splices, wec);
  if (wec == boost::asio::error::would_block || wec == boost::asio::error::try_again) {
    arm_write(id);
    return;
  }
  if (wec) {
    if (d.close_after_flush) return finish_close_after_flush(id);
    const bool up = established(id);
    close_transport(d);
    const auto why = transport_error(wec, up);
    call(id, [&](device::Session& s, device::Context& c) { s.on_transport_down(c, why, wec); });
    return;
  }
  d.tail->consume(n);
  if (!d.tail->empty()) {
    arm_write(id);
    return;
  }
  d.tail.reset();  // release: an idle device holds no write buffer
  if (d.close_after_flush) finish_close_after_flush(id);
}

void Worker::finish_close_after_flush(std::uint32_t id) {
  Device& d = devices_[id];
  const bool reopen = d.open_after_flush;
  close_transport(d, true);
  if (reopen) {
    // What settle() would have done at the session's request: open, and report a failure.
    prepare(Clock::now(), wall_ns_now());
    ctx_.action = device::TransportAction::Open;
    settle(id);
    return;
  }
  if (stopping_) check_drained();
}

void Worker::on_wheel(std::uint32_t id, TimePoint now, std::uint64_t wall_ns) {
  Device& d = devices_[id];
  if (d.connecting && tick_of(now) >= d.connect_deadline) {
    connect_timed_out(id);
    return;
  }
  if (d.session.deadline() <= now) {
    call_at(id, now, wall_ns, [](device::Session& s, device::Context& c) { s.on_timer(c); });
    return;
  }
  rearm(id);
}

void Worker::on_tick(TimePoint now) {
  if (!started_ || quiet_) return;
  start_due(now);
  if (phase_ == scenario::PhaseType::Churn) churn(now);
}

TimerWheel::Tick Worker::next_tick() const noexcept {
  TimerWheel::Tick next = TimerWheel::kNoTick;
  if (!started_ || quiet_) return next;
  if (next_start_ < start_end_) {
    const auto ord = pacing::ordinal_of(next_start_, cfg_.index, cfg_.workers);
    next = tick_of(ramp_start_ + pacing::start_offset(ord, cfg_.connect_rate));
  }
  if (phase_ == scenario::PhaseType::Churn && churn_share_ > 0)
    next = std::min(next, tick_of(last_churn_ + kChurnPeriod));
  return next;
}

void Worker::start_due(TimePoint now) {
  std::uint64_t started = 0;
  while (next_start_ < start_end_ && started < kStartsPerTick) {
    const auto ord = pacing::ordinal_of(next_start_, cfg_.index, cfg_.workers);
    if (ramp_start_ + pacing::start_offset(ord, cfg_.connect_rate) > now) break;
    const auto id = static_cast<std::uint32_t>(next_start_++);
    Device& d = devices_[id];
    if (d.session.state() == device::State::Stopped) {
      // Stopped by an earlier search step (a step ago: its DISCONNECT is long written):
      // it comes back as a new session of the same device (same client id and identity).
      close_transport(d);
      d.session = device::Session(*cfg_.plan, d.session.index());
    }
    call(id, [](device::Session& s, device::Context& c) { s.start(c); });
    ++started;
  }
  if (started == kStartsPerTick && next_start_ < start_end_) {
    // Behind schedule (all-at-once or a stalled thread): come back at once, after I/O.
    loop_.defer([this] {
      if (!quiet_) start_due(Clock::now());
      arm_timer();
    });
  }
}

void Worker::churn(TimePoint now) {
  if (now < last_churn_ + kChurnPeriod) return;
  const double dt = std::chrono::duration<double>(now - last_churn_).count();
  last_churn_ = now;
  const auto connected = static_cast<std::uint64_t>(std::max<std::int64_t>(0, ctx_.stats.connected.load()));
  drop_connected(pacing::churn_quota(churn_share_, connected, dt, churn_carry_));
}

// Drops up to `limit` Connected devices, continuing round-robin from the last one dropped
// so churn spreads over the whole fleet.
void Worker::drop_connected(std::uint64_t limit) {
  const std::uint64_t n = devices_.size();
  for (std::uint64_t seen = 0; seen < n && limit > 0; ++seen) {
    const auto id = static_cast<std::uint32_t>(churn_cursor_);
    churn_cursor_ = (churn_cursor_ + 1) % n;
    if (devices_[id].session.state() != device::State::Connected) continue;
    call(id, [](device::Session& s, device::Context& c) { s.drop(c); });
    --limit;
  }
}

void Worker::check_all_connected() {
  if (all_connected_sent_ || devices_.empty()) return;
  if (ctx_.stats.connected.load() < static_cast<std::int64_t>(devices_.size())) return;
  all_connected_sent_ = true;
  notify_(cfg_.index, WorkerEvent::AllConnected, Clock::now());
}

void Worker::check_drained() {
  if (drained_sent_ || open_sockets_ != 0) return;
  drained_sent_ = true;
  notify_(cfg_.index, WorkerEvent::Drained, Clock::now());
}

}  // namespace fleetload::engine
