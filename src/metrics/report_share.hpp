// The share groups of a run (device/share_books.hpp) in the reports: the summary's and the
// HTML report's line per group, the JSON "share_groups" array and its reading back, and
// what `report merge` makes of the shards' groups.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "device/share_books.hpp"

namespace fleetload::metrics {

// "broker delivered nothing to $share group g (t/#): ..." when it received nothing of what
// it was owed; else its books: members, owed, received, lost, duplicated (or that loss was
// not judged, and why).
std::string share_group_line(const device::ShareGroupBooks& g);

boost::json::array share_groups_json(const std::vector<device::ShareGroupBooks>& groups);
// Throws std::runtime_error naming the field when `v` is not what share_groups_json wrote.
std::vector<device::ShareGroupBooks> share_groups_from_json(const boost::json::value& v);

// Shards of one run: each saw its own members' deliveries and its own publishers, so the
// merged group (same share name and filter) sums them; whether it lost anything stays not
// judged (no shard's books say which member of which shard got which message).
void merge_share_groups(std::vector<device::ShareGroupBooks>& into, const std::vector<device::ShareGroupBooks>& from);

}  // namespace fleetload::metrics
