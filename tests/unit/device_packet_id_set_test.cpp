// PacketIdSet: set semantics against std::set over random operation sequences, through the
// switch from the table to the bitmap, and the 8 KiB bound on its memory.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>

#include "device/packet_id_set.hpp"
#include "device/rng.hpp"

namespace fleetload::device {
namespace {

TEST(DevicePacketIdSet, BehavesAsASetThroughGrowthAndDeletion) {
  // Random inserts and erases over a small id range (many collisions and probe runs that
  // wrap), a wide one, and one dense enough to cross into the bitmap; checked against
  // std::set after every operation.
  for (std::uint32_t range : {16u, 600u, 5000u, 65535u}) {
    PacketIdSet s;
    std::set<std::uint16_t> model;
    std::uint64_t rng = range;
    for (int op = 0; op < 40000; ++op) {
      const auto id = static_cast<std::uint16_t>(uniform_in(rng, 1, std::uint64_t{range} + 1));
      // Inserts twice as likely as erases: the set grows, so the bitmap is reached.
      if (uniform_in(rng, 0, 3) != 0) {
        ASSERT_EQ(s.insert(id), model.insert(id).second) << "insert " << id << " range " << range;
      } else {
        ASSERT_EQ(s.erase(id), model.erase(id) == 1) << "erase " << id << " range " << range;
      }
      ASSERT_EQ(s.size(), model.size());
    }
    for (std::uint32_t id = 1; id <= range; ++id)
      ASSERT_EQ(s.contains(static_cast<std::uint16_t>(id)), model.count(static_cast<std::uint16_t>(id)) == 1)
          << "id " << id << " range " << range;
  }
}

TEST(DevicePacketIdSet, IdZeroIsNeverAMember) {
  PacketIdSet s;
  EXPECT_FALSE(s.insert(0));
  EXPECT_FALSE(s.contains(0));
  EXPECT_FALSE(s.erase(0));
  EXPECT_EQ(s.size(), 0u);
}

TEST(DevicePacketIdSet, MemoryFollowsTheSizeAndNeverExceedsEightKiB) {
  PacketIdSet s;
  EXPECT_EQ(s.heap_bytes(), 0u);
  for (std::uint16_t id = 1; id <= 3; ++id) s.insert(id);
  EXPECT_LE(s.heap_bytes(), 16u);  // a handful of pending ids: a few bytes
  std::size_t peak = 0;
  for (std::uint32_t id = 1; id <= 65535; ++id) {
    s.insert(static_cast<std::uint16_t>(id));
    peak = std::max(peak, s.heap_bytes());
  }
  EXPECT_EQ(s.size(), 65535u);
  EXPECT_LE(peak, 8192u);  // every possible id in 8 KiB
  for (std::uint32_t id = 1; id <= 65535; ++id) ASSERT_TRUE(s.contains(static_cast<std::uint16_t>(id)));
  s.clear();
  EXPECT_EQ(s.heap_bytes(), 0u);
  EXPECT_FALSE(s.contains(7));
}

}  // namespace
}  // namespace fleetload::device
