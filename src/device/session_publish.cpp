// The device session's message side: requesting and sending publishes per stream (their
// schedule: session_schedule.cpp), QoS 1/2 in-flight tracking with flow control and ack
// timeouts, the offline queue, inbound PUBLISH handling and the receive accounting (the
// end-of-run books: session_subscribe.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "device/rng.hpp"
#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::after;
using detail::since_ns;

namespace {

std::size_t varint_size(std::size_t v) noexcept { return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4; }

// Bytes a packet of `size` bytes (fixed header included) grows by when `body` more payload
// bytes are counted in its remaining length: the body plus any growth of the varint.
std::size_t shared_extra(std::size_t size, std::size_t body) noexcept {
  std::size_t rl = 0;
  for (std::size_t k = 1; k <= 4; ++k) {
    rl = size - 1 - k;
    if (varint_size(rl) == k) break;
  }
  return body + varint_size(rl + body) - varint_size(rl);
}
}  // namespace

// ---- requesting and sending ---------------------------------------------------------------

mqtt::QoS Session::effective_qos(std::size_t s) const noexcept {
  return static_cast<mqtt::QoS>(
      std::min<std::uint8_t>(static_cast<std::uint8_t>(plan_->streams[s].qos), server_max_qos_));
}

void Session::request_publish(Context& ctx, std::size_t s) {
  const auto q = static_cast<std::uint8_t>(effective_qos(s));
  ctx.stats.publish_requests[q].add();
  if (state_ == State::Connected) {
    if (q == 0) {
      send_new(ctx, s, q);
      return;
    }
    if (queued_of(s) == 0 && inflight_count_ < send_window_) {
      send_new(ctx, s, q);
      return;
    }
    ctx.stats.flow_control_stalls.add();
    enqueue(ctx, s, q);
    return;
  }
  // Offline: the SDK's offline-queue behaviour (aws doc §6). QoS 0 always fails.
  const auto policy = plan_->offline_queue;
  const bool fail = q == 0 || policy == scenario::OfflineQueue::FailAllOnDisconnect ||
                    (policy == scenario::OfflineQueue::FailNonQos1PublishOnDisconnect && q != 1);
  if (fail) {
    count_failed(ctx, s, q, PublishFailReason::OfflineQueuePolicy);
    return;
  }
  enqueue(ctx, s, q);
}

void Session::enqueue(Context& ctx, std::size_t s, std::uint8_t q) {
  if (queued_ >= plan_->offline_queue_limit || (queued_of(s) > 0 && queued_qos(s) != q)) {
    count_failed(ctx, s, q, PublishFailReason::OfflineQueueFull);
    return;
  }
  queued_qos(s) = q;
  add_queued(s, 1);
  ctx.stats.offline_queued.add(1);
}

void Session::count_failed(Context& ctx, std::size_t s, std::uint8_t q, PublishFailReason r) const {
  ctx.stats.publishes_failed[static_cast<std::size_t>(r)].add();
  ctx.stats.publishes_failed_by_qos[q].add();
  ctx.stats.count_stream(plan_->streams[s].id, StreamCount::Failed);
}

bool Session::send_new(Context& ctx, std::size_t s, std::uint8_t q) {
  InFlight e;
  e.sent = ctx.now;
  e.seq = static_cast<std::uint32_t>(seq(s));
  e.qos = q;
  e.stream = static_cast<std::uint8_t>(s);
  if (q > 0) e.id = next_packet_id();
  PublishFailReason why = PublishFailReason::PacketTooLarge;
  // Before the message leaves: a subscription event seen now happened before it was sent.
  if (plan_->clock) plan_->clock->on_send(plan_->clock_slot(index_, s), seq(s), ctx.wall_ns);
  if (!send_publish(ctx, e, false, ctx.wall_ns, &why)) {
    count_failed(ctx, s, q, why);
    return false;
  }
  ++seq(s);
  ctx.stats.publishes_sent[q].add();
  ctx.stats.count_stream(plan_->streams[s].id, StreamCount::Sent);
  if (q > 0) {
    ensure_in_flight_capacity();
    inflight_[inflight_count_++] = e;
    ctx.stats.in_flight.add(1);
  }
  return true;
}

