// Settling a subscriber's books for a publisher of another shard (books_exchange.hpp).
#include "device/books_exchange.hpp"

namespace fleetload::device {

ForeignSettlement settle_foreign(const ForeignBooks& f, const PublisherSpan& p) noexcept {
  ForeignSettlement s;
  if (p.last_seq == 0) return s;
  const bool head = f.subscribed_ns != 0 && f.subscribed_ns <= p.first_ns;
  const bool tail = f.held_until_ns != 0 && f.held_until_ns >= p.last_ns;
  const auto& g = f.progress;
  if (g.highest == 0) {  // nothing delivered from it
    if (head && tail) s.lost = p.last_seq;
    else s.unjudged = p.last_seq;
    return s;
  }
  const OwedRange owed{head ? 0 : g.first - 1, tail ? p.last_seq : g.highest};
  s.lost = ReceiveTracker::unsettled_loss(g, owed);
  if (!tail && p.last_seq > g.highest) s.unjudged = p.last_seq - g.highest;
  return s;
}

}  // namespace fleetload::device
