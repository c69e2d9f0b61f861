// Shared helpers for the MQTT codec tests: byte literals, exact-size heap copies (so ASan
// catches any read past the input), decode/encode shorthands.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/codec.hpp"

namespace fleetload::mqtt::test {

using ByteVec = std::vector<std::uint8_t>;

inline ByteVec bytes(std::initializer_list<int> list) {
  ByteVec out;
  for (int b : list) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

inline ByteVec cat(std::initializer_list<ByteVec> parts) {
  ByteVec out;
  for (const ByteVec& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Bytes of a string literal (no terminator).
inline ByteVec str(std::string_view s) { return ByteVec(s.begin(), s.end()); }

// A 2-byte length prefix then the bytes (UTF-8 string or binary data on the wire).
inline ByteVec lp(std::string_view s) {
  ByteVec out{static_cast<std::uint8_t>(s.size() >> 8), static_cast<std::uint8_t>(s.size())};
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

// Fixed header + body with a single- or multi-byte Remaining Length computed here.
inline ByteVec packet(std::uint8_t first, const ByteVec& body) {
  ByteVec out{first};
  std::size_t n = body.size();
  do {
    std::uint8_t b = n & 0x7F;
    n >>= 7;
    if (n) b |= 0x80;
    out.push_back(b);
  } while (n);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

inline Bytes as_bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// A heap copy of exactly `v.size()` bytes: reading one byte past it is an ASan error.
struct HeapCopy {
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t size = 0;
  explicit HeapCopy(const ByteVec& v) : data(new std::uint8_t[v.size() ? v.size() : 1]), size(v.size()) {
    if (size) std::memcpy(data.get(), v.data(), size);
  }
  std::span<const std::uint8_t> span() const { return {data.get(), size}; }
};

inline DecodeOptions opts(Version v, std::size_t max = kMaxPacketSize) {
  DecodeOptions o;
  o.version = v;
  o.max_packet_size = max;
  return o;
}

// Decodes from an exact-size heap copy; the copy is kept alive in `keep` for the views.
inline DecodeResult decode_exact(const ByteVec& in, Version v, Packet& out,
                                 std::unique_ptr<HeapCopy>& keep) {
  keep = std::make_unique<HeapCopy>(in);
  return decode(keep->span(), opts(v), out);
}

// The error a decode of `in` gives (a default error_code when it decodes or needs more).
inline std::error_code decode_error(const ByteVec& in, Version v) {
  HeapCopy copy(in);
  Packet out;
  DecodeResult r = decode(copy.span(), opts(v), out);
  return r.status == DecodeStatus::Error ? r.error : std::error_code{};
}

inline std::error_code encode_error(const Packet& p, Version v) { return encoded_size(p, v).error; }

// Makes a Connect of the given version with a client id (the common start of tests).
inline Connect make_connect(Version v, std::string_view client_id = "dev") {
  Connect c;
  c.version = v;
  c.client_id = client_id;
  return c;
}

inline std::string hex(const ByteVec& v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : v) {
    s += digits[b >> 4];
    s += digits[b & 15];
    s += ' ';
  }
  return s;
}

}  // namespace fleetload::mqtt::test
