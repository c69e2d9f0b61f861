// String rules of MQTT: UTF-8 Encoded Strings (5.0 §1.5.4), Topic Names and Topic Filters
// (§4.7), shared subscriptions (§4.8.2).
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mqtt/wire.hpp"

namespace fleetload::mqtt {
namespace {

// Validates the non-ASCII sequence starting at s[i] (s[i] >= 0x80); returns its length,
// or 0 when it is ill-formed, overlong or a surrogate (Unicode Table 3-7).
std::size_t utf8_sequence(const unsigned char* s, std::size_t i, std::size_t n) {
  const unsigned char b0 = s[i];
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;        // overlong
    else if (b0 == 0xED) hi = 0x9F;   // U+D800..U+DFFF surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;        // overlong
    else if (b0 == 0xF4) hi = 0x8F;   // above U+10FFFF
  } else {
    return 0;  // continuation byte as lead, C0/C1 overlong leads, F5..FF
  }
  if (n - i < len) return 0;
  if (s[i + 1] < lo || s[i + 1] > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((s[i + k] & 0xC0) != 0x80) return 0;
  return len;
}

// Fast path for the common case, plain ASCII: topics are validated on every PUBLISH
// encoded or decoded. "Plain" = ASCII, not NUL, and (when `wild`) neither '+' nor '#'.
constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;
constexpr std::uint64_t has_zero_byte(std::uint64_t v) { return (v - kOnes) & ~v & kHighs; }
constexpr std::uint64_t has_byte(std::uint64_t v, unsigned char c) { return has_zero_byte(v ^ (kOnes * c)); }

bool plain8(const unsigned char* p, bool wild) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  std::uint64_t bad = (w & kHighs) | has_zero_byte(w);
  if (wild) bad |= has_byte(w, '+') | has_byte(w, '#');
  return bad == 0;
}

#ifdef __SSE2__
bool plain16(const unsigned char* p, bool wild) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i bad = _mm_or_si128(v, _mm_cmpeq_epi8(v, _mm_setzero_si128()));  // high bit: non-ASCII
  if (wild)
    bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('#'))));
  return _mm_movemask_epi8(bad) == 0;
}
#endif

// True when every byte is plain; the last block may overlap the one before it.
bool all_plain(const unsigned char* s, std::size_t n, bool wild) {
#ifdef __SSE2__
  if (n >= 16) {
    for (std::size_t i = 0; i + 16 <= n; i += 16)
      if (!plain16(s + i, wild)) return false;
    return plain16(s + n - 16, wild);
  }
#endif
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8)
      if (!plain8(s + i, wild)) return false;
    return plain8(s + n - 8, wild);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (s[i] == 0 || s[i] >= 0x80 || (wild && (s[i] == '+' || s[i] == '#'))) return false;
  return true;
}

// Scans s: valid UTF-8 without U+0000; when `wild` is true, also no '+' or '#'.
bool scan(std::string_view sv, bool wild) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const std::size_t n = sv.size();
  if (all_plain(s, n, wild)) return true;
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    if (b < 0x80) {
      if (b == 0 || (wild && (b == '+' || b == '#'))) return false;
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence(s, i, n);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept { return scan(s, false); }

bool valid_topic_name(std::string_view topic) noexcept { return !topic.empty() && scan(topic, true); }

bool valid_topic_filter(std::string_view filter) noexcept {
  if (filter.empty() || !valid_utf8(filter)) return false;
  constexpr std::string_view kShare = "$share/";
  if (filter.substr(0, kShare.size()) == kShare) {
    // $share/{ShareName}/{filter}: ShareName non-empty, without '+', '#' (or '/').
    const std::string_view rest = filter.substr(kShare.size());
    const std::size_t slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) return false;
    const std::string_view name = rest.substr(0, slash);
    if (name.find_first_of("+#") != std::string_view::npos) return false;
    filter = rest.substr(slash + 1);
    if (filter.empty()) return false;
  }
  // Each level is either exactly "+", exactly "#" (last level only), or free of both.
  std::size_t level_start = 0;
  for (std::size_t i = 0; i <= filter.size(); ++i) {
    if (i != filter.size() && filter[i] != '/') continue;
    const std::string_view level = filter.substr(level_start, i - level_start);
    if (level == "#") {
      if (i != filter.size()) return false;
    } else if (level != "+" && level.find_first_of("+#") != std::string_view::npos) {
      return false;
    }
    level_start = i + 1;
  }
  return true;
}

namespace detail {

Errc check_topic_name(std::string_view topic, bool allow_empty) noexcept {
  if (topic.empty()) return allow_empty ? kOk : Errc::InvalidTopicName;
  if (scan(topic, true)) return kOk;
  return valid_utf8(topic) ? Errc::InvalidTopicName : Errc::InvalidUtf8;
}

}  // namespace detail
}  // namespace fleetload::mqtt
