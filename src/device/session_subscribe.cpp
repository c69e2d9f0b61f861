// The device session's subscriptions: SUBSCRIBE once connected (again when the broker lost
// the session), SUBACK/UNSUBACK checks and counts, UNSUBSCRIBE at the end of a run, and the
// end-of-run books of what each subscription was owed.
#include <algorithm>
#include <memory>

#include "device/books_exchange.hpp"
#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::since_ns;

// ---- subscribe ----------------------------------------------------------------------------

void Session::start_subscribe(Context& ctx, std::size_t first) {
  const FleetPlan& p = *plan_;
  auto& sc = detail::scratch();
  if (sc.filters.size() < p.subscriptions.size()) sc.filters.resize(p.subscriptions.size());
  auto vars = p.vars(index_);
  vars.client_id = current_client_id(sc.client_id);
  const std::size_t end = first + p.subscribe_batch_size(first);
  if (p.subscribe_batch != 0) {
    // Which batch is awaiting its SUBACK: kept on the heap (Inbound), not in the session.
    if (!inbound_) inbound_ = std::make_unique<Inbound>();
    inbound_->subscribe_first = static_cast<std::uint32_t>(first);
  }
  mqtt::Subscribe s;
  s.packet_id = next_packet_id();
  s.subscriptions.reserve(end - first);
  for (std::size_t i = first; i < end; ++i) {
    const SubscriptionPlan& f = p.subscriptions[i];
    sc.filters[i].clear();
    f.filter.render_to(sc.filters[i], vars);
    mqtt::Subscription sub;
    sub.filter = sc.filters[i];
    sub.qos = f.qos;
    if (p.version == mqtt::Version::V5) {
      sub.no_local = f.no_local;
      sub.retain_as_published = f.retain_as_published;
      sub.retain_handling = f.retain_handling;
    }
    s.subscriptions.push_back(sub);
  }
  const auto id = s.packet_id;
  if (!emit(ctx, mqtt::Packet(std::move(s)))) return;
  ctx.stats.subscribe_requests.add();
  subscribe_id_ = id;
  subscribe_sent_ = ctx.now;
}

void Session::on_suback(Context& ctx, const mqtt::Suback& s) {
  if (inbound_ && inbound_->aws) {
    detail::BehaviourScope scope(ctx, this);  // their first requests follow their SUBACK
    if (auto* sh = shadow(); sh && sh->on_suback(ctx, s)) return;
    if (auto* j = jobs(); j && j->on_suback(ctx, s, jobs_may_start())) return;
    if (auto* pv = provisioning(); pv && pv->on_suback(ctx, s)) return;
  }
  if (s.packet_id != subscribe_id_ || subscribe_id_ == 0) {
    ctx.stats.unexpected_acks.add();
    return;
  }
  subscribe_id_ = 0;
  const std::size_t first = inbound_ && plan_->subscribe_batch != 0 ? inbound_->subscribe_first : 0;
  const std::size_t batch = plan_->subscribe_batch_size(first);
  // One reason code per filter of our SUBSCRIBE (3.1.1 §3.9.3, 5.0 §3.9.3). Both SDK clients
  // treat any other count as a protocol error and close (MQTT 5: DISCONNECT 0x82 first).
  if (s.reason_codes.size() != batch) {
    ctx.stats.suback_count_mismatch.add();
    protocol_drop(ctx, mqtt::ReasonCode::ProtocolError);
    return;
  }
  push_ping_off(subscribe_sent_);
  ctx.stats.subscribe_latency.record(since_ns(subscribe_sent_, ctx.now));
  if (!inbound_) inbound_ = std::make_unique<Inbound>();
  bool any_ok = false;
  for (std::size_t i = 0; i < s.reason_codes.size(); ++i) {
    const std::uint8_t code = s.reason_codes[i];
    ctx.stats.suback_codes[code].add();
    const std::size_t f = first + i;  // the filter's index in the scenario
    const auto requested = static_cast<std::uint8_t>(plan_->subscriptions[f].qos);
    ctx.stats.suback_grants[suback_grant_index(f, requested, code)].add();
    if (code < 0x80) {
      ctx.stats.subscribe_filters_ok.add();
      // 3.1.1 §3.9.3 / 5.0 §3.9.3: the code is the maximum QoS granted, which may be lower
      // than requested (RabbitMQ grants QoS 2 as 1); deliveries on it follow the granted QoS.
      if (code < requested) ctx.stats.subscribe_qos_downgraded.add();
      inbound_->granted |= std::uint64_t{1} << std::min<std::size_t>(f, 63);
      inbound_->granted_qos = std::max<std::uint8_t>(inbound_->granted_qos, std::min<std::uint8_t>(code, 2));
      if (plan_->subscriptions[f].shared) join_share(f);
      any_ok = true;
    } else {
      ctx.stats.subscribe_filters_failed.add();
    }
  }
  if (any_ok) flags_ |= detail::kSubscribed;
  if (first + batch < plan_->subscriptions.size()) {
    start_subscribe(ctx, first + batch);
    return;
  }
  // Every batch is answered: from here on the broker holds every granted filter, so what
  // publishers send after this is owed. Not from an earlier batch's SUBACK: a later batch's
  // filters did not exist at the broker yet (what arrives meanwhile counts as received).
  if (flags_ & detail::kSubscribed) {
    inbound_->begin_held(plan_->clock);
    if (inbound_->subscribed_wall_ns == 0) inbound_->subscribed_wall_ns = ctx.wall_ns;
  }
}

