// Subscription epochs per publisher (subscription_clock.hpp).
#include "device/subscription_clock.hpp"

#include <algorithm>

namespace fleetload::device {

std::uint64_t SubscriptionClock::sent_before(std::size_t slot, std::uint32_t e, std::uint64_t last) const noexcept {
  if (slot >= logs_.size()) return 0;
  const auto& m = logs_[slot].marks;
  // The first mark at or after e: the publisher's first send after it saw the event.
  const auto it = std::lower_bound(m.begin(), m.end(), e, [](const Mark& x, std::uint32_t v) { return x.epoch < v; });
  return it == m.end() ? last : std::min(it->seq, last);
}

std::size_t SubscriptionClock::heap_bytes() const noexcept {
  std::size_t n = logs_.capacity() * sizeof(Log);
  for (const auto& l : logs_) n += l.marks.capacity() * sizeof(Mark);
  return n;
}

}  // namespace fleetload::device
