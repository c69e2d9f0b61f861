// Private to the device session (session.cpp, session_publish.cpp): the heap-side records,
// state flags, per-thread scratch and the encode-into-ctx.out helper.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "device/behaviour_provisioning.hpp"
#include "device/behaviour_shadow.hpp"
#include "device/behaviour_jobs.hpp"
#include "device/fleet_plan.hpp"
#include "device/packet_id_set.hpp"
#include "device/payload.hpp"
#include "device/session.hpp"
#include "mqtt/codec.hpp"

namespace fleetload::device {

// One QoS 1/2 publish awaiting PUBACK, or PUBREC then PUBCOMP: 16 bytes. The payload is not
// stored: it is generated again from (seq, original send time) when it must be re-sent.
struct Session::InFlight {
  TimePoint sent;           // first transmission: ack latency and ack timeout run from here
  std::uint32_t seq = 0;
  std::uint16_t id = 0;     // packet identifier
  std::uint8_t qos = 1;
  std::uint8_t stage : 1 = 0;   // QoS 2: 0 = awaiting PUBREC, 1 = PUBREL sent, awaiting PUBCOMP
  std::uint8_t stream : 7 = 0;  // the plan's stream (position in FleetPlan::streams)
};
static_assert(kMaxStreams <= 128, "InFlight::stream holds 7 bits");

struct Session::StreamState {
  TimePoint next_publish = kNever;
  std::uint64_t next_seq = 1;
  std::uint32_t queued = 0;    // publishes queued (generated when sent)
  std::uint8_t queued_qos = 0;
};

// Allocated only for a device that needs one of these.
struct Session::More {
  std::string assigned_id;           // MQTT 5 Assigned Client Identifier ("" = none)
  std::vector<StreamState> streams;  // one per plan stream, when the plan has several
  std::uint32_t aliases_mapped = 0;  // several streams: bit s = topic alias s + 1 mapped
  // The publish limit (FleetPlan::publish_gap): the earliest time the next PUBLISH may go.
  TimePoint publish_free{};
};

// Receiving side, allocated on the first SUBACK or PUBLISH received (subscribers only, in
// practice).
struct Session::Inbound {
  ReceiveTracker tracker;
  // Inbound QoS 2 PUBLISHes answered with PUBREC, awaiting the broker's PUBREL: O(1) per
  // packet and at most 8 KiB whatever the broker sends (packet_id_set.hpp).
  PacketIdSet qos2_ids;
  // MQTT 5: bit a set = the broker established topic alias a on this connection (aliases
  // never outlive a connection, [MQTT-3.3.2-7]). Sized on the first alias, at most
  // topic_alias_maximum + 1 bits.
  std::vector<std::uint64_t> aliases;
  // Topic filters a SUBACK of this run granted (bit i: filter i; filters from the 64th on
  // share bit 63). A filter never granted (refused, or its SUBACK never came) held no
  // subscription, so what would only have matched it is not expected, and not loss.
  std::uint64_t granted = 0;
  // The highest QoS a SUBACK granted any of its filters: deliveries come at most at it, and
  // what they may do (duplicate at QoS 1) follows from it.
  std::uint8_t granted_qos = 0;
  // Subscription intervals, as (begin, end) epochs of the run's SubscriptionClock (end 0 =
  // still held): begun at a SUBACK granting something, or a CONNACK resuming the session;
  // ended when the connection was lost. Only what publishers sent inside them is owed.
  // Empty without a clock. 8 bytes each (one per connection, in practice).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> held;
  // Wall-clock ns the first interval began (books across shards: books_exchange.hpp).
  std::uint64_t subscribed_wall_ns = 0;
  // The share groups this subscriber joined (a granted "$share/..." filter each, by its
  // index in the scenario): deliveries matching one are booked there, not in `tracker`.
  struct Share {
    ShareBooks::Group* group = nullptr;
    std::uint32_t filter = 0;
  };
  std::vector<Share> shares;
  // The share group a delivery on `topic` belongs to, or null (this subscriber's own books).
  // A subscriber whose filters are all one share group needs no match (nor a topic: aliases).
  ShareBooks::Group* share_of(std::string_view topic, bool only_shared) const noexcept {
    if (shares.empty()) return nullptr;
    if (only_shared && shares.size() == 1) return shares.front().group;
    for (const auto& s : shares)
      if (topic_matches(ShareBooks::filter(*s.group), topic)) return s.group;
    return nullptr;
  }

