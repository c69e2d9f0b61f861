// The exporter's failure paths against real sockets: a busy listen address, an unreachable
// or silent Pushgateway (bounded by the push timeout), and scrapes that see only the latest
// state and notice the final one.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "engine/engine.hpp"
#include "metrics/exporter.hpp"

namespace fleetload::e2e {
namespace {

TEST(MetricsExporterErrors, BusyListenAddressIsAClearErrorNamingIt) {
  metrics::ExporterOptions o;
  o.listen = "127.0.0.1:0";
  metrics::Exporter first(o);
  ASSERT_NE(first.listen_port(), 0);
  o.listen = "127.0.0.1:" + std::to_string(first.listen_port());
  try {
    metrics::Exporter second(o);
    FAIL() << "a second exporter bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(o.listen), std::string::npos) << e.what();
  }
}

TEST(MetricsExporterErrors, UnreachablePushgatewayFailsTheFinalPushWithAReason) {
  metrics::ExporterOptions o;
  o.listen.clear();
  o.pushgateway = "http://127.0.0.1:" + std::to_string(pick_free_port());
  o.push_interval = std::chrono::milliseconds(0);
  metrics::Exporter e(o);
  EXPECT_EQ(e.listen_port(), 0);
  EXPECT_FALSE(e.finish(engine::RunResult{}));
  EXPECT_NE(e.last_push_error().find("connection failed"), std::string::npos) << e.last_push_error();
  EXPECT_EQ(e.pushes_ok(), 0u);
  o.pushgateway = "127.0.0.1:9091";  // no scheme
  EXPECT_THROW(metrics::Exporter{o}, std::runtime_error);
}

TEST(MetricsExporterErrors, SilentPushgatewayCannotHoldTheRunPastThePushTimeout) {
  // A socket that listens and never answers: connect succeeds (backlog), the reply never comes.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  metrics::ExporterOptions o;
  o.listen.clear();
  o.pushgateway = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  o.push_interval = std::chrono::milliseconds(0);
  o.push_timeout = std::chrono::milliseconds(300);
  metrics::Exporter e(o);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(e.finish(engine::RunResult{}));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_NE(e.last_push_error().find("connection failed"), std::string::npos) << e.last_push_error();
  ::close(fd);
}

TEST(MetricsExporterErrors, ScrapeServesTheLatestStateOnly) {
  metrics::ExporterOptions o;
  o.listen = "127.0.0.1:0";
  metrics::Exporter e(o);
  metrics::ExportState st;
  st.total.connects_ok = 41;
  e.set_state(st);
  EXPECT_EQ(sample_value(http_get(e.listen_port(), "/metrics").body, "fleetload_connects_ok_total"), 41.0);
  st.total.connects_ok = 42;
  e.set_state(st);
  EXPECT_EQ(sample_value(http_get(e.listen_port(), "/metrics").body, "fleetload_connects_ok_total"), 42.0);
  // Scrapes before the end do not count as having seen the final values.
  EXPECT_FALSE(e.wait_for_final_scrape(std::chrono::milliseconds(0)));
  engine::RunResult r;
  r.stats.connects_ok = 43;
  e.finish(r);
  EXPECT_FALSE(e.wait_for_final_scrape(std::chrono::milliseconds(200)));
  EXPECT_EQ(sample_value(http_get(e.listen_port(), "/metrics").body, "fleetload_connects_ok_total"), 43.0);
  EXPECT_TRUE(e.wait_for_final_scrape(std::chrono::milliseconds(0)));
}

}  // namespace
}  // namespace fleetload::e2e
