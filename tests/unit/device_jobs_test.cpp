// The AWS IoT Jobs behaviour of a device session (behaviour_jobs.hpp), driven by the scripted
// broker of device_harness.hpp on a simulated clock, with answers written by awsiot/jobs (the
// payloads of "Jobs device MQTT API"): subscribe-before-request on the reserved topics,
// start-next on connect or on notify-next, IN_PROGRESS then SUCCEEDED/FAILED with
// expectedVersion after the work time, outcomes by ErrorResponse code, timeouts, a job
// carried across a reconnect, and what a device without jobs keeps (nothing).
#include "awsiot/jobs.hpp"
#include "aws_harness.hpp"
#include "device/behaviour_jobs.hpp"

namespace fleetload::device::test {
namespace {

using namespace std::chrono_literals;
const std::string kJobs = "$aws/things/thing-0/jobs/";

scenario::Scenario jobs_scenario(mqtt::Version v, scenario::JobsStart start = scenario::JobsStart::OnConnectAndNotify) {
  auto s = make_scenario(v);
  s.fleet.thing_name = "thing-{index}";
  scenario::Jobs j;
  j.start = start;
  j.work_min = j.work_max = std::chrono::milliseconds(2000);
  j.timeout = std::chrono::milliseconds(5000);
  s.jobs = std::move(j);
  return s;
}

std::uint64_t requests(const Harness& h, JobOp op, JobOutcome o) { return h.stats->job_requests[job_index(op, o)].load(); }
std::uint64_t ended(const Harness& h, JobEnd e) { return h.stats->job_executions[static_cast<std::size_t>(e)].load(); }

std::string token_of(const Sent& s) { return std::string(s.body.at("clientToken").as_string()); }

// start-next/accepted with execution `job` at `version` (IN_PROGRESS), for `token`.
void start_accepted(Harness& h, const std::string& token, const std::string& job, std::uint64_t version) {
  awsiot::JobExecutionResponse r;
  r.execution.emplace();
  r.execution->job_id = job;
  r.execution->thing_name = "thing-0";
  r.execution->status = awsiot::JobStatus::InProgress;
  r.execution->queued_at = 1;
  r.execution->started_at = 2;
  r.execution->last_updated_at = 2;
  r.execution->version_number = version;
  r.execution->execution_number = 1;
  r.execution->job_document = boost::json::parse(R"({"operation":"update"})");
  r.timestamp = 2;
  r.client_token = token;
  answer(h, kJobs + "start-next/accepted", awsiot::to_json(r));
}

void update_accepted(Harness& h, const std::string& token, const std::string& job, awsiot::JobStatus st,
                     std::uint64_t version) {
  awsiot::UpdateJobResponse r;
  r.execution_state = awsiot::JobExecutionState{st, std::nullopt, version};
  r.timestamp = 3;
  r.client_token = token;
  answer(h, kJobs + job + "/update/accepted", awsiot::to_json(r));
}

void rejected(Harness& h, const std::string& topic, awsiot::JobsErrorCode c, const std::string& token) {
  awsiot::JobsError e;
  e.code = c;
  e.message = "x";
  e.client_token = token;
  e.timestamp = 3;
  answer(h, topic, awsiot::to_json(e));
}

// An UpdateJobExecution rejected with VersionMismatch, carrying the executionState the
// service has ("Jobs device MQTT API", ErrorResponse).
void version_mismatch(Harness& h, const std::string& job, const std::string& token, awsiot::JobStatus st,
                      std::uint64_t version) {
  awsiot::JobsError e;
  e.code = awsiot::JobsErrorCode::VersionMismatch;
  e.message = "expectedVersion does not match";
  e.client_token = token;
  e.timestamp = 3;
  e.execution_state = awsiot::JobExecutionState{st, std::nullopt, version};
  answer(h, kJobs + job + "/update/rejected", awsiot::to_json(e));
}

void notify_next(Harness& h, const std::string& job) {
  awsiot::NextJobExecutionChanged n;
  n.execution.emplace();
  n.execution->job_id = job;
  n.execution->thing_name = "thing-0";
  n.execution->queued_at = 1;
  n.execution->last_updated_at = 1;
  n.execution->version_number = 1;
  n.execution->execution_number = 1;
  n.timestamp = 1;
  answer(h, kJobs + "notify-next", awsiot::to_json(n));
}

class JobsSession : public ::testing::TestWithParam<mqtt::Version> {};

TEST_P(JobsSession, SubscribesToTheFiveAnswerTopicsThenStartsNextWithAClientToken) {
  auto s = jobs_scenario(GetParam());
  s.jobs->status_details = {{"device", "{client_id}"}};
  s.jobs->step_timeout_minutes = 30;
  Harness h(s);
  h.start();
  const auto subs = h.of_type(mqtt::PacketType::Subscribe);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(filters_of(h, subs[0]),
            (std::vector<std::string>{kJobs + "notify-next", kJobs + "start-next/accepted", kJobs + "start-next/rejected",
                                      kJobs + "+/update/accepted", kJobs + "+/update/rejected"}));
  const auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_GT(h.of_type(mqtt::PacketType::Publish)[0], subs[0]);  // after the SUBACK
  EXPECT_EQ(pubs[0].topic, kJobs + "start-next");
  // The request decodes as the service reads it (awsiot's own parser of StartNextPendingJobExecution).
  const auto req = awsiot::parse_start_next_job(boost::json::serialize(pubs[0].body));
  ASSERT_TRUE(req);
  EXPECT_EQ(req->client_token, "fl0-1");
  EXPECT_EQ(req->step_timeout_minutes, 30);
  ASSERT_TRUE(req->status_details);
  EXPECT_EQ(req->status_details->at("device"), "dev-0");
  EXPECT_EQ(h.stats->job_requests_in_flight.load(), 1);
}

TEST_P(JobsSession, InProgressThenSucceededWithExpectedVersionsAfterTheWorkTime) {
  Harness h(jobs_scenario(GetParam()));
  h.start();
  h.advance(100ms);
  start_accepted(h, "fl0-1", "fw-1", 2);
  EXPECT_EQ(requests(h, JobOp::StartNext, JobOutcome::Accepted), 1u);
  EXPECT_EQ(h.stats->job_starts.load(), 1u);
  EXPECT_EQ(h.stats->job_time_to_start.count(), 1u);
  EXPECT_EQ(h.stats->job_executions_in_progress.load(), 1);
  auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[1].topic, kJobs + "fw-1/update");
  auto up = awsiot::parse_update_job(boost::json::serialize(pubs[1].body));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, awsiot::JobStatus::InProgress);
  EXPECT_EQ(up->expected_version, 2u);
  EXPECT_TRUE(up->include_job_execution_state);
  update_accepted(h, token_of(pubs[1]), "fw-1", awsiot::JobStatus::InProgress, 3);
  // Working: nothing more until the work time is over.
  h.advance(1900ms);
  EXPECT_EQ(publishes(h).size(), 2u);
  h.advance(200ms);
  pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 3u);
  up = awsiot::parse_update_job(boost::json::serialize(pubs[2].body));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, awsiot::JobStatus::Succeeded);
  EXPECT_EQ(up->expected_version, 3u);  // the version the IN_PROGRESS answer gave
  update_accepted(h, token_of(pubs[2]), "fw-1", awsiot::JobStatus::Succeeded, 4);
  EXPECT_EQ(ended(h, JobEnd::Succeeded), 1u);
  EXPECT_EQ(requests(h, JobOp::Update, JobOutcome::Accepted), 2u);
  EXPECT_EQ(h.stats->job_update_latency.count(), 2u);
  EXPECT_EQ(h.stats->job_duration.count(), 1u);
  // From the start-next at connect to the final answer: about 100 ms + 2 s of work.
  EXPECT_GE(h.stats->job_duration.max(), 2'000'000'000u);
  EXPECT_EQ(h.stats->job_executions_in_progress.load(), 0);
  EXPECT_EQ(h.stats->job_requests_in_flight.load(), 0);
}