bool Session::send_publish(Context& ctx, const InFlight& e, bool dup, std::uint64_t wall_ns,
                           PublishFailReason* why) {
  const FleetPlan& p = *plan_;
  const StreamPlan& st = p.streams[e.stream];
  auto& sc = detail::scratch();
  mqtt::Publish& pub = sc.pub;
  // Only these properties are ever set on the scratch PUBLISH: resetting them is cheaper
  // than Properties::clear() on the hot path.
  pub.properties.topic_alias.reset();
  pub.properties.user_properties.clear();
  pub.properties.content_type.reset();
  pub.properties.message_expiry_interval.reset();
  pub.qos = static_cast<mqtt::QoS>(e.qos);
  pub.dup = dup && e.qos > 0;
  pub.packet_id = e.id;
  pub.retain = st.retain && !(flags_ & detail::kNoRetain);

  const bool need_id = st.topic.uses(scenario::Placeholder::ClientId) ||
                       (st.payload_template && st.payload_template->uses(scenario::Placeholder::ClientId));
  const std::string_view cid = need_id ? current_client_id(sc.client_id) : std::string_view{};
  // Stream s uses topic alias s + 1 when the broker allows that many.
  const auto alias_no = static_cast<std::uint16_t>(e.stream + 1);
  const bool alias = st.topic_alias && server_alias_max_ >= alias_no;
  const bool mapped = alias && alias_mapped(e.stream);
  if (mapped) {
    pub.topic = {};
  } else {
    p.render_topic(sc.topic, st, index_, cid);
    pub.topic = sc.topic;
  }
  if (alias) pub.properties.topic_alias = alias_no;

  const bool share = !st.payload_template && !st.payload_body.empty() && ctx.splices != nullptr;
  const PayloadHeader h{index_, e.seq, wall_ns, p.run_id, static_cast<std::uint8_t>(st.id)};
  if (st.payload_template) {
    auto v = p.vars(index_);
    v.client_id = cid;
    v.seq = e.seq;
    v.timestamp_ms = wall_ns / 1'000'000;
    sc.text.clear();
    st.payload_template->render_to(sc.text, v);
    pub.payload = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(sc.text.data()), sc.text.size());
  } else if (share) {
    // Only the accounting header is per message; the body follows by scatter-gather.
    sc.payload.resize(kPayloadHeaderSize);
    write_payload_header(sc.payload, h);
    pub.payload = mqtt::Bytes(sc.payload.data(), kPayloadHeaderSize);
  } else {
    pub.payload = build_payload(sc.payload, st.payload_size, h);
  }
  if (p.version == mqtt::Version::V5) {
    for (const auto& [k, v] : st.user_properties) pub.properties.user_properties.emplace_back(k, v);
    if (st.content_type) pub.properties.content_type = *st.content_type;
    pub.properties.message_expiry_interval = st.message_expiry_s;
  }

  if (server_max_packet_ != 0) {
    const auto sz = mqtt::encoded_size(pub, p.version);
    if (sz.error || sz.size + (share ? shared_extra(sz.size, st.payload_body.size()) : 0) > server_max_packet_) {
      ctx.stats.oversize_packets.add();
      return false;
    }
  }
  const std::size_t at = ctx.out.size();
  if (!emit(ctx, pub)) {
    // Our fault, not the broker's: the rendered topic (or a property) breaks MQTT's string
    // rules. Counted, never silently dropped.
    if (why != nullptr) *why = PublishFailReason::Unencodable;
    return false;
  }
  if (share) {
    const std::size_t small = ctx.out.size() - at;  // emit() counted these bytes
    if (!extend_remaining_length(ctx.out, at, st.payload_body.size())) {
      ctx.out.resize(at);
      ctx.stats.oversize_packets.add();
      return false;
    }
    ctx.splices->push_back(Splice{ctx.out.size(), st.payload_body});
    ctx.stats.bytes_sent.add(ctx.out.size() - at - small + st.payload_body.size());
  }
  if (st.retain && (flags_ & detail::kNoRetain)) ctx.stats.retain_cleared.add();
  if (static_cast<std::uint8_t>(st.qos) > e.qos) ctx.stats.qos_downgraded.add();
  if (alias) {
    if (mapped) ctx.stats.topic_alias_used.add();
    else set_alias_mapped(e.stream);
  }
  charge_publish(ctx);
  return true;
}

