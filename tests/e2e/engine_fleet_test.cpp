// The engine against a real mosquitto: a fleet connects, publishes and stops cleanly;
// stop requests end a run early; broker-side and local-limit failures are told apart;
// oversized fleets are refused before anything starts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "e2e/mosquitto_fixture.hpp"
#include "engine/engine.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::engine {
namespace {

using namespace std::chrono_literals;

scenario::Scenario make(const std::string& yaml) { return scenario::parse_scenario(yaml, "engine-test.yaml"); }

std::string base(std::uint16_t port, int devices, const std::string& extra) {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) +
         ", protocol: mqtt311, connect_timeout: 2s}\n"
         "fleet: {devices: " + std::to_string(devices) + ", connect_rate: 2000/s}\n"
         "session: {keepalive: 30s, clean_session: true}\n"
         "reconnect: {min_delay: 200ms, max_delay: 1s}\n" + extra;
}


TEST(EngineFleet, ConnectsPublishesReceivesAndStopsCleanly) {
  e2e::MosquittoBroker broker({.extra_config = "", .log_connections = false});
  constexpr int kDevices = 400;
  auto s = make(base(broker.port(), kDevices,
                     "publish: {topic: \"eng/{index}/t\", qos: 1, rate: 4/s, payload: 64B}\n"
                     "subscribe: {filters: [{filter: \"eng/+/t\", qos: 1}], subscribers: 2}\n"
                     "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 4s}\n"));
  int progress_calls = 0;
  RunOptions o;
  o.threads = 2;
  o.on_progress = [&](const Progress& p) {
    ++progress_calls;
    EXPECT_EQ(p.target, static_cast<std::uint64_t>(kDevices));
    EXPECT_LE(p.connected, p.target);
  };
  Engine e(s, o);
  const RunResult r = e.run();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure << broker.log();
  EXPECT_EQ(r.devices, static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.threads, 2u);
  EXPECT_EQ(r.stats.connects_ok, static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.peak_connected, static_cast<std::uint64_t>(kDevices));
  ASSERT_TRUE(r.time_to_all_connected.has_value());
  // 400 devices at 2000/s: paced over ~0.2 s, not instantly and not much later.
  EXPECT_GE(r.time_to_all_connected->count(), 0.15);
  EXPECT_LT(r.time_to_all_connected->count(), 2.0);
  EXPECT_EQ(r.stats.clean_disconnects, static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.local_limit_errors, 0u);
  EXPECT_EQ(r.broker_errors, 0u);
  EXPECT_EQ(r.stats.connected, 0);  // everyone disconnected at the end
  // Books: every QoS 1 publish acknowledged; subscribers lost nothing.
  EXPECT_GT(r.stats.publish_requests[1], 0u);
  EXPECT_EQ(r.stats.publishes_acked[1], r.stats.publish_requests[1]);
  EXPECT_EQ(r.stats.messages_lost, 0u);
  EXPECT_EQ(r.stats.messages_duplicated, 0u);
  // Subscribers (the last indexes) connect last: what was sent before they subscribed is
  // not theirs to receive; about everything sent in the hold phase is (its first few ms
  // overlap the last SUBACKs).
  EXPECT_LE(r.stats.messages_received, 2 * r.stats.publishes_sent[1]);
  ASSERT_GE(r.phases.size(), 2u);
  EXPECT_GE(static_cast<double>(r.stats.messages_received), 0.99 * 2.0 * r.phases[1].stats.publishes_sent[1]);
  // Rate: 400 x 4/s = 1600/s requested; the steady phase delivers it within 3 %.
  EXPECT_DOUBLE_EQ(r.requested_publish_rate, 1600.0);
  EXPECT_NEAR(r.publish_rate_error, 0.0, 0.03) << r.achieved_publish_rate;
  ASSERT_GE(r.phases.size(), 2u);
  EXPECT_EQ(r.phases[1].name, "hold");
  // During the 0.2 s ramp publishers start one by one: about half the rate is due.
  EXPECT_NEAR(r.phases[0].requested_publish_rate, 800.0, 200.0);
  EXPECT_DOUBLE_EQ(r.phases[1].requested_publish_rate, 1600.0);
  EXPECT_NEAR((r.phases[1].end - r.phases[1].start).count(), 4.0, 0.3);
  EXPECT_GE(progress_calls, 3);
  EXPECT_GE(r.series.size(), 3u);
  EXPECT_GT(r.peak_rss_bytes, 0u);
  EXPECT_GT(r.cpu_user.count() + r.cpu_system.count(), 0.0);
}

