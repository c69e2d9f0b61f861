// AWS IoT Jobs behaviour end to end: a real mosquitto, `fleetload responder` playing the Jobs
// service with a job rolled out to every thing of the fleet, and a fleet run by the real
// binary (start-next at connect, IN_PROGRESS, the work time, SUCCEEDED or FAILED). Two
// counts independent of the fleet's books: a mosquitto_sub of the test's own on every
// thing's update/accepted topic (each answer carries the execution state it set), and the
// responder's summary (a separate process with the service's job state). MQTT 3.1.1 and 5,
// plain TCP and mTLS (certificates from `fleetload certs`).
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "e2e/aws_iot_support.hpp"
#include "e2e/fleetload_runner.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/topic_counter.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::uint64_t lines_containing(const std::string& text, const std::string& needle) {
  std::uint64_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

struct Rollout {
  int devices = 0;
  double fail_share = 0.0;
  std::string thresholds;  // extra scenario text
  bool mtls = false;       // a TLS listener requiring client certificates (fleetload certs)
  std::string responder_jobs;  // the responder's `jobs:` list; empty: fw-2-0 for every device at once
  std::string device_jobs;     // more keys of the fleet's `jobs:` section
  int jobs_per_device = 1;     // final states the test's subscriber waits for, per device
};

struct Result {
  Outcome fleet;
  std::string responder;      // its summary
  std::string updates_heard;  // the test's mosquitto_sub: "<topic> <payload>" lines
};

