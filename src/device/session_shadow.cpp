// The device session's hooks into its Device Shadow behaviour (behaviour_shadow.hpp): created
// at the first accepting CONNACK of a device whose group has `shadow:`, driven at CONNACK,
// SUBACK, inbound PUBLISH and the session's timer.
#include "device/session_impl.hpp"

namespace fleetload::device {

ShadowBehaviour* Session::shadow() const noexcept {
  return inbound_ && inbound_->aws ? inbound_->aws->shadow.get() : nullptr;
}

void Session::shadow_connected(Context& ctx, bool session_present) {
  if (!inbound_) inbound_ = std::make_unique<Inbound>();
  auto& sh = inbound_->aws_state().shadow;
  if (!sh) {
    auto& sc = detail::scratch();
    auto vars = plan_->vars(index_);
    vars.client_id = current_client_id(sc.client_id);
    std::string thing;
    plan_->shadow->thing.render_to(thing, vars);
    sh = std::make_unique<ShadowBehaviour>(*plan_->shadow, plan_->version, std::move(thing), index_);
  }
  detail::BehaviourScope scope(ctx, this);
  sh->on_connected(ctx, session_present, next_packet_id());
}

void Session::shadow_timer(Context& ctx) {
  auto* sh = shadow();
  if (!sh) return;
  auto& sc = detail::scratch();
  auto vars = plan_->vars(index_);
  vars.client_id = current_client_id(sc.client_id);
  // After stop_publishing() (the end-of-run drain) no new periodic update goes out, so the
  // drain waits only for answers to what was sent.
  sh->on_timer(ctx, state_ == State::Connected && !(flags_ & detail::kPublishingStopped), vars);
}

}  // namespace fleetload::device