TEST(EngineFleet, StopRequestEndsTheRunEarlyWithDisconnects) {
  e2e::MosquittoBroker broker({.extra_config = "", .log_connections = false});
  auto s = make(base(broker.port(), 100, "run: {duration: 60s}\n"));
  RunOptions o;
  o.threads = 2;
  Engine* self = nullptr;
  std::atomic<bool> asked{false};
  o.on_progress = [&](const Progress& p) {
    if (p.connected == p.target && !asked.exchange(true)) self->request_stop();
  };
  Engine e(s, o);
  self = &e;
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = e.run();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_TRUE(asked.load());
  EXPECT_EQ(r.exit_reason, ExitReason::Interrupted) << r.failure;
  EXPECT_EQ(r.stats.connects_ok, 100u);
  EXPECT_EQ(r.stats.clean_disconnects, 100u);
  EXPECT_EQ(r.stats.connected, 0);
}

TEST(EngineFleet, SecondStopRequestReturnsAtOnce) {
  // QoS 1 publishes in flight to a broker that stopped answering (SIGSTOP): the graceful
  // stop waits for their acks (up to half the 30 s grace); the second request cuts it short.
  e2e::MosquittoBroker broker({.extra_config = "", .log_connections = false});
  auto s = make(base(broker.port(), 50,
                     "publish: {topic: \"eng/{index}/t\", qos: 1, rate: 20/s}\n"
                     "run: {duration: 60s}\n"));
  RunOptions o;
  o.threads = 1;
  o.shutdown_grace = 30s;
  Engine* self = nullptr;
  int ticks = 0;
  std::int64_t in_flight_at_stop = 0;
  o.on_progress = [&](const Progress& p) {
    ++ticks;
    if (ticks == 1) broker.pause();
    if (ticks == 2) {
      in_flight_at_stop = p.total.in_flight;
      self->request_stop();
    }
    if (ticks == 3) self->request_stop();
  };
  Engine e(s, o);
  self = &e;
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = e.run();
  const auto took = std::chrono::steady_clock::now() - t0;
  broker.resume();
  EXPECT_GT(in_flight_at_stop, 0);  // the graceful path really had something to wait for
  EXPECT_LT(took, 8s);
  EXPECT_EQ(r.exit_reason, ExitReason::Interrupted);
}

