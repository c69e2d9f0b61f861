// libFuzzer target for the MQTT decoder: decode() over a byte stream, the same stream through
// StreamDecoder in fuzzer-chosen chunks, and re-encoding of every packet decoded.
//
// Input layout: byte 0 picks the options, the rest is the stream.
//   bit 0     protocol version (0: 3.1.1, 1: 5)
//   bits 1-2  max_packet_size: unlimited, 1 KiB, 64, 5 bytes
//   bit 3     accept_any_connect_version
//   bits 4-7  seed of the chunk sizes fed to StreamDecoder (1..16 bytes, varying)
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
//   - decode() never reads past its input (ASan: the input is an exact-size heap copy) and
//     consumes 0 < n <= size bytes; NeedMore's `needed` exceeds what it was given;
//   - a packet decodes identically from a buffer holding exactly its bytes;
//   - StreamDecoder yields the same packets and the same final error as decode();
//   - every decoded packet re-encodes (encoded_size == written) and decodes back equal.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mqtt/codec.hpp"

namespace {

using namespace fleetload::mqtt;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "mqtt_decode_fuzz: property violated: %s\n", what);
  std::abort();
}
void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

DecodeOptions options_from(std::uint8_t b) {
  static constexpr std::size_t sizes[] = {kMaxPacketSize, 1024, 64, 5};
  DecodeOptions o;
  o.version = (b & 1) ? Version::V5 : Version::V311;
  o.max_packet_size = sizes[(b >> 1) & 3];
  o.accept_any_connect_version = (b & 8) != 0;
  return o;
}

Version version_of(const Packet& p, Version stream_version) {
  if (const auto* c = std::get_if<Connect>(&p)) return c->version;
  // An MQTT 3.1.1 CONNACK answering an MQTT 5 CONNECT (20 02 00 01) is a 3.1.1 frame.
  if (const auto* c = std::get_if<Connack>(&p); c && c->mqtt311_answer) return Version::V311;
  return stream_version;
}

// Re-encodes `p` and decodes the bytes again; the result must equal `p`.
void check_reencode(const Packet& p, const DecodeOptions& opts) {
  const Version v = version_of(p, opts.version);
  const SizeResult size = encoded_size(p, v);
  check(!size.error, "a decoded packet cannot be encoded (encoded_size failed)");
  std::vector<std::uint8_t> buf(size.size);
  const EncodeResult e = encode(p, v, buf);
  check(!e.error, "a decoded packet cannot be encoded (encode failed)");
  check(e.written == size.size, "encode wrote a different size than encoded_size");
  if (size.size > 0) {
    std::vector<std::uint8_t> small(size.size - 1);
    check(encode(p, v, small).error == make_error_code(Errc::BufferTooSmall),
          "encode into a buffer one byte short did not fail with BufferTooSmall");
  }
  DecodeOptions again = opts;
  again.version = v;
  again.max_packet_size = kMaxPacketSize;
  Packet back;
  const DecodeResult r = decode(buf, again, back);
  check(r.status == DecodeStatus::Ok, "re-encoded packet does not decode");
  check(r.consumed == buf.size(), "re-encoded packet decodes to a different length");
  // Read back as 3.1.1, the foreign CONNACK is an ordinary one: compare without the mark.
  Packet want = p;
  if (auto* c = std::get_if<Connack>(&want)) c->mqtt311_answer = false;
  check(back == want, "re-encoded packet decodes to a different packet");
}

struct Step {
  DecodeStatus status;
  std::error_code error;
  Packet packet;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const DecodeOptions opts = options_from(data[0]);
  // An exact-size heap copy so that any read past the end trips ASan.
  const std::vector<std::uint8_t> stream(data + 1, data + size);

  // 1. decode() packet after packet.
  std::vector<Step> steps;
  std::size_t pos = 0;
  for (;;) {
    const std::span<const std::uint8_t> rest(stream.data() + pos, stream.size() - pos);
    Packet p;
    const DecodeResult r = decode(rest, opts, p);
    if (r.status == DecodeStatus::Ok) {
      check(r.consumed > 0 && r.consumed <= rest.size(), "Ok with consumed outside (0, size]");
      // The same bytes alone, in an exact-size buffer: same packet, nothing read beyond.
      const std::vector<std::uint8_t> exact(rest.begin(), rest.begin() + r.consumed);
      Packet q;
      const DecodeResult r2 = decode(exact, opts, q);
      check(r2.status == DecodeStatus::Ok && r2.consumed == r.consumed && q == p,
            "a packet decodes differently from a buffer holding exactly its bytes");
      check_reencode(p, opts);
      // Views in `p` point into `stream`, which outlives `steps`.
      steps.push_back({r.status, {}, std::move(p)});
      pos += r.consumed;
      continue;
    }
    if (r.status == DecodeStatus::NeedMore) {
      check(r.needed == 0 || r.needed > rest.size(), "NeedMore with needed <= available");
      check(!r.error, "NeedMore with an error set");
    } else {
      check(static_cast<bool>(r.error), "Error status without an error code");
      check(&r.error.category() == &mqtt_category(), "error outside the mqtt category");
      check(!r.error.message().empty(), "error without a message");
    }
    steps.push_back({r.status, r.error, Packet{}});
    break;
  }

  // 2. StreamDecoder over chunks of 1..16 bytes, alternating append() and prepare()/commit().
  StreamDecoder sd(opts);
  std::uint32_t chunk_state = (data[0] >> 4) * 2654435761u + 1;
  std::size_t fed = 0, step = 0;
  bool use_prepare = false;
  Packet out;
  for (;;) {
    const DecodeResult r = sd.next(out);
    if (r.status == DecodeStatus::Ok) {
      // steps ends with a non-Ok entry, so `step` stays in range.
      check(steps[step].status == DecodeStatus::Ok && out == steps[step].packet,
            "StreamDecoder yields a different packet than decode()");
      ++step;
      continue;
    }
    if (r.status == DecodeStatus::Error) {
      check(steps[step].status == DecodeStatus::Error, "StreamDecoder fails where decode() did not");
      check(r.error == steps[step].error, "StreamDecoder fails with a different error");
      // Errors are sticky.
      check(sd.next(out).error == r.error, "StreamDecoder error is not sticky");
      return 0;
    }
    if (fed == stream.size()) break;
    chunk_state = chunk_state * 1103515245u + 12345u;
    std::size_t n = 1 + (chunk_state >> 16) % 16;
    if (n > stream.size() - fed) n = stream.size() - fed;
    if (use_prepare) {
      auto region = sd.prepare(n);
      check(region.size() >= n, "prepare() returned a region smaller than asked");
      std::memcpy(region.data(), stream.data() + fed, n);
      sd.commit(n);
    } else {
      sd.append(std::span<const std::uint8_t>(stream.data() + fed, n));
    }
    use_prepare = !use_prepare;
    fed += n;
  }
  check(step + 1 == steps.size() && steps[step].status == DecodeStatus::NeedMore,
        "StreamDecoder ran out of input where decode() did not");
  return 0;
}
