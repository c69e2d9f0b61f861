// Real Prometheus, Pushgateway and headless Chromium for the metrics e2e tests, plus a small
// HTTP GET client and Prometheus text-format helpers. Loopback only, free ports.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "e2e/child_process.hpp"

namespace fleetload::e2e {

struct HttpResponse {
  int status = 0;  // 0 when the connection failed
  std::string body;
};
// GET http://127.0.0.1:port<target> with a bounded timeout; never throws.
HttpResponse http_get(std::uint16_t port, const std::string& target,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// Percent-encodes a query parameter value.
std::string url_encode(const std::string& s);

// Polls `ready` every 100 ms until it returns true or `timeout` passes; returns the last result.
bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout);

// Prometheus on 127.0.0.1:<free port>, scraping `targets` ("127.0.0.1:9464") every second,
// with its config and TSDB in a fresh temp dir. Waits for /-/ready; throws with the log.
class PrometheusServer {
 public:
  explicit PrometheusServer(const std::vector<std::string>& targets);
  ~PrometheusServer();  // kills the server and removes its directory
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;
  std::uint16_t port() const { return port_; }
  // Instant query; the JSON body (status "success" expected), or empty on HTTP failure.
  std::string query(const std::string& promql);
  std::string log() const { return proc_.stderr_text(); }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  ChildProcess proc_;
};

// prometheus-pushgateway on 127.0.0.1:<free port>, in memory. Waits for /-/ready.
class Pushgateway {
 public:
  Pushgateway();
  ~Pushgateway();
  Pushgateway(const Pushgateway&) = delete;
  Pushgateway& operator=(const Pushgateway&) = delete;
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return proc_.stderr_text(); }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  ChildProcess proc_;
};

// The value of the first sample in Prometheus text `exposition` named `name` whose label
// set contains every `label="value"` in `labels`; nullopt when there is none.
std::optional<double> sample_value(const std::string& exposition, const std::string& name,
                                   const std::vector<std::string>& labels = {});

}  // namespace fleetload::e2e
