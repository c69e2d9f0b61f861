// Message accounting on the wire: the compact header at the start of every payload
// (publisher index, sequence number, send time) and the subscriber-side ReceiveTracker
// that turns received sequence numbers into lost / duplicated / out-of-order counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace fleetload::device {

// Layout (little-endian), version 2: magic "FLD2" (4) | run id (4) | publisher index (4) |
// stream (1) | seq (7) | send ns (8) = 28 bytes. The run id tells this run's messages from
// an earlier run's (retained, or queued for a persistent session); the stream byte leaves
// room for several publish streams per device (always 0 today) without another format
// change; 7 bytes of sequence (2^56 messages per publisher) keep the header at 28 bytes.
// Version 1 ("FLD1" | publisher (4) | seq (8) | send ns (8), 24 bytes; fleetload before run
// ids) stays readable: such a message can only come from an earlier run (version 0).
inline constexpr std::size_t kPayloadHeaderSize = 28;
inline constexpr std::size_t kPayloadHeaderSizeV1 = 24;
inline constexpr std::uint32_t kPayloadMagic = 0x32444C46;    // "FLD2" as bytes
inline constexpr std::uint32_t kPayloadMagicV1 = 0x31444C46;  // "FLD1" as bytes

struct PayloadHeader {
  std::uint32_t publisher = 0;  // global device index of the publisher
  std::uint64_t seq = 0;        // 1, 2, 3, ... per publisher (< 2^56)
  std::uint64_t sent_ns = 0;    // system_clock ns when first sent
  std::uint32_t run_id = 0;     // the run that sent it (0 in a version 1 header)
  std::uint8_t stream = 0;      // publish stream of the publisher (always 0 today)
  std::uint8_t version = 2;     // header version read (1 or 2)
  friend bool operator==(const PayloadHeader&, const PayloadHeader&) = default;
};

// Writes the header into the first kPayloadHeaderSize bytes of `out` (which must hold them).
void write_payload_header(std::span<std::uint8_t> out, const PayloadHeader& h) noexcept;
// The header at the start of `payload`, or nullopt when it is not one of ours.
std::optional<PayloadHeader> read_payload_header(std::span<const std::uint8_t> payload) noexcept;

// Makes `buf` a payload of max(size, kPayloadHeaderSize) bytes: header then padding.
// The padding is written only when `buf` changes size, so a per-thread buffer reused for
// one payload size costs a 24-byte write per message.
std::span<const std::uint8_t> build_payload(std::vector<std::uint8_t>& buf, std::uint32_t size,
                                            const PayloadHeader& h);

// Payloads at least this large (without a template) are not copied per message: the bytes
// after the accounting header are the same for every message of the run, so one body is
// made per run (FleetPlan::payload_body) and written by scatter-gather behind each
// message's own header (Context::splices).
inline constexpr std::uint32_t kSharedBodyMin = 4096;

// The padding of a payload of `size` bytes: bytes [kPayloadHeaderSize, size), exactly what
// build_payload writes there.
std::vector<std::uint8_t> payload_padding(std::uint32_t size);

// Rewrites the MQTT remaining length (3.1.1 §2.2.3, 5.0 §1.5.5) of the packet at the start of
// `packet` (a vector holding the packet from offset `at` to its end) to count `extra` more
// payload bytes that follow outside the buffer; moves the rest when the varint grows.
// False when the packet would exceed the 268,435,455-byte maximum.
bool extend_remaining_length(std::vector<std::uint8_t>& packet, std::size_t at, std::size_t extra);

// What one received message (or a finalisation) changed.
struct ReceiveCounts {
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t out_of_order = 0;
  ReceiveCounts& operator+=(const ReceiveCounts& o) noexcept {
    lost += o.lost;
    duplicated += o.duplicated;
    out_of_order += o.out_of_order;
    return *this;
  }
};

// The sequences of one publisher a subscriber was owed during one subscription interval
// (see SubscriptionClock): (from, to], i.e. sent after the subscription began, up to the
// last sent before it ended.
struct OwedRange {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
};

