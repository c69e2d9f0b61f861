// One simulated device's MQTT session as a sans-I/O state machine.
//
// The engine owns sockets and timers; the session owns MQTT. The engine calls one of the
// on_* entry points with a per-thread Context, then carries out what the session asked for
// in that Context: write ctx.out to the transport, open or close the transport, and call
// on_timer() when deadline() is reached. Nothing here blocks, locks, or knows threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "device/stats.hpp"
#include "mqtt/codec.hpp"

namespace fleetload::scenario { struct Scenario; }

namespace fleetload::device {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
inline constexpr TimePoint kNever = TimePoint::max();

class FleetPlan;  // immutable, shared by all sessions of a run: see fleet_plan.hpp

// Why the transport went down, as a label for metrics and the report.
enum class DropReason : std::uint8_t {
  None,
  ConnectFailed,     // TCP/TLS/WS could not be established
  ConnackTimeout,    // no CONNACK within the CONNACK timeout
  ConnackRefused,    // CONNACK with a failure code (counted by code in stats)
  PingTimeout,       // no PINGRESP within the ping timeout
  ServerDisconnect,  // DISCONNECT from the server (MQTT 5, counted by reason code)
  ProtocolError,     // the broker sent bytes our decoder rejects
  SocketError,       // read/write error or EOF from the broker
  Churn,             // the scenario dropped it on purpose (churn / storm phases)
  LocalLimit,        // we hit a local limit (descriptors, ephemeral ports): not the broker
  Shutdown,          // the run is ending
};
const char* to_string(DropReason r) noexcept;

// What the session asks the engine to do once the current call returns.
enum class TransportAction : std::uint8_t {
  None,
  Open,   // start connecting (TCP, then TLS/WS as the auth mode says), then call on_transport_up
  Close,  // write whatever is in ctx.out, then close; do NOT call on_transport_down for it
};

// Per-thread scratch passed into every call; the session never keeps a pointer to it.
struct Context {
  TimePoint now{};
  std::uint64_t wall_ns = 0;            // system_clock now, in ns: payload timestamps
  std::vector<std::uint8_t>& out;       // bytes to send; the engine writes and clears it
  TransportAction action = TransportAction::None;
  ThreadStats& stats;                   // owned by the worker thread, read by scrapes
  std::uint64_t rng_state = 0;          // the worker's xorshift state (sessions draw from it)
};

enum class State : std::uint8_t {
  Idle,          // not started, or stopped for good
  Connecting,    // transport being opened
  AwaitConnack,  // CONNECT sent
  Connected,     // CONNACK accepted: subscribing / publishing / keeping alive
  Disconnecting, // DISCONNECT sent, closing
  BackingOff,    // waiting for the reconnect delay
  Stopped,       // shut down; will not reconnect
};

class Session {
 public:
  Session(const FleetPlan& plan, std::uint32_t device_index);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Begin the device's life: asks the engine to open the transport (action = Open).
  void start(Context& ctx);
  // The transport is up: sends CONNECT, arms the CONNACK timeout.
  void on_transport_up(Context& ctx);
  // Bytes from the broker, in any chunking.
  void on_data(Context& ctx, std::span<const std::uint8_t> bytes);
  // The transport failed or closed under us (not after our own Close).
  void on_transport_down(Context& ctx, DropReason why, std::error_code ec);
  // deadline() has been reached (the engine may call late, never early).
  void on_timer(Context& ctx);
  // Drop the connection as a network failure would (churn/storm): no DISCONNECT is sent,
  // the reconnect policy applies.
  void drop(Context& ctx);
  // End of run: DISCONNECT (normal) when connected, then Close; never reconnects.
  void stop(Context& ctx);

  TimePoint deadline() const noexcept;
  State state() const noexcept;
  std::uint32_t index() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetload::device
