// Prometheus / Pushgateway launchers and a Boost.Beast HTTP GET for the metrics e2e tests.
#include "e2e/metrics_servers.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

HttpResponse http_get(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout) {
  HttpResponse out;
  try {
    // Async chain under one deadline: Beast's stream timeouts do not apply to sync calls.
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::accept, "*/*");
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::error_code failed;
    stream.async_connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
      if (ec) {
        failed = ec;
        return;
      }
      http::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
        if (ec2) {
          failed = ec2;
          return;
        }
        http::async_read(stream, buf, parser, [&](beast::error_code ec3, std::size_t) { failed = ec3; });
      });
    });
    io.run();
    if (failed) return out;
    out.status = static_cast<int>(parser.get().result_int());
    out.body = parser.get().body();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception&) {
    out.status = 0;
  }
  return out;
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

namespace {

void wait_ready(std::uint16_t port, ChildProcess& proc, const char* what) {
  const bool ok = wait_until([&] { return !proc.running() || http_get(port, "/-/ready", std::chrono::milliseconds(1000)).status == 200; },
                             std::chrono::seconds(30));
  if (!ok || !proc.running())
    throw std::runtime_error(std::string(what) + " did not become ready:\n" + proc.stderr_text());
}

}  // namespace

PrometheusServer::PrometheusServer(const std::vector<std::string>& targets) {
  dir_ = make_temp_dir("prometheus");
  port_ = pick_free_port();
  {
    std::ofstream cfg(dir_ / "prometheus.yml");
    cfg << "global: {scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms}\n"
           "scrape_configs:\n  - job_name: fleetload\n    static_configs:\n      - targets: [";
    for (std::size_t i = 0; i < targets.size(); ++i) cfg << (i ? ", " : "") << '"' << targets[i] << '"';
    cfg << "]\n";
  }
  proc_ = ChildProcess({"/usr/bin/prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
                        "--storage.tsdb.path=" + (dir_ / "data").string(),
                        "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
                       dir_ / "stdout.log", dir_ / "stderr.log");
  wait_ready(port_, proc_, "prometheus");
}

PrometheusServer::~PrometheusServer() {
  if (proc_.running()) proc_.kill_and_wait();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PrometheusServer::query(const std::string& promql) {
  const auto r = http_get(port_, "/api/v1/query?query=" + url_encode(promql));
  return r.status == 200 ? r.body : std::string();
}

Pushgateway::Pushgateway() {
  dir_ = make_temp_dir("pushgateway");
  port_ = pick_free_port();
  proc_ = ChildProcess({"/usr/bin/prometheus-pushgateway", "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                        "--log.level=warn"},
                       dir_ / "stdout.log", dir_ / "stderr.log");
  wait_ready(port_, proc_, "pushgateway");
}

Pushgateway::~Pushgateway() {
  if (proc_.running()) proc_.kill_and_wait();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::optional<double> sample_value(const std::string& text, const std::string& name,
                                   const std::vector<std::string>& labels) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    std::string label_set;
    std::size_t value_at = name.size();
    if (next == '{') {
      const auto close = line.find("} ", name.size());
      if (close == std::string::npos) continue;
      label_set = line.substr(name.size(), close - name.size() + 1);
      value_at = close + 1;
    }
    bool all = true;
    for (const auto& l : labels) all = all && label_set.find(l) != std::string::npos;
    if (!all) continue;
    std::istringstream v(line.substr(value_at));
    double d = 0;
    if (v >> d) return d;
  }
  return std::nullopt;
}

}  // namespace fleetload::e2e