// Per-publisher sequence tracking for one subscriber: the highest sequence seen and a
// 64-message window behind it, per subscription interval (1, 2, ... : each time the broker
// took the subscription anew). Tracking of a publisher restarts at the first message seen
// from it in an interval. Once one of its messages was delivered, every later one of it was
// routed while the subscription held (a publisher's messages reach the broker in order), so
// a gap behind it is loss; a gap is counted lost once it falls out of the window (or at
// finalisation), so a message that arrives a little late counts as out of order, not as
// lost. A message more than 64 behind the highest arrives after it was declared lost: it
// counts as out of order (and stays lost). What a publisher sent before the subscription
// began is not expected: finalisation is told that per interval. 32 bytes per publisher
// seen, in an open-addressing table that grows only when a new publisher shows up.
class ReceiveTracker {
 public:
  ReceiveTracker() = default;
  ReceiveTracker(ReceiveTracker&&) noexcept = default;
  ReceiveTracker& operator=(ReceiveTracker&&) noexcept = default;

  // `interval`: the subscriber's current subscription interval (>= 1).
  ReceiveCounts on_message(std::uint32_t publisher, std::uint64_t seq, std::uint32_t interval = 1);

  // End of run. owed[j] is what `publisher` sent during interval j + 1. In the interval
  // tracking last (re)started in, every owed sequence not received counts lost (before the
  // first seen, in the window, after the highest); in later intervals, where nothing of it
  // came, all owed counts lost. In earlier intervals, gaps between delivered messages were
  // counted when they left the window or when tracking restarted; what such an interval
  // owed before its first delivered message and after its last one is not counted (the
  // publisher's side of that is only known once it stopped, and the slot keeps one interval). Returns what it adds; a second call adds nothing.
  ReceiveCounts finalize(std::uint32_t publisher, std::span<const OwedRange> owed) noexcept;
  // One interval that was owed all of 1..last_sent_seq.
  ReceiveCounts finalize(std::uint32_t publisher, std::uint64_t last_sent_seq) noexcept {
    const OwedRange all{0, last_sent_seq};
    return finalize(publisher, std::span<const OwedRange>(&all, 1));
  }
  // Whether anything from `publisher` was received.
  bool seen(std::uint32_t publisher) const noexcept;
  // Where tracking of `publisher` stands (nullopt: never seen): for books settled elsewhere,
  // a publisher of another shard settled by `report merge` (books_exchange.hpp).
  struct Progress {
    std::uint32_t interval = 0;  // 0 = closed
    std::uint64_t first = 0, highest = 0, window = 0;
  };
  std::optional<Progress> progress(std::uint32_t publisher) const noexcept;
  // What a tracking interval at `p` still counts lost against the range it was owed: before
  // its first delivery, the gaps in its window, after its highest.
  static std::uint64_t unsettled_loss(const Progress& p, const OwedRange& owed) noexcept;
  std::size_t publishers() const noexcept { return size_; }
  // Calls f(publisher) for each publisher seen.
  template <class F>
  void for_each_publisher(F&& f) const {
    for (std::uint32_t i = 0; i < capacity_; ++i)
      if (slots_[i].key != 0) f(slots_[i].key - 1);
  }
  std::size_t heap_bytes() const noexcept { return capacity_ * sizeof(Slot); }

 private:
  struct Slot {
    std::uint32_t key = 0;      // publisher + 1; 0 = empty
    std::uint32_t interval = 0; // the interval tracking (re)started in; 0 = closed
    std::uint64_t highest = 0;  // highest seq seen (0 = none)
    std::uint64_t window = 0;   // bit i: seq (highest - i) was received
    std::uint64_t first = 0;    // lowest seq seen in the interval
  };
  Slot* find(std::uint32_t publisher) const noexcept;
  Slot& find_or_insert(std::uint32_t publisher);

  std::unique_ptr<Slot[]> slots_;
  std::uint32_t capacity_ = 0;  // power of two
  std::uint32_t size_ = 0;
};

}  // namespace fleetload::device
