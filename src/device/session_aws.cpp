// What the device session does for all its AWS IoT behaviours (shadow, jobs, provisioning):
// their requests' packet ids and PUBACKs (QoS 1, as the SDK samples send them), and the
// acknowledgement of the answers they take.
#include <algorithm>

#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::after;

std::size_t Session::Inbound::Aws::heap_bytes() const noexcept {
  return sizeof(Aws) + (shadow ? shadow->heap_bytes() : 0) + (jobs ? jobs->heap_bytes() : 0) +
         (provisioning ? provisioning->heap_bytes() : 0) + request_acks.capacity() * sizeof(RequestAck);
}

bool Session::send_request(Context& ctx, mqtt::Publish& p) {
  if (static_cast<std::uint8_t>(p.qos) > server_max_qos_) {
    // MQTT 5 Maximum QoS 0: the server would take a QoS 1 PUBLISH as a protocol error.
    p.qos = static_cast<mqtt::QoS>(server_max_qos_);
    ctx.stats.qos_downgraded.add();
  }
  p.dup = false;
  if (p.qos == mqtt::QoS::AtMostOnce) {
    p.packet_id = 0;
    if (!emit(ctx, p)) return false;
    charge_publish(ctx);  // a PUBLISH of the connection like any other (it never waits)
    return true;
  }
  p.qos = mqtt::QoS::AtLeastOnce;  // the behaviours ask for 0 or 1 only
  p.packet_id = next_packet_id();
  if (!emit(ctx, p)) return false;
  charge_publish(ctx);
  if (!inbound_) inbound_ = std::make_unique<Inbound>();
  inbound_->aws_state().request_acks.push_back({ctx.now, p.packet_id});
  return true;
}

bool Session::on_request_ack(Context& ctx, const mqtt::PubAck& a) {
  if (!inbound_ || !inbound_->aws || a.type != mqtt::PacketType::Puback) return false;
  auto& acks = inbound_->aws->request_acks;
  const auto it =
      std::find_if(acks.begin(), acks.end(), [&](const Inbound::Aws::RequestAck& r) { return r.id == a.packet_id; });
  if (it == acks.end()) return false;
  if (a.reason_code >= 0x80) {
    // MQTT 5: the broker refused the request (not authorised, quota, ...); its answer never
    // comes, so the behaviour books it as timed out.
    ctx.stats.aws_requests_refused.add();
    ctx.stats.puback_errors.add();
    ctx.stats.puback_codes[a.reason_code].add();
  } else {
    ctx.stats.aws_requests_acked.add();
    push_ping_off(it->sent);  // MQTT 3.1.1: an acknowledged request, as for any publish
  }
  acks.erase(it);
  return true;
}

std::chrono::nanoseconds Session::request_ack_timeout() const noexcept {
  // The longest answer timeout of the behaviours: a request's PUBACK is no later use once
  // its answer was given up on.
  std::chrono::nanoseconds t{0};
  if (plan_->shadow) t = std::max(t, plan_->shadow->timeout);
  if (plan_->jobs) t = std::max(t, plan_->jobs->timeout);
  if (plan_->provisioning) t = std::max(t, plan_->provisioning->timeout);
  return t;
}

void Session::expire_request_acks(Context& ctx) {
  auto& acks = inbound_->aws->request_acks;
  const auto timeout = request_ack_timeout();
  // In send order, with one timeout: the expired ones are at the front.
  std::size_t n = 0;
  while (n < acks.size() && ctx.now >= after(acks[n].sent, timeout)) ++n;
  if (n == 0) return;
  ctx.stats.aws_requests_unacked.add(n);
  acks.erase(acks.begin(), acks.begin() + static_cast<std::ptrdiff_t>(n));
}

void Session::drop_request_acks(Context& ctx) {
  if (!inbound_ || !inbound_->aws || inbound_->aws->request_acks.empty()) return;
  // Not sent again on a new connection: the behaviour's answer timeout and retries already
  // account for the request (the SDK samples do not re-publish either).
  auto& acks = inbound_->aws->request_acks;
  ctx.stats.aws_requests_unacked.add(acks.size());
  acks.clear();
}

bool Session::behaviours_take(Context& ctx, const mqtt::Publish& p) {
  detail::BehaviourScope scope(ctx, this);
  auto* pv = provisioning();
  bool taken = pv && pv->on_publish(ctx, p);
  const bool registered = taken && pv->step() == ProvisioningBehaviour::Step::Registered;
  if (auto* sh = shadow(); !taken && sh) taken = sh->on_publish(ctx, p);
  if (auto* j = jobs(); !taken && j) taken = j->on_publish(ctx, p, jobs_may_start());
  if (!taken) return false;
  // Taken here, so on_publish (which acknowledges deliveries) never sees it: an answer
  // delivered at QoS 1 (answer topics subscribed at QoS 1) is acknowledged here, before a
  // provisioning reconnect closes the connection.
  if (p.qos == mqtt::QoS::AtLeastOnce) {
    send_ack(ctx, mqtt::PacketType::Puback, p.packet_id, 0);
  } else if (p.qos == mqtt::QoS::ExactlyOnce) {
    // Above what we subscribed at, but answered as MQTT requires: PUBREC, PUBCOMP at PUBREL.
    inbound_->qos2_ids.insert(p.packet_id);
    send_ack(ctx, mqtt::PacketType::Pubrec, p.packet_id, 0);
  }
  if (registered) provisioning_reconnect(ctx);
  return true;
}

}  // namespace fleetload::device
