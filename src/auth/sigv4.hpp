// AWS SigV4 query presigning of the MQTT-over-WebSocket handshake, as the SDK does (aws doc §3).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fleetload::auth {

// One set of AWS credentials. secret_access_key and session_token are secrets: never log them.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty = none
  // When temporary credentials stop working (credential_process); none = never.
  std::optional<std::chrono::system_clock::time_point> expiration;
};

// Which headers are signed: the current signer signs `Connection: Upgrade` too (aws doc §3).
enum class SignedHeaders { ConnectionHost, HostOnly };

struct PresignRequest {
  std::string host;                      // the endpoint, as sent in Host
  std::string region;                    // e.g. us-east-1
  std::string service = "iotdevicegateway";
  std::string path = "/mqtt";
  SignedHeaders signed_headers = SignedHeaders::ConnectionHost;
  std::chrono::system_clock::time_point when;  // signing time (whole seconds are used)
  // Query parameters the request already has (custom handshake): signed with the rest.
  std::vector<std::pair<std::string, std::string>> extra_query;
};

struct Presigned {
  std::string canonical_request;
  std::string canonical_request_sha256;  // hex
  std::string string_to_sign;
  std::string signature;                 // hex
  std::string query;                     // the final query string, without '?'
  // path + "?" + query: the request target of the GET.
  std::string target;
};

// Signs `req` with `creds`. The session token is not signed (omit_session_token) and goes
// in the query just before X-Amz-Signature (current signer) or after it (HostOnly, older).
Presigned presign_websocket(const AwsCredentials& creds, const PresignRequest& req);

// RFC 3986 encoding as SigV4 wants it: unreserved A-Z a-z 0-9 - _ . ~ kept, the rest %XX.
std::string uri_encode(std::string_view s);
// yyyymmddThhmmssZ (UTC).
std::string amz_date(std::chrono::system_clock::time_point t);

// Primitives (OpenSSL EVP), exposed for tests and the credential code.
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string to_hex(std::string_view bytes);

}  // namespace fleetload::auth
