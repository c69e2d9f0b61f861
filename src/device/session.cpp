// The device session's connection life cycle: CONNECT/CONNACK, receiving, drops, backoff
// and reconnect, stop. Subscriptions: session_subscribe.cpp; timers and keepalive:
// session_timers.cpp; the publish side: session_publish.cpp.
#include <algorithm>
#include <cstring>

#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::after;
using detail::since_ns;
using detail::to_ns;

namespace detail {
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}
}  // namespace detail

namespace {
constexpr std::uint32_t kKeepRxBuffer = 4096;  // larger partial-packet buffers are released
bool receiving(State s) noexcept { return s == State::AwaitConnack || s == State::Connected; }
bool transport_open(State s) noexcept {
  return s == State::Connecting || s == State::AwaitConnack || s == State::Connected;
}
}  // namespace

Session::Session(const FleetPlan& plan, std::uint32_t device_index)
    : plan_(&plan), index_(device_index) {}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

std::size_t Session::heap_bytes() const noexcept {
  std::size_t n = std::size_t{inflight_cap_} * sizeof(InFlight) + rx_cap_;
  if (inbound_)
    n += sizeof(Inbound) + inbound_->tracker.heap_bytes() + inbound_->qos2_ids.heap_bytes() +
         inbound_->aliases.capacity() * sizeof(std::uint64_t) +
         inbound_->held.capacity() * sizeof(inbound_->held[0]) + (inbound_->aws ? inbound_->aws->heap_bytes() : 0);
  if (more_) n += sizeof(More) + more_->assigned_id.capacity() + more_->streams.capacity() * sizeof(StreamState);
  return n;
}

void Session::set_state(Context& ctx, State s) noexcept {
  auto level = [&](State st, int d) {
    switch (st) {
      case State::Connecting:
      case State::AwaitConnack: ctx.stats.connecting.add(d); break;
      case State::Connected: ctx.stats.connected.add(d); break;
      case State::BackingOff: ctx.stats.backing_off.add(d); break;
      default: break;
    }
  };
  level(state_, -1);
  level(s, +1);
  state_ = s;
}

std::string_view Session::current_client_id(std::string& out) const {
  if (more_ && !more_->assigned_id.empty()) return more_->assigned_id;
  // Provisioned: the thing name the service returned is the client id from then on.
  if (const auto* pv = provisioning(); pv && pv->identity()) return pv->thing_name();
  plan_->render_client_id(out, index_);
  return out;
}

// ---- opening and CONNECT ------------------------------------------------------------------

void Session::start(Context& ctx) {
  if (state_ == State::Idle) open(ctx);
}

void Session::open(Context& ctx) {
  ctx.stats.connect_attempts.add();
  opened_at_ = ctx.now;
  timer_ = kNever;
  set_state(ctx, State::Connecting);
  ctx.action = TransportAction::Open;
}

void Session::on_transport_up(Context& ctx) {
  if (state_ != State::Connecting) {
    // Stopped (or dropped) while the transport was opening: close what just came up.
    if (state_ == State::Stopped || state_ == State::BackingOff) ctx.action = TransportAction::Close;
    return;
  }
  ctx.stats.transports_up.add();
  since_ = ctx.now;
  rx_len_ = 0;
  if (rx_cap_ > kKeepRxBuffer) {
    rx_.reset();
    rx_cap_ = 0;
  }
  ping_sent_ = kNever;
  next_ping_ = kNever;
  flags_ &= static_cast<std::uint8_t>(~(detail::kAliasSet | detail::kNoRetain));
  if (inbound_) inbound_->aliases.clear();  // topic aliases are per connection [MQTT-3.3.2-7]
  if (more_) more_->aliases_mapped = 0;
  keepalive_s_ = plan_->keepalive_s;
  server_alias_max_ = 0;
  server_max_packet_ = 0;
  if (!send_connect(ctx)) {
    // A CONNECT that cannot be encoded (client id, username or will topic not valid UTF-8
    // or over 65,535 bytes) is our fault: count it as a local error and back off, instead
    // of waiting for a CONNACK to a CONNECT that was never sent.
    ctx.stats.connects_unencodable.add();
    connection_lost(ctx, DropReason::LocalError, true);
    return;
  }
  timer_ = after(ctx.now, plan_->connack_timeout);
  set_state(ctx, State::AwaitConnack);
}

