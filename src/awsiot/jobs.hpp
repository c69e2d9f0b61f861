// AWS IoT Jobs device API payloads: job executions, the requests a device publishes and the
// responses and notifications the service publishes, encoded and decoded with Boost.JSON.
//
// Sources (AWS IoT developer guide): "Jobs device MQTT API" (jobs-mqtt-api.html), "Jobs device
// MQTT and HTTPS APIs and data types" (jobs-mqtt-https-api.html), "AWS IoT jobs APIs"
// (ErrorResponse, jobs-api.html), "Jobs notifications" (jobs-comm-notifications.html).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "awsiot/result.hpp"

namespace fleetload::awsiot {

namespace json = boost::json;

enum class JobStatus : std::uint8_t { Queued, InProgress, Succeeded, Failed, Rejected, Removed, Canceled, TimedOut };
const char* to_string(JobStatus s) noexcept;  // "QUEUED", "IN_PROGRESS", ...
std::optional<JobStatus> job_status_from(std::string_view s) noexcept;
// FAILED, SUCCEEDED, CANCELED, TIMED_OUT, REJECTED, REMOVED ("Jobs notifications").
bool is_terminal(JobStatus s) noexcept;

// JobExecution data type. Times are seconds since the epoch.
struct JobExecution {
  std::string job_id;
  std::string thing_name;
  std::optional<json::value> job_document;  // omitted when not asked for
  JobStatus status = JobStatus::Queued;
  std::optional<json::object> status_details;  // string -> string
  std::uint64_t queued_at = 0;
  std::optional<std::uint64_t> started_at;
  std::uint64_t last_updated_at = 0;
  std::uint64_t version_number = 0;
  std::uint64_t execution_number = 0;
  std::optional<std::int64_t> approximate_seconds_before_timed_out;  // with a step timer
  bool operator==(const JobExecution&) const = default;
};

// JobExecutionState data type.
struct JobExecutionState {
  JobStatus status = JobStatus::Queued;
  std::optional<json::object> status_details;
  std::uint64_t version_number = 0;
  bool operator==(const JobExecutionState&) const = default;
};

// JobExecutionSummary data type.
struct JobExecutionSummary {
  std::string job_id;
  std::uint64_t queued_at = 0;
  std::optional<std::uint64_t> started_at;
  std::uint64_t last_updated_at = 0;
  std::uint64_t version_number = 0;
  std::uint64_t execution_number = 0;
  bool operator==(const JobExecutionSummary&) const = default;
};

// ---- requests ---------------------------------------------------------------------------------
struct GetPendingJobsRequest {  // jobs/get
  std::optional<std::string> client_token;
  bool operator==(const GetPendingJobsRequest&) const = default;
};
struct StartNextJobRequest {  // jobs/start-next
  std::optional<json::object> status_details;
  std::optional<std::int64_t> step_timeout_minutes;  // 1..10080, or -1
  std::optional<std::string> client_token;
  bool operator==(const StartNextJobRequest&) const = default;
};
struct DescribeJobRequest {  // jobs/{jobId}/get
  std::optional<std::uint64_t> execution_number;
  bool include_job_document = true;  // "Unless set to false, the response contains the job document"
  std::optional<std::string> client_token;
  bool operator==(const DescribeJobRequest&) const = default;
};
struct UpdateJobRequest {  // jobs/{jobId}/update
  JobStatus status = JobStatus::InProgress;  // IN_PROGRESS, FAILED, SUCCEEDED or REJECTED
  std::optional<json::object> status_details;
  std::optional<std::uint64_t> expected_version;
  std::optional<std::uint64_t> execution_number;
  bool include_job_execution_state = false;
  bool include_job_document = false;
  std::optional<std::int64_t> step_timeout_minutes;
  std::optional<std::string> client_token;
  bool operator==(const UpdateJobRequest&) const = default;
};

// ---- responses and notifications -----------------------------------------------------------------
struct GetPendingJobsResponse {  // jobs/get/accepted
  std::vector<JobExecutionSummary> in_progress;
  std::vector<JobExecutionSummary> queued;
  std::uint64_t timestamp = 0;
  std::optional<std::string> client_token;
  bool operator==(const GetPendingJobsResponse&) const = default;
};
// jobs/start-next/accepted and jobs/{jobId}/get/accepted: no execution when none is pending.
struct JobExecutionResponse {
  std::optional<JobExecution> execution;
  std::uint64_t timestamp = 0;
  std::optional<std::string> client_token;
  bool operator==(const JobExecutionResponse&) const = default;
};
struct UpdateJobResponse {  // jobs/{jobId}/update/accepted
  std::optional<JobExecutionState> execution_state;
  std::optional<json::value> job_document;
  std::uint64_t timestamp = 0;
  std::optional<std::string> client_token;
  bool operator==(const UpdateJobResponse&) const = default;
};
struct JobExecutionsChanged {  // jobs/notify: pending executions by status
  std::vector<JobExecutionSummary> in_progress;
  std::vector<JobExecutionSummary> queued;
  std::uint64_t timestamp = 0;
  bool operator==(const JobExecutionsChanged&) const = default;
};
struct NextJobExecutionChanged {  // jobs/notify-next: no execution when the queue emptied
  std::optional<JobExecution> execution;
  std::uint64_t timestamp = 0;
  bool operator==(const NextJobExecutionChanged&) const = default;
};

enum class JobsErrorCode : std::uint8_t {
  InvalidTopic, InvalidJson, InvalidRequest, InvalidStateTransition, ResourceNotFound, VersionMismatch,
  InternalError, RequestThrottled, TerminalStateReached,
};
const char* to_string(JobsErrorCode c) noexcept;  // "InvalidTopic", ...
std::optional<JobsErrorCode> jobs_error_code_from(std::string_view s) noexcept;

// ErrorResponse (jobs .../rejected). executionState only with InvalidStateTransition and
// VersionMismatch.
struct JobsError {
  JobsErrorCode code = JobsErrorCode::InvalidRequest;
  std::string message;
  std::optional<std::string> client_token;
  std::uint64_t timestamp = 0;
  std::optional<JobExecutionState> execution_state;
  bool operator==(const JobsError&) const = default;
};

// ---- decoding requests (what the service reads): the error is the ErrorResponse to send ---
// `timestamp` of the error is left 0 for the caller to set.
Result<GetPendingJobsRequest, JobsError> parse_get_pending_jobs(std::string_view payload);
Result<StartNextJobRequest, JobsError> parse_start_next_job(std::string_view payload);
Result<DescribeJobRequest, JobsError> parse_describe_job(std::string_view payload);
Result<UpdateJobRequest, JobsError> parse_update_job(std::string_view payload);

// ---- decoding responses (what a device reads) ----------------------------------------------
Result<GetPendingJobsResponse> parse_get_pending_jobs_response(std::string_view payload);
Result<JobExecutionResponse> parse_job_execution_response(std::string_view payload);
Result<UpdateJobResponse> parse_update_job_response(std::string_view payload);
Result<JobExecutionsChanged> parse_job_executions_changed(std::string_view payload);
Result<NextJobExecutionChanged> parse_next_job_execution_changed(std::string_view payload);
Result<JobsError> parse_jobs_error(std::string_view payload);

// ---- encoding -----------------------------------------------------------------------------
json::object to_json_object(const JobExecution& e);
json::object to_json_object(const JobExecutionState& s);
json::object to_json_object(const JobExecutionSummary& s);
std::string to_json(const GetPendingJobsRequest& r);
std::string to_json(const StartNextJobRequest& r);
std::string to_json(const DescribeJobRequest& r);
std::string to_json(const UpdateJobRequest& r);
std::string to_json(const GetPendingJobsResponse& r);
std::string to_json(const JobExecutionResponse& r);
std::string to_json(const UpdateJobResponse& r);
std::string to_json(const JobExecutionsChanged& r);
std::string to_json(const NextJobExecutionChanged& r);
std::string to_json(const JobsError& r);

}  // namespace fleetload::awsiot
