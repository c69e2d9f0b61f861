// The typed, validated scenario: what one run does, with every default filled in.
//
// Plain data only (no YAML types): the engine, the device session and the CLI read it.
// Each field's comment names its YAML key and its default. Durations are std::chrono;
// rates are per second; sizes are bytes; shares/ratios are fractions in [0, 1].
// Field names are stable: fields may be added, never renamed.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mqtt/packet.hpp"
#include "scenario/template.hpp"

namespace fleetload::scenario {

using Duration = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

// A rate in events per second ("2000/s", "10/m", "3600/h" in YAML).
struct Rate {
  double per_second = 0.0;
  // Mean time between events; Duration::max() for a zero rate.
  Duration interval() const noexcept {
    if (per_second <= 0.0) return Duration::max();
    return Duration(static_cast<Duration::rep>(1000.0 / per_second));
  }
  friend bool operator==(const Rate&, const Rate&) = default;
};

// ---- target ---------------------------------------------------------------------------

// One broker address. YAML: "host:port", "[v6addr]:port", or {host, port}.
struct Endpoint {
  Endpoint() = default;
  // {host, port} and {host, port, path}, without -Wmissing-field-initializers for the path.
  Endpoint(std::string h, std::uint16_t p, std::string ws_path = {})
      : host(std::move(h)), port(p), path(std::move(ws_path)) {}
  std::string host;
  std::uint16_t port = 1883;
  // The WebSocket request path of a ws:// or wss:// URL ("/mqtt/v2"); empty = the SDK's /mqtt.
  std::string path;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct Target {
  // `endpoints` (list) or the shorthand `endpoint` + `port` (port default 1883). Each is
  // "host:port", {host, port} or a URL (mqtt://, mqtts://, ws://, wss:// with a path;
  // scenario/endpoint_url.hpp). Devices are spread across the list. Required: at least one.
  std::vector<Endpoint> endpoints;
  // `protocol`: mqtt311 | mqtt5. Default mqtt311.
  mqtt::Version protocol = mqtt::Version::V311;
  // `connect_timeout`: TCP connect timeout. Default 5s (mqtt311) / 10s (mqtt5), as the SDK.
  Duration connect_timeout{5000};
  // `dns_refresh`: how often endpoints given by name are looked up again during the run
  // (the SDK's host resolver keeps addresses for 30 s). 0 = once, at start. Default 30s.
  Duration dns_refresh{30000};
};

// ---- auth -----------------------------------------------------------------------------

// `auth.mode`: the AWS IoT Device SDK v2 connection builder each device imitates (aws doc
// §2-§5), plus plain TCP for local brokers. YAML names are the builder names.
enum class AuthMode : std::uint8_t {
  PlainTcp,                         // "plain_tcp": no TLS, CONNECT username/password only
  MtlsFromPath,                     // "mtls_from_path"
  MtlsFromBytes,                    // "mtls_from_bytes"
  MtlsWithPkcs11,                   // "mtls_with_pkcs11"
  MtlsWithPkcs12,                   // "mtls_with_pkcs12"
  MtlsWithWindowsCertStorePath,     // "mtls_with_windows_cert_store_path" (Windows only)
  WebsocketsWithDefaultAwsSigning,  // "websockets_with_default_aws_signing"
  WebsocketsWithCustomHandshake,    // "websockets_with_custom_handshake"
  DirectWithCustomAuthorizer,       // "direct_with_custom_authorizer"
  WebsocketsWithCustomAuthorizer,   // "websockets_with_custom_authorizer"
  NewDefaultBuilder,                // "new_default_builder"
};

// `auth.metrics.format`: the SDK metrics suffix of the CONNECT username (aws doc §1).
enum class MetricsFormat : std::uint8_t {
  Current,  // "current": SDK=IoTDeviceSDK/<Lang>&Platform=..&Metadata=(..)
  Legacy,   // "legacy": SDK=PythonV2&Version=<v>
  Off,      // "off": no suffix (same as enable_metrics_collection: false)
};

struct SdkMetrics {
  // `enable_metrics_collection` (top level of auth, as the SDK names it). Default true.
  bool enabled = true;
  // `metrics.format`: current | legacy | off. Default current.
  MetricsFormat format = MetricsFormat::Current;
  // `metrics.sdk_language`: <Lang> of "IoTDeviceSDK/<Lang>". Default "Python".
  std::string sdk_language = "Python";
  // `metrics.sdk_version`: IoTSDKVersion (current) / Version (legacy). Default "1.24.0".
  std::string sdk_version = "1.24.0";
  // `metrics.crt_version`: CRTVersion. Default "0.24.0".
  std::string crt_version = "0.24.0";
  // `metrics.platform`: Platform. Default "Unix".
  std::string platform = "Unix";
  // `metrics.features`: extra IoTSDKFeature codes after F/3 or F/5 (e.g. ["G/A"]). Default none.
  std::vector<std::string> features;
};

// `auth.credentials`: where websockets_with_default_aws_signing gets AWS credentials.
enum class CredentialsSource : std::uint8_t {
  DefaultChain,  // "default": environment, shared files (profile), credential_process (aws doc §3)
  Static,        // "static": access_key_id + secret_access_key (+ session_token) given here
  Environment,   // "environment": AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
  Profile,       // "profile": ~/.aws/credentials and ~/.aws/config, named profile
  Process,       // "process": run credential_process and read its JSON
};

struct AwsCredentialsSpec {
  // `credentials.source`: default | static | environment | profile | process. Default: from
  // the keys given (access_key_id -> static, profile -> profile, credential_process ->
  // process), else default.
  CredentialsSource source = CredentialsSource::DefaultChain;
  // `credentials.access_key_id` (static). Usually "${AWS_ACCESS_KEY_ID}"-style.
  std::optional<std::string> access_key_id;
  // `credentials.secret_access_key` (static). A SECRET.
  std::optional<std::string> secret_access_key;
  // `credentials.session_token` (static, optional). A SECRET.
  std::optional<std::string> session_token;
  // `credentials.profile` (profile; also for the default chain). Default: $AWS_PROFILE or
  // "default".
  std::optional<std::string> profile;
  // `credentials.credential_process` (process): a command line run with /bin/sh.
  std::optional<std::string> credential_process;
};

struct AuthTls {
  // `tls.enabled`: TLS under MQTT or WebSocket. Default true except plain_tcp. false is only
  // for local tests of the WebSocket, custom authorizer and default builders (warned).
  bool enabled = true;
  // `tls.verify_peer`: verify the broker certificate. Default true; false is warned loudly.
  bool verify_peer = true;
  // `tls.session_resumption`: offer TLS session resumption on reconnect. Default false.
  bool session_resumption = false;
  // `tls.alpn`: ALPN protocol list replacing the builder's (aws doc §1). Default: none.
  std::optional<std::vector<std::string>> alpn;
  // `tls.sni`: server name sent instead of the endpoint host. Default: the endpoint host.
  std::optional<std::string> sni;
};

struct Auth {
  // `mode`: plain_tcp (default) or an SDK builder name.
  AuthMode mode = AuthMode::PlainTcp;
  // `username`: CONNECT username (template: {index} {shard} {client_id}). Default: none.
  std::optional<std::string> username;
  // `password`: CONNECT password. A SECRET: masked by to_yaml and never logged. Default: none.
  std::optional<std::string> password;

