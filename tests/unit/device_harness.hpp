// Test harness for the sans-I/O device session: a simulated clock, and a tiny broker side that
// decodes what the session wrote to ctx.out with our codec and answers with encoded packets.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device/fleet_plan.hpp"
#include "device/session.hpp"
#include "device/stats.hpp"
#include "mqtt/codec.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::device::test {

using namespace std::chrono_literals;

// A small valid scenario: `devices` devices, everyone publishes and subscribes unless changed.
inline scenario::Scenario make_scenario(mqtt::Version v, std::uint64_t devices = 1) {
  scenario::Scenario s;
  s.name = "test";
  s.target.endpoints.push_back({"127.0.0.1", 1883});
  s.target.protocol = v;
  s.fleet.devices = devices;
  s.fleet.client_id = "dev-{index}";
  s.auth.metrics.enabled = false;  // as parsed for plain_tcp: no SDK metrics suffix
  const bool v5 = v == mqtt::Version::V5;
  s.session.keepalive = std::chrono::seconds(60);
  s.session.ping_timeout = v5 ? 30000ms : 3000ms;
  s.session.connack_timeout = 20000ms;
  s.session.clean_session = v5;
  s.session.ack_timeout = v5 ? 60000ms : 0ms;
  s.reconnect.min_delay = v5 ? 1000ms : 5000ms;
  s.reconnect.max_delay = v5 ? 120000ms : 60000ms;
  s.reconnect.jitter = v5 ? scenario::Jitter::Full : scenario::Jitter::None;
  s.reconnect.reset_after = v5 ? 30000ms : 10000ms;
  return s;
}

inline void add_publish(scenario::Scenario& s, double rate, std::uint8_t qos,
                        std::string topic = "t/{index}") {
  scenario::Publish p;
  p.topic = std::move(topic);
  p.qos = qos;
  p.rate = scenario::Rate{rate};
  p.per_device_rate = scenario::Rate{rate};
  p.publishers.kind = scenario::Selection::Kind::All;
  p.publishers.selected = s.fleet.devices;
  p.name = "default";
  s.publish = {std::move(p)};
}

inline void add_subscribe(scenario::Scenario& s, std::string filter, std::uint8_t qos) {
  scenario::Subscription f;
  f.filter = std::move(filter);
  f.qos = qos;
  s.subscribe.filters.push_back(std::move(f));
  s.subscribe.subscribers.kind = scenario::Selection::Kind::All;
  s.subscribe.subscribers.selected = s.fleet.devices;
}

// One session, its thread's stats and a broker that answers by hand or automatically.
class Harness {
 public:
  explicit Harness(const scenario::Scenario& s, std::uint32_t index = 0, std::uint64_t seed = 42)
      : plan(s), stats(std::make_unique<ThreadStats>()), session(plan, index), rng(seed) {}

  FleetPlan plan;
  std::unique_ptr<ThreadStats> stats;
  Session session;
  TimePoint now = TimePoint{} + 1000s;  // any origin; far from 0 so "now - x" stays positive
  std::uint64_t wall_ns = 1'700'000'000'000'000'000ull;
  std::uint64_t rng;
  std::vector<std::uint8_t> out;
  bool open = false;    // the transport is (being) opened
  int opens = 0;
  int closes = 0;
  std::vector<TimePoint> open_times;
  // Every packet the session wrote, as raw bytes (views of decoded packets point here).
  std::vector<std::vector<std::uint8_t>> sent;
  std::vector<TimePoint> sent_at;  // when each packet in `sent` was written

  // Broker behaviour for auto mode.
  bool auto_transport = true;  // Open -> on_transport_up at once
  bool auto_connack = true;    // CONNECT -> `connack`
  bool auto_ack = true;        // PUBLISH QoS1 -> PUBACK, QoS2 -> PUBREC, PUBREL -> PUBCOMP
  bool auto_suback = true;     // SUBSCRIBE -> SUBACK granting the requested QoS
  bool auto_pingresp = true;
  mqtt::Connack connack;
  double publish_scale = 1.0;  // the worker's Context::publish_scale (capacity search)

  mqtt::Version version() const { return plan.version; }

  // Runs `f(ctx)` with a Context at the current time, then carries out the requested action
  // and lets the broker answer what was written.
  void call(const std::function<void(Context&)>& f) {
    Context ctx{now, wall_ns, out, TransportAction::None, *stats, rng};
    ctx.publish_scale = publish_scale;
    f(ctx);
    rng = ctx.rng_state;
    const TransportAction act = ctx.action;
    collect();
    if (act == TransportAction::Close) {
      open = false;
      ++closes;
    }
    broker_answer();
    if (act == TransportAction::Open) {
      open = true;
      ++opens;
      open_times.push_back(now);
      if (auto_transport) call([&](Context& c) { session.on_transport_up(c); });
    }
  }

  void start() { call([&](Context& c) { session.start(c); }); }
  void feed(const mqtt::Packet& p) {
    auto bytes = mqtt::encode_to_vector(p, version());
    call([&](Context& c) { session.on_data(c, bytes); });
  }
  void feed_bytes(const std::vector<std::uint8_t>& bytes) {
    call([&](Context& c) { session.on_data(c, bytes); });
  }

