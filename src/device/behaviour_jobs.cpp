// The AWS IoT Jobs behaviour of a device (behaviour_jobs.hpp): topics from awsiot/topics,
// answers decoded with awsiot/jobs, requests written as the "Jobs device MQTT API" writes them.
#include "device/behaviour_jobs.hpp"

#include <algorithm>

#include "awsiot/jobs.hpp"
#include "awsiot/topics.hpp"
#include "device/behaviour_aws.hpp"
#include "device/rng.hpp"
#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::after;
using detail::since_ns;

namespace {
// The rejected outcomes follow awsiot::JobsErrorCode in order.
static_assert(static_cast<std::size_t>(JobOutcome::RejectedTerminalStateReached) -
                      static_cast<std::size_t>(JobOutcome::RejectedInvalidTopic) ==
                  static_cast<std::size_t>(awsiot::JobsErrorCode::TerminalStateReached));
constexpr std::size_t kJobFilters = 5;

std::size_t outcome_index(JobOutcome o) { return static_cast<std::size_t>(o); }
std::size_t rejected_index(awsiot::JobsErrorCode c) {
  return outcome_index(JobOutcome::RejectedInvalidTopic) + static_cast<std::size_t>(c);
}
}  // namespace

JobsBehaviour::JobsBehaviour(const JobsPlan& plan, mqtt::Version v, std::string thing, std::uint32_t index,
                             std::string details)
    : plan_(&plan), version_(v), index_(index), thing_(std::move(thing)), details_(std::move(details)) {
  // "$aws/things/{thing}/jobs/": everything but the operation.
  awsiot::append_jobs_topic(prefix_, thing_, awsiot::JobsOp::StartNext);
  prefix_.resize(prefix_.size() - std::string_view("start-next").size());
}

std::vector<std::string> JobsBehaviour::filters() const {
  using awsiot::JobsOp;
  using awsiot::Reply;
  // '+' for the job id: the update answers of whichever job the device takes.
  return {awsiot::jobs_topic(thing_, JobsOp::NotifyNext), awsiot::jobs_topic(thing_, JobsOp::StartNext, {}, Reply::Accepted),
          awsiot::jobs_topic(thing_, JobsOp::StartNext, {}, Reply::Rejected),
          awsiot::jobs_topic(thing_, JobsOp::Update, "+", Reply::Accepted),
          awsiot::jobs_topic(thing_, JobsOp::Update, "+", Reply::Rejected)};
}

std::size_t JobsBehaviour::heap_bytes() const noexcept {
  auto str = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  return sizeof(*this) + str(thing_) + str(prefix_) + str(details_) + str(job_);
}

// ---- connection events ---------------------------------------------------------------------

void JobsBehaviour::on_connected(Context& ctx, bool session_present, std::uint16_t packet_id, bool may_start) {
  connected_ = true;
  if (session_present && subscribed_) {
    if (plan_->start_on_connect && !announced_) announced_ = true, announced_at_ = ctx.now;
    maybe_start(ctx, may_start);
    on_timer(ctx, true, may_start);  // a final update that fell due while away
    return;
  }
  // Subscribe to the answers before the first request (as the Jobs API requires of a device
  // that wants to hear them).
  subscribed_ = false;
  if (aws::subscribe(ctx, version_, filters(), packet_id, plan_->qos)) subscribe_id_ = packet_id;
}

bool JobsBehaviour::on_suback(Context& ctx, const mqtt::Suback& s, bool may_start) {
  if (subscribe_id_ == 0 || s.packet_id != subscribe_id_) return false;
  subscribe_id_ = 0;
  // A refused filter means answers would go unheard: stay unsubscribed (nothing is sent).
  subscribed_ = aws::book_suback(ctx, s, kJobFilters, plan_->qos);
  if (!subscribed_) return true;
  // "When the device starts, it should call StartNextPendingJobExecution": what was queued
  // while it was away (its notify-next went unheard).
  if (plan_->start_on_connect && !announced_) announced_ = true, announced_at_ = ctx.now;
  maybe_start(ctx, may_start);
  on_timer(ctx, true, may_start);
  return true;
}

// ---- requests ------------------------------------------------------------------------------

void JobsBehaviour::maybe_start(Context& ctx, bool may_start) {
  if (!may_start || !announced_ || !job_.empty() || !ready()) return;
  send_start_next(ctx);
}

void JobsBehaviour::send_start_next(Context& ctx) {
  const std::uint64_t n = next_token_++;
  auto& sc = detail::scratch();
  sc.topic.assign(prefix_).append("start-next");
  // StartNextPendingJobExecution: statusDetails, stepTimeoutInMinutes, clientToken.
  std::string body = "{";
  if (!details_.empty()) body.append("\"statusDetails\":").append(details_).append(",");
  if (plan_->step_timeout_minutes > 0)
    body.append("\"stepTimeoutInMinutes\":").append(std::to_string(plan_->step_timeout_minutes)).append(",");
  body.append("\"clientToken\":\"").append(aws::client_token(index_, n)).append("\"}");
  if (!aws::publish_text(ctx, plan_->qos, sc.topic, body)) return;
  pending_ = {n, ctx.now, Step::StartNext};
  ctx.stats.job_requests_in_flight.add(1);
}

