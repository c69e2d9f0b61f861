// EventLoop: epoll set, eventfd for posts, the deadline as epoll_pwait2's timeout.
#include "engine/event_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <system_error>

namespace fleetload::engine {

namespace {
constexpr int kBatch = 256;  // events per wait; more wait in the kernel's ready list
}

EventLoop::EventLoop() {
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int err = errno;
    ::close(ep_);
    throw std::system_error(err, std::system_category(), "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: read once per wake
  ev.data.u64 = kWakeTag;
  if (::epoll_ctl(ep_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    const int err = errno;
    ::close(wake_fd_);
    ::close(ep_);
    throw std::system_error(err, std::system_category(), "epoll_ctl(eventfd)");
  }
}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(ep_);
}

boost::system::error_code EventLoop::watch(int fd, std::uint64_t tag) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = tag;
  if (::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) return {errno, boost::system::system_category()};
  return {};
}

void EventLoop::unwatch(int fd) noexcept {
  epoll_event ev{};
  (void)::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, &ev);
}

void EventLoop::post(std::function<void()> fn) {
  bool first = false;
  {
    const std::lock_guard lock(posts_mu_);
    first = posts_.empty();
    posts_.push_back(std::move(fn));
    has_posts_.store(true, std::memory_order_release);
  }
  if (first) {
    const std::uint64_t one = 1;
    // Fails only when the counter would overflow: the loop is awake then anyway.
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

void EventLoop::take_posts() {
  std::vector<std::function<void()>> batch;
  {
    const std::lock_guard lock(posts_mu_);
    batch.swap(posts_);
    has_posts_.store(false, std::memory_order_relaxed);
  }
  std::uint64_t count = 0;
  (void)!::read(wake_fd_, &count, sizeof count);
  for (auto& fn : batch) {
    if (stopped_) return;
    fn();
  }
}

int EventLoop::wait(epoll_event* events, int max) {
  ++waits_;
  const bool at_once = !deferred_.empty() || has_posts_.load(std::memory_order_acquire);
  if (!at_once && deadline_ == kNoDeadline) return ::epoll_wait(ep_, events, max, -1);
  std::chrono::nanoseconds left{0};
  if (!at_once) left = std::max(std::chrono::nanoseconds{0}, deadline_ - Clock::now());
  if (pwait2_) {
    const timespec ts{static_cast<time_t>(left.count() / 1'000'000'000), static_cast<long>(left.count() % 1'000'000'000)};
    const int n = ::epoll_pwait2(ep_, events, max, &ts, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    pwait2_ = false;
  }
  // Milliseconds, rounded up: never early.
  const auto ms = (left.count() + 999'999) / 1'000'000;
  return ::epoll_wait(ep_, events, max, static_cast<int>(std::min<std::int64_t>(ms, 1'000'000)));
}

void EventLoop::run(Handler& h) {
  epoll_event events[kBatch];
  while (!stopped_) {
    const int n = wait(events, kBatch);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::system_category(), "epoll_wait");
    }
    // The wake-up's own event needs nothing: has_posts_ is set before every eventfd write.
    for (int i = 0; i < n && !stopped_; ++i) {
      if (events[i].data.u64 != kWakeTag) h.on_io(events[i].data.u64, events[i].events);
    }
    if (!stopped_ && deadline_ != kNoDeadline && Clock::now() >= deadline_) {
      deadline_ = kNoDeadline;
      h.on_deadline();
    }
    if (!stopped_ && has_posts_.load(std::memory_order_acquire)) take_posts();
    // What handlers deferred this round runs now; what those defer runs next round, after
    // the kernel has been asked for new events (a handler yielding for fairness).
    running_.swap(deferred_);
    for (auto& fn : running_) {
      if (stopped_) break;
      fn();
    }
    running_.clear();
  }
}

}  // namespace fleetload::engine