class JobsE2e : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("jobs-e2e");
    // Unbounded queues: the counting subscriber and the responder must miss nothing.
    broker_.emplace(MosquittoBroker::Options{.extra_config = "max_queued_messages 0\n", .log_connections = false});
  }
  void TearDown() override {
    if (responder_ && responder_->running()) responder_->kill_and_wait();
    broker_.reset();
    std::error_code ec;
    if (std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) fs::remove_all(dir_, ec);
  }

  // The job "fw-2-0" for things dev-0 ... dev-<n-1>, created before the fleet connects, then
  // the fleet run to its end, then the responder stopped for its summary.
  Result rollout(const Rollout& r) {
    const std::string protocol = GetParam() == 5 ? "5" : "3.1.1";
    std::vector<std::string> tls_args;
    std::string auth;
    if (r.mtls) {
      // Identities for the fleet and one more for the responder; the listener requires them.
      const fs::path pki = dir_ / "pki";
      const Outcome gen = run_fleetload({"certs", "--devices", std::to_string(r.devices + 1), "--out", pki.string(),
                                         "--threads", "2"},
                                        dir_, 120s);
      EXPECT_EQ(gen.status.code, 0) << gen.describe();
      broker_.reset();
      broker_.emplace(MosquittoBroker::Options{
          .extra_config = "cafile " + (pki / "ca.crt").string() + "\ncertfile " + (pki / "server.crt").string() +
                          "\nkeyfile " + (pki / "server.key").string() + "\nrequire_certificate true\nmax_queued_messages 0\n",
          .log_connections = false});
      const std::string last = std::to_string(r.devices);
      tls_args = {"--ca-file", (pki / "ca.crt").string(), "--cert", (pki / ("device-" + last + ".crt")).string(), "--key",
                  (pki / ("device-" + last + ".key")).string()};
      auth = "auth: {mode: mtls_from_path, cert_filepath: \"" + (pki / "device-{index}.crt").string() +
             "\", pri_key_filepath: \"" + (pki / "device-{index}.key").string() + "\", ca_filepath: \"" +
             (pki / "ca.crt").string() + "\"}\n";
    }
    const std::string port = std::to_string(broker_->port());
    const std::string jobs = !r.responder_jobs.empty()
                                 ? r.responder_jobs
                                 : "  - id: fw-2-0\n"
                                   "    document: {operation: update, version: \"2.0\"}\n"
                                   "    targets: {template: \"dev-{index}\", count: " +
                                       std::to_string(r.devices) + "}\n";
    const fs::path cfg = write_file(dir_, "responder.yaml", "services: [jobs]\njobs:\n" + jobs);
    std::vector<std::string> args{"responder", "--config", cfg.string(), "--broker",
                                  (r.mtls ? "mqtts://127.0.0.1:" : "127.0.0.1:") + port, "--protocol", protocol,
                                  "--duration", "150s"};
    args.insert(args.end(), tls_args.begin(), tls_args.end());
    responder_.emplace(spawn_fleetload(args, dir_, "responder"));
    EXPECT_TRUE(wait_for_stderr(*responder_, "fleetload responder: ready", 15s)) << responder_->stderr_text();
    // The test's own subscriber on the plain listener (with mTLS, the responder's summary is
    // the independent count).
    bool ready = false;
    std::optional<ChildProcess> sub;
    if (!r.mtls) {
      sub.emplace(counting_subscriber(port, "$aws/things/+/jobs/+/update/accepted", dir_, ready, "%t %p"));
      EXPECT_TRUE(ready) << sub->stderr_text();
    }

    const std::string yaml =
        "name: jobs-e2e\n"
        "target: {endpoint: 127.0.0.1, port: " + port + ", protocol: " + (GetParam() == 5 ? "mqtt5" : "mqtt311") + "}\n"
        "fleet: {devices: " + std::to_string(r.devices) + ", connect_rate: 500/s, client_id: \"dev-{index}\"}\n"
        "session: {keepalive: 30s}\n" + auth +
        "jobs:\n"
        "  work_time: 100ms..1s\n"
        "  fail_share: " + std::to_string(r.fail_share) + "\n"
        "  status_details: {device: \"{client_id}\"}\n"
        "  step_timeout: 10\n"
        "  timeout: 20s\n" + r.device_jobs + r.thresholds +
        "run: {duration: 12s}\n";
    const fs::path file = write_file(dir_, "jobs.yaml", yaml);
    const fs::path rp = dir_ / "report.json";
    Result out;
    out.fleet = run_fleetload({"run", file.string(), "--report", rp.string()}, dir_, 120s, rp);
    responder_->send_signal(SIGTERM);
    const Outcome ro = finish(*responder_, 20s);
    EXPECT_EQ(ro.status.code, 0) << ro.describe();
    out.responder = ro.out;
    // Every answer the responder published reached the broker before its DISCONNECT; the
    // subscriber has them once the last final state arrived (bounded wait, no sleep).
    if (!sub) return out;
    const auto expected = static_cast<std::uint64_t>(r.devices) * static_cast<std::uint64_t>(r.jobs_per_device);
    wait_until([&] {
      const std::string t = sub->stdout_text();
      return lines_containing(t, "\"status\":\"SUCCEEDED\"") + lines_containing(t, "\"status\":\"FAILED\"") >= expected;
    }, 20s);
    out.updates_heard = sub->stdout_text();
    return out;
  }

  fs::path dir_;
  std::optional<MosquittoBroker> broker_;
  std::optional<ChildProcess> responder_;
};

std::uint64_t jobs_of(const json::value& report, const char* list, const char* op, const char* outcome) {
  const json::object& t = report.at("totals").as_object();
  return op ? u64(t.at(list).at(op).at(outcome)) : u64(t.at(list).at(outcome));
}

