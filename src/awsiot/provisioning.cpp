// Fleet Provisioning payloads in JSON and CBOR (see provisioning.hpp for the source).
#include "awsiot/provisioning.hpp"

#include <cbor.h>

#include <cstdlib>
#include <memory>

#include "awsiot/json_fields.hpp"

namespace fleetload::awsiot {
namespace {

using detail::get_string;

struct ItemRef {
  cbor_item_t* p = nullptr;
  ItemRef() = default;
  explicit ItemRef(cbor_item_t* i) : p(i) {}
  ItemRef(const ItemRef&) = delete;
  ItemRef& operator=(const ItemRef&) = delete;
  ~ItemRef() {
    if (p != nullptr) cbor_decref(&p);
  }
};

// Smallest unsigned head (RFC 8949 §4.2.1 preferred serialization).
cbor_item_t* build_uint(std::uint64_t v) {
  if (v <= 0xFF) return cbor_build_uint8(static_cast<std::uint8_t>(v));
  if (v <= 0xFFFF) return cbor_build_uint16(static_cast<std::uint16_t>(v));
  if (v <= 0xFFFFFFFFu) return cbor_build_uint32(static_cast<std::uint32_t>(v));
  return cbor_build_uint64(v);
}

// Negative integer -1 - n.
cbor_item_t* build_negint(std::uint64_t n) {
  if (n <= 0xFF) return cbor_build_negint8(static_cast<std::uint8_t>(n));
  if (n <= 0xFFFF) return cbor_build_negint16(static_cast<std::uint16_t>(n));
  if (n <= 0xFFFFFFFFu) return cbor_build_negint32(static_cast<std::uint32_t>(n));
  return cbor_build_negint64(n);
}

// A new item holding `v` (refcount 1), or nullptr when libcbor could not allocate.
cbor_item_t* to_cbor(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return cbor_new_null();
    case json::kind::bool_: return cbor_build_bool(v.get_bool());
    case json::kind::uint64: return build_uint(v.get_uint64());
    case json::kind::int64: {
      const std::int64_t i = v.get_int64();
      return i >= 0 ? build_uint(static_cast<std::uint64_t>(i)) : build_negint(static_cast<std::uint64_t>(-(i + 1)));
    }
    case json::kind::double_: return cbor_build_float8(v.get_double());
    case json::kind::string: {
      const json::string& s = v.get_string();
      return cbor_build_stringn(s.data(), s.size());
    }
    case json::kind::array: {
      const json::array& a = v.get_array();
      ItemRef arr(cbor_new_definite_array(a.size()));
      if (arr.p == nullptr) return nullptr;
      for (const auto& e : a) {
        cbor_item_t* item = to_cbor(e);
        if (item == nullptr || !cbor_array_push(arr.p, cbor_move(item))) return nullptr;
      }
      cbor_item_t* out = arr.p;
      arr.p = nullptr;
      return out;
    }
    case json::kind::object: {
      const json::object& o = v.get_object();
      ItemRef map(cbor_new_definite_map(o.size()));
      if (map.p == nullptr) return nullptr;
      for (const auto& kv : o) {
        cbor_item_t* key = cbor_build_stringn(kv.key().data(), kv.key().size());
        cbor_item_t* val = to_cbor(kv.value());
        if (key == nullptr || val == nullptr) {
          if (key) cbor_decref(&key);
          if (val) cbor_decref(&val);
          return nullptr;
        }
        if (!cbor_map_add(map.p, cbor_pair{cbor_move(key), cbor_move(val)})) return nullptr;
      }
      cbor_item_t* out = map.p;
      map.p = nullptr;
      return out;
    }
  }
  return nullptr;
}

bool from_cbor(const cbor_item_t* item, json::value& out, std::string& why, int depth) {
  if (depth > 32) {
    why = "CBOR nests deeper than 32 levels";
    return false;
  }
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT: out = cbor_get_int(item); return true;
    case CBOR_TYPE_NEGINT: {
      const std::uint64_t n = cbor_get_int(item);
      if (n > static_cast<std::uint64_t>(INT64_MAX)) {
        why = "CBOR negative integer below the int64 range";
        return false;
      }
      out = -static_cast<std::int64_t>(n) - 1;
      return true;
    }
    case CBOR_TYPE_STRING: {
      if (!cbor_string_is_definite(item)) {
        why = "indefinite-length CBOR text string";
        return false;
      }
      const auto* h = reinterpret_cast<const char*>(cbor_string_handle(item));
      out = json::string(h, cbor_string_length(item));
      return true;
    }
    case CBOR_TYPE_ARRAY: {
      if (!cbor_array_is_definite(item)) {
        why = "indefinite-length CBOR array";
        return false;
      }
      json::array a;
      cbor_item_t** h = cbor_array_handle(item);
      for (std::size_t i = 0; i < cbor_array_size(item); ++i) {
        json::value e;
        if (!from_cbor(h[i], e, why, depth + 1)) return false;
        a.push_back(std::move(e));
      }
      out = std::move(a);
      return true;
    }
    case CBOR_TYPE_MAP: {
      if (!cbor_map_is_definite(item)) {
        why = "indefinite-length CBOR map";
        return false;
      }
      json::object o;
      struct cbor_pair* h = cbor_map_handle(item);
      for (std::size_t i = 0; i < cbor_map_size(item); ++i) {
        if (!cbor_isa_string(h[i].key) || !cbor_string_is_definite(h[i].key)) {
          why = "CBOR map key is not a text string";
          return false;
        }
        const auto* k = reinterpret_cast<const char*>(cbor_string_handle(h[i].key));
        json::value e;
        if (!from_cbor(h[i].value, e, why, depth + 1)) return false;
        o[json::string_view(k, cbor_string_length(h[i].key))] = std::move(e);
      }
      out = std::move(o);
      return true;
    }
    case CBOR_TYPE_FLOAT_CTRL:
      // Floats first: libcbor's null/bool checks assert on a float item.
      if (!cbor_float_ctrl_is_ctrl(item)) {
        out = cbor_float_get_float(item);
        return true;
      }
      if (cbor_is_null(item)) {
        out = nullptr;
        return true;
      }
      if (cbor_is_bool(item)) {
        out = cbor_get_bool(item);
        return true;
      }
      why = "CBOR simple value other than null, true or false";
      return false;
    case CBOR_TYPE_BYTESTRING: why = "CBOR byte string where text was expected"; return false;
    case CBOR_TYPE_TAG: why = "tagged CBOR item"; return false;
  }
  why = "unknown CBOR item";
  return false;
}

