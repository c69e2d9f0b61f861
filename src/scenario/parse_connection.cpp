// Parsers for the connection-side sections: target, fleet, session, reconnect (auth: parse_auth.cpp).
#include <algorithm>

#include "mqtt/codec.hpp"
#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario::detail {

using namespace std::chrono_literals;

void apply_protocol_defaults(Scenario& s) {
  const bool v5 = s.target.protocol == mqtt::Version::V5;
  s.target.connect_timeout = v5 ? Duration(10s) : Duration(5s);
  s.session.ping_timeout = v5 ? Duration(30s) : Duration(3s);
  s.session.clean_session = v5;
  s.session.ack_timeout = v5 ? Duration(60s) : Duration(0);
  s.reconnect.min_delay = v5 ? Duration(1s) : Duration(5s);
  s.reconnect.max_delay = v5 ? Duration(120s) : Duration(60s);
  s.reconnect.jitter = v5 ? Jitter::Full : Jitter::None;
  // The 3.1.1 client resets its delay only after a connection lasted 10 s past its CONNACK
  // (aws-c-mqtt client.c AWS_RESET_RECONNECT_BACKOFF_DELAY_SECONDS); the MQTT 5 client after
  // min_connected_time_to_reset_reconnect_delay_ms, 30 s by default.
  s.reconnect.reset_after = v5 ? Duration(30s) : Duration(10s);
}

std::optional<std::string> read_template(Reader& r, const YAML::Node& n, const std::string& path,
                                         std::span<const Placeholder> allowed) {
  auto t = read_string(r, n, path);
  if (!t) return std::nullopt;
  if (auto err = check_template(*t, allowed)) {
    r.error(n, path, *err + ", got \"" + *t + "\"");
    return std::nullopt;
  }
  return t;
}

bool require_mqtt5(Reader& r, const Scenario& s, const YAML::Node& n, const std::string& path) {
  if (s.target.protocol == mqtt::Version::V5) return true;
  r.error(n, path, "only with target.protocol mqtt5 (MQTT 3.1.1 has no such feature)");
  return false;
}

std::string render_for(const Scenario& s, std::string_view tpl, std::uint64_t index) {
  TemplateVars v = template_vars(s, index);
  const std::string client_id = render_template(s.fleet.client_id, v);
  v.client_id = client_id;
  return render_template(tpl, v);
}

// ---- target ---------------------------------------------------------------------------

namespace {

// `explicit_port` says whether the text named a port (else `default_port` was used).
std::optional<Endpoint> parse_endpoint_text(std::string_view text, std::uint16_t default_port,
                                            bool& explicit_port, std::string& error) {
  explicit_port = false;
  Endpoint e;
  e.port = default_port;
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {  // [v6]:port
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "unclosed '[' in an IPv6 endpoint";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "expected :port after ']'";
        return std::nullopt;
      }
      port = rest.substr(1);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) {
      error = "write IPv6 endpoints as [addr]:port";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) {
    error = "empty host";
    return std::nullopt;
  }
  e.host = host;
  if (!port.empty() || (text.size() > 0 && text.back() == ':')) {
    auto p = parse_uint(port);
    if (!p || *p < 1 || *p > 65535) {
      error = "port must be 1..65535";
      return std::nullopt;
    }
    e.port = static_cast<std::uint16_t>(*p);
    explicit_port = true;
  }
  return e;
}

std::string host_port_text(const Endpoint& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

}  // namespace

std::optional<UrlScheme> endpoint_scheme(const YAML::Node& target) {
  if (!target.IsMap()) return std::nullopt;
  std::optional<UrlScheme> found;
  bool agree = true;
  auto look = [&](const YAML::Node& v) {
    if (!v.IsDefined() || !v.IsScalar()) return;  // an absent key's node is invalid: ask first
    if (auto sc = url_scheme(v.Scalar())) {
      if (found && *found != *sc) agree = false;
      found = sc;
    }
  };
  look(target["endpoint"]);
  if (const YAML::Node list = target["endpoints"]; list.IsDefined() && list.IsSequence())
    for (std::size_t i = 0; i < list.size(); ++i) look(list[i]);
  return agree ? found : std::nullopt;
}

