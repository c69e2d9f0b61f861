// FleetPlan: everything a device session needs from the scenario, resolved once per run and
// shared read-only by all sessions (no per-device copies of configuration).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/presentation.hpp"
#include "device/backoff.hpp"
#include "device/share_books.hpp"
#include "device/subscription_clock.hpp"
#include "mqtt/packet.hpp"
#include "scenario/scenario.hpp"
#include "scenario/template.hpp"

namespace fleetload::device {

// A scenario template parsed once into literal runs and placeholders, so rendering per
// device or per message is a few appends. Same syntax and output as
// scenario::render_template_to: pieces come from scenario::split_template.
class Template {
 public:
  Template() = default;
  explicit Template(std::string_view text);

  // Appends the rendering to `out` (no allocation once `out` has the capacity).
  void render_to(std::string& out, const scenario::TemplateVars& v) const;
  bool uses(scenario::Placeholder p) const noexcept;
  bool empty() const noexcept { return pieces_.empty(); }
  const std::string& source() const noexcept { return source_; }

 private:
  struct Piece {
    std::uint32_t offset = 0;  // literal: into literals_
    std::uint32_t length = 0;
    std::int8_t placeholder = -1;  // scenario::Placeholder, or -1 for a literal
  };
  std::string source_;
  std::string literals_;
  std::vector<Piece> pieces_;
};

// The CONNECT username of the scenario's SDK builder (auth::username_recipe: base template,
// custom-authorizer parameters, SDK metrics suffix), compiled once and rendered only when a
// CONNECT is built, so an idle device holds no username.
class UsernamePlan {
 public:
  explicit UsernamePlan(const auth::UsernameRecipe& recipe);
  // Appends the username to `out`; each parameter after '?' when the username has none yet,
  // else '&' (aws doc §1, §4).
  void render_to(std::string& out, const scenario::TemplateVars& v) const;

