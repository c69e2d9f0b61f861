// The responder's Jobs service without a broker: the notification sequence of the guide's
// "Jobs notifications" (job1, job2, job3), the device flow queued -> notify-next -> start-next
// -> SUCCEEDED with versions, VersionMismatch / InvalidStateTransition / ResourceNotFound /
// TerminalStateReached, and TIMED_OUT by the step timer on a clock the test sets.
#include <gtest/gtest.h>

#include <string>

#include "responder/dispatcher.hpp"

namespace fleetload::responder {
namespace {

json::value J(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }
std::span<const std::uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

using Messages = std::vector<std::pair<std::string, std::string>>;

class JobsFlow : public ::testing::Test {
 protected:
  CollectingPublisher out;
  Dispatcher d{out, DispatcherOptions{}};
  const std::string prefix = "$aws/things/MyThing/jobs/";

  Messages request(const std::string& suffix, std::string_view payload, std::uint64_t now) {
    out.messages.clear();
    d.on_publish(prefix + suffix, bytes(payload), now);
    return out.messages;
  }
  Messages create(const std::string& id, std::uint64_t now) {
    out.messages.clear();
    d.jobs().create_job(id, J(R"({"operation":"test"})"), {"MyThing"}, now);
    return out.messages;
  }
  std::vector<std::string> topics(const Messages& m) {
    std::vector<std::string> t;
    for (const auto& [topic, payload] : m) t.push_back(topic.substr(prefix.size()));
    return t;
  }
  static std::vector<std::string> ids(const json::value& list) {
    std::vector<std::string> v;
    for (const auto& e : list.as_array()) v.emplace_back(e.at("jobId").as_string());
    return v;
  }
};

TEST_F(JobsFlow, NotificationSequenceOfTheGuide) {
  // job1 created: notify (QUEUED [job1]) and notify-next (job1).
  auto m = create("job1", 1517016947);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"notify", "notify-next"}));
  EXPECT_EQ(J(m[0].second), J(R"({"timestamp":1517016947,"jobs":{"QUEUED":[{"jobId":"job1","queuedAt":1517016947,
      "lastUpdatedAt":1517016947,"executionNumber":1,"versionNumber":1}]}})"));
  EXPECT_EQ(J(m[1].second), J(R"({"timestamp":1517016947,"execution":{"jobId":"job1",
      "jobDocument":{"operation":"test"},"status":"QUEUED","queuedAt":1517016947,"lastUpdatedAt":1517016947,
      "versionNumber":1,"executionNumber":1}})"));
  // job2: only notify, "because the next job in the queue (job1) has not changed".
  m = create("job2", 1517017191);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"notify"}));
  EXPECT_EQ(ids(J(m[0].second).at("jobs").at("QUEUED")), (std::vector<std::string>{"job1", "job2"}));
  // job1 starts: "No notifications are published".
  m = request("job1/update", R"({"status":"IN_PROGRESS"})", 1517017472);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"job1/update/accepted"}));
  // job3: notify with job1 IN_PROGRESS and job2, job3 QUEUED.
  m = create("job3", 1517017905);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"notify"}));
  EXPECT_EQ(J(m[0].second), J(R"({"timestamp":1517017905,"jobs":{
      "IN_PROGRESS":[{"jobId":"job1","queuedAt":1517016947,"startedAt":1517017472,"lastUpdatedAt":1517017472,"executionNumber":1,"versionNumber":2}],
      "QUEUED":[{"jobId":"job2","queuedAt":1517017191,"lastUpdatedAt":1517017191,"executionNumber":1,"versionNumber":1},
                {"jobId":"job3","queuedAt":1517017905,"lastUpdatedAt":1517017905,"executionNumber":1,"versionNumber":1}]}})"));
  // job1 SUCCEEDED: notify [job2, job3] and notify-next job2.
  m = request("job1/update", R"({"status":"SUCCEEDED"})", 1517186269);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"job1/update/accepted", "notify", "notify-next"}));
  EXPECT_EQ(ids(J(m[1].second).at("jobs").at("QUEUED")), (std::vector<std::string>{"job2", "job3"}));
  EXPECT_EQ(J(m[2].second).at("execution").at("jobId"), "job2");
  EXPECT_EQ(J(m[2].second).at("execution").at("status"), "QUEUED");
  // job3 IN_PROGRESS before job2: notify-next job3 only, "no job has been added or removed".
  m = request("job3/update", R"({"status":"IN_PROGRESS"})", 1517186779);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"job3/update/accepted", "notify-next"}));
  EXPECT_EQ(J(m[1].second).at("execution").at("jobId"), "job3");
  EXPECT_EQ(J(m[1].second).at("execution").at("versionNumber"), 2);
  // job2 REJECTED: notify with only job3 IN_PROGRESS.
  m = request("job2/update", R"({"status":"REJECTED"})", 1517189392);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"job2/update/accepted", "notify"}));
  EXPECT_EQ(J(m[1].second), J(R"({"timestamp":1517189392,"jobs":{"IN_PROGRESS":[{"jobId":"job3","queuedAt":1517017905,
      "startedAt":1517186779,"lastUpdatedAt":1517186779,"executionNumber":1,"versionNumber":2}]}})"));
  // job3 done: empty list and the notify-next of an empty queue (timestamp only).
  m = request("job3/update", R"({"status":"SUCCEEDED"})", 1517189551);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"job3/update/accepted", "notify", "notify-next"}));
  EXPECT_EQ(J(m[1].second), J(R"({"timestamp":1517189551,"jobs":{}})"));
  EXPECT_EQ(J(m[2].second), J(R"({"timestamp":1517189551})"));
}

