// Limit arithmetic: refusals carry needed/available numbers and advice; phases resolve.
#include <gtest/gtest.h>

#include <cerrno>

#include "engine/limits.hpp"
#include "engine/phases.hpp"
#include "net/tcp_stream.hpp"

namespace fleetload::engine {
namespace {

SystemLimits box() {
  SystemLimits s;
  s.nofile_soft = s.nofile_hard = 20000;
  s.port_low = 32768;
  s.port_high = 60999;  // 28232 ports
  return s;
}

TEST(EngineLimits, FleetWithinLimitsPasses) {
  FleetShape f{.devices = 19000, .fleet_devices = 19000, .shard_count = 1, .source_addresses = 0, .endpoints = 1};
  EXPECT_TRUE(check_limits(f, box()).empty());
}

TEST(EngineLimits, TooManyDescriptorsIsRefusedWithTheArithmeticAndShardAdvice) {
  FleetShape f{.devices = 100000, .fleet_devices = 100000, .shard_count = 1, .source_addresses = 4, .endpoints = 1};
  auto problems = check_limits(f, box());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].needed, 100000 + descriptors_needed(FleetShape{.threads = 1}, box()));
  EXPECT_EQ(problems[0].available, 20000u);
  const std::string text = problems[0].format();
  // 100000 devices + 0 open + 1 worker loop x 2 + 2 control loops x 3 + 32 spare.
  EXPECT_NE(text.find("need 100040, have 20000"), std::string::npos) << text;
  EXPECT_NE(text.find("--shard K/6"), std::string::npos) << text;  // 100000 / 19960 -> 6
}

TEST(EngineLimits, WorkerThreadsCountTheirEventLoops) {
  SystemLimits s = box();
  s.nofile_soft = s.nofile_hard = 1000;
  s.open_descriptors = 5;
  s.descriptors_per_worker_loop = 2;
  s.descriptors_per_control_loop = 3;
  FleetShape f{.devices = 900, .threads = 32, .fleet_devices = 900, .shard_count = 1, .source_addresses = 0,
               .endpoints = 1};
  auto problems = check_limits(f, s);
  ASSERT_EQ(problems.size(), 1u);
  // 900 + 5 + 32 x 2 + 2 x 3 + 32 = 1007.
  EXPECT_EQ(problems[0].needed, 1007u);
  const std::string text = problems[0].format();
  EXPECT_NE(text.find("900 devices + 5 open now + 32 worker threads x 2 + 2 control loops x 3 + 32 spare = 1007 > "
                      "limit 1000"),
            std::string::npos)
      << text;
  // (1000 - 943) / 2 = 28 worker loops.
  EXPECT_NE(text.find("use at most --threads 28"), std::string::npos) << text;
  f.threads = 28;
  EXPECT_TRUE(check_limits(f, s).empty());  // 943 + 28 x 2 = 999
  f.threads = 29;
  EXPECT_FALSE(check_limits(f, s).empty());  // 1001
}

TEST(EngineLimits, EventLoopDescriptorsAreMeasuredHere) {
  // A worker's EventLoop: an epoll set and an eventfd. Asio's epoll reactor: an epoll set, an
  // eventfd and a timerfd per io_context on Linux.
  EXPECT_EQ(descriptors_per_worker_loop(), 2u);
  EXPECT_EQ(descriptors_per_control_loop(), 3u);
  EXPECT_GE(open_descriptor_count(), 3u);  // stdin, stdout, stderr at least
  const auto sys = read_system_limits();
  EXPECT_EQ(sys.descriptors_per_worker_loop, 2u);
  EXPECT_EQ(sys.descriptors_per_control_loop, 3u);
  EXPECT_GE(sys.open_descriptors, 3u);
}

TEST(EngineLimits, TooManyConnectionsPerSourceEndpointPairIsRefused) {
  SystemLimits s = box();
  s.nofile_soft = s.nofile_hard = 1'000'000;
  FleetShape f{.devices = 100000, .fleet_devices = 100000, .shard_count = 1, .source_addresses = 0, .endpoints = 1};
  auto problems = check_limits(f, s);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].needed, 100000u);
  EXPECT_EQ(problems[0].available, 28232u);
  EXPECT_NE(problems[0].advice.find("at least 4 fleet.source_addresses"), std::string::npos) << problems[0].advice;
  // Four source addresses spread 25000 per pair: fits.
  f.source_addresses = 4;
  EXPECT_TRUE(check_limits(f, s).empty());
  // So do two endpoints with two sources.
  f.source_addresses = 2;
  f.endpoints = 2;
  EXPECT_TRUE(check_limits(f, s).empty());
}

TEST(EngineLimits, MoreThanHalfThePortRangePerPairWarnsWithoutRefusing) {
  SystemLimits s = box();
  FleetShape f{.devices = 19000, .fleet_devices = 19000, .shard_count = 1, .source_addresses = 0, .endpoints = 1};
  EXPECT_TRUE(check_limits(f, s).empty());
  auto w = limit_warnings(f, s);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("19000 connections per (source address, endpoint)"), std::string::npos) << w[0];
  f.source_addresses = 2;
  EXPECT_TRUE(limit_warnings(f, s).empty());
}

