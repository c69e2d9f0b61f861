// A device's AWS IoT Jobs behaviour: it hears notify-next, takes the next pending execution
// with start-next, reports IN_PROGRESS (optional), works for the configured time and reports
// SUCCEEDED or FAILED with expectedVersion, then takes the next one. Books: every request
// (accepted, rejected by ErrorResponse code, timed out, latency per operation) and every
// execution it started (how it ended; announced to started, announced to done).
//
// Sans-I/O like the session that drives it: packets go into ctx.out, time comes from
// ctx.now. Only devices of a group with `jobs:` have one, on the heap (Session::Inbound).
//
// One request at a time: the flow is sequential (start-next, then updates of the one job
// taken), so a device has at most one request awaiting its answer.
//
// Reconnects: the job being worked on survives a lost connection (the work is the device's,
// not the connection's); requests go out only while connected and subscribed, so a final
// update that falls due while disconnected goes out once the reconnect's SUBACK (or a
// resumed session) is in. A request in flight at the drop is answered or times out.
//
// Sources (AWS IoT developer guide): "Jobs device MQTT API" (jobs-mqtt-api.html):
// StartNextPendingJobExecution moves a QUEUED execution to IN_PROGRESS and returns it with
// its versionNumber; UpdateJobExecution with expectedVersion; "Jobs notifications"
// (jobs-comm-notifications.html): notify-next when the next pending execution changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "device/fleet_plan.hpp"
#include "device/session.hpp"
#include "mqtt/codec.hpp"

namespace fleetload::awsiot { struct JobsError; }

namespace fleetload::device {

// Maximum VersionMismatch retries of one update (each with the executionState's versionNumber
// the rejection carried): the execution changed under the device, and a bound keeps an
// execution fought over by two writers from looping.
inline constexpr std::uint8_t kJobVersionRetries = 3;

class JobsBehaviour {
 public:
  // `thing`: the device's rendered thing name; `index`: its fleet index (in clientTokens);
  // `details`: the rendered statusDetails as a JSON object text ("" = none sent).
  JobsBehaviour(const JobsPlan& plan, mqtt::Version v, std::string thing, std::uint32_t index, std::string details);

  // An accepting CONNACK. Without the broker holding our subscriptions a SUBSCRIBE with
  // `packet_id` goes out first, and requests wait for its SUBACK. `may_start`: new work may
  // begin (false once the run stops publishing).
  void on_connected(Context& ctx, bool session_present, std::uint16_t packet_id, bool may_start);
  void on_disconnected() noexcept {
    subscribe_id_ = 0;
    connected_ = false;
  }
  // True when the SUBACK answers our SUBSCRIBE (then it is handled here).
  bool on_suback(Context& ctx, const mqtt::Suback& s, bool may_start);
  // True when the PUBLISH is on one of our thing's jobs topics (then it is handled here).
  bool on_publish(Context& ctx, const mqtt::Publish& p, bool may_start);
  // Expires the request past the timeout, sends the final update when the work is done.
  void on_timer(Context& ctx, bool connected, bool may_start);
  TimePoint deadline() const noexcept;
  std::uint16_t subscribe_id() const noexcept { return subscribe_id_; }
  std::size_t heap_bytes() const noexcept;
  // The job being worked on ("" = none).
  const std::string& job_id() const noexcept { return job_; }

  // The topics subscribed to, in order: notify-next, start-next/accepted,
  // start-next/rejected, +/update/accepted, +/update/rejected (5 filters, within AWS IoT
  // Core's 8 per SUBSCRIBE).
  std::vector<std::string> filters() const;

 private:
  enum class Step : std::uint8_t { None, StartNext, InProgress, Final };
  struct Pending {
    std::uint64_t token = 0;
    TimePoint sent{};
    Step step = Step::None;  // None: no request in flight
  };

  bool ready() const noexcept { return connected_ && subscribed_ && pending_.step == Step::None; }
  // start-next when a job is announced and none is being worked on.
  void maybe_start(Context& ctx, bool may_start);
  void send_start_next(Context& ctx);
  // `retry`: the same update again after a VersionMismatch (its retries count on).
  void send_update(Context& ctx, Step step, bool retry = false);
  // An update rejected with VersionMismatch carrying the current executionState: true when
  // it went out again with that versionNumber as expectedVersion.
  bool retry_update(Context& ctx, Step step, const awsiot::JobsError& e, bool may_start);
  // The request `token` answers when it is the one in flight for `step`; cleared.
  std::optional<Pending> take(const std::optional<std::string>& token, Step step);
  void book(Context& ctx, const Pending& p, std::size_t outcome);
  void end_job(Context& ctx, JobEnd how);
  void begin_work(Context& ctx);
  void on_start_next(Context& ctx, bool accepted, std::string_view payload, bool may_start);
  void on_update(Context& ctx, bool accepted, std::string_view job, std::string_view payload, bool may_start);
  void on_notify_next(Context& ctx, std::string_view payload, bool may_start);

  const JobsPlan* plan_;
  mqtt::Version version_;
  std::uint32_t index_;
  std::uint16_t subscribe_id_ = 0;  // our SUBSCRIBE awaiting its SUBACK (0 = none)
  bool subscribed_ = false;         // a SUBACK granted every filter (on this session)
  bool connected_ = false;
  bool may_start_ = true;           // as of the last timer: the run still sends requests
  bool announced_ = false;          // an execution is pending that no start-next took yet
  bool fail_ = false;               // the current job reports FAILED
  std::uint8_t version_retries_ = 0;  // VersionMismatch retries of the current update
  std::uint64_t next_token_ = 1;
  std::uint64_t job_version_ = 0;   // the current execution's versionNumber
  TimePoint announced_at_{};        // when the pending execution was first heard of
  TimePoint job_announced_at_{};    // ... for the current job
  TimePoint work_done_ = kNever;    // the current job's work ends (kNever: not working)
  Pending pending_;
  std::string thing_;
  std::string prefix_;              // $aws/things/{thing}/jobs/
  std::string details_;             // statusDetails JSON object text, "" = none
  std::string job_;                 // the current job id, "" = none
};

}  // namespace fleetload::device
