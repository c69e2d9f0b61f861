// The people-facing number formats (see format.hpp for the rules and examples).
#include "metrics/format.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace fleetload::metrics::human {

namespace {

// "1234567" -> "1,234,567" on the integer digits of a plain decimal text ("-1234.5" too).
std::string group_thousands(std::string s) {
  const std::size_t start = (!s.empty() && s[0] == '-') ? 1 : 0;
  std::size_t end = s.find('.');
  if (end == std::string::npos) end = s.size();
  for (std::size_t i = end; i > start + 3; i -= 3) s.insert(i - 3, 1, ',');
  return s;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s(buf);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

// `sig` significant digits, at most `max_decimals` decimals, thousands grouped.
std::string significant(double v, int sig, int max_decimals) {
  if (!std::isfinite(v)) return "-";
  if (v == 0.0) return "0";
  const double a = std::fabs(v);
  const int int_digits = static_cast<int>(std::floor(std::log10(a))) + 1;  // <= 0 below 1
  int decimals = sig - int_digits;
  if (decimals < 0) decimals = 0;
  if (decimals > max_decimals) decimals = max_decimals;
  return group_thousands(fixed(v, decimals));
}

// Picks the unit of a scale (each step `factor` times the previous) so the value shows with
// 3 significant digits below 1000 (or 999.5 before rounding).
template <std::size_t N>
std::string scaled(double v, double factor, const std::array<const char*, N>& units, const char* sep) {
  std::size_t k = 0;
  double x = v;
  while (k + 1 < N && std::fabs(x) >= 999.5) {
    x /= factor;
    ++k;
  }
  return significant(x, 3, 9) + sep + units[k];
}

}  // namespace

std::string count(std::uint64_t n) { return group_thousands(std::to_string(n)); }
std::string count(std::int64_t n) { return group_thousands(std::to_string(n)); }

std::string number(double v, int sig) { return significant(v, sig, 9); }

std::string compact(double v) {
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) < 999.5) return significant(v, 3, 2);
  static constexpr std::array<const char*, 5> kUnits{"", "k", "M", "G", "T"};
  return scaled(v, 1000.0, kUnits, "");
}

std::string rate(double per_s) { return number(per_s) + "/s"; }

std::string duration(double s) {
  if (!std::isfinite(s)) return "-";
  if (s < 0) return "-" + duration(-s);
  if (s == 0) return "0 s";
  if (s < 999.5e-9) return significant(s * 1e9, 3, 1) + " ns";
  if (s < 999.5e-6) return significant(s * 1e6, 3, 2) + " µs";
  if (s < 0.9995) return significant(s * 1e3, 3, 2) + " ms";
  if (s < 59.95) return significant(s, 3, 2) + " s";
  char buf[64];
  const long long total = std::llround(s);
  if (total < 3600) {
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", total / 60, total % 60);
    return buf;
  }
  const long long minutes = std::llround(s / 60.0);
  std::snprintf(buf, sizeof buf, "%s h %02lld min", count(static_cast<std::uint64_t>(minutes / 60)).c_str(),
                minutes % 60);
  return buf;
}

std::string duration_ms(double ms) {
  if (ms == 0) return "0 ms";
  return duration(ms / 1e3);
}

std::string bytes(double b) {
  if (!std::isfinite(b)) return "-";
  if (std::fabs(b) < 999.5) return group_thousands(fixed(std::round(b), 0)) + " B";
  static constexpr std::array<const char*, 6> kUnits{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  return scaled(b, 1024.0, kUnits, " ");
}

std::string bytes_per_s(double b) { return bytes(b) + "/s"; }

std::string percent(double p) {
  if (!std::isfinite(p)) return "-";
  if (p == 0) return "0%";
  if (p < 0) return "-" + percent(-p);
  if (p >= 100) return significant(p, 3, 0) + "%";
  if (p >= 99) {
    // Enough decimals that a figure short of 100 never reads as 100.
    for (int d = 1; d <= 3; ++d) {
      const std::string s = fixed(p, d);
      if (std::stod(s) < 100) return s + "%";
    }
    return ">99.999%";
  }
  if (p < 0.001) return "<0.001%";
  return significant(p, 3, 3) + "%";
}

std::string ratio_percent(double ratio) { return percent(ratio * 100.0); }

std::string signed_percent(double p) {
  if (!std::isfinite(p)) return "-";
  if (p != 0 && std::fabs(p) < 0.001) return "~0%";  // a sign on "<0.001%" reads as noise
  if (p > 0) return "+" + percent(p);
  if (p < 0) return "-" + percent(-p);
  return "0%";
}

std::string in_unit(double v, std::string_view unit) {
  if (unit == "seconds") return duration(v);
  if (unit == "ms") return duration_ms(v);
  if (unit == "ratio") return ratio_percent(v);
  if (unit == "percent") return percent(v);
  if (unit == "bytes") return bytes(v);
  if (unit == "per_s") return rate(v);
  if (unit == "bytes_per_s") return bytes_per_s(v);
  if (unit == "count" && std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15)
    return v < 0 ? count(static_cast<std::int64_t>(v)) : count(static_cast<std::uint64_t>(v));
  return number(v);
}

std::size_t columns(std::string_view utf8) {
  std::size_t n = 0;
  for (const char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace fleetload::metrics::human
