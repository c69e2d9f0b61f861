// The device session's publish schedule: one per publish stream (the first in the
// session's own fields, further ones in its side record), each at its plan's interval times
// the worker's publish scale (a capacity search), caught up within bounds when late.
#include <algorithm>

#include "device/rng.hpp"
#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::after;

namespace {
// Most publishes one device may catch up in one timer call when the thread fell behind;
// beyond that the missed slots are skipped (and counted) rather than sent as a burst.
constexpr int kMaxCatchUp = 64;
}  // namespace

// ---- publish streams ----------------------------------------------------------------------

bool Session::several_streams() const noexcept { return more_ && !more_->streams.empty(); }
std::size_t Session::stream_states() const noexcept { return several_streams() ? more_->streams.size() : 1; }
TimePoint& Session::due(std::size_t s) noexcept { return several_streams() ? more_->streams[s].next_publish : next_publish_; }
std::uint64_t& Session::seq(std::size_t s) noexcept { return several_streams() ? more_->streams[s].next_seq : next_seq_; }
std::uint32_t Session::queued_of(std::size_t s) const noexcept {
  return several_streams() ? more_->streams[s].queued : queued_;
}
std::uint8_t& Session::queued_qos(std::size_t s) noexcept {
  return several_streams() ? more_->streams[s].queued_qos : queued_qos_;
}
void Session::add_queued(std::size_t s, std::int64_t n) noexcept {
  if (several_streams()) more_->streams[s].queued = static_cast<std::uint32_t>(more_->streams[s].queued + n);
  queued_ = static_cast<std::uint32_t>(queued_ + n);
}
void Session::refresh_next_publish() noexcept {
  if (!several_streams()) return;
  next_publish_ = kNever;
  for (const auto& st : more_->streams) next_publish_ = std::min(next_publish_, st.next_publish);
}
bool Session::alias_mapped(std::size_t s) const noexcept {
  return s == 0 ? (flags_ & detail::kAliasSet) != 0 : more_ && ((more_->aliases_mapped >> s) & 1u);
}
void Session::set_alias_mapped(std::size_t s) {
  if (s == 0) {
    flags_ |= detail::kAliasSet;
    return;
  }
  if (!more_) more_ = std::make_unique<More>();
  more_->aliases_mapped |= 1u << s;
}

std::uint64_t Session::last_sequence(std::size_t s) const noexcept {
  if (several_streams()) return s < more_->streams.size() ? more_->streams[s].next_seq - 1 : 0;
  return s == 0 ? next_seq_ - 1 : 0;
}

// ---- schedule -----------------------------------------------------------------------------

namespace {
// Stream `st`'s (mean) interval at the worker's publish scale; zero when paused.
std::chrono::nanoseconds scaled_interval(const StreamPlan& st, double scale) noexcept {
  if (!(scale > 0.0)) return std::chrono::nanoseconds{0};
  if (scale == 1.0) return st.publish_interval;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(st.publish_interval.count()) / scale));
}
}  // namespace

void Session::start_schedule(Context& ctx) {
  const auto& streams = plan_->streams;
  if (streams.size() > 1 && !several_streams()) {
    if (!more_) more_ = std::make_unique<More>();
    more_->streams.resize(streams.size());
  }
  bool any = false;
  for (std::size_t s = 0; s < streams.size(); ++s) {
    // Paused (publish_scale 0): the first publish one unscaled interval out, moved on while
    // the pause lasts (run_stream).
    auto iv = scaled_interval(streams[s], ctx.publish_scale);
    if (iv.count() <= 0) iv = streams[s].publish_interval;
    if (iv.count() <= 0 || !plan_->publishes(index_, streams[s])) continue;
    // A random phase in [0, interval) so that devices connecting together do not publish in
    // lockstep; Poisson arrivals start with an exponential gap (memoryless).
    std::chrono::nanoseconds first{0};
    if (streams[s].poisson)
      first = std::chrono::nanoseconds(static_cast<std::int64_t>(exponential(ctx.rng_state, static_cast<double>(iv.count()))));
    else
      first = std::chrono::nanoseconds(static_cast<std::int64_t>(uniform_in(ctx.rng_state, 0, static_cast<std::uint64_t>(iv.count()))));
    due(s) = after(ctx.now, first);
    any = true;
  }
  if (!any) return;
  refresh_next_publish();
  flags_ |= detail::kScheduleOn;
}

