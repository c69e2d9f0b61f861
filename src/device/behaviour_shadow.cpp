// The Device Shadow behaviour of a device (behaviour_shadow.hpp): topics from awsiot/topics,
// answers decoded with awsiot/shadow, requests written as the AWS examples write them.
#include "device/behaviour_shadow.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "awsiot/shadow.hpp"
#include "awsiot/topics.hpp"
#include "device/behaviour_aws.hpp"
#include "device/rng.hpp"
#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::after;
using detail::since_ns;

namespace {
constexpr std::pair<awsiot::ShadowOp, awsiot::ShadowSuffix> kFilters[] = {
    {awsiot::ShadowOp::Get, awsiot::ShadowSuffix::Accepted},
    {awsiot::ShadowOp::Get, awsiot::ShadowSuffix::Rejected},
    {awsiot::ShadowOp::Update, awsiot::ShadowSuffix::Accepted},
    {awsiot::ShadowOp::Update, awsiot::ShadowSuffix::Rejected},
    {awsiot::ShadowOp::Update, awsiot::ShadowSuffix::Delta},
};
using aws::text_of;
}  // namespace

ShadowBehaviour::ShadowBehaviour(const ShadowPlan& plan, mqtt::Version v, std::string thing, std::uint32_t index)
    : plan_(&plan), version_(v), index_(index), thing_(std::move(thing)) {
  // Everything but the op: "$aws/things/{thing}/shadow[/name/{name}]".
  awsiot::append_shadow_topic(prefix_, {thing_, plan.name}, awsiot::ShadowOp::Get);
  prefix_.resize(prefix_.size() - std::string_view("/get").size());
}

std::vector<std::string> ShadowBehaviour::filters() const {
  std::vector<std::string> out;
  for (const auto& [op, suffix] : kFilters) out.push_back(awsiot::shadow_topic({thing_, plan_->name}, op, suffix));
  return out;
}

std::size_t ShadowBehaviour::heap_bytes() const noexcept {
  auto str = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  return sizeof(*this) + str(thing_) + str(prefix_) + str(last_reported_) + pending_.capacity() * sizeof(Pending);
}

// ---- connection events ---------------------------------------------------------------------

void ShadowBehaviour::on_connected(Context& ctx, bool session_present, std::uint16_t packet_id) {
  connected_ = true;
  if (plan_->update_interval.count() > 0 && next_update_ == kNever) {
    // Spread the first update over one interval so a fleet connected together does not
    // update together.
    const auto spread = uniform_in(ctx.rng_state, 0, static_cast<std::uint64_t>(plan_->update_interval.count()));
    next_update_ = after(ctx.now, std::chrono::nanoseconds(static_cast<std::int64_t>(spread)));
  }
  if (session_present && subscribed_) {
    if (plan_->get_on_connect) send_get(ctx, false);
    return;
  }
  // "Subscribe to the /accepted and /rejected topics before publishing a request" (the
  // delta too, to hear desired changes).
  subscribed_ = false;
  if (aws::subscribe(ctx, version_, filters(), packet_id, plan_->qos)) subscribe_id_ = packet_id;
}

bool ShadowBehaviour::on_suback(Context& ctx, const mqtt::Suback& s) {
  if (subscribe_id_ == 0 || s.packet_id != subscribe_id_) return false;
  subscribe_id_ = 0;
  const bool all = aws::book_suback(ctx, s, std::size(kFilters), plan_->qos);
  // A refused filter means answers would go unheard: requests would only time out. Stay
  // unsubscribed (requests are not sent) and let the refusal show in the SUBACK codes.
  subscribed_ = all;
  if (all && plan_->get_on_connect) send_get(ctx, false);
  return true;
}

// ---- requests ------------------------------------------------------------------------------

std::string ShadowBehaviour::token_text(std::uint64_t n) const { return aws::client_token(index_, n); }

void ShadowBehaviour::send_get(Context& ctx, bool retry_update) {
  const std::uint64_t n = next_token_++;
  auto& sc = detail::scratch();
  sc.topic.assign(prefix_).append("/get");
  const std::string body = "{\"clientToken\":\"" + token_text(n) + "\"}";
  if (!aws::publish_text(ctx, plan_->qos, sc.topic, body)) return;
  pending_.push_back({n, ctx.now, ShadowOp::Get, retry_update});
  ctx.stats.shadow_in_flight.add(1);
}

void ShadowBehaviour::send_update(Context& ctx, std::string_view reported) {
  const std::uint64_t n = next_token_++;
  auto& sc = detail::scratch();
  sc.topic.assign(prefix_).append("/update");
  // The request document of "Device Shadow service documents": state, clientToken, version.
  std::string body = "{\"state\":{\"reported\":";
  body.append(reported).append("},\"clientToken\":\"").append(token_text(n)).append("\"");
  if (plan_->send_version && last_version_ > 0) body.append(",\"version\":").append(std::to_string(last_version_));
  body.append("}");
  if (last_reported_.data() != reported.data()) last_reported_.assign(reported);
  if (!aws::publish_text(ctx, plan_->qos, sc.topic, body)) return;
  pending_.push_back({n, ctx.now, ShadowOp::Update, false});
  ctx.stats.shadow_in_flight.add(1);
}

std::optional<ShadowBehaviour::Pending> ShadowBehaviour::take(std::string_view token, ShadowOp op) {
  const auto n = aws::token_number(token, index_);
  if (!n) return std::nullopt;
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const Pending& p) { return p.token == *n && p.op == op; });
  if (it == pending_.end()) return std::nullopt;
  Pending p = *it;
  pending_.erase(it);
  return p;
}

