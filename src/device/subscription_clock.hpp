// When subscriptions began and ended, in terms of each publisher's sequence numbers: what
// makes "expected" exact. A subscriber is owed exactly the messages sent while the broker
// held its subscription, i.e. after its SUBACK (or a CONNACK resuming its session) and
// before its connection was lost; not what a publisher sent before.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace fleetload::device {

// One per run, shared by every group's plan (FleetPlan::clock). Subscription events tick a
// run-wide epoch; each publisher, before it sends a message, looks at the epoch (one atomic
// load) and, only when it changed since its previous send, notes (epoch, last sequence
// sent before). At the end of the run (publishers stopped) sent_before() answers, for a
// subscriber's event epoch e, the last sequence the publisher sent before it saw e: every
// later message was sent after the event happened. Cost: 48 bytes per publisher of this
// process plus 16 bytes per send that followed a new epoch (at most one per subscription
// event per publisher; none in a steady run without reconnects).
class SubscriptionClock {
 public:
  explicit SubscriptionClock(std::size_t publishers) : logs_(publishers) {}

  // A subscription began or ended at this instant (the caller has already processed the
  // SUBACK / CONNACK / connection loss): returns its epoch (>= 1).
  std::uint32_t tick() noexcept { return epoch_.fetch_add(1, std::memory_order_acq_rel) + 1; }

  // Publisher `slot` is about to send sequence `seq` at wall time `wall_ns` (called on its
  // own thread only).
  void on_send(std::size_t slot, std::uint64_t seq, std::uint64_t wall_ns = 0) {
    if (slot >= logs_.size()) return;
    Log& l = logs_[slot];
    if (l.first_ns == 0) l.first_ns = wall_ns;
    l.last_ns = wall_ns;
    const std::uint32_t e = epoch_.load(std::memory_order_acquire);
    if (e == l.seen) return;
    l.seen = e;
    l.marks.push_back(Mark{e, seq - 1});
  }

  // The last sequence publisher `slot` sent before it saw epoch `e` (or a later one);
  // `last` (its last sequence) when it sent nothing after e. Only once publishers stopped.
  std::uint64_t sent_before(std::size_t slot, std::uint32_t e, std::uint64_t last) const noexcept;

  std::size_t heap_bytes() const noexcept;
  // Wall-clock ns of publisher `slot`'s first and last send (0, 0: none): when a subscriber
  // of another shard had to hold its subscription to be owed them (books_exchange.hpp).
  std::pair<std::uint64_t, std::uint64_t> send_span(std::size_t slot) const noexcept {
    if (slot >= logs_.size()) return {0, 0};
    return {logs_[slot].first_ns, logs_[slot].last_ns};
  }

 private:
  struct Mark {
    std::uint32_t epoch;
    std::uint64_t seq;  // last sequence sent before `epoch` was seen
  };
  struct Log {
    std::uint32_t seen = 0;
    std::uint64_t first_ns = 0, last_ns = 0;
    std::vector<Mark> marks;  // epochs increasing
  };
  std::atomic<std::uint32_t> epoch_{0};
  std::vector<Log> logs_;
};

}  // namespace fleetload::device