bool Session::send_connect(Context& ctx) {
  const FleetPlan& p = *plan_;
  auto& sc = detail::scratch();
  mqtt::Connect c;
  c.version = p.version;
  c.clean_start = p.clean_start_for(flags_ & detail::kEverConnected);
  c.keep_alive = p.keepalive_s;
  c.client_id = current_client_id(sc.client_id);
  auto vars = p.vars(index_);
  vars.client_id = c.client_id;
  if (p.username) {
    sc.username.clear();
    p.username->render_to(sc.username, vars);
    c.username = sc.username;
  }
  if (p.password)
    c.password = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(p.password->data()), p.password->size());
  if (p.will) {
    const WillPlan& w = *p.will;
    sc.will_topic.clear();
    w.topic.render_to(sc.will_topic, vars);
    sc.will_payload.clear();
    w.payload.render_to(sc.will_payload, vars);
    mqtt::Will will;
    will.topic = sc.will_topic;
    will.payload = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(sc.will_payload.data()),
                               sc.will_payload.size());
    will.qos = w.qos;
    will.retain = w.retain;
    if (p.version == mqtt::Version::V5) {
      will.properties.will_delay_interval = w.delay_s;
      will.properties.message_expiry_interval = w.message_expiry_s;
      if (w.content_type) will.properties.content_type = *w.content_type;
    }
    c.will = std::move(will);
  }
  if (p.version == mqtt::Version::V5) {
    c.properties.session_expiry_interval = p.session_expiry_s;
    c.properties.receive_maximum = p.receive_maximum;
    c.properties.maximum_packet_size = p.maximum_packet_size;
    c.properties.topic_alias_maximum = p.topic_alias_maximum;
  }
  return emit(ctx, mqtt::Packet(std::move(c)));
}

// ---- receiving ----------------------------------------------------------------------------

namespace {
// Size of the packet starting the stream rx[0, rx_len) + more (fixed header included), or 0
// while its remaining length (3.1.1 §2.2.3) is not complete yet.
std::size_t first_packet_size(const std::uint8_t* rx, std::size_t rx_len, std::span<const std::uint8_t> more) {
  auto at = [&](std::size_t i) { return i < rx_len ? rx[i] : more[i - rx_len]; };
  const std::size_t have = rx_len + more.size();
  std::size_t len = 0;
  for (std::size_t n = 0; n < 4 && 1 + n < have; ++n) {
    const std::uint8_t b = at(1 + n);
    len |= std::size_t{b & 0x7fu} << (7 * n);
    if ((b & 0x80) == 0) return 1 + (n + 1) + len;
  }
  return 0;
}
}  // namespace

void Session::on_data(Context& ctx, std::span<const std::uint8_t> bytes) {
  ctx.stats.bytes_received.add(bytes.size());
  if (!receiving(state_) || bytes.empty()) return;
  if (rx_len_ > 0) {
    // Complete the stashed packet with only the bytes it lacks, then process it, so a large
    // packet's buffer never grows to take the next packet's first bytes as well (which would
    // double it: one copy of a 100 MiB message, not two).
    const std::size_t packet = first_packet_size(rx_.get(), rx_len_, bytes);
    const std::size_t take = packet > rx_len_ ? std::min(bytes.size(), packet - rx_len_) : bytes.size();
    stash(bytes.first(take));
    bytes = bytes.subspan(take);
    process_stash(ctx);
    if (!receiving(state_) || bytes.empty()) return;
    if (rx_len_ > 0) {  // not expected (the stash held one whole packet), but stay correct
      stash(bytes);
      process_stash(ctx);
      return;
    }
  }
  const std::size_t used = process(ctx, bytes);
  if (receiving(state_) && used < bytes.size()) stash(bytes.subspan(used));
}

void Session::process_stash(Context& ctx) {
  const std::size_t used = process(ctx, {rx_.get(), rx_len_});
  if (!receiving(state_)) {
    rx_len_ = 0;
  } else if (used > 0) {
    std::memmove(rx_.get(), rx_.get() + used, rx_len_ - used);
    rx_len_ -= static_cast<std::uint32_t>(used);
  }
  if (rx_len_ == 0 && rx_cap_ > kKeepRxBuffer) {
    rx_.reset();
    rx_cap_ = 0;
  }
}


