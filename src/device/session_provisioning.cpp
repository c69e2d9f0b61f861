// The device session's hooks into its Fleet Provisioning behaviour (behaviour_provisioning.hpp):
// created at the first accepting CONNACK of a device whose group has `provisioning:`, driven
// at CONNACK, SUBACK, inbound PUBLISH, the session's timer and lost connections; once
// RegisterThing is accepted, the session reconnects presenting the new identity.
#include "device/session_impl.hpp"

namespace fleetload::device {

ProvisioningBehaviour* Session::provisioning() const noexcept {
  return inbound_ && inbound_->aws ? inbound_->aws->provisioning.get() : nullptr;
}

const auth::ClientIdentity* Session::client_identity() const noexcept {
  const auto* pv = provisioning();
  return pv ? pv->identity() : nullptr;
}

bool Session::provisioning_connected(Context& ctx) {
  if (!inbound_) inbound_ = std::make_unique<Inbound>();
  auto& pv = inbound_->aws_state().provisioning;
  if (!pv) {
    const ProvisioningPlan& plan = *plan_->provisioning;
    auto& sc = detail::scratch();
    auto vars = plan_->vars(index_);
    const std::string claim_id(current_client_id(sc.client_id));
    vars.client_id = claim_id;
    ProvisioningBehaviour::Parameters params;
    for (const auto& [name, tpl] : plan.parameters) {
      std::string value;
      tpl.render_to(value, vars);
      params.emplace_back(name, std::move(value));
    }
    // The CSR's subject names the device by its claim-time client id.
    pv = std::make_unique<ProvisioningBehaviour>(plan, plan_->version, index_, std::move(params), claim_id, opened_at_);
  }
  if (pv->identity()) {
    pv->on_identity_connected(ctx);
    return false;
  }
  detail::BehaviourScope scope(ctx, this);
  pv->on_claim_connected(ctx, next_packet_id());
  return true;
}

void Session::provisioning_reconnect(Context& ctx) {
  // The claim connection ends normally (the broker discards any Will), and the next one
  // starts at once: no backoff, not counted as a drop or a reconnect.
  mqtt::Disconnect d;
  if (emit(ctx, mqtt::Packet(std::move(d)))) ctx.stats.clean_disconnects.add();
  ctx.action = TransportAction::Close;
  drop_request_acks(ctx);
  ping_sent_ = kNever;
  next_ping_ = kNever;
  subscribe_id_ = 0;
  unsubscribe_id_ = 0;
  rx_len_ = 0;
  timer_ = ctx.now;
  flags_ |= detail::kProvisionedReconnect;
  set_state(ctx, State::BackingOff);
}

}  // namespace fleetload::device