void Session::pump(Context& ctx) {
  const std::size_t n = stream_states();
  for (std::size_t s = 0; s < n; ++s) {
    while (state_ == State::Connected && queued_of(s) > 0 && inflight_count_ < send_window_ &&
           !publish_limited(ctx)) {
      const std::uint8_t q = queued_qos(s);
      if (q > server_max_qos_) {
        const std::uint32_t k = queued_of(s);
        for (std::uint32_t i = 0; i < k; ++i) count_failed(ctx, s, q, PublishFailReason::QosNotSupported);
        ctx.stats.offline_queued.add(-static_cast<std::int64_t>(k));
        add_queued(s, -static_cast<std::int64_t>(k));
        break;
      }
      add_queued(s, -1);
      ctx.stats.offline_queued.add(-1);
      send_new(ctx, s, q);
    }
  }
}

void Session::resend_in_flight(Context& ctx, bool session_present) {
  for (std::uint16_t i = 0; i < inflight_count_; ++i) {
    InFlight& e = inflight_[i];
    ctx.stats.publishes_retransmitted.add();
    if (e.stage == 1 && session_present) {
      send_ack(ctx, mqtt::PacketType::Pubrel, e.id, 0);
      continue;
    }
    // The broker lost the session: the whole exchange starts again.
    e.stage = 0;
    const std::uint64_t age = since_ns(e.sent, ctx.now);
    const std::uint64_t wall = ctx.wall_ns > age ? ctx.wall_ns - age : 0;
    send_publish(ctx, e, session_present, wall);
  }
}

// ---- acknowledgements -----------------------------------------------------------------------

void Session::ensure_in_flight_capacity() {
  if (inflight_count_ < inflight_cap_) return;
  const std::uint32_t cap = inflight_cap_ ? std::min<std::uint32_t>(inflight_cap_ * 2u, 65535u) : 4u;
  auto bigger = std::make_unique<InFlight[]>(cap);
  std::copy_n(inflight_.get(), inflight_count_, bigger.get());
  inflight_ = std::move(bigger);
  inflight_cap_ = static_cast<std::uint16_t>(cap);
}

void Session::remove_in_flight(Context& ctx, std::size_t i) {
  // Order-preserving: entries stay in send order, so the first one times out first.
  std::copy(inflight_.get() + i + 1, inflight_.get() + inflight_count_, inflight_.get() + i);
  --inflight_count_;
  ctx.stats.in_flight.add(-1);
}

std::uint16_t Session::next_packet_id() noexcept {
  for (int tries = 0; tries < 65535; ++tries) {
    if (++packet_id_ == 0) packet_id_ = 1;
    const std::uint16_t id = packet_id_;
    if (id == subscribe_id_ || id == unsubscribe_id_) continue;
    if (inbound_ && inbound_->aws) {
      // The behaviours' SUBSCRIBEs and QoS 1 requests awaiting their acks.
      const Inbound::Aws& in = *inbound_->aws;
      if ((in.shadow && id == in.shadow->subscribe_id()) || (in.jobs && id == in.jobs->subscribe_id()) ||
          (in.provisioning && id == in.provisioning->subscribe_id()) || in.request_ack_pending(id))
        continue;
    }
    const bool used = std::any_of(inflight_.get(), inflight_.get() + inflight_count_,
                                  [id](const InFlight& e) { return e.id == id; });
    if (!used) return id;
  }
  return packet_id_;
}

