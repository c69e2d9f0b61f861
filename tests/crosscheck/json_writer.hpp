// A minimal streaming JSON writer for the cross-check tool: objects, arrays, strings,
// numbers, booleans, null. Strings are written byte for byte (the codec only yields valid
// UTF-8), with the escapes JSON requires.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetload::crosscheck {

class JsonWriter {
 public:
  void begin_object() { value_prefix(); out_ += '{'; first_.push_back(true); }
  void end_object() { out_ += '}'; first_.pop_back(); }
  void begin_array() { value_prefix(); out_ += '['; first_.push_back(true); }
  void end_array() { out_ += ']'; first_.pop_back(); }

  // Writes `"name":`; the next value call supplies the value.
  void key(std::string_view name) {
    separator();
    write_string(name);
    out_ += ':';
    after_key_ = true;
  }

  void string(std::string_view s) { value_prefix(); write_string(s); }
  void number(std::uint64_t v) { value_prefix(); out_ += std::to_string(v); }
  void boolean(bool b) { value_prefix(); out_ += b ? "true" : "false"; }
  void null() { value_prefix(); out_ += "null"; }
  // Binary data as lowercase hex, the form the Node side compares.
  void hex(std::span<const std::uint8_t> bytes) {
    value_prefix();
    out_ += '"';
    append_hex(out_, bytes);
    out_ += '"';
  }

  const std::string& str() const noexcept { return out_; }
  void clear() { out_.clear(); first_.clear(); after_key_ = false; }

  static void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    for (std::uint8_t b : bytes) {
      out += digits[b >> 4];
      out += digits[b & 0x0F];
    }
  }

 private:
  // Inside an object the comma came with the key; inside an array it comes with the value.
  void value_prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    separator();
  }
  void separator() {
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
  void write_string(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (u < 0x20 || u == 0x7F) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out_ += buf;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace fleetload::crosscheck