TEST_F(JobsFlow, StartNextThenSucceededWithVersionChecks) {
  create("fw-2", 100);
  auto m = request("start-next", R"({"statusDetails":{"step":"download"},"clientToken":"s1"})", 110);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"start-next/accepted"}));
  const json::value r = J(m[0].second);
  EXPECT_EQ(r.at("clientToken"), "s1");
  EXPECT_EQ(r.at("execution").at("status"), "IN_PROGRESS");
  EXPECT_EQ(r.at("execution").at("versionNumber"), 2);
  EXPECT_EQ(r.at("execution").at("startedAt"), 110);
  EXPECT_EQ(r.at("execution").at("statusDetails"), J(R"({"step":"download"})"));
  EXPECT_EQ(r.at("execution").at("jobDocument"), J(R"({"operation":"test"})"));
  // A second start-next returns the IN_PROGRESS execution unchanged.
  m = request("start-next", R"({"statusDetails":{"step":"other"}})", 111);
  EXPECT_EQ(J(m[0].second).at("execution").at("versionNumber"), 2);
  EXPECT_EQ(J(m[0].second).at("execution").at("statusDetails"), J(R"({"step":"download"})"));

  m = request("fw-2/update", R"({"status":"SUCCEEDED","expectedVersion":1,"clientToken":"u0"})", 120);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"fw-2/update/rejected"}));
  const json::value rej = J(m[0].second);
  EXPECT_EQ(rej.at("code"), "VersionMismatch");
  EXPECT_EQ(rej.at("clientToken"), "u0");
  EXPECT_EQ(rej.at("executionState"), J(R"({"status":"IN_PROGRESS","statusDetails":{"step":"download"},"versionNumber":2})"));

  m = request("fw-2/update", R"({"status":"SUCCEEDED","expectedVersion":2,"includeJobExecutionState":true,"includeJobDocument":true})", 130);
  ASSERT_EQ(topics(m), (std::vector<std::string>{"fw-2/update/accepted", "notify", "notify-next"}));
  EXPECT_EQ(J(m[0].second), J(R"({"executionState":{"status":"SUCCEEDED","statusDetails":{"step":"download"},"versionNumber":3},
      "jobDocument":{"operation":"test"},"timestamp":130})"));
  // Terminal: no way back, and describe says so.
  m = request("fw-2/update", R"({"status":"IN_PROGRESS"})", 140);
  EXPECT_EQ(J(m[0].second).at("code"), "InvalidStateTransition");
  EXPECT_EQ(J(m[0].second).at("executionState").at("status"), "SUCCEEDED");
  EXPECT_EQ(J(request("fw-2/get", "", 141)[0].second).at("code"), "TerminalStateReached");
  EXPECT_EQ(J(request("nope/update", R"({"status":"FAILED"})", 142)[0].second).at("code"), "ResourceNotFound");
  // Nothing pending: start-next and $next answer without an execution.
  EXPECT_EQ(J(request("start-next", "", 150)[0].second), J(R"({"timestamp":150})"));
  EXPECT_EQ(J(request("$next/get", R"({"clientToken":"n"})", 151)[0].second), J(R"({"timestamp":151,"clientToken":"n"})"));
  auto counts = d.jobs().status_counts("fw-2");
  EXPECT_EQ(counts[awsiot::JobStatus::Succeeded], 1u);
  EXPECT_EQ(d.books(Api::JobsUpdate).accepted, 1u);
  EXPECT_EQ(d.books(Api::JobsUpdate).rejected.at("VersionMismatch"), 1u);
  EXPECT_EQ(d.books(Api::JobsUpdate).rejected.at("InvalidStateTransition"), 1u);
}

