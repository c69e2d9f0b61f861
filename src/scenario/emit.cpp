// to_yaml: the resolved scenario, defaults filled in, secrets masked, re-parseable.
#include <yaml-cpp/yaml.h>

#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario {
namespace {

constexpr const char* kMask = "***";

std::string endpoint_text(const Endpoint& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

std::string selection_text(const Selection& s) {
  switch (s.kind) {
    case Selection::Kind::All: return "all";
    case Selection::Kind::None: return "none";
    case Selection::Kind::Count: return std::to_string(s.count);
    case Selection::Kind::Share: return format_percent(s.share);
  }
  return "all";
}

// Values always as strings: our parser reads every scalar as text, and quoting keeps
// templates like "{index}" from being read back as YAML flow mappings.
// "${" and "$$" are doubled so that ${ENV} substitution on re-parse gives the value back.
std::string escape_env(const std::string& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out += v[i];
    if (v[i] == '$' && i + 1 < v.size() && (v[i + 1] == '{' || v[i + 1] == '$')) out += '$';
  }
  return out;
}
void kv(YAML::Emitter& e, const char* key, const std::string& value) {
  e << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << escape_env(value);
}
void kv(YAML::Emitter& e, const char* key, bool value) {
  e << YAML::Key << key << YAML::Value << (value ? "true" : "false");
}
void kv_num(YAML::Emitter& e, const char* key, std::uint64_t value) {
  e << YAML::Key << key << YAML::Value << value;
}
void kv_dur(YAML::Emitter& e, const char* key, Duration d) {
  e << YAML::Key << key << YAML::Value << format_duration(d);
}

void emit_stream(YAML::Emitter& e, const Publish& p) {
  e << YAML::BeginMap;
  kv(e, "name", p.name);
  kv(e, "topic", p.topic);
  kv_num(e, "qos", p.qos);
  if (p.rate) e << YAML::Key << "rate" << YAML::Value << format_rate(p.rate->per_second);
  if (p.fleet_rate) {
    e << YAML::Key << "fleet_rate" << YAML::Value << format_rate(p.fleet_rate->per_second);
    e << YAML::Comment("per device: " + format_rate(p.per_device_rate.per_second));
  }
  e << YAML::Key << "arrival" << YAML::Value << to_string(p.arrival);
  e << YAML::Key << "payload" << YAML::Value << YAML::BeginMap;
  if (p.payload.template_text) {
    kv(e, "template", *p.payload.template_text);
  } else {
    e << YAML::Key << "size" << YAML::Value << format_size(p.payload.size);
    kv(e, "header", p.payload.accounting_header);
  }
  e << YAML::EndMap;
  kv(e, "retain", p.retain);
  if (!p.user_properties.empty()) {
    e << YAML::Key << "user_properties" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : p.user_properties) {
      e << YAML::Key << YAML::DoubleQuoted << k << YAML::Value << YAML::DoubleQuoted << v;
    }
    e << YAML::EndMap;
  }
  if (p.content_type) kv(e, "content_type", *p.content_type);
  if (p.message_expiry) kv_dur(e, "message_expiry", *p.message_expiry);
  if (p.topic_alias) kv(e, "topic_alias", p.topic_alias);
  e << YAML::Key << "publishers" << YAML::Value << selection_text(p.publishers);
  e << YAML::Comment(std::to_string(p.publishers.selected) + " devices");
  e << YAML::EndMap;
}

// One stream as a mapping (the file's usual form), several as a list.
void emit_publish(YAML::Emitter& e, const std::vector<Publish>& ps) {
  e << YAML::Key << "publish" << YAML::Value;
  if (ps.size() == 1) {
    emit_stream(e, ps.front());
    return;
  }
  e << YAML::BeginSeq;
  for (const auto& p : ps) emit_stream(e, p);
  e << YAML::EndSeq;
}

void emit_shadow(YAML::Emitter& e, const Shadow& sh) {
  e << YAML::Key << "shadow" << YAML::Value << YAML::BeginMap;
  if (sh.name) kv(e, "name", *sh.name);
  e << YAML::Key << "get" << YAML::Value << to_string(sh.get);
  if (sh.update) {
    e << YAML::Key << "update" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "rate" << YAML::Value << format_rate(sh.update->rate.per_second);
    kv(e, "reported", sh.update->reported);
    e << YAML::EndMap;
  }
  e << YAML::Key << "on_delta" << YAML::Value << to_string(sh.on_delta);
  kv(e, "version", sh.version);
  kv_dur(e, "timeout", sh.timeout);
  kv_num(e, "qos", sh.qos);
  e << YAML::EndMap;
}