TEST(EngineFleet, ChurnDropsAShareEachSecondAndStormDropsAllThenTheyReturn) {
  e2e::MosquittoBroker broker({.extra_config = "", .log_connections = false});
  constexpr int kDevices = 200;
  auto s = make(base(broker.port(), kDevices,
                     "phases:\n"
                     "  - type: ramp\n"
                     "  - {name: settle, type: steady, duration: 1s}\n"
                     "  - {name: churny, type: churn, duration: 3s, rate: 10%/s}\n"
                     "  - {name: calm, type: steady, duration: 2500ms}\n"
                     "  - {name: boom, type: storm, duration: 3s}\n"));
  s.reconnect.min_delay = 200ms;
  s.reconnect.max_delay = 400ms;
  s.reconnect.jitter = scenario::Jitter::None;
  RunOptions o;
  o.threads = 2;
  std::uint64_t connected_end_of_boom = 0;
  o.on_progress = [&](const Progress& p) {
    if (p.phase == "boom") connected_end_of_boom = p.connected;
  };
  Engine e(s, o);
  const RunResult r = e.run();
  ASSERT_EQ(r.exit_reason, ExitReason::Completed) << r.failure << broker.log();
  ASSERT_EQ(r.phases.size(), 5u);
  const auto churn = static_cast<std::size_t>(device::DropReason::Churn);
  // Churn: 10 %/s of ~200 connected for 3 s ~ 60 drops (the share is of those connected).
  const auto churned = r.phases[2].stats.drops_by_reason[churn];
  EXPECT_GE(churned, 40u);
  EXPECT_LE(churned, 80u);
  EXPECT_EQ(r.phases[1].stats.drops_by_reason[churn], 0u);  // none before the churn phase
  // Storm: every connected device dropped at once ...
  EXPECT_GE(r.phases[4].stats.drops_by_reason[churn], static_cast<std::uint64_t>(kDevices) - 5);
  // ... and all came back within the phase (backoff 200-400 ms).
  EXPECT_EQ(connected_end_of_boom, static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(r.broker_errors, 0u);
  EXPECT_EQ(r.local_limit_errors, 0u);
  EXPECT_EQ(r.stats.clean_disconnects, static_cast<std::uint64_t>(kDevices));
}

TEST(EngineFleet, RefusedConnectionsAreBrokerErrorsNotLocalLimits) {
  const std::uint16_t dead_port = e2e::pick_free_port();  // nothing listens there
  auto s = make(base(dead_port, 20, "run: {duration: 2s}\n"));
  Engine e(s, RunOptions{});
  const RunResult r = e.run();
  EXPECT_EQ(r.exit_reason, ExitReason::Completed) << r.failure;
  EXPECT_GE(r.broker_errors, 20u);
  EXPECT_EQ(r.local_limit_errors, 0u);
  EXPECT_EQ(r.stats.connects_ok, 0u);
}

TEST(EngineFleet, UnusableSourceAddressIsALocalLimit) {
  e2e::MosquittoBroker broker({.extra_config = "", .log_connections = false});
  // 192.0.2.1 (TEST-NET-1) is not an address of this host: bind() fails with
  // EADDRNOTAVAIL before any packet is sent.
  auto s = make(base(broker.port(), 10, "run: {duration: 2s}\n") );
  s.fleet.source_addresses = {"192.0.2.1"};
  Engine e(s, RunOptions{});
  const RunResult r = e.run();
  EXPECT_GE(r.local_limit_errors, 10u);
  EXPECT_EQ(r.broker_errors, 0u);
  EXPECT_EQ(r.stats.connects_ok, 0u);
}

TEST(EngineFleet, LoopbackSourceAddressesAreUsed) {
  e2e::MosquittoBroker broker({.extra_config = "", .log_connections = true});
  auto s = make(base(broker.port(), 30, "run: {duration: 2s}\n"));
  s.fleet.source_addresses = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
  Engine e(s, RunOptions{});
  const RunResult r = e.run();
  EXPECT_EQ(r.stats.connects_ok, 30u) << r.failure;
  const std::string log = broker.log();
  for (const char* a : {"127.0.0.2", "127.0.0.3", "127.0.0.4"})
    EXPECT_NE(log.find(a), std::string::npos) << a << " not seen by the broker\n" << log;
}

TEST(EngineFleet, OversizedShardIsRefusedBeforeStarting) {
  auto s = make(base(1, 1'000'000, "run: {duration: 2s}\n"));
  Engine e(s, RunOptions{});
  const RunResult r = e.run();
  EXPECT_EQ(r.exit_reason, ExitReason::RuntimeFailure);
  EXPECT_NE(r.failure.find("open files"), std::string::npos) << r.failure;
  // A descriptor per device, plus those open now, the event loops and the spare.
  EXPECT_NE(r.failure.find("need 1000"), std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find("1000000 devices + "), std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find(" worker threads x 2 + 2 control loops x 3 + 32 spare"), std::string::npos) << r.failure;
  EXPECT_EQ(r.stats.connect_attempts, 0u);
}

}  // namespace
}  // namespace fleetload::engine
