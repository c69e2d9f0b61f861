// The Jobs service (see jobs_service.hpp for the sources).
#include "responder/jobs_service.hpp"

#include <algorithm>
#include <stdexcept>

#include "awsiot/limits.hpp"

namespace fleetload::responder {
namespace {

using awsiot::JobsErrorCode;
using awsiot::JobStatus;

awsiot::JobsError error(JobsErrorCode c, std::string message, std::optional<std::string> token) {
  awsiot::JobsError e;
  e.code = c;
  e.message = std::move(message);
  e.client_token = std::move(token);
  return e;
}

}  // namespace

JobsService::Thing& JobsService::thing(std::string_view name) {
  auto it = things_.find(std::string(name));
  if (it == things_.end()) it = things_.emplace(std::string(name), Thing{}).first;
  return it->second;
}

std::vector<const JobsService::Execution*> JobsService::pending(const Thing& t) const {
  // "sorted by status (IN_PROGRESS job executions before QUEUED job executions) and then by
  // the times when they were queued".
  std::vector<const Execution*> v;
  for (const auto& e : t.executions)
    if (!awsiot::is_terminal(e.status)) v.push_back(&e);
  std::stable_sort(v.begin(), v.end(), [](const Execution* a, const Execution* b) {
    const bool ai = a->status == JobStatus::InProgress, bi = b->status == JobStatus::InProgress;
    if (ai != bi) return ai;
    if (a->queued_at != b->queued_at) return a->queued_at < b->queued_at;
    return a->order < b->order;
  });
  return v;
}

const JobsService::Execution* JobsService::next_pending(const Thing& t) const {
  auto v = pending(t);
  return v.empty() ? nullptr : v.front();
}

JobsService::Execution* JobsService::find(Thing& t, std::string_view job_id) {
  for (auto& e : t.executions)
    if (e.job->id == job_id) return &e;
  return nullptr;
}

awsiot::JobExecution JobsService::describe(const std::string& thing, const Execution& e, bool with_document,
                                           std::uint64_t now) const {
  awsiot::JobExecution x;
  x.job_id = e.job->id;
  x.thing_name = thing;
  if (with_document) x.job_document = e.job->document;
  x.status = e.status;
  x.status_details = e.details;
  x.queued_at = e.queued_at;
  x.started_at = e.started_at;
  x.last_updated_at = e.last_updated_at;
  x.version_number = e.version;
  x.execution_number = e.execution_number;
  if (e.step_deadline) {
    x.approximate_seconds_before_timed_out =
        static_cast<std::int64_t>(*e.step_deadline > now ? *e.step_deadline - now : 0);
  }
  return x;
}

awsiot::JobExecutionState JobsService::state_of(const Execution& e) const {
  return awsiot::JobExecutionState{e.status, e.details, e.version};
}

void JobsService::send(std::string_view thing, awsiot::JobsOp op, std::string_view job_id, awsiot::Reply reply,
                       const std::string& payload) {
  topic_.clear();
  awsiot::append_jobs_topic(topic_, thing, op, job_id, reply);
  out_.publish(topic_, payload);
}

void JobsService::notify(const std::string& name, const Thing& t, const Job* before, bool list_changed,
                         std::uint64_t now) {
  const auto list = pending(t);
  if (list_changed) {
    awsiot::JobExecutionsChanged n;
    n.timestamp = now;
    for (std::size_t i = 0; i < list.size() && i < awsiot::kMaxJobsInListNotification; ++i) {
      const Execution& e = *list[i];
      awsiot::JobExecutionSummary s{e.job->id, e.queued_at, e.started_at, e.last_updated_at, e.version, e.execution_number};
      (e.status == JobStatus::InProgress ? n.in_progress : n.queued).push_back(std::move(s));
    }
    send(name, awsiot::JobsOp::Notify, {}, awsiot::Reply::None, awsiot::to_json(n));
  }
  const Job* after = list.empty() ? nullptr : list.front()->job;
  if (after != before) {
    awsiot::NextJobExecutionChanged n;
    n.timestamp = now;
    if (!list.empty()) {
      n.execution = describe(name, *list.front(), true, now);
      n.execution->thing_name.clear();  // the guide's notify-next examples carry no thingName
    }
    send(name, awsiot::JobsOp::NotifyNext, {}, awsiot::Reply::None, awsiot::to_json(n));
  }
}

std::size_t JobsService::create_job(const std::string& id, json::value document, const std::vector<std::string>& things,
                                    std::uint64_t now) {
  for (const auto& j : jobs_)
    if (j->id == id) throw std::invalid_argument("job \"" + id + "\" exists already");
  jobs_.push_back(std::make_unique<Job>(Job{id, std::move(document)}));
  std::size_t queued = 0;
  for (const auto& name : things) queued += add_target(id, name, now) ? 1 : 0;
  return queued;
}

bool JobsService::add_target(const std::string& id, const std::string& name, std::uint64_t now) {
  const Job* job = nullptr;
  for (const auto& j : jobs_)
    if (j->id == id) job = j.get();
  if (job == nullptr) return false;
  Thing& t = thing(name);
  if (find(t, id) != nullptr) return false;
  const Execution* first = next_pending(t);
  const Job* before = first ? first->job : nullptr;
  Execution e;
  e.job = job;
  e.queued_at = e.last_updated_at = now;
  e.order = order_++;
  t.executions.push_back(std::move(e));
  notify(name, t, before, true, now);
  return true;
}

Outcome JobsService::reject(const awsiot::JobsTopic& t, awsiot::JobsError e, std::uint64_t now) {
  e.timestamp = now;
  send(t.thing, t.op, t.job_id, awsiot::Reply::Rejected, awsiot::to_json(e));
  return Outcome::rejected(awsiot::to_string(e.code));
}

void JobsService::set_step_timer(const std::string& name, Execution& e, std::optional<std::int64_t> minutes,
                                 std::uint64_t now) {
  if (!minutes) return;
  if (*minutes == -1) {
    e.step_deadline.reset();  // "-1 ... will cancel the current step timer"
    return;
  }
  e.step_deadline = now + static_cast<std::uint64_t>(*minutes) * 60;
  timers_.emplace(*e.step_deadline, std::make_pair(name, e.job));
}

Outcome JobsService::handle(const awsiot::JobsTopic& t, std::string_view payload, std::uint64_t now) {
  const std::string name(t.thing);
  Thing& th = thing(name);
  const Execution* first = next_pending(th);
  const Job* before = first ? first->job : nullptr;
  switch (t.op) {
    case awsiot::JobsOp::GetPending: {
      auto req = awsiot::parse_get_pending_jobs(payload);
      if (!req) return reject(t, std::move(req.error), now);
      awsiot::GetPendingJobsResponse r;
      for (const Execution* e : pending(th)) {
        awsiot::JobExecutionSummary s{e->job->id, e->queued_at, e->started_at, e->last_updated_at, e->version,
                                      e->execution_number};
        (e->status == JobStatus::InProgress ? r.in_progress : r.queued).push_back(std::move(s));
      }
      r.timestamp = now;
      r.client_token = req->client_token;
      send(t.thing, t.op, {}, awsiot::Reply::Accepted, awsiot::to_json(r));
      return Outcome::ok();
    }
    case awsiot::JobsOp::StartNext: {
      auto req = awsiot::parse_start_next_job(payload);
      if (!req) return reject(t, std::move(req.error), now);
      awsiot::JobExecutionResponse r;
      r.timestamp = now;
      r.client_token = req->client_token;
      if (first != nullptr) {
        Execution& e = *find(th, first->job->id);
        if (e.status == JobStatus::Queued) {
          // "its state changes to IN_PROGRESS and the job execution's status details are set
          // as specified"; an execution already IN_PROGRESS is returned unchanged.
          e.status = JobStatus::InProgress;
          e.started_at = now;
          e.last_updated_at = now;
          ++e.version;
          if (req->status_details) e.details = req->status_details;
          set_step_timer(name, e, req->step_timeout_minutes, now);
        }
        r.execution = describe(name, e, true, now);
      }
      send(t.thing, t.op, {}, awsiot::Reply::Accepted, awsiot::to_json(r));
      if (first != nullptr) notify(name, th, before, false, now);
      return Outcome::ok();
    }
    case awsiot::JobsOp::Describe: {
      auto req = awsiot::parse_describe_job(payload);
      if (!req) return reject(t, std::move(req.error), now);
      awsiot::JobExecutionResponse r;
      r.timestamp = now;
      r.client_token = req->client_token;
      const Execution* e = t.job_id == awsiot::kNextJobId ? first : find(th, t.job_id);
      if (t.job_id != awsiot::kNextJobId) {
        if (e == nullptr || (req->execution_number && *req->execution_number != e->execution_number)) {
          return reject(t, error(JobsErrorCode::ResourceNotFound, "no execution of job " + std::string(t.job_id) +
                                                                      " for thing " + name, req->client_token), now);
        }
        if (awsiot::is_terminal(e->status)) {
          return reject(t, error(JobsErrorCode::TerminalStateReached, "the job execution is in a terminal state",
                                 req->client_token), now);
        }
      }
      if (e != nullptr) r.execution = describe(name, *e, req->include_job_document, now);
      send(t.thing, t.op, t.job_id, awsiot::Reply::Accepted, awsiot::to_json(r));
      return Outcome::ok();
    }
    case awsiot::JobsOp::Update: {
      auto req = awsiot::parse_update_job(payload);
      if (!req) return reject(t, std::move(req.error), now);
      Execution* e = find(th, t.job_id);
      if (e == nullptr || (req->execution_number && *req->execution_number != e->execution_number)) {
        return reject(t, error(JobsErrorCode::ResourceNotFound,
                               "no execution of job " + std::string(t.job_id) + " for thing " + name, req->client_token),
                      now);
      }
      if (req->expected_version && *req->expected_version != e->version) {
        auto err = error(JobsErrorCode::VersionMismatch,
                         "expectedVersion " + std::to_string(*req->expected_version) + " does not match the current " +
                             std::to_string(e->version),
                         req->client_token);
        err.execution_state = state_of(*e);
        return reject(t, std::move(err), now);
      }
      if (awsiot::is_terminal(e->status)) {
        auto err = error(JobsErrorCode::InvalidStateTransition,
                         std::string("the job execution is ") + awsiot::to_string(e->status) + ", a terminal state",
                         req->client_token);
        err.execution_state = state_of(*e);
        return reject(t, std::move(err), now);
      }
      const bool was_pending = true;
      e->status = req->status;
      if (req->status_details) e->details = req->status_details;
      if (req->status == JobStatus::InProgress && !e->started_at) e->started_at = now;
      e->last_updated_at = now;
      ++e->version;
      if (awsiot::is_terminal(e->status)) e->step_deadline.reset();
      else set_step_timer(name, *e, req->step_timeout_minutes, now);
      awsiot::UpdateJobResponse r;
      if (req->include_job_execution_state) r.execution_state = state_of(*e);
      if (req->include_job_document) r.job_document = e->job->document;
      r.timestamp = now;
      r.client_token = req->client_token;
      send(t.thing, t.op, t.job_id, awsiot::Reply::Accepted, awsiot::to_json(r));
      notify(name, th, before, was_pending && awsiot::is_terminal(e->status), now);
      return Outcome::ok();
    }
    case awsiot::JobsOp::Notify:
    case awsiot::JobsOp::NotifyNext: break;
  }
  return reject(t, error(JobsErrorCode::InvalidTopic, "not a jobs request topic", std::nullopt), now);
}

void JobsService::tick(std::uint64_t now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto node = timers_.extract(timers_.begin());
    const std::uint64_t deadline = node.key();
    const std::string& name = node.mapped().first;
    auto it = things_.find(name);
    if (it == things_.end()) continue;
    Thing& th = it->second;
    Execution* e = nullptr;
    for (auto& x : th.executions)
      if (x.job == node.mapped().second) e = &x;
    // A timer reset or cleared since it was set is stale: its deadline no longer matches.
    if (e == nullptr || !e->step_deadline || *e->step_deadline != deadline || awsiot::is_terminal(e->status)) continue;
    const Execution* first = next_pending(th);
    const Job* before = first ? first->job : nullptr;
    e->status = JobStatus::TimedOut;
    e->step_deadline.reset();
    e->last_updated_at = now;
    ++e->version;
    notify(name, th, before, true, now);
  }
}

std::map<awsiot::JobStatus, std::uint64_t> JobsService::status_counts(const std::string& id) const {
  std::map<awsiot::JobStatus, std::uint64_t> m;
  for (const auto& [name, t] : things_)
    for (const auto& e : t.executions)
      if (e.job->id == id) ++m[e.status];
  return m;
}

std::vector<std::string> JobsService::job_ids() const {
  std::vector<std::string> v;
  for (const auto& j : jobs_) v.push_back(j->id);
  return v;
}

std::optional<awsiot::JobExecution> JobsService::execution(std::string_view thing_name, std::string_view job_id) const {
  auto it = things_.find(std::string(thing_name));
  if (it == things_.end()) return std::nullopt;
  for (const auto& e : it->second.executions)
    if (e.job->id == job_id) return describe(it->first, e, true, 0);
  return std::nullopt;
}

}  // namespace fleetload::responder
