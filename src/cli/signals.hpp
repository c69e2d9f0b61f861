// SIGINT/SIGTERM watching on a thread of its own (Boost.Asio signal_set), so the reaction to a
// signal runs as ordinary code, not inside a signal handler.
#pragma once

#include <functional>
#include <memory>

namespace fleetload::cli {

class SignalWatcher {
 public:
  // `on_signal(signo, n)` runs on the watcher's thread for the n-th signal (n = 1, 2, ...).
  // Construct before starting other threads so none of them misses the handler.
  explicit SignalWatcher(std::function<void(int signo, int n)> on_signal);
  ~SignalWatcher();  // stops watching and joins; default dispositions are restored
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  int count() const noexcept;       // signals received so far
  int first_signal() const noexcept;  // the first signal number, 0 if none

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetload::cli
