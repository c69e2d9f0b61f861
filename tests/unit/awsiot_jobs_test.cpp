// awsiot jobs payloads: the examples of the AWS IoT developer guide ("Jobs device MQTT API",
// "Jobs notifications") decoded and encoded back to the same JSON, requests with bad fields
// refused with the ErrorResponse code the guide names, and round trips of every type.
#include <gtest/gtest.h>

#include <string>

#include "awsiot/jobs.hpp"

namespace fleetload::awsiot {
namespace {

json::value J(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }

TEST(AwsiotJobs, StartNextResponseOfTheGuide) {
  // "StartNextPendingJobExecution", response example (the guide's trailing comma removed).
  const char* doc = R"({
    "execution" : {
        "jobId" : "022",
        "thingName" : "MyThing",
        "jobDocument" : "< contents of job document >",
        "status" : "IN_PROGRESS",
        "queuedAt" : 1489096123309,
        "lastUpdatedAt" : 1489096123309,
        "versionNumber" : 1,
        "executionNumber" : 1234567890
    },
    "clientToken" : "client-1",
    "timestamp" : 1489088524284
  })";
  auto r = parse_job_execution_response(doc);
  ASSERT_TRUE(r) << r.error;
  ASSERT_TRUE(r->execution);
  EXPECT_EQ(r->execution->job_id, "022");
  EXPECT_EQ(r->execution->thing_name, "MyThing");
  EXPECT_EQ(r->execution->status, JobStatus::InProgress);
  EXPECT_EQ(r->execution->queued_at, 1489096123309u);
  EXPECT_EQ(r->execution->version_number, 1u);
  EXPECT_EQ(r->execution->execution_number, 1234567890u);
  EXPECT_EQ(r->client_token, "client-1");
  EXPECT_EQ(r->timestamp, 1489088524284u);
  EXPECT_EQ(J(to_json(*r)), J(doc));
}

TEST(AwsiotJobs, NotificationsOfTheGuide) {
  // "Jobs notifications": job1 created, then job1 in progress with job2 and job3 queued.
  const char* created = R"({"timestamp": 1517016948, "jobs": {"QUEUED": [{"jobId": "job1", "queuedAt": 1517016947,
      "lastUpdatedAt": 1517016947, "executionNumber": 1, "versionNumber": 1}]}})";
  auto n = parse_job_executions_changed(created);
  ASSERT_TRUE(n) << n.error;
  ASSERT_EQ(n->queued.size(), 1u);
  EXPECT_EQ(n->queued[0].job_id, "job1");
  EXPECT_TRUE(n->in_progress.empty());
  EXPECT_EQ(J(to_json(*n)), J(created));

  const char* three = R"({"timestamp": 1517017906, "jobs": {
      "IN_PROGRESS": [{"jobId": "job1", "queuedAt": 1517016947, "lastUpdatedAt": 1517017472,
                       "startedAt": 1517017472, "executionNumber": 1, "versionNumber": 2}],
      "QUEUED": [{"jobId": "job2", "queuedAt": 1517017191, "lastUpdatedAt": 1517017191, "executionNumber": 1, "versionNumber": 1},
                 {"jobId": "job3", "queuedAt": 1517017905, "lastUpdatedAt": 1517017905, "executionNumber": 1, "versionNumber": 1}]}})";
  auto m = parse_job_executions_changed(three);
  ASSERT_TRUE(m) << m.error;
  ASSERT_EQ(m->in_progress.size(), 1u);
  EXPECT_EQ(m->in_progress[0].started_at, 1517017472u);
  EXPECT_EQ(m->queued.size(), 2u);
  EXPECT_EQ(J(to_json(*m)), J(three));

  const char* empty = R"({"timestamp": 1517189551, "jobs": {}})";  // job3 force-deleted
  auto e = parse_job_executions_changed(empty);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->queued.empty());
  EXPECT_EQ(J(to_json(*e)), J(empty));

  const char* next = R"({"timestamp": 1517016948, "execution": {"jobId": "job1", "status": "QUEUED",
      "queuedAt": 1517016947, "lastUpdatedAt": 1517016947, "versionNumber": 1, "executionNumber": 1,
      "jobDocument": {"operation": "test"}}})";
  auto nx = parse_next_job_execution_changed(next);
  ASSERT_TRUE(nx) << nx.error;
  ASSERT_TRUE(nx->execution);
  EXPECT_EQ(nx->execution->job_document, J(R"({"operation": "test"})"));
  EXPECT_EQ(J(to_json(*nx)), J(next));

  auto none = parse_next_job_execution_changed(R"({"timestamp": 1517189551})");  // the queue emptied
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->execution);
  EXPECT_EQ(J(to_json(*none)), J(R"({"timestamp": 1517189551})"));
}

TEST(AwsiotJobs, GetPendingResponseOfTheGuide) {
  const char* doc = R"({"inProgressJobs": [], "queuedJobs": [{"jobId": "j", "queuedAt": 1, "lastUpdatedAt": 1,
      "executionNumber": 1, "versionNumber": 1}], "timestamp": 1489096425069, "clientToken": "client-001"})";
  auto r = parse_get_pending_jobs_response(doc);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r->queued.size(), 1u);
  EXPECT_EQ(r->client_token, "client-001");
  EXPECT_EQ(J(to_json(*r)), J(doc));
}

