// Books across shards. A subscriber in one shard receives from publishers in every shard,
// but only the publisher's own process knows how many messages it sent, and when. Each shard
// therefore reports (a) for its publisher streams their last sequence number and the wall
// times of their first and last send, and (b) for its subscribers, per publisher stream of
// another shard it received or expected, where its tracking stands and when it held its
// subscription; `report merge` settles (b) against (a): what the local books could not.
#pragma once

#include <cstdint>
#include <vector>

#include "device/payload.hpp"

namespace fleetload::device {

struct PublisherSpan {
  std::uint64_t key = 0;       // FleetPlan::stream_key(publisher, stream id)
  std::uint64_t last_seq = 0;  // the last sequence number it sent
  std::uint64_t first_ns = 0;  // wall-clock ns of its first and last send
  std::uint64_t last_ns = 0;
};

// One subscriber of this shard and one publisher stream of another shard.
struct ForeignBooks {
  std::uint32_t group = 0;          // the subscriber's group (its index in the run's groups)
  std::uint64_t key = 0;            // the publisher stream, as PublisherSpan::key
  // Wall-clock ns its only subscription interval began (SUBACK); 0 when it had several
  // (reconnects) or none: then nothing before its first delivery is judged.
  std::uint64_t subscribed_ns = 0;
  // Wall-clock ns up to which that interval was still held (the subscriber's end of run);
  // 0 when it ended earlier: then nothing after its highest delivery is judged.
  std::uint64_t held_until_ns = 0;
  ReceiveTracker::Progress progress;  // interval 0 and highest 0: nothing received
};

struct ForeignSettlement {
  std::uint64_t lost = 0;      // owed and never delivered
  std::uint64_t unjudged = 0;  // sent, but whether it was owed cannot be told
};

// What `f` still owes, given the publisher's span. A subscription held across the
// publisher's whole span was owed all of it; one that began later was owed from its first
// delivery on (as the local books without a subscription clock); one that ended before the
// publisher's last send leaves what came after its highest delivery unjudged.
ForeignSettlement settle_foreign(const ForeignBooks& f, const PublisherSpan& p) noexcept;

}  // namespace fleetload::device
