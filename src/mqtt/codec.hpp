// The MQTT codec: packets to bytes and bytes to packets, with no sockets, no exceptions
// and no allocation on the per-message path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "mqtt/error.hpp"
#include "mqtt/packet.hpp"

namespace fleetload::mqtt {

// Largest Remaining Length a Variable Byte Integer can carry (5.0 §1.5.5).
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;
// Largest whole packet: 1 byte of type/flags + 4 bytes of length + kMaxRemainingLength.
inline constexpr std::size_t kMaxPacketSize = 1 + 4 + kMaxRemainingLength;

// ---- validation helpers (also used by the scenario and device layers) ----------------

// UTF-8 Encoded String rules (5.0 §1.5.4): well-formed, no surrogates, no U+0000.
bool valid_utf8(std::string_view s) noexcept;
// Topic Name (§4.7): non-empty, valid UTF-8, no '+' or '#'.
bool valid_topic_name(std::string_view topic) noexcept;
// Topic Filter (§4.7, §4.8.2): non-empty; '#' only last and alone in its level; '+' alone
// in its level; "$share/{ShareName}/{filter}" with a non-empty ShareName free of '/', '+', '#'.
bool valid_topic_filter(std::string_view filter) noexcept;

// ---- encoding ---------------------------------------------------------------------------

// Exact number of bytes `encode` will write for `p`, or an error when `p` cannot be encoded
// (field too long, property not allowed in this packet, ...). `version` selects the wire
// format; for Connect it must equal `p.version`.
struct SizeResult {
  std::size_t size = 0;
  std::error_code error;
};
SizeResult encoded_size(const Packet& p, Version version) noexcept;
SizeResult encoded_size(const Publish& p, Version version) noexcept;
SizeResult encoded_size(const PubAck& p, Version version) noexcept;

// Writes `p` at the start of `out` and returns the number of bytes written, or
// Errc::BufferTooSmall (nothing useful written) when `out` is shorter than encoded_size.
// The typed overloads exist so the hot path (PUBLISH, acks, PINGREQ) pays no variant visit.
struct EncodeResult {
  std::size_t written = 0;
  std::error_code error;
};
EncodeResult encode(const Packet& p, Version version, std::span<std::uint8_t> out) noexcept;
EncodeResult encode(const Publish& p, Version version, std::span<std::uint8_t> out) noexcept;
EncodeResult encode(const PubAck& p, Version version, std::span<std::uint8_t> out) noexcept;
// PINGREQ is always the two bytes C0 00.
EncodeResult encode_pingreq(std::span<std::uint8_t> out) noexcept;

// Convenience for tests and start-up paths: encodes into a fresh vector (allocates).
std::vector<std::uint8_t> encode_to_vector(const Packet& p, Version version);

// ---- decoding ---------------------------------------------------------------------------

enum class DecodeStatus : std::uint8_t {
  Ok,        // one packet decoded, `consumed` bytes used
  NeedMore,  // the input holds only a prefix of a packet; `needed` says how many bytes the
             // whole packet has once its fixed header is complete (else 0)
  Error,     // `error` says which rule the bytes broke; the stream cannot continue
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::NeedMore;
  std::size_t consumed = 0;
  std::size_t needed = 0;
  std::error_code error;
};

struct DecodeOptions {
  Version version = Version::V311;
  // Packets larger than this (whole packet, fixed header included) fail with
  // Errc::PacketTooLarge as soon as the fixed header is read, before the body arrives.
  std::size_t max_packet_size = kMaxPacketSize;
  // CONNECT carries its own version; when true, a CONNECT of either version is accepted
  // whatever `version` says (what a broker-side decoder wants).
  bool accept_any_connect_version = true;
};

// Decodes the first packet in `in` into `out`. Views in `out` point into `in`. Never reads
// past `in.size()`. `out` is reused: when it already holds the same alternative, its vectors
// keep their capacity, so decoding PUBLISH/acks in a loop does not allocate.
DecodeResult decode(std::span<const std::uint8_t> in, const DecodeOptions& opts,
                    Packet& out) noexcept;

// An incremental decoder over a byte stream arriving in arbitrary chunks. It owns a
// growable buffer: read into prepare()/commit() (zero-copy from a socket) or append(),
// then call next() until it returns NeedMore. Views in the decoded packet stay valid
// until the next prepare()/append()/next() call.
class StreamDecoder {
 public:
  explicit StreamDecoder(DecodeOptions opts = {});

  // A writable region of at least `min_size` bytes at the end of the buffered data.
  std::span<std::uint8_t> prepare(std::size_t min_size);
  // Marks `n` bytes of the last prepare() region as received.
  void commit(std::size_t n) noexcept;
  // Copies `bytes` in (prepare + memcpy + commit).
  void append(std::span<const std::uint8_t> bytes);

  // Decodes the next whole packet. After an Error every later call returns the same error.
  DecodeResult next(Packet& out) noexcept;

  std::size_t buffered() const noexcept { return end_ - begin_; }
  const DecodeOptions& options() const noexcept { return opts_; }
  void set_version(Version v) noexcept { opts_.version = v; }
  void set_max_packet_size(std::size_t n) noexcept { opts_.max_packet_size = n; }
  // Drops buffered bytes and any sticky error (for a new connection); keeps capacity
  // unless `release` is true.
  void reset(bool release = false) noexcept;

 private:
  DecodeOptions opts_;
  std::vector<std::uint8_t> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::error_code error_;
};

}  // namespace fleetload::mqtt
