// Broker URLs: scheme -> transport and default port, parsed with Boost.URL.
#include "scenario/endpoint_url.hpp"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace fleetload::scenario {
namespace {

const char* transport_text(bool tls, bool ws) {
  if (ws) return tls ? "MQTT over WebSocket over TLS" : "MQTT over WebSocket, no TLS";
  return tls ? "MQTT over TLS" : "MQTT over TCP, no TLS";
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

const char* to_string(UrlScheme s) noexcept {
  switch (s) {
    case UrlScheme::Mqtt: return "mqtt";
    case UrlScheme::Mqtts: return "mqtts";
    case UrlScheme::Ws: return "ws";
    case UrlScheme::Wss: return "wss";
  }
  return "?";
}

bool is_tls(UrlScheme s) noexcept { return s == UrlScheme::Mqtts || s == UrlScheme::Wss; }
bool is_websocket(UrlScheme s) noexcept { return s == UrlScheme::Ws || s == UrlScheme::Wss; }

std::uint16_t default_port(UrlScheme s) noexcept {
  switch (s) {
    case UrlScheme::Mqtt: return 1883;
    case UrlScheme::Mqtts: return 8883;
    case UrlScheme::Ws: return 80;
    case UrlScheme::Wss: return 443;
  }
  return 1883;
}

AuthMode implied_mode(UrlScheme s) noexcept {
  switch (s) {
    case UrlScheme::Mqtt: return AuthMode::PlainTcp;
    case UrlScheme::Mqtts: return AuthMode::NewDefaultBuilder;
    case UrlScheme::Ws:
    case UrlScheme::Wss: return AuthMode::WebsocketsWithCustomHandshake;
  }
  return AuthMode::PlainTcp;
}

UrlScheme scheme_of(const Auth& auth) noexcept {
  const bool tls = auth.mode != AuthMode::PlainTcp && auth.tls.enabled;
  if (is_websocket(auth.mode)) return tls ? UrlScheme::Wss : UrlScheme::Ws;
  return tls ? UrlScheme::Mqtts : UrlScheme::Mqtt;
}

bool looks_like_url(std::string_view text) noexcept {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  if (std::isalpha(static_cast<unsigned char>(text[0])) == 0) return false;
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(sep), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  });
}

std::optional<UrlScheme> url_scheme(std::string_view text) noexcept {
  if (!looks_like_url(text)) return std::nullopt;
  const std::string s = lower(text.substr(0, text.find("://")));
  if (s == "mqtt") return UrlScheme::Mqtt;
  if (s == "mqtts") return UrlScheme::Mqtts;
  if (s == "ws") return UrlScheme::Ws;
  if (s == "wss") return UrlScheme::Wss;
  return std::nullopt;
}

std::optional<BrokerUrl> parse_broker_url(std::string_view text, std::string& error) {
  const auto scheme = url_scheme(text);
  if (!scheme) {
    error = "the scheme must be mqtt://, mqtts://, ws:// or wss://";
    return std::nullopt;
  }
  const auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    error = "not a valid URL (" + parsed.error().message() + ")";
    return std::nullopt;
  }
  const boost::urls::url_view u = *parsed;
  if (u.has_userinfo()) {
    error = "no user or password in the URL: give them as auth.username and auth.password";
    return std::nullopt;
  }
  if (u.has_query()) {
    error = "no query in the URL: WebSocket query parameters go in auth.websocket.query";
    return std::nullopt;
  }
  if (u.has_fragment()) {
    error = "no #fragment in a broker URL";
    return std::nullopt;
  }
  BrokerUrl b;
  b.scheme = *scheme;
  b.endpoint.host = u.host_address();
  if (b.endpoint.host.empty()) {
    error = "no host";
    return std::nullopt;
  }
  b.endpoint.port = default_port(*scheme);
  if (u.has_port()) {
    // From the text: port_number() keeps only the low 16 bits of a larger number.
    const std::string_view port = u.port();
    unsigned long value = 0;
    const bool digits = !port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) value = std::stoul(std::string(port));
    if (!digits || value < 1 || value > 65535) {
      error = "port must be 1..65535";
      return std::nullopt;
    }
    b.endpoint.port = static_cast<std::uint16_t>(value);
    b.explicit_port = true;
  }
  const std::string path(u.encoded_path());
  if (!path.empty()) {
    if (!is_websocket(*scheme)) {
      error = std::string("a path only with ws:// or wss:// (the WebSocket request path); ") + to_string(*scheme) +
              ":// is MQTT straight over " + (is_tls(*scheme) ? "TLS" : "TCP");
      return std::nullopt;
    }
    b.endpoint.path = path;
  }
  return b;
}

std::optional<std::string> scheme_mismatch(UrlScheme s, const Auth& auth) {
  const UrlScheme want = scheme_of(auth);
  if (want == s) return std::nullopt;
  std::string mode = std::string("auth.mode ") + to_string(auth.mode);
  if (auth.mode != AuthMode::PlainTcp && !auth.tls.enabled) mode += " with auth.tls.enabled false";
  std::string out = std::string(to_string(s)) + ":// (" + transport_text(is_tls(s), is_websocket(s)) +
                    ") does not match " + mode + " (" + transport_text(is_tls(want), is_websocket(want)) +
                    "); write " + to_string(want) + "://";
  if (is_websocket(s) != is_websocket(auth.mode)) {
    out += " or choose a " + std::string(is_websocket(s) ? "websockets_*" : "non-WebSocket") + " auth.mode";
  } else if (auth.mode == AuthMode::PlainTcp) {
    out += " or choose an auth.mode with TLS (e.g. new_default_builder)";
  } else {
    out += std::string(" or set auth.tls.enabled ") + (is_tls(s) ? "true" : "false");
  }
  return out;
}

std::string mask_url_userinfo(std::string_view url) {
  const auto start = url.find("://");
  if (start == std::string_view::npos) return std::string(url);
  const auto end = std::min(url.find_first_of("/?#", start + 3), url.size());
  const auto at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start + 3) return std::string(url);
  return std::string(url.substr(0, start + 3)) + "***" + std::string(url.substr(at));
}

std::string to_url(UrlScheme scheme, const Endpoint& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  return std::string(to_string(scheme)) + "://" + (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port) +
         e.path;
}

}  // namespace fleetload::scenario