TEST_P(JobsE2e, RolloutToAThousandDevicesEveryExecutionSucceededAndTheBooksBalance) {
  constexpr int kDevices = 1000;
  Rollout ro;
  ro.devices = kDevices;
  ro.thresholds = "thresholds: {max_job_failures: 0, p99_job_duration: \"<= 30s\"}\n";
  const Result r = rollout(ro);
  ASSERT_TRUE(r.fleet.report) << r.fleet.describe();
  EXPECT_EQ(r.fleet.status.code, 0) << r.fleet.describe();  // both thresholds met
  const json::value& rep = *r.fleet.report;
  const auto n = static_cast<std::uint64_t>(kDevices);
  // The fleet's books: one start-next per connect, every one taking the job; IN_PROGRESS and
  // SUCCEEDED each accepted; nothing rejected, timed out or left in progress.
  EXPECT_EQ(counter(rep, "job_starts"), n);
  EXPECT_EQ(jobs_of(rep, "job_requests", "start_next", "accepted"), n);
  EXPECT_EQ(jobs_of(rep, "job_requests", "update", "accepted"), 2 * n);
  EXPECT_EQ(jobs_of(rep, "job_executions", nullptr, "succeeded"), n);
  for (const char* k : {"failed", "rejected", "timed_out"}) EXPECT_EQ(jobs_of(rep, "job_executions", nullptr, k), 0u) << k;
  for (const char* op : {"start_next", "update"}) EXPECT_EQ(jobs_of(rep, "job_requests", op, "timed_out"), 0u) << op;
  EXPECT_EQ(u64(rep.at("totals").at("gauges").at("job_executions_in_progress")), 0u);
  EXPECT_EQ(u64(rep.at("totals").at("gauges").at("job_requests_in_flight")), 0u);
  EXPECT_EQ(u64(histogram(rep, "job_duration").at("count")), n);
  EXPECT_EQ(u64(histogram(rep, "job_time_to_start").at("count")), n);
  // jobs.qos 1 (the default, as the SDK's jobs sample): the start-next and both updates of
  // every device went out at QoS 1 and were PUBACKed by the broker; no ack went unmatched.
  EXPECT_EQ(counter(rep, "aws_requests_acked"), 3 * n);
  EXPECT_EQ(counter(rep, "aws_requests_unacked"), 0u);
  EXPECT_EQ(counter(rep, "unexpected_acks"), 0u);
  // The service's books: every execution SUCCEEDED, none left QUEUED or IN_PROGRESS.
  EXPECT_EQ(responder_job_count(r.responder, "fw-2-0", "SUCCEEDED"), n) << r.responder;
  EXPECT_EQ(responder_job_count(r.responder, "fw-2-0", "IN_PROGRESS"), 0u) << r.responder;
  EXPECT_EQ(responder_job_count(r.responder, "fw-2-0", "QUEUED"), 0u) << r.responder;
  // The broker's deliveries, counted by the test: an IN_PROGRESS and a SUCCEEDED answer per thing.
  EXPECT_EQ(lines_containing(r.updates_heard, "\"status\":\"SUCCEEDED\""), n);
  EXPECT_EQ(lines_containing(r.updates_heard, "\"status\":\"IN_PROGRESS\""), n);
  EXPECT_EQ(lines_containing(r.updates_heard, "$aws/things/dev-999/jobs/fw-2-0/update/accepted "), 2u);
  // The summary says it too.
  EXPECT_NE(r.fleet.out.find("1,000 started: 1,000 succeeded"), std::string::npos) << r.fleet.out;
}

TEST_P(JobsE2e, AFailShareReportsThatShareFailedAndTheThresholdCatchesIt) {
  constexpr int kDevices = 400;
  Rollout ro;
  ro.devices = kDevices;
  ro.fail_share = 0.25;
  ro.thresholds = "thresholds: {max_job_failures: 0}\n";
  const Result r = rollout(ro);
  ASSERT_TRUE(r.fleet.report) << r.fleet.describe();
  EXPECT_EQ(r.fleet.status.code, 1) << r.fleet.describe();  // failures breach max_job_failures: 0
  const json::value& rep = *r.fleet.report;
  const std::uint64_t failed = jobs_of(rep, "job_executions", nullptr, "failed");
  const std::uint64_t succeeded = jobs_of(rep, "job_executions", nullptr, "succeeded");
  EXPECT_EQ(failed + succeeded, static_cast<std::uint64_t>(kDevices));
  // 25% of 400 is 100; a binomial draw stays within 100 +- 40 (4.6 standard deviations).
  EXPECT_GE(failed, 60u);
  EXPECT_LE(failed, 140u);
  // The same split in the service's state and on the wire.
  EXPECT_EQ(responder_job_count(r.responder, "fw-2-0", "FAILED"), failed) << r.responder;
  EXPECT_EQ(responder_job_count(r.responder, "fw-2-0", "SUCCEEDED"), succeeded) << r.responder;
  EXPECT_EQ(lines_containing(r.updates_heard, "\"status\":\"FAILED\""), failed);
  EXPECT_EQ(lines_containing(r.updates_heard, "\"status\":\"SUCCEEDED\""), succeeded);
  // Each FAILED report carried the device's statusDetails.
  EXPECT_NE(r.updates_heard.find("\"statusDetails\":{\"device\":\"dev-"), std::string::npos) << r.updates_heard.substr(0, 500);
}