void ShadowBehaviour::finish(Context& ctx, const Pending& p, ShadowOutcome o) {
  ctx.stats.shadow_ops[shadow_index(p.op, o)].add();
  ctx.stats.shadow_in_flight.add(-1);
  if (o == ShadowOutcome::TimedOut) return;
  auto& h = p.op == ShadowOp::Get ? ctx.stats.shadow_get_latency : ctx.stats.shadow_update_latency;
  h.record(since_ns(p.sent, ctx.now));
}

// "The version of the document ... is incremented with every update": a document older than
// one seen before means the service (or the broker's delivery) went back in time.
void ShadowBehaviour::saw_version(Context& ctx, std::uint64_t v) noexcept {
  if (v < last_version_) ctx.stats.shadow_version_regressions.add();
  else last_version_ = v;
}

// ---- answers -------------------------------------------------------------------------------

bool ShadowBehaviour::on_publish(Context& ctx, const mqtt::Publish& p) {
  if (!std::string_view(p.topic).starts_with(prefix_)) return false;
  const awsiot::AwsTopic t = awsiot::parse_topic(p.topic);
  if (t.service != awsiot::Service::Shadow || t.shadow.id.thing != thing_ || t.shadow.id.name != plan_->name)
    return false;
  const ShadowOp op = t.shadow.op == awsiot::ShadowOp::Get ? ShadowOp::Get : ShadowOp::Update;
  if (t.shadow.op == awsiot::ShadowOp::Delete) return false;
  switch (t.shadow.suffix) {
    case awsiot::ShadowSuffix::Accepted: on_accepted(ctx, op, text_of(p)); return true;
    case awsiot::ShadowSuffix::Rejected: on_rejected(ctx, op, text_of(p)); return true;
    case awsiot::ShadowSuffix::Delta: on_delta(ctx, text_of(p)); return true;
    default: return false;  // our own request topics (echoed by a broker) and documents
  }
}

void ShadowBehaviour::on_accepted(Context& ctx, ShadowOp op, std::string_view payload) {
  const auto a = awsiot::parse_shadow_accepted(payload);
  if (!a) {
    ctx.stats.shadow_foreign_responses.add();
    return;
  }
  const auto mine = a->client_token ? take(*a->client_token, op) : std::nullopt;
  if (!mine) {
    // Another client's request on this shadow (every subscriber of the topic hears it).
    ctx.stats.shadow_foreign_responses.add();
    return;
  }
  finish(ctx, *mine, ShadowOutcome::Accepted);
  saw_version(ctx, a->version);
  if (op == ShadowOp::Update) {
    conflict_retries_ = 0;
    return;
  }
  if (mine->retry_update) {
    send_update(ctx, last_reported_);
  } else if (plan_->report_delta && a->state.delta) {
    // A desired change made while the device was away: apply it now (the docs' "get on
    // connect, then act on the delta").
    send_update(ctx, boost::json::serialize(*a->state.delta));
  }
}

void ShadowBehaviour::on_rejected(Context& ctx, ShadowOp op, std::string_view payload) {
  const auto e = awsiot::parse_shadow_error(payload);
  const auto mine = e && e->client_token ? take(*e->client_token, op) : std::nullopt;
  if (!mine) {
    ctx.stats.shadow_foreign_responses.add();
    return;
  }
  finish(ctx, *mine, shadow_outcome_of_code(e->code));
  // 409 Version conflict: get the current version, then send the same reported state again
  // (the SDK's shadow sample does get-then-update).
  if (op == ShadowOp::Update && e->code == 409 && plan_->send_version && conflict_retries_ < kShadowConflictRetries) {
    ++conflict_retries_;
    ctx.stats.shadow_conflict_retries.add();
    send_get(ctx, true);
  }
}

void ShadowBehaviour::on_delta(Context& ctx, std::string_view payload) {
  const auto d = awsiot::parse_shadow_delta(payload);
  if (!d) return;
  ctx.stats.shadow_deltas_received.add();
  saw_version(ctx, d->version);
  if (plan_->report_delta && connected_ && subscribed_) send_update(ctx, boost::json::serialize(d->state));
}

// ---- time ----------------------------------------------------------------------------------

void ShadowBehaviour::on_timer(Context& ctx, bool connected, scenario::TemplateVars vars) {
  connected_ = connected;
  const auto timeout = plan_->timeout;
  for (std::size_t i = 0; i < pending_.size();) {
    if (ctx.now >= after(pending_[i].sent, timeout)) {
      finish(ctx, pending_[i], ShadowOutcome::TimedOut);
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  if (next_update_ == kNever || ctx.now < next_update_) return;
  // A slot that falls while disconnected (or unsubscribed) is skipped: the device has no
  // way to reach its shadow then, and queueing would burst at reconnect.
  while (next_update_ <= ctx.now) next_update_ = after(next_update_, plan_->update_interval);
  if (!connected || !subscribed_) return;
  auto& sc = detail::scratch();
  vars.seq = ++updates_;
  vars.timestamp_ms = ctx.wall_ns / 1'000'000;
  sc.text.clear();
  plan_->reported.render_to(sc.text, vars);
  conflict_retries_ = 0;
  send_update(ctx, sc.text);
}

TimePoint ShadowBehaviour::deadline() const noexcept {
  TimePoint t = next_update_;
  for (const auto& p : pending_) t = std::min(t, after(p.sent, plan_->timeout));
  return t;
}

}  // namespace fleetload::device