void emit_jobs(YAML::Emitter& e, const Jobs& j) {
  e << YAML::Key << "jobs" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "start" << YAML::Value << to_string(j.start);
  std::string work = format_duration(j.work_min);
  if (j.work_max != j.work_min) work += ".." + format_duration(j.work_max);
  e << YAML::Key << "work_time" << YAML::Value << work;
  e << YAML::Key << "fail_share" << YAML::Value << format_percent(j.fail_share);
  if (!j.status_details.empty()) {
    e << YAML::Key << "status_details" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : j.status_details) kv(e, k.c_str(), v);
    e << YAML::EndMap;
  }
  if (j.step_timeout_minutes) kv_num(e, "step_timeout", *j.step_timeout_minutes);
  kv(e, "in_progress", j.in_progress);
  kv_dur(e, "timeout", j.timeout);
  kv_num(e, "qos", j.qos);
  e << YAML::EndMap;
}

void emit_provisioning(YAML::Emitter& e, const Provisioning& pv) {
  e << YAML::Key << "provisioning" << YAML::Value << YAML::BeginMap;
  kv(e, "template", pv.template_name);
  if (!pv.parameters.empty()) {
    e << YAML::Key << "parameters" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : pv.parameters) kv(e, k.c_str(), v);
    e << YAML::EndMap;
  }
  e << YAML::Key << "certificate" << YAML::Value << to_string(pv.certificate);
  e << YAML::Key << "format" << YAML::Value << to_string(pv.format);
  if (pv.certificate == ProvisioningCertificate::CreateFromCsr)
    e << YAML::Key << "key_type" << YAML::Value << to_string(pv.key_type);
  kv_dur(e, "timeout", pv.timeout);
  kv_num(e, "qos", pv.qos);
  e << YAML::EndMap;
}

void emit_session(YAML::Emitter& e, const Scenario& s) {
  const Session& ss = s.session;
  const bool v5 = s.target.protocol == mqtt::Version::V5;
  e << YAML::Key << "session" << YAML::Value << YAML::BeginMap;
  kv_dur(e, "keepalive", ss.keepalive);
  kv_dur(e, "ping_timeout", ss.ping_timeout);
  kv_dur(e, "connack_timeout", ss.connack_timeout);
  if (v5)
    e << YAML::Key << "session_behavior" << YAML::Value << to_string(ss.session_behavior);
  else
    kv(e, "clean_session", ss.clean_session);
  if (ss.session_expiry) kv_dur(e, "session_expiry", *ss.session_expiry);
  if (ss.receive_maximum) kv_num(e, "receive_maximum", *ss.receive_maximum);
  // Only an explicit limit is written: written, it would be announced in an MQTT 5 CONNECT.
  if (ss.maximum_packet_size)
    kv_num(e, "maximum_packet_size", *ss.maximum_packet_size);
  else
    e << YAML::Comment("maximum_packet_size: " + format_size(ss.receive_limit()) + " (default receive limit, not sent)");
  if (ss.topic_alias_maximum) kv_num(e, "topic_alias_maximum", *ss.topic_alias_maximum);
  kv_dur(e, "ack_timeout", ss.ack_timeout);
  e << YAML::Key << "offline_queue" << YAML::Value << to_string(ss.offline_queue);
  if (ss.subscribe_batch) kv_num(e, "subscribe_batch", *ss.subscribe_batch);
  if (ss.publish_limit) e << YAML::Key << "publish_limit" << YAML::Value << format_rate(ss.publish_limit->per_second);
  if (ss.will) {
    const Will& w = *ss.will;
    e << YAML::Key << "will" << YAML::Value << YAML::BeginMap;
    kv(e, "topic", w.topic);
    kv(e, "payload", w.payload);
    kv_num(e, "qos", w.qos);
    kv(e, "retain", w.retain);
    if (v5 && w.delay) kv_dur(e, "delay", *w.delay);
    if (v5 && w.message_expiry) kv_dur(e, "message_expiry", *w.message_expiry);
    if (v5 && w.content_type) kv(e, "content_type", *w.content_type);
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
}

void emit_pairs(YAML::Emitter& e, const char* key,
                const std::vector<std::pair<std::string, std::string>>& pairs, bool mask) {
  if (pairs.empty()) return;
  e << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : pairs) kv(e, k.c_str(), mask ? std::string(kMask) : v);
  e << YAML::EndMap;
}

