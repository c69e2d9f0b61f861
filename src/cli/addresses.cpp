// Command-line addresses: Boost.Asio's make_address (inet_pton: strict) for addresses, an
// explicit resolver for names.
#include "cli/addresses.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <charconv>

#include "cli/args.hpp"

namespace fleetload::cli {
namespace {

namespace ip = boost::asio::ip;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 1123 host name; its last label is never all digits (RFC 3696 §2), which is what
// keeps "999.1.1.1" and "127.1" from being taken as names.
bool valid_host_name(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  if (h.back() == '.') h.remove_suffix(1);
  std::string_view last;
  for (std::size_t start = 0; start <= h.size();) {
    const std::size_t dot = std::min(h.find('.', start), h.size());
    const std::string_view label = h.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    last = label;
    start = dot + 1;
  }
  return !all_digits(last) && !(last.size() > 1 && (last[0] == '0') && (last[1] == 'x' || last[1] == 'X'));
}

[[noreturn]] void refuse(const std::string& what, const std::string& text, const std::string& why) {
  throw ArgError(what + ": " + why + ", got \"" + text + "\"");
}

// The first address of `host` (IPv4 preferred: the exposer's civetweb listens on either).
ip::address resolve(const std::string& host, const std::string& what, const std::string& text) {
  boost::asio::io_context io;
  ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(host, "", ip::tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) refuse(what, text, "cannot resolve \"" + host + "\" (" + ec.message() + ")");
  for (const auto& r : results)
    if (r.endpoint().address().is_v4()) return r.endpoint().address();
  return results.begin()->endpoint().address();
}

}  // namespace

HostPort parse_host_port(const std::string& text, const std::string& what, std::uint16_t default_port,
                         bool allow_port_zero) {
  HostPort hp;
  std::string_view host = text, port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) refuse(what, text, "unclosed '[' (write IPv6 as [addr]:port)");
    host = std::string_view(text).substr(1, close - 1);
    const std::string_view rest = std::string_view(text).substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') refuse(what, text, "expected :PORT after ']'");
      port = rest.substr(1);
      has_port = true;
    }
    hp.ipv6 = true;
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    if (text.find(':') != colon) refuse(what, text, "write IPv6 addresses as [addr]:port");
    host = std::string_view(text).substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) refuse(what, text, "expected HOST:PORT with a host");
  hp.host = std::string(host);
  boost::system::error_code ec;
  if (hp.ipv6) {
    (void)ip::make_address_v6(hp.host, ec);
    if (ec) refuse(what, text, "not an IPv6 address in [...]");
    hp.numeric = true;
  } else if ((void)ip::make_address_v4(hp.host, ec), !ec) {
    hp.numeric = true;
  } else if (!valid_host_name(hp.host)) {
    refuse(what, text,
           "expected an IPv4 address (four numbers 0-255 like 127.0.0.1), [IPv6] or a host name");
  }
  if (!has_port) {
    if (default_port == 0) refuse(what, text, "expected HOST:PORT");
    hp.port = default_port;
    return hp;
  }
  unsigned value = 0;
  const auto [p, perr] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (!all_digits(port) || perr != std::errc() || p != port.data() + port.size() || value > 65535 ||
      (value == 0 && !allow_port_zero))
    refuse(what, text, allow_port_zero ? "the port must be 0..65535" : "the port must be 1..65535");
  hp.port = static_cast<std::uint16_t>(value);
  return hp;
}

std::string metrics_listen_address(const std::string& text) {
  const std::string what = "--metrics-listen";
  const HostPort hp = parse_host_port(text, what, 0, true);
  const ip::address a = hp.numeric ? ip::make_address(hp.host) : resolve(hp.host, what, text);
  const std::string port = std::to_string(hp.port);
  return a.is_v6() ? "[" + a.to_string() + "]:" + port : a.to_string() + ":" + port;
}

void check_pushgateway_url(const std::string& url) {
  const std::string what = "--pushgateway";
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) refuse(what, url, "expected a URL like http://HOST:9091");
  const auto end = url.find_first_of("/?#", scheme.size());
  const std::string authority = url.substr(scheme.size(), end == std::string::npos ? end : end - scheme.size());
  if (authority.find('@') != std::string::npos) refuse(what, url, "user information in the URL is not supported");
  const HostPort hp = parse_host_port(authority, what, 80, false);
  if (!hp.numeric) (void)resolve(hp.host, what, url);
}

}  // namespace fleetload::cli
