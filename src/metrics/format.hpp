// Numbers formatted for people: one set of rules for the summary, the HTML report, the live
// progress line and `report diff`, so a figure reads the same everywhere. Never scientific
// notation, never 17 significant digits, units chosen by magnitude, thousands separated.
// (The JSON report, CSV and NDJSON keep raw numbers: they are for machines.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fleetload::metrics::human {

// Whole numbers with thousands separators: 1234567 -> "1,234,567".
std::string count(std::uint64_t n);
std::string count(std::int64_t n);

// A measured quantity with `sig` significant digits (at least the integer part), trailing
// zeros dropped, thousands separated, never in exponent form: 0.00012345 -> "0.000123",
// 33.333333 -> "33.3", 1234.5 -> "1,235", 2.0 -> "2". NaN/inf -> "-".
std::string number(double v, int sig = 3);

// Short form for tight spaces (the progress line): 999 -> "999", 1234 -> "1.23k",
// 45678 -> "45.7k", 1.2e6 -> "1.2M", up to "T". At most 5 characters for |v| < 1e15.
std::string compact(double v);

// Per second: 33.333 -> "33.3/s", 12000 -> "12,000/s", 0 -> "0/s".
std::string rate(double per_s);

// A duration in seconds, in the unit that reads best: 0.0000008 -> "800 ns", 0.00042 ->
// "420 µs", 0.0123 -> "12.3 ms", 1.5 -> "1.5 s", 125 -> "2 min 05 s", 3720 -> "1 h 02 min".
std::string duration(double seconds);
// The same from milliseconds (the report's latency figures are in ms).
std::string duration_ms(double ms);

// Bytes in binary units: 512 -> "512 B", 1536 -> "1.5 KiB", 3.3e6 -> "3.15 MiB".
std::string bytes(double b);
// Bytes per second: "1.5 MiB/s".
std::string bytes_per_s(double b);

// A percentage (already in percent): 12.345 -> "12.3%", 0.0123 -> "0.012%", 0.0007 ->
// "<0.001%", 0 -> "0%"; just below 100 keeps the digits that tell it from 100: 99.95 ->
// "99.95%", 99.99996 -> ">99.999%".
std::string percent(double pct);
// A ratio shown as a percentage: 0.999 -> "99.9%".
std::string ratio_percent(double ratio);
// A signed change in percent: "+1.23%", "-0.5%", "0%"; below 0.001% either way "~0%".
std::string signed_percent(double pct);

// A figure in one of the units the report model uses (`unit` of a threshold or a diff
// figure): "seconds" -> duration, "ms" -> duration_ms, "ratio" -> ratio_percent, "percent"
// -> percent, "bytes" -> bytes, "per_s" -> rate, "bytes_per_s" -> bytes_per_s, "count" ->
// number (count when whole), anything else -> number.
std::string in_unit(double v, std::string_view unit);

// Display width in terminal columns of UTF-8 text (code points; the formats here use only
// single-width characters such as "µ").
std::size_t columns(std::string_view utf8);

}  // namespace fleetload::metrics::human
