// Device Shadow documents: the request and response payloads of the shadow topics, encoded
// and decoded with Boost.JSON, and the document rules (merge with null deletes, delta,
// metadata, size and depth) that the service applies.
//
// Sources (AWS IoT developer guide): "Device Shadow service documents"
// (device-shadow-document.html), "Interacting with shadows" (device-shadow-data-flow.html),
// "Device Shadow MQTT topics" (device-shadow-mqtt.html), "Device Shadow error messages"
// (device-shadow-error-messages.html).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "awsiot/result.hpp"

namespace fleetload::awsiot {

namespace json = boost::json;

// Error response document: {"code", "message", "timestamp"?, "clientToken"?}.
struct ShadowError {
  int code = 0;  // HTTP status: 400, 401, 403, 404, 409, 413, 415, 429, 500
  std::string message;
  std::optional<std::uint64_t> timestamp;  // s since the epoch; "not present in all error documents"
  std::optional<std::string> client_token;
  bool operator==(const ShadowError&) const = default;
};

// The messages of "Device Shadow error messages", by code.
namespace shadow_errors {
inline constexpr std::string_view kInvalidJson = "Invalid JSON";
inline constexpr std::string_view kMissingState = "Missing required node: state";
inline constexpr std::string_view kStateNotObject = "State node must be an object";
inline constexpr std::string_view kDesiredNotObject = "Desired node must be an object";
inline constexpr std::string_view kReportedNotObject = "Reported node must be an object";
inline constexpr std::string_view kInvalidVersion = "Invalid version";
inline constexpr std::string_view kInvalidClientToken = "Invalid clientToken";
inline constexpr std::string_view kTooDeep = "JSON contains too many levels of nesting; maximum is 6";
inline constexpr std::string_view kInvalidNode = "State contains an invalid node";
inline constexpr std::string_view kVersionConflict = "Version conflict";
inline constexpr std::string_view kTooLarge = "The payload exceeds the maximum size allowed";
inline constexpr std::string_view kUnsupportedEncoding = "Unsupported documented encoding; supported encoding is UTF-8";
inline constexpr std::string_view kInternal = "Internal service failure";
}  // namespace shadow_errors
// "No shadow exists with name: '<name>'" (404); `name` is the thing name for a classic shadow.
std::string no_shadow_message(std::string_view name);

// One section of a request's state: absent, null (remove the whole section) or an object.
struct ShadowSection {
  enum class Kind : std::uint8_t { Absent, Null, Object };
  Kind kind = Kind::Absent;
  json::object value;  // Object only
  bool operator==(const ShadowSection&) const = default;
};

// Request state document published to .../update.
struct ShadowUpdateRequest {
  bool state_null = false;  // "state": null clears both sections (the shadow itself stays)
  ShadowSection desired;
  ShadowSection reported;
  std::optional<std::string> client_token;
  std::optional<std::uint64_t> version;  // optimistic locking: must equal the current version
  bool operator==(const ShadowUpdateRequest&) const = default;
};

// Payload of .../get and .../delete: empty, or {"clientToken": "..."}.
struct ShadowPlainRequest {
  std::optional<std::string> client_token;
  bool operator==(const ShadowPlainRequest&) const = default;
};

// state / metadata sections of a response; absent sections are nullopt.
struct ShadowState {
  std::optional<json::object> desired;
  std::optional<json::object> reported;
  std::optional<json::object> delta;  // get/accepted only, when desired differs from reported
  bool operator==(const ShadowState&) const = default;
};
struct ShadowMetadata {
  std::optional<json::object> desired;
  std::optional<json::object> reported;
  bool operator==(const ShadowMetadata&) const = default;
};

// /get/accepted (the whole document) and /update/accepted (only the fields of the request).
struct ShadowAccepted {
  ShadowState state;
  ShadowMetadata metadata;
  std::uint64_t version = 0;
  std::uint64_t timestamp = 0;
  std::optional<std::string> client_token;
  bool operator==(const ShadowAccepted&) const = default;
};

// /update/delta: the desired attributes that differ from reported, with their metadata.
struct ShadowDelta {
  json::object state;
  json::object metadata;
  std::uint64_t version = 0;
  std::uint64_t timestamp = 0;
  std::optional<std::string> client_token;
  bool operator==(const ShadowDelta&) const = default;
};

// One side of /update/documents.
struct ShadowSnapshot {
  ShadowState state;  // desired / reported
  ShadowMetadata metadata;
  std::uint64_t version = 0;
  bool operator==(const ShadowSnapshot&) const = default;
};

// /update/documents: the document before and after a successful update. `previous` is
// absent when the update created the shadow.
struct ShadowDocuments {
  std::optional<ShadowSnapshot> previous;
  ShadowSnapshot current;
  std::uint64_t timestamp = 0;
  std::optional<std::string> client_token;
  bool operator==(const ShadowDocuments&) const = default;
};

// /delete/accepted: {"version", "timestamp", "clientToken"?}.
struct ShadowDeleteAccepted {
  std::uint64_t version = 0;
  std::uint64_t timestamp = 0;
  std::optional<std::string> client_token;
  bool operator==(const ShadowDeleteAccepted&) const = default;
};

// ---- decoding requests (what the service reads) ------------------------------------------
// The error is the 400 (or 413) document the service answers with, clientToken included when
// it could be read. `payload` must be UTF-8 JSON; the update's desired/reported nest at most
// kMaxShadowDepth levels and arrays hold no null.
Result<ShadowUpdateRequest, ShadowError> parse_shadow_update(std::string_view payload);
Result<ShadowPlainRequest, ShadowError> parse_shadow_plain(std::string_view payload);

// ---- decoding responses (what a device reads) --------------------------------------------
Result<ShadowAccepted> parse_shadow_accepted(std::string_view payload);
Result<ShadowDelta> parse_shadow_delta(std::string_view payload);
Result<ShadowDocuments> parse_shadow_documents(std::string_view payload);
Result<ShadowDeleteAccepted> parse_shadow_delete_accepted(std::string_view payload);
Result<ShadowError> parse_shadow_error(std::string_view payload);

// ---- encoding (JSON text, fields in the order of the AWS examples) ------------------------
std::string to_json(const ShadowUpdateRequest& r);
std::string to_json(const ShadowPlainRequest& r);  // "" without a client token
std::string to_json(const ShadowAccepted& r);
std::string to_json(const ShadowDelta& r);
std::string to_json(const ShadowDocuments& r);
std::string to_json(const ShadowDeleteAccepted& r);
std::string to_json(const ShadowError& r);

// ---- the document rules --------------------------------------------------------------------
// Merges `update` into `stored` ("Updates affect only the fields specified"): a null value
// deletes its key, an object merges key by key into a stored object, anything else (arrays
// too: "an update to an array replaces the whole array") replaces. `meta` mirrors `stored`
// with {"timestamp": now} at every value written. An object emptied by deletes is removed.
void merge_state(json::object& stored, json::object& meta, const json::object& update, std::uint64_t now);
// Metadata for the fields of `update` as /update/accepted reports them (nulls included as
// {"timestamp": now}).
json::object update_metadata(const json::object& update, std::uint64_t now);
// The delta of "Delta state": every desired field missing from `reported` or different from
// it; nested objects down to the differing leaves; arrays compared whole.
json::object compute_delta(const json::object& desired, const json::object* reported);
// The metadata of the delta's fields, taken from the desired metadata.
json::object delta_metadata(const json::object& delta, const json::object& desired_meta);
// Bytes of {"desired":...,"reported":...} as stored: what kMaxShadowDocumentBytes bounds.
std::size_t state_size(const json::object* desired, const json::object* reported);

}  // namespace fleetload::awsiot
