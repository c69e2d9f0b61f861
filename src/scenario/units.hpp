// Human units in scenario values: durations, rates, sizes, percentages; parse and format.
//
// Parsers return nullopt on anything malformed; the caller owns the error message because
// it knows the field and what is allowed there. Formatters produce text the parsers read
// back to the same value (to_yaml round-trips).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetload::scenario {

// "250ms", "30s", "5m", "1h", "1h30m", "1.5s", bare numbers = seconds. Not negative.
// Resolution is one millisecond; a value that is not a whole number of ms is rejected.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "2000/s", "10/m", "3600/h", "0.5/s"; a bare number is per second. Result per second.
std::optional<double> parse_rate(std::string_view text);
// "64", "64B", "1KiB", "1MiB", "1GiB", "1KB", "1MB", "1GB". Whole bytes only.
std::optional<std::uint64_t> parse_size(std::string_view text);
// "1%", "99.9%" -> 0.01, 0.999. Only with the percent sign.
std::optional<double> parse_percent(std::string_view text);
// A fraction in [0, 1]: "99.9%" or "0.999".
std::optional<double> parse_ratio(std::string_view text);
// A share rate "1%/s", "30%/m" -> share per second.
std::optional<double> parse_share_rate(std::string_view text);
// A plain non-negative decimal integer ("12", no sign, no unit) that fits in uint64.
std::optional<std::uint64_t> parse_uint(std::string_view text);
// A plain non-negative decimal number ("12", "0.5").
std::optional<double> parse_number(std::string_view text);
// YAML 1.2 core booleans: true/false (any case); also yes/no/on/off as YAML 1.1 users write.
std::optional<bool> parse_bool(std::string_view text);

std::string format_duration(std::chrono::milliseconds d);
std::string format_rate(double per_second);
std::string format_size(std::uint64_t bytes);
std::string format_percent(double fraction);
// Shortest decimal text that parses back to the same double.
std::string format_number(double v);

}  // namespace fleetload::scenario
