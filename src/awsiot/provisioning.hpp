// Fleet Provisioning MQTT API payloads (CreateKeysAndCertificate, CreateCertificateFromCsr,
// RegisterThing and their errors) in both payload formats of the topics: JSON (Boost.JSON)
// and CBOR (libcbor, RFC 8949), from one model.
//
// Source: AWS IoT developer guide, "Device provisioning MQTT API" (fleet-provision-api.html):
// "This API supports response buffers in CBOR format and JSON, depending on the payload-format
// of the topic". Both formats carry the same maps of text keys and string values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "awsiot/result.hpp"
#include "awsiot/topics.hpp"

namespace fleetload::awsiot {

namespace json = boost::json;

using StringMap = std::vector<std::pair<std::string, std::string>>;  // in wire order

struct CreateKeysAndCertificateResponse {
  std::string certificate_id;
  std::string certificate_pem;
  std::string private_key;  // secret: never logged
  std::string certificate_ownership_token;
  bool operator==(const CreateKeysAndCertificateResponse&) const = default;
};

struct CreateCertificateFromCsrRequest {
  std::string certificate_signing_request;  // PEM
  bool operator==(const CreateCertificateFromCsrRequest&) const = default;
};

struct CreateCertificateFromCsrResponse {
  std::string certificate_ownership_token;
  std::string certificate_id;
  std::string certificate_pem;
  bool operator==(const CreateCertificateFromCsrResponse&) const = default;
};

struct RegisterThingRequest {
  std::string certificate_ownership_token;
  StringMap parameters;  // optional on the wire
  bool operator==(const RegisterThingRequest&) const = default;
};

struct RegisterThingResponse {
  StringMap device_configuration;
  std::string thing_name;
  bool operator==(const RegisterThingResponse&) const = default;
};

// Error payload of the .../rejected topics.
struct ProvisioningError {
  int status_code = 400;
  std::string error_code;
  std::string error_message;
  bool operator==(const ProvisioningError&) const = default;
};

// ---- one value model, two encodings ---------------------------------------------------------
// Encodes `v` in `format`: JSON text, or CBOR (maps, arrays, text strings, integers, floats,
// booleans, null; definite lengths, smallest integer heads).
std::vector<std::uint8_t> encode_value(const json::value& v, PayloadFormat format);
// Decodes `bytes` in `format`. CBOR map keys must be text strings; byte strings, tags,
// undefined and indefinite-length items are refused. The error says what was wrong.
Result<json::value> decode_value(std::span<const std::uint8_t> bytes, PayloadFormat format);

// ---- requests (what the service reads) --------------------------------------------------------
// CreateKeysAndCertificate takes an empty payload ("{}" or an empty CBOR map is accepted too).
Result<bool, ProvisioningError> parse_create_keys_request(std::span<const std::uint8_t> payload, PayloadFormat f);
Result<CreateCertificateFromCsrRequest, ProvisioningError> parse_create_from_csr_request(
    std::span<const std::uint8_t> payload, PayloadFormat f);
Result<RegisterThingRequest, ProvisioningError> parse_register_thing_request(std::span<const std::uint8_t> payload,
                                                                             PayloadFormat f);

// ---- responses (what a device reads) -----------------------------------------------------------
Result<CreateKeysAndCertificateResponse> parse_create_keys_response(std::span<const std::uint8_t> payload,
                                                                    PayloadFormat f);
Result<CreateCertificateFromCsrResponse> parse_create_from_csr_response(std::span<const std::uint8_t> payload,
                                                                        PayloadFormat f);
Result<RegisterThingResponse> parse_register_thing_response(std::span<const std::uint8_t> payload, PayloadFormat f);
Result<ProvisioningError> parse_provisioning_error(std::span<const std::uint8_t> payload, PayloadFormat f);

// ---- encoding ------------------------------------------------------------------------------------
json::object to_json_object(const CreateKeysAndCertificateResponse& r);
json::object to_json_object(const CreateCertificateFromCsrRequest& r);
json::object to_json_object(const CreateCertificateFromCsrResponse& r);
json::object to_json_object(const RegisterThingRequest& r);
json::object to_json_object(const RegisterThingResponse& r);
json::object to_json_object(const ProvisioningError& r);
template <class T>
std::vector<std::uint8_t> encode(const T& r, PayloadFormat f) {
  return encode_value(to_json_object(r), f);
}

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace fleetload::awsiot