void Session::send_ack(Context& ctx, mqtt::PacketType t, std::uint16_t id, std::uint8_t rc) {
  auto& a = detail::scratch().ack;
  a.type = t;
  a.packet_id = id;
  a.reason_code = plan_->version == mqtt::Version::V5 ? rc : 0;
  emit(ctx, a);  // the scratch ack never carries properties
}

void Session::expire_acks(Context& ctx) {
  const auto timeout = plan_->ack_timeout;
  if (timeout.count() <= 0) return;
  bool freed = false;
  while (inflight_count_ > 0 && ctx.now >= after(inflight_[0].sent, timeout)) {
    ctx.stats.ack_timeouts[inflight_[0].qos].add();
    ctx.stats.count_stream(plan_->streams[inflight_[0].stream].id, StreamCount::Failed);
    remove_in_flight(ctx, 0);
    freed = true;
  }
  if (freed) pump(ctx);
}

void Session::on_ack(Context& ctx, const mqtt::PubAck& a) {
  if (a.type == mqtt::PacketType::Pubrel) {  // inbound QoS 2, second half
    std::uint8_t rc = 0x92;  // Packet Identifier not found
    if (inbound_ && inbound_->qos2_ids.erase(a.packet_id)) rc = 0;
    send_ack(ctx, mqtt::PacketType::Pubcomp, a.packet_id, rc);
    return;
  }
  const std::uint8_t want_qos = a.type == mqtt::PacketType::Puback ? 1 : 2;
  const std::uint8_t want_stage = a.type == mqtt::PacketType::Pubcomp ? 1 : 0;
  std::size_t i = 0;
  while (i < inflight_count_ && inflight_[i].id != a.packet_id) ++i;
  // A PUBACK for a QoS 2 message still awaiting its PUBREC: a broker without QoS 2 took it
  // at QoS 1 (RabbitMQ does). The message was accepted: booked as acknowledged, named as
  // the broker's downgrade, its slot freed (left in flight it would block the window).
  const bool downgraded = a.type == mqtt::PacketType::Puback && i < inflight_count_ && inflight_[i].qos == 2 &&
                          inflight_[i].stage == 0;
  if (downgraded) ctx.stats.qos2_answered_with_puback.add();
  const bool found = i < inflight_count_ && (inflight_[i].qos == want_qos || downgraded) &&
                     (inflight_[i].stage == want_stage ||
                      (a.type == mqtt::PacketType::Pubrec && inflight_[i].stage == 1));
  if (!found) {
    if (on_request_ack(ctx, a)) return;  // a behaviour's request (session_aws.cpp)
    ctx.stats.unexpected_acks.add();
    if (a.type == mqtt::PacketType::Pubrec) send_ack(ctx, mqtt::PacketType::Pubrel, a.packet_id, 0x92);
    return;
  }
  InFlight& e = inflight_[i];
  if (a.type == mqtt::PacketType::Pubrec && a.reason_code < 0x80) {
    e.stage = 1;  // a repeated PUBREC gets a repeated PUBREL
    send_ack(ctx, mqtt::PacketType::Pubrel, e.id, 0);
    return;
  }
  if (a.reason_code >= 0x80) {  // MQTT 5: PUBACK/PUBREC refusing the message
    ctx.stats.puback_errors.add();
    ctx.stats.puback_codes[a.reason_code].add();
    count_failed(ctx, e.stream, e.qos, PublishFailReason::Rejected);
  } else {
    ctx.stats.publishes_acked[e.qos].add();
    ctx.stats.count_stream(plan_->streams[e.stream].id, StreamCount::Acked);
    ctx.stats.ack_latency.record(since_ns(e.sent, ctx.now));
    // MQTT 3.1.1: an acknowledged request pushes the next PINGREQ off (session.cpp). The
    // SDK times it from the last transmission; ours is the first, which differs only for
    // messages re-sent after a reconnect, whose pushed-off ping falls before the one timed
    // from that reconnect's CONNACK anyway.
    push_ping_off(e.sent);
  }
  remove_in_flight(ctx, i);
  pump(ctx);
}