  // The interval deliveries arriving now belong to (1-based; 1 without a clock).
  std::uint32_t interval() const noexcept { return held.empty() ? 1u : static_cast<std::uint32_t>(held.size()); }
  void begin_held(SubscriptionClock* clock) {
    if (clock && (held.empty() || held.back().second != 0)) held.emplace_back(clock->tick(), 0);
  }
  // A CONNACK resumed the session: the last interval never ended at the broker.
  void resume_held() noexcept {
    if (!held.empty()) held.back().second = 0;
  }
  void end_held(SubscriptionClock* clock) noexcept {
    if (clock && !held.empty() && held.back().second == 0) held.back().second = clock->tick();
  }
  // The first filter of the SUBSCRIBE awaiting its SUBACK (subscribe_batch splits the list).
  std::uint32_t subscribe_first = 0;
  // The AWS IoT behaviours and what they share (groups with `shadow:`, `jobs:` or
  // `provisioning:` only): one pointer for every other receiving device.
  struct Aws {
    // The Device Shadow behaviour (groups with `shadow:` only).
    std::unique_ptr<ShadowBehaviour> shadow;
    // The AWS IoT Jobs behaviour (groups with `jobs:` only).
    std::unique_ptr<JobsBehaviour> jobs;
    // Fleet Provisioning by claim (groups with `provisioning:` only): kept after it
    // succeeds, as it holds the identity and thing name every later connection uses.
    std::unique_ptr<ProvisioningBehaviour> provisioning;
    // The behaviours' QoS 1 requests awaiting their PUBACK, in send order: a handful (each
    // behaviour has few requests in flight, and each entry leaves at its PUBACK, the
    // connection's end or the behaviours' timeout). 16 bytes each.
    struct RequestAck {
      TimePoint sent;
      std::uint16_t id = 0;
    };
    std::vector<RequestAck> request_acks;
    bool request_ack_pending(std::uint16_t id) const noexcept {
      for (const auto& r : request_acks)
        if (r.id == id) return true;
      return false;
    }
    std::size_t heap_bytes() const noexcept;  // session_aws.cpp
  };
  std::unique_ptr<Aws> aws;
  Aws& aws_state() {
    if (!aws) aws = std::make_unique<Aws>();
    return *aws;
  }

  bool alias_set(std::uint16_t a) const noexcept {
    return a / 64 < aliases.size() && ((aliases[a / 64] >> (a % 64)) & 1u);
  }
  void set_alias(std::uint16_t a, std::uint16_t max) {
    if (aliases.empty()) aliases.assign(std::size_t{max} / 64 + 1, 0);
    aliases[a / 64] |= std::uint64_t{1} << (a % 64);
  }
};

namespace detail {

enum Flag : std::uint8_t {
  kScheduleOn = 1,         // the publish schedule is running (since the first CONNACK)
  kEverConnected = 2,
  kSubscribed = 4,         // the broker holds our subscriptions (SUBACK seen)
  kAliasSet = 8,           // topic alias 1 is mapped on this connection
  kPublishingStopped = 16, // stop_publishing() / stop(): no new publishes
  kNoRetain = 32,          // the server said Retain Available = 0
  kProvisionedReconnect = 64,  // BackingOff only to reconnect with the provisioned identity (not a drop)
};

// Per-thread scratch: strings and packets reused for every call, so the steady state does
// not allocate. Sessions never keep pointers into it across calls.
struct Scratch {
  std::string client_id;
  std::string topic;
  std::string text;      // rendered payload template
  std::string will_topic;
  std::string will_payload;
  std::string username;
  std::vector<std::string> filters;
  std::vector<std::uint8_t> payload;
  mqtt::Publish pub;
  mqtt::PubAck ack;
  mqtt::Packet in;
};
Scratch& scratch();

// Context::session = `s` for the length of a call that may run an AWS IoT behaviour, so its
// requests go out through the session (Session::send_request); the previous value after.
class BehaviourScope {
 public:
  BehaviourScope(Context& ctx, Session* s) noexcept : ctx_(ctx), prev_(ctx.session) { ctx.session = s; }
  ~BehaviourScope() { ctx_.session = prev_; }
  BehaviourScope(const BehaviourScope&) = delete;
  BehaviourScope& operator=(const BehaviourScope&) = delete;

 private:
  Context& ctx_;
  Session* prev_;
};

inline std::uint64_t to_ns(std::chrono::nanoseconds d) noexcept {
  return d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
}
inline std::uint64_t since_ns(TimePoint from, TimePoint to) noexcept {
  return to > from ? static_cast<std::uint64_t>((to - from).count()) : 0;
}
// t + d without overflowing past kNever.
inline TimePoint after(TimePoint t, std::chrono::nanoseconds d) noexcept {
  if (t == kNever || kNever - t <= d) return kNever;
  return t + std::chrono::duration_cast<Clock::duration>(d);
}

// Encodes `p` at the end of ctx.out. False (nothing appended) when it cannot be encoded.
template <class P>
bool encode_to(Context& ctx, const P& p, mqtt::Version v, std::size_t& size) {
  const auto sz = mqtt::encoded_size(p, v);
  if (sz.error) return false;
  const std::size_t old = ctx.out.size();
  ctx.out.resize(old + sz.size);
  const auto r = mqtt::encode(p, v, std::span<std::uint8_t>(ctx.out).subspan(old));
  if (r.error) {
    ctx.out.resize(old);
    return false;
  }
  size = sz.size;
  return true;
}

}  // namespace detail
}  // namespace fleetload::device

namespace fleetload::device {

template <class P>
bool Session::emit(Context& ctx, const P& p) {
  std::size_t n = 0;
  if (!detail::encode_to(ctx, p, plan_->version, n)) return false;
  ctx.stats.bytes_sent.add(n);
  return true;
}

}  // namespace fleetload::device
