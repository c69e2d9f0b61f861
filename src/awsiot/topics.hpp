// AWS IoT reserved topics of the Device Shadow, Jobs and Fleet Provisioning services: builders
// (appending into a caller's string, so a reused string does not allocate) and parsers
// (views into the topic, no allocation), both directions.
//
// Sources (AWS IoT developer guide): "Device Shadow MQTT topics" (device-shadow-mqtt.html),
// "Reserved topics" (reserved-topics.html), "Jobs device MQTT API" (jobs-mqtt-api.html),
// "Device provisioning MQTT API" (fleet-provision-api.html).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetload::awsiot {

// The suffix of a request topic naming the service's answer (".../accepted", ".../rejected").
enum class Reply : std::uint8_t { None, Accepted, Rejected };
const char* to_string(Reply r) noexcept;

// ---- names ----------------------------------------------------------------------------------
// Each returns nullptr when `name` is valid, else the reason (a static string).
// Thing name: 1-128 bytes of [a-zA-Z0-9:_-].
const char* check_thing_name(std::string_view name) noexcept;
// Named shadow name: 1-64 bytes of [a-zA-Z0-9:_-].
const char* check_shadow_name(std::string_view name) noexcept;
// Job id: 1-64 bytes of [a-zA-Z0-9_-].
const char* check_job_id(std::string_view id) noexcept;
// Provisioning template name: 1-36 bytes of [0-9A-Za-z_-].
const char* check_template_name(std::string_view name) noexcept;

// ---- Device Shadow: ShadowTopicPrefix = $aws/things/{thing}/shadow[/name/{shadow}] ----------
enum class ShadowOp : std::uint8_t { Get, Update, Delete };
// Delta and Documents exist for Update only (published by the service after an update).
enum class ShadowSuffix : std::uint8_t { None, Accepted, Rejected, Delta, Documents };
const char* to_string(ShadowOp op) noexcept;      // "get", "update", "delete"
const char* to_string(ShadowSuffix s) noexcept;   // "", "accepted", "rejected", "delta", "documents"

struct ShadowId {
  std::string_view thing;
  std::string_view name;  // empty: the unnamed (classic) shadow
  bool classic() const noexcept { return name.empty(); }
};

struct ShadowTopic {
  ShadowId id;
  ShadowOp op = ShadowOp::Get;
  ShadowSuffix suffix = ShadowSuffix::None;
};

// Appends ShadowTopicPrefix/{op}[/{suffix}] to `out`. Names are not checked here (see check_*).
void append_shadow_topic(std::string& out, ShadowId id, ShadowOp op, ShadowSuffix suffix = ShadowSuffix::None);
std::string shadow_topic(ShadowId id, ShadowOp op, ShadowSuffix suffix = ShadowSuffix::None);

// ---- Jobs: $aws/things/{thing}/jobs/... ------------------------------------------------------
enum class JobsOp : std::uint8_t {
  Notify,      // jobs/notify (service -> device: JobExecutionsChanged)
  NotifyNext,  // jobs/notify-next (service -> device: NextJobExecutionChanged)
  GetPending,  // jobs/get (GetPendingJobExecutions)
  StartNext,   // jobs/start-next (StartNextPendingJobExecution)
  Describe,    // jobs/{jobId}/get (DescribeJobExecution; jobId may be "$next")
  Update,      // jobs/{jobId}/update (UpdateJobExecution)
};
const char* to_string(JobsOp op) noexcept;  // "notify", "notify-next", "get", "start-next", "describe", "update"

// The job id DescribeJobExecution accepts for "the next pending execution".
inline constexpr std::string_view kNextJobId = "$next";

struct JobsTopic {
  std::string_view thing;
  std::string_view job_id;  // Describe and Update only
  JobsOp op = JobsOp::GetPending;
  Reply reply = Reply::None;  // never set for Notify / NotifyNext
};

void append_jobs_topic(std::string& out, std::string_view thing, JobsOp op, std::string_view job_id = {},
                       Reply reply = Reply::None);
std::string jobs_topic(std::string_view thing, JobsOp op, std::string_view job_id = {}, Reply reply = Reply::None);

// ---- Fleet Provisioning -----------------------------------------------------------------------
enum class PayloadFormat : std::uint8_t { Json, Cbor };
const char* to_string(PayloadFormat f) noexcept;  // "json", "cbor"

enum class ProvisioningOp : std::uint8_t {
  CreateKeysAndCertificate,  // $aws/certificates/create/{format}
  CreateCertificateFromCsr,  // $aws/certificates/create-from-csr/{format}
  RegisterThing,             // $aws/provisioning-templates/{template}/provision/{format}
};
const char* to_string(ProvisioningOp op) noexcept;  // "create_keys_and_certificate", ...

struct ProvisioningTopic {
  ProvisioningOp op = ProvisioningOp::CreateKeysAndCertificate;
  PayloadFormat format = PayloadFormat::Json;
  std::string_view template_name;  // RegisterThing only
  Reply reply = Reply::None;
};

void append_provisioning_topic(std::string& out, ProvisioningOp op, PayloadFormat format,
                               std::string_view template_name = {}, Reply reply = Reply::None);
std::string provisioning_topic(ProvisioningOp op, PayloadFormat format, std::string_view template_name = {},
                               Reply reply = Reply::None);

// ---- parsing ------------------------------------------------------------------------------------
enum class Service : std::uint8_t { None, Shadow, Jobs, Provisioning };
const char* to_string(Service s) noexcept;  // "none", "shadow", "jobs", "provisioning"

// What a topic is. `service` None with `error` empty: not a topic of these services (any
// other topic, including other $aws/ ones); with `error` set: it is in one of their
// namespaces but malformed, and `error` (a static string) says why. Views point into the topic.
struct AwsTopic {
  Service service = Service::None;
  ShadowTopic shadow;              // service == Shadow
  JobsTopic jobs;                  // service == Jobs
  ProvisioningTopic provisioning;  // service == Provisioning
  std::string_view error;
  bool ok() const noexcept { return service != Service::None; }
};
AwsTopic parse_topic(std::string_view topic) noexcept;

// The topic filters that receive every request of `service` from any thing (what the
// responder subscribes to): exact request topics with '+' for thing, shadow, job and
// template names and the payload format; replies and notifications do not match them.
std::vector<std::string> request_filters(Service service);

}  // namespace fleetload::awsiot