  // Advances the simulated clock to now + d, firing the session's timers on the way (each at
  // its deadline, as a punctual engine would).
  void advance(std::chrono::nanoseconds d) {
    const TimePoint end = now + std::chrono::duration_cast<Clock::duration>(d);
    for (int guard = 0; guard < 10'000'000; ++guard) {
      const TimePoint dl = session.deadline();
      if (dl > end) break;
      if (dl > now) {
        wall_ns += static_cast<std::uint64_t>((dl - now).count());
        now = dl;
      }
      call([&](Context& c) { session.on_timer(c); });
    }
    wall_ns += static_cast<std::uint64_t>((end - now).count());
    now = end;
  }

  // Packets the session wrote, decoded (views into `sent`).
  mqtt::Packet packet(std::size_t i) const {
    mqtt::Packet p;
    mqtt::DecodeOptions o;
    o.version = plan.version;
    auto r = mqtt::decode(sent.at(i), o, p);
    EXPECT_EQ(r.status, mqtt::DecodeStatus::Ok);
    return p;
  }
  std::vector<std::size_t> of_type(mqtt::PacketType t) const {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < sent.size(); ++i)
      if (mqtt::packet_type(packet(i)) == t) idx.push_back(i);
    return idx;
  }
  std::size_t count(mqtt::PacketType t) const { return of_type(t).size(); }

  // Like advance(), but as an engine with a coarse timer: it looks at the session only every
  // `tick`, so timers fire up to one tick late.
  void advance_ticks(std::chrono::nanoseconds d, std::chrono::nanoseconds tick) {
    const TimePoint end = now + std::chrono::duration_cast<Clock::duration>(d);
    while (now < end) {
      const auto step = std::min<Clock::duration>(std::chrono::duration_cast<Clock::duration>(tick), end - now);
      now += step;
      wall_ns += static_cast<std::uint64_t>(step.count());
      if (session.deadline() <= now) call([&](Context& c) { session.on_timer(c); });
    }
  }

  // Answers the QoS 1 PUBLISHes written since the last call for which `pred(publish)` holds
  // (PUBACK), leaving the others unanswered. Returns how many were acknowledged.
  template <class Pred>
  std::size_t ack_new_publishes(Pred pred) {
    std::size_t n = 0;
    const std::size_t end = sent.size();
    for (; ack_scan_ < end; ++ack_scan_) {
      const mqtt::Packet p = packet(ack_scan_);
      const auto* pub = std::get_if<mqtt::Publish>(&p);
      if (!pub || pub->qos != mqtt::QoS::AtLeastOnce || !pred(*pub)) continue;
      mqtt::PubAck a;
      a.packet_id = pub->packet_id;
      feed(a);
      ++n;
    }
    return n;
  }
  std::optional<mqtt::Packet> last_of(mqtt::PacketType t) const {
    auto idx = of_type(t);
    if (idx.empty()) return std::nullopt;
    return packet(idx.back());
  }
  std::size_t count_pubacks_of(mqtt::PacketType t) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      auto p = packet(i);
      if (auto* a = std::get_if<mqtt::PubAck>(&p); a && a->type == t) ++n;
    }
    return n;
  }

 private:
  std::size_t answered_ = 0;
  std::size_t ack_scan_ = 0;

  void collect() {
    std::size_t off = 0;
    mqtt::DecodeOptions o;
    o.version = plan.version;
    while (off < out.size()) {
      mqtt::Packet p;
      auto r = mqtt::decode(std::span<const std::uint8_t>(out).subspan(off), o, p);
      ASSERT_EQ(r.status, mqtt::DecodeStatus::Ok) << "session wrote bytes our decoder rejects";
      sent.emplace_back(out.begin() + static_cast<std::ptrdiff_t>(off),
                        out.begin() + static_cast<std::ptrdiff_t>(off + r.consumed));
      sent_at.push_back(now);
      off += r.consumed;
    }
    out.clear();
  }

  void broker_answer() {
    while (answered_ < sent.size()) {
      const std::size_t i = answered_++;
      if (!open) continue;
      const mqtt::Packet p = packet(i);
      std::optional<mqtt::Packet> reply;
      if (std::holds_alternative<mqtt::Connect>(p) && auto_connack) {
        reply = connack;
      } else if (auto* pub = std::get_if<mqtt::Publish>(&p); pub && auto_ack && pub->qos != mqtt::QoS::AtMostOnce) {
        mqtt::PubAck a;
        a.type = pub->qos == mqtt::QoS::AtLeastOnce ? mqtt::PacketType::Puback : mqtt::PacketType::Pubrec;
        a.packet_id = pub->packet_id;
        reply = a;
      } else if (auto* ack = std::get_if<mqtt::PubAck>(&p); ack && auto_ack && ack->type == mqtt::PacketType::Pubrel) {
        mqtt::PubAck a;
        a.type = mqtt::PacketType::Pubcomp;
        a.packet_id = ack->packet_id;
        reply = a;
      } else if (auto* sub = std::get_if<mqtt::Subscribe>(&p); sub && auto_suback) {
        mqtt::Suback sa;
        sa.packet_id = sub->packet_id;
        for (const auto& f : sub->subscriptions) sa.reason_codes.push_back(static_cast<std::uint8_t>(f.qos));
        reply = sa;
      } else if (std::holds_alternative<mqtt::Pingreq>(p) && auto_pingresp) {
        reply = mqtt::Pingresp{};
      }
      if (reply) feed(*reply);
    }
  }
};

}  // namespace fleetload::device::test