// Every secret (aws doc: keys, PINs, passwords, tokens, signatures) becomes "***".
void emit_auth(YAML::Emitter& e, const Auth& a, bool mask) {
  auto opt = [&](const char* key, const std::optional<std::string>& v) {
    if (v) kv(e, key, *v);
  };
  auto secret = [&](const char* key, const std::optional<std::string>& v) {
    if (v) kv(e, key, mask ? std::string(kMask) : *v);
  };
  e << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "mode" << YAML::Value << to_string(a.mode);
  opt("username", a.username);
  secret("password", a.password);
  kv(e, "enable_metrics_collection", a.metrics.enabled);
  if (a.metrics.enabled) {
    e << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "format" << YAML::Value << to_string(a.metrics.format);
    kv(e, "sdk_language", a.metrics.sdk_language);
    kv(e, "sdk_version", a.metrics.sdk_version);
    kv(e, "crt_version", a.metrics.crt_version);
    kv(e, "platform", a.metrics.platform);
    if (!a.metrics.features.empty()) {
      e << YAML::Key << "features" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& f : a.metrics.features) e << YAML::DoubleQuoted << f;
      e << YAML::EndSeq;
    }
    e << YAML::EndMap;
  }
  opt("cert_filepath", a.cert_filepath);
  opt("pri_key_filepath", a.pri_key_filepath);
  opt("cert_bytes", a.cert_bytes);
  secret("pri_key_bytes", a.pri_key_bytes);
  opt("ca_filepath", a.ca_filepath);
  opt("ca_dirpath", a.ca_dirpath);
  opt("ca_bytes", a.ca_bytes);
  opt("pkcs11_lib", a.pkcs11_lib);
  secret("user_pin", a.user_pin);
  if (a.slot_id) kv_num(e, "slot_id", *a.slot_id);
  opt("token_label", a.token_label);
  opt("private_key_label", a.private_key_label);
  opt("pkcs12_filepath", a.pkcs12_filepath);
  secret("pkcs12_password", a.pkcs12_password);
  opt("cert_store_path", a.cert_store_path);
  opt("region", a.region);
  if (a.mode == AuthMode::WebsocketsWithDefaultAwsSigning) {
    const AwsCredentialsSpec& c = a.credentials;
    e << YAML::Key << "credentials" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "source" << YAML::Value << to_string(c.source);
    opt("access_key_id", c.access_key_id);
    secret("secret_access_key", c.secret_access_key);
    secret("session_token", c.session_token);
    opt("profile", c.profile);
    opt("credential_process", c.credential_process);
    e << YAML::EndMap;
  }
  if (!a.websocket_headers.empty() || !a.websocket_query.empty()) {
    e << YAML::Key << "websocket" << YAML::Value << YAML::BeginMap;
    emit_pairs(e, "headers", a.websocket_headers, mask);
    emit_pairs(e, "query", a.websocket_query, mask);
    e << YAML::EndMap;
  }
  opt("auth_username", a.auth_username);
  opt("auth_authorizer_name", a.auth_authorizer_name);
  secret("auth_authorizer_signature", a.auth_authorizer_signature);
  secret("auth_password", a.auth_password);
  opt("auth_token_key_name", a.auth_token_key_name);
  secret("auth_token_value", a.auth_token_value);
  if (a.mode != AuthMode::PlainTcp) {
    e << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    kv(e, "enabled", a.tls.enabled);
    kv(e, "verify_peer", a.tls.verify_peer);
    kv(e, "session_resumption", a.tls.session_resumption);
    if (a.tls.alpn) {
      e << YAML::Key << "alpn" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& p : *a.tls.alpn) e << YAML::DoubleQuoted << p;
      e << YAML::EndSeq;
    }
    opt("sni", a.tls.sni);
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
}


