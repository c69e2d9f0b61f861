// PacketIdSet: open-addressed table of packet ids, switching to a 65,536-bit map when large.
#include "device/packet_id_set.hpp"

#include <bit>
#include <utility>

namespace fleetload::device {

namespace {
constexpr std::uint32_t kFirstSlots = 8;
constexpr std::size_t kBitmapWords = 65536 / 64;
}  // namespace

std::uint32_t PacketIdSet::home(std::uint16_t id) const noexcept {
  // Fibonacci hashing: consecutive ids (the usual pattern) spread over the table.
  return static_cast<std::uint32_t>((std::uint32_t{id} * 2654435769u) >> shift_);
}

std::uint32_t PacketIdSet::find_slot(std::uint16_t id) const noexcept {
  const std::uint32_t mask = cap_ - 1;
  for (std::uint32_t i = home(id);; i = (i + 1) & mask) {
    if (table_[i] == id) return i;
    if (table_[i] == 0) return cap_;
  }
}

bool PacketIdSet::contains(std::uint16_t id) const noexcept {
  if (id == 0) return false;
  if (bits_) return (bits_[id >> 6] >> (id & 63)) & 1u;
  return cap_ != 0 && find_slot(id) != cap_;
}

void PacketIdSet::place(std::uint16_t id) noexcept {
  const std::uint32_t mask = cap_ - 1;
  std::uint32_t i = home(id);
  while (table_[i] != 0) i = (i + 1) & mask;
  table_[i] = id;
}

void PacketIdSet::grow() {
  const std::uint32_t want = cap_ == 0 ? kFirstSlots : cap_ * 2;
  if (want > kMaxTableSlots) {
    auto bits = std::make_unique<std::uint64_t[]>(kBitmapWords);  // zeroed
    for (std::uint32_t i = 0; i < cap_; ++i)
      if (const std::uint16_t id = table_[i]) bits[id >> 6] |= std::uint64_t{1} << (id & 63);
    bits_ = std::move(bits);
    table_.reset();
    cap_ = 0;
    return;
  }
  auto old = std::move(table_);
  const std::uint32_t old_cap = cap_;
  table_ = std::make_unique<std::uint16_t[]>(want);  // zeroed: all empty
  cap_ = want;
  shift_ = static_cast<std::uint8_t>(32 - std::countr_zero(want));
  for (std::uint32_t i = 0; i < old_cap; ++i)
    if (old[i] != 0) place(old[i]);
}

bool PacketIdSet::insert(std::uint16_t id) {
  if (id == 0 || contains(id)) return false;
  if (!bits_ && (size_ + 1) * 2 > cap_) grow();  // at most half full: short probes
  if (bits_)
    bits_[id >> 6] |= std::uint64_t{1} << (id & 63);
  else
    place(id);
  ++size_;
  return true;
}

bool PacketIdSet::erase(std::uint16_t id) noexcept {
  if (!contains(id)) return false;
  --size_;
  if (bits_) {
    bits_[id >> 6] &= ~(std::uint64_t{1} << (id & 63));
    return true;
  }
  // Backward-shift deletion: later entries of the probe run that may live in the hole move
  // into it, so every remaining id stays reachable from its home slot without tombstones.
  const std::uint32_t mask = cap_ - 1;
  std::uint32_t hole = find_slot(id);
  for (std::uint32_t j = (hole + 1) & mask; table_[j] != 0; j = (j + 1) & mask) {
    const std::uint32_t k = home(table_[j]);
    // table_[j] stays when its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
    if (stays) continue;
    table_[hole] = table_[j];
    hole = j;
  }
  table_[hole] = 0;
  return true;
}

void PacketIdSet::clear() noexcept {
  table_.reset();
  bits_.reset();
  cap_ = 0;
  size_ = 0;
  shift_ = 0;
}

std::size_t PacketIdSet::heap_bytes() const noexcept {
  if (bits_) return kBitmapWords * sizeof(std::uint64_t);
  return std::size_t{cap_} * sizeof(std::uint16_t);
}

}  // namespace fleetload::device
