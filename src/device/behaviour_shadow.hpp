// A device's AWS IoT Device Shadow behaviour: the reserved topics of its (classic or named)
// shadow, get on connect, periodic updates of reported state, deltas reported back, and the
// books of every request (accepted, rejected by code, timed out; latency per operation).
//
// Sans-I/O like the session that drives it: packets go into ctx.out, time comes from
// ctx.now. Only devices of a group with `shadow:` have one, on the heap (Session::Inbound),
// so a device without a shadow costs nothing more.
//
// Sources (AWS IoT developer guide): "Device Shadow MQTT topics" (device-shadow-mqtt.html):
// subscribe to /accepted and /rejected before publishing a request; "Device Shadow service
// documents" (clientToken, version); "Device Shadow error messages" (codes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "device/fleet_plan.hpp"
#include "device/session.hpp"
#include "mqtt/codec.hpp"

namespace fleetload::device {

class ShadowBehaviour {
 public:
  // `thing`: the device's rendered thing name; `index`: its fleet index (in clientTokens).
  ShadowBehaviour(const ShadowPlan& plan, mqtt::Version v, std::string thing, std::uint32_t index);

  // An accepting CONNACK. Without the broker holding our subscriptions (no session, or
  // never subscribed) a SUBSCRIBE with `packet_id` goes out first; the get (get:
  // on_connect) follows its SUBACK, as the docs require. Otherwise the get goes out now.
  void on_connected(Context& ctx, bool session_present, std::uint16_t packet_id);
  // The connection is gone: the broker's subscriptions may be too (re-checked at CONNACK).
  void on_disconnected() noexcept { subscribe_id_ = 0; }
  // True when the SUBACK answers our SUBSCRIBE (then it is handled here).
  bool on_suback(Context& ctx, const mqtt::Suback& s);
  // True when the PUBLISH is on one of our shadow's topics (then it is handled here).
  bool on_publish(Context& ctx, const mqtt::Publish& p);
  // Expires requests past the timeout; sends the periodic update when due and `connected`.
  // `vars` renders the reported template (seq = this device's update count).
  void on_timer(Context& ctx, bool connected, scenario::TemplateVars vars);
  TimePoint deadline() const noexcept;
  std::uint16_t subscribe_id() const noexcept { return subscribe_id_; }
  std::size_t heap_bytes() const noexcept;

  // The topics subscribed to, in order: get/accepted, get/rejected, update/accepted,
  // update/rejected, update/delta (5 filters: within AWS IoT Core's 8 per SUBSCRIBE).
  std::vector<std::string> filters() const;

 private:
  struct Pending {
    std::uint64_t token = 0;  // the number in our clientToken "fl<index>-<n>"
    TimePoint sent{};
    ShadowOp op = ShadowOp::Get;
    bool retry_update = false;  // a get after a 409: send the update again once answered
  };

  void send_get(Context& ctx, bool retry_update);
  // `reported`: JSON object text.
  void send_update(Context& ctx, std::string_view reported);
  std::string token_text(std::uint64_t n) const;
  // The pending request `payload`'s clientToken names (and its op), removed; nullopt: none.
  std::optional<Pending> take(std::string_view token, ShadowOp op);
  void finish(Context& ctx, const Pending& p, ShadowOutcome o);
  void saw_version(Context& ctx, std::uint64_t v) noexcept;
  void on_accepted(Context& ctx, ShadowOp op, std::string_view payload);
  void on_rejected(Context& ctx, ShadowOp op, std::string_view payload);
  void on_delta(Context& ctx, std::string_view payload);

  const ShadowPlan* plan_;
  mqtt::Version version_;
  std::uint32_t index_;
  std::uint16_t subscribe_id_ = 0;   // our SUBSCRIBE awaiting its SUBACK (0 = none)
  bool subscribed_ = false;          // a SUBACK granted every filter (on this session)
  bool connected_ = false;
  std::uint8_t conflict_retries_ = 0;  // 409 retries of the current update
  std::uint64_t next_token_ = 1;
  std::uint64_t updates_ = 0;        // periodic updates sent ({seq})
  std::uint64_t last_version_ = 0;   // highest document version seen (0 = none yet)
  TimePoint next_update_ = kNever;
  std::string thing_;
  std::string prefix_;               // $aws/things/{thing}/shadow[/name/{name}]
  std::string last_reported_;        // the last update's reported JSON (for a 409 retry)
  std::vector<Pending> pending_;     // requests awaiting an answer: a handful at most
};

// Maximum 409 retries of one update (the SDK sample retries until it wins; a bound keeps a
// shadow fought over by two writers from looping).
inline constexpr std::uint8_t kShadowConflictRetries = 3;

}  // namespace fleetload::device
