// Device Shadow behaviour end to end: a real mosquitto, `fleetload responder` playing the
// Shadow service, a fleet of 50 devices run by the real binary (get on connect, periodic
// updates with versions, deltas reported back), and clients of the test's own
// (tests/e2e/responder_client.py: paho-mqtt, not our codec) that set a desired state while the
// fleet runs and afterwards read every shadow back. The fleet's books are compared with the
// responder's own counts. MQTT 3.1.1 and 5 at shadow.qos 1 (the default), whose PUBACKs are
// counted in mosquitto's own debug log, and MQTT 3.1.1 at qos 0 (nothing acknowledged).
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json.hpp>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int kDevices = 50;

std::string shadow_of(int i) { return "$aws/things/dev-" + std::to_string(i) + "/shadow"; }

struct Param {
  int protocol;  // 4 or 5
  int qos;       // shadow.qos
};

// Lines of mosquitto's debug log holding `what` and, when given, `and_also` (e.g. "Sending
// PUBLISH to dev-" and ", q1,").
std::uint64_t log_lines(const std::string& log, const std::string& what, const std::string& and_also = "") {
  std::uint64_t n = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    n += line.find(what) != std::string::npos && (and_also.empty() || line.find(and_also) != std::string::npos);
  return n;
}

class ShadowE2e : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("shadow-e2e");
    MosquittoBroker::Options o;
    o.extra_config = "log_type debug\n";  // every PUBLISH and PUBACK, with its QoS
    broker_.emplace(o);
  }
  int protocol() const { return GetParam().protocol; }
  void TearDown() override {
    if (responder_ && responder_->running()) responder_->kill_and_wait();
    broker_.reset();
    std::error_code ec;
    if (std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_, ec);
  }

  // Runs responder_client.py with `steps`; returns its output document.
  json::value client(const std::string& id, json::array steps, std::chrono::seconds timeout = 60s) {
    json::object program{{"port", broker_->port()}, {"protocol", protocol() == 5 ? 5 : 4}, {"client_id", id},
                         {"steps", std::move(steps)}};
    const fs::path file = write_file(dir_, id + ".json", json::serialize(program));
    ChildProcess p({"/usr/bin/python3", (source_dir() / "tests/e2e/responder_client.py").string(), file.string()},
                   dir_ / (id + ".out"), dir_ / (id + ".err"));
    auto st = p.wait_for(timeout);
    if (!st) p.kill_and_wait();
    EXPECT_TRUE(st && st->code == 0) << id << ": " << p.stdout_text() << p.stderr_text();
    try {
      return json::parse(p.stdout_text());
    } catch (const std::exception&) {
      ADD_FAILURE() << id << " output is not JSON: " << p.stdout_text() << p.stderr_text();
      return json::object{};
    }
  }

  fs::path dir_;
  std::optional<MosquittoBroker> broker_;
  std::optional<ChildProcess> responder_;
};

// "shadow_update   <accepted>   <rejected> ..." from the responder's summary.
std::pair<std::uint64_t, std::uint64_t> responder_books(const std::string& summary, const std::string& api) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex(api + "\\s+(\\d+)\\s+(\\d+)"))) return {~0ull, ~0ull};
  return {std::stoull(m[1]), std::stoull(m[2])};
}

