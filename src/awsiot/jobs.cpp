// AWS IoT Jobs device API payloads (see jobs.hpp for the sources).
#include "awsiot/jobs.hpp"

#include <array>

#include "awsiot/json_fields.hpp"
#include "awsiot/limits.hpp"

namespace fleetload::awsiot {
namespace {

using detail::get_bool;
using detail::get_i64;
using detail::get_string;
using detail::get_u64;
using detail::parse_json;

constexpr std::array<std::pair<JobStatus, const char*>, 8> kStatusNames{{
    {JobStatus::Queued, "QUEUED"},
    {JobStatus::InProgress, "IN_PROGRESS"},
    {JobStatus::Succeeded, "SUCCEEDED"},
    {JobStatus::Failed, "FAILED"},
    {JobStatus::Rejected, "REJECTED"},
    {JobStatus::Removed, "REMOVED"},
    {JobStatus::Canceled, "CANCELED"},
    {JobStatus::TimedOut, "TIMED_OUT"},
}};

constexpr std::array<const char*, 9> kErrorNames{
    "InvalidTopic",     "InvalidJson",     "InvalidRequest", "InvalidStateTransition", "ResourceNotFound",
    "VersionMismatch",  "InternalError",   "RequestThrottled", "TerminalStateReached"};

JobsError error(JobsErrorCode c, std::string message, std::optional<std::string> token = std::nullopt) {
  JobsError e;
  e.code = c;
  e.message = std::move(message);
  e.client_token = std::move(token);
  return e;
}

void put_token(json::object& o, const std::optional<std::string>& token) {
  if (token) o["clientToken"] = *token;
}

// The request's root object and client token, or the error to answer with. An empty payload
// is an empty request (the SDKs send "{}", AWS accepts both).
template <class T>
bool begin_request(std::string_view payload, json::object& root, std::optional<std::string>& token,
                   Result<T, JobsError>& out) {
  if (payload.empty()) return true;
  auto v = parse_json(payload);
  if (!v || !v->is_object()) {
    out = Result<T, JobsError>::fail(error(JobsErrorCode::InvalidJson, "The request is not a valid UTF-8 JSON object"));
    return false;
  }
  root = std::move(v->get_object());
  auto t = get_string(root, "clientToken");
  if (!t.ok || (t.value && t.value->size() > kMaxClientTokenBytes)) {
    out = Result<T, JobsError>::fail(
        error(JobsErrorCode::InvalidRequest, "clientToken must be a string of at most 64 bytes"));
    return false;
  }
  token = std::move(t.value);
  return true;
}

// statusDetails: "A collection of name-value pairs"; values are strings.
bool read_details(const json::object& o, std::optional<json::object>& out) {
  const json::value* v = o.if_contains("statusDetails");
  if (v == nullptr) return true;
  if (!v->is_object() || !detail::all_strings(v->get_object())) return false;
  out = v->get_object();
  return true;
}

bool read_step_timeout(const json::object& o, std::optional<std::int64_t>& out) {
  auto f = get_i64(o, "stepTimeoutInMinutes");
  if (!f.ok) return false;
  if (f.value && *f.value != -1 && (*f.value < kMinStepTimeoutMinutes || *f.value > kMaxStepTimeoutMinutes)) return false;
  out = f.value;
  return true;
}

// ---- response side --------------------------------------------------------------------------
std::optional<json::object> root(std::string_view payload, std::string& why) {
  auto v = parse_json(payload);
  if (!v || !v->is_object()) {
    why = "not a JSON object";
    return std::nullopt;
  }
  return std::move(v->get_object());
}

bool need_u64(const json::object& o, std::string_view key, std::uint64_t& out) {
  auto f = get_u64(o, key);
  if (!f.ok || !f.value) return false;
  out = *f.value;
  return true;
}

bool opt_u64(const json::object& o, std::string_view key, std::optional<std::uint64_t>& out) {
  auto f = get_u64(o, key);
  out = f.value;
  return f.ok;
}

bool read_status(const json::object& o, JobStatus& out) {
  auto s = get_string(o, "status");
  if (!s.ok || !s.value) return false;
  auto st = job_status_from(*s.value);
  if (!st) return false;
  out = *st;
  return true;
}

bool read_execution(const json::object& o, JobExecution& e) {
  auto id = get_string(o, "jobId");
  if (!id.ok || !id.value) return false;
  e.job_id = std::move(*id.value);
  auto thing = get_string(o, "thingName");
  if (!thing.ok) return false;
  e.thing_name = thing.value.value_or("");
  if (const json::value* d = o.if_contains("jobDocument")) e.job_document = *d;
  if (!read_status(o, e.status) || !read_details(o, e.status_details)) return false;
  if (!need_u64(o, "queuedAt", e.queued_at) || !opt_u64(o, "startedAt", e.started_at) ||
      !need_u64(o, "lastUpdatedAt", e.last_updated_at) || !need_u64(o, "versionNumber", e.version_number) ||
      !need_u64(o, "executionNumber", e.execution_number))
    return false;
  auto left = get_i64(o, "approximateSecondsBeforeTimedOut");
  if (!left.ok) return false;
  e.approximate_seconds_before_timed_out = left.value;
  return true;
}

bool read_state(const json::object& o, JobExecutionState& s) {
  return read_status(o, s.status) && read_details(o, s.status_details) &&
         need_u64(o, "versionNumber", s.version_number);
}

bool read_summary(const json::value& v, JobExecutionSummary& s) {
  if (!v.is_object()) return false;
  const json::object& o = v.get_object();
  auto id = get_string(o, "jobId");
  if (!id.ok || !id.value) return false;
  s.job_id = std::move(*id.value);
  return need_u64(o, "queuedAt", s.queued_at) && opt_u64(o, "startedAt", s.started_at) &&
         need_u64(o, "lastUpdatedAt", s.last_updated_at) && need_u64(o, "versionNumber", s.version_number) &&
         need_u64(o, "executionNumber", s.execution_number);
}

bool read_summaries(const json::object& o, std::string_view key, std::vector<JobExecutionSummary>& out) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return true;
  if (!v->is_array()) return false;
  for (const auto& e : v->get_array()) {
    JobExecutionSummary s;
    if (!read_summary(e, s)) return false;
    out.push_back(std::move(s));
  }
  return true;
}

json::array summaries(const std::vector<JobExecutionSummary>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(to_json_object(s));
  return a;
}

bool read_token(const json::object& o, std::optional<std::string>& out) {
  auto t = get_string(o, "clientToken");
  out = std::move(t.value);
  return t.ok;
}

}  // namespace

