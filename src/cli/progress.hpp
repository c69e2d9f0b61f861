// Live progress on stderr: one updating line on a terminal, plain lines otherwise.
#pragma once

#include <atomic>
#include <cstdio>
#include <string>

#include "engine/engine.hpp"

namespace fleetload::cli {

class ProgressPrinter {
 public:
  // `publish_target_per_s`: what this shard should publish per second with the fleet up
  // (0 = no publishing). `tty`: whether `out` is a terminal.
  ProgressPrinter(std::FILE* out, bool tty, double publish_target_per_s);

  void print(const engine::Progress& p);
  // Ends an updating line so what follows starts on a fresh line.
  void finish();

 private:
  std::FILE* out_;
  bool tty_;
  double publish_target_;
  std::atomic<bool> line_open_{false};  // finish() may run on the signal thread
};

// The progress line's text (no newline): connected/target, connects/s, publishes/s vs target,
// receives/s, errors, p99 latencies of the last window.
std::string format_progress(const engine::Progress& p, double publish_target_per_s);

// Publishes per second the shard should reach once every publisher is connected.
double publish_target_per_s(const scenario::Scenario& s);

}  // namespace fleetload::cli