  // Certificates (mtls_*; cert also for pkcs11). Paths are templates ({index} {shard}
  // {client_id}) so each device may have its own identity.
  std::optional<std::string> cert_filepath;     // `cert_filepath`
  std::optional<std::string> pri_key_filepath;  // `pri_key_filepath`
  std::optional<std::string> cert_bytes;        // `cert_bytes`: inline PEM or ${ENV}
  std::optional<std::string> pri_key_bytes;     // `pri_key_bytes`: A SECRET
  // Trust store (aws doc §1): ca_bytes wins, else ca_filepath and/or ca_dirpath, else system.
  std::optional<std::string> ca_filepath;  // `ca_filepath`
  std::optional<std::string> ca_dirpath;   // `ca_dirpath`
  std::optional<std::string> ca_bytes;     // `ca_bytes`
  // PKCS#11 (mtls_with_pkcs11).
  std::optional<std::string> pkcs11_lib;         // `pkcs11_lib`: the module .so
  std::optional<std::string> user_pin;           // `user_pin`: A SECRET; none = protected path
  std::optional<std::uint64_t> slot_id;          // `slot_id`
  std::optional<std::string> token_label;        // `token_label`
  std::optional<std::string> private_key_label;  // `private_key_label`
  // PKCS#12 (mtls_with_pkcs12); the file path is a template.
  std::optional<std::string> pkcs12_filepath;  // `pkcs12_filepath`
  std::optional<std::string> pkcs12_password;  // `pkcs12_password`: A SECRET
  // Windows certificate store (refused on other platforms).
  std::optional<std::string> cert_store_path;  // `cert_store_path`
  // SigV4 (websockets_with_default_aws_signing).
  std::optional<std::string> region;  // `region`: required for SigV4
  AwsCredentialsSpec credentials;     // `credentials`
  // `websocket.headers` / `websocket.query`: extra handshake headers and query parameters
  // (custom handshake), values are templates, in file order.
  std::vector<std::pair<std::string, std::string>> websocket_headers;
  std::vector<std::pair<std::string, std::string>> websocket_query;
  // Custom authorizer (aws doc §4).
  std::optional<std::string> auth_username;              // `auth_username` (template)
  std::optional<std::string> auth_authorizer_name;       // `auth_authorizer_name`
  std::optional<std::string> auth_authorizer_signature;  // A SECRET
  std::optional<std::string> auth_password;              // A SECRET
  std::optional<std::string> auth_token_key_name;        // `auth_token_key_name`
  std::optional<std::string> auth_token_value;           // A SECRET (template)
  // SDK metrics suffix of the username.
  SdkMetrics metrics;
  // `tls`: transport security options.
  AuthTls tls;
};

// True for the modes that speak MQTT over WebSocket.
bool is_websocket(AuthMode m) noexcept;
// True for the mtls_* modes (client certificate).
bool is_mtls(AuthMode m) noexcept;
// The SDK's default port for a mode: 1883 plain_tcp, 443 WebSocket and direct custom
// authorizer, 8883 otherwise (aws doc §1, §4).
std::uint16_t default_port(AuthMode m) noexcept;

// ---- fleet ----------------------------------------------------------------------------

// Which slice of the fleet this process runs: devices with index % n == k. Not in the file:
// filled by the CLI (--shard K/N). Default 0/1 = the whole fleet.
struct Shard {
  std::uint32_t k = 0;
  std::uint32_t n = 1;
  friend bool operator==(const Shard&, const Shard&) = default;
};

struct Fleet {
  // `devices`: number of devices in the whole fleet (all shards). Required, >= 1.
  std::uint64_t devices = 0;
  // `client_id`: template with {index} {shard}. Default "fleetload-{index}": the index is fleet-wide, so ids stay the same however the fleet is sharded.
  std::string client_id = "fleetload-{index}";
  // `index_width`: zero-pad {index} to this many digits in every template. Default 0 (none).
  std::uint32_t index_width = 0;
  // `connect_rate`: fleet-wide new connections per second (each of N shards uses rate/N).
  // Default 500/s (AWS IoT Core's default connects/s per account).
  Rate connect_rate{500.0};
  // `source_addresses`: local addresses to bind, spread over devices; YAML items are IPs,
  // IPv4 ranges "127.0.0.2-127.0.0.20" or IPv4 CIDR "127.0.0.0/28". Expanded here into single
  // addresses (at most 65536). Default: empty = let the OS choose.
  std::vector<std::string> source_addresses;
  // Not in the file: set by the CLI from --shard K/N.
  Shard shard;
  // `thing_name`: the AWS IoT thing name template of each device (shadow topics). Default:
  // the client id.
  std::optional<std::string> thing_name;
};

// ---- session --------------------------------------------------------------------------

// `session.offline_queue`: what happens to queued operations while disconnected (SDK
// ClientOperationQueueBehavior).
enum class OfflineQueue : std::uint8_t {
  FailQos0PublishOnDisconnect,     // "fail_qos0_publish_on_disconnect" (default)
  FailNonQos1PublishOnDisconnect,  // "fail_non_qos1_publish_on_disconnect"
  FailAllOnDisconnect,             // "fail_all_on_disconnect"
};

// `session.will`: the Will message. Absent by default.
struct Will {
  // `topic`: template ({index} {client_id} {shard}). Required when `will` is given.
  std::string topic;
  // `payload`: template text. Default "".
  std::string payload;
  // `qos`: 0|1|2. Default 0.
  std::uint8_t qos = 0;
  // `retain`: default false.
  bool retain = false;
  // `delay`: Will Delay Interval (MQTT 5 only). Default: none.
  std::optional<Seconds> delay;
  // `message_expiry`: Message Expiry Interval (MQTT 5 only). Default: none.
  std::optional<Seconds> message_expiry;
  // `content_type` (MQTT 5 only). Default: none.
  std::optional<std::string> content_type;
};

// `session.session_behavior` (MQTT 5, the SDK's ClientSessionBehaviorType): which connect
// attempts ask to rejoin the broker's session (Clean Start = 0). aws-c-mqtt mqtt5_client.c
// `s_should_resume_session`.
enum class SessionBehavior : std::uint8_t {
  Clean,              // "clean": Clean Start = 1 on every attempt (the SDK default)
  RejoinPostSuccess,  // "rejoin_post_success": clean until one CONNACK accepted, then rejoin
  RejoinAlways,       // "rejoin_always": Clean Start = 0 on every attempt, the first included
};

// The receive limit when `session.maximum_packet_size` is not given: the largest packet a
// device accepts from the broker. The SDK has none, but a limit keeps a hostile or broken
// broker from making each device buffer up to 256 MB; 1 MiB is EMQX's default and 8x AWS IoT
// Core's 128 KiB message limit. It is not sent in an MQTT 5 CONNECT unless given explicitly
// (the SDK sends no CONNECT properties by default).
inline constexpr std::uint32_t kDefaultMaximumPacketSize = 1024 * 1024;

struct Session {
  // `keepalive`: whole seconds, 1..65535. Default 1200s (SDK). AWS IoT allows 30-1200 (warning).
  Seconds keepalive{1200};
  // `ping_timeout`: no PINGRESP within it drops the connection. Default 3s (mqtt311) / 30s
  // (mqtt5). MQTT 5 uses min(ping_timeout, keepalive in force / 2), as the SDK does.
  Duration ping_timeout{3000};
  // `connack_timeout`: default 20s.
  Duration connack_timeout{20000};
  // `clean_session` (mqtt311 Clean Session, on every attempt). Default false (the 3.1.1
  // SDK's). With mqtt5 it is the older spelling of session_behavior: true = clean, false =
  // rejoin_always; it then mirrors session_behavior == Clean.
  bool clean_session = false;
  // `session_behavior` (mqtt5 only). Default clean.
  SessionBehavior session_behavior = SessionBehavior::Clean;
  // `session_expiry` (MQTT 5 CONNECT property). Default: not sent.
  std::optional<Seconds> session_expiry;
  // `receive_maximum` (MQTT 5 CONNECT property, 1..65535). Default: not sent (65535 applies).
  std::optional<std::uint16_t> receive_maximum;
  // `maximum_packet_size`: the largest packet accepted from the broker (bytes, >= 1), both
  // protocols; larger ones are refused at their fixed header. Given explicitly, mqtt5 also
  // sends it as the CONNECT property. Default: kDefaultMaximumPacketSize, not sent.
  std::optional<std::uint32_t> maximum_packet_size;
  // `topic_alias_maximum` (MQTT 5 CONNECT property). Default: not sent.
  std::optional<std::uint16_t> topic_alias_maximum;
  // `ack_timeout`: QoS 1/2 and SUBSCRIBE ack timeout; 0 = none. Default 0 (mqtt311) / 60s (mqtt5).
  Duration ack_timeout{0};
  // `offline_queue`: default fail_qos0_publish_on_disconnect.
  OfflineQueue offline_queue = OfflineQueue::FailQos0PublishOnDisconnect;
  // `will`: default none.
  std::optional<Will> will;
  // `subscribe_batch`: the most topic filters one SUBSCRIBE carries; more go in further
  // SUBSCRIBEs. Default: 8 when the endpoint is AWS IoT Core (its limit per SUBSCRIBE, which
  // the SDK obeys), else no limit.
  std::optional<std::uint16_t> subscribe_batch;
  // `publish_limit`: the most PUBLISHes one connection sends per second; a scheduled publish
  // that would exceed it waits. Default: 100/s when the endpoint is AWS IoT Core (its quota
  // "Publish requests per second per connection", not adjustable), else no limit.
  std::optional<Rate> publish_limit;