void Session::stash(std::span<const std::uint8_t> bytes) {
  const std::size_t need = std::size_t{rx_len_} + bytes.size();
  if (need > rx_cap_) {
    // A large packet arriving in pieces gets a buffer of exactly its size once its header is
    // known, instead of doubling: one copy of a 100 MiB message, not up to two.
    const std::size_t packet = first_packet_size(rx_.get(), rx_len_, bytes);
    const std::size_t cap = packet >= need ? packet : std::max<std::size_t>({need, std::size_t{rx_cap_} * 2, 256});
    auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(cap);
    if (rx_len_) std::memcpy(bigger.get(), rx_.get(), rx_len_);
    rx_ = std::move(bigger);
    rx_cap_ = static_cast<std::uint32_t>(cap);
  }
  std::memcpy(rx_.get() + rx_len_, bytes.data(), bytes.size());
  rx_len_ = static_cast<std::uint32_t>(need);
}

std::size_t Session::process(Context& ctx, std::span<const std::uint8_t> in) {
  auto& sc = detail::scratch();
  mqtt::DecodeOptions opts;
  opts.version = plan_->version;
  opts.accept_any_connect_version = false;
  // The receive limit holds for both protocols: a larger packet is refused as soon as its
  // fixed header is read, so a broker announcing 256 MB costs us nothing.
  opts.max_packet_size = plan_->receive_limit;
  std::size_t off = 0;
  while (off < in.size() && receiving(state_)) {
    const auto r = mqtt::decode(in.subspan(off), opts, sc.in);
    if (r.status == mqtt::DecodeStatus::NeedMore) break;
    if (r.status == mqtt::DecodeStatus::Error) {
      // MQTT 5 §4.13: DISCONNECT 0x95 for a packet above our Maximum Packet Size, 0x81 for
      // bytes that break the format; 3.1.1 just closes.
      if (r.error == mqtt::Errc::PacketTooLarge) {
        ctx.stats.packets_too_large.add();
        protocol_drop(ctx, mqtt::ReasonCode::PacketTooLarge);
      } else if (r.error == mqtt::Errc::TopicAliasInvalid) {  // alias 0 (§3.3.2.3.4)
        ctx.stats.topic_alias_invalid.add();
        protocol_drop(ctx, mqtt::ReasonCode::TopicAliasInvalid);
      } else {
        ctx.stats.decode_errors.add();
        protocol_drop(ctx, mqtt::ReasonCode::MalformedPacket);
      }
      return in.size();
    }
    off += r.consumed;
    handle_packet(ctx, sc.in);
  }
  return off;
}

void Session::protocol_drop(Context& ctx, mqtt::ReasonCode rc) {
  // An MQTT 5 client says why before closing (5.0 §4.13); a 3.1.1 client just closes.
  if (plan_->version == mqtt::Version::V5 && state_ == State::Connected) {
    mqtt::Disconnect d;
    d.reason_code = static_cast<std::uint8_t>(rc);
    emit(ctx, mqtt::Packet(std::move(d)));
  }
  connection_lost(ctx, DropReason::ProtocolError, true);
}

void Session::handle_packet(Context& ctx, const mqtt::Packet& p) {
  if (state_ == State::AwaitConnack) {
    if (const auto* c = std::get_if<mqtt::Connack>(&p)) {
      on_connack(ctx, *c);
    } else {
      ctx.stats.protocol_violations.add();  // §3.2: the first packet from the server is CONNACK
      protocol_drop(ctx, mqtt::ReasonCode::ProtocolError);
    }
    return;
  }
  switch (p.index()) {
    case 2:
      // The behaviours' answer topics first (session_aws.cpp); a device without them pays
      // one pointer test.
      if (inbound_ && inbound_->aws && behaviours_take(ctx, std::get<mqtt::Publish>(p))) break;
      on_publish(ctx, std::get<mqtt::Publish>(p));
      break;
    case 3: on_ack(ctx, std::get<mqtt::PubAck>(p)); break;
    case 5: on_suback(ctx, std::get<mqtt::Suback>(p)); break;
    case 7: on_unsuback(ctx, std::get<mqtt::Unsuback>(p)); break;
    case 9:  // PINGRESP
      if (ping_sent_ != kNever) {
        ctx.stats.pings_answered.add();
        ctx.stats.ping_rtt.record(since_ns(ping_sent_, ctx.now));
        ping_sent_ = kNever;
      }
      break;
    case 10: {  // DISCONNECT from the server (MQTT 5)
      ctx.stats.server_disconnect_codes[std::get<mqtt::Disconnect>(p).reason_code].add();
      connection_lost(ctx, DropReason::ServerDisconnect, true);
      break;
    }
    default:  // CONNECT, a second CONNACK, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, AUTH
      ctx.stats.protocol_violations.add();
      protocol_drop(ctx, mqtt::ReasonCode::ProtocolError);
      break;
  }
}

