// Broker URLs (mqtt://, mqtts://, ws://, wss://) wherever an endpoint is accepted: the
// scenario's target.endpoint(s), `fleetload run --broker`, `fleetload responder --broker`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {

// The scheme says how bytes travel: TLS or not, WebSocket or not.
enum class UrlScheme : std::uint8_t { Mqtt, Mqtts, Ws, Wss };

const char* to_string(UrlScheme s) noexcept;  // "mqtt", "mqtts", "ws", "wss"
bool is_tls(UrlScheme s) noexcept;
bool is_websocket(UrlScheme s) noexcept;
// The port a URL without one connects to: 1883, 8883, 80, 443 (IANA's MQTT and HTTP ports).
std::uint16_t default_port(UrlScheme s) noexcept;
// The auth.mode a URL stands for when the scenario names none: mqtt plain_tcp, mqtts
// new_default_builder (TLS, server verification only), ws/wss
// websockets_with_custom_handshake (ws with auth.tls.enabled false).
AuthMode implied_mode(UrlScheme s) noexcept;
// The scheme that describes how `auth` connects (TLS on or off, WebSocket or not).
UrlScheme scheme_of(const Auth& auth) noexcept;

struct BrokerUrl {
  UrlScheme scheme = UrlScheme::Mqtt;
  // host (IPv6 without brackets), port (the URL's, else default_port(scheme)), path (ws and
  // wss only; empty when the URL has none, which means the SDK's /mqtt).
  Endpoint endpoint;
  bool explicit_port = false;
};

// "scheme://..." (a scheme of letters, digits, + - . before "://"): callers pick
// parse_broker_url for it, the host:port reader otherwise.
bool looks_like_url(std::string_view text) noexcept;
// The scheme of a URL-looking text, when it is one of ours (nullopt otherwise); nothing else
// is checked.
std::optional<UrlScheme> url_scheme(std::string_view text) noexcept;

// Parses a broker URL (RFC 3986, with Boost.URL). Refused, with `error` saying why: another
// scheme, no host, a port outside 1..65535, user info (credentials go in auth.username and
// auth.password, never in an endpoint: endpoints reach logs and reports), a query or a
// fragment (WebSocket query parameters go in auth.websocket.query), and a path on mqtt:// or
// mqtts://.
std::optional<BrokerUrl> parse_broker_url(std::string_view text, std::string& error);

// nullopt when `s` matches how `auth` connects, else an error naming both, e.g.
// "mqtts:// (MQTT over TLS) does not match auth.mode plain_tcp (MQTT over TCP, no TLS)".
std::optional<std::string> scheme_mismatch(UrlScheme s, const Auth& auth);

// `url` for messages: its user info (which may hold a password) as *** ("mqtt://***@host").
std::string mask_url_userinfo(std::string_view url);

// The endpoint as a URL of `scheme` ("wss://broker:443/mqtt"; IPv6 hosts in brackets).
std::string to_url(UrlScheme scheme, const Endpoint& e);

}  // namespace fleetload::scenario
