// Internal: one parser per scenario section, sharing a Reader for diagnostics.
#pragma once

#include <array>

#include "scenario/endpoint_url.hpp"
#include "scenario/scenario.hpp"
#include "scenario/template.hpp"
#include "scenario/yaml_reader.hpp"

namespace fleetload::scenario::detail {

inline constexpr std::array kClientIdVars{Placeholder::Index, Placeholder::Shard, Placeholder::Group,
                                          Placeholder::GroupIndex};
inline constexpr std::array kTopicVars{Placeholder::Index, Placeholder::Shard, Placeholder::ClientId,
                                       Placeholder::Group, Placeholder::GroupIndex};
inline constexpr std::array kPayloadVars{Placeholder::Index, Placeholder::Shard,
                                         Placeholder::ClientId, Placeholder::Seq,
                                         Placeholder::Timestamp, Placeholder::Group,
                                         Placeholder::GroupIndex};

// Sets every protocol-dependent default (connect/ping/ack timeouts, clean session,
// reconnect backoff) to the SDK's value for `s.target.protocol` (aws doc §1, §6).
void apply_protocol_defaults(Scenario& s);

// Section parsers: fill `s` from the node (which may be undefined = section absent).
void parse_target(Reader& r, const YAML::Node& n, Scenario& s);
// `scheme`: what the target's URLs say (endpoint_scheme); with no auth.mode it picks the mode
// (implied_mode), and it decides whether TLS is on for the modes where it may be off.
void parse_auth(Reader& r, const YAML::Node& n, Scenario& s, std::optional<UrlScheme> scheme = std::nullopt);
// The scheme of the target section's URL endpoints when they all agree (read from the raw
// text, before auth is parsed: the scheme may choose auth.mode); nullopt without URLs.
std::optional<UrlScheme> endpoint_scheme(const YAML::Node& target);
void parse_fleet(Reader& r, const YAML::Node& n, Scenario& s);
void parse_session(Reader& r, const YAML::Node& n, Scenario& s);
void parse_reconnect(Reader& r, const YAML::Node& n, Scenario& s);
void parse_publish(Reader& r, const YAML::Node& n, Scenario& s);
void parse_subscribe(Reader& r, const YAML::Node& n, Scenario& s);
// `shadow` (parse_shadow.cpp): after fleet, so the thing name can be checked rendered.
void parse_shadow(Reader& r, const YAML::Node& n, Scenario& s);
// `jobs` (parse_jobs.cpp): after fleet, like shadow.
void parse_jobs(Reader& r, const YAML::Node& n, Scenario& s);
// What an AWS IoT behaviour section (shadow, jobs) needs of `s`: a thing name every topic
// may carry (the service's rules, rendered for the group's first device; `thing_of`, e.g.
// "the shadow's", starts the message) and a subscribe_batch that lets its 5 answer topics go
// in one SUBSCRIBE (`who`, e.g. "a shadow subscribes", starts that one).
void check_aws_topics(Reader& r, const YAML::Node& n, const Scenario& s, const char* thing_of, const char* who);
// `timeout` of such a section: a duration above 0.
void read_answer_timeout(Reader& r, const MapView& m, Duration& out);
// `qos` of shadow, jobs or provisioning: 0 or 1 (QoS 2 refused: AWS IoT Core has none).
void read_aws_qos(Reader& r, const MapView& m, std::uint8_t& out);
// `provisioning` (parse_provisioning.cpp): after auth and fleet (the claim identity, ids).
void parse_provisioning(Reader& r, const YAML::Node& n, Scenario& s);
void parse_phases(Reader& r, const YAML::Node& n, Scenario& s);
void parse_run(Reader& r, const YAML::Node& n, Scenario& s);
void parse_thresholds(Reader& r, const YAML::Node& n, Scenario& s);
// The search keys of a `type: search` phase (parse_search.cpp); nullopt after an error.
std::optional<Search> parse_search(Reader& r, const MapView& m, const YAML::Node& at);
// After thresholds are read: criteria name thresholds, one search per run, and the like.
void check_search(Reader& r, const YAML::Node& phases, Scenario& s);
// `groups`, after every top-level section was read into `s` (parse_groups.cpp).
void parse_groups(Reader& r, const YAML::Node& root, const YAML::Node& groups, Scenario& s);

// Phases naming groups, after `groups` are read: the names exist, a group joins at one ramp
// at most, and ramps without a duration last as long as connecting their devices takes.
void check_phase_groups(Reader& r, const YAML::Node& phases, Scenario& s);

// Fleets up to this many devices get every client id rendered to prove them unique.
inline constexpr std::uint64_t kMaxRenderedIds = 4'000'000;
// Errors (at the colliding group's client_id) when two devices of `gs` share a client id.
void check_client_ids_unique(Reader& r, const YAML::Node& groups, const std::vector<Scenario>& gs);

// Reads a template string and checks its placeholders.
std::optional<std::string> read_template(Reader& r, const YAML::Node& n, const std::string& path,
                                         std::span<const Placeholder> allowed);
// Reports when `n` is set but the protocol is MQTT 3.1.1 (MQTT 5-only settings).
bool require_mqtt5(Reader& r, const Scenario& s, const YAML::Node& n, const std::string& path);
// Renders `tpl` for device `index` of `s` (client id first, then the template).
std::string render_for(const Scenario& s, std::string_view tpl, std::uint64_t index);

// Expands "127.0.0.2-127.0.0.20", "10.0.0.0/30" or a single address; error text on failure.
struct Expanded {
  std::vector<std::string> addresses;
  std::string error;
};
Expanded expand_addresses(std::string_view spec);
// Collapses consecutive IPv4 addresses back into "a-b" ranges (for to_yaml).
std::vector<std::string> collapse_addresses(const std::vector<std::string>& addresses);

}  // namespace fleetload::scenario::detail