void parse_target(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "target", keys::kTarget);
  if (!m.ok()) return;
  if (auto p = m.get("protocol")) {
    if (auto i = read_enum(r, *p, m.path("protocol"), keys::kProtocols)) {
      s.target.protocol = *i == 0 ? mqtt::Version::V311 : mqtt::Version::V5;
    }
  }
  apply_protocol_defaults(s);

  // Auth is parsed first: TLS and WebSocket modes change the port an endpoint defaults to.
  std::uint16_t default_port = scenario::default_port(s.auth.mode);
  // target.port applies to every endpoint that names no port. Given with --set it wins over
  // the ports the file's endpoints name (the override must take effect, never be ignored);
  // in the file itself, a port and an endpoint naming another one are a contradiction.
  const auto port_node = m.get("port");
  bool port_given = false;
  if (port_node) {
    if (auto p = read_uint(r, *port_node, m.path("port"), 1, 65535)) {
      default_port = static_cast<std::uint16_t>(*p);
      port_given = true;
    }
  }
  const bool port_overridden = port_given && r.from_override(*port_node);
  // An endpoint's own port (`at` = the node that gave it, `what` = how to name it).
  auto settle_port = [&](Endpoint& e, const YAML::Node& at, const std::string& what) {
    if (!port_given || e.port == default_port) return;
    if (port_overridden) {
      e.port = default_port;
      return;
    }
    if (r.from_override(at)) return;  // an endpoint given with --set keeps the port it names
    r.error(*port_node, m.path("port"),
            std::to_string(default_port) + " conflicts with the port of " + what + " (line " +
                std::to_string(at.Mark().line + 1) + "); give the port in one place");
  };
  auto one = [&](const YAML::Node& v, const std::string& path) {
    if (v.IsMap()) {
      MapView em(r, v, path, keys::kEndpoint);
      Endpoint e;
      e.port = default_port;
      if (auto h = em.get("host")) {
        if (auto t = read_string(r, *h, em.path("host"))) e.host = *t;
      } else {
        r.error(v, em.path("host"), "required: the broker host name or address");
      }
      if (auto pn = em.get("port")) {
        if (auto p = read_uint(r, *pn, em.path("port"), 1, 65535)) {
          e.port = static_cast<std::uint16_t>(*p);
          settle_port(e, *pn, em.path("port") + " " + std::to_string(*p));
        }
      }
      if (!e.host.empty()) s.target.endpoints.push_back(e);
      return;
    }
    auto t = r.text(v, path, "an endpoint like \"broker:1883\", mqtt://broker:1883 or {host, port}");
    if (!t) return;
    std::string err;
    bool explicit_port = false;
    if (looks_like_url(*t)) {
      auto u = parse_broker_url(*t, err);
      if (!u) {
        r.error(v, path, "expected a broker URL like mqtt://broker:1883 or wss://broker/mqtt (" + err + "), got \"" +
                             mask_url_userinfo(*t) + "\"");
        return;
      }
      if (auto mismatch = scheme_mismatch(u->scheme, s.auth)) {
        r.error(v, path, "\"" + mask_url_userinfo(*t) + "\": " + *mismatch);
        return;
      }
      // A port-less URL takes target.port when given, else its scheme's port; except that
      // direct_with_custom_authorizer always connects to 443, as the SDK forces it (aws doc §4).
      if (u->explicit_port) settle_port(u->endpoint, v, path + " \"" + *t + "\"");
      else if (port_given) u->endpoint.port = default_port;
      else if (s.auth.mode == AuthMode::DirectWithCustomAuthorizer) u->endpoint.port = 443;
      s.target.endpoints.push_back(u->endpoint);
      return;
    }
    if (auto e = parse_endpoint_text(*t, default_port, explicit_port, err)) {
      if (explicit_port) settle_port(*e, v, path + " \"" + host_port_text(*e) + "\"");
      s.target.endpoints.push_back(*e);
    } else {
      r.error(v, path, "expected an endpoint like \"broker:1883\" or {host, port} (" + err +
                           "), got \"" + *t + "\"");
    }
  };
  auto single = m.get("endpoint");
  auto list = m.get("endpoints");
  if (single && list) {
    r.error(*list, m.path("endpoints"), "give either endpoint (one broker) or endpoints (a list), not both");
  } else if (single) {
    one(*single, m.path("endpoint"));
  } else if (list) {
    if (!list->IsSequence() || list->size() == 0) {
      r.error(*list, m.path("endpoints"),
              "expected a non-empty list of endpoints like \"broker:1883\", " + describe(*list));
    } else {
      for (std::size_t i = 0; i < list->size(); ++i) {
        one((*list)[i], m.path("endpoints") + "." + std::to_string(i));
      }
    }
  } else {
    r.error(n, "target.endpoint",
            "required: the broker as target.endpoint (\"host:port\") or target.endpoints (a list)");
  }
  if (auto v = m.get("connect_timeout")) {
    if (auto d = read_duration(r, *v, m.path("connect_timeout"))) {
      if (d->count() <= 0) r.error(*v, m.path("connect_timeout"), "expected a duration above 0, got \"" + format_duration(*d) + "\"");
      else s.target.connect_timeout = *d;
    }
  }
  read_into(m, "dns_refresh", s.target.dns_refresh, [&](const YAML::Node& v, const std::string& path) {
    return read_duration(r, v, path);
  });
}