void JobsBehaviour::send_update(Context& ctx, Step step, bool retry) {
  if (!retry) version_retries_ = 0;
  const std::uint64_t n = next_token_++;
  auto& sc = detail::scratch();
  sc.topic.assign(prefix_).append(job_).append("/update");
  // UpdateJobExecution: status, statusDetails, expectedVersion; the state asked back so
  // the next update's expectedVersion is the service's, not a guess.
  const char* status = step == Step::InProgress ? "IN_PROGRESS" : fail_ ? "FAILED" : "SUCCEEDED";
  std::string body = "{\"status\":\"";
  body.append(status).append("\",");
  if (!details_.empty()) body.append("\"statusDetails\":").append(details_).append(",");
  body.append("\"expectedVersion\":").append(std::to_string(job_version_));
  body.append(",\"includeJobExecutionState\":true,\"clientToken\":\"").append(aws::client_token(index_, n)).append("\"}");
  if (!aws::publish_text(ctx, plan_->qos, sc.topic, body)) return;
  pending_ = {n, ctx.now, step};
  ctx.stats.job_requests_in_flight.add(1);
}

std::optional<JobsBehaviour::Pending> JobsBehaviour::take(const std::optional<std::string>& token, Step step) {
  const auto n = token ? aws::token_number(*token, index_) : std::nullopt;
  if (!n || pending_.step == Step::None || pending_.token != *n) return std::nullopt;
  // An answer of the other kind with our token cannot be ours (the services echo the token).
  if ((step == Step::StartNext) != (pending_.step == Step::StartNext)) return std::nullopt;
  const Pending p = pending_;
  pending_ = {};
  return p;
}

void JobsBehaviour::book(Context& ctx, const Pending& p, std::size_t outcome) {
  const JobOp op = p.step == Step::StartNext ? JobOp::StartNext : JobOp::Update;
  ctx.stats.job_requests[static_cast<std::size_t>(op) * kJobOutcomeCount + outcome].add();
  ctx.stats.job_requests_in_flight.add(-1);
  if (outcome == outcome_index(JobOutcome::TimedOut)) return;
  auto& h = op == JobOp::StartNext ? ctx.stats.job_start_next_latency : ctx.stats.job_update_latency;
  h.record(since_ns(p.sent, ctx.now));
}

void JobsBehaviour::end_job(Context& ctx, JobEnd how) {
  ctx.stats.job_executions[static_cast<std::size_t>(how)].add();
  ctx.stats.job_executions_in_progress.add(-1);
  if (how == JobEnd::Succeeded || how == JobEnd::Failed)
    ctx.stats.job_duration.record(since_ns(job_announced_at_, ctx.now));
  job_.clear();
  work_done_ = kNever;
}

void JobsBehaviour::begin_work(Context& ctx) {
  const auto lo = static_cast<std::uint64_t>(plan_->work_min.count());
  const auto hi = static_cast<std::uint64_t>(plan_->work_max.count());
  const auto d = hi > lo ? uniform_in(ctx.rng_state, lo, hi) : lo;
  work_done_ = after(ctx.now, std::chrono::nanoseconds(static_cast<std::int64_t>(d)));
}

// ---- answers -------------------------------------------------------------------------------

bool JobsBehaviour::on_publish(Context& ctx, const mqtt::Publish& p, bool may_start) {
  if (!std::string_view(p.topic).starts_with(prefix_)) return false;
  const awsiot::AwsTopic t = awsiot::parse_topic(p.topic);
  if (t.service != awsiot::Service::Jobs || t.jobs.thing != thing_) return false;
  const bool accepted = t.jobs.reply == awsiot::Reply::Accepted;
  const bool answer = accepted || t.jobs.reply == awsiot::Reply::Rejected;
  switch (t.jobs.op) {
    case awsiot::JobsOp::NotifyNext: on_notify_next(ctx, aws::text_of(p), may_start); return true;
    case awsiot::JobsOp::StartNext:
      if (!answer) return false;  // our own request, echoed by a broker
      on_start_next(ctx, accepted, aws::text_of(p), may_start);
      return true;
    case awsiot::JobsOp::Update:
      if (!answer) return false;
      on_update(ctx, accepted, t.jobs.job_id, aws::text_of(p), may_start);
      return true;
    default: return false;
  }
}

void JobsBehaviour::on_notify_next(Context& ctx, std::string_view payload, bool may_start) {
  const auto n = awsiot::parse_next_job_execution_changed(payload);
  if (!n) return;
  if (!n->execution) {
    announced_ = false;  // the queue emptied
    return;
  }
  ctx.stats.job_notifications.add();
  // The job being worked on is still the next pending one until its final status.
  if (n->execution->job_id == job_) return;
  if (!announced_) announced_ = true, announced_at_ = ctx.now;
  maybe_start(ctx, may_start);
}

