// TimerWheel: near and far slot lists, busy bitmaps, cascading and collection of due entries.
#include "engine/timer_wheel.hpp"

#include <bit>
#include <stdexcept>

namespace fleetload::engine {

TimerWheel::TimerWheel(std::uint32_t capacity, unsigned slot_bits, unsigned far_bits)
    : nodes_(capacity), bits_(slot_bits), mask_((Tick{1} << slot_bits) - 1), far_mask_((Tick{1} << far_bits) - 1) {
  if (slot_bits < 6 || slot_bits > 20 || far_bits < 6 || far_bits > 20)
    throw std::invalid_argument("TimerWheel: slot_bits/far_bits out of 6..20");
  near_.heads.assign(std::size_t{1} << slot_bits, kNone);
  near_.busy.assign((std::size_t{1} << slot_bits) / 64, 0);
  far_.heads.assign(std::size_t{1} << far_bits, kNone);
  far_.busy.assign((std::size_t{1} << far_bits) / 64, 0);
}

std::uint32_t TimerWheel::Level::next_busy(std::uint32_t start) const noexcept {
  const std::size_t words = busy.size();
  const auto slots = static_cast<std::uint32_t>(words * 64);
  std::size_t w = start >> 6;
  std::uint64_t bits = busy[w] & (~std::uint64_t{0} << (start & 63));
  for (std::size_t i = 0; i <= words; ++i) {
    if (bits != 0) {
      const auto slot = static_cast<std::uint32_t>((w << 6) + std::countr_zero(bits));
      return (slot - start) & (slots - 1);
    }
    w = (w + 1) % words;
    bits = busy[w];
  }
  return kNone;
}

void TimerWheel::link(Level& lv, std::uint32_t id, std::uint32_t slot, NodeState st) {
  Node& n = nodes_[id];
  n.prev = kNone;
  n.next = lv.heads[slot];
  if (n.next != kNone) nodes_[n.next].prev = id;
  lv.heads[slot] = id;
  lv.busy[slot >> 6] |= std::uint64_t{1} << (slot & 63);
  n.state = st;
}

void TimerWheel::place(std::uint32_t id) {
  const Tick at = nodes_[id].at;
  if (at - now_ <= mask_) {
    link(near_, id, near_slot(at), NodeState::Near);
  } else {
    link(far_, id, far_slot(at), NodeState::Far);
  }
}

void TimerWheel::unlink(std::uint32_t id) {
  Node& n = nodes_[id];
  const bool near = n.state == NodeState::Near;
  Level& lv = near ? near_ : far_;
  const std::uint32_t slot = near ? near_slot(n.at) : far_slot(n.at);
  if (n.prev != kNone) {
    nodes_[n.prev].next = n.next;
  } else {
    lv.heads[slot] = n.next;
    if (n.next == kNone) lv.busy[slot >> 6] &= ~(std::uint64_t{1} << (slot & 63));
  }
  if (n.next != kNone) nodes_[n.next].prev = n.prev;
  n.prev = n.next = kNone;
  n.state = NodeState::Idle;
}

void TimerWheel::schedule(std::uint32_t id, Tick at) {
  Node& n = nodes_[id];
  if (n.state == NodeState::Near || n.state == NodeState::Far) {
    if (n.at == at) return;
    unlink(id);
  } else {
    // Idle, or Due (collected, not fired yet): re-arming takes it out of this round.
    ++size_;
  }
  // A past deadline fires on the next advance. Stored as max(at, now_+1) so unlink()
  // finds the slot from the node alone.
  n.at = at <= now_ ? now_ + 1 : at;
  place(id);
}

void TimerWheel::cancel(std::uint32_t id) {
  Node& n = nodes_[id];
  if (n.state == NodeState::Near || n.state == NodeState::Far) {
    unlink(id);
    --size_;
  } else if (n.state == NodeState::Due) {
    n.state = NodeState::Idle;
  }
}

// Empties one slot of `lv`: nodes due by `to` go to due_, the others are re-linked where
// `relink` says (same near slot a round later, or cascaded down from the far level).
template <class Relink>
void TimerWheel::drain_slot(Level& lv, std::uint32_t slot, Tick to, Relink relink) {
  std::uint32_t id = lv.heads[slot];
  lv.heads[slot] = kNone;
  lv.busy[slot >> 6] &= ~(std::uint64_t{1} << (slot & 63));
  while (id != kNone) {
    Node& n = nodes_[id];
    const std::uint32_t next = n.next;
    n.prev = n.next = kNone;
    if (n.at <= to) {
      n.state = NodeState::Due;
      --size_;
      due_.push_back(id);
    } else {
      relink(id, n.at);
    }
    id = next;
  }
}

void TimerWheel::collect_near(std::uint32_t slot, Tick to) {
  drain_slot(near_, slot, to, [&](std::uint32_t id, Tick) { link(near_, id, slot, NodeState::Near); });
}

void TimerWheel::cascade_far(std::uint32_t slot, Tick to) {
  drain_slot(far_, slot, to, [&](std::uint32_t id, Tick at) {
    if (at - to <= mask_) {
      link(near_, id, near_slot(at), NodeState::Near);
    } else {
      link(far_, id, far_slot(at), NodeState::Far);  // a later round of this slot
    }
  });
}

TimerWheel::Tick TimerWheel::next_busy_tick() const noexcept {
  if (size_ == 0) return kNoTick;
  Tick best = kNoTick;
  const std::uint32_t nd = near_.next_busy(near_slot(now_ + 1));
  if (nd != kNone) best = now_ + 1 + nd;
  const Tick first_b = ((now_ >> bits_) + 1) << bits_;
  const std::uint32_t fd = far_.next_busy(far_slot(first_b));
  if (fd != kNone) {
    const Tick b = first_b + (Tick{fd} << bits_);
    if (b < best) best = b;
  }
  return best;
}

}  // namespace fleetload::engine
