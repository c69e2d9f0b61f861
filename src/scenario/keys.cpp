// The key tables (keys.hpp). A key added to a parser must be added here, or the parser's
// MapView refuses it as unknown; its line here is what editors show for it.
#include "scenario/keys.hpp"

namespace fleetload::scenario::keys {
namespace {

constexpr std::uint64_t kU32 = 4'294'967'295ULL;

constexpr Key kScenarioKeys[] = {
    {"name", Kind::String, "the run's name in progress, reports and metrics (default: the file name)"},
    {"target", Kind::Section, "the broker: endpoint(s) and MQTT version", {}, &kTarget},
    {"auth", Kind::Section, "how each device connects: the AWS IoT Device SDK v2 builder it imitates", {}, &kAuth},
    {"fleet", Kind::Section, "how many devices, their client ids and connect rate", {}, &kFleet},
    {"session", Kind::Section, "MQTT session settings: keepalive, timeouts, clean session, will", {}, &kSession},
    {"reconnect", Kind::Section, "the reconnect backoff (the SDK's by default)", {}, &kReconnect},
    {"publish", Kind::Streams, "what devices publish, how often: one stream, or a list of named streams", {}, &kPublish},
    {"subscribe", Kind::Subscribe, "topic filters some devices subscribe to (loss, duplicates, latency)", {},
     &kSubscribe},
    {"shadow", Kind::Section, "AWS IoT Device Shadow traffic of every device: get, update, delta", {}, &kShadow},
    {"jobs", Kind::Section, "AWS IoT Jobs executions of every device: notify-next, start-next, updates", {}, &kJobs},
    {"provisioning", Kind::Section, "AWS IoT Fleet Provisioning by claim before the workload", {}, &kProvisioning},
    {"phases", Kind::Phases, "the run's phases in order: ramp, steady, churn, storm, search", {}, &kPhase},
    {"run", Kind::Section, "the run's bound, report and progress", {}, &kRun},
    {"thresholds", Kind::Section, "limits that decide the exit code", {}, &kThresholds},
    {"groups", Kind::Phases, "device groups: each its own size, identity, auth, session and workload", {}, &kGroup},
};

// A group may set every section a scenario has (merged over the top level per key), except
// phases and run, which the whole fleet shares.
constexpr Key kGroupKeys[] = {
    {"name", Kind::String, "the group's name: a-z, 0-9, _ and - (labels, reports, {group})", {}, nullptr, 0, 0, true},
    {"devices", Kind::Uint, "the group's size (or share)", {}, nullptr, 1, 100'000'000},
    {"share", Kind::String, "the group's size as a share of fleet.devices, e.g. 40%"},
    {"target", Kind::Section, "the group's broker (merged over the top level)", {}, &kTarget},
    {"auth", Kind::Section, "the group's auth mode and credentials", {}, &kAuth},
    {"fleet", Kind::Section, "client ids, connect rate (fleet.devices is the whole fleet's)", {}, &kFleet},
    {"session", Kind::Section, "the group's session settings", {}, &kSession},
    {"reconnect", Kind::Section, "the group's reconnect backoff", {}, &kReconnect},
    {"publish", Kind::Streams, "what the group's devices publish (streams merged by name)", {}, &kPublish},
    {"subscribe", Kind::Subscribe, "what the group's devices subscribe to", {}, &kSubscribe},
    {"shadow", Kind::Section, "the group's Device Shadow traffic", {}, &kShadow},
    {"jobs", Kind::Section, "the group's AWS IoT Jobs executions", {}, &kJobs},
    {"provisioning", Kind::Section, "the group's Fleet Provisioning by claim", {}, &kProvisioning},
    {"thresholds", Kind::Section, "limits judged on this group's devices only (not inherited)", {}, &kThresholds},
};

constexpr Key kTargetKeys[] = {
    {"endpoint", Kind::Endpoint,
     "one broker: \"host:port\", host, or a URL mqtt://, mqtts://, ws://, wss://host[:port][/path]", {}, &kEndpoint},
    {"port", Kind::Uint, "port of endpoints written without one (default by auth.mode)", {}, nullptr, 1, 65535},
    {"endpoints", Kind::Endpoints, "several brokers; devices are spread across them", {}, &kEndpoint},
    {"protocol", Kind::Enum, "MQTT version (default mqtt311); also picks the SDK's defaults", kProtocols},
    {"connect_timeout", Kind::Duration, "deadline of one connect attempt: TCP, TLS, WebSocket (SDK: 5s / 10s)"},
    {"dns_refresh", Kind::Duration, "how often named endpoints are looked up again (default 30s; 0 = once)"},
};

constexpr Key kEndpointKeys[] = {
    {"host", Kind::String, "the broker host name or address", {}, nullptr, 0, 0, true},
    {"port", Kind::Uint, "its port (default target.port or by auth.mode)", {}, nullptr, 1, 65535},
};

constexpr Key kAuthKeys[] = {
    {"mode", Kind::Enum, "the SDK connection builder each device imitates (default plain_tcp)", kAuthModes},
    {"username", Kind::Template, "CONNECT user name ({index} {shard} {client_id})"},
    {"password", Kind::String, "CONNECT password (a secret: use ${ENV})"},
    {"enable_metrics_collection", Kind::Bool, "append the SDK metrics string to the user name"},
    {"metrics", Kind::Section, "the SDK metrics string", {}, &kSdkMetrics},
    {"cert_filepath", Kind::Template, "device certificate PEM file (mtls_from_path, mtls_with_pkcs11)"},
    {"pri_key_filepath", Kind::Template, "device private key PEM file (mtls_from_path)"},
    {"cert_bytes", Kind::String, "device certificate as PEM text or ${ENV} (mtls_from_bytes, mtls_with_pkcs11)"},
    {"pri_key_bytes", Kind::String, "device private key as PEM text (a secret: use ${ENV}) (mtls_from_bytes)"},
    {"ca_filepath", Kind::String, "trust store file for the broker certificate (default: the system store)"},
    {"ca_dirpath", Kind::String, "trust store directory (hashed names)"},
    {"ca_bytes", Kind::String, "trust store as PEM text; wins over the files"},
    {"tls", Kind::Section, "TLS options (not for plain_tcp)", {}, &kTls},
    {"pkcs11_lib", Kind::String, "PKCS#11 module .so (mtls_with_pkcs11)"},
    {"user_pin", Kind::String, "token PIN (a secret); absent: protected authentication path"},
    {"slot_id", Kind::Uint, "PKCS#11 slot", {}, nullptr, 0, kU32},
    {"token_label", Kind::String, "PKCS#11 token label"},
    {"private_key_label", Kind::String, "label of the key on the token (default: its only private key)"},
    {"pkcs12_filepath", Kind::Template, "PKCS#12 bundle (mtls_with_pkcs12)"},
    {"pkcs12_password", Kind::String, "the bundle's password (a secret)"},
    {"cert_store_path", Kind::String, "Windows certificate store path (refused off Windows)"},
    {"region", Kind::String, "AWS region signed into the URL (websockets_with_default_aws_signing)"},
    {"credentials", Kind::Section, "AWS credentials for SigV4", {}, &kCredentials},
    {"websocket", Kind::Section, "extra WebSocket handshake headers and query parameters", {}, &kWebsocket},
    {"auth_username", Kind::Template, "custom authorizer: user name the parameters are appended to"},
    {"auth_authorizer_name", Kind::String, "custom authorizer name"},
    {"auth_authorizer_signature", Kind::String, "custom authorizer token signature (a secret)"},
    {"auth_password", Kind::String, "custom authorizer password (a secret)"},
    {"auth_token_key_name", Kind::String, "custom authorizer token key name"},
    {"auth_token_value", Kind::Template, "custom authorizer token value (a secret)"},
};

constexpr Key kCredentialsKeys[] = {
    {"source", Kind::Enum, "where credentials come from (default: from the keys given, else the default chain)",
     kCredentialSources},
    {"access_key_id", Kind::String, "static access key id (usually ${AWS_ACCESS_KEY_ID})"},
    {"secret_access_key", Kind::String, "static secret access key (a secret)"},
    {"session_token", Kind::String, "static session token (a secret)"},
    {"profile", Kind::String, "shared-file profile (default $AWS_PROFILE or default)"},
    {"credential_process", Kind::String, "command printing credentials as JSON (source process)"},
};

constexpr Key kWebsocketKeys[] = {
    {"headers", Kind::StringMap, "extra handshake headers: name: template"},
    {"query", Kind::StringMap, "extra query parameters: name: template"},
};

constexpr Key kTlsKeys[] = {
    {"enabled", Kind::Bool, "TLS under MQTT or WebSocket (false only for local tests)"},
    {"verify_peer", Kind::Bool, "verify the broker certificate (default true)"},
    {"session_resumption", Kind::Bool, "offer TLS session resumption on reconnect (default false)"},
    {"alpn", Kind::StringOrList, "ALPN protocols replacing the builder's"},
    {"sni", Kind::String, "server name sent instead of the endpoint host"},
};

constexpr Key kSdkMetricsKeys[] = {
    {"format", Kind::Enum, "metrics string format (default current)", kMetricsFormats},
    {"sdk_language", Kind::String, "<Lang> of IoTDeviceSDK/<Lang> (default Python)"},
    {"sdk_version", Kind::String, "SDK version (default 1.24.0)"},
    {"crt_version", Kind::String, "CRT version (default 0.24.0)"},
    {"platform", Kind::String, "platform (default Unix)"},
    {"features", Kind::StringList, "extra IoTSDKFeature codes, e.g. [G/A]"},
};

constexpr Key kFleetKeys[] = {
    {"devices", Kind::Uint, "devices in the whole fleet (all shards); required", {}, nullptr, 1, 100'000'000},
    {"client_id", Kind::Template, "client id template with {index} (default fleetload-{index})"},
    {"index_width", Kind::Uint, "zero-pad {index} to this many digits (default 0)", {}, nullptr, 0, 20},
    {"connect_rate", Kind::Rate, "fleet-wide new connections per second (default 500/s)"},
    {"source_addresses", Kind::StringOrList, "local addresses to bind: IPs, ranges a-b, IPv4 CIDR"},
    {"thing_name", Kind::Template, "AWS IoT thing name template, for shadow topics (default: the client id)"},
};

constexpr Key kSessionKeys[] = {
    {"keepalive", Kind::Duration, "keepalive, whole seconds 1..65535 (SDK default 1200s)"},
    {"ping_timeout", Kind::Duration, "no PINGRESP within it drops the connection (SDK: 3s / 30s)"},
    {"connack_timeout", Kind::Duration, "CONNACK deadline (default 20s)"},
    {"clean_session", Kind::Bool, "clean session on every attempt (mqtt311; mqtt5: older spelling of session_behavior)"},
    {"session_behavior", Kind::Enum, "which attempts rejoin the broker's session (mqtt5, default clean)",
     kSessionBehaviors},
    {"session_expiry", Kind::Duration, "Session Expiry Interval (mqtt5; default not sent)"},
    {"receive_maximum", Kind::Uint, "Receive Maximum (mqtt5; default not sent)", {}, nullptr, 1, 65535},
    {"maximum_packet_size", Kind::Size, "largest packet accepted from the broker (default 1MiB, not sent)"},
    {"topic_alias_maximum", Kind::Uint, "Topic Alias Maximum (mqtt5; default not sent)", {}, nullptr, 0, 65535},
    {"ack_timeout", Kind::Duration, "QoS 1/2 and SUBSCRIBE ack timeout; 0 = none (SDK: 0 / 60s)"},
    {"offline_queue", Kind::Enum, "what queued operations do while disconnected", kOfflineQueues},
    {"subscribe_batch", Kind::Uint, "most filters per SUBSCRIBE (default 8 on AWS IoT Core, else no limit)", {},
     nullptr, 1, 65535},
    {"publish_limit", Kind::Rate, "most PUBLISHes per second per connection (default 100/s on AWS IoT Core, else none)"},
    {"will", Kind::Section, "the Will message", {}, &kWill},
};

constexpr Key kWillKeys[] = {
    {"topic", Kind::Template, "Will topic", {}, nullptr, 0, 0, true},
    {"payload", Kind::Template, "Will payload (default empty)"},
    {"qos", Kind::Uint, "Will QoS", {}, nullptr, 0, 2},
    {"retain", Kind::Bool, "retain the Will"},
    {"delay", Kind::Duration, "Will Delay Interval (mqtt5)"},
    {"message_expiry", Kind::Duration, "Message Expiry Interval (mqtt5)"},
    {"content_type", Kind::String, "Content Type (mqtt5)"},
};

constexpr Key kReconnectKeys[] = {
    {"min_delay", Kind::Duration, "first backoff delay (SDK: 5s / 1s)"},
    {"max_delay", Kind::Duration, "largest backoff delay (SDK: 60s / 120s)"},
    {"jitter", Kind::Enum, "backoff jitter (SDK: none / full)", kJitters},
    {"reset_after", Kind::Duration, "connected this long, the backoff starts over (SDK: 10s / 30s)"},
    {"first_connect_failure", Kind::Enum, "after a failed first connect: retry or stop (default retry)",
     kFirstConnectFailures},
};

constexpr Key kPublishKeys[] = {
    {"name", Kind::String, "the stream's name in reports (a-z, 0-9, _ and -; default \"default\", or stream<i> in a list)"},
    {"topic", Kind::Template, "topic template, e.g. telemetry/{client_id}; required"},
    {"qos", Kind::Uint, "QoS 0, 1 or 2 (default 0)", {}, nullptr, 0, 2},
    {"rate", Kind::Rate, "per device, e.g. 1/s (or fleet_rate)"},
    {"fleet_rate", Kind::Rate, "for the whole fleet, shared by the publishers (or rate)"},
    {"arrival", Kind::Enum, "spacing of messages: uniform or poisson (default uniform)", kArrivals},
    {"payload", Kind::Payload, "a size (64B) or {size, header, template}", {}, &kPayload},
    {"retain", Kind::Bool, "retain flag"},
    {"user_properties", Kind::StringMap, "User Properties name: value (mqtt5)"},
    {"content_type", Kind::String, "Content Type (mqtt5)"},
    {"message_expiry", Kind::Duration, "Message Expiry Interval (mqtt5)"},
    {"topic_alias", Kind::Bool, "use a topic alias (mqtt5)"},
    {"publishers", Kind::Selection, "which devices publish: all, none, a count or a share (default all)"},
};

constexpr Key kPayloadKeys[] = {
    {"size", Kind::Size, "total bytes (default 64)"},
    {"header", Kind::Bool, "the accounting header first (default true): loss, duplicates, latency"},
    {"template", Kind::Template, "text with {seq} {timestamp} {client_id} {index} {shard} (instead of size)"},
};

constexpr Key kSubscribeKeys[] = {
    {"filters", Kind::Filters, "topic filters: text or {filter, qos, ...}", {}, &kFilter},
    {"subscribers", Kind::Selection, "which devices subscribe (default all)"},
};

constexpr Key kFilterKeys[] = {
    {"filter", Kind::Template, "topic filter (+ and # as whole levels, $share/group/...)", {}, nullptr, 0, 0, true},
    {"qos", Kind::Uint, "maximum QoS", {}, nullptr, 0, 2},
    {"no_local", Kind::Bool, "No Local (mqtt5)"},
    {"retain_as_published", Kind::Bool, "Retain As Published (mqtt5)"},
    {"retain_handling", Kind::Uint, "Retain Handling (mqtt5)", {}, nullptr, 0, 2},
};

constexpr Key kShadowKeys[] = {
    {"name", Kind::String, "named shadow (1-64 of a-z A-Z 0-9 : _ -); absent: the classic shadow"},
    {"get", Kind::Enum, "get the shadow after every connect (default never)", kShadowGets},
    {"update", Kind::Section, "periodic updates of reported state", {}, &kShadowUpdate},
    {"on_delta", Kind::Enum, "report a delta's desired values back (default ignore)", kShadowOnDeltas},
    {"version", Kind::Bool, "send the last version seen with each update; 409 conflicts retried (default false)"},
    {"timeout", Kind::Duration, "a request unanswered this long is timed out (default 10s)"},
    {"qos", Kind::Uint, "QoS of the requests and of the answer topics' SUBSCRIBE: 0 or 1 (default 1, as the SDK samples)", {}, nullptr, 0, 1},
};

constexpr Key kShadowUpdateKeys[] = {
    {"rate", Kind::Rate, "updates per device, e.g. 1/m", {}, nullptr, 0, 0, true},
    {"reported", Kind::Template, "reported state: a JSON object template (default {\"seq\": {seq}})"},
};

constexpr Key kJobsKeys[] = {
    {"start", Kind::Enum, "when to start-next: on notify-next, or also after every connect (default)", kJobsStarts},
    {"work_time", Kind::String, "from start to the final status: a duration or a range 1s..5s (default 1s)"},
    {"fail_share", Kind::String, "share of executions reported FAILED, 0 to 1 or 10% (default 0)"},
    {"status_details", Kind::StringMap, "statusDetails of every update: name: template"},
    {"step_timeout", Kind::Uint, "stepTimeoutInMinutes of start-next (default none)", {}, nullptr, 1, 10080},
    {"in_progress", Kind::Bool, "report IN_PROGRESS before the final status (default true)"},
    {"timeout", Kind::Duration, "a request unanswered this long is timed out (default 10s)"},
    {"qos", Kind::Uint, "QoS of the requests and of the answer topics' SUBSCRIBE: 0 or 1 (default 1, as the SDK samples)", {}, nullptr, 0, 1},
};
// ---- provisioning (Fleet Provisioning by claim) ----
constexpr Key kProvisioningKeys[] = {
    {"template", Kind::String, "the provisioning template's name (1-36 of 0-9 A-Z a-z _ -)", {}, nullptr, 0, 0, true},
    {"parameters", Kind::StringMap, "RegisterThing parameters: name: template, e.g. SerialNumber: \"{client_id}\""},
    {"certificate", Kind::Enum, "create (the service makes the key) or create_from_csr (default create)",
     kProvisioningCertificates},
    {"format", Kind::Enum, "payload format of the provisioning topics (default json)", kProvisioningFormats},
    {"key_type", Kind::Enum, "create_from_csr: the key made locally (default ecdsa-p256)", kProvisioningKeyTypes},
    {"timeout", Kind::Duration, "a request unanswered this long is timed out (default 10s)"},
    {"qos", Kind::Uint, "QoS of the requests and of the answer topics' SUBSCRIBE: 0 or 1 (default 1, as the SDK samples)", {}, nullptr, 0, 1},
};
// ---- end provisioning ----

constexpr Key kPhaseKeys[] = {
    {"name", Kind::String, "for progress and the report (default <type>-<position>)"},
    {"type", Kind::Enum, "ramp connects, steady holds, churn drops a share per second, storm drops all", kPhaseTypes,
     nullptr, 0, 0, true},
    {"duration", Kind::Duration, "required, except for ramp (devices / connect rate)"},
    {"connect_rate", Kind::Rate, "ramp only: its connect rate"},
    {"rate", Kind::ShareRate, "churn only: share of devices dropped per time, e.g. 1%/s"},
    {"groups", Kind::StringOrList, "ramp, churn, storm: the device groups it acts on (default all)"},
    // type: search (docs/scenario.md "Capacity search")
    {"vary", Kind::Enum, "search only: the quantity it varies", kSearchVaries},
    {"per", Kind::Enum, "search of publish_rate only: from/to count per fleet or per device", kSearchPer},
    {"from", Kind::Rate, "search only: the first step (a rate like 500/s, or a device count)"},
    {"to", Kind::Rate, "search only: the last ladder step (a rate, or a device count)"},
    {"hold", Kind::Duration, "search only: how long each step lasts"},
    {"settle", Kind::Duration, "search only: the start of each step left out of its measurement"},
    {"steps", Kind::String, "search only: linear N or geometric F (default geometric 2)"},
    {"step", Kind::Rate, "search only: a fixed increment instead of steps"},
    {"precision", Kind::String, "search only: bisection stops within this share (5%) or value"},
    {"max_steps", Kind::Uint, "search only: bound on the number of steps", {}, nullptr, 1, 1000},
    {"criteria", Kind::StringList, "search only: the thresholds a step must meet (default all)"},
    {"require", Kind::String, "search only: the floor the answer must reach, e.g. \">= 2000/s\""},
    {"abort", Kind::Section, "search only: collapse limits that end the search at once", {}, &kSearchAbort},
    {"group", Kind::String, "search only: the device group it varies (default the whole fleet)"},
};

constexpr Key kSearchAbortKeys[] = {
    {"connect_success_below", Kind::String, "a share of successful connects (default 50%; 0% turns it off)"},
    {"errors_above", Kind::Rate, "broker-caused errors per second (default 100/s)"},
};

constexpr Key kRunKeys[] = {
    {"duration", Kind::Duration, "bound of the whole run (default: the phases' sum; 60s without phases)"},
    {"report", Kind::String, "JSON report file"},
    {"progress_interval", Kind::Duration, "progress line period (default 1s)"},
    {"drain_timeout", Kind::Duration,
     "after publishing stops, how long to wait for deliveries still arriving before closing the books (default 10s)"},
    {"id", Kind::String,
     "run id in every payload header, shared by all shards of one run (default: random; with --shard: from the scenario)"},
};

constexpr Key kThresholdKeys[] = {
    {"connect_success_ratio", Kind::Threshold, "share of connect attempts that succeeded, e.g. \">= 99.9%\""},
    {"max_loss", Kind::Threshold, "messages lost: a count (0) or a share (0.1%)"},
    {"max_duplicates", Kind::Threshold, "duplicate deliveries: a count or a share"},
    {"p99_ack_latency", Kind::Threshold, "p99 publish-to-ack latency, e.g. \"<= 250ms\""},
    {"p99_e2e_latency", Kind::Threshold, "p99 publish-to-delivery latency"},
    {"p99_connect_time", Kind::Threshold, "p99 connect time"},
    {"p99_shadow_update_latency", Kind::Threshold, "p99 shadow update request-to-answer latency"},
    {"max_shadow_rejections", Kind::Threshold, "shadow requests rejected: a count or a share"},
    {"max_job_failures", Kind::Threshold,
     "job executions not SUCCEEDED (failed, rejected, timed out): a count or a share of those ended"},
    {"p99_job_duration", Kind::Threshold, "p99 time from a job's announcement to its final update accepted"},
    {"max_provisioning_failures", Kind::Threshold, "provisioning attempts rejected or timed out: a count or a share"},
    {"p99_provisioning_latency", Kind::Threshold, "p99 first connect to connected with the new identity"},
    {"max_publish_rate_error", Kind::Threshold, "achieved vs requested publish rate, e.g. \"<= 2%\""},
};

}  // namespace

const Section kScenario{"scenario", "A fleetload scenario: a fleet of MQTT devices and what it does.", kScenarioKeys};
const Section kGroup{"group", "One device group (docs/scenario.md \"Device groups\").", kGroupKeys};
const Section kTarget{"target", "The broker under test.", kTargetKeys};
const Section kEndpoint{"endpoint", "A broker as {host, port}.", kEndpointKeys};
const Section kAuth{"auth", "How each device connects (docs/auth.md).", kAuthKeys};
const Section kCredentials{"auth.credentials", "AWS credentials for websockets_with_default_aws_signing.",
                           kCredentialsKeys};
const Section kWebsocket{"auth.websocket", "WebSocket handshake additions (WebSocket modes).", kWebsocketKeys};
const Section kTls{"auth.tls", "Transport security options.", kTlsKeys};
const Section kSdkMetrics{"auth.metrics", "The SDK metrics string appended to the user name.", kSdkMetricsKeys};
const Section kFleet{"fleet", "The devices.", kFleetKeys};
const Section kSession{"session", "MQTT session settings.", kSessionKeys};
const Section kWill{"session.will", "The Will message.", kWillKeys};
const Section kReconnect{"reconnect", "The reconnect backoff.", kReconnectKeys};
const Section kPublish{"publish", "What devices publish.", kPublishKeys};
const Section kPayload{"publish.payload", "The payload of each message.", kPayloadKeys};
const Section kSubscribe{"subscribe", "Subscriptions.", kSubscribeKeys};
const Section kFilter{"subscribe.filter", "One subscription.", kFilterKeys};
const Section kShadow{"shadow", "AWS IoT Device Shadow traffic (docs/scenario.md \"Device Shadow\").", kShadowKeys};
const Section kShadowUpdate{"shadow.update", "Periodic updates of reported state.", kShadowUpdateKeys};
const Section kJobs{"jobs", "AWS IoT Jobs executions (docs/scenario.md \"Jobs\").", kJobsKeys};
const Section kProvisioning{"provisioning", "AWS IoT Fleet Provisioning by claim (docs/scenario.md \"Fleet Provisioning\").",
                             kProvisioningKeys};
const Section kPhase{"phase", "One phase of the run.", kPhaseKeys};
const Section kSearchAbort{"phase.abort", "When a search step is a collapse, not merely a failure.", kSearchAbortKeys};
const Section kRun{"run", "The run.", kRunKeys};
const Section kThresholds{"thresholds", "Limits deciding the exit code (1 when breached, 4 when not measured).",
                          kThresholdKeys};

const Key* Section::find(std::string_view key) const noexcept {
  for (const Key& k : keys)
    if (k.name == key) return &k;
  return nullptr;
}

std::span<const Section* const> all_sections() {
  static constexpr const Section* kAll[] = {&kScenario, &kTarget,  &kEndpoint,  &kAuth,    &kCredentials,
                                            &kWebsocket, &kTls,    &kSdkMetrics, &kFleet,  &kSession,
                                            &kWill,      &kReconnect, &kPublish, &kPayload, &kSubscribe,
                                            &kFilter,    &kShadow, &kShadowUpdate, &kJobs, &kProvisioning, &kPhase,  &kSearchAbort, &kRun,       &kThresholds, &kGroup};
  return kAll;
}

}  // namespace fleetload::scenario::keys