void JobsBehaviour::on_start_next(Context& ctx, bool accepted, std::string_view payload, bool may_start) {
  if (!accepted) {
    const auto e = awsiot::parse_jobs_error(payload);
    const auto mine = e ? take(e->client_token, Step::StartNext) : std::nullopt;
    if (!mine) return ctx.stats.job_foreign_responses.add();
    book(ctx, *mine, rejected_index(e->code));
    announced_ = false;  // the next notify-next (or connect) tries again
    return;
  }
  const auto r = awsiot::parse_job_execution_response(payload);
  const auto mine = r ? take(r->client_token, Step::StartNext) : std::nullopt;
  if (!mine) return ctx.stats.job_foreign_responses.add();
  book(ctx, *mine, outcome_index(JobOutcome::Accepted));
  const TimePoint announced_at = announced_at_;
  announced_ = false;
  if (!r->execution) return;  // nothing pending
  // StartNextPendingJobExecution set it IN_PROGRESS (or it already was): the job is ours.
  job_ = r->execution->job_id;
  job_version_ = r->execution->version_number;
  job_announced_at_ = announced_at;
  fail_ = plan_->fail_share > 0 && uniform01(ctx.rng_state) < plan_->fail_share;
  ctx.stats.job_starts.add();
  ctx.stats.job_executions_in_progress.add(1);
  ctx.stats.job_time_to_start.record(since_ns(announced_at, ctx.now));
  if (plan_->in_progress && may_start) send_update(ctx, Step::InProgress);
  else begin_work(ctx);
}

void JobsBehaviour::on_update(Context& ctx, bool accepted, std::string_view job, std::string_view payload,
                              bool may_start) {
  std::optional<Pending> mine;
  std::optional<awsiot::JobsErrorCode> code;
  std::optional<std::uint64_t> version;
  std::optional<awsiot::JobsError> rejection;
  if (accepted) {
    const auto r = awsiot::parse_update_job_response(payload);
    if (r) mine = take(r->client_token, Step::Final);
    if (r && r->execution_state) version = r->execution_state->version_number;
  } else {
    auto e = awsiot::parse_jobs_error(payload);
    if (e) mine = take(e->client_token, Step::Final), code = e->code, rejection = std::move(*e);
  }
  if (!mine || job != job_) {
    if (mine) pending_ = *mine;  // our token on another job's topic: not this answer
    return ctx.stats.job_foreign_responses.add();
  }
  book(ctx, *mine, code ? rejected_index(*code) : outcome_index(JobOutcome::Accepted));
  if (code) {
    if (*code == awsiot::JobsErrorCode::VersionMismatch && retry_update(ctx, mine->step, *rejection, may_start)) return;
    end_job(ctx, JobEnd::Rejected);
  } else if (mine->step == Step::InProgress) {
    job_version_ = version.value_or(job_version_ + 1);
    begin_work(ctx);
  } else {
    end_job(ctx, fail_ ? JobEnd::Failed : JobEnd::Succeeded);
  }
  maybe_start(ctx, may_start);
}

// "Jobs device MQTT API", ErrorResponse: executionState is "included only when the code field
// has the value InvalidStateTransition or VersionMismatch". With VersionMismatch the execution
// changed since the version the device knew: the same update again, expecting the version the
// service now has (what a device that wants its status recorded does), at most
// kJobVersionRetries times per update. Not once the run stopped sending new requests, nor
// when the execution already reached a terminal status (a retry could only be refused).
bool JobsBehaviour::retry_update(Context& ctx, Step step, const awsiot::JobsError& e, bool may_start) {
  if (!e.execution_state || !may_start || version_retries_ >= kJobVersionRetries || !ready()) return false;
  if (awsiot::is_terminal(e.execution_state->status)) return false;
  ++version_retries_;
  ctx.stats.job_version_retries.add();
  job_version_ = e.execution_state->version_number;
  send_update(ctx, step, true);
  return pending_.step != Step::None;  // not sent (unencodable): the job ends rejected
}

// ---- time ----------------------------------------------------------------------------------

void JobsBehaviour::on_timer(Context& ctx, bool connected, bool may_start) {
  connected_ = connected;
  may_start_ = may_start;
  if (pending_.step != Step::None && ctx.now >= after(pending_.sent, plan_->timeout)) {
    const Pending p = pending_;
    pending_ = {};
    book(ctx, p, outcome_index(JobOutcome::TimedOut));
    if (p.step == Step::StartNext) announced_ = false;
    else end_job(ctx, JobEnd::TimedOut);
    maybe_start(ctx, may_start);
  }
  // After the run stops publishing no new request goes out: a job still working stays in
  // progress (the gauge), so the drain waits only for answers to what was sent.
  if (work_done_ != kNever && ctx.now >= work_done_ && may_start && ready()) {
    work_done_ = kNever;
    send_update(ctx, Step::Final);
  }
}

TimePoint JobsBehaviour::deadline() const noexcept {
  // The work's end matters only when the final update can go out then; otherwise the
  // SUBACK (or a resumed session) that makes it possible sends it.
  TimePoint t = may_start_ && ready() ? work_done_ : kNever;
  if (pending_.step != Step::None) t = std::min(t, after(pending_.sent, plan_->timeout));
  return t;
}

}  // namespace fleetload::device
