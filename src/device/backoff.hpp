// Reconnect delays exactly as the AWS IoT SDK computes them (aws-iot-connect-modes.md §7):
// exponential from min to max with the jitter modes none / full / decorrelated.
#pragma once

#include <cstdint>

namespace fleetload::device {

// scenario::Jitter::Default is Full (§7), resolved when the FleetPlan is built.
enum class JitterMode : std::uint8_t { None, Full, Decorrelated };
const char* to_string(JitterMode m) noexcept;

struct BackoffPolicy {
  std::uint64_t min_ms = 1000;
  std::uint64_t max_ms = 120000;
  JitterMode mode = JitterMode::Full;
  // Connected at least this long resets the attempt count; 0 = reset on CONNACK success
  // (the MQTT 3.1.1 client's behaviour).
  std::uint64_t reset_after_ms = 30000;
};

// min * 2^n, saturating at UINT64_MAX.
std::uint64_t exponential_ms(std::uint64_t min_ms, std::uint32_t n) noexcept;

// The delay before the next attempt, where `n` failed attempts happened since the last
// reset and `prev_ms` was the previous delay (0 before the first):
//   None:         min(max, min * 2^n)
//   Full:         min(max, rand(0, min * 2^n))
//   Decorrelated: prev == 0 ? as Full : min(max, rand(min, 3 * prev))
std::uint64_t reconnect_delay_ms(const BackoffPolicy& p, std::uint32_t n, std::uint64_t prev_ms,
                                 std::uint64_t& rng) noexcept;

// The per-device part: 8 bytes.
struct BackoffState {
  std::uint32_t attempts = 0;  // n: failed attempts since the last reset
  std::uint32_t prev_ms = 0;   // previous delay, saturated to 32 bits (~49 days)

  // Draws the next delay and advances n.
  std::uint64_t next(const BackoffPolicy& p, std::uint64_t& rng) noexcept;
  void reset() noexcept { attempts = 0; prev_ms = 0; }
};

}  // namespace fleetload::device
