// Parsing and formatting of human units (durations, rates, sizes, percentages).
#include "scenario/units.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

namespace fleetload::scenario {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads a leading unsigned decimal number ("12", "1.5", ".5" is refused) and advances `s`.
std::optional<double> take_number(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == 0) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    std::size_t j = i + 1;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j == i + 1) return std::nullopt;  // "1." is a typo more often than a number
    i = j;
  }
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + i, v);
  if (ec != std::errc{} || p != s.data() + i || !std::isfinite(v)) return std::nullopt;
  s.remove_prefix(i);
  return v;
}

// Whole-number check with a tolerance for decimal fractions like 0.1 * 1000.
bool near_integer(double v) { return std::fabs(v - std::round(v)) < 1e-6; }

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  if (auto whole = s; take_number(whole) && whole.empty()) {
    // Bare number: seconds.
    s = trim(text);
    double v = *take_number(s);
    double ms = v * 1000.0;
    if (!near_integer(ms) || ms > 1e15) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
  }
  double total_ms = 0;
  while (!s.empty()) {
    auto v = take_number(s);
    if (!v) return std::nullopt;
    double scale = 0;
    if (s.starts_with("ms")) {
      scale = 1, s.remove_prefix(2);
    } else if (s.starts_with("s")) {
      scale = 1000, s.remove_prefix(1);
    } else if (s.starts_with("m")) {
      scale = 60'000, s.remove_prefix(1);
    } else if (s.starts_with("h")) {
      scale = 3'600'000, s.remove_prefix(1);
    } else if (s.starts_with("d")) {
      scale = 86'400'000, s.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    total_ms += *v * scale;
  }
  if (!near_integer(total_ms) || total_ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

std::optional<double> parse_rate(std::string_view text) {
  std::string_view s = trim(text);
  auto v = take_number(s);
  if (!v) return std::nullopt;
  s = trim(s);
  if (s.empty()) return *v;
  if (s.front() != '/') return std::nullopt;
  s = trim(s.substr(1));
  if (s == "s" || s == "sec" || s == "second") return *v;
  if (s == "m" || s == "min" || s == "minute") return *v / 60.0;
  if (s == "h" || s == "hour") return *v / 3600.0;
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::string_view s = trim(text);
  auto v = take_number(s);
  if (!v) return std::nullopt;
  s = trim(s);
  double scale = 0;
  if (s.empty() || s == "B") scale = 1;
  else if (s == "KiB") scale = 1024.0;
  else if (s == "MiB") scale = 1024.0 * 1024;
  else if (s == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (s == "KB" || s == "kB") scale = 1e3;
  else if (s == "MB") scale = 1e6;
  else if (s == "GB") scale = 1e9;
  else return std::nullopt;
  double bytes = *v * scale;
  if (!near_integer(bytes) || bytes > 1e18) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(bytes));
}

std::optional<double> parse_percent(std::string_view text) {
  std::string_view s = trim(text);
  auto v = take_number(s);
  if (!v || trim(s) != "%") return std::nullopt;
  return *v / 100.0;
}

std::optional<double> parse_ratio(std::string_view text) {
  if (auto p = parse_percent(text)) {
    if (*p > 1.0) return std::nullopt;
    return p;
  }
  std::string_view s = trim(text);
  auto v = take_number(s);
  if (!v || !s.empty() || *v > 1.0) return std::nullopt;
  return v;
}

std::optional<double> parse_share_rate(std::string_view text) {
  std::string_view s = trim(text);
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto share = parse_percent(s.substr(0, slash));
  if (!share || *share > 1.0) return std::nullopt;
  // Reuse the rate parser for the period: "1/s" scaled by the share.
  std::string period = "1";
  period += s.substr(slash);
  auto per = parse_rate(period);
  if (!per) return std::nullopt;
  return *share * *per;
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_number(std::string_view text) {
  std::string_view s = trim(text);
  auto v = take_number(s);
  if (!v || !s.empty()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string s(trim(text));
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  return std::nullopt;
}

std::string format_number(double v) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string out(buf);
  // %g may choose an exponent ("1e+06"); our parsers want plain decimals.
  if (out.find('e') != std::string::npos) {
    std::snprintf(buf, sizeof buf, "%.6f", v);
    out = buf;
    while (out.find('.') != std::string::npos && (out.back() == '0' || out.back() == '.')) {
      bool dot = out.back() == '.';
      out.pop_back();
      if (dot) break;
    }
  }
  return out;
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0 && ms < 60'000) return std::to_string(ms / 1000) + "s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  // Compound, largest unit first: "3m30s500ms".
  std::string out;
  for (auto [unit, name] : {std::pair{3'600'000LL, "h"}, std::pair{60'000LL, "m"},
                            std::pair{1'000LL, "s"}, std::pair{1LL, "ms"}}) {
    if (ms >= unit) {
      out += std::to_string(ms / unit) + name;
      ms %= unit;
    }
  }
  return out;
}

std::string format_rate(double per_second) {
  if (near_integer(per_second) || per_second >= 1.0) return format_number(per_second) + "/s";
  if (near_integer(per_second * 60.0)) return format_number(std::round(per_second * 60.0)) + "/m";
  if (near_integer(per_second * 3600.0)) return format_number(std::round(per_second * 3600.0)) + "/h";
  return format_number(per_second) + "/s";
}

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0 && bytes % (1024ULL * 1024) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes != 0 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes);
}

std::string format_percent(double fraction) {
  double pct = fraction * 100.0;
  // Round away binary noise (0.999 * 100 = 99.89999...) to 10 significant digits.
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", pct);
  return format_number(std::strtod(buf, nullptr)) + "%";
}

}  // namespace fleetload::scenario