const char* to_string(JobStatus s) noexcept {
  for (const auto& [st, name] : kStatusNames)
    if (st == s) return name;
  return "?";
}

std::optional<JobStatus> job_status_from(std::string_view s) noexcept {
  for (const auto& [st, name] : kStatusNames)
    if (s == name) return st;
  return std::nullopt;
}

bool is_terminal(JobStatus s) noexcept { return s != JobStatus::Queued && s != JobStatus::InProgress; }

const char* to_string(JobsErrorCode c) noexcept { return kErrorNames[static_cast<std::size_t>(c)]; }

std::optional<JobsErrorCode> jobs_error_code_from(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kErrorNames.size(); ++i)
    if (s == kErrorNames[i]) return static_cast<JobsErrorCode>(i);
  return std::nullopt;
}

Result<GetPendingJobsRequest, JobsError> parse_get_pending_jobs(std::string_view payload) {
  Result<GetPendingJobsRequest, JobsError> out;
  json::object o;
  GetPendingJobsRequest r;
  if (!begin_request(payload, o, r.client_token, out)) return out;
  return Result<GetPendingJobsRequest, JobsError>::ok(std::move(r));
}

Result<StartNextJobRequest, JobsError> parse_start_next_job(std::string_view payload) {
  using R = Result<StartNextJobRequest, JobsError>;
  R out;
  json::object o;
  StartNextJobRequest r;
  if (!begin_request(payload, o, r.client_token, out)) return out;
  if (!read_details(o, r.status_details)) {
    return R::fail(error(JobsErrorCode::InvalidRequest, "statusDetails must map names to strings", r.client_token));
  }
  if (!read_step_timeout(o, r.step_timeout_minutes)) {
    return R::fail(error(JobsErrorCode::InvalidRequest, "stepTimeoutInMinutes must be -1 or from 1 to 10080",
                         r.client_token));
  }
  return R::ok(std::move(r));
}

