// Post-parse checks of the rendered MQTT strings (first and last device) and warnings about
// settings that weaken the broker certificate check.
#include "scenario/checks.hpp"

#include <algorithm>

#include "mqtt/codec.hpp"
#include "scenario/template.hpp"

namespace fleetload::scenario {

namespace {

// MQTT 5 §1.5.4 / 3.1.1 §1.5.3: a UTF-8 string is prefixed by a two-byte length.
constexpr std::size_t kMaxMqttString = 65535;

std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

// The first bytes of a rendered string, printable, for messages.
std::string preview(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  if (s.size() > 40) out += "...";
  return out;
}

struct Renderer {
  const Scenario& s;
  TemplateVars vars(std::uint64_t index, const std::string& client_id) const {
    TemplateVars v = template_vars(s, index);
    v.client_id = client_id;
    return v;
  }
};

enum class Kind : std::uint8_t { String, TopicName, TopicFilter, Binary };

// What is wrong with one rendered value, or empty.
std::string problem(std::string_view value, Kind kind) {
  if (value.size() > kMaxMqttString)
    return "is " + with_commas(value.size()) + " bytes; " +
           (kind == Kind::Binary ? "MQTT Binary Data holds at most 65,535 (MQTT 5 §1.5.6)"
                                 : "an MQTT string holds at most 65,535 (MQTT 5 §1.5.4)");
  if (kind == Kind::Binary) return {};
  if (!mqtt::valid_utf8(value))
    return "\"" + preview(value) + "\" is not valid UTF-8 (or holds U+0000); MQTT strings must be (MQTT 5 §1.5.4)";
  if (kind == Kind::TopicName && !mqtt::valid_topic_name(value))
    return "\"" + preview(value) + "\" is not a topic name (not empty, no + or # wildcards; MQTT 5 §4.7)";
  if (kind == Kind::TopicFilter && !mqtt::valid_topic_filter(value))
    return "\"" + preview(value) + "\" is not a topic filter (+ and # only as whole levels, # last; MQTT 5 §4.7)";
  return {};
}

}  // namespace

std::vector<std::uint64_t> checked_devices(const Scenario& s) {
  const std::uint64_t n = std::max<std::uint32_t>(1, s.fleet.shard.n);
  const std::uint64_t k = s.fleet.shard.k;
  // The fleet, or a group's part of it: indices [begin, end).
  const bool group = !s.group.empty() && s.group_devices > 0;
  const std::uint64_t begin = group ? s.group_first : 0;
  const std::uint64_t end = group ? s.group_first + s.group_devices : s.fleet.devices;
  // This shard's indices are k, k + n, k + 2n, ...: the first at or after begin.
  const std::uint64_t first = begin <= k ? k : k + (begin - k + n - 1) / n * n;
  if (first >= end) return {};
  const std::uint64_t last = first + (end - 1 - first) / n * n;
  if (first == last) return {first};
  return {first, last};
}

CheckResult check_each_group(const Scenario& s, const std::function<CheckResult(const Scenario&)>& check) {
  if (s.groups.empty()) return check(s);
  CheckResult out;
  for (const Scenario& g : group_scenarios(s)) {
    CheckResult c = check(g);
    const std::string prefix = "groups." + g.group;
    for (auto& d : c.errors) {
      d.path = prefix + "." + d.path;
      out.errors.push_back(std::move(d));
    }
    for (auto& w : c.warnings) out.warnings.push_back(prefix + ": " + w);
    for (auto& n : c.notes) out.notes.push_back(prefix + ": " + n);
  }
  return out;
}

Diagnostic diagnostic_at(const Scenario& s, std::string_view path, std::string message) {
  Diagnostic d;
  d.file = s.source;
  d.path = std::string(path);
  d.message = std::move(message);
  // The last reading of the path wins (an override read after the file's value).
  for (auto it = s.positions.rbegin(); it != s.positions.rend(); ++it) {
    if (it->first != path) continue;
    d.file = it->second.file;
    d.line = it->second.line;
    d.column = it->second.column;
    break;
  }
  return d;
}

CheckResult check_rendering(const Scenario& s) {
  CheckResult out;
  const Renderer r{s};
  const auto devices = checked_devices(s);
  // Each template is reported once, at its first failing device.
  auto check = [&](const std::string& path, const std::string& tpl, Kind kind) {
    for (const std::uint64_t i : devices) {
      const std::string client_id = render_template(s.fleet.client_id, r.vars(i, ""));
      const std::string value = path == "fleet.client_id" ? client_id : render_template(tpl, r.vars(i, client_id));
      const std::string why = problem(value, kind);
      if (why.empty()) continue;
      out.errors.push_back(diagnostic_at(s, path, "rendered for device " + std::to_string(i) + ", " + why));
      return;
    }
  };
  check("fleet.client_id", s.fleet.client_id, Kind::String);
  if (s.auth.username) check("auth.username", *s.auth.username, Kind::String);
  if (s.auth.auth_username) check("auth.auth_username", *s.auth.auth_username, Kind::String);
  for (std::size_t i = 0; i < s.publish.size(); ++i)
    check(stream_path(s, i) + ".topic", s.publish[i].topic, Kind::TopicName);
  for (std::size_t f = 0; f < s.subscribe.filters.size(); ++f) {
    const std::string base = "subscribe.filters." + std::to_string(f);
    // The filter's position is under ".filter" in the long form, the item itself in the short.
    const bool long_form = std::any_of(s.positions.begin(), s.positions.end(),
                                       [&](const auto& p) { return p.first == base + ".filter"; });
    check(long_form ? base + ".filter" : base, s.subscribe.filters[f].filter, Kind::TopicFilter);
  }
  if (s.session.will) {
    check("session.will.topic", s.session.will->topic, Kind::TopicName);
    check("session.will.payload", s.session.will->payload, Kind::Binary);  // Binary Data: length only
  }
  if (!devices.empty()) {
    std::string which = "device " + std::to_string(devices.front());
    if (devices.size() > 1) which = "devices " + std::to_string(devices.front()) + " and " + std::to_string(devices.back());
    out.notes.push_back("client ids and topics rendered and checked for " + which +
                        " (the first and last of this shard; templates are checked on those two only)");
  }

  // tls.sni replaces the name the broker certificate is checked against: a certificate for
  // the SNI name is then accepted from whatever host the endpoint is.
  const bool tls = s.auth.mode != AuthMode::PlainTcp && s.auth.tls.enabled;
  if (tls && s.auth.tls.verify_peer && s.auth.tls.sni) {
    std::string hosts;
    for (const auto& e : s.target.endpoints) {
      if (e.host == *s.auth.tls.sni) continue;
      if (hosts.find("\"" + e.host + "\"") != std::string::npos) continue;
      hosts += (hosts.empty() ? "\"" : ", \"") + e.host + "\"";
    }
    if (!hosts.empty()) {
      out.warnings.push_back("auth.tls.sni \"" + *s.auth.tls.sni +
                             "\" replaces the endpoint host in the broker certificate check: the certificate "
                             "must name \"" + *s.auth.tls.sni + "\", not " + hosts +
                             ", so a certificate for \"" + *s.auth.tls.sni +
                             "\" is accepted from those endpoints whoever they are; remove tls.sni unless "
                             "the broker really is known by that name");
    }
  }
  return out;
}

}  // namespace fleetload::scenario