// A granted "$share/..." filter: this subscriber is one more member of its share group
// (once per run, however often it subscribes again).
void Session::join_share(std::size_t f) {
  ShareBooks* books = plan_->share_books;
  if (books == nullptr) return;
  for (const auto& s : inbound_->shares)
    if (s.filter == f) return;
  auto& sc = detail::scratch();
  auto vars = plan_->vars(index_);
  vars.client_id = current_client_id(sc.client_id);
  std::string rendered;
  plan_->subscriptions[f].filter.render_to(rendered, vars);
  if (auto* g = books->join(rendered, plan_->group)) inbound_->shares.push_back({g, static_cast<std::uint32_t>(f)});
}

void Session::on_unsuback(Context& ctx, const mqtt::Unsuback& u) {
  if (u.packet_id != unsubscribe_id_ || unsubscribe_id_ == 0) {
    ctx.stats.unexpected_acks.add();
    return;
  }
  unsubscribe_id_ = 0;
  // MQTT 5 UNSUBACK carries one reason code per filter (5.0 §3.11.3); 3.1.1 none.
  if (plan_->version == mqtt::Version::V5 && u.reason_codes.size() != plan_->subscriptions.size()) {
    ctx.stats.suback_count_mismatch.add();
    protocol_drop(ctx, mqtt::ReasonCode::ProtocolError);
    return;
  }
  ctx.stats.unsuback_received.add();
  flags_ &= static_cast<std::uint8_t>(~detail::kSubscribed);
  push_ping_off(subscribe_sent_);
}

void Session::unsubscribe(Context& ctx) {
  // Not while a SUBSCRIBE is outstanding: the two share subscribe_sent_.
  if (state_ != State::Connected || !(flags_ & detail::kSubscribed) || unsubscribe_id_ != 0 ||
      subscribe_id_ != 0)
    return;
  const FleetPlan& p = *plan_;
  auto& sc = detail::scratch();
  if (sc.filters.size() < p.subscriptions.size()) sc.filters.resize(p.subscriptions.size());
  auto vars = p.vars(index_);
  vars.client_id = current_client_id(sc.client_id);
  mqtt::Unsubscribe u;
  u.packet_id = next_packet_id();
  for (std::size_t i = 0; i < p.subscriptions.size(); ++i) {
    sc.filters[i].clear();
    p.subscriptions[i].filter.render_to(sc.filters[i], vars);
    u.filters.push_back(sc.filters[i]);
  }
  const auto id = u.packet_id;
  if (!emit(ctx, mqtt::Packet(std::move(u)))) return;
  ctx.stats.unsubscribe_requests.add();
  unsubscribe_id_ = id;
  subscribe_sent_ = ctx.now;
}

// ---- end-of-run books ---------------------------------------------------------------------

// What publisher `pub` (last sequence `last`) sent during each of our subscription
// intervals: after the interval began, up to its end (the run's end for one still held).
// Without a clock, one interval owed everything.
void Session::owed_ranges(std::vector<OwedRange>& out, std::size_t pub, std::uint32_t stream_id,
                          std::uint64_t last) const {
  out.clear();
  const SubscriptionClock* clock = plan_->clock;
  const FleetPlan& pp = plan_->plan_of(pub);
  const StreamPlan* st = pp.stream_by_id(stream_id);
  if (!clock || inbound_->held.empty() || st == nullptr) {
    out.push_back({0, last});
    return;
  }
  const auto slot = pp.clock_slot(pub, static_cast<std::size_t>(st - pp.streams.data()));
  for (const auto& [b, e] : inbound_->held)
    out.push_back({clock->sent_before(slot, b, last), e == 0 ? last : clock->sent_before(slot, e, last)});
}