void Session::rescale_schedule(Context& ctx) {
  if (flags_ & detail::kScheduleOn) start_schedule(ctx);
}

void Session::stop_publishing() noexcept {
  flags_ |= detail::kPublishingStopped;
  flags_ &= static_cast<std::uint8_t>(~detail::kScheduleOn);
  next_publish_ = kNever;
  if (several_streams())
    for (auto& st : more_->streams) st.next_publish = kNever;
}

void Session::advance_schedule(Context& ctx, std::size_t s) {
  const StreamPlan& st = plan_->streams[s];
  const auto iv = scaled_interval(st, ctx.publish_scale);
  // Absolute times (next += gap), never "now + gap", so the rate does not drift by the
  // timer's lateness.
  if (st.poisson)
    due(s) += std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(
        static_cast<std::int64_t>(exponential(ctx.rng_state, static_cast<double>(iv.count())))));
  else
    due(s) += std::chrono::duration_cast<Clock::duration>(iv);
}

void Session::run_schedule(Context& ctx) {
  const std::size_t n = stream_states();
  for (std::size_t s = 0; s < n && (flags_ & detail::kScheduleOn); ++s)
    if (due(s) <= ctx.now) run_stream(ctx, s);
  refresh_next_publish();
}

bool Session::publish_limited(const Context& ctx) const noexcept {
  return plan_->publish_gap.count() > 0 && more_ && ctx.now < more_->publish_free;
}

void Session::charge_publish(const Context& ctx) {
  if (plan_->publish_gap.count() == 0) return;
  if (!more_) more_ = std::make_unique<More>();
  // One PUBLISH per gap, never a burst (at most 100 in any second at AWS IoT Core's 10 ms):
  // a generic cell rate with no tolerance.
  more_->publish_free = after(std::max(more_->publish_free, ctx.now), plan_->publish_gap);
}

void Session::run_stream(Context& ctx, std::size_t s) {
  const StreamPlan& plan_stream = plan_->streams[s];
  if (!(ctx.publish_scale > 0.0)) {
    // Paused: nothing is requested; the schedule waits one unscaled interval at a time.
    due(s) = after(ctx.now, plan_stream.publish_interval);
    return;
  }
  const auto iv = std::chrono::duration_cast<Clock::duration>(scaled_interval(plan_stream, ctx.publish_scale));
  if (iv.count() <= 0) return;
  int sent = 0;
  while ((flags_ & detail::kScheduleOn) && due(s) <= ctx.now && sent < kMaxCatchUp) {
    if (state_ == State::Connected && publish_limited(ctx)) {
      // The connection's publish limit: this publish waits for it, and the schedule moves
      // on from there (no burst afterwards to catch up).
      ctx.stats.publishes_held_by_limit.add();
      due(s) = more_->publish_free;
      break;
    }
    if (ctx.now - due(s) > iv) ctx.stats.publishes_late.add();
    request_publish(ctx, s);
    advance_schedule(ctx, s);
    ++sent;
  }
  if ((flags_ & detail::kScheduleOn) && due(s) <= ctx.now) {
    const auto behind = ctx.now - due(s);
    const auto slots = static_cast<std::uint64_t>(behind / iv) + 1;
    ctx.stats.publish_slots_skipped.add(slots);
    due(s) += iv * static_cast<Clock::duration::rep>(slots);
  }
}

}  // namespace fleetload::device
