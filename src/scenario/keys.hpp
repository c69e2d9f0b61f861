// The scenario's key tables: every section's keys, what kind of value each takes and a line
// about it. The parsers read mappings through these tables (detail::MapView refuses any
// other key) and their enumerations from the value lists here; `fleetload schema` writes
// the JSON Schema from the same tables, so the two cannot drift apart.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace fleetload::scenario::keys {

// What a key's value is, as the parser reads it (every scalar is read as text, so YAML
// numbers and booleans count as their text; any scalar may also be a ${ENV} reference).
enum class Kind : std::uint8_t {
  String,       // any text
  Template,     // text with {index} {shard} {client_id} ... placeholders
  Bool,         // true/false (any case), yes/no, on/off
  Uint,         // a whole number in [min, max]
  Duration,     // "250ms", "30s", "5m", "1h30m", "1d", bare number = seconds
  Rate,         // "2000/s", "10/m", "3600/h", bare number = per second
  Size,         // "64", "64B", "1KiB", "1MiB", "1GiB", "1KB", "1MB", "1GB"
  ShareRate,    // "1%/s", "30%/m"
  Selection,    // all | none | a device count | a share "10%"
  Enum,         // one of `values`
  Section,      // a mapping with the keys of `section`
  Endpoint,     // "host:port", "[v6]:port", a broker URL, or a mapping of `section`
  Endpoints,    // a list of Endpoint
  StringOrList, // one text or a list of texts
  StringList,   // a list of texts
  StringMap,    // name: text (templates), in order
  Payload,      // a Size, or a mapping of `section`
  Subscribe,    // a list of filters, or a mapping of `section`
  Filters,      // a list of items: a filter text, or a mapping of `section`
  Phases,       // a list of mappings of `section` (phases, groups)
  Streams,      // a mapping of `section`, or a list of them (publish streams)
  Threshold,    // a limit: "<= 250ms", ">= 99.9%", "0.1%", 0
};

struct Section;

struct Key {
  std::string_view name;
  Kind kind;
  std::string_view doc;                          // one line for people (editors show it)
  std::span<const std::string_view> values = {};  // Enum
  const Section* section = nullptr;              // Section, Endpoint(s), Payload, Subscribe, Filters, Phases
  std::uint64_t min = 0, max = 0;                // Uint
  bool required = false;                         // always required where the mapping appears
};

struct Section {
  std::string_view name;  // "target", "auth.tls", ... (the schema's $defs name)
  std::string_view doc;
  std::span<const Key> keys;
  // The key with this name, or nullptr.
  const Key* find(std::string_view key) const noexcept;
};

// ---- value lists (the order is the enum's: read_enum returns the index) ------------------
inline constexpr std::array<std::string_view, 2> kProtocols{"mqtt311", "mqtt5"};
inline constexpr std::array<std::string_view, 11> kAuthModes{
    "plain_tcp",
    "mtls_from_path",
    "mtls_from_bytes",
    "mtls_with_pkcs11",
    "mtls_with_pkcs12",
    "mtls_with_windows_cert_store_path",
    "websockets_with_default_aws_signing",
    "websockets_with_custom_handshake",
    "direct_with_custom_authorizer",
    "websockets_with_custom_authorizer",
    "new_default_builder",
};
inline constexpr std::array<std::string_view, 5> kCredentialSources{"default", "static", "environment", "profile",
                                                                    "process"};
inline constexpr std::array<std::string_view, 3> kMetricsFormats{"current", "legacy", "off"};
inline constexpr std::array<std::string_view, 3> kSessionBehaviors{"clean", "rejoin_post_success", "rejoin_always"};
inline constexpr std::array<std::string_view, 3> kOfflineQueues{
    "fail_qos0_publish_on_disconnect", "fail_non_qos1_publish_on_disconnect", "fail_all_on_disconnect"};
inline constexpr std::array<std::string_view, 5> kJitters{"none", "full", "decorrelated", "default",
                                                          "decorrelated_textbook"};
inline constexpr std::array<std::string_view, 2> kFirstConnectFailures{"retry", "stop"};
inline constexpr std::array<std::string_view, 2> kArrivals{"uniform", "poisson"};
inline constexpr std::array<std::string_view, 5> kPhaseTypes{"ramp", "steady", "churn", "storm", "search"};
inline constexpr std::array<std::string_view, 3> kSearchVaries{"connect_rate", "publish_rate", "devices"};
inline constexpr std::array<std::string_view, 2> kSearchPer{"fleet", "device"};
inline constexpr std::array<std::string_view, 2> kShadowGets{"never", "on_connect"};
inline constexpr std::array<std::string_view, 2> kShadowOnDeltas{"ignore", "report"};
inline constexpr std::array<std::string_view, 2> kJobsStarts{"on_notify", "on_connect_and_notify"};
inline constexpr std::array<std::string_view, 2> kProvisioningCertificates{"create", "create_from_csr"};
inline constexpr std::array<std::string_view, 2> kProvisioningFormats{"json", "cbor"};
inline constexpr std::array<std::string_view, 2> kProvisioningKeyTypes{"ecdsa-p256", "rsa2048"};

// ---- the sections ------------------------------------------------------------------------
extern const Section kScenario;  // the top level
extern const Section kTarget, kEndpoint;
extern const Section kAuth, kCredentials, kWebsocket, kTls, kSdkMetrics;
extern const Section kFleet, kSession, kWill, kReconnect;
extern const Section kShadow, kShadowUpdate, kJobs;
extern const Section kProvisioning;
extern const Section kPublish, kPayload, kSubscribe, kFilter, kPhase, kSearchAbort, kRun, kThresholds, kGroup;

// Every section, the top level first (for the schema's $defs).
std::span<const Section* const> all_sections();

}  // namespace fleetload::scenario::keys
