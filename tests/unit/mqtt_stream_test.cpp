// StreamDecoder: prepare/commit and append, packets split and merged across reads,
// growth for large packets, compaction, sticky errors, reset and version switching.
#include <gtest/gtest.h>

#include "mqtt_test_util.hpp"

namespace fleetload::mqtt::test {
namespace {

ByteVec publish_bytes(std::string_view topic, std::size_t payload_size, Version v, std::uint16_t id = 0) {
  static const ByteVec filler(1 << 20, 0x5A);
  Publish p;
  p.topic = topic;
  p.payload = Bytes(filler.data(), payload_size);
  if (id != 0) {
    p.qos = QoS::AtLeastOnce;
    p.packet_id = id;
  }
  return encode_to_vector(p, v);
}

TEST(mqtt_stream_decoder, EmptyDecoderNeedsMore) {
  StreamDecoder d;
  Packet out;
  DecodeResult r = d.next(out);
  EXPECT_EQ(r.status, DecodeStatus::NeedMore);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(mqtt_stream_decoder, PrepareGivesAtLeastTheAskedRoomAndCommitCountsBytes) {
  StreamDecoder d(opts(Version::V311));
  std::span<std::uint8_t> room = d.prepare(100);
  ASSERT_GE(room.size(), 100u);
  const ByteVec ping = bytes({0xC0, 0x00, 0xD0});
  std::memcpy(room.data(), ping.data(), ping.size());
  d.commit(3);
  EXPECT_EQ(d.buffered(), 3u);
  Packet out;
  EXPECT_EQ(d.next(out).status, DecodeStatus::Ok);
  EXPECT_TRUE(std::holds_alternative<Pingreq>(out));
  EXPECT_EQ(d.buffered(), 1u);
  EXPECT_EQ(d.next(out).status, DecodeStatus::NeedMore);
  room = d.prepare(1);
  room[0] = 0x00;
  d.commit(1);
  EXPECT_EQ(d.next(out).status, DecodeStatus::Ok);
  EXPECT_TRUE(std::holds_alternative<Pingresp>(out));
}

TEST(mqtt_stream_decoder, ManyPacketsInOneReadAndSplitAcrossReads) {
  ByteVec stream;
  for (std::uint16_t i = 1; i <= 50; ++i) {
    const ByteVec p = publish_bytes("fleet/dev/telemetry", i * 7u, Version::V5, i);
    stream.insert(stream.end(), p.begin(), p.end());
  }
  for (std::size_t chunk : {1u, 5u, 33u, 4096u}) {
    StreamDecoder d(opts(Version::V5));
    Packet out;
    std::uint16_t next_id = 1;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - pos);
      d.append(std::span<const std::uint8_t>(stream.data() + pos, n));
      DecodeResult r;
      while ((r = d.next(out)).status == DecodeStatus::Ok) {
        const Publish& p = std::get<Publish>(out);
        EXPECT_EQ(p.packet_id, next_id);
        EXPECT_EQ(p.payload.size(), next_id * 7u);
        EXPECT_EQ(p.topic, "fleet/dev/telemetry");
        ++next_id;
      }
      ASSERT_EQ(r.status, DecodeStatus::NeedMore);
    }
    EXPECT_EQ(next_id, 51) << "chunk " << chunk;
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(mqtt_stream_decoder, GrowsForALargePacketAndReportsItsSize) {
  const ByteVec big = publish_bytes("big", 300'000, Version::V311);
  StreamDecoder d(opts(Version::V311));
  Packet out;
  d.append(std::span<const std::uint8_t>(big.data(), 10));
  DecodeResult r = d.next(out);
  ASSERT_EQ(r.status, DecodeStatus::NeedMore);
  EXPECT_EQ(r.needed, big.size());
  // Read the rest the way a socket would: prepare what is still missing, then commit.
  std::size_t pos = 10;
  while (pos < big.size()) {
    const std::size_t want = std::min<std::size_t>(big.size() - pos, 65'536);
    std::span<std::uint8_t> room = d.prepare(want);
    std::memcpy(room.data(), big.data() + pos, want);
    d.commit(want);
    pos += want;
  }
  r = d.next(out);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_EQ(r.consumed, big.size());
  EXPECT_EQ(std::get<Publish>(out).payload.size(), 300'000u);
  EXPECT_EQ(std::get<Publish>(out).payload[299'999], 0x5A);
}

TEST(mqtt_stream_decoder, MaxPacketSizeRejectsBeforeTheBodyArrives) {
  StreamDecoder d(opts(Version::V5));
  d.set_max_packet_size(1000);
  EXPECT_EQ(d.options().max_packet_size, 1000u);
  const ByteVec big = publish_bytes("t", 2000, Version::V5);
  d.append(std::span<const std::uint8_t>(big.data(), 4));  // fixed header only
  Packet out;
  DecodeResult r = d.next(out);
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, Errc::PacketTooLarge);
}

TEST(mqtt_stream_decoder, ErrorIsStickyUntilReset) {
  StreamDecoder d(opts(Version::V311));
  d.append(bytes({0x00, 0x00}));
  Packet out;
  EXPECT_EQ(d.next(out).error, Errc::UnknownPacketType);
  d.append(bytes({0xC0, 0x00}));
  EXPECT_EQ(d.next(out).error, Errc::UnknownPacketType);
  d.reset();
  EXPECT_EQ(d.buffered(), 0u);
  d.append(bytes({0xC0, 0x00}));
  EXPECT_EQ(d.next(out).status, DecodeStatus::Ok);
  // Sticky even when the same bytes would now decode: a too-large packet stays an error
  // after the limit is raised.
  d.set_max_packet_size(10);
  d.append(bytes({0x30, 0x0E, 0x00, 0x01, 't'}));
  EXPECT_EQ(d.next(out).error, Errc::PacketTooLarge);
  d.set_max_packet_size(100);
  EXPECT_EQ(d.next(out).error, Errc::PacketTooLarge);
  d.reset();
  d.append(bytes({0xC0, 0x00}));
  EXPECT_EQ(d.next(out).status, DecodeStatus::Ok);
  d.reset(true);  // releasing the buffer keeps the decoder usable
  d.append(bytes({0xD0, 0x00}));
  EXPECT_EQ(d.next(out).status, DecodeStatus::Ok);
  EXPECT_TRUE(std::holds_alternative<Pingresp>(out));
}

TEST(mqtt_stream_decoder, VersionSwitchAfterConnack) {
  // A v5 PUBREC with a reason code is malformed to a 3.1.1 decoder, valid to a v5 one.
  const ByteVec pubrec = bytes({0x50, 0x03, 0x00, 0x01, 0x10});
  StreamDecoder d(opts(Version::V311));
  Packet out;
  d.append(pubrec);
  EXPECT_EQ(d.next(out).error, Errc::RemainingLengthMismatch);
  d.reset();
  d.set_version(Version::V5);
  EXPECT_EQ(d.options().version, Version::V5);
  d.append(pubrec);
  ASSERT_EQ(d.next(out).status, DecodeStatus::Ok);
  EXPECT_EQ(std::get<PubAck>(out).reason_code, 0x10);
}

}  // namespace
}  // namespace fleetload::mqtt::test