// ---- failing what cannot complete -----------------------------------------------------------

void Session::fail_on_disconnect(Context& ctx) {
  // FAIL_QOS0_PUBLISH_ON_DISCONNECT keeps QoS 1 and 2; FAIL_NON_QOS1 keeps QoS 1 only;
  // FAIL_ALL keeps nothing (aws doc §6).
  const auto policy = plan_->offline_queue;
  auto fails = [&](std::uint8_t q) {
    return policy == scenario::OfflineQueue::FailAllOnDisconnect ||
           (policy == scenario::OfflineQueue::FailNonQos1PublishOnDisconnect && q != 1);
  };
  for (std::size_t i = inflight_count_; i-- > 0;) {
    if (!fails(inflight_[i].qos)) continue;
    count_failed(ctx, inflight_[i].stream, inflight_[i].qos, PublishFailReason::Disconnect);
    remove_in_flight(ctx, i);
  }
  const std::size_t n = stream_states();
  for (std::size_t s = 0; s < n; ++s) {
    const std::uint32_t k = queued_of(s);
    if (k == 0 || !fails(queued_qos(s))) continue;
    for (std::uint32_t i = 0; i < k; ++i) count_failed(ctx, s, queued_qos(s), PublishFailReason::Disconnect);
    ctx.stats.offline_queued.add(-static_cast<std::int64_t>(k));
    add_queued(s, -static_cast<std::int64_t>(k));
  }
}

void Session::fail_all(Context& ctx, PublishFailReason r) {
  while (inflight_count_ > 0) {
    const InFlight& e = inflight_[inflight_count_ - 1];
    count_failed(ctx, e.stream, e.qos, r);
    remove_in_flight(ctx, inflight_count_ - 1);
  }
  const std::size_t n = stream_states();
  for (std::size_t s = 0; s < n; ++s) {
    const std::uint32_t k = queued_of(s);
    for (std::uint32_t i = 0; i < k; ++i) count_failed(ctx, s, queued_qos(s), r);
    ctx.stats.offline_queued.add(-static_cast<std::int64_t>(k));
    add_queued(s, -static_cast<std::int64_t>(k));
  }
}

// ---- receiving ------------------------------------------------------------------------------

