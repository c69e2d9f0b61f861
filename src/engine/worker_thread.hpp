// One OS thread of the engine: its event loop (epoll, edge-triggered; event_loop.hpp), timer
// wheel, and the scratch buffers its Workers share.
//
// A Worker is one (device group, slice); the Workers of a thread (one per group with devices
// on it) never run concurrently, so they share what holds nothing between handlers — the
// read buffer, the outgoing-bytes buffer and its splice list, the gather-write iovecs and
// the WebSocket control-frame buffer — and one timer wheel with a slot per device of the
// thread (each Worker owns the ids [base, base + devices)). So a thread costs the same
// whatever the number of groups, and groups cost no threads.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "device/session.hpp"
#include "engine/event_loop.hpp"
#include "engine/timer_wheel.hpp"

namespace fleetload::engine {

class Worker;

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

class WorkerThread final : private EventLoop::Handler {
 public:
  // `devices`: the sum of the devices of the Workers that will attach.
  explicit WorkerThread(std::uint64_t devices);
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // Thread body: runs the event loop until every attached Worker has shut down.
  void run();

  // From a Worker's constructor (before run()): its first wheel id; `slot` is the Worker's
  // place on this thread (the top 16 bits of its descriptors' event tags).
  std::uint32_t attach(Worker& w, std::uint64_t devices, std::uint16_t& slot);
  // From a Worker's shutdown handler: the last one stops the loop.
  void detach();

  EventLoop& loop() noexcept { return loop_; }
  TimerWheel& wheel() noexcept { return wheel_; }
  std::size_t workers() const noexcept { return workers_.size(); }

  TimerWheel::Tick tick_of(TimePoint tp) const noexcept;
  TimePoint time_of(TimerWheel::Tick t) const noexcept;
  // A wheel entry now due at `at`: the timer is moved earlier if needed.
  void wake_by(TimerWheel::Tick at);
  // Fires what is due on the wheel, then lets every Worker start and churn devices.
  void on_tick();
  void arm_timer();

  // Scratch shared by the Workers (see above).
  std::span<std::uint8_t> read_buffer() noexcept { return {read_buf_.get(), kReadBuffer}; }
  std::vector<std::uint8_t> out;
  std::vector<device::Splice> splices;
  std::vector<iovec> iov;
  std::vector<std::uint8_t> ws_ctl;

 private:
  static constexpr std::size_t kReadBuffer = 64 * 1024;

  void on_io(std::uint64_t tag, std::uint32_t events) override;
  void on_deadline() override;
  std::size_t owner_of(std::uint32_t id) const noexcept;  // index into workers_ of a wheel id

  EventLoop loop_;
  TimerWheel wheel_;
  TimePoint epoch_;
  bool in_tick_ = false;
  // Not value-initialised: a page costs memory only once a read lands in it.
  std::unique_ptr<std::uint8_t[]> read_buf_;
  std::vector<Worker*> workers_;
  std::vector<std::uint32_t> bases_;  // workers_[i] owns wheel ids [bases_[i], bases_[i + 1])
  std::uint32_t next_base_ = 0;
  std::size_t live_ = 0;  // attached Workers not yet shut down
};

}  // namespace fleetload::engine