void Session::on_connack(Context& ctx, const mqtt::Connack& c) {
  if (c.mqtt311_answer) {
    // Not an MQTT 5 reason code: counted apart so the run names it, not as CONNACK 0x01.
    ctx.stats.connack_mqtt311_on_v5.add();
    connection_lost(ctx, DropReason::ConnackRefused, true);
    return;
  }
  ctx.stats.connack_codes[c.reason_code].add();
  if (c.reason_code != 0) {
    connection_lost(ctx, DropReason::ConnackRefused, true);
    return;
  }
  const FleetPlan& p = *plan_;
  const bool clean_start = p.clean_start_for(flags_ & detail::kEverConnected);
  if (p.version == mqtt::Version::V5 && clean_start && c.session_present) {
    // [MQTT-3.2.2-2] forbids it; the SDK's MQTT 5 client refuses a session it did not ask
    // to rejoin (CANCELLED_FOR_CLEAN_SESSION) and closes without a DISCONNECT.
    ctx.stats.unexpected_session_present.add();
    connection_lost(ctx, DropReason::ProtocolError, true);
    return;
  }
  ctx.stats.connects_ok.add();
  ctx.stats.connect_duration.record(since_ns(since_, ctx.now));
  ctx.stats.time_to_connect.record(since_ns(opened_at_, ctx.now));
  if (c.session_present) ctx.stats.sessions_resumed.add();
  since_ = ctx.now;
  timer_ = kNever;

  send_window_ = p.max_in_flight;
  server_max_qos_ = 2;
  if (p.version == mqtt::Version::V5) {
    const mqtt::Properties& pr = c.properties;
    if (pr.receive_maximum) send_window_ = std::min(*pr.receive_maximum, p.max_in_flight);
    if (pr.maximum_packet_size) server_max_packet_ = *pr.maximum_packet_size;
    if (pr.topic_alias_maximum) server_alias_max_ = *pr.topic_alias_maximum;
    if (pr.server_keep_alive) keepalive_s_ = *pr.server_keep_alive;  // wins (5.0 §3.2.2.3.14)
    if (pr.maximum_qos) server_max_qos_ = std::min<std::uint8_t>(*pr.maximum_qos, 2);
    if (pr.retain_available && *pr.retain_available == 0) flags_ |= detail::kNoRetain;
    if (pr.assigned_client_identifier) {
      if (!more_) more_ = std::make_unique<More>();
      more_->assigned_id = *pr.assigned_client_identifier;
    }
  }
  set_state(ctx, State::Connected);
  flags_ |= detail::kEverConnected;
  // Both SDK clients time the first PINGREQ from the CONNACK.
  next_ping_ = keepalive_s_ > 0 ? after(ctx.now, std::chrono::seconds(keepalive_s_)) : kNever;

  if (!c.session_present) {
    // The broker holds nothing of ours: subscribe again (what SDK applications do when a
    // connection succeeds without a session), and forget inbound QoS 2 exchanges it will
    // never finish.
    flags_ &= static_cast<std::uint8_t>(~detail::kSubscribed);
    if (inbound_) inbound_->qos2_ids.clear();
  }
  // The claim connection of a device provisioning by claim carries nothing else.
  if (p.provisioning && provisioning_connected(ctx)) return;
  if (p.is_subscriber(index_) && !p.subscriptions.empty()) {
    if (flags_ & detail::kSubscribed) {
      ctx.stats.subscribes_skipped_resumed.add();  // the broker kept them with the session
      // The broker held the subscription all along (3.1.1 §3.1.2.4, 5.0 §3.1.2.4): the
      // interval goes on, and what was sent while we were away is owed (queued for us).
      if (inbound_) inbound_->resume_held();
    }
    else
      start_subscribe(ctx);
  }
  if (p.is_publisher(index_) && !(flags_ & (detail::kScheduleOn | detail::kPublishingStopped)))
    start_schedule(ctx);
  if (p.shadow) shadow_connected(ctx, c.session_present);
  if (p.jobs) jobs_connected(ctx, c.session_present);
  resend_in_flight(ctx, c.session_present);
  pump(ctx);
}

