// Internal: reading typed fields of a Boost.JSON object with one reason per wrong field, and
// parsing payload text into a value. Shared by the shadow, jobs and provisioning models.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace fleetload::awsiot::detail {

namespace json = boost::json;

// Parses `text` (must be UTF-8 JSON; Boost.JSON checks UTF-8). nullopt when it is not JSON.
std::optional<json::value> parse_json(std::string_view text);

// An unsigned integer field (a JSON integer >= 0, or a double holding a whole number, as
// JSON from JavaScript clients carries them). Absent: nullopt with ok = true.
struct U64Field {
  std::optional<std::uint64_t> value;
  bool ok = true;
};
U64Field get_u64(const json::object& o, std::string_view key);

struct I64Field {
  std::optional<std::int64_t> value;
  bool ok = true;
};
I64Field get_i64(const json::object& o, std::string_view key);

struct StringField {
  std::optional<std::string> value;
  bool ok = true;
};
StringField get_string(const json::object& o, std::string_view key);

struct BoolField {
  std::optional<bool> value;
  bool ok = true;
};
BoolField get_bool(const json::object& o, std::string_view key);

// Every value of `o` is a string.
bool all_strings(const json::object& o);

}  // namespace fleetload::awsiot::detail