TEST_F(JobsFlow, GetPendingAndDescribe) {
  create("a", 10);
  create("b", 11);
  request("a/update", R"({"status":"IN_PROGRESS","statusDetails":{"p":"1"}})", 12);
  auto m = request("get", R"({"clientToken":"c"})", 13);
  const json::value r = J(m[0].second);
  EXPECT_EQ(ids(r.at("inProgressJobs")), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ids(r.at("queuedJobs")), (std::vector<std::string>{"b"}));
  m = request("b/get", R"({"includeJobDocument":false})", 14);
  EXPECT_EQ(m[0].first, prefix + "b/get/accepted");
  EXPECT_FALSE(J(m[0].second).at("execution").as_object().contains("jobDocument"));
  m = request("$next/get", "", 15);
  EXPECT_EQ(J(m[0].second).at("execution").at("jobId"), "a");  // IN_PROGRESS first
  EXPECT_EQ(J(request("b/get", R"({"executionNumber":2})", 16)[0].second).at("code"), "ResourceNotFound");
  EXPECT_EQ(J(request("b/update", "{bad", 17)[0].second).at("code"), "InvalidJson");
  EXPECT_EQ(J(request("b/update", R"({"status":"CANCELED"})", 18)[0].second).at("code"), "InvalidRequest");
}

TEST_F(JobsFlow, StepTimerTimesTheExecutionOut) {
  create("slow", 1000);
  request("start-next", R"({"stepTimeoutInMinutes":1})", 1000);
  out.messages.clear();
  d.tick(1059);
  EXPECT_TRUE(out.messages.empty());
  // Reset by an IN_PROGRESS update with a new timeout: the old deadline no longer applies.
  request("slow/update", R"({"status":"IN_PROGRESS","stepTimeoutInMinutes":2})", 1030);
  out.messages.clear();
  d.tick(1061);
  EXPECT_TRUE(out.messages.empty());
  d.tick(1150);
  ASSERT_EQ(topics(out.messages), (std::vector<std::string>{"notify", "notify-next"}));
  EXPECT_EQ(J(out.messages[0].second), J(R"({"timestamp":1150,"jobs":{}})"));
  auto e = d.jobs().execution("MyThing", "slow");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, awsiot::JobStatus::TimedOut);
  EXPECT_EQ(e->version_number, 4u);
  EXPECT_EQ(J(request("slow/update", R"({"status":"SUCCEEDED"})", 1200)[0].second).at("code"), "InvalidStateTransition");
  // -1 cancels a timer.
  create("cancel", 2000);
  request("start-next", R"({"stepTimeoutInMinutes":1})", 2000);
  request("cancel/update", R"({"status":"IN_PROGRESS","stepTimeoutInMinutes":-1})", 2001);
  d.tick(5000);
  EXPECT_EQ(d.jobs().execution("MyThing", "cancel")->status, awsiot::JobStatus::InProgress);
}

TEST_F(JobsFlow, OneExecutionPerThingAndDuplicateJobsRefused) {
  EXPECT_EQ(d.jobs().create_job("j", J("{}"), {"a", "b", "a"}, 1), 2u);
  EXPECT_FALSE(d.jobs().add_target("j", "a", 2));
  EXPECT_TRUE(d.jobs().add_target("j", "c", 2));
  EXPECT_THROW(d.jobs().create_job("j", J("{}"), {}, 3), std::invalid_argument);
  EXPECT_EQ(d.jobs().status_counts("j")[awsiot::JobStatus::Queued], 3u);
}

}  // namespace
}  // namespace fleetload::responder
