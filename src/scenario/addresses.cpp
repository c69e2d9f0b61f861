// Expansion of source_addresses items (single IPs, IPv4 ranges and CIDR blocks) and back.
#include <arpa/inet.h>

#include <cstdint>
#include <string>

#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario::detail {
namespace {

// Enough for ~65k connections each per broker address; more is almost surely a typo.
constexpr std::uint64_t kMaxAddresses = 65536;

std::optional<std::uint32_t> parse_v4(std::string_view s) {
  std::string str(s);
  in_addr a{};
  if (inet_pton(AF_INET, str.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string format_v4(std::uint32_t v) {
  in_addr a{};
  a.s_addr = htonl(v);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

bool is_v6(std::string_view s) {
  std::string str(s);
  in6_addr a{};
  return inet_pton(AF_INET6, str.c_str(), &a) == 1;
}

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Expanded expand_addresses(std::string_view spec_in) {
  const std::string spec = trim(spec_in);
  Expanded out;
  const char* allowed =
      "an IP address, an IPv4 range like 127.0.0.2-127.0.0.20 or an IPv4 block like "
      "10.0.0.0/24";
  if (auto dash = spec.find('-'); dash != std::string::npos) {
    auto first = parse_v4(trim(spec.substr(0, dash)));
    auto last = parse_v4(trim(spec.substr(dash + 1)));
    if (!first || !last) {
      out.error = std::string("expected ") + allowed + ", got \"" + spec + "\"";
    } else if (*last < *first) {
      out.error = "range \"" + spec + "\" ends before it starts";
    } else if (std::uint64_t{*last} - *first + 1 > kMaxAddresses) {
      out.error = "range \"" + spec + "\" holds more than " + std::to_string(kMaxAddresses) +
                  " addresses";
    } else {
      for (std::uint64_t a = *first; a <= *last; ++a) {
        out.addresses.push_back(format_v4(static_cast<std::uint32_t>(a)));
      }
    }
    return out;
  }
  if (auto slash = spec.find('/'); slash != std::string::npos) {
    auto base = parse_v4(spec.substr(0, slash));
    auto bits = parse_uint(spec.substr(slash + 1));
    if (!base || !bits || *bits > 32) {
      out.error = std::string("expected ") + allowed + ", got \"" + spec + "\"";
    } else if (*bits < 16) {
      out.error = "block \"" + spec + "\" holds more than " + std::to_string(kMaxAddresses) +
                  " addresses; use /16 or longer";
    } else {
      const std::uint32_t mask = *bits == 0 ? 0 : ~std::uint32_t{0} << (32 - *bits);
      const std::uint64_t first = *base & mask;
      const std::uint64_t last = first + (~mask);
      // Network and broadcast addresses cannot be bound on a real subnet; skip them for
      // blocks that have hosts in between (/30 and shorter).
      const std::uint64_t lo = *bits <= 30 ? first + 1 : first;
      const std::uint64_t hi = *bits <= 30 ? last - 1 : last;
      for (std::uint64_t a = lo; a <= hi; ++a) {
        out.addresses.push_back(format_v4(static_cast<std::uint32_t>(a)));
      }
    }
    return out;
  }
  if (parse_v4(spec) || is_v6(spec)) {
    out.addresses.push_back(spec);
    return out;
  }
  out.error = std::string("expected ") + allowed + ", got \"" + spec + "\"";
  return out;
}

std::vector<std::string> collapse_addresses(const std::vector<std::string>& addresses) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < addresses.size()) {
    auto first = parse_v4(addresses[i]);
    std::size_t j = i;
    if (first) {
      while (j + 1 < addresses.size()) {
        auto next = parse_v4(addresses[j + 1]);
        if (!next || std::uint64_t{*next} != std::uint64_t{*first} + (j + 1 - i)) break;
        ++j;
      }
    }
    out.push_back(j == i ? addresses[i] : addresses[i] + "-" + addresses[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace fleetload::scenario::detail
