// Diagnostic for the TLS bench: counts OpenSSL's live heap allocations by source site
// (CRYPTO_malloc passes file:line), to see where idle TLS connections keep their memory.
// Enable with install() before OpenSSL allocates anything; print_top() lists the sites.
#pragma once

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace fleetload::bench::openssl_mem {

struct Site {
  long count = 0;
  long long bytes = 0;
};

// A site is OpenSSL's (__FILE__, __LINE__): the file pointer is a string literal, so the
// pair identifies the site without copying text on every allocation.
using SiteKey = std::pair<const char*, int>;
struct SiteHash {
  std::size_t operator()(const SiteKey& k) const noexcept {
    return std::hash<const void*>()(k.first) ^ (static_cast<std::size_t>(k.second) * 0x9E3779B97F4A7C15ULL);
  }
};

struct State {
  std::mutex m;
  std::unordered_map<void*, std::pair<SiteKey, std::size_t>> live;
  std::unordered_map<SiteKey, Site, SiteHash> sites;
};

inline State& state() {
  static State* s = new State;  // never destroyed: OpenSSL frees at exit
  return *s;
}

inline std::string site_of(const char* file, int line) {
  const char* base = file != nullptr ? std::strrchr(file, '/') : nullptr;
  return std::string(base != nullptr ? base + 1 : (file != nullptr ? file : "?")) + ":" + std::to_string(line);
}

inline void note(void* p, std::size_t n, const char* file, int line) {
  if (p == nullptr) return;
  auto& s = state();
  const SiteKey k{file, line};
  std::lock_guard lock(s.m);
  auto& site = s.sites[k];
  ++site.count;
  site.bytes += static_cast<long long>(n);
  s.live[p] = {k, n};
}

inline void forget(void* p) {
  if (p == nullptr) return;
  auto& s = state();
  std::lock_guard lock(s.m);
  auto it = s.live.find(p);
  if (it == s.live.end()) return;
  auto& site = s.sites[it->second.first];
  --site.count;
  site.bytes -= static_cast<long long>(it->second.second);
  s.live.erase(it);
}

inline void* tracked_malloc(std::size_t n, const char* file, int line) {
  void* p = std::malloc(n);
  note(p, n, file, line);
  return p;
}
inline void* tracked_realloc(void* old, std::size_t n, const char* file, int line) {
  forget(old);
  void* p = std::realloc(old, n);
  note(p, n, file, line);
  return p;
}
inline void tracked_free(void* p, const char*, int) {
  forget(p);
  std::free(p);
}

inline bool install() { return CRYPTO_set_mem_functions(tracked_malloc, tracked_realloc, tracked_free) == 1; }

// The `top` sites by live bytes, divided by `per` (e.g. devices), on stderr.
inline void print_top(std::size_t top, double per) {
  auto& s = state();
  std::vector<std::pair<std::string, Site>> v;
  long long total = 0;
  long count = 0;
  {
    std::lock_guard lock(s.m);
    for (const auto& kv : s.sites) {
      if (kv.second.bytes != 0) v.emplace_back(site_of(kv.first.first, kv.first.second), kv.second);
      total += kv.second.bytes;
      count += kv.second.count;
    }
  }
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.bytes > b.second.bytes; });
  std::fprintf(stderr, "openssl live heap: %lld bytes in %ld blocks (%.0f B, %.1f blocks per device)\n", total,
               count, static_cast<double>(total) / per, static_cast<double>(count) / per);
  for (std::size_t i = 0; i < v.size() && i < top; ++i) {
    std::fprintf(stderr, "  %-32s %10lld B %8ld blocks  %8.1f B/device\n", v[i].first.c_str(), v[i].second.bytes,
                 v[i].second.count, static_cast<double>(v[i].second.bytes) / per);
  }
}

}  // namespace fleetload::bench::openssl_mem
