// A reconnect storm under the MQTT 5 SDK's `rejoin_post_success` session behaviour, end to
// end: 200 AWS IoT devices (Device Shadow with `fleetload responder`, plus an application
// subscription) reach a real mosquitto through a proxy of the test's own, which then drops
// every connection at once, twice:
//   1. a short outage: every device reconnects within its session's expiry, asks to rejoin,
//      the broker still has the session, and nothing is subscribed again (the broker kept it);
//   2. an outage longer than the session expiry (the proxy refuses reconnects until mosquitto
//      has expired every session): every device asks to rejoin, the broker has no session, and
//      every subscription (the shadow's answer topics and the application's) is made again.
// The rule is checked per device from mosquitto's own log (CONNECT clean-start flag, CONNACK
// session-present flag, SUBSCRIBE, expiry), not from fleetload's counts; the shadow `get` that
// follows every connect is checked against the responder's own books.
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/rate_limit_proxy.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kDevices = 200;

// Polls `ready` (an external process's log) until true or `timeout`.
bool await(const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

// Per device ("dev-<i>"), what mosquitto logged about it, in order, one letter each:
// C/c: CONNECT with Clean Start 1/0; P/p: CONNACK with Session Present 1/0; S: a SUBSCRIBE;
// X: its session expired.
std::map<std::string, std::string> events_by_device(const std::string& log) {
  static const std::regex connect(R"(New client connected from \S+ as (dev-\d+) \(p\d, c(\d))");
  static const std::regex connack(R"(Sending CONNACK to (dev-\d+) \((\d), \d+\))");
  static const std::regex subscribe(R"(Received SUBSCRIBE from (dev-\d+)$)");
  static const std::regex expire(R"(Expiring client (dev-\d+) due to timeout)");
  std::map<std::string, std::string> out;
  std::istringstream in(log);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, connect)) out[m[1]] += m[2] == "1" ? 'C' : 'c';
    else if (std::regex_search(line, m, connack)) out[m[1]] += m[2] == "1" ? 'P' : 'p';
    else if (std::regex_search(line, m, subscribe)) out[m[1]] += 'S';
    else if (std::regex_search(line, m, expire)) out[m[1]] += 'X';
  }
  return out;
}

std::size_t devices_with(const std::map<std::string, std::string>& ev, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& [id, e] : ev) n += e.starts_with(prefix) ? 1 : 0;
  return n;
}

// "shadow_get   <accepted>   <rejected>" from the responder's summary.
std::pair<std::uint64_t, std::uint64_t> responder_books(const std::string& summary, const std::string& api) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex(api + "\\s+(\\d+)\\s+(\\d+)"))) return {~0ull, ~0ull};
  return {std::stoull(m[1]), std::stoull(m[2])};
}

TEST(RejoinStormE2e, RejoinPostSuccessResubscribesOnlyWhenTheBrokerLostTheSession) {
  const fs::path dir = make_temp_dir("rejoin-storm");
  MosquittoBroker broker(MosquittoBroker::Options{"log_type all\n", true});
  RateLimitProxy proxy(broker.port(), 100000.0);
  const fs::path cfg = write_file(dir, "responder.yaml", "services: [shadow]\n");
  ChildProcess responder = spawn_fleetload({"responder", "--config", cfg.string(), "--broker",
                                            "127.0.0.1:" + std::to_string(broker.port()), "--protocol", "5",
                                            "--duration", "120s"},
                                           dir, "responder");
  ASSERT_TRUE(wait_for_stderr(responder, "fleetload responder: ready", 15s)) << responder.stderr_text();

  const std::string yaml =
      "name: rejoin-storm\n"
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(proxy.port()) + ", protocol: mqtt5}\n"
      "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 400/s, client_id: \"dev-{index}\"}\n"
      "session: {keepalive: 30s, session_behavior: rejoin_post_success, session_expiry: 2s}\n"
      "reconnect: {min_delay: 100ms, max_delay: 300ms}\n"
      "subscribe: {filters: [{filter: \"cmd/{client_id}\", qos: 1}]}\n"
      "shadow: {get: on_connect, timeout: 10s}\n"
      "run: {duration: 60s}\n";
  const fs::path rp = dir / "report.json";
  ChildProcess run = spawn_fleetload({"run", write_file(dir, "storm.yaml", yaml).string(), "--report", rp.string()}, dir);

  // Every device connected and made both of its subscriptions.
  ASSERT_TRUE(await([&] { return devices_with(events_by_device(broker.log()), "CpSS") == kDevices; }, 60s))
      << broker.log().substr(0, 4000);

  // Storm 1: every connection lost at once; every device is back within its session's
  // expiry (100-300 ms of backoff against 2 s) and the broker resumes the session.
  proxy.drop_all();
  ASSERT_TRUE(await([&] { return devices_with(events_by_device(broker.log()), "CpSScP") == kDevices; }, 30s));

  // Storm 2: the outage outlasts the sessions. The proxy refuses every reconnect until
  // mosquitto has expired every device's session, then lets them in.
  proxy.set_refusing(true);
  proxy.drop_all();
  ASSERT_TRUE(await([&] { return devices_with(events_by_device(broker.log()), "CpSScPX") == kDevices; }, 30s));
  proxy.set_refusing(false);
  ASSERT_TRUE(await([&] { return devices_with(events_by_device(broker.log()), "CpSScPXcpSS") == kDevices; }, 30s));

  // Nothing more happened to any device (no extra connect or SUBSCRIBE) before the run's end.
  run.send_signal(SIGINT);
  const Outcome o = finish(run, 60s, rp);
  ASSERT_TRUE(o.report) << o.describe();
  const auto ev = events_by_device(broker.log());
  ASSERT_EQ(ev.size(), static_cast<std::size_t>(kDevices));
  for (const auto& [id, e] : ev) EXPECT_EQ(e, "CpSScPXcpSS") << id;

  // fleetload's books say the same: one resumed session per device (storm 1), one
  // re-subscription per device after the lost one (storm 2) on top of the first.
  EXPECT_EQ(counter(*o.report, "sessions_resumed"), static_cast<std::uint64_t>(kDevices)) << o.describe();
  EXPECT_EQ(counter(*o.report, "subscribe_requests"), static_cast<std::uint64_t>(4 * kDevices));
  EXPECT_EQ(counter(*o.report, "unexpected_session_present"), 0u);
  // A shadow get after every connect (3 per device), each answered; the responder answered
  // exactly those.
  const boost::json::object& gets = o.report->at("totals").at("shadow_operations").at("get").as_object();
  const std::uint64_t answered = u64(gets.at("accepted")) + u64(gets.at("rejected_404"));
  EXPECT_EQ(answered, static_cast<std::uint64_t>(3 * kDevices)) << boost::json::serialize(gets);
  EXPECT_EQ(u64(gets.at("timed_out")), 0u);
  responder.send_signal(SIGTERM);
  const Outcome ro = finish(responder, 20s);
  const auto [get_ok, get_rej] = responder_books(ro.out, "shadow_get");
  EXPECT_EQ(get_ok + get_rej, answered) << ro.out;
  std::error_code ec;
  if (std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace fleetload::e2e
