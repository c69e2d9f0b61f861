// Live progress on stderr: one updating line on a terminal, plain lines otherwise, always
// fitting the terminal's width (fields picked by importance until the line is full).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace fleetload::cli {

// What the progress line compares the run against, from the scenario.
struct ProgressPlan {
  double publish_target_per_s = 0.0;  // this shard with every publisher connected (0 = none)
  // Each ramp phase of the run: the devices connected by its end if the pace holds, and its
  // connect rate (this shard's).
  struct Ramp {
    std::string phase;
    std::uint64_t devices = 0;
    double rate_per_s = 0.0;
  };
  std::vector<Ramp> ramps;
};

// The plan of a validated scenario (shard and run duration as it will run).
ProgressPlan progress_plan(const scenario::Scenario& s);

class ProgressPrinter {
 public:
  // `tty`: whether `out` is a terminal (then the line updates in place and follows the
  // terminal's width).
  ProgressPrinter(std::FILE* out, bool tty, ProgressPlan plan);

  void print(const engine::Progress& p);
  // Ends an updating line so what follows starts on a fresh line.
  void finish();

 private:
  std::FILE* out_;
  bool tty_;
  ProgressPlan plan_;
  std::atomic<bool> line_open_{false};  // finish() may run on the signal thread
};

// The progress line's text (no newline), at most `columns` display columns: the elapsed
// time and phase, connected / target (in a ramp: / the ramp's own target, and its rate), then
// as room allows, by importance: publishes/s vs target, errors/s (local limits told apart),
// connects/s, drops/s and reconnects/s, p99 ack latency, receives/s, p99 end-to-end and
// connect latency, devices backing off. Every rate is per second over the last interval.
std::string format_progress(const engine::Progress& p, const ProgressPlan& plan, std::size_t columns);

// The width to fit: $COLUMNS when it holds a number, else the terminal's width (TIOCGWINSZ on
// `fd`) when `tty`, else 80.
std::size_t progress_columns(int fd, bool tty, const char* columns_env);

// Publishes per second the shard should reach once every publisher is connected.
double publish_target_per_s(const scenario::Scenario& s);

}  // namespace fleetload::cli