TEST(EngineLimits, BusiestPairRoundsUp) {
  EXPECT_EQ(max_devices_per_pair(10, 3, 1), 4u);
  EXPECT_EQ(max_devices_per_pair(10, 0, 0), 10u);
  EXPECT_EQ(max_devices_per_pair(12, 2, 3), 2u);
}

TEST(EngineLimits, ReadingSystemLimitsRaisesSoftToHard) {
  const auto s = read_system_limits();
  EXPECT_EQ(s.nofile_soft, s.nofile_hard);
  EXPECT_GT(s.ports(), 0u);
  EXPECT_GT(current_rss_bytes(), 0u);
}

TEST(EngineLimits, LocalLimitErrorsAreToldApartFromBrokerFailures) {
  auto sys = [](int e) { return net::error_code(e, boost::system::system_category()); };
  for (int e : {EMFILE, ENFILE, EADDRNOTAVAIL, EADDRINUSE, ENOBUFS})
    EXPECT_EQ(net::classify(sys(e)), net::FailureSide::Local) << e;
  for (int e : {ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, EPIPE})
    EXPECT_EQ(net::classify(sys(e)), net::FailureSide::Remote) << e;
  EXPECT_EQ(net::classify(boost::asio::error::eof), net::FailureSide::Remote);
}

TEST(EngineLimits, ConnectFailuresAreNamedByTheirCause) {
  auto sys = [](int e) { return net::error_code(e, boost::system::system_category()); };
  using F = net::ConnectFailure;
  EXPECT_EQ(net::connect_failure_of(sys(ECONNREFUSED)), F::Refused);
  EXPECT_EQ(net::connect_failure_of(sys(ETIMEDOUT)), F::Timeout);
  EXPECT_EQ(net::connect_failure_of(boost::asio::error::timed_out), F::Timeout);
  // Our own deadline passes a generic timed_out.
  EXPECT_EQ(net::connect_failure_of(net::error_code(std::make_error_code(std::errc::timed_out))), F::Timeout);
  EXPECT_EQ(net::connect_failure_of(sys(EHOSTUNREACH)), F::HostUnreachable);
  EXPECT_EQ(net::connect_failure_of(sys(ENETUNREACH)), F::NetUnreachable);
  EXPECT_EQ(net::connect_failure_of(sys(ECONNRESET)), F::Reset);
  EXPECT_EQ(net::connect_failure_of(sys(EACCES)), F::Other);
  EXPECT_EQ(net::connect_failure_of(sys(EMFILE)), F::None);  // a local limit: counted apart
  EXPECT_EQ(net::connect_failure_of({}), F::None);
  EXPECT_EQ(net::resolve_failure_of(boost::asio::error::host_not_found), F::NameNotResolved);
  EXPECT_EQ(net::resolve_failure_of(boost::asio::error::host_not_found_try_again), F::ResolutionFailed);
  EXPECT_EQ(net::resolve_failure_of(boost::asio::error::no_recovery), F::ResolutionFailed);
  EXPECT_STREQ(net::to_string(F::HostUnreachable), "host_unreachable");
  EXPECT_STREQ(net::to_string(F::NameNotResolved), "name_not_resolved");
}

TEST(EnginePhases, NoPhasesMeansRampThenSteadyToTheEnd) {
  auto p = plan_phases({}, std::chrono::milliseconds(60000), 19000, 2000.0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].type, scenario::PhaseType::Ramp);
  EXPECT_EQ(p[0].end.count(), 9500);
  EXPECT_EQ(p[1].type, scenario::PhaseType::Steady);
  EXPECT_EQ(p[1].start.count(), 9500);
  EXPECT_EQ(p[1].end.count(), 60000);
}

TEST(EnginePhases, PhasesAreCutToTheRunDuration) {
  scenario::Phase a;
  a.name = "up";
  a.type = scenario::PhaseType::Ramp;
  a.duration = std::chrono::milliseconds(10000);
  scenario::Phase b;
  b.name = "churny";
  b.type = scenario::PhaseType::Churn;
  b.duration = std::chrono::milliseconds(30000);
  b.churn_share_per_second = 0.01;
  scenario::Phase c;
  c.name = "never";
  c.type = scenario::PhaseType::Steady;
  c.duration = std::chrono::milliseconds(10000);
  auto p = plan_phases({a, b, c}, std::chrono::milliseconds(25000), 100, 10.0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].name, "churny");
  EXPECT_EQ(p[1].end.count(), 25000);
  EXPECT_DOUBLE_EQ(p[1].churn_share_per_second, 0.01);
}

TEST(EnginePhases, ShardConnectRateSplitsTheFleetRate) {
  scenario::Scenario s;
  s.fleet.connect_rate.per_second = 6000;
  s.fleet.shard = {2, 6};
  EXPECT_DOUBLE_EQ(shard_connect_rate(s), 1000.0);
  scenario::Phase r;
  r.type = scenario::PhaseType::Ramp;
  r.connect_rate = scenario::Rate{600};
  s.phases = {r};
  EXPECT_DOUBLE_EQ(shard_connect_rate(s), 100.0);
}

}  // namespace
}  // namespace fleetload::engine