TEST_P(ShadowE2e, FleetConvergesOnDesiredStateAndBooksMatchTheResponder) {
  const std::string protocol = this->protocol() == 5 ? "5" : "3.1.1";
  const int qos = GetParam().qos;
  const fs::path cfg = write_file(dir_, "responder.yaml", "services: [shadow]\n");
  responder_.emplace(spawn_fleetload({"responder", "--config", cfg.string(), "--broker",
                                      "127.0.0.1:" + std::to_string(broker_->port()), "--protocol", protocol,
                                      "--duration", "90s"},
                                     dir_, "responder"));
  ASSERT_TRUE(wait_for_stderr(*responder_, "fleetload responder: ready", 15s)) << responder_->stderr_text();

  const std::string yaml =
      "name: shadow-e2e\n"
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker_->port()) + ", protocol: " +
      (this->protocol() == 5 ? "mqtt5" : "mqtt311") + "}\n"
      "fleet: {devices: " + std::to_string(kDevices) + ", connect_rate: 500/s, client_id: \"dev-{index}\"}\n"
      "session: {keepalive: 30s}\n"
      "shadow:\n"
      "  get: on_connect\n"
      "  update: {rate: 60/m, reported: '{\"seq\": {seq}, \"id\": \"{client_id}\"}'}\n"
      "  on_delta: report\n"
      "  version: true\n"
      "  timeout: 5s\n"
      "  qos: " + std::to_string(qos) + "\n"
      "run: {duration: 6s}\n";
  const fs::path file = write_file(dir_, "shadow.yaml", yaml);
  const fs::path rp = dir_ / "report.json";
  ChildProcess run = spawn_fleetload({"run", file.string(), "--report", rp.string()}, dir_);

  // While the fleet runs: once the last device's shadow has taken an update, an application
  // sets a desired state on every shadow; the devices hear the delta and report it back.
  json::array set{json::object{{"sub", json::array{"$aws/things/+/shadow/update/accepted"}}},
                  json::object{{"wait", shadow_of(kDevices - 1) + "/update/accepted"}, {"timeout", 20}}};
  for (int i = 0; i < kDevices; ++i)
    set.push_back(json::object{{"pub", shadow_of(i) + "/update"},
                               {"json", json::parse(R"({"state":{"desired":{"color":"green"}},"clientToken":"app-)" +
                                                    std::to_string(i) + "\"}")}});
  client("app", std::move(set));

  const Outcome o = finish(run, 60s, rp);
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_EQ(o.status.code, 0) << o.describe();

  // Every shadow read back by the test itself: the desired state reported, no delta left.
  json::array read;
  json::array subs;
  for (int i = 0; i < kDevices; ++i) subs.push_back(json::string(shadow_of(i) + "/get/accepted"));
  read.push_back(json::object{{"sub", std::move(subs)}});
  for (int i = 0; i < kDevices; ++i) {
    read.push_back(json::object{{"pub", shadow_of(i) + "/get"}, {"json", json::parse(R"({"clientToken":"check"})")}});
    read.push_back(json::object{{"wait", shadow_of(i) + "/get/accepted"}});
  }
  const json::value got = client("reader", std::move(read));
  ASSERT_EQ(got.at("received").as_array().size(), static_cast<std::size_t>(kDevices)) << got;
  for (int i = 0; i < kDevices; ++i) {
    const json::object& doc = got.at("received").at(static_cast<std::size_t>(i)).at("payload").as_object();
    const json::object& state = doc.at("state").as_object();
    EXPECT_EQ(state.at("reported").at("color"), "green") << "dev-" << i << ": " << doc;
    EXPECT_EQ(state.at("reported").at("id"), json::value("dev-" + std::to_string(i))) << doc;
    EXPECT_FALSE(state.contains("delta")) << "dev-" << i << ": " << doc;
  }

  // The fleet's books against the responder's.
  const json::object& shadow = o.report->at("totals").at("shadow_operations").as_object();
  auto fl = [&](const char* op, const char* outcome) { return u64(shadow.at(op).at(outcome)); };
  std::uint64_t fl_update_rejected = 0, fl_get_rejected = 0;
  for (const char* k : {"rejected_400", "rejected_404", "rejected_409", "rejected_413", "rejected_429", "rejected_500",
                        "rejected_other"}) {
    fl_update_rejected += fl("update", k);
    fl_get_rejected += fl("get", k);
  }
  EXPECT_EQ(fl("get", "timed_out"), 0u);
  EXPECT_EQ(fl("update", "timed_out"), 0u);
  // Every device got on connect: the first get of a fresh shadow is a 404, later ones accepted.
  EXPECT_GE(fl("get", "accepted") + fl("get", "rejected_404"), static_cast<std::uint64_t>(kDevices));
  // Periodic updates (about 6 per device) plus the reported deltas.
  EXPECT_GE(fl("update", "accepted"), static_cast<std::uint64_t>(kDevices) * 3);
  EXPECT_GE(counter(*o.report, "shadow_deltas_received"), static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(counter(*o.report, "shadow_version_regressions"), 0u);
  // Each device heard exactly one answer that was not its own: the application's update
  // (clientToken app-<i>) accepted on its shadow; ignored, counted.
  EXPECT_EQ(counter(*o.report, "shadow_foreign_responses"), static_cast<std::uint64_t>(kDevices));
  EXPECT_EQ(u64(o.report->at("totals").at("gauges").at("shadow_in_flight")), 0u);

  responder_->send_signal(SIGTERM);
  const Outcome ro = finish(*responder_, 20s);
  EXPECT_EQ(ro.status.code, 0) << ro.describe();
  const auto [upd_ok, upd_rej] = responder_books(ro.out, "shadow_update");
  const auto [get_ok, get_rej] = responder_books(ro.out, "shadow_get");
  // The responder also answered the application's 50 updates and the reader's 50 gets.
  EXPECT_EQ(upd_ok, fl("update", "accepted") + kDevices) << ro.out;
  EXPECT_EQ(upd_rej, fl_update_rejected) << ro.out;
  EXPECT_EQ(get_ok, fl("get", "accepted") + kDevices) << ro.out;
  EXPECT_EQ(get_rej, fl_get_rejected) << ro.out;
  // A 409 is retried (get, then update) up to 3 times per update: never more retries than 409s.
  EXPECT_LE(counter(*o.report, "shadow_conflict_retries"), fl("update", "rejected_409")) << ro.out;

  // QoS as mosquitto saw it (its debug log, not fleetload's counts): at qos 1 every request
  // a device sent was a QoS 1 PUBLISH that the broker PUBACKed, and every answer delivered
  // to a device at QoS 1 was PUBACKed by it; at qos 0 no PUBACK either way.
  const std::string log = broker_->log();
  const std::uint64_t fl_requests = fl("get", "accepted") + fl("update", "accepted") + fl_get_rejected + fl_update_rejected;
  const std::uint64_t broker_pubacks = log_lines(log, "Sending PUBACK to dev-");
  const std::uint64_t device_pubacks = log_lines(log, "Received PUBACK from dev-");
  EXPECT_EQ(counter(*o.report, "unexpected_acks"), 0u);
  EXPECT_EQ(counter(*o.report, "aws_requests_unacked"), 0u);
  const std::string q = ", q" + std::to_string(qos) + ",";
  // Every request the fleet booked (none timed out, none in flight) reached the broker at qos.
  EXPECT_EQ(log_lines(log, "Received PUBLISH from dev-", q), fl_requests);
  EXPECT_EQ(log_lines(log, "Received PUBLISH from dev-"), fl_requests);
  if (qos == 1) {
    EXPECT_EQ(broker_pubacks, fl_requests);
    EXPECT_EQ(counter(*o.report, "aws_requests_acked"), broker_pubacks);
    // Answers (and the application's updates each device heard) came at QoS 1: one PUBACK
    // from the device for each.
    const std::uint64_t deliveries = log_lines(log, "Sending PUBLISH to dev-", ", q1,");
    EXPECT_GE(deliveries, fl_requests);
    EXPECT_EQ(device_pubacks, deliveries);
  } else {
    EXPECT_EQ(broker_pubacks, 0u);
    EXPECT_EQ(device_pubacks, 0u);
    EXPECT_EQ(log_lines(log, "Sending PUBLISH to dev-", ", q1,"), 0u);
    EXPECT_EQ(counter(*o.report, "aws_requests_acked"), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Mqtt, ShadowE2e, ::testing::Values(Param{4, 1}, Param{5, 1}, Param{4, 0}),
                         [](const auto& info) {
                           return std::string(info.param.protocol == 5 ? "Mqtt5" : "Mqtt311") +
                                  (info.param.qos == 1 ? "" : "Qos0");
                         });

}  // namespace
}  // namespace fleetload::e2e