  // The receive limit in force (explicit or the default).
  std::uint32_t receive_limit() const noexcept {
    return maximum_packet_size.value_or(kDefaultMaximumPacketSize);
  }
};

// ---- reconnect ------------------------------------------------------------------------

// `reconnect.jitter` (SDK ExponentialBackoffJitterMode; formulas in docs/scenario.md).
// Decorrelated is the SDK's as it runs (its previous delay is never recorded, so every draw
// is a Full draw); DecorrelatedTextbook is the published formula rand(min, 3 * previous).
enum class Jitter : std::uint8_t { None, Full, Decorrelated, Default, DecorrelatedTextbook };

// `reconnect.first_connect_failure`: what a device does when its very first connect attempt
// fails (TCP, CONNACK refused or timed out).
enum class FirstConnectFailure : std::uint8_t {
  Retry,  // "retry": back off and try again (the MQTT 5 SDK; firmware that loops on connect)
  Stop,   // "stop": give up for good (the 3.1.1 SDK: connect() fails, the library never retries)
};

struct Reconnect {
  // `min_delay`: default 5s (mqtt311) / 1s (mqtt5).
  Duration min_delay{5000};
  // `max_delay`: default 60s (mqtt311) / 120s (mqtt5).
  Duration max_delay{60000};
  // `jitter`: none|full|decorrelated|default|decorrelated_textbook. Default none (mqtt311) /
  // full (mqtt5).
  Jitter jitter = Jitter::None;
  // `reset_after`: a connection that stayed up this long past its CONNACK resets the
  // backoff to min_delay; shorter ones keep it growing. 0 = any accepted connection resets.
  // Default 10s (mqtt311, the SDK's fixed constant) / 30s (mqtt5).
  Duration reset_after{10000};
  // `first_connect_failure`: default retry.
  FirstConnectFailure first_connect_failure = FirstConnectFailure::Retry;
};

// ---- which devices do something -------------------------------------------------------

// `publishers` / `subscribers`: "all", "none", a count (10) or a share ("10%").
struct Selection {
  enum class Kind : std::uint8_t { All, None, Count, Share };
  Kind kind = Kind::All;
  std::uint64_t count = 0;  // Kind::Count
  double share = 0.0;       // Kind::Share, in [0, 1]
  // Resolved number of selected devices in the whole fleet (filled at parse time from
  // fleet.devices). The engine picks which indexes; e.g. the first `selected` indexes.
  std::uint64_t selected = 0;
};

// ---- publish --------------------------------------------------------------------------

enum class Arrival : std::uint8_t { Uniform, Poisson };

struct Payload {
  // `payload.size` (or `payload: 1KiB`): total bytes. Default 64.
  std::uint32_t size = 64;
  // `payload.header`: put the compact accounting header (publisher index, seq, send time)
  // first, padded to `size`. Default true; forced false when `template` is given.
  bool accounting_header = true;
  // `payload.template` (or `payload: "text with {seq}"`): {seq} {timestamp} {client_id}
  // {index} {shard}. When set, `size` is ignored. Default: none.
  std::optional<std::string> template_text;
};

// Most publish streams in one scenario (distinct names across the top level and every group):
// the payload header's stream byte carries the stream, and per-stream counters are kept for
// each (device/stats.hpp).
inline constexpr std::size_t kMaxPublishStreams = 16;
// The name of the stream of a `publish:` mapping without `name`.
inline constexpr std::string_view kDefaultStream = "default";

struct Publish {
  // `name`: the stream's name in reports and metrics (a-z, 0-9, _ and -, at most 32).
  // Default "default" for a single `publish:` mapping, "stream<i>" for item i of a list.
  std::string name;
  // `topic`: template ({index} {client_id} {shard}). Required.
  std::string topic;
  // `qos`: 0|1|2. Default 0.
  std::uint8_t qos = 0;
  // `rate`: per publishing device ("1/s", "10/m"). Exactly one of rate / fleet_rate.
  std::optional<Rate> rate;
  // `fleet_rate`: total for the whole fleet, spread evenly over the publishers.
  std::optional<Rate> fleet_rate;
  // Resolved per-device rate (from rate, or fleet_rate / publishers.selected).
  Rate per_device_rate;
  // `arrival`: uniform | poisson. Default uniform.
  Arrival arrival = Arrival::Uniform;
  // `payload`: see Payload.
  Payload payload;
  // `retain`: default false.
  bool retain = false;
  // `user_properties`: map of MQTT 5 user properties, in file order. Default none.
  std::vector<std::pair<std::string, std::string>> user_properties;
  // `content_type` (MQTT 5). Default none.
  std::optional<std::string> content_type;
  // `message_expiry` (MQTT 5). Default none.
  std::optional<Seconds> message_expiry;
  // `topic_alias` (MQTT 5): use topic aliases when the broker allows. Default false.
  bool topic_alias = false;
  // `publishers`: default all.
  Selection publishers;
};

// ---- subscribe ------------------------------------------------------------------------

struct Subscription {
  // `filter`: template ({index} {client_id} {shard}); $share/group/... allowed. Required.
  std::string filter;
  // `qos`: 0|1|2. Default 0.
  std::uint8_t qos = 0;
  // `no_local` (MQTT 5). Default false.
  bool no_local = false;
  // `retain_as_published` (MQTT 5). Default false.
  bool retain_as_published = false;
  // `retain_handling` (MQTT 5): 0|1|2. Default 0.
  std::uint8_t retain_handling = 0;
};

struct Subscribe {
  // `subscribe.filters` (or `subscribe:` as a plain list). Default none.
  std::vector<Subscription> filters;
  // `subscribe.subscribers`: default all when filters are given, none otherwise.
  Selection subscribers{Selection::Kind::None};
};

// ---- phases ---------------------------------------------------------------------------

enum class PhaseType : std::uint8_t {
  Ramp,    // connect devices at the connect rate
  Steady,  // hold the fleet, publish
  Churn,   // disconnect a share of connected devices per second; they reconnect with backoff
  Storm,   // at phase start drop every connected device; watch them return
  Search,  // capacity search: vary one quantity step by step until a threshold breaks
};

// ---- capacity search (phase type search) ------------------------------------------------

// A comparison of thresholds (below) and of a search's `require`.
enum class ThresholdOp : std::uint8_t { Lt, Le, Gt, Ge, Eq };

enum class SearchVary : std::uint8_t {
  ConnectRate,  // new connections per second of the step
  PublishRate,  // publishes per second (fleet-wide, or per device with `per: device`)
  Devices,      // devices connected at once
};

// How the ladder climbs from `from` to `to` before any bisection.
struct SearchSteps {
  enum class Kind : std::uint8_t {
    Linear,     // `steps: linear N`: N values evenly from `from` to `to` (both included)
    Geometric,  // `steps: geometric F`: from, from*F, from*F^2 ... up to `to` (to included)
    Step,       // `step: 500/s`: from, from+500, ... up to `to` (to included)
  };
  Kind kind = Kind::Geometric;
  double value = 2.0;  // N, F or the increment (in the unit of `vary`)
};

// Limits past which a step is a collapse, not merely a failure: the search ends at once
// (no bisection) so the broker is not pushed into an outage. Counted on the step's window.
struct SearchAbort {
  // `connect_success_below`: accepted CONNACKs / attempts under this share. Default 50%.
  double connect_success_below = 0.5;
  // `errors_above`: broker-caused errors (failed attempts + drops) per second of the
  // window above this. Default 100/s.
  double errors_per_second_above = 100.0;
};

struct Search {
  // `vary`: connect_rate | publish_rate | devices. Required.
  SearchVary vary = SearchVary::ConnectRate;
  // `group`: the device group the search varies; the others hold steady. Default: the whole
  // fleet, every group in proportion.
  std::string group;
  // `per` (publish_rate only): fleet | device; what `from`/`to` count. Default fleet.
  bool per_device = false;
  // `from`, `to`: the ladder's first and last value; rates ("100/s") for the rates, counts
  // for devices. Required, 0 < from < to.
  double from = 0.0;
  double to = 0.0;
  // `hold`: how long each step lasts. Required.
  Duration hold{0};
  // `settle`: the start of each step left out of its measurement window. Default 0,
  // below hold.
  Duration settle{0};
  SearchSteps steps;
  // `precision`: bisection between the last passing and the first failing step stops when
  // they are this close: absolute (in the unit of `vary`: "50/s", 100) or a share of the
  // passing value ("5%"). Default 10%.
  double precision = 0.10;
  bool precision_relative = true;
  // `max_steps`: bound on steps (ladder + bisection). Default 20.
  std::uint32_t max_steps = 20;
  // `criteria`: threshold names (keys of `thresholds:`) a step must meet. Default: all.
  std::vector<std::string> criteria;
  // `require`: the exit code is 0 only if the sustainable value meets this (">= 2000/s").
  std::optional<ThresholdOp> require_op;
  double require_value = 0.0;
  std::string require_text;
  SearchAbort abort;
};

struct Phase {
  // `name`: default "<type>-<position>" e.g. "ramp-0".
  std::string name;
  // `type`: ramp|steady|churn|storm. Required.
  PhaseType type = PhaseType::Steady;
  // `duration`: required, except ramp: default ceil(devices / connect_rate).
  Duration duration{0};
  // `connect_rate` (ramp only): overrides fleet.connect_rate for this phase.
  std::optional<Rate> connect_rate;
  // `rate` (churn only): share of connected devices dropped per second ("1%/s"). Required
  // for churn.
  double churn_share_per_second = 0.0;
  // `vary`, `from`, `to`, `hold` ... (search only); its duration is max_steps * hold.
  std::optional<Search> search;
  // `groups` (ramp, churn, storm): the device groups the phase acts on; empty = all. A
  // churn or storm drops only their devices; a ramp naming groups is when they join (they
  // do not connect before it), at its connect_rate shared by size, else at their own.
  std::vector<std::string> groups;
  // Whether `duration` was written (a ramp's default depends on the devices it connects).
  bool duration_given = false;
};

// ---- run ------------------------------------------------------------------------------

struct Run {
  // `duration`: bound of the whole run. Default: sum of the phases, or 60s when no phases.
  Duration duration{60000};
  // `report`: path of the JSON report. Default none.
  std::optional<std::filesystem::path> report;
  // `progress_interval`: default 1s.
  Duration progress_interval{1000};
  // `drain_timeout`: after the publishers stop, how long to keep waiting for deliveries that
  // are still arriving (by messages or bytes) before the books are closed. Default 10s.
  Duration drain_timeout{10000};
  // `id`: the run id stamped into every payload header (hashed to 32 bits), so deliveries
  // from an earlier run are told apart. Default: random per run; with --shard, derived
  // from the scenario (all shards of one run must share it: set a fresh one per run).
  std::optional<std::string> id;
};

// ---- thresholds -----------------------------------------------------------------------

// One pass/fail rule; a breach makes the exit code 1. YAML `thresholds:` keys map to
// metrics (a threshold may carry its own op: ">= 99.9%", "< 250ms"):
//   connect_success_ratio (default op >=, ratio), max_loss (<=, count or ratio),
//   max_duplicates (<=, count or ratio), p99_ack_latency / p99_e2e_latency / p99_connect_time
//   (<=, duration), max_publish_rate_error (<=, ratio).
struct Threshold {
  enum class Unit : std::uint8_t { Count, Ratio, Seconds };
  std::string metric;  // the YAML key, e.g. "p99_ack_latency"
  ThresholdOp op = ThresholdOp::Le;
  double value = 0.0;  // Count: count; Ratio: fraction; Seconds: seconds
  Unit unit = Unit::Count;
  std::string text;    // as written in the file, for messages ("<= 250ms")
};

// ---- the whole scenario ---------------------------------------------------------------

// Where a value was read: file:line:column (1-based), or the `--set` override that gave it
// (then `file` names the override and line is 0).
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;
};

// ---- shadow (AWS IoT Device Shadow, per group) ------------------------------------------

enum class ShadowGet : std::uint8_t {
  Never,      // "never": no get request
  OnConnect,  // "on_connect": get after every accepted CONNACK (first connect and reconnects)
};
enum class ShadowOnDelta : std::uint8_t {
  Ignore,  // "ignore": deltas are counted, nothing is sent
  Report,  // "report": the delta's desired values are reported back (an update of reported)
};

struct ShadowUpdate {
  // `rate`: updates of reported state per device (e.g. 1/m).
  Rate rate;
  // `reported`: the reported state, a JSON object template ({index}, {client_id}, {seq},
  // {timestamp}, {group}, {group_index}); default {"seq": {seq}}.
  std::string reported = "{\"seq\": {seq}}";
};

struct Shadow {
  // `name`: a named shadow ($aws/things/{thing}/shadow/name/{name}/...); absent: classic.
  std::optional<std::string> name;
  // `get`: default never.
  ShadowGet get = ShadowGet::Never;
  // `update`: periodic updates of reported state; absent: none (deltas may still report).
  std::optional<ShadowUpdate> update;
  // `on_delta`: default ignore.
  ShadowOnDelta on_delta = ShadowOnDelta::Ignore;
  // `version`: send the last version seen with each update (optimistic locking; a 409
  // conflict is counted and retried by get-then-update). Default false.
  bool version = false;
  // `timeout`: a request without its accepted/rejected answer by then is timed out.
  Duration timeout{10000};
  // `qos`: of the requests and the answer topics' SUBSCRIBE, 0 or 1. Default 1, as the AWS
  // IoT Device SDK v2 samples (AWS_MQTT_QOS_AT_LEAST_ONCE).
  std::uint8_t qos = 1;
};

// ---- jobs (AWS IoT Jobs, per group) ---------------------------------------------------

enum class JobsStart : std::uint8_t {
  OnNotify,            // "on_notify": start-next when notify-next announces a pending execution
  OnConnectAndNotify,  // "on_connect_and_notify": also after every connect's subscriptions
};

struct Jobs {
  // `start`: default on_connect_and_notify (picks up what was queued while away).
  JobsStart start = JobsStart::OnConnectAndNotify;
  // `work_time`: how long a job runs between start and its final status, a duration or a
  // range "min..max" drawn uniformly per job. Default 1s.
  Duration work_min{1000};
  Duration work_max{1000};
  // `fail_share`: the share of executions reported FAILED (0..1); the rest SUCCEEDED.
  double fail_share = 0.0;
  // `status_details`: statusDetails of every update, name: template ({index}, {client_id},
  // {group}, ...); empty: none sent.
  std::vector<std::pair<std::string, std::string>> status_details;
  // `step_timeout`: stepTimeoutInMinutes of start-next (1..10080); absent: none.
  std::optional<std::uint32_t> step_timeout_minutes;
  // `in_progress`: report IN_PROGRESS (UpdateJobExecution) before the final status.
  bool in_progress = true;
  // `timeout`: a request without its accepted/rejected answer by then is timed out.
  Duration timeout{10000};
  // `qos`: of the requests and the answer topics' SUBSCRIBE, 0 or 1. Default 1 (SDK samples).
  std::uint8_t qos = 1;
};

// ---- provisioning (AWS IoT Fleet Provisioning by claim, per group) -------------------------

enum class ProvisioningCertificate : std::uint8_t {
  Create,         // "create": CreateKeysAndCertificate, the service makes the key
  CreateFromCsr,  // "create_from_csr": CreateCertificateFromCsr with a key made locally
};
enum class ProvisioningFormat : std::uint8_t { Json, Cbor };  // the topics' payload format
enum class ProvisioningKey : std::uint8_t { EcdsaP256, Rsa2048 };  // the local key (CSR)

struct Provisioning {
  // `template`: the provisioning template's name ($aws/provisioning-templates/{template}/...).
  std::string template_name;
  // `parameters`: RegisterThing's parameters, name -> template ({index}, {client_id}, ...).
  std::vector<std::pair<std::string, std::string>> parameters;
  ProvisioningCertificate certificate = ProvisioningCertificate::Create;
  ProvisioningFormat format = ProvisioningFormat::Json;
  ProvisioningKey key_type = ProvisioningKey::EcdsaP256;
  // `timeout`: a request without its accepted/rejected answer by then is timed out.
  Duration timeout{10000};
  // `qos`: of the requests and the answer topics' SUBSCRIBE, 0 or 1. Default 1 (SDK samples).
  std::uint8_t qos = 1;
};

struct Scenario {
  // `name`: free text for the report. Default: the file's stem.
  std::string name;
  // Where it came from (file name as given), for messages.
  std::string source;
  Target target;
  Auth auth;
  Fleet fleet;
  Session session;
  Reconnect reconnect;
  // `publish`: a mapping (one stream) or a list of streams, each its own topic, QoS, rate,
  // payload and books; empty = no device publishes. In a group, streams merge with the
  // top-level ones by name (parse_groups.cpp).
  std::vector<Publish> publish;
  Subscribe subscribe;
  // `shadow`: every device of the group uses its Device Shadow; absent = no shadow traffic.
  std::optional<Shadow> shadow;
  // `jobs`: every device of the group runs AWS IoT Jobs executions; absent = none.
  std::optional<Jobs> jobs;
  // `provisioning`: every device of the group first provisions itself by claim (the group's
  // auth is the claim identity), then reconnects with its new certificate; absent = none.
  std::optional<Provisioning> provisioning;
  // `phases`: when absent, one ramp then one steady phase filling run.duration.
  std::vector<Phase> phases;
  Run run;
  std::vector<Threshold> thresholds;
  // Where each scalar was read, by field path ("fleet.client_id", "subscribe.filters.0.filter"),
  // for the checks made after parsing (scenario/checks.hpp) to point at the template.
  std::vector<std::pair<std::string, SourcePosition>> positions;

