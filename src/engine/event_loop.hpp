// The event loop of one worker thread: one epoll set, edge-triggered, and its own deadline.
//
// Why not Asio's io_context here (bench/RESULTS.md, "Close to the floor"): Asio 1.81
// re-registers a descriptor (EPOLL_CTL_MOD) for every readiness wait and reprograms a
// timerfd for every new earliest timer, one to two syscalls per message beyond the floor's.
// Here a descriptor is registered once, for reading and writing, edge-triggered, and the
// loop's one deadline is epoll_pwait2's timeout: a message costs its send (and its PUBACK's
// recv) and a share of one epoll_pwait2 per wake-up. With no deadline and nothing ready the
// loop sleeps in the kernel: an idle fleet costs no CPU.
//
// Edge-triggered means the kernel reports a descriptor once per change; the caller keeps
// what it was told until it has read (written) to would_block (worker.cpp on_io).
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include <boost/system/error_code.hpp>

namespace fleetload::engine {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  static constexpr TimePoint kNoDeadline = TimePoint::max();

  struct Handler {
    // A watched descriptor's readiness (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR, EPOLLHUP).
    virtual void on_io(std::uint64_t tag, std::uint32_t events) = 0;
    // The deadline passed (it is cleared first: set it again for the next).
    virtual void on_deadline() = 0;

   protected:
    ~Handler() = default;
  };

  EventLoop();  // throws std::system_error when the kernel refuses epoll or eventfd
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // From the loop's thread. Registers `fd` for reading and writing, edge-triggered; `tag`
  // comes back with its events. Closing the descriptor ends the registration (unless it was
  // duplicated: then unwatch() it first).
  boost::system::error_code watch(int fd, std::uint64_t tag) noexcept;
  void unwatch(int fd) noexcept;

  // From any thread: `fn` runs on the loop's thread, in order of posting.
  void post(std::function<void()> fn);
  // From the loop's thread: `fn` runs after the events of this wake-up, before the loop
  // waits again (what a handler must not do inside itself).
  void defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

  // From the loop's thread: when on_deadline() is next due (kNoDeadline: never).
  void set_deadline(TimePoint t) noexcept { deadline_ = t; }
  TimePoint deadline() const noexcept { return deadline_; }

  // Runs until stop() (from the loop's thread, e.g. inside a handler): stops after the
  // current wake-up's work.
  void run(Handler& h);
  void stop() noexcept { stopped_ = true; }

  // How many times the loop waited in the kernel (for tests and benches).
  std::uint64_t waits() const noexcept { return waits_; }

 private:
  static constexpr std::uint64_t kWakeTag = ~std::uint64_t{0};
  int wait(epoll_event* events, int max);
  void take_posts();

  int ep_ = -1;
  int wake_fd_ = -1;  // eventfd: post() from another thread ends a wait
  TimePoint deadline_ = kNoDeadline;
  bool stopped_ = false;
  bool pwait2_ = true;  // epoll_pwait2 available (Linux >= 5.11); else ms-rounded epoll_wait
  std::uint64_t waits_ = 0;
  std::vector<std::function<void()>> deferred_;
  std::vector<std::function<void()>> running_;
  std::mutex posts_mu_;
  std::vector<std::function<void()>> posts_;
  std::atomic<bool> has_posts_{false};
};

}  // namespace fleetload::engine