TEST_P(JobsE2e, MutualTlsRolloutEveryExecutionSucceeded) {
  constexpr int kDevices = 200;
  Rollout ro;
  ro.devices = kDevices;
  ro.mtls = true;
  const Result r = rollout(ro);
  ASSERT_TRUE(r.fleet.report) << r.fleet.describe();
  EXPECT_EQ(r.fleet.status.code, 0) << r.fleet.describe();
  const json::value& rep = *r.fleet.report;
  const auto n = static_cast<std::uint64_t>(kDevices);
  EXPECT_EQ(counter(rep, "connects_ok"), n) << r.fleet.describe();
  EXPECT_EQ(jobs_of(rep, "job_executions", nullptr, "succeeded"), n);
  EXPECT_EQ(jobs_of(rep, "job_requests", "update", "accepted"), 2 * n);
  EXPECT_EQ(responder_job_count(r.responder, "fw-2-0", "SUCCEEDED"), n) << r.responder;
  EXPECT_EQ(responder_job_count(r.responder, "fw-2-0", "QUEUED"), 0u) << r.responder;
}

// on_notify: the devices connect and wait; two jobs are created afterwards (the responder's
// `at:`), each announced by notify-next; every device takes the first, then the second once
// the first is done (6 s and 7 s after the responder subscribed: the fleet of 300 is
// subscribed within about 2 s) — start-next only on notify-next, no IN_PROGRESS report (in_progress: false).
TEST_P(JobsE2e, OnNotifyTwoJobsQueuedLaterAreTakenOneAfterTheOther) {
  constexpr int kDevices = 300;
  Rollout ro;
  ro.devices = kDevices;
  ro.jobs_per_device = 2;
  ro.device_jobs = "  start: on_notify\n  in_progress: false\n";
  for (const char* id : {"late-1", "late-2"})
    ro.responder_jobs += std::string("  - id: ") + id + "\n    document: {operation: reboot}\n"
                         "    targets: {template: \"dev-{index}\", count: " + std::to_string(kDevices) + "}\n" +
                         (id == std::string("late-1") ? "    at: 6s\n" : "    at: 7s\n");
  const Result r = rollout(ro);
  ASSERT_TRUE(r.fleet.report) << r.fleet.describe();
  EXPECT_EQ(r.fleet.status.code, 0) << r.fleet.describe();
  const json::value& rep = *r.fleet.report;
  const auto n = static_cast<std::uint64_t>(kDevices);
  EXPECT_EQ(counter(rep, "job_starts"), 2 * n);
  EXPECT_GE(counter(rep, "job_notifications"), 2 * n);
  EXPECT_EQ(jobs_of(rep, "job_requests", "start_next", "accepted"), 2 * n);  // none at connect
  EXPECT_EQ(jobs_of(rep, "job_requests", "update", "accepted"), 2 * n);      // final states only
  EXPECT_EQ(jobs_of(rep, "job_executions", nullptr, "succeeded"), 2 * n);
  for (const char* id : {"late-1", "late-2"}) EXPECT_EQ(responder_job_count(r.responder, id, "SUCCEEDED"), n) << r.responder;
  EXPECT_EQ(lines_containing(r.updates_heard, "\"status\":\"SUCCEEDED\""), 2 * n);
  EXPECT_EQ(lines_containing(r.updates_heard, "\"status\":\"IN_PROGRESS\""), 0u);
}

INSTANTIATE_TEST_SUITE_P(Mqtt, JobsE2e, ::testing::Values(4, 5),
                         [](const auto& info) { return info.param == 5 ? "Mqtt5" : "Mqtt311"; });

}  // namespace
}  // namespace fleetload::e2e