TEST_P(JobsSession, OnNotifyWaitsForNotifyNextAndTakesTheNextJobAfterTheCurrentOne) {
  auto s = jobs_scenario(GetParam(), scenario::JobsStart::OnNotify);
  s.jobs->in_progress = false;
  s.jobs->fail_share = 1.0;
  Harness h(s);
  h.start();
  EXPECT_TRUE(publishes(h).empty());  // subscribed, but nothing announced
  notify_next(h, "fw-1");
  auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].topic, kJobs + "start-next");
  start_accepted(h, token_of(pubs[0]), "fw-1", 2);
  notify_next(h, "fw-1");  // still the next pending one while it runs: nothing new
  notify_next(h, "fw-2");  // queued behind it: taken once fw-1 is done
  EXPECT_EQ(h.stats->job_notifications.load(), 3u);
  EXPECT_EQ(publishes(h).size(), 1u);
  h.advance(2s);
  pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 2u);  // no IN_PROGRESS report: straight to the final status
  const auto up = awsiot::parse_update_job(boost::json::serialize(pubs[1].body));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, awsiot::JobStatus::Failed);  // fail_share 1
  EXPECT_EQ(up->expected_version, 2u);
  update_accepted(h, token_of(pubs[1]), "fw-1", awsiot::JobStatus::Failed, 3);
  EXPECT_EQ(ended(h, JobEnd::Failed), 1u);
  pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 3u);
  EXPECT_EQ(pubs[2].topic, kJobs + "start-next");
}

