// Steady-state allocation checks: encoding PUBLISH/acks/PINGREQ, decoding them into a
// reused Packet, and a StreamDecoder fed forever all perform zero heap allocations.
// Counts every global operator new in this test binary.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "mqtt_test_util.hpp"

// GCC inlines these replacements into callers and then sees malloc'd memory freed by
// "operator delete"; that pairing is exactly what a replacement is allowed to do.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::size_t g_allocations = 0;
}

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n != 0 ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace fleetload::mqtt::test {
namespace {

// Allocations made while running f.
template <class F>
std::size_t allocations_in(F&& f) {
  const std::size_t before = g_allocations;
  f();
  return g_allocations - before;
}

Publish rich_publish() {
  static const std::uint8_t corr[] = {1, 2, 3};
  Publish p;
  p.topic = "fleet/device-000123/telemetry";
  p.payload = as_bytes("{\"seq\":1,\"temp\":21.5}");
  p.qos = QoS::AtLeastOnce;
  p.packet_id = 42;
  p.properties.message_expiry_interval = 60;
  p.properties.correlation_data = Bytes(corr);
  p.properties.subscription_identifiers = {1, 2};
  p.properties.user_properties = {{"a", "b"}, {"c", "d"}};
  return p;
}

TEST(mqtt_allocations, CounterSeesAllocations) {
  EXPECT_GE(allocations_in([] { std::vector<int> v(10); (void)v; }), 1u);
}

TEST(mqtt_allocations, EncodePublishAckAndPingreqAllocateNothing) {
  Publish small;
  small.topic = "t/1";
  small.payload = as_bytes("0123456789012345678901234567890123456789012345678901234567890123");
  const Publish rich = rich_publish();
  PubAck ack{PacketType::Puback, 7, 0, {}};
  PubAck ack_reason{PacketType::Pubrec, 7, 0x10, {}};
  ack_reason.properties.reason_string = "none";
  std::uint8_t buf[512];
  const std::size_t n = allocations_in([&] {
    for (int i = 0; i < 1000; ++i) {
      for (Version v : {Version::V311, Version::V5}) {
        ASSERT_FALSE(encode(small, v, buf).error);
        ASSERT_FALSE(encode(ack, v, buf).error);
        ASSERT_FALSE(encode_pingreq(buf).error);
      }
      ASSERT_FALSE(encode(rich, Version::V5, buf).error);
      ASSERT_FALSE(encode(ack_reason, Version::V5, buf).error);
      ASSERT_FALSE(encoded_size(Packet(Pingreq{}), Version::V5).error);
    }
  });
  EXPECT_EQ(n, 0u);
}

TEST(mqtt_allocations, DecodeIntoTheSameAlternativeAllocatesNothing) {
  struct Case {
    const char* name;
    Version v;
    ByteVec wire;
  };
  PubAck ack_props{PacketType::Puback, 9, 0x80, {}};
  ack_props.properties.user_properties = {{"k", "v"}};
  Publish small;
  small.topic = "t/1";
  small.payload = as_bytes("hello");
  const Case cases[] = {
      {"publish_v5_rich", Version::V5, encode_to_vector(rich_publish(), Version::V5)},
      {"publish_v311", Version::V311, encode_to_vector(small, Version::V311)},
      {"publish_v5", Version::V5, encode_to_vector(small, Version::V5)},
      {"puback_v311", Version::V311, bytes({0x40, 0x02, 0x00, 0x01})},
      {"puback_v5_properties", Version::V5, encode_to_vector(ack_props, Version::V5)},
      {"pingreq", Version::V5, bytes({0xC0, 0x00})},
      {"pingresp", Version::V311, bytes({0xD0, 0x00})},
  };
  for (const Case& c : cases) {
    HeapCopy copy(c.wire);
    Packet out;
    const DecodeOptions o = opts(c.v);
    ASSERT_EQ(decode(copy.span(), o, out).status, DecodeStatus::Ok) << c.name;  // warm-up
    const std::size_t n = allocations_in([&] {
      for (int i = 0; i < 1000; ++i) ASSERT_EQ(decode(copy.span(), o, out).status, DecodeStatus::Ok);
    });
    EXPECT_EQ(n, 0u) << c.name;
  }
}

TEST(mqtt_allocations, StreamDecoderSteadyStateAllocatesNothing) {
  // Reads of one packet's length, shifted by one byte: the buffer is never empty after a
  // read (a partial packet is always pending), so only compaction keeps it from growing.
  // Then reads of 17 bytes across packet boundaries, for good measure.
  Publish p = rich_publish();
  const ByteVec one = encode_to_vector(p, Version::V5);
  StreamDecoder d(opts(Version::V5));
  Packet out;
  std::size_t pos = 0, decoded = 0;
  auto feed = [&](int reads, std::size_t read_size) {
    for (int i = 0; i < reads; ++i) {
      std::span<std::uint8_t> room = d.prepare(read_size);
      for (std::size_t k = 0; k < read_size; ++k) {
        room[k] = one[pos];
        pos = (pos + 1) % one.size();
      }
      d.commit(read_size);
      DecodeResult r;
      while ((r = d.next(out)).status == DecodeStatus::Ok) {
        ++decoded;
        ASSERT_EQ(std::get<Publish>(out).packet_id, 42);
      }
      ASSERT_EQ(r.status, DecodeStatus::NeedMore);
      ASSERT_GT(d.buffered(), 0u);
    }
  };
  feed(1, 1);
  feed(100, one.size());
  const std::size_t warm = decoded;
  EXPECT_EQ(allocations_in([&] { feed(20'000, one.size()); }), 0u);
  EXPECT_EQ(decoded - warm, 20'000u);
  std::size_t n = allocations_in([&] {
    for (int i = 0; i < 20'000; ++i) {
      std::span<std::uint8_t> room = d.prepare(17);
      for (std::size_t k = 0; k < 17; ++k) {
        room[k] = one[pos];
        pos = (pos + 1) % one.size();
      }
      d.commit(17);
      while (d.next(out).status == DecodeStatus::Ok) ++decoded;
    }
  });
  EXPECT_EQ(n, 0u);
}

}  // namespace
}  // namespace fleetload::mqtt::test
