// SignalWatcher: an io_context on one thread waiting on a signal_set for SIGINT and SIGTERM.
#include "cli/signals.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <csignal>
#include <thread>

namespace fleetload::cli {

struct SignalWatcher::Impl {
  boost::asio::io_context io;
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  std::function<void(int, int)> on_signal;
  std::atomic<int> count{0};
  std::atomic<int> first{0};
  std::thread thread;

  void arm() {
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;  // cancelled at shutdown
      const int n = count.fetch_add(1) + 1;
      if (n == 1) first.store(signo);
      on_signal(signo, n);
      arm();
    });
  }
};

SignalWatcher::SignalWatcher(std::function<void(int, int)> on_signal) : impl_(std::make_unique<Impl>()) {
  impl_->on_signal = std::move(on_signal);
  impl_->arm();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

SignalWatcher::~SignalWatcher() {
  boost::system::error_code ec;
  impl_->signals.cancel(ec);
  impl_->signals.clear(ec);
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int SignalWatcher::count() const noexcept { return impl_->count.load(); }
int SignalWatcher::first_signal() const noexcept { return impl_->first.load(); }

}  // namespace fleetload::cli