Result<DescribeJobRequest, JobsError> parse_describe_job(std::string_view payload) {
  using R = Result<DescribeJobRequest, JobsError>;
  R out;
  json::object o;
  DescribeJobRequest r;
  if (!begin_request(payload, o, r.client_token, out)) return out;
  auto n = get_u64(o, "executionNumber");
  auto doc = get_bool(o, "includeJobDocument");
  if (!n.ok) return R::fail(error(JobsErrorCode::InvalidRequest, "executionNumber must be a whole number", r.client_token));
  if (!doc.ok) return R::fail(error(JobsErrorCode::InvalidRequest, "includeJobDocument must be a boolean", r.client_token));
  r.execution_number = n.value;
  r.include_job_document = doc.value.value_or(true);
  return R::ok(std::move(r));
}

Result<UpdateJobRequest, JobsError> parse_update_job(std::string_view payload) {
  using R = Result<UpdateJobRequest, JobsError>;
  R out;
  json::object o;
  UpdateJobRequest r;
  if (!begin_request(payload, o, r.client_token, out)) return out;
  auto tok = r.client_token;
  auto status = get_string(o, "status");
  // "This must be specified on every update"; a device sets only these four.
  std::optional<JobStatus> st = status.value ? job_status_from(*status.value) : std::nullopt;
  if (!status.ok || !st ||
      (*st != JobStatus::InProgress && *st != JobStatus::Failed && *st != JobStatus::Succeeded &&
       *st != JobStatus::Rejected)) {
    return R::fail(error(JobsErrorCode::InvalidRequest, "status must be IN_PROGRESS, FAILED, SUCCEEDED or REJECTED", tok));
  }
  r.status = *st;
  if (!read_details(o, r.status_details)) {
    return R::fail(error(JobsErrorCode::InvalidRequest, "statusDetails must map names to strings", tok));
  }
  auto ver = get_u64(o, "expectedVersion");
  auto num = get_u64(o, "executionNumber");
  auto inc_state = get_bool(o, "includeJobExecutionState");
  auto inc_doc = get_bool(o, "includeJobDocument");
  if (!ver.ok) return R::fail(error(JobsErrorCode::InvalidRequest, "expectedVersion must be a whole number", tok));
  if (!num.ok) return R::fail(error(JobsErrorCode::InvalidRequest, "executionNumber must be a whole number", tok));
  if (!inc_state.ok || !inc_doc.ok) {
    return R::fail(error(JobsErrorCode::InvalidRequest, "includeJobExecutionState and includeJobDocument must be booleans", tok));
  }
  if (!read_step_timeout(o, r.step_timeout_minutes)) {
    return R::fail(error(JobsErrorCode::InvalidRequest, "stepTimeoutInMinutes must be -1 or from 1 to 10080", tok));
  }
  r.expected_version = ver.value;
  r.execution_number = num.value;
  r.include_job_execution_state = inc_state.value.value_or(false);
  r.include_job_document = inc_doc.value.value_or(false);
  return R::ok(std::move(r));
}

Result<GetPendingJobsResponse> parse_get_pending_jobs_response(std::string_view payload) {
  using R = Result<GetPendingJobsResponse>;
  std::string why;
  auto o = root(payload, why);
  if (!o) return R::fail(why);
  GetPendingJobsResponse r;
  if (!read_summaries(*o, "inProgressJobs", r.in_progress) || !read_summaries(*o, "queuedJobs", r.queued)) {
    return R::fail("inProgressJobs / queuedJobs are not lists of JobExecutionSummary");
  }
  if (!need_u64(*o, "timestamp", r.timestamp) || !read_token(*o, r.client_token)) return R::fail("bad timestamp or clientToken");
  return R::ok(std::move(r));
}