  // `groups`: the fleet split into groups, in file order, each taking the next contiguous
  // range of fleet indexes. Each item is the group's own scenario: its sections (target,
  // auth, fleet, session, reconnect, publish, subscribe) are the top-level ones with the
  // group's keys deep-merged over them; its thresholds are the group's own; its name, phases
  // and run are the top level's (group_scenarios fills them). Empty when the file has no
  // `groups`: then the whole scenario is one implicit group "default".
  std::vector<Scenario> groups;
  // Only on a group's scenario: the group name (`groups[].name`), the fleet index of its
  // first device and its size (`devices`, or `share` of fleet.devices). fleet.devices stays
  // the whole fleet's; selections (publishers, subscribers) count within the group.
  std::string group;
  std::uint64_t group_first = 0;
  std::uint64_t group_devices = 0;
};

// The name of the implicit group of a scenario without `groups`.
inline constexpr std::string_view kDefaultGroup = "default";

// The groups as they run: one complete scenario per group (shard, phases, run and name
// copied from `s`), in fleet index order. Without `groups`: one, named "default", covering
// the fleet.
std::vector<Scenario> group_scenarios(const Scenario& s);

// The fleet's publish streams by name, in order of first appearance (the groups in order, or
// the scenario itself without groups): a stream's position here is its fleet-wide id, the
// stream byte of its payload headers, the same in every shard. At most kMaxPublishStreams.
std::vector<std::string> stream_names(const Scenario& s);
// The field path of stream `i` of `s.publish` as the file spells it: "publish" (one
// mapping), "publish.<name>" or "publish.<i>" (a list) — for diagnostic_at.
std::string stream_path(const Scenario& s, std::size_t i);

// Template variables of device `index` of `s` (a group's scenario or a scenario without
// groups): index, shard, index_width, group and group_index; client_id left empty.
TemplateVars template_vars(const Scenario& s, std::uint64_t index) noexcept;

// One problem found in the file; `what()` of ScenarioError lists them one per line as
// "file:line:col: path: message".
struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown (e.g. a missing section)
  int column = 0;  // 1-based
  std::string path;     // e.g. "fleet.connect_rate"
  std::string message;  // e.g. expected a rate like 2000/s, got "fast"
  std::string format() const;
};