TEST_P(JobsSession, RejectionsByCodeAndForeignTokens) {
  Harness h(jobs_scenario(GetParam()));
  h.start();
  // Another client's answer on our thing's topic: ignored, counted, the request still open.
  rejected(h, kJobs + "start-next/rejected", awsiot::JobsErrorCode::InvalidRequest, "someone-else");
  EXPECT_EQ(h.stats->job_foreign_responses.load(), 1u);
  EXPECT_EQ(h.stats->job_requests_in_flight.load(), 1);
  start_accepted(h, "fl0-1", "fw-1", 2);
  const auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 2u);
  rejected(h, kJobs + "fw-1/update/rejected", awsiot::JobsErrorCode::VersionMismatch, token_of(pubs[1]));
  EXPECT_EQ(requests(h, JobOp::Update, JobOutcome::RejectedVersionMismatch), 1u);
  EXPECT_EQ(ended(h, JobEnd::Rejected), 1u);
  EXPECT_EQ(h.stats->job_duration.count(), 0u);  // only SUCCEEDED/FAILED jobs have a duration
  EXPECT_EQ(h.stats->job_executions_in_progress.load(), 0);
  // The next announcement is taken; its start-next rejected by code.
  notify_next(h, "fw-2");
  const auto again = publishes(h);
  ASSERT_EQ(again.size(), 3u);
  rejected(h, kJobs + "start-next/rejected", awsiot::JobsErrorCode::RequestThrottled, token_of(again[2]));
  EXPECT_EQ(requests(h, JobOp::StartNext, JobOutcome::RejectedRequestThrottled), 1u);
  EXPECT_EQ(h.stats->job_start_next_latency.count(), 2u);
  EXPECT_EQ(h.stats->job_requests_in_flight.load(), 0);
}

TEST_P(JobsSession, UnansweredRequestsTimeOut) {
  Harness h(jobs_scenario(GetParam()));
  h.start();
  h.advance(5001ms);
  EXPECT_EQ(requests(h, JobOp::StartNext, JobOutcome::TimedOut), 1u);
  EXPECT_EQ(h.stats->job_start_next_latency.count(), 0u);  // a timeout is no latency sample
  notify_next(h, "fw-1");
  auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 2u);
  start_accepted(h, token_of(pubs[1]), "fw-1", 2);
  h.advance(5001ms);  // the IN_PROGRESS update is never answered
  EXPECT_EQ(requests(h, JobOp::Update, JobOutcome::TimedOut), 1u);
  EXPECT_EQ(ended(h, JobEnd::TimedOut), 1u);
  EXPECT_EQ(h.stats->job_requests_in_flight.load(), 0);
  EXPECT_EQ(h.stats->job_executions_in_progress.load(), 0);
}

TEST_P(JobsSession, AJobInProgressCarriesOnAcrossAReconnect) {
  auto s = jobs_scenario(GetParam());
  s.reconnect.min_delay = std::chrono::milliseconds(5000);  // longer than the work
  s.reconnect.jitter = scenario::Jitter::None;
  Harness h(s);
  h.start();
  start_accepted(h, "fl0-1", "fw-1", 2);
  auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 2u);
  update_accepted(h, token_of(pubs[1]), "fw-1", awsiot::JobStatus::InProgress, 3);
  const std::size_t before = h.sent.size();
  h.call([&](Context& c) { h.session.drop(c); });
  // The work ends while disconnected (the backoff is longer than 2 s): the final update
  // goes out after the reconnect's SUBACK, and no start-next (the job is still ours).
  for (int i = 0; i < 130 && publishes(h, before).empty(); ++i) h.advance(1s);
  EXPECT_EQ(h.opens, 2);
  ASSERT_EQ(h.open_times.size(), 2u);
  EXPECT_GT(h.open_times[1] - h.open_times[0], 2s);  // the work ended while the device was away
  const auto subs = h.of_type(mqtt::PacketType::Subscribe);
  ASSERT_EQ(subs.size(), 2u);
  pubs = publishes(h, before);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].topic, kJobs + "fw-1/update");
  EXPECT_EQ(pubs[0].body.at("status"), "SUCCEEDED");
  EXPECT_EQ(pubs[0].body.at("expectedVersion"), 3);
  update_accepted(h, token_of(pubs[0]), "fw-1", awsiot::JobStatus::Succeeded, 4);
  EXPECT_EQ(ended(h, JobEnd::Succeeded), 1u);
  // Now free again: start-next for what may have been queued while it was away.
  pubs = publishes(h, before);
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[1].topic, kJobs + "start-next");
}

