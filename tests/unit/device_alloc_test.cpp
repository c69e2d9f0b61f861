// The session's steady state allocates nothing per message: QoS 0/1/2 publishing with acks,
// receiving tracked messages, keepalive pings. Global operator new is replaced by a counting
// version in this test binary only.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "device/payload.hpp"
#include "device_harness.hpp"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
void* counted(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace fleetload::device {
namespace {

using namespace std::chrono_literals;

// A session driven directly (no harness bookkeeping inside the measured loop).
struct Rig {
  explicit Rig(const scenario::Scenario& s, std::uint32_t index = 0)
      : plan(s), stats(std::make_unique<ThreadStats>()), session(plan, index) {
    out.reserve(1 << 16);
    run([&](Context& c) { session.start(c); });
    run([&](Context& c) { session.on_transport_up(c); });
    const auto connack = mqtt::encode_to_vector(mqtt::Packet(mqtt::Connack{}), plan.version);
    run([&](Context& c) { session.on_data(c, connack); });
  }
  template <class F>
  void run(F&& f) {
    out.clear();
    Context c{now, wall, out, TransportAction::None, *stats, rng};
    f(c);
    rng = c.rng_state;
  }
  // Packet identifier of the PUBLISH at the start of `out` (QoS > 0).
  std::uint16_t publish_id() const {
    std::size_t i = 1;
    while (out[i] & 0x80) ++i;
    ++i;
    const std::size_t topic_len = (std::size_t{out[i]} << 8) | out[i + 1];
    i += 2 + topic_len;
    return static_cast<std::uint16_t>((out[i] << 8) | out[i + 1]);
  }
  void answer(std::uint8_t type_byte, std::uint16_t id) {
    const std::uint8_t bytes[4] = {type_byte, 2, static_cast<std::uint8_t>(id >> 8),
                                   static_cast<std::uint8_t>(id)};
    run([&](Context& c) { session.on_data(c, std::span<const std::uint8_t>(bytes, 4)); });
  }
  void tick() {
    const TimePoint dl = session.deadline();
    wall += static_cast<std::uint64_t>((dl - now).count());
    now = dl;
    run([&](Context& c) { session.on_timer(c); });
  }

  FleetPlan plan;
  std::unique_ptr<ThreadStats> stats;
  Session session;
  std::vector<std::uint8_t> out;
  TimePoint now = TimePoint{} + 1000s;
  std::uint64_t wall = 1'700'000'000'000'000'000ull;
  std::uint64_t rng = 5;
};

std::uint64_t allocations_during(const std::function<void()>& f) {
  const auto before = g_allocs.load();
  f();
  return g_allocs.load() - before;
}

TEST(DeviceAllocations, Qos1PublishAndAckAllocateNothing) {
  for (auto v : {mqtt::Version::V311, mqtt::Version::V5}) {
    auto s = test::make_scenario(v);
    // No PINGREQ within the 101 s simulated here: the MQTT 5 client pings on its cadence
    // whatever it publishes, and every tick must be a publish (pings: the last test).
    s.session.keepalive = std::chrono::seconds(65535);
    test::add_publish(s, 100.0, 1, "telemetry/{client_id}/x");
    if (v == mqtt::Version::V5) s.publish.front().user_properties = {{"k", "v"}};
    Rig r(s);
    auto cycle = [&] {
      r.tick();
      ASSERT_FALSE(r.out.empty());
      r.answer(0x40, r.publish_id());  // PUBACK
    };
    for (int i = 0; i < 100; ++i) cycle();  // warm up scratch buffers
    EXPECT_EQ(allocations_during([&] { for (int i = 0; i < 10000; ++i) cycle(); }), 0u);
    EXPECT_EQ(snapshot(*r.stats).publishes_acked[1], 10100u);
  }
}

TEST(DeviceAllocations, Qos0AndQos2PublishingAllocateNothing) {
  auto s0 = test::make_scenario(mqtt::Version::V5);
  s0.session.keepalive = std::chrono::seconds(65535);  // every tick a publish, as above
  test::add_publish(s0, 100.0, 0);
  Rig r0(s0);
  for (int i = 0; i < 100; ++i) r0.tick();
  EXPECT_EQ(allocations_during([&] { for (int i = 0; i < 10000; ++i) r0.tick(); }), 0u);

  auto s2 = test::make_scenario(mqtt::Version::V5);
  s2.session.keepalive = std::chrono::seconds(65535);
  test::add_publish(s2, 100.0, 2);
  Rig r2(s2);
  auto cycle = [&] {
    r2.tick();
    const auto id = r2.publish_id();
    r2.answer(0x50, id);  // PUBREC -> the session writes PUBREL
    r2.answer(0x70, id);  // PUBCOMP
  };
  for (int i = 0; i < 100; ++i) cycle();
  EXPECT_EQ(allocations_during([&] { for (int i = 0; i < 10000; ++i) cycle(); }), 0u);
  EXPECT_EQ(snapshot(*r2.stats).publishes_acked[2], 10100u);
}

TEST(DeviceAllocations, ReceivingTrackedMessagesAllocatesNothing) {
  auto s = test::make_scenario(mqtt::Version::V311, 4);
  test::add_subscribe(s, "t/#", 1);
  Rig r(s, 3);
  std::vector<std::uint8_t> payload;
  std::vector<std::uint8_t> bytes;
  auto message = [&](std::uint32_t pub, std::uint64_t seq) {
    // PUBLISH QoS 1, topic "t/x", packet id 1, 64-byte payload with our header.
    build_payload(payload, 64, PayloadHeader{pub, seq, r.wall - 1000});
    bytes.assign({0x32, static_cast<std::uint8_t>(2 + 3 + 2 + 64), 0, 3, 't', '/', 'x', 0, 1});
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    r.run([&](Context& c) { r.session.on_data(c, bytes); });
  };
  bytes.reserve(256);
  for (std::uint64_t seq = 1; seq <= 100; ++seq)
    for (std::uint32_t pub = 0; pub < 3; ++pub) message(pub, seq);
  EXPECT_EQ(allocations_during([&] {
              for (std::uint64_t seq = 101; seq <= 3000; ++seq)
                for (std::uint32_t pub = 0; pub < 3; ++pub) message(pub, seq);
            }),
            0u);
  const auto snap = snapshot(*r.stats);
  EXPECT_EQ(snap.messages_received, 9000u);
  EXPECT_EQ(snap.messages_lost + snap.messages_duplicated + snap.messages_out_of_order, 0u);
}

TEST(DeviceAllocations, KeepalivePingsAllocateNothing) {
  auto s = test::make_scenario(mqtt::Version::V311);
  s.session.keepalive = std::chrono::seconds(30);
  Rig r(s);
  auto cycle = [&] {
    r.tick();  // PINGREQ
    const std::uint8_t pingresp[2] = {0xD0, 0};
    r.run([&](Context& c) { r.session.on_data(c, std::span<const std::uint8_t>(pingresp, 2)); });
  };
  for (int i = 0; i < 10; ++i) cycle();
  EXPECT_EQ(allocations_during([&] { for (int i = 0; i < 1000; ++i) cycle(); }), 0u);
  EXPECT_EQ(snapshot(*r.stats).pings_answered, 1010u);
}

}  // namespace
}  // namespace fleetload::device
