// Payload header encoding and the subscriber-side sequence tracker.
#include "device/payload.hpp"

#include <bit>
#include <cstring>

namespace fleetload::device {

namespace {

void put_le(std::uint8_t* p, std::uint64_t v, int bytes) noexcept {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t get_le(const std::uint8_t* p, int bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

// Number of zero bits among window bits [from, 64) whose sequence is >= first, i.e. bits
// i <= highest - first: those messages never arrived.
std::uint64_t missing_in(std::uint64_t window, unsigned from, std::uint64_t highest, std::uint64_t first) noexcept {
  if (from >= 64 || highest == 0 || first > highest) return 0;
  const unsigned upto = highest - first < 63 ? static_cast<unsigned>(highest - first) : 63u;  // last valid bit
  if (from > upto) return 0;
  const unsigned width = upto - from + 1;
  const std::uint64_t mask = (width >= 64 ? ~0ull : ((1ull << width) - 1)) << from;
  return static_cast<std::uint64_t>(std::popcount(~window & mask));
}

}  // namespace

void write_payload_header(std::span<std::uint8_t> out, const PayloadHeader& h) noexcept {
  std::uint8_t* p = out.data();
  put_le(p, kPayloadMagic, 4);
  put_le(p + 4, h.run_id, 4);
  put_le(p + 8, h.publisher, 4);
  p[12] = h.stream;
  put_le(p + 13, h.seq, 7);
  put_le(p + 20, h.sent_ns, 8);
}

std::optional<PayloadHeader> read_payload_header(std::span<const std::uint8_t> payload) noexcept {
  if (payload.size() < kPayloadHeaderSizeV1) return std::nullopt;
  const std::uint8_t* p = payload.data();
  const auto magic = get_le(p, 4);
  PayloadHeader h;
  if (magic == kPayloadMagic && payload.size() >= kPayloadHeaderSize) {
    h.run_id = static_cast<std::uint32_t>(get_le(p + 4, 4));
    h.publisher = static_cast<std::uint32_t>(get_le(p + 8, 4));
    h.stream = p[12];
    h.seq = get_le(p + 13, 7);
    h.sent_ns = get_le(p + 20, 8);
    return h;
  }
  if (magic != kPayloadMagicV1) return std::nullopt;
  h.version = 1;
  h.publisher = static_cast<std::uint32_t>(get_le(p + 4, 4));
  h.seq = get_le(p + 8, 8);
  h.sent_ns = get_le(p + 16, 8);
  return h;
}

std::vector<std::uint8_t> payload_padding(std::uint32_t size) {
  std::vector<std::uint8_t> body(size > kPayloadHeaderSize ? size - kPayloadHeaderSize : 0);
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<std::uint8_t>('a' + ((i + kPayloadHeaderSize) % 26));
  return body;
}

bool extend_remaining_length(std::vector<std::uint8_t>& packet, std::size_t at, std::size_t extra) {
  // Fixed header: 1 type byte, then 1-4 bytes of 7-bit groups, least significant first.
  std::size_t len = 0, n = 0;
  for (; n < 4; ++n) {
    const std::uint8_t b = packet[at + 1 + n];
    len |= std::size_t{b & 0x7fu} << (7 * n);
    if ((b & 0x80) == 0) break;
  }
  ++n;
  const std::size_t total = len + extra;
  if (total > 268'435'455) return false;
  std::uint8_t enc[4];
  std::size_t m = 0;
  std::size_t v = total;
  do {
    enc[m] = static_cast<std::uint8_t>(v % 128);
    v /= 128;
    if (v) enc[m] |= 0x80;
    ++m;
  } while (v);
  const auto pos = packet.begin() + static_cast<std::ptrdiff_t>(at + 1);
  if (m > n) packet.insert(pos, m - n, 0);
  std::memcpy(packet.data() + at + 1, enc, m);
  return true;
}

std::span<const std::uint8_t> build_payload(std::vector<std::uint8_t>& buf, std::uint32_t size,
                                            const PayloadHeader& h) {
  const std::size_t n = size < kPayloadHeaderSize ? kPayloadHeaderSize : size;
  if (buf.size() != n) {
    buf.resize(n);
    // Printable, compressible-but-not-trivial padding, so brokers that inspect payloads
    // (or compress) see something like telemetry rather than zeros.
    for (std::size_t i = kPayloadHeaderSize; i < n; ++i)
      buf[i] = static_cast<std::uint8_t>('a' + (i % 26));
  }
  write_payload_header(buf, h);
  return {buf.data(), n};
}

// ---- ReceiveTracker --------------------------------------------------------------------

ReceiveTracker::Slot* ReceiveTracker::find(std::uint32_t publisher) const noexcept {
  if (capacity_ == 0) return nullptr;
  const std::uint32_t key = publisher + 1;
  std::uint32_t i = (key * 0x9E3779B1u) & (capacity_ - 1);
  while (slots_[i].key != 0) {
    if (slots_[i].key == key) return &slots_[i];
    i = (i + 1) & (capacity_ - 1);
  }
  return nullptr;
}

ReceiveTracker::Slot& ReceiveTracker::find_or_insert(std::uint32_t publisher) {
  if (Slot* s = find(publisher)) return *s;
  if ((size_ + 1) * 4 > capacity_ * 3) {  // keep the load factor under 3/4
    const std::uint32_t cap = capacity_ ? capacity_ * 2 : 4;
    auto bigger = std::make_unique<Slot[]>(cap);
    for (std::uint32_t j = 0; j < capacity_; ++j) {
      if (slots_[j].key == 0) continue;
      std::uint32_t i = (slots_[j].key * 0x9E3779B1u) & (cap - 1);
      while (bigger[i].key != 0) i = (i + 1) & (cap - 1);
      bigger[i] = slots_[j];
    }
    slots_ = std::move(bigger);
    capacity_ = cap;
  }
  const std::uint32_t key = publisher + 1;
  std::uint32_t i = (key * 0x9E3779B1u) & (capacity_ - 1);
  while (slots_[i].key != 0) i = (i + 1) & (capacity_ - 1);
  slots_[i] = Slot{key, 0, 0, 0, 0};
  ++size_;
  return slots_[i];
}

bool ReceiveTracker::seen(std::uint32_t publisher) const noexcept { return find(publisher) != nullptr; }

std::optional<ReceiveTracker::Progress> ReceiveTracker::progress(std::uint32_t publisher) const noexcept {
  const Slot* s = find(publisher);
  if (s == nullptr) return std::nullopt;
  return Progress{s->interval, s->first, s->highest, s->window};
}

std::uint64_t ReceiveTracker::unsettled_loss(const Progress& p, const OwedRange& r) noexcept {
  std::uint64_t lost = 0;
  if (p.first > r.from + 1) lost += p.first - 1 - r.from;  // owed before the first seen
  lost += missing_in(p.window, 0, p.highest, p.first);
  if (r.to > p.highest) lost += r.to - p.highest;
  return lost;
}

ReceiveCounts ReceiveTracker::on_message(std::uint32_t publisher, std::uint64_t seq, std::uint32_t interval) {
  ReceiveCounts c;
  if (seq == 0) return c;  // not a sequence we ever send
  Slot& s = find_or_insert(publisher);
  if (s.highest == 0 || s.interval != interval) {
    // Tracking (re)starts at the first message seen in this interval: what came before it
    // is settled at finalisation against what the publisher sent while subscribed. The
    // gaps still in the window of an earlier interval were owed (they lie between two
    // delivered messages): lost now.
    if (s.highest != 0 && s.interval != 0) c.lost += missing_in(s.window, 0, s.highest, s.first);
    s.interval = interval;
    s.highest = s.first = seq;
    s.window = 1;
    return c;
  }
  if (seq > s.highest) {
    const std::uint64_t k = seq - s.highest;
    if (k >= 64) {
      c.lost += missing_in(s.window, 0, s.highest, s.first);  // the whole old window leaves
      c.lost += k - 64;  // sequences that skipped the window entirely
      s.window = 0;
    } else {
      c.lost += missing_in(s.window, static_cast<unsigned>(64 - k), s.highest, s.first);
      s.window <<= k;
    }
    s.window |= 1;
    s.highest = seq;
    return c;
  }
  const std::uint64_t back = s.highest - seq;
  if (back >= 64) {
    ++c.out_of_order;  // already declared lost when it left the window (or before `first`)
    return c;
  }
  const std::uint64_t bit = 1ull << back;
  if (s.window & bit) {
    ++c.duplicated;
  } else {
    // Late, but delivered: and so was everything after it (its gaps are loss).
    ++c.out_of_order;
    s.window |= bit;
    if (seq < s.first) s.first = seq;
  }
  return c;
}

ReceiveCounts ReceiveTracker::finalize(std::uint32_t publisher, std::span<const OwedRange> owed) noexcept {
  ReceiveCounts c;
  auto whole = [](const OwedRange& r) { return r.to > r.from ? r.to - r.from : 0; };
  Slot* s = find(publisher);
  std::size_t next = 0;  // first interval (0-based) not settled here
  if (s && s->interval != 0 && s->interval <= owed.size()) {
    c.lost += unsettled_loss(Progress{s->interval, s->first, s->highest, s->window}, owed[s->interval - 1]);
    next = s->interval;
  } else if (s && s->interval != 0) {
    next = owed.size();  // tracking began in an interval with nothing owed (no clock)
  } else if (s) {
    return c;  // closed by an earlier call
  }
  // (A publisher never seen has no slot: each call counts all it was owed.)
  for (std::size_t j = next; j < owed.size(); ++j) c.lost += whole(owed[j]);
  // Close the books for this publisher: a second finalize adds nothing.
  if (s) s->interval = 0;
  return c;
}

}  // namespace fleetload::device