void Session::finalize_receive(ThreadStats& stats, std::span<const std::uint64_t> last_seq_by_device,
                               bool still_arriving) {
  const FleetPlan& p = *plan_;
  if (!p.track_loss || !p.is_subscriber(index_)) return;
  if (!inbound_) inbound_ = std::make_unique<Inbound>();
  // Only filters a SUBACK granted held a subscription: what matches none of them was never
  // owed to this subscriber (a refused filter, a SUBACK that never came, a subscriber that
  // never connected), so it is counted apart, not as loss.
  if (inbound_->granted == 0 && inbound_->tracker.publishers() == 0) stats.subscribers_unsubscribed.add();
  // Shared filters are booked per share group (share_books.hpp), not here: this member's
  // subscription intervals tell the group when it was owed what.
  for (const auto& s : inbound_->shares) ShareBooks::held(*s.group, inbound_->held);
  const std::uint64_t granted = inbound_->granted & ~p.shared_filters;
  const std::uint64_t all = (p.subscriptions.size() >= 64 ? ~std::uint64_t{0}
                                                          : (std::uint64_t{1} << p.subscriptions.size()) - 1) &
                            ~p.shared_filters;
  ReceiveCounts total;
  std::uint64_t not_subscribed = 0, lost_qos0 = 0;
  std::vector<OwedRange> owed;
  const StreamCount unmet = still_arriving ? StreamCount::NotYetDelivered : StreamCount::Lost;
  // Indexed by FleetPlan::stream_key(publisher, stream id).
  const std::uint32_t stride = p.stream_stride;
  for (std::size_t key = 0; key < last_seq_by_device.size(); ++key) {
    const std::uint64_t last = last_seq_by_device[key];
    if (last == 0) continue;
    const std::size_t pub = key / stride;
    const auto sid = static_cast<std::uint32_t>(key % stride);
    const auto k = static_cast<std::uint32_t>(key);
    if (inbound_->tracker.seen(k) || (granted != 0 && p.subscriber_expects(index_, pub, sid, granted))) {
      owed_ranges(owed, pub, sid, last);
      const ReceiveCounts c = inbound_->tracker.finalize(k, owed);
      stats.count_stream(sid, unmet, c.lost);
      total += c;
      // Owed at QoS 0 (the stream's, or the grant capping it): at most once allows the loss.
      if (const StreamPlan* st = p.plan_of(pub).stream_by_id(sid);
          c.lost && !still_arriving && st && std::min<std::uint8_t>(static_cast<std::uint8_t>(st->qos), inbound_->granted_qos) == 0)
        lost_qos0 += c.lost;
    } else if ((granted & all) != all && p.subscriber_expects(index_, pub, sid, all)) {
      not_subscribed += last;
    }
  }
  if (not_subscribed) stats.messages_not_subscribed.add(not_subscribed);
  if (lost_qos0) stats.messages_lost_qos0.add(lost_qos0);
  if (total.lost == 0) return;
  if (still_arriving)
    stats.messages_not_yet_delivered.add(total.lost);
  else
    stats.messages_lost.add(total.lost);
}

void Session::collect_foreign_books(std::span<const std::uint64_t> last_seq_by_device, std::uint64_t wall_ns,
                                    std::uint32_t group, std::vector<ForeignBooks>& out) const {
  const FleetPlan& p = *plan_;
  if (!p.track_loss || !p.is_subscriber(index_) || !inbound_ || p.shard.n <= 1) return;
  const std::uint64_t granted = inbound_->granted & ~p.shared_filters;
  const auto& held = inbound_->held;
  // Only a subscription taken once and held to the end says when it was owed what.
  const bool single = held.size() == 1;
  const bool open = !held.empty() && held.back().second == 0;
  const std::uint32_t stride = p.stream_stride;
  for (std::size_t key = 0; key < last_seq_by_device.size(); ++key) {
    const std::size_t pub = key / stride;
    if (pub % p.shard.n == p.shard.k) continue;  // this shard's own: settled by finalize_receive
    const auto sid = static_cast<std::uint32_t>(key % stride);
    const auto k = static_cast<std::uint32_t>(key);
    const auto progress = inbound_->tracker.progress(k);
    if (!progress && !(granted != 0 && p.subscriber_expects(index_, pub, sid, granted))) continue;
    ForeignBooks f;
    f.group = group;
    f.key = key;
    f.subscribed_ns = single ? inbound_->subscribed_wall_ns : 0;
    f.held_until_ns = open ? wall_ns : 0;
    if (progress) f.progress = *progress;
    out.push_back(f);
  }
}

}  // namespace fleetload::device
