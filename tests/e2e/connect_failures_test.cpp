// Failed TCP connects and name lookups through the fleetload binary, told apart and named:
// refused, timed out (a listener of the test's own whose accept queue is full), which of
// two endpoints failed (mosquitto counts the devices that did connect), a name that does not
// resolve before the run (exit 2 naming it) and a name that stops resolving mid-run (counted,
// the run carries on). Each cause is in the summary and in JSON errors.connect_failures.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class ConnectFailures : public ::testing::Test {
 protected:
  fs::path dir_ = make_temp_dir("connect-failures");
  void TearDown() override {
    if (!HasFailure() && std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_);
  }
  Outcome run(const std::string& yaml, std::chrono::seconds timeout = 60s) {
    const fs::path file = write_file(dir_, "s.yaml", yaml);
    const fs::path report = dir_ / "report.json";
    return run_fleetload({"run", file.string(), "--report", report.string(), "--no-progress", "--no-metrics", "--threads", "1"},
                         dir_, timeout, report);
  }
};

// {result, reason, endpoint} -> count from errors.connect_failures (0 when absent).
std::uint64_t cause(const boost::json::value& rep, const std::string& result, const std::string& reason,
                    const std::string& endpoint = "") {
  std::uint64_t n = 0;
  for (const auto& c : rep.at("errors").at("connect_failures").as_array()) {
    const auto& o = c.as_object();
    const std::string ep = o.contains("endpoint") ? std::string(o.at("endpoint").as_string()) : "";
    if (o.at("result").as_string() == result && o.at("reason").as_string() == reason && ep == endpoint)
      n += u64(o.at("count"));
  }
  return n;
}

std::string scenario(const std::string& endpoints, int devices, const std::string& extra = "") {
  return "target:\n  endpoints: [" + endpoints + "]\n  connect_timeout: 300ms\n" + extra +
         "fleet: {devices: " + std::to_string(devices) + ", connect_rate: 100/s}\n"
         "reconnect: {min_delay: 100ms, max_delay: 200ms}\n"
         "run: {duration: 2s}\n";
}

TEST_F(ConnectFailures, RefusedConnectsAreNamedWithTheirEndpoint) {
  const std::uint16_t port = pick_free_port();  // nothing listens there
  const std::string ep = "127.0.0.1:" + std::to_string(port);
  const Outcome o = run(scenario("\"" + ep + "\"", 3));
  ASSERT_TRUE(o.report.has_value()) << o.describe();
  const auto& rep = *o.report;
  const std::uint64_t failed = counter(rep, "connect_failures");
  EXPECT_GE(failed, 6u) << o.describe();  // 3 devices, retrying every 100-200 ms for 2 s
  EXPECT_EQ(cause(rep, "tcp_failed", "refused", ep), failed) << boost::json::serialize(rep.at("errors"));
  EXPECT_NE(o.out.find("tcp_failed/refused to " + ep + " " + std::to_string(failed)), std::string::npos) << o.out;
  // A refused connect is the broker side's doing, not a local fault.
  EXPECT_EQ(u64(rep.at("errors").at("broker")), failed);
  EXPECT_EQ(u64(rep.at("errors").at("local")), 0u);
}

