// warnings(): settings that run but exceed AWS IoT Core limits (aws doc §8) or look odd, and
// settings that are read but cannot take effect.
#include <algorithm>
#include <cctype>

#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario {
namespace {

constexpr std::size_t kAwsMaxTopicBytes = 256;
constexpr std::size_t kAwsMaxTopicLevels = 8;
constexpr double kAwsMaxPublishesPerConnection = 100.0;
constexpr std::uint64_t kAwsMaxMessageBytes = 128 * 1024;
constexpr double kAwsMaxBytesPerConnection = 512.0 * 1024;
constexpr std::size_t kAwsMaxClientIdBytes = 128;
constexpr double kAwsMaxConnectsPerAccount = 500.0;
constexpr std::size_t kAwsMaxFiltersPerSubscribe = 8;

// The "$aws/rules/<rule>/" prefix does not count towards the topic limits.
std::string_view without_rules_prefix(std::string_view topic) {
  constexpr std::string_view prefix = "$aws/rules/";
  if (!topic.starts_with(prefix)) return topic;
  auto slash = topic.find('/', prefix.size());
  return slash == std::string_view::npos ? topic : topic.substr(slash + 1);
}

void check_topic(std::vector<std::string>& out, const Scenario& s, std::string_view what,
                 const std::string& tpl) {
  // The longest rendering is the one with the largest index (more digits).
  const std::uint64_t last = s.fleet.devices == 0 ? 0 : s.fleet.devices - 1;
  std::string topic = detail::render_for(s, tpl, last);
  std::string_view t = without_rules_prefix(topic);
  if (t.starts_with("$share/")) {
    // The share name is not part of the topic filter the limits apply to.
    auto group_end = t.find('/', 7);
    if (group_end != std::string_view::npos) t = t.substr(group_end + 1);
  }
  if (t.size() > kAwsMaxTopicBytes) {
    out.push_back(std::string(what) + ": topic \"" + topic + "\" is " + std::to_string(t.size()) +
                  " bytes; AWS IoT Core allows at most 256");
  }
  const std::size_t levels = static_cast<std::size_t>(std::count(t.begin(), t.end(), '/')) + 1;
  if (levels > kAwsMaxTopicLevels) {
    out.push_back(std::string(what) + ": topic \"" + topic + "\" has " + std::to_string(levels) +
                  " levels; AWS IoT Core allows at most 8");
  }
}

// Auth settings that run but weaken security or differ from what the SDK would do.
void auth_warnings(std::vector<std::string>& out, const Scenario& s) {
  const Auth& a = s.auth;
  if (a.mode == AuthMode::PlainTcp) return;
  if (!a.tls.enabled) {
    out.push_back("auth.tls.enabled: false: " + std::string(to_string(a.mode)) +
                  " runs WITHOUT TLS (local tests only); credentials travel in clear text");
  } else if (!a.tls.verify_peer) {
    out.push_back("auth.tls.verify_peer: false: THE BROKER CERTIFICATE IS NOT VERIFIED; anyone "
                  "on the path can impersonate the broker and read credentials");
  }
  if (a.ca_bytes && (a.ca_filepath || a.ca_dirpath)) {
    out.push_back("auth.ca_bytes: given with ca_filepath/ca_dirpath; ca_bytes wins and the "
                  "others are ignored (as in the SDK)");
  }
  if (a.mode == AuthMode::DirectWithCustomAuthorizer) {
    for (const auto& ep : s.target.endpoints) {
      if (ep.port != 443) {
        out.push_back("target: port " + std::to_string(ep.port) +
                      ": the SDK's direct_with_custom_authorizer always connects to 443");
        break;
      }
    }
  }
}

// Settings the parser accepts but that have no effect in this scenario: say so instead of
// ignoring them silently (a --set of one of them would otherwise change nothing).
void unused_setting_warnings(std::vector<std::string>& out, const Scenario& s) {
  const SdkMetrics& m = s.auth.metrics;
  const SdkMetrics defaults;
  const bool metrics_set = m.format != defaults.format || m.sdk_language != defaults.sdk_language ||
                           m.sdk_version != defaults.sdk_version || m.crt_version != defaults.crt_version ||
                           m.platform != defaults.platform || !m.features.empty();
  if (!m.enabled && metrics_set) {
    out.push_back("auth.metrics: has no effect: the CONNECT username carries no SDK metrics suffix while "
                  "auth.enable_metrics_collection is false (the default for plain_tcp); set it to true");
  }
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// An AWS region label: letters and '-' groups ending in a number ("us-east-1", "cn-north-1",
// "us-gov-west-1").
bool is_region(std::string_view r) {
  const auto dash = r.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || !all_digits(r.substr(dash + 1))) return false;
  return std::all_of(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(dash),
                     [](unsigned char c) { return std::islower(c) != 0 || c == '-'; });
}

bool any_aws_endpoint(const Scenario& s) {
  return std::any_of(s.target.endpoints.begin(), s.target.endpoints.end(),
                     [](const Endpoint& e) { return is_aws_iot_endpoint(e.host); });
}

// Reconnect and session settings that do not do what their name suggests.
void reconnect_session_warnings(std::vector<std::string>& out, const Scenario& s) {
  if (s.reconnect.jitter == Jitter::Decorrelated) {
    out.push_back("reconnect.jitter: decorrelated runs as the SDK's MQTT 5 client really runs it: it never "
                  "records the previous delay, so every draw is a full-jitter draw; use "
                  "decorrelated_textbook for firmware that implements rand(min_delay, 3 * previous)");
  }
  const bool v5 = s.target.protocol == mqtt::Version::V5;
  const bool no_expiry = !s.session.session_expiry || s.session.session_expiry->count() == 0;
  if (v5 && s.session.session_behavior != SessionBehavior::Clean && no_expiry) {
    out.push_back(std::string("session.session_behavior: ") + to_string(s.session.session_behavior) +
                  " without session.session_expiry: the broker ends the session when the connection "
                  "closes, so there is never one to rejoin");
  }
}

}  // namespace