class ScenarioError : public std::runtime_error {
 public:
  explicit ScenarioError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// The largest scenario file load_scenario reads (docs/cli.md "Scenario errors").
inline constexpr std::uint64_t kMaxScenarioFileBytes = std::uint64_t{16} << 20;  // 16 MiB

// Reads, substitutes ${ENV}, applies `overrides` ("path=value"), validates. Throws
// ScenarioError listing every problem found (a bad file never starts a run). Messages
// never show a secret: values of secret keys (and of unknown keys close to one, e.g.
// "pasword") are masked wherever they would appear. The file must
// be a regular file of at most kMaxScenarioFileBytes holding one YAML document whose
// expansion through aliases stays small (yaml_reader.hpp); anything else is one clear
// error, at once (a FIFO without a writer does not block).
Scenario load_scenario(const std::filesystem::path& file,
                       const std::vector<std::string>& overrides = {});
Scenario parse_scenario(std::string_view yaml_text, std::string_view file_name,
                        const std::vector<std::string>& overrides = {});

// One override as the user wrote it: `assignment` "path=value", `origin` what messages name
// it by ("--set path=value", "--duration 30s"; a secret value in it is masked).
struct Override {
  std::string assignment;
  std::string origin;
};
Scenario load_scenario(const std::filesystem::path& file, std::span<const Override> overrides);
Scenario parse_scenario(std::string_view yaml_text, std::string_view file_name,
                        std::span<const Override> overrides);

// Whether the field at `path` ("auth.password") holds a secret, or is an unknown key close
// enough to a secret key ("auth.pasword", "auth.mqtt_password") to be treated as one.
bool looks_secret(std::string_view path);

// Warnings about the overrides themselves: a secret given on the command line is visible
// to every user of the machine (/proc/PID/cmdline, ps). Values never appear in them.
std::vector<std::string> override_warnings(std::span<const Override> overrides);

// The secret values of a scenario (passwords, keys, PINs, tokens, WebSocket header and query
// values), for masking them wherever else they appear.
std::vector<std::string> secret_values(const Scenario& s);
// `text` with every occurrence of each secret (4 characters or more; shorter ones would
// mask unrelated text) replaced by "***".
std::string mask_secret_values(std::string text, const std::vector<std::string>& secrets);

// True for an AWS IoT Core device data endpoint: <prefix>.iot.<region>.amazonaws.com, also
// -ats, FIPS (iot-fips) and China (.amazonaws.com.cn) endpoints. Limits of AWS IoT Core are
// warned about only for these (a custom domain cannot be told apart).
bool is_aws_iot_endpoint(std::string_view host);

// The resolved scenario (defaults filled) as YAML; secrets as "***" unless mask_secrets is
// false. Parsing the output again yields the same scenario.
std::string to_yaml(const Scenario& s, bool mask_secrets = true);

// Advice that does not stop a run: AWS IoT Core limits (aws doc §8) and suspicious settings.
std::vector<std::string> warnings(const Scenario& s);

// Names for enums as written in YAML.
const char* to_string(AuthMode m) noexcept;
const char* to_string(MetricsFormat f) noexcept;
const char* to_string(CredentialsSource c) noexcept;
const char* to_string(OfflineQueue q) noexcept;
const char* to_string(Jitter j) noexcept;
const char* to_string(SessionBehavior b) noexcept;
const char* to_string(FirstConnectFailure f) noexcept;
const char* to_string(Arrival a) noexcept;
const char* to_string(PhaseType t) noexcept;
const char* to_string(SearchVary v) noexcept;
const char* to_string(ThresholdOp op) noexcept;
const char* to_string(ShadowGet g) noexcept;
const char* to_string(ShadowOnDelta d) noexcept;
const char* to_string(JobsStart s) noexcept;
const char* to_string(ProvisioningCertificate c) noexcept;
const char* to_string(ProvisioningFormat f) noexcept;
const char* to_string(ProvisioningKey k) noexcept;

}  // namespace fleetload::scenario
