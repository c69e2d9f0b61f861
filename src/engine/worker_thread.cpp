// WorkerThread: the event loop, timer wheel and scratch shared by the Workers of a thread.
#include "engine/worker_thread.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/worker.hpp"

namespace fleetload::engine {

namespace {
constexpr std::chrono::milliseconds kTick{1};
// Timer-wheel fires in one tick share a clock read for this many fires (two vDSO reads per
// fire were ~5 % of a publish's user time); 16 fires take a few microseconds, far below the
// latency histograms' resolution.
constexpr std::uint32_t kFiresPerClockRead = 16;
}  // namespace

WorkerThread::WorkerThread(std::uint64_t devices)
    : wheel_(static_cast<std::uint32_t>(std::max<std::uint64_t>(1, devices))),
      epoch_(Clock::now()),
      read_buf_(new std::uint8_t[kReadBuffer]) {
  out.reserve(16 * 1024);
}

WorkerThread::~WorkerThread() = default;

std::uint32_t WorkerThread::attach(Worker& w, std::uint64_t devices, std::uint16_t& slot) {
  if (next_base_ + devices > wheel_.capacity())
    throw std::logic_error("WorkerThread: more devices attached than the wheel holds");
  if (workers_.size() > 0xffff) throw std::logic_error("WorkerThread: more than 65,536 Workers on one thread");
  slot = static_cast<std::uint16_t>(workers_.size());
  const std::uint32_t base = next_base_;
  workers_.push_back(&w);
  bases_.push_back(base);
  next_base_ += static_cast<std::uint32_t>(devices);
  ++live_;
  return base;
}

void WorkerThread::detach() {
  if (live_ == 0 || --live_ != 0) return;
  loop_.set_deadline(EventLoop::kNoDeadline);
  loop_.stop();
}

void WorkerThread::run() { loop_.run(*this); }

void WorkerThread::on_io(std::uint64_t tag, std::uint32_t events) {
  workers_[tag >> 48]->on_io(static_cast<std::uint32_t>(tag), static_cast<std::uint16_t>(tag >> 32), events);
}

void WorkerThread::on_deadline() { on_tick(); }

TimerWheel::Tick WorkerThread::tick_of(TimePoint tp) const noexcept {
  if (tp == device::kNever) return TimerWheel::kNoTick;
  if (tp <= epoch_) return 0;
  // Round up: the wheel may fire late, never early.
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp - epoch_).count();
  const auto per = std::chrono::duration_cast<std::chrono::nanoseconds>(kTick).count();
  return static_cast<TimerWheel::Tick>((ns + per - 1) / per);
}

TimePoint WorkerThread::time_of(TimerWheel::Tick t) const noexcept {
  return epoch_ + kTick * static_cast<std::int64_t>(t);
}

void WorkerThread::wake_by(TimerWheel::Tick at) {
  if (at != TimerWheel::kNoTick && !in_tick_ && time_of(at) < loop_.deadline()) arm_timer();
}

std::size_t WorkerThread::owner_of(std::uint32_t id) const noexcept {
  // The last Worker whose base is at or below id (a handful per thread).
  return static_cast<std::size_t>(std::upper_bound(bases_.begin(), bases_.end(), id) - bases_.begin()) - 1;
}

void WorkerThread::on_tick() {
  const TimePoint now = Clock::now();
  const auto t = std::chrono::duration_cast<std::chrono::milliseconds>(now - epoch_).count();
  // One arm_timer() at the end instead of one per device re-armed while firing.
  in_tick_ = true;
  if (t > 0) {
    std::uint32_t fired = 0;
    TimePoint fire_now = now;
    std::uint64_t fire_wall = Worker::wall_ns_now();
    wheel_.advance(
        static_cast<TimerWheel::Tick>(t),
        [&](std::uint32_t id) {
          if (fired++ == kFiresPerClockRead) {
            fired = 1;
            fire_now = Clock::now();
            fire_wall = Worker::wall_ns_now();
          }
          const auto i = owner_of(id);
          workers_[i]->on_wheel(id - bases_[i], fire_now, fire_wall);
        },
        [&](std::uint32_t id) {
          const auto i = owner_of(id);
          workers_[i]->prefetch(id - bases_[i]);
        });
  }
  for (auto* w : workers_) w->on_tick(now);
  in_tick_ = false;
  arm_timer();
}

void WorkerThread::arm_timer() {
  TimerWheel::Tick next = wheel_.next_busy_tick();
  for (const auto* w : workers_) next = std::min(next, w->next_tick());
  // No syscall: the deadline is the loop's next wait's timeout.
  loop_.set_deadline(next == TimerWheel::kNoTick ? EventLoop::kNoDeadline : time_of(next));
}

}  // namespace fleetload::engine