ProvisioningError invalid(std::string message) { return ProvisioningError{400, "InvalidPayload", std::move(message)}; }

// The request's root map, or the 400 to answer with.
template <class T>
std::optional<json::object> request_root(std::span<const std::uint8_t> payload, PayloadFormat f,
                                         Result<T, ProvisioningError>& out) {
  auto v = decode_value(payload, f);
  if (!v) {
    out = Result<T, ProvisioningError>::fail(invalid("the payload is not valid " + std::string(f == PayloadFormat::Cbor ? "CBOR" : "JSON") + ": " + v.error));
    return std::nullopt;
  }
  if (!v->is_object()) {
    out = Result<T, ProvisioningError>::fail(invalid("the payload is not a map"));
    return std::nullopt;
  }
  return std::move(v->get_object());
}

bool string_map(const json::object& o, std::string_view key, StringMap& out) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return true;
  if (!v->is_object()) return false;
  for (const auto& kv : v->get_object()) {
    if (!kv.value().is_string()) return false;
    out.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
  }
  return true;
}

json::object map_of(const StringMap& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

// Reads required string fields of a response map, in order.
template <class T>
Result<T> response_root(std::span<const std::uint8_t> payload, PayloadFormat f, json::object& o) {
  auto v = decode_value(payload, f);
  if (!v) return Result<T>::fail(v.error);
  if (!v->is_object()) return Result<T>::fail("the payload is not a map");
  o = std::move(v->get_object());
  return Result<T>{};
}

bool need(const json::object& o, std::string_view key, std::string& out, std::string& why) {
  auto s = get_string(o, key);
  if (!s.ok || !s.value) {
    why = std::string(key) + " is missing or not a string";
    return false;
  }
  out = std::move(*s.value);
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_value(const json::value& v, PayloadFormat format) {
  if (format == PayloadFormat::Json) {
    const std::string s = json::serialize(v);
    return {s.begin(), s.end()};
  }
  ItemRef item(to_cbor(v));
  if (item.p == nullptr) throw std::bad_alloc();
  unsigned char* buf = nullptr;
  std::size_t cap = 0;
  const std::size_t n = cbor_serialize_alloc(item.p, &buf, &cap);
  std::unique_ptr<unsigned char, decltype(&std::free)> hold(buf, &std::free);
  if (n == 0) throw std::bad_alloc();
  return {buf, buf + n};
}

Result<json::value> decode_value(std::span<const std::uint8_t> bytes, PayloadFormat format) {
  if (format == PayloadFormat::Json) {
    auto v = detail::parse_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (!v) return Result<json::value>::fail("not valid UTF-8 JSON");
    return Result<json::value>::ok(std::move(*v));
  }
  if (bytes.empty()) return Result<json::value>::fail("empty CBOR payload");
  cbor_load_result res{};
  ItemRef item(cbor_load(bytes.data(), bytes.size(), &res));
  if (item.p == nullptr || res.error.code != CBOR_ERR_NONE) {
    return Result<json::value>::fail("malformed CBOR at byte " + std::to_string(res.error.position));
  }
  if (res.read != bytes.size()) return Result<json::value>::fail("bytes after the CBOR item");
  json::value out;
  std::string why;
  if (!from_cbor(item.p, out, why, 0)) return Result<json::value>::fail(why);
  return Result<json::value>::ok(std::move(out));
}

Result<bool, ProvisioningError> parse_create_keys_request(std::span<const std::uint8_t> payload, PayloadFormat f) {
  using R = Result<bool, ProvisioningError>;
  // "Publish a message on $aws/certificates/create/payload-format with an empty message payload".
  if (payload.empty()) return R::ok(true);
  R out;
  if (!request_root(payload, f, out)) return out;
  return R::ok(true);
}

Result<CreateCertificateFromCsrRequest, ProvisioningError> parse_create_from_csr_request(
    std::span<const std::uint8_t> payload, PayloadFormat f) {
  using R = Result<CreateCertificateFromCsrRequest, ProvisioningError>;
  R out;
  auto o = request_root(payload, f, out);
  if (!o) return out;
  auto csr = get_string(*o, "certificateSigningRequest");
  if (!csr.ok || !csr.value || csr.value->empty()) return R::fail(invalid("certificateSigningRequest is missing or not a string"));
  return R::ok(CreateCertificateFromCsrRequest{std::move(*csr.value)});
}

Result<RegisterThingRequest, ProvisioningError> parse_register_thing_request(std::span<const std::uint8_t> payload,
                                                                             PayloadFormat f) {
  using R = Result<RegisterThingRequest, ProvisioningError>;
  R out;
  auto o = request_root(payload, f, out);
  if (!o) return out;
  RegisterThingRequest r;
  auto tok = get_string(*o, "certificateOwnershipToken");
  if (!tok.ok || !tok.value || tok.value->empty()) {
    return R::fail(invalid("certificateOwnershipToken is missing or not a string"));
  }
  r.certificate_ownership_token = std::move(*tok.value);
  if (!string_map(*o, "parameters", r.parameters)) return R::fail(invalid("parameters must map names to strings"));
  return R::ok(std::move(r));
}

Result<CreateKeysAndCertificateResponse> parse_create_keys_response(std::span<const std::uint8_t> payload,
                                                                    PayloadFormat f) {
  using R = Result<CreateKeysAndCertificateResponse>;
  json::object o;
  if (auto e = response_root<CreateKeysAndCertificateResponse>(payload, f, o); !e.error.empty()) return e;
  CreateKeysAndCertificateResponse r;
  std::string why;
  if (!need(o, "certificateId", r.certificate_id, why) || !need(o, "certificatePem", r.certificate_pem, why) ||
      !need(o, "privateKey", r.private_key, why) ||
      !need(o, "certificateOwnershipToken", r.certificate_ownership_token, why))
    return R::fail(why);
  return R::ok(std::move(r));
}

Result<CreateCertificateFromCsrResponse> parse_create_from_csr_response(std::span<const std::uint8_t> payload,
                                                                        PayloadFormat f) {
  using R = Result<CreateCertificateFromCsrResponse>;
  json::object o;
  if (auto e = response_root<CreateCertificateFromCsrResponse>(payload, f, o); !e.error.empty()) return e;
  CreateCertificateFromCsrResponse r;
  std::string why;
  if (!need(o, "certificateOwnershipToken", r.certificate_ownership_token, why) ||
      !need(o, "certificateId", r.certificate_id, why) || !need(o, "certificatePem", r.certificate_pem, why))
    return R::fail(why);
  return R::ok(std::move(r));
}

Result<RegisterThingResponse> parse_register_thing_response(std::span<const std::uint8_t> payload, PayloadFormat f) {
  using R = Result<RegisterThingResponse>;
  json::object o;
  if (auto e = response_root<RegisterThingResponse>(payload, f, o); !e.error.empty()) return e;
  RegisterThingResponse r;
  std::string why;
  if (!string_map(o, "deviceConfiguration", r.device_configuration)) return R::fail("deviceConfiguration must map names to strings");
  if (!need(o, "thingName", r.thing_name, why)) return R::fail(why);
  return R::ok(std::move(r));
}

Result<ProvisioningError> parse_provisioning_error(std::span<const std::uint8_t> payload, PayloadFormat f) {
  using R = Result<ProvisioningError>;
  json::object o;
  if (auto e = response_root<ProvisioningError>(payload, f, o); !e.error.empty()) return e;
  ProvisioningError r;
  auto code = detail::get_u64(o, "statusCode");
  if (!code.ok || !code.value || *code.value < 100 || *code.value > 599) return R::fail("statusCode is not an HTTP status");
  r.status_code = static_cast<int>(*code.value);
  std::string why;
  if (!need(o, "errorCode", r.error_code, why) || !need(o, "errorMessage", r.error_message, why)) return R::fail(why);
  return R::ok(std::move(r));
}

json::object to_json_object(const CreateKeysAndCertificateResponse& r) {
  return json::object{{"certificateId", r.certificate_id},
                      {"certificatePem", r.certificate_pem},
                      {"privateKey", r.private_key},
                      {"certificateOwnershipToken", r.certificate_ownership_token}};
}

json::object to_json_object(const CreateCertificateFromCsrRequest& r) {
  return json::object{{"certificateSigningRequest", r.certificate_signing_request}};
}

json::object to_json_object(const CreateCertificateFromCsrResponse& r) {
  return json::object{{"certificateOwnershipToken", r.certificate_ownership_token},
                      {"certificateId", r.certificate_id},
                      {"certificatePem", r.certificate_pem}};
}

json::object to_json_object(const RegisterThingRequest& r) {
  json::object o{{"certificateOwnershipToken", r.certificate_ownership_token}};
  if (!r.parameters.empty()) o["parameters"] = map_of(r.parameters);
  return o;
}

json::object to_json_object(const RegisterThingResponse& r) {
  return json::object{{"deviceConfiguration", map_of(r.device_configuration)}, {"thingName", r.thing_name}};
}

json::object to_json_object(const ProvisioningError& r) {
  return json::object{{"statusCode", r.status_code}, {"errorCode", r.error_code}, {"errorMessage", r.error_message}};
}

}  // namespace fleetload::awsiot
