// SignalWatcher: SIGINT/SIGTERM blocked process-wide and taken with sigwait() on one thread.
//
// Why not a handler (or Boost.Asio's signal_set, which installs one): when the watcher is torn
// down the handler must go, and restoring the default disposition opens a window in which
// a second Ctrl-C kills the process with 130 after the report was written, whatever the
// verdict. A blocked signal has no such window: nothing is ever restored.
#include "cli/signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

namespace fleetload::cli {

namespace {

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_termination_signals() noexcept {
  const sigset_t set = termination_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

struct SignalWatcher::Impl {
  std::function<void(int, int)> on_signal;
  std::atomic<int> count{0};
  std::atomic<int> first{0};
  std::atomic<bool> stopping{false};
  std::thread thread;

  void run() {
    const sigset_t set = termination_signals();
    for (;;) {
      int signo = 0;
      if (sigwait(&set, &signo) != 0) continue;
      // The destructor wakes us with a signal of our own; a user's signal arriving at the
      // same moment is dropped, which is what stopping means.
      if (stopping.load()) return;
      const int n = count.fetch_add(1) + 1;
      if (n == 1) first.store(signo);
      on_signal(signo, n);
    }
  }
};

SignalWatcher::SignalWatcher(std::function<void(int, int)> on_signal) : impl_(std::make_unique<Impl>()) {
  block_termination_signals();
  impl_->on_signal = std::move(on_signal);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

SignalWatcher::~SignalWatcher() {
  impl_->stopping.store(true);
  // Directed at the watcher's thread (blocked there too, so it stays pending for sigwait).
  pthread_kill(impl_->thread.native_handle(), SIGTERM);
  impl_->thread.join();
}

int SignalWatcher::count() const noexcept { return impl_->count.load(); }
int SignalWatcher::first_signal() const noexcept { return impl_->first.load(); }

}  // namespace fleetload::cli
