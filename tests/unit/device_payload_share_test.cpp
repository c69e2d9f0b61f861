// Large payloads without copies: one shared body per run written behind each message's own
// header (Context::splices), and one receive buffer of exactly the packet's size.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "device/payload.hpp"
#include "device_harness.hpp"

namespace fleetload::device::test {
namespace {

constexpr std::uint32_t kBig = 1 << 20;  // 1 MiB payload

// Brings a session to Connected with `splices` attached to its contexts; returns the bytes
// and splices of its first PUBLISH (CONNECT and CONNACK handled by hand).
struct Wire {
  std::vector<std::uint8_t> out;
  std::vector<Splice> splices;
};

Wire first_publish(const FleetPlan& plan, std::uint32_t index, ThreadStats& stats) {
  Session s(plan, index);
  std::vector<std::uint8_t> out;
  std::vector<Splice> splices;
  std::uint64_t rng = 7;
  TimePoint now = TimePoint{} + std::chrono::seconds(1000);
  auto ctx = [&] {
    out.clear();
    splices.clear();
    Context c{now, 1'700'000'000'000'000'000ull, out, TransportAction::None, stats, rng};
    c.splices = &splices;
    return c;
  };
  { auto c = ctx(); s.start(c); }
  { auto c = ctx(); s.on_transport_up(c); }
  const auto connack = mqtt::encode_to_vector(mqtt::Connack{}, plan.version);
  { auto c = ctx(); s.on_data(c, connack); }
  now = s.deadline();  // the first publish slot
  auto c = ctx();
  s.on_timer(c);
  return Wire{out, splices};
}

// The logical stream: out with the splices in place.
std::vector<std::uint8_t> joined(const Wire& w) {
  std::vector<std::uint8_t> all;
  std::size_t pos = 0;
  for (const auto& sp : w.splices) {
    all.insert(all.end(), w.out.begin() + static_cast<std::ptrdiff_t>(pos), w.out.begin() + static_cast<std::ptrdiff_t>(sp.at));
    all.insert(all.end(), sp.bytes.begin(), sp.bytes.end());
    pos = sp.at;
  }
  all.insert(all.end(), w.out.begin() + static_cast<std::ptrdiff_t>(pos), w.out.end());
  return all;
}

TEST(PayloadShare, LargePayloadIsHeaderPlusOneSharedBody) {
  for (const auto v : {mqtt::Version::V311, mqtt::Version::V5}) {
    auto sc = make_scenario(v, 2);
    add_publish(sc, 10, 1);
    sc.publish.front().payload.size = kBig;
    const FleetPlan plan(sc);
    ASSERT_EQ(plan.streams.at(0).payload_body.size(), kBig - kPayloadHeaderSize);
    auto stats = std::make_unique<ThreadStats>();
    const Wire a = first_publish(plan, 0, *stats);
    const Wire b = first_publish(plan, 1, *stats);
    std::uint32_t index = 0;
    for (const Wire* w : {&a, &b}) {
      // Per message only the MQTT header, topic, packet id and accounting header are written.
      EXPECT_LT(w->out.size(), 128u);
      ASSERT_EQ(w->splices.size(), 1u);
      EXPECT_EQ(w->splices[0].at, w->out.size());
      // Both devices point at the plan's one body: nothing copied.
      EXPECT_EQ(w->splices[0].bytes.data(), plan.streams.at(0).payload_body.data());
      EXPECT_EQ(w->splices[0].bytes.size(), plan.streams.at(0).payload_body.size());
      // On the wire it is exactly the PUBLISH the copying path produces.
      const auto bytes = joined(*w);
      mqtt::Packet p;
      mqtt::DecodeOptions o;
      o.version = v;
      const auto r = mqtt::decode(bytes, o, p);
      ASSERT_EQ(r.status, mqtt::DecodeStatus::Ok);
      EXPECT_EQ(r.consumed, bytes.size());
      const auto& pub = std::get<mqtt::Publish>(p);
      ASSERT_EQ(pub.payload.size(), kBig);
      const auto h = read_payload_header(pub.payload);
      ASSERT_TRUE(h.has_value());
      EXPECT_EQ(h->seq, 1u);
      EXPECT_EQ(h->publisher, index++);
      std::vector<std::uint8_t> expect;
      build_payload(expect, kBig, *h);
      EXPECT_EQ(0, std::memcmp(expect.data(), pub.payload.data(), kBig));
    }
    // bytes_sent counts the whole packets, body included.
    EXPECT_GE(stats->bytes_sent.load(), 2ull * kBig);
  }
}

TEST(PayloadShare, SmallPayloadsAndTemplatesAreStillCopied) {
  auto sc = make_scenario(mqtt::Version::V311, 1);
  add_publish(sc, 10, 0);
  sc.publish.front().payload.size = kSharedBodyMin - 1;
  EXPECT_TRUE(FleetPlan(sc).streams.at(0).payload_body.empty());
  sc.publish.front().payload.size = kBig;
  sc.publish.front().payload.template_text = "{\"seq\":{seq}}";
  sc.publish.front().payload.accounting_header = false;
  EXPECT_TRUE(FleetPlan(sc).streams.at(0).payload_body.empty());
}

TEST(PayloadShare, WithoutSplicesTheBodyIsCopiedIntoOut) {
  // TLS and WebSocket transports give the session no splice list: same bytes, contiguous.
  auto sc = make_scenario(mqtt::Version::V311, 1);
  add_publish(sc, 10, 0);
  sc.publish.front().payload.size = kBig;
  Harness h(sc);
  h.start();
  h.advance(std::chrono::milliseconds(150));
  const auto pubs = h.of_type(mqtt::PacketType::Publish);
  ASSERT_FALSE(pubs.empty());
  EXPECT_EQ(std::get<mqtt::Publish>(h.packet(pubs[0])).payload.size(), kBig);
}

TEST(PayloadShare, RemainingLengthGrowsItsVarint) {
  // PUBLISH QoS 0, topic "t", 2-byte payload: remaining length 5 (one byte).
  std::vector<std::uint8_t> pkt{0xAA, 0x30, 0x05, 0x00, 0x01, 't', 'x', 'y'};
  ASSERT_TRUE(extend_remaining_length(pkt, 1, 2'000'000));  // 2,000,005: three bytes
  EXPECT_EQ(pkt.size(), 10u);
  EXPECT_EQ(pkt[0], 0xAA);  // bytes before the packet untouched
  std::size_t v = 0;
  for (int i = 0; i < 3; ++i) v |= std::size_t{pkt[2 + i] & 0x7fu} << (7 * i);
  EXPECT_EQ(v, 2'000'005u);
  EXPECT_EQ(pkt[4] & 0x80, 0);
  EXPECT_EQ(pkt[5], 0x00);
  EXPECT_EQ(pkt[7], 't');
  std::vector<std::uint8_t> too_big{0x30, 0x05, 0, 1, 't', 'x', 'y'};
  EXPECT_FALSE(extend_remaining_length(too_big, 0, 268'435'451));
}

TEST(PayloadShare, LargeInboundPublishIsBufferedOnceAtItsSize) {
  // A subscriber receiving a 1 MiB PUBLISH in 60,000-byte reads holds one buffer of the packet's
  // size, not a doubling one (which ends at 2 MiB for a packet just over 1 MiB).
  auto sc = make_scenario(mqtt::Version::V311, 1);
  add_subscribe(sc, "t/#", 0);
  sc.session.maximum_packet_size = 4u << 20;  // above the 1 MiB default receive limit
  Harness h(sc);
  h.start();
  ASSERT_EQ(h.session.state(), State::Connected);
  mqtt::Publish p;
  p.topic = "t/x";
  std::vector<std::uint8_t> body;
  p.payload = build_payload(body, kBig, PayloadHeader{0, 1, h.wall_ns});
  const auto bytes = mqtt::encode_to_vector(p, h.version());
  std::size_t peak = 0;
  for (std::size_t off = 0; off < bytes.size(); off += 60000) {
    const std::size_t n = std::min<std::size_t>(60000, bytes.size() - off);
    const std::vector<std::uint8_t> chunk(bytes.begin() + static_cast<std::ptrdiff_t>(off),
                                          bytes.begin() + static_cast<std::ptrdiff_t>(off + n));
    h.feed_bytes(chunk);
    peak = std::max(peak, h.session.heap_bytes());
  }
  EXPECT_EQ(h.stats->messages_received.load(), 1u);
  EXPECT_LE(peak, bytes.size() + 4096);
  EXPECT_LT(h.session.heap_bytes(), 8192u);  // released once the packet is through
}

TEST(PayloadShare, BackToBackLargePublishesAreBufferedOneAtATime) {
  // Two 1 MiB PUBLISHes in one stream, read in 60,000-byte pieces: one piece holds the end of
  // the first and the start of the second. The buffer still holds one packet at a time
  // (growing it to take both would double it).
  auto sc = make_scenario(mqtt::Version::V311, 1);
  add_subscribe(sc, "t/#", 0);
  sc.session.maximum_packet_size = 4u << 20;  // above the 1 MiB default receive limit
  Harness h(sc);
  h.start();
  ASSERT_EQ(h.session.state(), State::Connected);
  std::vector<std::uint8_t> stream, body;
  for (std::uint64_t seq = 1; seq <= 2; ++seq) {
    mqtt::Publish p;
    p.topic = "t/x";
    p.payload = build_payload(body, kBig, PayloadHeader{0, seq, h.wall_ns});
    const auto bytes = mqtt::encode_to_vector(p, h.version());
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  const std::size_t one = stream.size() / 2;
  ASSERT_NE(one % 60000, 0u);  // a piece straddles the two packets
  std::size_t peak = 0;
  for (std::size_t off = 0; off < stream.size(); off += 60000) {
    const std::size_t n = std::min<std::size_t>(60000, stream.size() - off);
    const std::vector<std::uint8_t> chunk(stream.begin() + static_cast<std::ptrdiff_t>(off),
                                          stream.begin() + static_cast<std::ptrdiff_t>(off + n));
    h.feed_bytes(chunk);
    peak = std::max(peak, h.session.heap_bytes());
  }
  EXPECT_EQ(h.stats->messages_received.load(), 2u);
  EXPECT_LE(peak, one + 4096);
  EXPECT_LT(h.session.heap_bytes(), 8192u);
}

}  // namespace
}  // namespace fleetload::device::test
