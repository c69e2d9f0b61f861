// The device session's timers: the one deadline the engine arms, what on_timer does at it,
// and keepalive (PINGREQ cadence, ping timeout) as each SDK client runs it.
#include <algorithm>

#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::after;

// ---- timers, keepalive --------------------------------------------------------------------

void Session::on_timer(Context& ctx) {
  if (flags_ & detail::kScheduleOn) run_schedule(ctx);
  expire_acks(ctx);
  if (inbound_ && inbound_->aws) {
    detail::BehaviourScope scope(ctx, this);
    if (!inbound_->aws->request_acks.empty()) expire_request_acks(ctx);
    shadow_timer(ctx);
    jobs_timer(ctx);
    if (auto* pv = provisioning()) pv->on_timer(ctx);
  }
  switch (state_) {
    case State::AwaitConnack:
      if (ctx.now >= timer_) connection_lost(ctx, DropReason::ConnackTimeout, true);
      break;
    case State::BackingOff:
      if (ctx.now >= timer_) {
        // Reconnecting with a provisioned identity is the device's plan, not a reconnect.
        if (flags_ & detail::kProvisionedReconnect) flags_ &= static_cast<std::uint8_t>(~detail::kProvisionedReconnect);
        else ctx.stats.reconnects.add();
        open(ctx);
      }
      break;
    case State::Connected:
      keep_alive(ctx);
      // Queued publishes waiting only for the publish limit go now that it allows them.
      if (queued_ > 0 && inflight_count_ < send_window_ && plan_->publish_gap.count() > 0) pump(ctx);
      break;
    default: break;
  }
}

// Keepalive as each SDK client runs it (aws-c-mqtt):
// - both send the first PINGREQ one keepalive after the CONNACK, and after each PINGREQ the
//   next one a keepalive later (the MQTT 5 client uses the server's Server Keep Alive);
// - MQTT 5 (mqtt5_client.c s_reset_ping): nothing else moves the ping, so PINGREQs go out on
//   that cadence whatever the device publishes;
// - MQTT 3.1.1 (client_channel_handler.c s_pushoff_next_ping_time): an acknowledged request
//   (PUBACK, PUBCOMP, SUBACK, UNSUBACK) sent at T moves the next ping to at least T +
//   keepalive. Unacknowledged traffic does not, so a device publishing QoS 1 into a broker
//   that stopped answering still pings and notices within keepalive + ping timeout.
void Session::keep_alive(Context& ctx) {
  const FleetPlan& p = *plan_;
  if (ping_sent_ != kNever && ctx.now >= after(ping_sent_, ping_timeout_in_force())) {
    ctx.stats.ping_timeouts.add();
    if (p.version == mqtt::Version::V5) {
      // The MQTT 5 client says why before closing (s_aws_mqtt5_client_shutdown_channel_clean
      // with AWS_MQTT5_DRC_KEEP_ALIVE_TIMEOUT); the 3.1.1 client only closes.
      mqtt::Disconnect d;
      d.reason_code = static_cast<std::uint8_t>(mqtt::ReasonCode::KeepAliveTimeout);
      emit(ctx, mqtt::Packet(std::move(d)));
    }
    connection_lost(ctx, DropReason::PingTimeout, true);
    return;
  }
  if (subscribe_id_ != 0 && p.ack_timeout.count() > 0 &&
      ctx.now >= after(subscribe_sent_, p.ack_timeout)) {
    ctx.stats.subscribe_timeouts.add();
    subscribe_id_ = 0;
  }
  if (keepalive_s_ > 0 && ping_sent_ == kNever && ctx.now >= next_ping_) {
    const std::size_t old = ctx.out.size();
    ctx.out.resize(old + 2);
    mqtt::encode_pingreq(std::span<std::uint8_t>(ctx.out).subspan(old));
    ctx.stats.bytes_sent.add(2);
    ctx.stats.pings_sent.add();
    ping_sent_ = ctx.now;
    next_ping_ = after(ctx.now, std::chrono::seconds(keepalive_s_));
  }
}

// MQTT 3.1.1: the configured ping timeout. MQTT 5 (mqtt5_client.c s_on_pingreq_send): the
// dynamic one, min(ping_timeout, keepalive in force / 2), so a Server Keep Alive of 1 s with
// no PINGRESP drops after 0.5 s rather than after the 30 s default.
std::chrono::nanoseconds Session::ping_timeout_in_force() const noexcept {
  const auto configured = plan_->ping_timeout;
  if (plan_->version != mqtt::Version::V5) return configured;
  const auto half = std::chrono::nanoseconds(std::chrono::seconds(keepalive_s_)) / 2;
  return configured.count() == 0 || configured > half ? half : configured;
}

void Session::push_ping_off(TimePoint request_sent) noexcept {
  if (plan_->version == mqtt::Version::V5 || keepalive_s_ == 0 || next_ping_ == kNever) return;
  next_ping_ = std::max(next_ping_, after(request_sent, std::chrono::seconds(keepalive_s_)));
}

TimePoint Session::deadline() const noexcept {
  if (state_ == State::Idle || state_ == State::Stopped) return kNever;
  const FleetPlan& p = *plan_;
  TimePoint t = kNever;
  if (flags_ & detail::kScheduleOn) t = next_publish_;
  if (inflight_count_ > 0 && p.ack_timeout.count() > 0)
    t = std::min(t, after(inflight_[0].sent, p.ack_timeout));
  if (const auto* sh = shadow()) t = std::min(t, sh->deadline());
  if (const auto* j = jobs()) t = std::min(t, j->deadline());
  if (const auto* pv = provisioning()) t = std::min(t, pv->deadline());
  if (inbound_ && inbound_->aws && !inbound_->aws->request_acks.empty())
    t = std::min(t, after(inbound_->aws->request_acks.front().sent, request_ack_timeout()));
  switch (state_) {
    case State::AwaitConnack:
    case State::BackingOff: t = std::min(t, timer_); break;
    case State::Connected:
      if (ping_sent_ != kNever)
        t = std::min(t, after(ping_sent_, ping_timeout_in_force()));
      else if (keepalive_s_ > 0)
        t = std::min(t, next_ping_);
      if (subscribe_id_ != 0 && p.ack_timeout.count() > 0)
        t = std::min(t, after(subscribe_sent_, p.ack_timeout));
      // Queued publishes held only by the publish limit: due when it frees.
      if (queued_ > 0 && inflight_count_ < send_window_ && more_ && p.publish_gap.count() > 0)
        t = std::min(t, more_->publish_free);
      break;
    default: break;
  }
  return t;
}

}  // namespace fleetload::device
