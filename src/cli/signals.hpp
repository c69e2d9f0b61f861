// SIGINT/SIGTERM handling that can never kill the process: the two signals are blocked in
// every thread for the rest of the process's life and taken by sigwait() on a thread of its
// own, so the reaction runs as ordinary code, and a signal that arrives after the watcher
// stopped (in the last milliseconds of shutdown) stays pending and is discarded at exit
// instead of terminating the process with the default disposition (exit status 130).
#pragma once

#include <functional>
#include <memory>

namespace fleetload::cli {

// Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts from
// now on (threads inherit the mask). Call before any other thread is started (exporter,
// engine workers); idempotent. Signals arriving before a SignalWatcher exists stay pending
// and reach the watcher when it starts.
void block_termination_signals() noexcept;

class SignalWatcher {
 public:
  // `on_signal(signo, n)` runs on the watcher's thread for the n-th signal (n = 1, 2, ...).
  // Calls block_termination_signals() first (see there: call that earlier when other
  // threads start before the watcher).
  explicit SignalWatcher(std::function<void(int signo, int n)> on_signal);
  // Stops watching and joins. The signals stay blocked: a later one is never delivered.
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  int count() const noexcept;       // signals received so far
  int first_signal() const noexcept;  // the first signal number, 0 if none

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetload::cli
