// The device session's hooks into its AWS IoT Jobs behaviour (behaviour_jobs.hpp): created at
// the first accepting CONNACK of a device whose group has `jobs:`, driven at CONNACK, SUBACK,
// inbound PUBLISH and the session's timer.
#include <boost/json.hpp>

#include "device/session_impl.hpp"

namespace fleetload::device {

JobsBehaviour* Session::jobs() const noexcept { return inbound_ && inbound_->aws ? inbound_->aws->jobs.get() : nullptr; }

bool Session::jobs_may_start() const noexcept {
  // After stop_publishing() (the end-of-run drain) no new job request goes out, so the
  // drain waits only for answers to what was sent.
  return !(flags_ & detail::kPublishingStopped);
}

void Session::jobs_connected(Context& ctx, bool session_present) {
  if (!inbound_) inbound_ = std::make_unique<Inbound>();
  auto& jb = inbound_->aws_state().jobs;
  if (!jb) {
    auto& sc = detail::scratch();
    auto vars = plan_->vars(index_);
    vars.client_id = current_client_id(sc.client_id);
    std::string thing;
    plan_->jobs->thing.render_to(thing, vars);
    // statusDetails: rendered once per device (its templates name only who it is).
    std::string details;
    if (!plan_->jobs->status_details.empty()) {
      boost::json::object o;
      for (const auto& [k, tpl] : plan_->jobs->status_details) {
        std::string v;
        tpl.render_to(v, vars);
        o[k] = v;
      }
      details = boost::json::serialize(o);
    }
    jb = std::make_unique<JobsBehaviour>(*plan_->jobs, plan_->version, std::move(thing), index_,
                                                     std::move(details));
  }
  detail::BehaviourScope scope(ctx, this);
  jb->on_connected(ctx, session_present, next_packet_id(), jobs_may_start());
}

void Session::jobs_timer(Context& ctx) {
  if (auto* j = jobs()) j->on_timer(ctx, state_ == State::Connected, jobs_may_start());
}

}  // namespace fleetload::device