void Session::on_publish(Context& ctx, const mqtt::Publish& p) {
  const FleetPlan& plan = *plan_;
  if (!inbound_) inbound_ = std::make_unique<Inbound>();
  if (p.properties.topic_alias) {
    // 5.0 §3.3.2.3.4: an alias of 0 or above the Topic Alias Maximum we sent (none sent: no
    // aliases at all) is a Topic Alias invalid error; an empty topic with an alias the broker
    // never set on this connection is a Protocol Error. Either way DISCONNECT and close.
    const std::uint16_t a = *p.properties.topic_alias;
    const std::uint16_t max = plan.topic_alias_maximum.value_or(0);
    if (a == 0 || a > max) {
      ctx.stats.topic_alias_invalid.add();
      protocol_drop(ctx, mqtt::ReasonCode::TopicAliasInvalid);
      return;
    }
    if (p.topic.empty() && !inbound_->alias_set(a)) {
      ctx.stats.topic_alias_invalid.add();
      protocol_drop(ctx, mqtt::ReasonCode::ProtocolError);
      return;
    }
    if (!p.topic.empty()) inbound_->set_alias(a, max);
  }
  if (p.qos == mqtt::QoS::ExactlyOnce) {
    auto& ids = inbound_->qos2_ids;
    if (ids.contains(p.packet_id)) {
      // A re-sent QoS 2 PUBLISH before our PUBREL exchange finished: already delivered.
      send_ack(ctx, mqtt::PacketType::Pubrec, p.packet_id, 0);
      return;
    }
    // Each id awaiting PUBREL is a PUBLISH we have not finished acknowledging: more than our
    // Receive Maximum of them breaks 5.0 §3.3.4 ([MQTT-3.3.4-9]): DISCONNECT 0x93. On 3.1.1
    // the 16-bit ids themselves bound the set.
    if (ids.size() >= plan.inbound_receive_maximum()) {
      ctx.stats.receive_maximum_exceeded.add();
      protocol_drop(ctx, mqtt::ReasonCode::ReceiveMaximumExceeded);
      return;
    }
    ids.insert(p.packet_id);
  }
  ctx.stats.messages_received.add();
  // A delivery with RETAIN set comes from the broker's retained store (3.1.1 §3.3.1.3, 5.0
  // §3.3.1.3), not from a live publish: counted apart, kept out of latency and the books.
  // With Retain As Published the broker keeps RETAIN on live copies too, so there it only
  // counts. A message stamped with another run id was sent by an earlier run (retained, or
  // queued for a persistent session): neither a duplicate nor a latency of this run.
  const bool retained = p.retain && !plan.retain_as_published;
  if (p.retain) ctx.stats.retained_received.add();
  if (const auto h = read_payload_header(p.payload)) {
    if (h->version != 2 || h->run_id != plan.run_id) {
      ctx.stats.messages_from_earlier_run.add();
    } else if (!retained) {  // (this run's own retained message, sent again, only counts)
      if (ctx.wall_ns >= h->sent_ns)
        ctx.stats.e2e_latency.record(ctx.wall_ns - h->sent_ns);
      else
        ctx.stats.messages_clock_skewed.add();
      ctx.stats.count_stream(h->stream, StreamCount::Received);
      if (plan.track_loss && h->stream < plan.stream_stride) {
        // Books per (publisher, stream): each stream numbers its messages 1, 2, 3, ...
        const auto key = static_cast<std::uint32_t>(plan.stream_key(h->publisher, h->stream));
        // The QoS this delivery came at, which the SUBACK's grant caps: at QoS 1 (at least
        // once) the protocol allows a duplicate, at 0 (at most once) a loss.
        const auto qos = std::min<std::uint8_t>(static_cast<std::uint8_t>(p.qos), inbound_->granted_qos);
        ReceiveCounts c;
        if (auto* share = inbound_->share_of(p.topic, plan.all_filters_shared)) {
          // A share group's books, across its members (share_books.hpp); order is not
          // judged: the broker spreads the stream over the members.
          c.duplicated = ShareBooks::on_message(*share, key, h->seq) ? 1 : 0;
        } else if (!plan.all_filters_shared) {
          c = inbound_->tracker.on_message(key, h->seq, inbound_->interval());
        }
        // Nearly every delivery changes none of these: written only when one does.
        if (c.lost) {
          ctx.stats.messages_lost.add(c.lost);
          if (qos == 0) ctx.stats.messages_lost_qos0.add(c.lost);
          ctx.stats.count_stream(h->stream, StreamCount::Lost, c.lost);
        }
        if (c.duplicated && qos == 1) {
          ctx.stats.messages_duplicated_qos1.add(c.duplicated);
        } else if (c.duplicated) {
          ctx.stats.messages_duplicated.add(c.duplicated);
          ctx.stats.count_stream(h->stream, StreamCount::Duplicated, c.duplicated);
        }
        if (c.out_of_order) {
          ctx.stats.messages_out_of_order.add(c.out_of_order);
          ctx.stats.count_stream(h->stream, StreamCount::OutOfOrder, c.out_of_order);
        }
      }
    }
  } else {
    ctx.stats.messages_untracked.add();
  }
  if (p.qos == mqtt::QoS::AtLeastOnce) send_ack(ctx, mqtt::PacketType::Puback, p.packet_id, 0);
  if (p.qos == mqtt::QoS::ExactlyOnce) send_ack(ctx, mqtt::PacketType::Pubrec, p.packet_id, 0);
}

}  // namespace fleetload::device