// A listener of the test's own with a full accept queue: SYNs get no answer.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 0) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("listener");
    port_ = ntohs(a.sin_port);
    // Fill the accept queue (never accepted): later connects time out.
    filler_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(filler_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("filler");
  }
  ~SilentListener() {
    ::close(filler_);
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  int filler_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(ConnectFailures, UnansweredConnectsAreTimeouts) {
  SilentListener silent;
  const std::string ep = "127.0.0.1:" + std::to_string(silent.port());
  const Outcome o = run(scenario("\"" + ep + "\"", 2));
  ASSERT_TRUE(o.report.has_value()) << o.describe();
  const auto& rep = *o.report;
  const std::uint64_t failed = counter(rep, "connect_failures");
  EXPECT_GE(failed, 2u) << o.describe();
  EXPECT_EQ(cause(rep, "tcp_failed", "timeout", ep), failed) << boost::json::serialize(rep.at("errors"));
  EXPECT_EQ(cause(rep, "tcp_failed", "refused", ep), 0u);
  EXPECT_NE(o.out.find("tcp_failed/timeout to " + ep), std::string::npos) << o.out;
}

std::size_t occurrences(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST_F(ConnectFailures, OnlyTheFailingEndpointIsBlamed) {
  MosquittoBroker broker;
  const std::uint16_t dead = pick_free_port();
  const std::string good = "127.0.0.1:" + std::to_string(broker.port());
  const std::string bad = "127.0.0.1:" + std::to_string(dead);
  // Devices alternate over the two endpoints: 0 and 2 go to the broker, 1 and 3 nowhere.
  const Outcome o = run(scenario("\"" + good + "\", \"" + bad + "\"", 4));
  ASSERT_TRUE(o.report.has_value()) << o.describe();
  const auto& rep = *o.report;
  EXPECT_EQ(counter(rep, "connects_ok"), 2u) << o.describe();
  // The broker saw exactly the two devices of its own endpoint.
  EXPECT_EQ(occurrences(broker.log(), "New client connected"), 2u) << broker.log();
  const std::uint64_t failed = counter(rep, "connect_failures");
  EXPECT_GE(failed, 2u);
  EXPECT_EQ(cause(rep, "tcp_failed", "refused", bad), failed);
  EXPECT_EQ(cause(rep, "tcp_failed", "refused", good), 0u);
}

TEST_F(ConnectFailures, ANameThatDoesNotResolveBeforeTheRunIsBadInput) {
  const auto t0 = std::chrono::steady_clock::now();
  const Outcome o = run(scenario("\"fleetload-e2e-nowhere.invalid:1883\"", 2), 30s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
  EXPECT_EQ(o.status.code, 2) << o.describe();
  EXPECT_NE(o.err.find("target endpoint \"fleetload-e2e-nowhere.invalid:1883\" cannot be resolved: the name does "
                       "not exist (name_not_resolved"),
            std::string::npos)
      << o.err;
  EXPECT_FALSE(o.report.has_value());
}

// A name that stops resolving during the run: the broker is reached through a name of the
// test's own, in a private /etc/hosts (bind-mounted in a user + mount namespace of the child
// only). Once all devices are up the test removes the name; a storm then makes every device
// reconnect, and those attempts fail as dns_failed/name_not_resolved until the run ends.
TEST_F(ConnectFailures, ANameThatStopsResolvingMidRunIsCountedNotFatal) {
  if (std::system("unshare --user --map-root-user --mount true >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "unprivileged user namespaces are not available here";
  MosquittoBroker broker;
  const std::string name = "fleetload-e2e-broker.invalid";
  const fs::path hosts = dir_ / "hosts";
  std::ofstream(hosts) << "127.0.0.1 localhost\n127.0.0.1 " << name << "\n";
  const std::string ep = name + ":" + std::to_string(broker.port());
  const fs::path file = write_file(dir_, "s.yaml",
                                   "target:\n  endpoint: \"" + ep + "\"\n  connect_timeout: 300ms\n"
                                   "  dns_refresh: 100ms\n"
                                   "fleet: {devices: 4, connect_rate: 100/s}\n"
                                   "reconnect: {min_delay: 100ms, max_delay: 200ms}\n"
                                   "run: {progress_interval: 200ms}\n"
                                   "phases:\n  - {type: ramp}\n  - {type: steady, duration: 3s}\n"
                                   "  - {type: storm, duration: 2s}\n");
  const fs::path report = dir_ / "report.json";
  ChildProcess p({"/usr/bin/unshare", "--user", "--map-root-user", "--mount", "/bin/sh", "-c",
                  "mount --bind \"$0\" /etc/hosts && exec \"$@\"", hosts.string(), fleetload_binary().string(),
                  "run", file.string(), "--report", report.string(), "--threads", "1", "--no-metrics"},
                 dir_ / "run.out", dir_ / "run.err");
  ASSERT_TRUE(wait_for_stderr(p, "connected 4/4", 10s)) << p.stderr_text();
  std::ofstream(hosts, std::ios::trunc) << "127.0.0.1 localhost\n";  // same inode: the mount sees it
  const Outcome o = finish(p, 60s, report);
  ASSERT_EQ(o.status.code, 0) << o.describe();
  ASSERT_TRUE(o.report.has_value()) << o.describe();
  const auto& rep = *o.report;
  EXPECT_EQ(counter(rep, "connects_ok"), 4u) << o.describe();
  EXPECT_EQ(occurrences(broker.log(), "New client connected"), 4u) << broker.log();
  const std::uint64_t dns = cause(rep, "dns_failed", "name_not_resolved", ep);
  EXPECT_GE(dns, 4u) << boost::json::serialize(rep.at("errors"));
  EXPECT_EQ(dns, counter(rep, "connect_failures")) << boost::json::serialize(rep.at("errors"));
  EXPECT_NE(o.out.find("dns_failed/name_not_resolved to " + ep), std::string::npos) << o.out;
}

}  // namespace
}  // namespace fleetload::e2e
