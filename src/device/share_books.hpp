// Books of shared subscriptions ("$share/<group>/<filter>", MQTT 5 §4.8.2; mosquitto and
// others in 3.1.1 too). The broker hands each message matching the filter to exactly one
// member of the share group, so no member's own books can say what was lost: a share group
// is owed every message its filter matches, once, across all its members. One ShareBooks per
// run (FleetPlan::share_books) holds, per share group, a bit per (publisher stream,
// sequence) received by any member; at the end of the run settle() counts, against what
// this process's publishers sent while some member held the subscription, what no member
// received (lost) and what reached members more than once (counted at delivery).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fleetload::device {

class FleetPlan;
class SubscriptionClock;

// What one share group's books say at the end of the run (also the report's model).
struct ShareGroupBooks {
  std::string group;   // the share name: "g" of "$share/g/t/#"
  std::string filter;  // the filter the group shares: "t/#"
  std::string device_group;  // the device group (scenario `groups`) of its first member
  std::uint64_t members = 0;     // subscribers whose SUBACK granted it
  std::uint64_t publishes = 0;   // messages this process's publishers sent on matching topics
  std::uint64_t expected = 0;    // of those, sent while a member held the subscription: owed once
  std::uint64_t received = 0;    // deliveries to members (duplicates included)
  std::uint64_t duplicated = 0;  // deliveries of a message some member already had
  std::uint64_t lost = 0;        // owed and received by no member
  // Instead of lost when the end-of-run drain gave up with deliveries still arriving.
  std::uint64_t not_yet_delivered = 0;
  std::vector<std::uint64_t> lost_by_stream;  // `lost` by fleet-wide stream id
  // false when the run has several shards: members and publishers of other shards share the
  // group, so what it was owed (and what it lost) is not known here; received and
  // duplicates (within this shard) still are.
  bool judged = true;
  // Owed something, received nothing: a broker that does not support shared subscriptions
  // (it grants the filter literally and delivers nothing).
  bool nothing_delivered() const noexcept { return judged && expected > 0 && received == 0; }
};

class ShareBooks {
 public:
  class Group;

  // The share group of a rendered "$share/<group>/<filter>" (created on first use) and one
  // more member of it; null when `shared_filter` is not of that form. Any thread.
  Group* join(std::string_view shared_filter, std::string_view device_group);
  // A member received sequence `seq` of publisher stream `key`: true when some member had
  // already received it (a duplicate). Any thread (a mutex per group).
  static bool on_message(Group& g, std::uint64_t key, std::uint64_t seq);
  // A member's subscription intervals, as (begin, end) epochs of the SubscriptionClock (end
  // 0 = held to the end): called once per member at the end of the run.
  static void held(Group& g, std::span<const std::pair<std::uint32_t, std::uint32_t>> intervals);
  // The inner filter of a group (what its topic must match).
  static const std::string& filter(const Group& g) noexcept;

  // End of run, once every worker stopped: each group's books against what this process's
  // publishers sent (last_seq_by_key: FleetPlan::stream_key -> last sequence, 0 = none).
  // `plan`: any group's plan of the run (plan_of finds the publishers'). `judged` false in
  // sharded runs.
  std::vector<ShareGroupBooks> settle(std::span<const std::uint64_t> last_seq_by_key, const FleetPlan& plan,
                                      bool judged) const;
  std::size_t groups() const;

  ShareBooks();
  ~ShareBooks();

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Group>> groups_;
};

// "$share/g/t/#" -> {"g", "t/#"}; nullopt-like empty pair when not a shared filter.
std::pair<std::string_view, std::string_view> split_shared_filter(std::string_view filter) noexcept;

}  // namespace fleetload::device