// ---- fleet ----------------------------------------------------------------------------

void parse_fleet(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "fleet", keys::kFleet);
  if (!m.ok()) return;
  if (auto v = m.get("devices")) {
    if (auto d = read_uint(r, *v, m.path("devices"), 1, 100'000'000)) s.fleet.devices = *d;
  } else {
    r.error(n, "fleet.devices", "required: how many devices the fleet has (1 or more)");
  }
  if (auto v = m.get("client_id")) {
    if (auto t = read_template(r, *v, m.path("client_id"), kClientIdVars)) {
      if (t->empty()) {
        r.error(*v, m.path("client_id"), "expected a non-empty client id template, got \"\"");
      } else if (s.fleet.devices > 1 && !template_uses(*t, Placeholder::Index) &&
                 !template_uses(*t, Placeholder::GroupIndex)) {
        r.error(*v, m.path("client_id"),
                "must contain {index} so that " + std::to_string(s.fleet.devices) +
                    " devices get distinct client ids (the broker drops duplicates), got \"" +
                    *t + "\"");
      } else {
        s.fleet.client_id = *t;
      }
    }
  }
  if (auto v = m.get("thing_name")) {
    if (auto t = read_template(r, *v, m.path("thing_name"), kTopicVars)) s.fleet.thing_name = *t;
  }
  read_into(m, "index_width", s.fleet.index_width, [&](const YAML::Node& v, const std::string& p) {
    return read_uint(r, v, p, 0, 20);
  });
  if (auto v = m.get("connect_rate")) {
    if (auto rate = read_rate(r, *v, m.path("connect_rate"))) {
      if (*rate <= 0) r.error(*v, m.path("connect_rate"), "expected a rate above 0 like 2000/s, got \"" + v->Scalar() + "\"");
      else s.fleet.connect_rate.per_second = *rate;
    }
  }
  if (auto v = m.get("source_addresses")) {
    const std::string path = m.path("source_addresses");
    std::vector<YAML::Node> items;
    if (v->IsSequence()) {
      for (std::size_t i = 0; i < v->size(); ++i) items.push_back((*v)[i]);
    } else {
      items.push_back(*v);  // one address or range without a list
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string item_path = v->IsSequence() ? path + "." + std::to_string(i) : path;
      auto t = r.text(items[i], item_path, "an IP address or range like 127.0.0.2-127.0.0.20");
      if (!t) continue;
      auto e = expand_addresses(*t);
      if (!e.error.empty()) {
        r.error(items[i], item_path, e.error);
        continue;
      }
      s.fleet.source_addresses.insert(s.fleet.source_addresses.end(), e.addresses.begin(),
                                      e.addresses.end());
    }
    if (s.fleet.source_addresses.size() > 65536) {
      r.error(*v, path, "more than 65536 addresses in total");
    }
  }
}