 private:
  struct Param {
    std::string literal;
    Template value;
  };
  Template base_;
  std::vector<Param> params_;
};

// MQTT topic filter matching (5.0 §4.7), "$share/<group>/" prefix ignored.
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

struct SubscriptionPlan {
  Template filter;
  mqtt::QoS qos = mqtt::QoS::AtMostOnce;
  bool no_local = false;
  bool retain_as_published = false;
  mqtt::RetainHandling retain_handling = mqtt::RetainHandling::SendAtSubscribe;
  bool shared = false;  // "$share/..."
};

struct WillPlan {
  Template topic;
  Template payload;
  mqtt::QoS qos = mqtt::QoS::AtMostOnce;
  bool retain = false;
  std::optional<std::uint32_t> delay_s;           // MQTT 5 Will Delay Interval
  std::optional<std::uint32_t> message_expiry_s;  // MQTT 5
  std::optional<std::string> content_type;        // MQTT 5
};

// In-flight QoS 1/2 publishes per device when the server sets no Receive Maximum (MQTT
// 3.1.1, or a v5 CONNACK without one): the array grows on demand up to this.
inline constexpr std::uint16_t kDefaultMaxInFlight = 1024;
// Publishes a device queues while disconnected or while its in-flight window is full. The
// SDK's queue is unbounded; ours is only a count (messages are generated when sent), so the
// bound exists only to stop a never-ending outage from hiding a runaway.
inline constexpr std::uint32_t kOfflineQueueLimit = 1'000'000;

// One publish stream of a group (scenario::Publish, resolved): its own topic, QoS, rate,
// payload and books.
struct StreamPlan {
  std::string name;
  std::uint32_t id = 0;          // fleet-wide stream id: the payload header's stream byte
  std::uint64_t publishers = 0;  // the group's first `publishers` devices publish it
  Template topic;
  mqtt::QoS qos = mqtt::QoS::AtMostOnce;
  double per_device_rate = 0.0;                  // messages per second per publisher
  std::chrono::nanoseconds publish_interval{0};  // 1 / per_device_rate (mean for Poisson)
  bool poisson = false;
  std::uint32_t payload_size = 64;
  bool accounting_header = true;
  std::optional<Template> payload_template;
  // The bytes after the accounting header, shared by every message of the run when the
  // payload is large (payload_size >= kSharedBodyMin, no template); empty otherwise.
  std::vector<std::uint8_t> payload_body;
  bool retain = false;
  std::vector<std::pair<std::string, std::string>> user_properties;  // MQTT 5
  std::optional<std::string> content_type;                           // MQTT 5
  std::optional<std::uint32_t> message_expiry_s;                     // MQTT 5
  bool topic_alias = false;                                          // MQTT 5
};

// shadow: the group's Device Shadow behaviour (behaviour_shadow.hpp), compiled once.
struct ShadowPlan {
  Template thing;        // thing name template (default {client_id})
  std::string name;      // named shadow; empty = classic
  bool get_on_connect = false;
  std::chrono::nanoseconds update_interval{0};  // 0 = no periodic update
  Template reported;     // JSON object template of the reported state
  bool report_delta = false;
  bool send_version = false;
  std::chrono::nanoseconds timeout{std::chrono::seconds(10)};
  std::uint8_t qos = 1;  // requests and answer subscriptions (shadow.qos): 0 or 1
};

// jobs: the group's AWS IoT Jobs behaviour (behaviour_jobs.hpp), compiled once.
struct JobsPlan {
  Template thing;                 // thing name template (default {client_id})
  bool start_on_connect = true;   // start-next after every connect's subscriptions too
  std::chrono::nanoseconds work_min{std::chrono::seconds(1)};
  std::chrono::nanoseconds work_max{std::chrono::seconds(1)};
  double fail_share = 0.0;
  std::vector<std::pair<std::string, Template>> status_details;  // empty: none sent
  std::int64_t step_timeout_minutes = 0;                          // 0: none sent
  bool in_progress = true;
  std::chrono::nanoseconds timeout{std::chrono::seconds(10)};
  std::uint8_t qos = 1;  // requests and answer subscriptions (jobs.qos): 0 or 1
};

// provisioning: the group's Fleet Provisioning by claim (behaviour_provisioning.hpp).
struct ProvisioningPlan {
  std::string template_name;
  std::vector<std::pair<std::string, Template>> parameters;  // RegisterThing's, rendered per device
  bool from_csr = false;  // CreateCertificateFromCsr (a local key) instead of CreateKeysAndCertificate
  bool cbor = false;      // the topics' payload format: cbor, else json
  bool rsa_key = false;   // the local key: RSA-2048, else EC P-256
  std::chrono::nanoseconds timeout{std::chrono::seconds(10)};
  std::uint8_t qos = 1;  // requests and answer subscriptions (provisioning.qos): 0 or 1
};

class FleetPlan {
 public:
  // `s` must be validated (scenario::load_scenario). The shard is s.fleet.shard.
  explicit FleetPlan(const scenario::Scenario& s);

  // ---- identity ---------------------------------------------------------------------
  mqtt::Version version = mqtt::Version::V311;
  std::uint64_t devices = 0;  // whole fleet, all shards
  // The group this plan is (scenario `groups`; "default" without): its devices are the
  // fleet indexes [group_first, group_first + group_devices).
  std::string group{scenario::kDefaultGroup};
  std::uint64_t group_first = 0;
  std::uint64_t group_devices = 0;
  // Every group's plan of the run, in index order (set by the engine once all are built):
  // a subscriber's expectations cover the publishers of every group. Null: this plan only.
  const std::vector<const FleetPlan*>* fleet_groups = nullptr;
  scenario::Shard shard;
  std::uint32_t index_width = 0;
  Template client_id;
  std::optional<UsernamePlan> username;  // none: no username (empty after the SDK's rules)
  std::optional<std::string> password;   // the mode's CONNECT password (secret)

  // ---- session ------------------------------------------------------------------------
  std::uint16_t keepalive_s = 1200;
  std::chrono::nanoseconds ping_timeout{std::chrono::seconds(3)};
  std::chrono::nanoseconds connack_timeout{std::chrono::seconds(20)};
  std::chrono::nanoseconds ack_timeout{0};  // 0 = none
  // MQTT 3.1.1: the Clean Session flag of every attempt. MQTT 5: see session_behavior.
  bool clean_start = true;
  scenario::SessionBehavior session_behavior = scenario::SessionBehavior::Clean;  // MQTT 5
  std::optional<std::uint32_t> session_expiry_s;
  std::optional<std::uint16_t> receive_maximum;      // what we accept (CONNECT property)
  std::optional<std::uint32_t> maximum_packet_size;  // CONNECT property (MQTT 5, explicit only)
  // Largest packet accepted from the broker, both protocols (session.maximum_packet_size or
  // its default): a larger one is refused at its fixed header, never buffered.
  std::uint32_t receive_limit = scenario::kDefaultMaximumPacketSize;
  std::optional<std::uint16_t> topic_alias_maximum;  // inbound aliases we accept
  scenario::OfflineQueue offline_queue = scenario::OfflineQueue::FailQos0PublishOnDisconnect;
  std::uint16_t max_in_flight = kDefaultMaxInFlight;
  std::uint32_t offline_queue_limit = kOfflineQueueLimit;
  std::optional<WillPlan> will;