Result<JobExecutionResponse> parse_job_execution_response(std::string_view payload) {
  using R = Result<JobExecutionResponse>;
  std::string why;
  auto o = root(payload, why);
  if (!o) return R::fail(why);
  JobExecutionResponse r;
  if (const json::value* e = o->if_contains("execution")) {
    r.execution.emplace();
    if (!e->is_object() || !read_execution(e->get_object(), *r.execution)) return R::fail("execution is not a JobExecution");
  }
  if (!need_u64(*o, "timestamp", r.timestamp) || !read_token(*o, r.client_token)) return R::fail("bad timestamp or clientToken");
  return R::ok(std::move(r));
}

Result<UpdateJobResponse> parse_update_job_response(std::string_view payload) {
  using R = Result<UpdateJobResponse>;
  std::string why;
  auto o = root(payload, why);
  if (!o) return R::fail(why);
  UpdateJobResponse r;
  if (const json::value* s = o->if_contains("executionState")) {
    r.execution_state.emplace();
    if (!s->is_object() || !read_state(s->get_object(), *r.execution_state)) return R::fail("executionState is not a JobExecutionState");
  }
  if (const json::value* d = o->if_contains("jobDocument")) r.job_document = *d;
  if (!need_u64(*o, "timestamp", r.timestamp) || !read_token(*o, r.client_token)) return R::fail("bad timestamp or clientToken");
  return R::ok(std::move(r));
}

Result<JobExecutionsChanged> parse_job_executions_changed(std::string_view payload) {
  using R = Result<JobExecutionsChanged>;
  std::string why;
  auto o = root(payload, why);
  if (!o) return R::fail(why);
  JobExecutionsChanged r;
  const json::value* jobs = o->if_contains("jobs");
  if (jobs == nullptr || !jobs->is_object()) return R::fail("jobs is missing or not an object");
  if (!read_summaries(jobs->get_object(), "IN_PROGRESS", r.in_progress) ||
      !read_summaries(jobs->get_object(), "QUEUED", r.queued))
    return R::fail("jobs.IN_PROGRESS / jobs.QUEUED are not lists of JobExecutionSummary");
  if (!need_u64(*o, "timestamp", r.timestamp)) return R::fail("timestamp is missing or not a whole number");
  return R::ok(std::move(r));
}

Result<NextJobExecutionChanged> parse_next_job_execution_changed(std::string_view payload) {
  using R = Result<NextJobExecutionChanged>;
  std::string why;
  auto o = root(payload, why);
  if (!o) return R::fail(why);
  NextJobExecutionChanged r;
  if (const json::value* e = o->if_contains("execution")) {
    r.execution.emplace();
    if (!e->is_object() || !read_execution(e->get_object(), *r.execution)) return R::fail("execution is not a JobExecution");
  }
  if (!need_u64(*o, "timestamp", r.timestamp)) return R::fail("timestamp is missing or not a whole number");
  return R::ok(std::move(r));
}

Result<JobsError> parse_jobs_error(std::string_view payload) {
  using R = Result<JobsError>;
  std::string why;
  auto o = root(payload, why);
  if (!o) return R::fail(why);
  JobsError r;
  auto code = get_string(*o, "code");
  auto c = code.value ? jobs_error_code_from(*code.value) : std::nullopt;
  if (!code.ok || !c) return R::fail("code is not a Jobs ErrorCode");
  r.code = *c;
  auto msg = get_string(*o, "message");
  if (!msg.ok) return R::fail("message is not a string");
  r.message = msg.value.value_or("");
  if (!read_token(*o, r.client_token) || !need_u64(*o, "timestamp", r.timestamp)) return R::fail("bad timestamp or clientToken");
  if (const json::value* s = o->if_contains("executionState")) {
    r.execution_state.emplace();
    if (!s->is_object() || !read_state(s->get_object(), *r.execution_state)) return R::fail("executionState is not a JobExecutionState");
  }
  return R::ok(std::move(r));
}

