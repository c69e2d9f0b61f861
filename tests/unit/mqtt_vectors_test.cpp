// Hand-assembled vectors: each decodes to its packet field by field, encodes to its bytes
// byte for byte, needs more at every truncation, and decodes the same in any chunking.
#include <gtest/gtest.h>

#include "mqtt_vectors.hpp"

namespace fleetload::mqtt::test {
namespace {

class MqttVectorTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  const Vector& vec() const { return all_vectors()[GetParam()]; }
};

TEST_P(MqttVectorTest, DecodesToThePacket) {
  Packet out;
  std::unique_ptr<HeapCopy> keep;
  DecodeResult r = decode_exact(vec().wire, vec().version, out, keep);
  ASSERT_EQ(r.status, DecodeStatus::Ok) << r.error.message();
  EXPECT_EQ(r.consumed, vec().wire.size());
  EXPECT_EQ(out.index(), vec().packet.index());
  EXPECT_EQ(packet_type(out), packet_type(vec().packet));
  EXPECT_TRUE(out == vec().packet) << vec().name;
}

TEST_P(MqttVectorTest, EncodesToTheBytes) {
  SizeResult size = encoded_size(vec().packet, vec().version);
  ASSERT_FALSE(size.error) << size.error.message();
  EXPECT_EQ(size.size, vec().wire.size());
  ByteVec out(size.size);
  EncodeResult r = encode(vec().packet, vec().version, out);
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.written, vec().wire.size());
  EXPECT_EQ(hex(out), hex(vec().wire));
  EXPECT_EQ(encode_to_vector(vec().packet, vec().version), vec().wire);
}

TEST_P(MqttVectorTest, EncodeIntoAShortBufferFails) {
  ByteVec out(vec().wire.size() - 1);
  EncodeResult r = encode(vec().packet, vec().version, out);
  EXPECT_EQ(r.error, Errc::BufferTooSmall);
  EXPECT_EQ(r.written, 0u);
}

// Every proper prefix is NeedMore (never Error, never Ok), read from an exact-size heap
// copy so ASan flags any read past it; once the fixed header is whole, `needed` is exact.
TEST_P(MqttVectorTest, EveryTruncationNeedsMore) {
  const ByteVec& wire = vec().wire;
  std::size_t header = 2;
  while (wire[header - 1] & 0x80) ++header;
  for (std::size_t len = 0; len < wire.size(); ++len) {
    HeapCopy copy(ByteVec(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(len)));
    Packet out;
    DecodeResult r = decode(copy.span(), opts(vec().version), out);
    ASSERT_EQ(r.status, DecodeStatus::NeedMore) << "prefix of " << len << " bytes";
    EXPECT_EQ(r.consumed, 0u);
    EXPECT_EQ(r.needed, len >= header ? wire.size() : 0u) << "prefix of " << len << " bytes";
  }
}

TEST_P(MqttVectorTest, DecodesOneByteAtATime) {
  StreamDecoder d(opts(vec().version));
  Packet out;
  const ByteVec& wire = vec().wire;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    d.append(std::span<const std::uint8_t>(&wire[i], 1));
    DecodeResult r = d.next(out);
    if (i + 1 < wire.size()) {
      ASSERT_EQ(r.status, DecodeStatus::NeedMore) << "after byte " << i;
    } else {
      ASSERT_EQ(r.status, DecodeStatus::Ok) << r.error.message();
      EXPECT_TRUE(out == vec().packet);
    }
  }
  EXPECT_EQ(d.buffered(), 0u);
}

TEST_P(MqttVectorTest, DecodingLeavesFollowingBytesAlone) {
  ByteVec wire = vec().wire;
  wire.push_back(0xC0);  // the start of a following PINGREQ
  Packet out;
  std::unique_ptr<HeapCopy> keep;
  DecodeResult r = decode_exact(wire, vec().version, out, keep);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_EQ(r.consumed, vec().wire.size());
  EXPECT_TRUE(out == vec().packet);
}

std::string vector_name(const ::testing::TestParamInfo<std::size_t>& info) {
  return all_vectors()[info.param].name;
}

INSTANTIATE_TEST_SUITE_P(mqtt, MqttVectorTest, ::testing::Range<std::size_t>(0, all_vectors().size()),
                         vector_name);

// All vectors of one version as one stream, fed (a) whole, (b) a byte at a time and
// (c) in uneven chunks: each must yield exactly the vectors' packets, in order.
std::vector<std::size_t> decode_stream(Version v, std::size_t chunk, bool& all_equal) {
  std::vector<const Vector*> expected;
  ByteVec stream;
  for (const Vector& x : all_vectors()) {
    if (x.version != v) continue;
    expected.push_back(&x);
    stream.insert(stream.end(), x.wire.begin(), x.wire.end());
  }
  StreamDecoder d(opts(v));
  Packet out;
  std::vector<std::size_t> indexes;
  all_equal = true;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const std::size_t n = std::min(chunk, stream.size() - pos);
    // prepare/commit: the zero-copy path a socket read uses
    std::span<std::uint8_t> room = d.prepare(n);
    EXPECT_GE(room.size(), n);
    std::memcpy(room.data(), stream.data() + pos, n);
    d.commit(n);
    pos += n;
    for (;;) {
      DecodeResult r = d.next(out);
      EXPECT_NE(r.status, DecodeStatus::Error) << r.error.message();
      if (r.status != DecodeStatus::Ok) break;
      const std::size_t i = indexes.size();
      if (i >= expected.size() || !(out == expected[i]->packet)) all_equal = false;
      indexes.push_back(out.index());
    }
  }
  EXPECT_EQ(indexes.size(), expected.size());
  EXPECT_EQ(d.buffered(), 0u);
  return indexes;
}

TEST(mqtt_vector_stream, ConcatenatedVectorsDecodeIdenticallyInAnyChunking) {
  for (Version v : {Version::V311, Version::V5}) {
    bool whole_ok = false;
    const std::vector<std::size_t> whole = decode_stream(v, 1u << 20, whole_ok);
    EXPECT_TRUE(whole_ok);
    for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
      bool ok = false;
      EXPECT_EQ(decode_stream(v, chunk, ok), whole) << "chunk " << chunk;
      EXPECT_TRUE(ok) << "chunk " << chunk;
    }
  }
}

}  // namespace
}  // namespace fleetload::mqtt::test
