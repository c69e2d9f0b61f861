// sanitize_server_text: secrets and query values out, printable ASCII only, bounded length.
#include "net/server_text.hpp"

#include <algorithm>

namespace fleetload::net {

namespace {

// Where a short secret counts as standing alone: spaces and the separators of headers,
// queries and lists around it ("1" in "code 1" or "a=1&", not in "HTTP/1.1").
bool separator(char c) noexcept {
  return std::string_view(" \t=&,;:\"'()[]{}<>|").find(c) != std::string_view::npos;
}

int hex(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// Replaces each occurrence of `secret` in `s` by "***" (short secrets only as whole tokens).
void redact(std::string& s, std::string_view secret) {
  if (secret.empty()) return;
  const bool whole_token = secret.size() < 4;
  for (std::size_t at = s.find(secret); at != std::string::npos; at = s.find(secret, at)) {
    const std::size_t end = at + secret.size();
    if (whole_token && ((at > 0 && !separator(s[at - 1])) || (end < s.size() && !separator(s[end])))) {
      at = end;
      continue;
    }
    s.replace(at, secret.size(), "***");
    at += 3;
  }
}

// Every value after "?name=" or "&name=" becomes "***".
void redact_query_values(std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '?' && s[i] != '&') continue;
    std::size_t j = i + 1;
    while (j < s.size() && s[j] != '=' && s[j] != '&' && s[j] != ' ' && s[j] != '?') ++j;
    if (j >= s.size() || s[j] != '=') continue;
    std::size_t v = j + 1;
    std::size_t e = v;
    while (e < s.size() && s[e] != '&' && s[e] != ' ' && s[e] != '"' && s[e] != '\'' && s[e] != '#') ++e;
    if (e > v) s.replace(v, e - v, "***");
    i = v;
  }
}

}  // namespace

void query_values(std::string_view target, std::vector<std::string>& out) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    if (const auto eq = item.find('='); eq != std::string_view::npos) {
      const std::string_view value = item.substr(eq + 1);
      if (!value.empty()) {
        out.emplace_back(value);
        std::string decoded = percent_decode(value);
        if (decoded != value) out.push_back(std::move(decoded));
      }
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

std::string sanitize_server_text(std::string_view text, std::span<const std::string> secrets, std::size_t max_chars) {
  // Longest first: a secret that contains another is removed whole.
  std::vector<std::string_view> sorted(secrets.begin(), secrets.end());
  std::sort(sorted.begin(), sorted.end(), [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  std::string s(text);
  for (const auto secret : sorted) redact(s, secret);
  redact_query_values(s);
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) c = '?';
  }
  if (s.size() > max_chars) {
    s.resize(max_chars >= 3 ? max_chars - 3 : 0);
    s += "...";
  }
  return s;
}

}  // namespace fleetload::net