  // ---- reconnect ----------------------------------------------------------------------
  BackoffPolicy backoff;
  // reconnect.first_connect_failure: stop: a device whose first attempt fails never retries.
  bool stop_after_failed_first_connect = false;

  // ---- publish ------------------------------------------------------------------------
  // The group's publish streams (scenario `publish`, one or a list), in file order.
  std::vector<StreamPlan> streams;
  // Least time between two PUBLISHes of one connection (session.publish_limit; AWS IoT
  // Core: 10 ms, its 100 publishes/s per connection); zero = no limit. A scheduled or queued
  // publish waits for it; every PUBLISH sent, retransmissions included, counts.
  std::chrono::nanoseconds publish_gap{0};
  // The group's first `publishers` devices publish (on at least one stream: the widest
  // stream's publishers).
  std::uint64_t publishers = 0;
  // Fleet-wide stream ids run 0..stream_stride-1 (scenario::stream_names; 1 when the fleet has
  // no stream): books and end-of-run sequence numbers are kept per (publisher, stream id),
  // at publisher * stream_stride + id. set_fleet_streams() assigns them for a run.
  std::uint32_t stream_stride = 1;
  void set_fleet_streams(const std::vector<std::string>& names);
  std::uint64_t stream_key(std::uint64_t publisher, std::uint32_t stream_id) const noexcept {
    return publisher * stream_stride + stream_id;
  }

  // ---- subscribe ----------------------------------------------------------------------
  // The group's last `subscribers` device indexes subscribe, so that "10 subscribers"
  // and "10 publishers" are different devices unless the selections overlap.
  std::uint64_t subscribers = 0;
  std::vector<SubscriptionPlan> subscriptions;
  // Most filters per SUBSCRIBE (session.subscribe_batch; 8 on AWS IoT Core); 0 = no limit.
  // Longer lists go out in consecutive SUBSCRIBEs, each after the previous one's SUBACK.
  std::uint16_t subscribe_batch = 0;
  std::size_t subscribe_batch_size(std::size_t first) const noexcept {
    const std::size_t left = first < subscriptions.size() ? subscriptions.size() - first : 0;
    return subscribe_batch == 0 ? left : std::min<std::size_t>(left, subscribe_batch);
  }
  // Per-publisher loss accounting (on unless a test turns it off). A subscriber's own books
  // cover its filters that are not shared; its "$share/..." filters (bit i: filter i, from
  // the 64th on bit 63) are booked per share group across its members (share_books.hpp).
  bool track_loss = true;
  std::uint64_t shared_filters = 0;
  bool all_filters_shared = false;  // every filter is a "$share/..." one
  // The run's share groups, shared by every group's plan; null without shared filters.
  ShareBooks* share_books = nullptr;
  // Some filter asks for Retain As Published (MQTT 5): RETAIN is then set on live copies
  // too, so it no longer marks a delivery from the retained store.
  bool retain_as_published = false;
  // The run id stamped into every payload header and expected back (engine: run.id, or
  // derived per run); a delivery with another one is from an earlier run.
  std::uint32_t run_id = 0;
  // The run's subscription epochs (subscription_clock.hpp), shared by every group's plan;
  // null when the run has no subscribers (nothing is then recorded). This group's
  // publishers in this shard use slots [clock_slot_base, + publishers_in_shard()).
  SubscriptionClock* clock = nullptr;
  std::uint64_t clock_slot_base = 0;

  // ---- shadow -------------------------------------------------------------------------
  std::optional<ShadowPlan> shadow;  // none: the group's devices use no shadow
  // ---- jobs ---------------------------------------------------------------------------
  std::optional<JobsPlan> jobs;  // none: the group's devices run no jobs
  // ---- provisioning -------------------------------------------------------------------
  std::optional<ProvisioningPlan> provisioning;  // none: the group's identity is its own