TEST_P(JobsSession, ADeviceWithoutJobsKeepsNoJobsState) {
  Harness plain(make_scenario(GetParam()));
  plain.start();
  EXPECT_EQ(plain.session.heap_bytes(), 0u);
  Harness with(jobs_scenario(GetParam()));
  with.start();
  EXPECT_GE(with.session.heap_bytes(), sizeof(JobsBehaviour));
  EXPECT_LT(with.session.heap_bytes(), 1024u);
  RecordProperty("jobs_device_heap_bytes", static_cast<int>(with.session.heap_bytes()));
}

TEST_P(JobsSession, VersionMismatchIsRetriedWithTheExecutionStatesVersionAtMostThreeTimes) {
  Harness h(jobs_scenario(GetParam()));
  h.start();
  start_accepted(h, "fl0-1", "fw-1", 2);
  auto pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[1].body.at("expectedVersion"), 2);
  // The execution moved on under the device (version 5 now): the same IN_PROGRESS update
  // again, expecting 5, under a new clientToken.
  version_mismatch(h, "fw-1", token_of(pubs[1]), awsiot::JobStatus::InProgress, 5);
  EXPECT_EQ(requests(h, JobOp::Update, JobOutcome::RejectedVersionMismatch), 1u);
  EXPECT_EQ(h.stats->job_version_retries.load(), 1u);
  EXPECT_EQ(ended(h, JobEnd::Rejected), 0u);
  pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 3u);
  EXPECT_EQ(pubs[2].topic, kJobs + "fw-1/update");
  auto up = awsiot::parse_update_job(boost::json::serialize(pubs[2].body));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, awsiot::JobStatus::InProgress);
  EXPECT_EQ(up->expected_version, 5u);
  EXPECT_NE(token_of(pubs[2]), token_of(pubs[1]));
  EXPECT_EQ(h.stats->job_requests_in_flight.load(), 1);
  // Two more mismatches: two more retries; the fourth ends the job as rejected.
  version_mismatch(h, "fw-1", token_of(pubs[2]), awsiot::JobStatus::InProgress, 6);
  pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 4u);
  EXPECT_EQ(pubs[3].body.at("expectedVersion"), 6);
  version_mismatch(h, "fw-1", token_of(pubs[3]), awsiot::JobStatus::InProgress, 7);
  pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 5u);
  EXPECT_EQ(pubs[4].body.at("expectedVersion"), 7);
  EXPECT_EQ(h.stats->job_version_retries.load(), 3u);
  version_mismatch(h, "fw-1", token_of(pubs[4]), awsiot::JobStatus::InProgress, 8);
  EXPECT_EQ(h.stats->job_version_retries.load(), 3u);
  EXPECT_EQ(requests(h, JobOp::Update, JobOutcome::RejectedVersionMismatch), 4u);
  EXPECT_EQ(ended(h, JobEnd::Rejected), 1u);
  EXPECT_EQ(h.stats->job_requests_in_flight.load(), 0);
  EXPECT_EQ(h.stats->job_executions_in_progress.load(), 0);
}

