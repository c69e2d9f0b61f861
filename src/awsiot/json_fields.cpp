// Typed field access for the awsiot payload models.
#include "awsiot/json_fields.hpp"

#include <cmath>
#include <limits>

namespace fleetload::awsiot::detail {

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return std::nullopt;
  return v;
}

U64Field get_u64(const json::object& o, std::string_view key) {
  U64Field f;
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return f;
  if (v->is_uint64()) f.value = v->get_uint64();
  else if (v->is_int64() && v->get_int64() >= 0) f.value = static_cast<std::uint64_t>(v->get_int64());
  else if (v->is_double() && v->get_double() >= 0 && std::floor(v->get_double()) == v->get_double() &&
           v->get_double() < 1.8e19)
    f.value = static_cast<std::uint64_t>(v->get_double());
  else f.ok = false;
  return f;
}

I64Field get_i64(const json::object& o, std::string_view key) {
  I64Field f;
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return f;
  if (v->is_int64()) f.value = v->get_int64();
  else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    f.value = static_cast<std::int64_t>(v->get_uint64());
  else if (v->is_double() && std::floor(v->get_double()) == v->get_double() && std::fabs(v->get_double()) < 9.2e18)
    f.value = static_cast<std::int64_t>(v->get_double());
  else f.ok = false;
  return f;
}

StringField get_string(const json::object& o, std::string_view key) {
  StringField f;
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return f;
  if (v->is_string()) f.value = std::string(v->get_string());
  else f.ok = false;
  return f;
}

BoolField get_bool(const json::object& o, std::string_view key) {
  BoolField f;
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return f;
  if (v->is_bool()) f.value = v->get_bool();
  else f.ok = false;
  return f;
}

bool all_strings(const json::object& o) {
  for (const auto& kv : o)
    if (!kv.value().is_string()) return false;
  return true;
}

}  // namespace fleetload::awsiot::detail
