// The live progress line: it fits the width it is given whatever the numbers (fields are
// dropped by importance, the essentials cut last), errors are per second of the window, the
// ramp shows its own target and rate, drops and reconnects appear once they happen.
#include <gtest/gtest.h>

#include <string>

#include "cli/progress.hpp"
#include "metrics/format.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::cli {
namespace {

using metrics::human::columns;

struct Window {
  device::StatsSnapshot total, delta;
  engine::Progress progress() const {
    return engine::Progress{engine::Seconds(12.4), phase, connected, target, total, delta, engine::Seconds(1.0),
                            local, 0, broker, {}, {}, {}, {}};
  }
  std::string phase = "steady-1";
  std::uint64_t connected = 4800, target = 5000, local = 0, broker = 0;
};

Window busy(std::uint64_t scale) {
  Window w;
  w.connected = 97 * scale;
  w.target = 100 * scale;
  auto& d = w.delta;
  d.connects_ok = 3 * scale;
  d.publishes_sent[1] = 10 * scale;
  d.messages_received = 20 * scale;
  d.drops = 2 * scale;
  d.reconnects = scale;
  d.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::ConnackTimeout)] = 7;
  d.ack_latency.record(1'234'567, 10);
  d.e2e_latency.record(2'345'678, 10);
  d.time_to_connect.record(345'678, 10);
  w.total = d;
  w.total.drops = 50 * scale;
  w.total.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::ConnackTimeout)] = 9000;  // cumulative
  w.total.subscribe_requests = 1;
  w.broker = 9000;
  return w;
}

TEST(ProgressLine, NeverExceedsTheWidthWhateverTheNumbers) {
  ProgressPlan plan;
  plan.publish_target_per_s = 1e13;
  for (std::uint64_t scale : {1ull, 1000ull, 1000000ull, 1000000000000ull}) {
    Window w = busy(scale);
    w.phase = "a-phase-name-longer-than-the-line-itself-and-then-some-more";
    for (std::size_t width : {20u, 40u, 60u, 80u, 120u}) {
      const std::string line = format_progress(w.progress(), plan, width);
      EXPECT_LE(columns(line), width) << width << ": " << line;
      EXPECT_EQ(line.find('\n'), std::string::npos);
    }
  }
}

TEST(ProgressLine, PicksFieldsByImportanceAsTheWidthShrinks) {
  ProgressPlan plan;
  plan.publish_target_per_s = 1000;
  const Window w = busy(1);
  const std::string wide = format_progress(w.progress(), plan, 200);
  for (const char* field : {"[12s steady-1]", "connected 97/100", "pub 10/1000/s", "err 7/s", "drop 2/s", "reconn 1/s",
                            "ack p99 1.23 ms", "recv 20/s", "e2e p99 2.35 ms", "+3/s", "backoff 0"})
    EXPECT_NE(wide.find(field), std::string::npos) << field << " in " << wide;
  const std::string narrow = format_progress(w.progress(), plan, 60);
  EXPECT_LE(columns(narrow), 60u);
  // The essentials and the most important rates stay; the least important go first.
  for (const char* field : {"[12s steady-1]", "connected 97/100", "pub 10/1000/s", "err 7/s"})
    EXPECT_NE(narrow.find(field), std::string::npos) << field << " in " << narrow;
  EXPECT_EQ(narrow.find("backoff"), std::string::npos) << narrow;
  EXPECT_EQ(narrow.find("e2e p99"), std::string::npos) << narrow;
}

TEST(ProgressLine, ErrorsArePerSecondOfTheWindowNotCumulative) {
  Window w = busy(1);
  w.delta = {};
  w.delta.connect_failed_by_reason[static_cast<std::size_t>(device::DropReason::SocketError)] = 4;
  w.delta.drops_by_reason[static_cast<std::size_t>(device::DropReason::Churn)] = 100;  // on purpose: no error
  const std::string line = format_progress(w.progress(), ProgressPlan{}, 200);
  EXPECT_NE(line.find("err 4/s"), std::string::npos) << line;  // not the 9,000 of the whole run
  EXPECT_EQ(line.find("9000"), std::string::npos) << line;
}

TEST(ProgressLine, TheRampShowsItsOwnTargetAndRate) {
  ProgressPlan plan;
  plan.ramps.push_back({"ramp-0", 2500, 500});
  Window w;
  w.phase = "ramp-0";
  w.connected = 1234;
  w.target = 5000;
  w.delta.connects_ok = 498;
  const std::string line = format_progress(w.progress(), plan, 80);
  EXPECT_NE(line.find("connected 1234/2500 ramp @500/s"), std::string::npos) << line;
  EXPECT_NE(line.find("+498/s"), std::string::npos) << line;
  EXPECT_EQ(line.find("/5000"), std::string::npos) << line;
}

TEST(ProgressLine, RampTargetsComeFromThePhasesAndTheConnectRate) {
  auto s = scenario::parse_scenario(
      "name: p\ntarget: {endpoint: 127.0.0.1, port: 1883}\nfleet: {devices: 1000, connect_rate: 100/s}\n"
      "phases:\n  - {type: ramp, duration: 4s}\n  - {name: hold, type: steady, duration: 10s}\n"
      "  - {name: again, type: ramp, duration: 20s}\n",
      "p.yaml");
  const ProgressPlan plan = progress_plan(s);
  ASSERT_EQ(plan.ramps.size(), 2u);
  EXPECT_EQ(plan.ramps[0].phase, "ramp-0");
  EXPECT_EQ(plan.ramps[0].devices, 400u);  // 100/s for 4 s
  EXPECT_DOUBLE_EQ(plan.ramps[0].rate_per_s, 100.0);
  EXPECT_EQ(plan.ramps[1].devices, 1000u);  // by 34 s every device has started
  s.fleet.shard = {1, 4};
  EXPECT_EQ(progress_plan(s).ramps[0].devices, 100u);  // a shard paces at 25/s
}

TEST(ProgressLine, WidthComesFromColumnsThenTheTerminalThen80) {
  EXPECT_EQ(progress_columns(-1, false, nullptr), 80u);
  EXPECT_EQ(progress_columns(-1, false, "132"), 132u);
  EXPECT_EQ(progress_columns(-1, true, "100"), 100u);
  EXPECT_EQ(progress_columns(-1, true, nullptr), 80u);  // no terminal behind fd -1
  EXPECT_EQ(progress_columns(-1, false, "wide"), 80u);
  EXPECT_EQ(progress_columns(-1, false, "0"), 80u);
}

}  // namespace
}  // namespace fleetload::cli