TEST_P(JobsSession, AVersionMismatchRetryWinsAndTheRetriesCountAgainForTheNextUpdate) {
  Harness h(jobs_scenario(GetParam()));
  h.start();
  start_accepted(h, "fl0-1", "fw-1", 2);
  auto pubs = publishes(h);
  version_mismatch(h, "fw-1", token_of(pubs[1]), awsiot::JobStatus::InProgress, 4);
  pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 3u);
  update_accepted(h, token_of(pubs[2]), "fw-1", awsiot::JobStatus::InProgress, 5);
  EXPECT_EQ(requests(h, JobOp::Update, JobOutcome::Accepted), 1u);
  h.advance(2100ms);  // the work time: the final update, expecting the accepted version
  pubs = publishes(h);
  ASSERT_EQ(pubs.size(), 4u);
  EXPECT_EQ(pubs[3].body.at("status"), "SUCCEEDED");
  EXPECT_EQ(pubs[3].body.at("expectedVersion"), 5);
  // The final update gets its own three retries.
  for (std::uint64_t v = 6; v < 9; ++v) {
    version_mismatch(h, "fw-1", token_of(publishes(h).back()), awsiot::JobStatus::InProgress, v);
    EXPECT_EQ(publishes(h).back().body.at("expectedVersion"), static_cast<std::int64_t>(v));
  }
  EXPECT_EQ(h.stats->job_version_retries.load(), 4u);
  update_accepted(h, token_of(publishes(h).back()), "fw-1", awsiot::JobStatus::Succeeded, 9);
  EXPECT_EQ(ended(h, JobEnd::Succeeded), 1u);
}

TEST_P(JobsSession, NoVersionMismatchRetryWithoutExecutionStateOrOnceTerminal) {
  Harness h(jobs_scenario(GetParam()));
  h.start();
  start_accepted(h, "fl0-1", "fw-1", 2);
  // Already SUCCEEDED (another writer finished it): a retry could only be refused.
  version_mismatch(h, "fw-1", token_of(publishes(h).back()), awsiot::JobStatus::Succeeded, 5);
  EXPECT_EQ(h.stats->job_version_retries.load(), 0u);
  EXPECT_EQ(ended(h, JobEnd::Rejected), 1u);
  // Without executionState (RejectionsByCodeAndForeignTokens): no version to expect, no retry.
  notify_next(h, "fw-2");
  start_accepted(h, token_of(publishes(h).back()), "fw-2", 2);
  rejected(h, kJobs + "fw-2/update/rejected", awsiot::JobsErrorCode::VersionMismatch, token_of(publishes(h).back()));
  EXPECT_EQ(h.stats->job_version_retries.load(), 0u);
  EXPECT_EQ(ended(h, JobEnd::Rejected), 2u);
}

TEST_P(JobsSession, AtQos1TheAnswersTopicsAreSubscribedAndRequestsSentAtQos1) {
  Harness h(jobs_scenario(GetParam()));
  h.auto_ack = false;
  h.start();
  const auto subs = h.of_type(mqtt::PacketType::Subscribe);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(filter_qos_of(h, subs[0]), std::vector<mqtt::QoS>(5, mqtt::QoS::AtLeastOnce));
  const auto start = publish_packets(h).at(0);
  EXPECT_EQ(start.qos, mqtt::QoS::AtLeastOnce);
  EXPECT_NE(start.packet_id, 0u);
  mqtt::PubAck a;
  a.packet_id = start.packet_id;
  h.feed(a);
  EXPECT_EQ(h.stats->aws_requests_acked.load(), 1u);
  EXPECT_EQ(h.stats->unexpected_acks.load(), 0u);
  // notify-next at QoS 1: PUBACKed like the answers.
  awsiot::NextJobExecutionChanged n;
  n.timestamp = 1;  // no execution: the queue emptied
  answer(h, kJobs + "notify-next", awsiot::to_json(n), 99);
  EXPECT_EQ(pubacks_sent(h), std::vector<std::uint16_t>{99});
}

TEST_P(JobsSession, AtQos0RequestsAndSubscriptionsAreQos0) {
  auto s = jobs_scenario(GetParam());
  s.jobs->qos = 0;
  Harness h(s);
  h.start();
  EXPECT_EQ(filter_qos_of(h, h.of_type(mqtt::PacketType::Subscribe).at(0)),
            std::vector<mqtt::QoS>(5, mqtt::QoS::AtMostOnce));
  const auto start = publish_packets(h).at(0);
  EXPECT_EQ(start.qos, mqtt::QoS::AtMostOnce);
  EXPECT_EQ(start.packet_id, 0u);
}

INSTANTIATE_TEST_SUITE_P(Both, JobsSession, ::testing::Values(mqtt::Version::V311, mqtt::Version::V5),
                         [](const auto& i) { return i.param == mqtt::Version::V5 ? "Mqtt5" : "Mqtt311"; });

}  // namespace
}  // namespace fleetload::device::test