bool is_aws_iot_endpoint(std::string_view host) {
  std::string h(host);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!h.empty() && h.back() == '.') h.pop_back();
  std::string_view v = h;
  for (std::string_view suffix : {".amazonaws.com.cn", ".amazonaws.com"}) {
    if (v.ends_with(suffix)) {
      v.remove_suffix(suffix.size());
      // What is left: <prefix>.iot.<region> (or iot-fips): exactly one label before "iot",
      // which keeps out the credentials provider (<id>.credentials.iot.<region>) and the
      // control plane (iot.<region>).
      const auto region_dot = v.rfind('.');
      if (region_dot == std::string_view::npos || !is_region(v.substr(region_dot + 1))) return false;
      v = v.substr(0, region_dot);
      const auto service_dot = v.rfind('.');
      if (service_dot == std::string_view::npos) return false;
      const std::string_view service = v.substr(service_dot + 1), prefix = v.substr(0, service_dot);
      return (service == "iot" || service == "iot-fips") && !prefix.empty() &&
             prefix.find('.') == std::string_view::npos;
    }
  }
  return false;
}

namespace {

// True when `s` (or one of its groups) has what `has` asks for.
template <class Pred>
bool any_group(const Scenario& s, Pred has) {
  if (!s.groups.empty())
    return std::any_of(s.groups.begin(), s.groups.end(), [&](const Scenario& g) { return any_group(g, has); });
  return has(s);
}

bool has_receivers(const Scenario& s) {
  return any_group(s, [](const Scenario& g) { return !g.subscribe.filters.empty() && g.subscribe.subscribers.selected > 0; });
}

bool has_acked_publishes(const Scenario& s) {
  return any_group(s, [](const Scenario& g) {
    return std::any_of(g.publish.begin(), g.publish.end(),
                       [](const Publish& p) { return p.qos > 0 && p.publishers.selected > 0; });
  });
}

// The AWS IoT behaviour a threshold measures, and what it needs to have a sample; nullptr
// when the threshold is not a behaviour's.
const char* behaviour_needed(const Scenario& s, const std::string& metric) {
  if (metric == "p99_shadow_update_latency")
    return any_group(s, [](const Scenario& g) { return g.shadow && (g.shadow->update || g.shadow->on_delta == ShadowOnDelta::Report); })
               ? nullptr
               : "a shadow section with update or on_delta: report";
  if (metric == "max_shadow_rejections")
    return any_group(s, [](const Scenario& g) { return g.shadow.has_value(); }) ? nullptr : "a shadow section";
  if (metric == "max_job_failures" || metric == "p99_job_duration")
    return any_group(s, [](const Scenario& g) { return g.jobs.has_value(); }) ? nullptr : "a jobs section";
  if (metric == "max_provisioning_failures" || metric == "p99_provisioning_latency")
    return any_group(s, [](const Scenario& g) { return g.provisioning.has_value(); }) ? nullptr
                                                                                      : "a provisioning section";
  return nullptr;
}

// Thresholds whose figure this fleet (or group) cannot produce.
void threshold_warnings(std::vector<std::string>& out, const Scenario& s, const std::string& prefix) {
  for (const auto& t : s.thresholds) {
    if (const char* need = behaviour_needed(s, t.metric)) {
      out.push_back(prefix + "thresholds." + t.metric + ": needs " + need + " to measure; this " +
                    (prefix.empty() ? "scenario" : "group") + " has none, so the run cannot pass it");
    }
    if ((t.metric == "max_loss" || t.metric == "max_duplicates" || t.metric == "p99_e2e_latency") &&
        !has_receivers(s)) {
      out.push_back(prefix + "thresholds." + t.metric + ": needs subscribers to measure; this " +
                    (prefix.empty() ? "scenario" : "group") + " has none");
    }
    if (t.metric == "p99_ack_latency" && !has_acked_publishes(s)) {
      out.push_back(prefix + "thresholds.p99_ack_latency: needs QoS 1 or 2 publishes to measure");
    }
  }
}

// The settings every device has (a group's are its own): auth, session, client id,
// publish, subscribe.
void device_warnings(std::vector<std::string>& out, const Scenario& s) {
  auth_warnings(out, s);
  unused_setting_warnings(out, s);
  const auto ka = s.session.keepalive.count();
  if (ka < 30 || ka > 1200) {
    out.push_back("session.keepalive: " + format_duration(s.session.keepalive) +
                  " is outside AWS IoT Core's 30s..1200s range");
  }
  const std::uint64_t last = s.fleet.devices == 0 ? 0 : s.fleet.devices - 1;
  const std::string client_id = detail::render_for(s, "{client_id}", last);
  if (client_id.size() > kAwsMaxClientIdBytes) {
    out.push_back("fleet.client_id: \"" + client_id + "\" is " + std::to_string(client_id.size()) +
                  " bytes; AWS IoT Core allows at most 128");
  }
  // The account-wide connect limit is AWS IoT Core's alone: other brokers take what they take.
  const bool aws = any_aws_endpoint(s);
  if (aws && s.fleet.connect_rate.per_second > kAwsMaxConnectsPerAccount) {
    out.push_back("fleet.connect_rate: " + format_rate(s.fleet.connect_rate.per_second) +
                  " exceeds AWS IoT Core's default of 500 connects/s per account");
  }
  for (const auto& p : s.phases) {
    if (aws && p.connect_rate && p.connect_rate->per_second > kAwsMaxConnectsPerAccount) {
      out.push_back("phases." + p.name + ".connect_rate: " + format_rate(p.connect_rate->per_second) +
                    " exceeds AWS IoT Core's default of 500 connects/s per account");
    }
  }
  // What a device on AWS IoT Core does about it: it holds to session.publish_limit.
  const std::string held = aws ? "; these devices hold to it (session.publish_limit), so they publish less than asked"
                               : "";
  double total_rate = 0.0;
  for (std::size_t i = 0; i < s.publish.size(); ++i) {
    const Publish& p = s.publish[i];
    const std::string at = stream_path(s, i);
    const double rate = p.per_device_rate.per_second;
    total_rate += rate;
    if (rate > kAwsMaxPublishesPerConnection) {
      out.push_back(at + ": " + format_rate(rate) +
                    " per device exceeds AWS IoT Core's 100 publishes/s per connection" + held);
    }
    if (p.qos == 2) out.push_back(at + ".qos: AWS IoT Core does not support QoS 2");
    check_topic(out, s, at + ".topic", p.topic);
    const std::uint64_t size =
        p.payload.template_text ? p.payload.template_text->size() : p.payload.size;
    if (size > kAwsMaxMessageBytes) {
      out.push_back(at + ".payload: " + format_size(size) +
                    " exceeds AWS IoT Core's 128KiB message size");
    }
    if (!s.subscribe.filters.empty() && size > s.session.receive_limit()) {
      out.push_back(at + ".payload: " + format_size(size) + " exceeds session.maximum_packet_size (" +
                    format_size(s.session.receive_limit()) +
                    (s.session.maximum_packet_size ? "" : ", the default") +
                    "): our subscribers refuse such messages");
    }
    if (rate * static_cast<double>(size) > kAwsMaxBytesPerConnection) {
      out.push_back(at + ": " + format_size(static_cast<std::uint64_t>(rate * static_cast<double>(size))) +
                    "/s per device exceeds AWS IoT Core's 512KiB/s per connection");
    }
  }
  if (s.publish.size() > 1 && total_rate > kAwsMaxPublishesPerConnection &&
      std::none_of(s.publish.begin(), s.publish.end(),
                   [](const Publish& p) { return p.per_device_rate.per_second > kAwsMaxPublishesPerConnection; })) {
    out.push_back("publish: " + format_rate(total_rate) +
                  " per device over all streams exceeds AWS IoT Core's 100 publishes/s per connection" + held);
  }
  for (std::size_t i = 0; i < s.subscribe.filters.size(); ++i) {
    const auto& f = s.subscribe.filters[i];
    const std::string path = "subscribe.filters." + std::to_string(i);
    if (f.qos == 2) out.push_back(path + ".qos: AWS IoT Core does not support QoS 2");
    check_topic(out, s, path, f.filter);
  }
  if (s.subscribe.filters.size() > kAwsMaxFiltersPerSubscribe) {
    out.push_back("subscribe.filters: " + std::to_string(s.subscribe.filters.size()) +
                  " filters; AWS IoT Core accepts at most 8 per SUBSCRIBE");
  }
  if (s.session.will) {
    if (s.session.will->qos == 2) out.push_back("session.will.qos: AWS IoT Core does not support QoS 2");
    check_topic(out, s, "session.will.topic", s.session.will->topic);
  }
  reconnect_session_warnings(out, s);
}

}  // namespace

std::vector<std::string> warnings(const Scenario& s) {
  std::vector<std::string> out;
  if (s.groups.empty()) {
    device_warnings(out, s);
  } else {
    // Each group's own settings, named as the group's.
    for (const auto& g : s.groups) {
      std::vector<std::string> mine;
      device_warnings(mine, g);
      for (auto& w : mine) out.push_back("groups." + g.group + "." + w);
      threshold_warnings(out, g, "groups." + g.group + ".");
    }
  }
  Duration total{0};
  for (const auto& p : s.phases) total += p.duration;
  if (total > s.run.duration) {
    out.push_back("run.duration: " + format_duration(s.run.duration) +
                  " ends the run before the phases do (they last " + format_duration(total) + ")");
  }
  threshold_warnings(out, s, "");
  // Warnings quote topics and client ids: a secret reused there stays masked.
  const auto secrets = secret_values(s);
  for (auto& w : out) w = mask_secret_values(std::move(w), secrets);
  return out;
}

}  // namespace fleetload::scenario