// ---- session --------------------------------------------------------------------------

void parse_session(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "session", keys::kSession);
  if (!m.ok()) return;
  Session& ss = s.session;
  read_into(m, "keepalive", ss.keepalive, [&](const YAML::Node& v, const std::string& p) {
    return read_seconds(r, v, p, 1, 65535);
  });
  auto positive = [&](std::string_view key, Duration& out) {
    auto v = m.get(key);
    if (!v) return false;
    auto d = read_duration(r, *v, m.path(key));
    if (!d) return false;
    if (d->count() <= 0) {
      r.error(*v, m.path(key), "expected a duration above 0, got \"" + v->Scalar() + "\"");
      return false;
    }
    out = *d;
    return true;
  };
  const bool ping_set = positive("ping_timeout", ss.ping_timeout);
  if (ping_set && ss.ping_timeout >= Duration(ss.keepalive)) {
    r.error(*m.get("ping_timeout"), m.path("ping_timeout"),
            "must be shorter than session.keepalive (" + format_duration(ss.keepalive) +
                "), as the SDK requires, got \"" + format_duration(ss.ping_timeout) + "\"");
  } else if (!ping_set && ss.ping_timeout >= Duration(ss.keepalive)) {
    // The protocol default (3s / 30s) would break a short keepalive; halve the keepalive.
    ss.ping_timeout = Duration(ss.keepalive) / 2;
  }
  positive("connack_timeout", ss.connack_timeout);
  read_into(m, "clean_session", ss.clean_session, [&](const YAML::Node& v, const std::string& p) {
    return read_bool(r, v, p);
  });
  const bool v5 = s.target.protocol == mqtt::Version::V5;
  if (v5 && m.has("clean_session")) {
    // The older mqtt5 spelling: Clean Start as one flag for every attempt.
    ss.session_behavior = ss.clean_session ? SessionBehavior::Clean : SessionBehavior::RejoinAlways;
  }
  if (auto v = m.get("session_behavior"); v && require_mqtt5(r, s, *v, m.path("session_behavior"))) {
    if (m.has("clean_session")) {
      r.error(*v, m.path("session_behavior"),
              "give either session_behavior or clean_session (its older mqtt5 spelling), not both");
    } else if (auto i = read_enum(r, *v, m.path("session_behavior"), keys::kSessionBehaviors)) {
      ss.session_behavior = static_cast<SessionBehavior>(*i);
      ss.clean_session = ss.session_behavior == SessionBehavior::Clean;
    }
  }
  if (auto v = m.get("session_expiry"); v && require_mqtt5(r, s, *v, m.path("session_expiry"))) {
    ss.session_expiry = read_seconds(r, *v, m.path("session_expiry"), 0, 4'294'967'295);
  }
  if (auto v = m.get("receive_maximum"); v && require_mqtt5(r, s, *v, m.path("receive_maximum"))) {
    if (auto x = read_uint(r, *v, m.path("receive_maximum"), 1, 65535)) {
      ss.receive_maximum = static_cast<std::uint16_t>(*x);
    }
  }
  // Both protocols: the receive limit; mqtt5 also announces it (CONNECT Maximum Packet Size).
  if (auto v = m.get("maximum_packet_size")) {
    if (auto x = read_size(r, *v, m.path("maximum_packet_size"), mqtt::kMaxPacketSize)) {
      if (*x == 0) r.error(*v, m.path("maximum_packet_size"), "expected a size above 0, got \"0\"");
      else ss.maximum_packet_size = static_cast<std::uint32_t>(*x);
    }
  }
  if (auto v = m.get("topic_alias_maximum");
      v && require_mqtt5(r, s, *v, m.path("topic_alias_maximum"))) {
    if (auto x = read_uint(r, *v, m.path("topic_alias_maximum"), 0, 65535)) {
      ss.topic_alias_maximum = static_cast<std::uint16_t>(*x);
    }
  }
  read_into(m, "ack_timeout", ss.ack_timeout, [&](const YAML::Node& v, const std::string& p) {
    return read_duration(r, v, p);
  });
  read_into(m, "subscribe_batch", ss.subscribe_batch, [&](const YAML::Node& v, const std::string& p) {
    return read_uint(r, v, p, 1, 65535);
  });
  read_into(m, "publish_limit", ss.publish_limit, [&](const YAML::Node& v, const std::string& p) -> std::optional<Rate> {
    const auto x = read_rate(r, v, p);
    if (!x) return std::nullopt;
    if (!(*x > 0.0)) {
      r.error(v, p, "expected a rate above 0 (e.g. 100/s), got \"" + v.as<std::string>() + "\"");
      return std::nullopt;
    }
    return Rate{*x};
  });
  if (auto v = m.get("offline_queue")) {
    if (auto i = read_enum(r, *v, m.path("offline_queue"), keys::kOfflineQueues)) {
      ss.offline_queue = static_cast<OfflineQueue>(*i);
    }
  }
  if (auto v = m.get("will")) {
    MapView w(r, *v, "session.will", keys::kWill);
    if (!w.ok()) return;
    Will will;
    if (auto t = w.get("topic")) {
      if (auto tpl = read_template(r, *t, w.path("topic"), kTopicVars)) {
        if (!mqtt::valid_topic_name(render_for(s, *tpl, 0))) {
          r.error(*t, w.path("topic"),
                  "expected a topic name (no + or #, not empty), got \"" + *tpl + "\"");
        }
        will.topic = *tpl;
      }
    } else {
      r.error(*v, w.path("topic"), "required when session.will is given");
    }
    if (auto t = w.get("payload")) {
      if (auto p = read_template(r, *t, w.path("payload"), kTopicVars)) will.payload = *p;
    }
    read_into(w, "qos", will.qos, [&](const YAML::Node& x, const std::string& p) {
      return read_uint(r, x, p, 0, 2);
    });
    read_into(w, "retain", will.retain, [&](const YAML::Node& x, const std::string& p) {
      return read_bool(r, x, p);
    });
    if (auto x = w.get("delay"); x && require_mqtt5(r, s, *x, w.path("delay"))) {
      will.delay = read_seconds(r, *x, w.path("delay"), 0, 4'294'967'295);
    }
    if (auto x = w.get("message_expiry"); x && require_mqtt5(r, s, *x, w.path("message_expiry"))) {
      will.message_expiry = read_seconds(r, *x, w.path("message_expiry"), 0, 4'294'967'295);
    }
    if (auto x = w.get("content_type"); x && require_mqtt5(r, s, *x, w.path("content_type"))) {
      will.content_type = read_string(r, *x, w.path("content_type"));
    }
    ss.will = will;
  }
}

// ---- reconnect ------------------------------------------------------------------------

void parse_reconnect(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "reconnect", keys::kReconnect);
  if (!m.ok()) return;
  Reconnect& rc = s.reconnect;
  auto read_d = [&](const YAML::Node& v, const std::string& p) { return read_duration(r, v, p); };
  read_into(m, "min_delay", rc.min_delay, read_d);
  read_into(m, "max_delay", rc.max_delay, read_d);
  read_into(m, "reset_after", rc.reset_after, read_d);
  if (auto v = m.get("jitter")) {
    if (auto i = read_enum(r, *v, m.path("jitter"), keys::kJitters)) {
      rc.jitter = static_cast<Jitter>(*i);
    }
  }
  if (auto v = m.get("first_connect_failure")) {
    if (auto i = read_enum(r, *v, m.path("first_connect_failure"), keys::kFirstConnectFailures)) {
      rc.first_connect_failure = static_cast<FirstConnectFailure>(*i);
    }
  }
  if (rc.min_delay > rc.max_delay) {
    const YAML::Node at = m.has("max_delay") ? *m.get("max_delay") : n;
    r.error(at, m.path("max_delay"),
            "must not be below reconnect.min_delay (" + format_duration(rc.min_delay) +
                "), got \"" + format_duration(rc.max_delay) + "\"");
  }
}

}  // namespace fleetload::scenario::detail
