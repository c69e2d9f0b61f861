// Reconnect delays exactly as the AWS IoT SDK computes them (aws-c-mqtt mqtt5_client.c
// s_update_reconnect_delay_for_pending_reconnect; client.c s_attempt_reconnect for 3.1.1):
// exponential from min to max with the jitter modes none / full / decorrelated, plus the
// textbook decorrelated formula for firmware that implements it.
#pragma once

#include <cstdint>

namespace fleetload::device {

// scenario::Jitter::Default is Full, resolved when the FleetPlan is built.
enum class JitterMode : std::uint8_t {
  None,
  Full,
  // The SDK's DECORRELATED as it runs: its formula starts with "if the previous delay is 0,
  // draw as FULL", and the MQTT 5 client never records a previous delay
  // (current_reconnect_delay_ms stays 0), so every draw is a FULL draw.
  Decorrelated,
  // The published formula: rand(min, 3 * previous), FULL for the first draw.
  DecorrelatedTextbook,
};
const char* to_string(JitterMode m) noexcept;

struct BackoffPolicy {
  std::uint64_t min_ms = 1000;
  std::uint64_t max_ms = 120000;
  JitterMode mode = JitterMode::Full;
  // A connection that stayed up at least this long past its CONNACK resets the attempt
  // count; shorter ones keep it (the delay keeps doubling across successful reconnects).
  // 0 = any accepted connection resets. SDK: 10 s (3.1.1, fixed), 30 s (MQTT 5).
  std::uint64_t reset_after_ms = 30000;
};

// min * 2^n, saturating at UINT64_MAX.
std::uint64_t exponential_ms(std::uint64_t min_ms, std::uint32_t n) noexcept;

// The delay before the next attempt, where `n` failed attempts happened since the last
// reset and `prev_ms` was the previous delay (0 before the first):
//   None:                 min(max, min * 2^n)   (also the 3.1.1 client's doubling)
//   Full, Decorrelated:   min(max, rand(0, min * 2^n))
//   DecorrelatedTextbook: prev == 0 ? as Full : min(max, rand(min, 3 * prev))
std::uint64_t reconnect_delay_ms(const BackoffPolicy& p, std::uint32_t n, std::uint64_t prev_ms,
                                 std::uint64_t& rng) noexcept;

// The per-device part: 8 bytes.
struct BackoffState {
  std::uint32_t attempts = 0;  // n: failed attempts since the last reset
  std::uint32_t prev_ms = 0;   // previous delay, saturated to 32 bits (~49 days); textbook only

  // Draws the next delay and advances n.
  std::uint64_t next(const BackoffPolicy& p, std::uint64_t& rng) noexcept;
  void reset() noexcept { attempts = 0; prev_ms = 0; }
};

}  // namespace fleetload::device