  // ---- questions ----------------------------------------------------------------------
  // Clean Start for an attempt (MQTT 5: aws-c-mqtt mqtt5_client.c s_should_resume_session;
  // "connected before" = an accepted CONNACK since the device started).
  bool clean_start_for(bool connected_before) const noexcept {
    if (version != mqtt::Version::V5) return clean_start;
    switch (session_behavior) {
      case scenario::SessionBehavior::Clean: return true;
      case scenario::SessionBehavior::RejoinPostSuccess: return !connected_before;
      case scenario::SessionBehavior::RejoinAlways: return false;
    }
    return true;
  }
  // Inbound QoS 1/2 PUBLISHes the broker may leave unacknowledged with us (5.0 §3.1.2.11.3:
  // our Receive Maximum, 65,535 when not sent). MQTT 3.1.1 has no such limit.
  std::uint16_t inbound_receive_maximum() const noexcept {
    return version == mqtt::Version::V5 ? receive_maximum.value_or(65535) : 65535;
  }
  bool is_publisher(std::uint64_t index) const noexcept {
    return index >= group_first && index - group_first < publishers;
  }
  bool publishes(std::uint64_t index, const StreamPlan& st) const noexcept {
    return index >= group_first && index - group_first < st.publishers;
  }
  // (Asked of a device's own plan: `index` is in the group.)
  bool is_subscriber(std::uint64_t index) const noexcept {
    return subscribers > 0 && index >= group_first + group_devices - subscribers;
  }
  // The plan of the group holding fleet index `index` (this one without fleet_groups).
  const FleetPlan& plan_of(std::uint64_t index) const noexcept;
  // The group's devices in this shard (index % n == k), and the fleet index of the i-th.
  std::uint64_t devices_in_shard() const noexcept;
  std::uint64_t device_index(std::uint64_t local) const noexcept {
    return first_in_shard() + local * shard.n;
  }
  // The group's first fleet index in this shard (may be past the group when it has none).
  std::uint64_t first_in_shard() const noexcept {
    const std::uint64_t r = group_first % shard.n;
    return group_first + (shard.k + shard.n - r) % shard.n;
  }
  // The group's devices in this shard among its first `publishers` (the widest stream's).
  std::uint64_t publishers_in_shard() const noexcept { return in_shard(publishers); }
  // The group's devices in this shard among its first `count`.
  std::uint64_t in_shard(std::uint64_t count) const noexcept;
  // The clock slot of this group's publisher `index` (in this shard) for stream `s` (its
  // position in `streams`): publishers_in_shard() * streams.size() slots from clock_slot_base.
  std::uint64_t clock_slot(std::uint64_t index, std::size_t s = 0) const noexcept {
    return clock_slot_base + (index - first_in_shard()) / shard.n * streams.size() + s;
  }
  std::uint64_t clock_slots() const noexcept { return publishers_in_shard() * streams.size(); }
  // Publishes per second this shard should deliver (every stream), and of one stream.
  double shard_publish_rate() const noexcept;
  double shard_publish_rate(const StreamPlan& st) const noexcept {
    return st.per_device_rate * static_cast<double>(in_shard(st.publishers));
  }
  // The stream with fleet-wide id `id`, or null when this group has none.
  const StreamPlan* stream_by_id(std::uint32_t id) const noexcept;
  // Whether subscriber `sub` should receive publisher `pub`'s messages (its topic matches
  // one of the subscriber's filters; only filters whose bit is set in `filters`, bit i for
  // filter i, filters from the 64th on sharing bit 63). Renders both: for end-of-run use,
  // not per message.
  // With a stream id: that stream of the publisher only (false when its group has none).
  bool subscriber_expects(std::uint64_t sub, std::uint64_t pub, std::uint64_t filters = ~std::uint64_t{0}) const;
  bool subscriber_expects(std::uint64_t sub, std::uint64_t pub, std::uint32_t stream_id, std::uint64_t filters) const;

  // Template variables of device `index` (client_id left empty).
  scenario::TemplateVars vars(std::uint64_t index) const noexcept;
  // Renders device `index`'s client id / publish topic into `out` (cleared first).
  void render_client_id(std::string& out, std::uint64_t index) const;
  void render_topic(std::string& out, const StreamPlan& st, std::uint64_t index, std::string_view client_id) const;
};

}  // namespace fleetload::device