// ---- losing the connection ----------------------------------------------------------------

void Session::on_transport_down(Context& ctx, DropReason why, std::error_code) {
  if (!transport_open(state_)) return;
  connection_lost(ctx, why == DropReason::None ? DropReason::SocketError : why, false);
}

void Session::drop(Context& ctx) {
  if (transport_open(state_)) connection_lost(ctx, DropReason::Churn, true);
}

void Session::connection_lost(Context& ctx, DropReason why, bool close) {
  const auto r = static_cast<std::size_t>(why);
  if (state_ == State::Connected) {
    ctx.stats.drops.add();
    ctx.stats.drops_by_reason[r].add();
    // Only a connection that lasted reset_after past its CONNACK resets the delay; shorter
    // ones keep it growing (aws-c-mqtt client.c s_mqtt_client_shutdown: 10 s for 3.1.1;
    // mqtt5_client.c next_reconnect_delay_reset_time_ns for MQTT 5).
    const auto up_ms = since_ns(since_, ctx.now) / 1'000'000;
    if (up_ms >= plan_->backoff.reset_after_ms) backoff_.reset();
  } else {
    ctx.stats.connect_failures.add();
    ctx.stats.connect_failed_by_reason[r].add();
  }
  ping_sent_ = kNever;
  subscribe_id_ = 0;
  unsubscribe_id_ = 0;
  // The subscription interval ends with the connection (a resumed session begins another).
  if (inbound_) inbound_->end_held(plan_->clock);
  if (auto* sh = shadow()) sh->on_disconnected();
  if (auto* j = jobs()) j->on_disconnected();
  if (auto* pv = provisioning()) pv->on_disconnected(ctx);
  drop_request_acks(ctx);
  // Buffered bytes belong to the dead connection. The buffer itself is released by on_data,
  // which may still be iterating over it.
  rx_len_ = 0;
  next_ping_ = kNever;
  if (close) ctx.action = TransportAction::Close;
  if (!(flags_ & detail::kEverConnected) && plan_->stop_after_failed_first_connect) {
    give_up(ctx);
    return;
  }
  fail_on_disconnect(ctx);
  enter_backoff(ctx);
}

// reconnect.first_connect_failure: stop. The 3.1.1 SDK's connect() reports the failure and
// its library never retries a connection that never succeeded (client.c
// s_mqtt_client_shutdown, state CONNECTING): the device stays down for the rest of the run.
void Session::give_up(Context& ctx) {
  ctx.stats.first_connect_stops.add();
  stop_publishing();
  fail_all(ctx, PublishFailReason::Shutdown);
  timer_ = kNever;
  set_state(ctx, State::Stopped);
}

void Session::enter_backoff(Context& ctx) {
  const std::uint64_t delay_ms = backoff_.next(plan_->backoff, ctx.rng_state);
  ctx.stats.reconnect_delay.record(delay_ms * 1'000'000);
  timer_ = after(ctx.now, std::chrono::milliseconds(delay_ms));
  set_state(ctx, State::BackingOff);
}

void Session::stop(Context& ctx) {
  if (state_ == State::Stopped) return;
  stop_publishing();
  if (state_ == State::Connected) {
    mqtt::Disconnect d;  // Normal disconnection: the broker discards the Will (§3.14.4)
    if (emit(ctx, mqtt::Packet(std::move(d)))) ctx.stats.clean_disconnects.add();
  }
  if (transport_open(state_)) ctx.action = TransportAction::Close;
  fail_all(ctx, PublishFailReason::Shutdown);
  drop_request_acks(ctx);
  timer_ = kNever;
  ping_sent_ = kNever;
  next_ping_ = kNever;
  rx_len_ = 0;
  set_state(ctx, State::Stopped);
}

}  // namespace fleetload::device