TEST(AwsiotJobs, UpdateRequestFieldsAndDefaults) {
  auto r = parse_update_job(R"({"status": "SUCCEEDED", "statusDetails": {"progress": "100%"}, "expectedVersion": 2,
      "executionNumber": 1, "includeJobExecutionState": true, "stepTimeoutInMinutes": 5, "clientToken": "t"})");
  ASSERT_TRUE(r) << r.error.message;
  EXPECT_EQ(r->status, JobStatus::Succeeded);
  EXPECT_EQ(r->status_details, J(R"({"progress": "100%"})").as_object());
  EXPECT_EQ(r->expected_version, 2u);
  EXPECT_TRUE(r->include_job_execution_state);
  EXPECT_FALSE(r->include_job_document);  // "The default is false"
  EXPECT_EQ(r->step_timeout_minutes, 5);
  auto back = parse_update_job(to_json(*r));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, *r);
  auto d = parse_describe_job("");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->include_job_document);  // "Unless set to false, the response contains the job document"
  auto s = parse_start_next_job(R"({"stepTimeoutInMinutes": -1})");  // -1 cancels the step timer
  ASSERT_TRUE(s);
  EXPECT_EQ(s->step_timeout_minutes, -1);
}

TEST(AwsiotJobs, BadRequestsGetTheGuidesErrorCodes) {
  struct Case {
    const char* payload;
    JobsErrorCode code;
  };
  for (const Case& c : {Case{"{", JobsErrorCode::InvalidJson}, Case{"[]", JobsErrorCode::InvalidJson},
                        Case{R"({"status": "QUEUED"})", JobsErrorCode::InvalidRequest},
                        Case{R"({"status": "DONE"})", JobsErrorCode::InvalidRequest},
                        Case{R"({})", JobsErrorCode::InvalidRequest},
                        Case{R"({"status": "FAILED", "statusDetails": {"n": 1}})", JobsErrorCode::InvalidRequest},
                        Case{R"({"status": "FAILED", "expectedVersion": "2"})", JobsErrorCode::InvalidRequest},
                        Case{R"({"status": "IN_PROGRESS", "stepTimeoutInMinutes": 0})", JobsErrorCode::InvalidRequest},
                        Case{R"({"status": "IN_PROGRESS", "stepTimeoutInMinutes": 10081})", JobsErrorCode::InvalidRequest}}) {
    auto r = parse_update_job(c.payload);
    ASSERT_FALSE(r) << c.payload;
    EXPECT_EQ(r.error.code, c.code) << c.payload << ": " << r.error.message;
  }
  auto tok = parse_update_job(R"({"status": "QUEUED", "clientToken": "ct"})");
  ASSERT_FALSE(tok);
  EXPECT_EQ(tok.error.client_token, "ct");
  EXPECT_FALSE(parse_describe_job(R"({"includeJobDocument": "yes"})"));
  EXPECT_FALSE(parse_start_next_job(R"({"statusDetails": []})"));
}

TEST(AwsiotJobs, ErrorResponseRoundTripsWithExecutionState) {
  JobsError e;
  e.code = JobsErrorCode::VersionMismatch;
  e.message = "expectedVersion 1 does not match 2";
  e.client_token = "c";
  e.timestamp = 1517186269;
  e.execution_state = JobExecutionState{JobStatus::InProgress, json::object{{"step", "2"}}, 2};
  const std::string text = to_json(e);
  EXPECT_EQ(J(text), J(R"({"code": "VersionMismatch", "message": "expectedVersion 1 does not match 2",
      "clientToken": "c", "timestamp": 1517186269,
      "executionState": {"status": "IN_PROGRESS", "statusDetails": {"step": "2"}, "versionNumber": 2}})"));
  auto back = parse_jobs_error(text);
  ASSERT_TRUE(back) << back.error;
  EXPECT_EQ(*back, e);
  EXPECT_FALSE(parse_jobs_error(R"({"code": "Oops", "message": "", "timestamp": 1})"));
}

TEST(AwsiotJobs, StatusNamesAndTerminalStates) {
  for (JobStatus s : {JobStatus::Queued, JobStatus::InProgress, JobStatus::Succeeded, JobStatus::Failed,
                      JobStatus::Rejected, JobStatus::Removed, JobStatus::Canceled, JobStatus::TimedOut}) {
    EXPECT_EQ(job_status_from(to_string(s)), s);
  }
  EXPECT_STREQ(to_string(JobStatus::TimedOut), "TIMED_OUT");
  EXPECT_FALSE(is_terminal(JobStatus::Queued));
  EXPECT_FALSE(is_terminal(JobStatus::InProgress));
  EXPECT_TRUE(is_terminal(JobStatus::Succeeded));
  EXPECT_TRUE(is_terminal(JobStatus::TimedOut));
  EXPECT_FALSE(job_status_from("queued"));
}

TEST(AwsiotJobs, UpdateResponseRoundTrips) {
  UpdateJobResponse r;
  r.execution_state = JobExecutionState{JobStatus::Succeeded, std::nullopt, 3};
  r.job_document = J(R"({"operation": "test"})");
  r.timestamp = 10;
  r.client_token = "u";
  auto back = parse_update_job_response(to_json(r));
  ASSERT_TRUE(back) << back.error;
  EXPECT_EQ(*back, r);
}

}  // namespace
}  // namespace fleetload::awsiot