// A search phase's keys, values in the unit of what it varies (rates as "500/s").
void emit_search(YAML::Emitter& e, const Search& q) {
  const bool rate = q.vary != SearchVary::Devices;
  auto quantity = [rate](double v) { return rate ? format_rate(v) : format_number(v); };
  kv(e, "vary", std::string(to_string(q.vary)));
  if (q.vary == SearchVary::PublishRate) kv(e, "per", std::string(q.per_device ? "device" : "fleet"));
  if (!q.group.empty()) kv(e, "group", q.group);
  kv(e, "from", quantity(q.from));
  kv(e, "to", quantity(q.to));
  kv_dur(e, "hold", q.hold);
  kv_dur(e, "settle", q.settle);
  switch (q.steps.kind) {
    case SearchSteps::Kind::Linear: kv(e, "steps", "linear " + format_number(q.steps.value)); break;
    case SearchSteps::Kind::Geometric: kv(e, "steps", "geometric " + format_number(q.steps.value)); break;
    case SearchSteps::Kind::Step: kv(e, "step", quantity(q.steps.value)); break;
  }
  kv(e, "precision", q.precision_relative ? format_percent(q.precision) : quantity(q.precision));
  kv_num(e, "max_steps", q.max_steps);
  e << YAML::Key << "criteria" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& c : q.criteria) e << c;
  e << YAML::EndSeq;
  if (q.require_op) {
    e << YAML::Key << "require" << YAML::Value << YAML::DoubleQuoted
      << std::string(to_string(*q.require_op)) + " " + quantity(q.require_value);
  }
  e << YAML::Key << "abort" << YAML::Value << YAML::BeginMap;
  kv(e, "connect_success_below", format_percent(q.abort.connect_success_below));
  kv(e, "errors_above", format_rate(q.abort.errors_per_second_above));
  e << YAML::EndMap;
}

}  // namespace