json::object to_json_object(const JobExecution& e) {
  json::object o;
  o["jobId"] = e.job_id;
  if (!e.thing_name.empty()) o["thingName"] = e.thing_name;
  if (e.job_document) o["jobDocument"] = *e.job_document;
  o["status"] = to_string(e.status);
  if (e.status_details) o["statusDetails"] = *e.status_details;
  o["queuedAt"] = e.queued_at;
  if (e.started_at) o["startedAt"] = *e.started_at;
  o["lastUpdatedAt"] = e.last_updated_at;
  o["versionNumber"] = e.version_number;
  o["executionNumber"] = e.execution_number;
  if (e.approximate_seconds_before_timed_out) o["approximateSecondsBeforeTimedOut"] = *e.approximate_seconds_before_timed_out;
  return o;
}

json::object to_json_object(const JobExecutionState& s) {
  json::object o;
  o["status"] = to_string(s.status);
  if (s.status_details) o["statusDetails"] = *s.status_details;
  o["versionNumber"] = s.version_number;
  return o;
}

json::object to_json_object(const JobExecutionSummary& s) {
  json::object o;
  o["jobId"] = s.job_id;
  o["queuedAt"] = s.queued_at;
  if (s.started_at) o["startedAt"] = *s.started_at;
  o["lastUpdatedAt"] = s.last_updated_at;
  o["executionNumber"] = s.execution_number;
  o["versionNumber"] = s.version_number;
  return o;
}

std::string to_json(const GetPendingJobsRequest& r) {
  json::object o;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const StartNextJobRequest& r) {
  json::object o;
  if (r.status_details) o["statusDetails"] = *r.status_details;
  if (r.step_timeout_minutes) o["stepTimeoutInMinutes"] = *r.step_timeout_minutes;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const DescribeJobRequest& r) {
  json::object o;
  if (r.execution_number) o["executionNumber"] = *r.execution_number;
  if (!r.include_job_document) o["includeJobDocument"] = false;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const UpdateJobRequest& r) {
  json::object o;
  o["status"] = to_string(r.status);
  if (r.status_details) o["statusDetails"] = *r.status_details;
  if (r.expected_version) o["expectedVersion"] = *r.expected_version;
  if (r.execution_number) o["executionNumber"] = *r.execution_number;
  if (r.include_job_execution_state) o["includeJobExecutionState"] = true;
  if (r.include_job_document) o["includeJobDocument"] = true;
  if (r.step_timeout_minutes) o["stepTimeoutInMinutes"] = *r.step_timeout_minutes;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const GetPendingJobsResponse& r) {
  json::object o;
  o["inProgressJobs"] = summaries(r.in_progress);
  o["queuedJobs"] = summaries(r.queued);
  o["timestamp"] = r.timestamp;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const JobExecutionResponse& r) {
  json::object o;
  if (r.execution) o["execution"] = to_json_object(*r.execution);
  o["timestamp"] = r.timestamp;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const UpdateJobResponse& r) {
  json::object o;
  if (r.execution_state) o["executionState"] = to_json_object(*r.execution_state);
  if (r.job_document) o["jobDocument"] = *r.job_document;
  o["timestamp"] = r.timestamp;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const JobExecutionsChanged& r) {
  json::object jobs;
  if (!r.in_progress.empty()) jobs["IN_PROGRESS"] = summaries(r.in_progress);
  if (!r.queued.empty()) jobs["QUEUED"] = summaries(r.queued);
  json::object o;
  o["timestamp"] = r.timestamp;
  o["jobs"] = std::move(jobs);
  return json::serialize(o);
}

std::string to_json(const NextJobExecutionChanged& r) {
  json::object o;
  o["timestamp"] = r.timestamp;
  if (r.execution) o["execution"] = to_json_object(*r.execution);
  return json::serialize(o);
}

std::string to_json(const JobsError& r) {
  json::object o;
  o["code"] = to_string(r.code);
  o["message"] = r.message;
  put_token(o, r.client_token);
  o["timestamp"] = r.timestamp;
  if (r.execution_state) o["executionState"] = to_json_object(*r.execution_state);
  return json::serialize(o);
}

}  // namespace fleetload::awsiot