namespace fleetload::e2e {
namespace {

// SUBSCRIBE split into batches of at most session.subscribe_batch filters, seen on the wire
// by mosquitto itself (its debug log names every SUBSCRIBE and each filter in it): 20 filters
// with a batch of 8 arrive as SUBSCRIBEs of 8, 8 and 4; without the setting, as one of 20.
std::vector<std::size_t> subscribe_sizes(const std::string& log, const std::string& client) {
  std::vector<std::size_t> sizes;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("Received SUBSCRIBE from " + client) != std::string::npos) sizes.push_back(0);
    else if (!sizes.empty() && line.find("\tb/") != std::string::npos) ++sizes.back();
  }
  return sizes;
}

std::vector<std::size_t> run_subscriber(const std::string& session_extra) {
  MosquittoBroker broker(MosquittoBroker::Options{.extra_config = "log_type debug\n", .log_connections = true});
  const auto dir = make_temp_dir("subscribe-batch");
  std::string filters;
  for (int i = 0; i < 20; ++i) filters += std::string(i ? ", " : "") + "\"b/" + std::to_string(i) + "\"";
  const std::string yaml = "name: batch\ntarget: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) +
                           "}\nfleet: {devices: 1, client_id: \"batcher-{index}\"}\n"
                           "session: {keepalive: 30s" + session_extra + "}\n"
                           "subscribe: [" + filters + "]\nrun: {duration: 1s}\n";
  const auto file = write_file(dir, "batch.yaml", yaml);
  const auto rp = dir / "report.json";
  const Outcome o = run_fleetload({"run", file.string(), "--report", rp.string()}, dir, 60s, rp);
  EXPECT_TRUE(o.report) << o.describe();
  if (o.report) {
    EXPECT_EQ(counter(*o.report, "subscribe_filters_ok"), 20u) << o.describe();
    EXPECT_EQ(counter(*o.report, "suback_count_mismatch"), 0u);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return subscribe_sizes(broker.log(), "batcher-0");
}

TEST(SubscribeBatchE2e, TwentyFiltersGoOutAsEightEightFourWithABatchOfEight) {
  EXPECT_EQ(run_subscriber(", subscribe_batch: 8"), (std::vector<std::size_t>{8, 8, 4}));
}

TEST(SubscribeBatchE2e, WithoutALimitTwentyFiltersGoInOneSubscribe) {
  EXPECT_EQ(run_subscriber(""), (std::vector<std::size_t>{20}));
}

}  // namespace
}  // namespace fleetload::e2e
