// TimerWheel: entries fire at their tick (never early), across revolutions, with re-arming
// and cancellation from inside callbacks.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "engine/timer_wheel.hpp"

namespace fleetload::engine {
namespace {

TEST(EngineTimerWheel, FiresExactlyAtItsTickNotBefore) {
  TimerWheel w(4, 6);  // 64 slots
  w.schedule(0, 10);
  w.schedule(1, 11);
  std::vector<std::uint32_t> fired;
  w.advance(9, [&](std::uint32_t id) { fired.push_back(id); });
  EXPECT_TRUE(fired.empty());
  w.advance(10, [&](std::uint32_t id) { fired.push_back(id); });
  EXPECT_EQ(fired, (std::vector<std::uint32_t>{0}));
  w.advance(11, [&](std::uint32_t id) { fired.push_back(id); });
  EXPECT_EQ(fired, (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(w.size(), 0u);
}

TEST(EngineTimerWheel, EntriesBeyondOneRevolutionWaitForTheirRound) {
  TimerWheel w(2, 6);
  w.schedule(0, 64 * 3 + 5);  // same slot as tick 5, three revolutions later
  int fired = 0;
  for (TimerWheel::Tick t = 1; t < 64 * 3 + 5; ++t) w.advance(t, [&](std::uint32_t) { ++fired; });
  EXPECT_EQ(fired, 0);
  w.advance(64 * 3 + 5, [&](std::uint32_t) { ++fired; });
  EXPECT_EQ(fired, 1);
}

TEST(EngineTimerWheel, LargeJumpFiresEverythingDue) {
  TimerWheel w(3, 6);
  w.schedule(0, 3);
  w.schedule(1, 500);
  w.schedule(2, 1000);
  std::vector<std::uint32_t> fired;
  w.advance(900, [&](std::uint32_t id) { fired.push_back(id); });
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<std::uint32_t>{0, 1}));
  EXPECT_TRUE(w.armed(2));
}

TEST(EngineTimerWheel, PastDeadlineFiresOnNextAdvance) {
  TimerWheel w(1, 6);
  w.advance(100, [](std::uint32_t) {});
  w.schedule(0, 50);
  int fired = 0;
  w.advance(101, [&](std::uint32_t) { ++fired; });
  EXPECT_EQ(fired, 1);
}

TEST(EngineTimerWheel, RescheduleAndCancelMoveEntries) {
  TimerWheel w(2, 6);
  w.schedule(0, 10);
  w.schedule(0, 20);  // moved
  w.schedule(1, 10);
  w.cancel(1);
  int fired = 0;
  w.advance(15, [&](std::uint32_t) { ++fired; });
  EXPECT_EQ(fired, 0);
  w.advance(20, [&](std::uint32_t id) { EXPECT_EQ(id, 0u); ++fired; });
  EXPECT_EQ(fired, 1);
}

TEST(EngineTimerWheel, CallbackMayRearmItselfAndCancelOthersDueInTheSameAdvance) {
  TimerWheel w(3, 6);
  w.schedule(0, 5);
  w.schedule(1, 5);
  w.schedule(2, 5);
  std::map<std::uint32_t, int> fired;
  w.advance(5, [&](std::uint32_t id) {
    ++fired[id];
    if (id == fired.begin()->first) {
      // The first to fire cancels the others and re-arms itself later.
      for (std::uint32_t o = 0; o < 3; ++o)
        if (o != id) w.cancel(o);
      w.schedule(id, 7);
    }
  });
  EXPECT_EQ(fired.size(), 1u);
  const auto first = fired.begin()->first;
  EXPECT_TRUE(w.armed(first));
  w.advance(7, [&](std::uint32_t id) { ++fired[id]; });
  EXPECT_EQ(fired[first], 2);
  EXPECT_EQ(w.size(), 0u);
}

TEST(EngineTimerWheel, AheadSeesEachDueEntryOnceAtMostKAheadFiresBeforeItFires) {
  // More due entries than the look-ahead, so both the first batch and the rolling hints run.
  constexpr std::uint32_t kN = TimerWheel::kAhead * 3 + 1;
  TimerWheel w(kN + 1, 6);
  for (std::uint32_t id = 0; id < kN; ++id) w.schedule(id, 3);
  w.schedule(kN, 9);  // not due: never hinted
  std::vector<std::uint32_t> order;           // ids in the order they fire
  std::map<std::uint32_t, std::size_t> hint;  // id -> how many fires had happened at its hint
  std::map<std::uint32_t, int> hints;
  w.advance(
      5, [&](std::uint32_t id) { order.push_back(id); },
      [&](std::uint32_t id) {
        ++hints[id];
        hint[id] = order.size();
      });
  ASSERT_EQ(order.size(), kN);
  EXPECT_EQ(hints.size(), kN);
  EXPECT_EQ(hints.count(kN), 0u);
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    const auto id = order[pos];
    EXPECT_EQ(hints[id], 1) << id;
    // Hinted before it fired, and no earlier than kAhead fires before.
    EXPECT_LE(hint[id], pos) << id;
    EXPECT_GE(hint[id] + TimerWheel::kAhead, pos) << id;
  }
}

TEST(EngineTimerWheel, NextBusyTickFindsTheNearestSlot) {
  TimerWheel w(2, 8);
  EXPECT_EQ(w.next_busy_tick(), TimerWheel::kNoTick);
  w.schedule(0, 200);
  w.schedule(1, 40);
  EXPECT_EQ(w.next_busy_tick(), 40u);
  w.advance(40, [](std::uint32_t) {});
  EXPECT_EQ(w.next_busy_tick(), 200u);
  w.advance(199, [](std::uint32_t) {});
  EXPECT_EQ(w.next_busy_tick(), 200u);
}

TEST(EngineTimerWheel, NextBusyTickWrapsAroundTheWheel) {
  TimerWheel w(1, 6);
  w.advance(60, [](std::uint32_t) {});
  w.schedule(0, 66);  // slot 2, after wrapping past slot 63
  EXPECT_EQ(w.next_busy_tick(), 66u);
}

TEST(EngineTimerWheel, FarDeadlinesWakeOnlyAtTheirSlotBoundary) {
  TimerWheel w(1, 6, 6);  // near span 64 ticks, far slots 64 ticks wide
  w.schedule(0, 1000);
  // An idle device does not make the worker wake every tick: next work is the boundary of
  // the far slot holding 1000 (15 * 64 = 960), then the exact tick.
  EXPECT_EQ(w.next_busy_tick(), 960u);
  int fired = 0;
  w.advance(960, [&](std::uint32_t) { ++fired; });
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(w.next_busy_tick(), 1000u);
  w.advance(999, [&](std::uint32_t) { ++fired; });
  EXPECT_EQ(fired, 0);
  w.advance(1000, [&](std::uint32_t) { ++fired; });
  EXPECT_EQ(fired, 1);
}

TEST(EngineTimerWheel, DeadlinesBeyondTheFarWheelWaitForTheirRound) {
  TimerWheel w(2, 6, 6);  // far wheel spans 64 * 64 = 4096 ticks
  w.schedule(0, 10'000);
  w.schedule(1, 4096 + 70);
  std::vector<std::pair<std::uint32_t, TimerWheel::Tick>> fired;
  for (TimerWheel::Tick t = 7; t <= 10'500; t += 7)
    w.advance(t, [&](std::uint32_t id) { fired.emplace_back(id, t); });
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].first, 1u);
  EXPECT_EQ(fired[0].second, 4172u);  // first multiple of 7 at or after 4166
  EXPECT_EQ(fired[1].first, 0u);
  EXPECT_EQ(fired[1].second, 10'003u);
}

TEST(EngineTimerWheel, SmallWheelsWithLongRangesMatchAReferenceModel) {
  constexpr std::uint32_t kIds = 300;
  TimerWheel w(kIds, 6, 6);
  std::mt19937_64 rng(7);
  std::vector<TimerWheel::Tick> due(kIds, TimerWheel::kNoTick);
  TimerWheel::Tick now = 0;
  for (int step = 0; step < 3000; ++step) {
    for (int k = 0; k < 3; ++k) {
      const auto id = static_cast<std::uint32_t>(rng() % kIds);
      if (rng() % 5 == 0) {
        w.cancel(id);
        due[id] = TimerWheel::kNoTick;
      } else {
        const TimerWheel::Tick at = now + 1 + rng() % 12'000;  // up to ~3 far revolutions
        w.schedule(id, at);
        due[id] = at;
      }
    }
    const TimerWheel::Tick to = now + 1 + rng() % (step % 50 == 0 ? 5000 : 40);
    const TimerWheel::Tick next = w.next_busy_tick();
    for (std::uint32_t id = 0; id < kIds; ++id)
      if (due[id] != TimerWheel::kNoTick) {
        ASSERT_LE(next, due[id]) << "would sleep past a deadline";
      }
    w.advance(to, [&](std::uint32_t id) {
      ASSERT_NE(due[id], TimerWheel::kNoTick) << "fired a cancelled id";
      ASSERT_LE(due[id], to) << "fired early";
      ASSERT_GT(due[id], now) << "fired late";
      due[id] = TimerWheel::kNoTick;
    });
    now = to;
    for (std::uint32_t id = 0; id < kIds; ++id) ASSERT_TRUE(due[id] == TimerWheel::kNoTick || due[id] > now);
  }
}

TEST(EngineTimerWheel, RandomScheduleMatchesAReferenceModel) {
  constexpr std::uint32_t kIds = 500;
  TimerWheel w(kIds, 7);
  std::mt19937_64 rng(42);
  std::vector<TimerWheel::Tick> due(kIds, TimerWheel::kNoTick);
  TimerWheel::Tick now = 0;
  for (int step = 0; step < 2000; ++step) {
    for (int k = 0; k < 5; ++k) {
      const auto id = static_cast<std::uint32_t>(rng() % kIds);
      if (rng() % 4 == 0) {
        w.cancel(id);
        due[id] = TimerWheel::kNoTick;
      } else {
        const TimerWheel::Tick at = now + 1 + rng() % 600;
        w.schedule(id, at);
        due[id] = at;
      }
    }
    const TimerWheel::Tick to = now + 1 + rng() % 50;
    w.advance(to, [&](std::uint32_t id) {
      ASSERT_NE(due[id], TimerWheel::kNoTick) << "fired a cancelled id";
      ASSERT_LE(due[id], to) << "fired early";
      ASSERT_GT(due[id], now) << "fired late (should have fired in an earlier advance)";
      due[id] = TimerWheel::kNoTick;
    });
    now = to;
    for (std::uint32_t id = 0; id < kIds; ++id) ASSERT_TRUE(due[id] == TimerWheel::kNoTick || due[id] > now);
  }
}

}  // namespace
}  // namespace fleetload::engine
