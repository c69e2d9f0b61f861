// The Pushgateway client: one HTTP PUT of the text exposition per push, with a bounded
// deadline (prometheus-cpp's curl gateway sets no timeout, so a black-holed gateway could
// hold a batch run at exit forever).
#include "metrics/exporter_push.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace fleetload::metrics {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// RFC 4648 base64url without padding: the Pushgateway's "@base64" form of a label value,
// so a scenario name with '/' or spaces stays one path segment.
std::string base64url(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  return out;
}

}  // namespace

PushTarget parse_push_target(const std::string& url, const std::string& job, const std::string& scenario,
                             const std::string& shard) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    throw std::runtime_error("pushgateway URL must start with http:// (got \"" + url + "\")");
  const auto host_begin = scheme.size();
  auto path_begin = url.find('/', host_begin);
  if (path_begin == std::string::npos) path_begin = url.size();
  const std::string authority = url.substr(host_begin, path_begin - host_begin);
  std::string prefix = url.substr(path_begin);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  PushTarget t;
  const auto colon = authority.rfind(':');
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (colon != std::string::npos && (!bracketed || authority[colon - 1] == ']')) {
    t.host = authority.substr(0, colon);
    t.port = authority.substr(colon + 1);
  } else {
    t.host = authority;
    t.port = "80";
  }
  if (bracketed && t.host.size() >= 2) t.host = t.host.substr(1, t.host.size() - 2);
  if (t.host.empty() || t.port.empty()) throw std::runtime_error("bad pushgateway URL: \"" + url + "\"");
  t.host_header = authority;
  // Grouping key: job + scenario + shard, so shards never overwrite each other's group.
  t.target = prefix + "/metrics/job@base64/" + base64url(job) + "/scenario@base64/" + base64url(scenario) +
             "/shard/" + shard;
  return t;
}

int http_put(const PushTarget& t, const std::string& body, std::chrono::milliseconds timeout, std::string& error) {
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(t.host, t.port);
    // Beast's stream deadline covers asynchronous operations only: connect, write and read
    // run as one async chain under one deadline.
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    http::request<http::string_body> req{http::verb::put, t.target, 11};
    req.set(http::field::host, t.host_header);
    req.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    req.body() = body;
    req.prepare_payload();
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    beast::error_code failed;
    stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        failed = ec;
        return;
      }
      http::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
        if (ec2) {
          failed = ec2;
          return;
        }
        http::async_read(stream, buf, res, [&](beast::error_code ec3, std::size_t) { failed = ec3; });
      });
    });
    io.run();
    if (failed) {
      error = "connection failed: " + failed.message();
      return -1;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    const int code = static_cast<int>(res.result_int());
    if (code < 200 || code >= 300) error = "HTTP " + std::to_string(code) + ": " + res.body().substr(0, 300);
    return code;
  } catch (const std::exception& e) {
    error = std::string("connection failed: ") + e.what();
    return -1;
  }
}

}  // namespace fleetload::metrics
