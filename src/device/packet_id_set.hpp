// PacketIdSet: a set of MQTT packet identifiers (1..65535) with O(1) insert, erase and
// lookup, and memory that follows its size.
//
// Why: a device receiving QoS 2 keeps the id of every PUBLISH it answered with PUBREC until
// the broker's PUBREL arrives. A broker that floods QoS 2 and never sends PUBREL must not
// make each new PUBLISH cost a scan of every pending id (a vector with std::find is O(n) per
// packet, O(n^2) per flood), nor an allocation per id (std::set). Small sets, the normal
// case (a handful of ids), live in an open-addressed table of 2-byte slots (linear probing,
// backward-shift deletion: no tombstones, so probes stay short however many ids come and
// go); once the table would outgrow 8 KiB the set switches to a 65,536-bit map, which holds
// every possible id in exactly 8 KiB. Memory is therefore bounded by 8 KiB per device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace fleetload::device {

class PacketIdSet {
 public:
  PacketIdSet() = default;
  PacketIdSet(PacketIdSet&&) noexcept = default;
  PacketIdSet& operator=(PacketIdSet&&) noexcept = default;

  // Id 0 is never a member (it is not a valid packet identifier).
  bool contains(std::uint16_t id) const noexcept;
  // Adds `id`; false when it was already there (or is 0).
  bool insert(std::uint16_t id);
  // Removes `id`; false when it was not there.
  bool erase(std::uint16_t id) noexcept;
  // Empties the set and gives its memory back.
  void clear() noexcept;

  std::uint32_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t heap_bytes() const noexcept;

  // Largest table before the switch to the bitmap: 4096 slots of 2 bytes = the bitmap's
  // 8 KiB. The table is kept at most half full, so it holds up to 2048 ids.
  static constexpr std::uint32_t kMaxTableSlots = 4096;

 private:
  std::uint32_t home(std::uint16_t id) const noexcept;
  std::uint32_t find_slot(std::uint16_t id) const noexcept;  // slot holding id, or cap_
  void grow();
  void place(std::uint16_t id) noexcept;  // into the table; there is room, id is absent

  std::unique_ptr<std::uint16_t[]> table_;  // cap_ slots, 0 = empty
  std::unique_ptr<std::uint64_t[]> bits_;   // 1024 words once switched (then table_ is null)
  std::uint32_t cap_ = 0;                   // table slots: 0 or a power of two
  std::uint32_t size_ = 0;
  std::uint8_t shift_ = 0;                  // 32 - log2(cap_), for the multiplicative hash
};

}  // namespace fleetload::device