std::vector<std::string> secret_values(const Scenario& s) {
  const Auth& a = s.auth;
  std::vector<std::string> out;
  for (const auto* v : {&a.password, &a.pri_key_bytes, &a.user_pin, &a.pkcs12_password,
                        &a.credentials.secret_access_key, &a.credentials.session_token,
                        &a.auth_authorizer_signature, &a.auth_password, &a.auth_token_value})
    if (*v && !(*v)->empty()) out.push_back(**v);
  for (const auto* pairs : {&a.websocket_headers, &a.websocket_query})
    for (const auto& [k, v] : *pairs)
      if (!v.empty()) out.push_back(v);
  for (const auto& g : s.groups) {
    auto more = secret_values(g);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

// The sections a scenario and each of its groups have. In a group, fleet.devices is the
// whole fleet's (the group's size is its own `devices`), so it is left out.
void emit_sections(YAML::Emitter& e, const Scenario& s, bool mask_secrets, bool in_group) {
  e << YAML::Key << "target" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "endpoints" << YAML::Value << YAML::BeginSeq;
  // A WebSocket path is only expressible as a URL; other endpoints keep host:port.
  for (const auto& ep : s.target.endpoints)
    e << (ep.path.empty() ? endpoint_text(ep) : to_url(scheme_of(s.auth), ep));
  e << YAML::EndSeq;
  e << YAML::Key << "protocol" << YAML::Value
    << (s.target.protocol == mqtt::Version::V5 ? "mqtt5" : "mqtt311");
  kv_dur(e, "connect_timeout", s.target.connect_timeout);
  kv_dur(e, "dns_refresh", s.target.dns_refresh);
  e << YAML::EndMap;

  emit_auth(e, s.auth, mask_secrets);

  e << YAML::Key << "fleet" << YAML::Value << YAML::BeginMap;
  if (!in_group) kv_num(e, "devices", s.fleet.devices);
  kv(e, "client_id", s.fleet.client_id);
  kv_num(e, "index_width", s.fleet.index_width);
  if (s.fleet.thing_name) kv(e, "thing_name", *s.fleet.thing_name);
  e << YAML::Key << "connect_rate" << YAML::Value << format_rate(s.fleet.connect_rate.per_second);
  if (!s.fleet.source_addresses.empty()) {
    e << YAML::Key << "source_addresses" << YAML::Value << YAML::BeginSeq;
    for (const auto& a : detail::collapse_addresses(s.fleet.source_addresses)) e << a;
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;
  if (!in_group && s.fleet.shard.n > 1) {
    e << YAML::Comment("shard " + std::to_string(s.fleet.shard.k) + "/" +
                       std::to_string(s.fleet.shard.n) + " (from --shard)");
  }

  emit_session(e, s);

  e << YAML::Key << "reconnect" << YAML::Value << YAML::BeginMap;
  kv_dur(e, "min_delay", s.reconnect.min_delay);
  kv_dur(e, "max_delay", s.reconnect.max_delay);
  e << YAML::Key << "jitter" << YAML::Value << to_string(s.reconnect.jitter);
  kv_dur(e, "reset_after", s.reconnect.reset_after);
  e << YAML::Key << "first_connect_failure" << YAML::Value << to_string(s.reconnect.first_connect_failure);
  e << YAML::EndMap;

  if (!s.publish.empty()) emit_publish(e, s.publish);
  if (s.shadow) emit_shadow(e, *s.shadow);
  if (s.jobs) emit_jobs(e, *s.jobs);
  if (s.provisioning) emit_provisioning(e, *s.provisioning);

  if (!s.subscribe.filters.empty()) {
    const bool v5 = s.target.protocol == mqtt::Version::V5;
    e << YAML::Key << "subscribe" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "subscribers" << YAML::Value << selection_text(s.subscribe.subscribers);
    e << YAML::Comment(std::to_string(s.subscribe.subscribers.selected) + " devices");
    e << YAML::Key << "filters" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : s.subscribe.filters) {
      e << YAML::BeginMap;
      kv(e, "filter", f.filter);
      kv_num(e, "qos", f.qos);
      if (v5) {
        kv(e, "no_local", f.no_local);
        kv(e, "retain_as_published", f.retain_as_published);
        kv_num(e, "retain_handling", f.retain_handling);
      }
      e << YAML::EndMap;
    }
    e << YAML::EndSeq << YAML::EndMap;
  }

}

void emit_thresholds(YAML::Emitter& e, const Scenario& s) {
  if (!s.thresholds.empty()) {
    e << YAML::Key << "thresholds" << YAML::Value << YAML::BeginMap;
    for (const auto& t : s.thresholds) {
      std::string value = std::string(to_string(t.op)) + " ";
      switch (t.unit) {
        case Threshold::Unit::Count: value += format_number(t.value); break;
        case Threshold::Unit::Ratio: value += format_percent(t.value); break;
        case Threshold::Unit::Seconds:
          value += format_duration(Duration(static_cast<Duration::rep>(t.value * 1000.0 + 0.5)));
          break;
      }
      e << YAML::Key << t.metric << YAML::Value << YAML::DoubleQuoted << value;
    }
    e << YAML::EndMap;
  }
}

std::string to_yaml(const Scenario& s, bool mask_secrets) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  kv(e, "name", s.name);
  emit_sections(e, s, mask_secrets, false);
  e << YAML::Key << "phases" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : s.phases) {
    e << YAML::BeginMap;
    kv(e, "name", p.name);
    e << YAML::Key << "type" << YAML::Value << to_string(p.type);
    if (p.search) {
      emit_search(e, *p.search);
    } else {
      kv_dur(e, "duration", p.duration);
    }
    if (p.connect_rate) e << YAML::Key << "connect_rate" << YAML::Value << format_rate(p.connect_rate->per_second);
    if (p.type == PhaseType::Churn) {
      e << YAML::Key << "rate" << YAML::Value << format_percent(p.churn_share_per_second) + "/s";
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;

  e << YAML::Key << "run" << YAML::Value << YAML::BeginMap;
  kv_dur(e, "duration", s.run.duration);
  if (s.run.report) kv(e, "report", s.run.report->string());
  kv_dur(e, "progress_interval", s.run.progress_interval);
  kv_dur(e, "drain_timeout", s.run.drain_timeout);
  if (s.run.id) kv(e, "id", *s.run.id);
  e << YAML::EndMap;

  emit_thresholds(e, s);
  if (!s.groups.empty()) {
    // Each group with every section resolved (what it inherited and what it set), so the
    // output reads back as the same fleet.
    e << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
    for (const auto& g : s.groups) {
      e << YAML::BeginMap;
      kv(e, "name", g.group);
      kv_num(e, "devices", g.group_devices);
      emit_sections(e, g, mask_secrets, true);
      emit_thresholds(e, g);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;
  std::string out = std::string(e.c_str()) + "\n";
  // A secret reused in a field that is not secret (a client id, a topic) is masked there too.
  if (mask_secrets) out = mask_secret_values(std::move(out), secret_values(s));
  return out;
}

}  // namespace fleetload::scenario
