// The AWS IoT Jobs service's device side over any broker: a queue of job executions per
// thing with the execution state machine (QUEUED -> IN_PROGRESS -> SUCCEEDED / FAILED /
// REJECTED, TIMED_OUT by step timer), expectedVersion checks, jobs/notify and
// jobs/notify-next when the pending list or its first entry change, and the four requests.
//
// Sources (AWS IoT developer guide): "Jobs device MQTT API" (jobs-mqtt-api.html), "Jobs
// notifications" (jobs-comm-notifications.html), "AWS IoT jobs APIs" (ErrorResponse).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json.hpp>

#include "awsiot/jobs.hpp"
#include "awsiot/topics.hpp"
#include "responder/publisher.hpp"

namespace fleetload::responder {

namespace json = boost::json;

class JobsService {
 public:
  explicit JobsService(Publisher& out) : out_(out) {}

  // Creates job `id` with `document` and queues one execution per thing in `things` (a thing
  // that already has an execution of this job keeps it). `now`: epoch seconds. Returns how
  // many executions were queued. Throws std::invalid_argument for a duplicate job id.
  std::size_t create_job(const std::string& id, json::value document, const std::vector<std::string>& things,
                         std::uint64_t now);
  // Queues an execution of the existing job `id` for one more thing (continuous jobs).
  bool add_target(const std::string& id, const std::string& thing, std::uint64_t now);

  // A request on a jobs request topic (`t.reply` None, op GetPending, StartNext, Describe or Update).
  Outcome handle(const awsiot::JobsTopic& t, std::string_view payload, std::uint64_t now);

  // Times out executions whose step timer expired by `now` (epoch seconds).
  void tick(std::uint64_t now);

  // Executions of job `id` by status (the summary's books), and the state of one execution.
  std::map<awsiot::JobStatus, std::uint64_t> status_counts(const std::string& id) const;
  std::vector<std::string> job_ids() const;
  std::optional<awsiot::JobExecution> execution(std::string_view thing, std::string_view job_id) const;

 private:
  struct Job {
    std::string id;
    json::value document;
  };
  struct Execution {
    const Job* job = nullptr;
    awsiot::JobStatus status = awsiot::JobStatus::Queued;
    std::optional<json::object> details;
    std::uint64_t queued_at = 0;
    std::optional<std::uint64_t> started_at;
    std::uint64_t last_updated_at = 0;
    std::uint64_t version = 1;
    std::uint64_t execution_number = 1;
    std::optional<std::uint64_t> step_deadline;  // epoch seconds
    std::uint64_t order = 0;                     // creation order, breaks queuedAt ties
  };
  struct Thing {
    std::vector<Execution> executions;  // in the order they were queued
  };

  Thing& thing(std::string_view name);
  const Execution* next_pending(const Thing& t) const;
  std::vector<const Execution*> pending(const Thing& t) const;
  Execution* find(Thing& t, std::string_view job_id);
  awsiot::JobExecution describe(const std::string& thing, const Execution& e, bool with_document,
                                std::uint64_t now) const;
  awsiot::JobExecutionState state_of(const Execution& e) const;
  // After a change to `t`: jobs/notify when the pending list changed, jobs/notify-next when
  // its first execution is another one than `before`.
  void notify(const std::string& name, const Thing& t, const Job* before, bool list_changed, std::uint64_t now);
  void set_step_timer(const std::string& name, Execution& e, std::optional<std::int64_t> minutes, std::uint64_t now);
  Outcome reject(const awsiot::JobsTopic& t, awsiot::JobsError e, std::uint64_t now);
  void send(std::string_view thing, awsiot::JobsOp op, std::string_view job_id, awsiot::Reply reply,
            const std::string& payload);

  Publisher& out_;
  std::vector<std::unique_ptr<Job>> jobs_;
  std::unordered_map<std::string, Thing> things_;
  std::multimap<std::uint64_t, std::pair<std::string, const Job*>> timers_;  // step deadline -> execution
  std::uint64_t order_ = 0;
  std::string topic_;  // reused topic buffer
};

}  // namespace fleetload::responder
