// Runs the responder: one io_context thread with the MQTT connection, the dispatcher, the
// jobs created from the configuration at their time, step timers, and a clean stop on request
// or after the configured duration. The engine of `fleetload responder`.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "responder/config.hpp"
#include "responder/connection.hpp"
#include "responder/dispatcher.hpp"

namespace fleetload::responder {

class Runner {
 public:
  // `log` receives one line at a time (no secret in any). Throws auth::CertError (CA files),
  // auth::TlsIdentityError (TLS files) or std::runtime_error (broker address).
  Runner(ResponderConfig cfg, std::function<void(const std::string&)> log);
  ~Runner();

  // Blocks until stopped; returns the process exit code: 0 stopped cleanly, 3 never connected.
  int run();
  // Thread-safe: DISCONNECT after flushing answers, then run() returns.
  void request_stop();

  // The end-of-run summary (human-readable table, docs/responder.md "Summary").
  std::string summary() const;
  const Dispatcher& dispatcher() const { return *dispatcher_; }
  const ConnectionStats& connection_stats() const { return connection_->stats(); }

 private:
  void on_ready();
  void create_job(std::size_t i);
  void arm_tick();
  void stop_now();
  static std::uint64_t epoch_now();

  ResponderConfig cfg_;
  std::function<void(const std::string&)> log_;
  boost::asio::io_context io_{1};
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<Dispatcher> dispatcher_;
  boost::asio::steady_timer tick_timer_{io_};
  boost::asio::steady_timer duration_timer_{io_};
  std::vector<std::unique_ptr<boost::asio::steady_timer>> job_timers_;
  std::vector<std::size_t> continuous_jobs_;  // indices into cfg_.job_list, once created
  bool ever_ready_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point ended_;
};

}  // namespace fleetload::responder
