// AWS IoT Core limits that decide what a device may send and what the services accept, each
// with the page of the AWS documentation it comes from, for `validate` warnings, the devices'
// behaviours and the responder. Adjustable quotas vary by account and region: these are the
// documented defaults, not promises.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace fleetload::awsiot {

// ---- Message broker ------------------------------------------------------------------------
// Source: AWS General Reference, "AWS IoT Core endpoints and quotas", Message broker and
// protocol limits and quotas (docs.aws.amazon.com/general/latest/gr/iot-core.html).

// "Topic size": UTF-8 bytes of a topic in PUBLISH or a filter in SUBSCRIBE. The
// $aws/rules/<rule>/ prefix of Basic Ingest does not count.
inline constexpr std::size_t kMaxTopicBytes = 256;
// "Maximum number of slashes in topic and topic filter": 7, so at most 8 levels.
inline constexpr std::size_t kMaxTopicSlashes = 7;
inline constexpr std::size_t kMaxTopicLevels = kMaxTopicSlashes + 1;
// "Maximum subscriptions per subscribe call": topic filters in one SUBSCRIBE.
inline constexpr std::size_t kMaxFiltersPerSubscribe = 8;
// "Subscriptions per connection" (adjustable).
inline constexpr std::size_t kMaxSubscriptionsPerConnection = 50;
// "Client ID size": UTF-8 bytes.
inline constexpr std::size_t kMaxClientIdBytes = 128;
// "Message size": the PUBLISH payload.
inline constexpr std::size_t kMaxPayloadBytes = 128 * 1024;
// "Keep-alive period": what a CONNECT may ask for; AWS IoT clamps values outside.
inline constexpr std::chrono::seconds kMinKeepalive{30};
inline constexpr std::chrono::seconds kMaxKeepalive{1200};
// "Publish requests per second per connection".
inline constexpr std::uint32_t kMaxPublishesPerSecondPerConnection = 100;
// "Throughput per connection": bytes per second received from one connection.
inline constexpr std::uint32_t kMaxThroughputBytesPerSecondPerConnection = 512 * 1024;
// "Maximum inbound unacknowledged messages" / "Maximum outbound unacknowledged messages".
inline constexpr std::uint32_t kMaxUnackedPublishesPerClient = 100;
// "Connect requests per second per client ID".
inline constexpr std::uint32_t kMaxConnectsPerSecondPerClientId = 1;
// "Connect requests per second per account" (adjustable).
inline constexpr std::uint32_t kMaxConnectsPerSecondPerAccount = 500;
// QoS 2 is not supported ("AWS IoT Core supports MQTT QoS 0 and 1"; MQTT page of the
// developer guide, docs.aws.amazon.com/iot/latest/developerguide/mqtt.html).
inline constexpr std::uint8_t kMaxQoS = 1;

// ---- Things and the Device Shadow service ---------------------------------------------------
// "Thing name size" (AWS IoT Core quotas, Thing limits): also the shadow's thing name.
// Characters: [a-zA-Z0-9:_-] (AWS IoT API Reference, CreateThing, thingName pattern).
inline constexpr std::size_t kMaxThingNameBytes = 128;
// Named shadow name: [a-zA-Z0-9:_-], at most 64 bytes (AWS IoT Core quotas, Device Shadow
// service, "Maximum size of a shadow name").
inline constexpr std::size_t kMaxShadowNameBytes = 64;
// "Maximum size of a JSON state document": desired + reported state; metadata does not
// count (developer guide, "Device Shadow service documents", Document properties, metadata:
// "Metadata do not contribute to the document size for service limits").
inline constexpr std::size_t kMaxShadowDocumentBytes = 8 * 1024;
// Nesting below desired/reported (developer guide, "Device Shadow error messages", 400:
// "JSON contains too many levels of nesting; maximum is 6").
inline constexpr std::size_t kMaxShadowDepth = 6;
// clientToken length (developer guide, "Device Shadow service documents", Client tokens: "no
// longer than 64 bytes ... causes a 400 (Bad Request) response and an Invalid clientToken").
inline constexpr std::size_t kMaxClientTokenBytes = 64;
// In-flight shadow requests per connection before 429 (developer guide, "Device Shadow error
// messages", 429 Too Many Requests: "more than 10 in-flight requests on a single connection").
inline constexpr std::uint32_t kMaxShadowInFlightPerConnection = 10;

// ---- Jobs -------------------------------------------------------------------------------------
// Job id: [a-zA-Z0-9_-], 1 to 64 characters (AWS IoT API Reference, CreateJob, jobId).
inline constexpr std::size_t kMaxJobIdBytes = 64;
// Job document size (AWS General Reference, "AWS IoT Device Management endpoints and quotas",
// Jobs: "Job document size" 32 KB).
inline constexpr std::size_t kMaxJobDocumentBytes = 32 * 1024;
// stepTimeoutInMinutes: 1 to 10080 (7 days); -1 cancels the step timer (AWS IoT API Reference,
// iot-jobs-data UpdateJobExecution / StartNextPendingJobExecution).
inline constexpr std::int64_t kMinStepTimeoutMinutes = 1;
inline constexpr std::int64_t kMaxStepTimeoutMinutes = 10080;
// Pending executions listed in one jobs/notify message (developer guide, "Jobs notifications",
// ListNotification: "a list of no more than 15 pending job executions").
inline constexpr std::size_t kMaxJobsInListNotification = 15;

// ---- Fleet Provisioning ------------------------------------------------------------------------
// Provisioning template name: [0-9A-Za-z_-], 1 to 36 characters (AWS IoT API Reference,
// CreateProvisioningTemplate, templateName).
inline constexpr std::size_t kMaxTemplateNameBytes = 36;
// certificateOwnershipToken lifetime (developer guide, "Device provisioning MQTT API",
// CreateKeysAndCertificate / CreateCertificateFromCsr: "expires after one hour").
inline constexpr std::chrono::hours kOwnershipTokenLifetime{1};

}  // namespace fleetload::awsiot
