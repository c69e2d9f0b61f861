// A two-level hashed timer wheel: one deadline per device, O(1) arm/cancel, driven by its
// worker thread's event loop (the next busy tick is the loop's deadline).
//
// Why: 100,000 devices each re-arming a deadline after every event would make one heap
// timer per device (asio's timer queue) cost a heap operation and an allocation per arm.
// Here each device owns a fixed 16-byte node in a vector; slots are doubly linked lists of
// node ids. The near wheel holds deadlines within one revolution (2^bits ticks) at exact
// ticks; farther ones (keepalives minutes away) wait in a far wheel whose slots are one
// near revolution wide and are moved into the near wheel when their time comes. So an idle
// fleet wakes its worker about once per far slot instead of once per tick. Bitmaps of busy
// slots let the worker sleep until the next busy slot.
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace fleetload::engine {

class TimerWheel {
 public:
  using Tick = std::uint64_t;  // ticks since the wheel's epoch (the worker chooses the unit)
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  static constexpr Tick kNoTick = std::numeric_limits<Tick>::max();

  // `capacity` ids (0..capacity-1); 2^slot_bits near slots, 2^far_bits far slots.
  explicit TimerWheel(std::uint32_t capacity, unsigned slot_bits = 12, unsigned far_bits = 12);

  // Arms (or moves) id to fire at `at`. A tick at or before now() fires on the next advance.
  void schedule(std::uint32_t id, Tick at);
  void cancel(std::uint32_t id);
  bool armed(std::uint32_t id) const noexcept { return nodes_[id].state != NodeState::Idle; }
  Tick deadline(std::uint32_t id) const noexcept { return nodes_[id].at; }

  // Fires every entry due at or before `to`, in no particular order, calling fire(id).
  // fire may schedule or cancel any id, including ones due in this same advance.
  // ahead(id) is called once for each due entry, kAhead fires before its fire(id) (or
  // before the first): a hint to start loading what fire will touch. A fleet's state is
  // cold once its thread has slept; loads started together overlap, where loads one fire
  // after another each wait their full latency.
  template <class F, class Ahead>
  void advance(Tick to, F&& fire, Ahead&& ahead);
  template <class F>
  void advance(Tick to, F&& fire) {
    advance(to, std::forward<F>(fire), [](std::uint32_t) {});
  }
  static constexpr std::size_t kAhead = 8;

  // The next tick at which advance() has work (a near entry's exact tick, or a far slot's
  // boundary where entries move to the near wheel), or kNoTick when empty.
  Tick next_busy_tick() const noexcept;
  Tick now() const noexcept { return now_; }
  std::uint32_t size() const noexcept { return size_; }
  std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(nodes_.size()); }

 private:
  enum class NodeState : std::uint8_t { Idle, Near, Far, Due };
  struct Node {
    std::uint32_t prev = kNone;
    std::uint32_t next = kNone;
    Tick at : 56 = 0;
    NodeState state : 8 = NodeState::Idle;
  };
  static_assert(sizeof(Node) == 16);

  struct Level {
    std::vector<std::uint32_t> heads;
    std::vector<std::uint64_t> busy;  // one bit per slot
    bool is_busy(std::uint32_t s) const noexcept { return busy[s >> 6] & (std::uint64_t{1} << (s & 63)); }
    // First busy slot at or after `start`, wrapping; returns distance from start or kNone.
    std::uint32_t next_busy(std::uint32_t start) const noexcept;
  };

  std::uint32_t near_slot(Tick t) const noexcept { return static_cast<std::uint32_t>(t & mask_); }
  std::uint32_t far_slot(Tick t) const noexcept {
    return static_cast<std::uint32_t>((t >> bits_) & far_mask_);
  }
  void place(std::uint32_t id);  // links by nodes_[id].at relative to now_
  void link(Level& lv, std::uint32_t id, std::uint32_t slot, NodeState st);
  void unlink(std::uint32_t id);
  template <class Relink>
  void drain_slot(Level& lv, std::uint32_t slot, Tick to, Relink relink);
  void collect_near(std::uint32_t slot, Tick to);
  void cascade_far(std::uint32_t slot, Tick to);

  std::vector<Node> nodes_;
  Level near_;
  Level far_;
  std::vector<std::uint32_t> due_;
  unsigned bits_;
  Tick mask_;
  Tick far_mask_;
  Tick now_ = 0;  // every tick <= now_ has been processed
  std::uint32_t size_ = 0;
};

template <class F, class Ahead>
void TimerWheel::advance(Tick to, F&& fire, Ahead&& ahead) {
  if (to <= now_) return;
  due_.clear();
  // Far slots whose boundary (a multiple of the near span) lies in (now_, to]: move their
  // entries due before the following boundary into the near wheel (or straight to due).
  const Tick span = mask_ + 1;
  const Tick first_b = ((now_ >> bits_) + 1) << bits_;
  if (first_b <= to) {
    const Tick crossings = ((to - first_b) >> bits_) + 1;
    const Tick n = crossings > far_mask_ + 1 ? far_mask_ + 1 : crossings;
    for (Tick i = 0; i < n; ++i) {
      const std::uint32_t slot = far_slot(first_b + i * span);
      if (far_.is_busy(slot)) cascade_far(slot, to);
    }
  }
  const Tick steps = (to - now_ >= span) ? span : to - now_;
  for (Tick t = now_ + 1; t <= now_ + steps; ++t) {
    const std::uint32_t slot = near_slot(t);
    if (near_.is_busy(slot)) collect_near(slot, to);
  }
  now_ = to;
  // Fire after collecting so callbacks can re-arm freely; an entry re-armed or cancelled
  // by an earlier callback is no longer Due and is skipped.
  for (std::size_t i = 0; i < due_.size() && i < kAhead; ++i) ahead(due_[i]);
  for (std::size_t i = 0; i < due_.size(); ++i) {
    if (i + kAhead < due_.size()) ahead(due_[i + kAhead]);
    const std::uint32_t id = due_[i];
    if (nodes_[id].state != NodeState::Due) continue;
    nodes_[id].state = NodeState::Idle;
    fire(id);
  }
}

}  // namespace fleetload::engine
