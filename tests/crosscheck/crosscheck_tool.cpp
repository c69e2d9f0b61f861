// mqtt_crosscheck_tool: our codec behind a JSON-lines interface for crosscheck.mjs.
//   decode   --version 4|5                      hex packets on stdin -> decoded JSON per line
//   generate --seed S --count N --version 4|5  random valid packets -> {"hex","packet"} per line
// The comparison logic lives in the Node script; this side only reports what our codec did.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crosscheck/json_writer.hpp"
#include "crosscheck/packet_json.hpp"
#include "crosscheck/random_packet.hpp"
#include "mqtt/codec.hpp"

namespace {

using namespace fleetload;
using namespace fleetload::mqtt;
using crosscheck::JsonWriter;

struct Args {
  std::string mode;
  Version version = Version::V311;
  std::uint64_t seed = 1;
  std::uint64_t count = 100;
  std::size_t max_payload = 20'000;
};

[[noreturn]] void usage() {
  std::cerr << "usage: mqtt_crosscheck_tool decode --version 4|5\n"
               "       mqtt_crosscheck_tool generate --seed S --count N --version 4|5"
               " [--max-payload BYTES]\n";
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  if (argc < 2) usage();
  Args a;
  a.mode = argv[1];
  if (a.mode != "decode" && a.mode != "generate") usage();
  for (int i = 2; i < argc; i += 2) {
    if (i + 1 >= argc) usage();
    std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    const std::uint64_t n = std::strtoull(value, nullptr, 10);
    if (flag == "--version") {
      if (n != 4 && n != 5) usage();
      a.version = static_cast<Version>(n);
    } else if (flag == "--seed") {
      a.seed = n;
    } else if (flag == "--count") {
      a.count = n;
    } else if (flag == "--max-payload") {
      a.max_payload = n;
    } else {
      usage();
    }
  }
  return a;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (s.size() % 2) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

void write_error(JsonWriter& w, std::string_view stage, std::string_view message,
                 const Packet* packet = nullptr) {
  w.begin_object();
  w.key("error");
  w.string(std::string(stage) + ": " + std::string(message));
  if (packet) {
    w.key("packet");
    crosscheck::write_packet(w, *packet);
  }
  w.end_object();
}

// Decodes `bytes` again through StreamDecoder, one byte per append, and says whether it
// yields the same packet: the cross-check then covers the incremental path too.
bool stream_decoder_agrees(const std::vector<std::uint8_t>& bytes, const DecodeOptions& opts,
                           const Packet& expected) {
  StreamDecoder sd(opts);
  Packet out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    sd.append(std::span<const std::uint8_t>(&bytes[i], 1));
    const DecodeResult r = sd.next(out);
    if (r.status == DecodeStatus::Error) return false;
    if (r.status == DecodeStatus::Ok) return i + 1 == bytes.size() && out == expected;
  }
  return false;
}

int run_decode(const Args& args) {
  DecodeOptions opts;
  opts.version = args.version;
  std::string line;
  JsonWriter w;
  Packet packet;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    w.clear();
    auto bytes = from_hex(line);
    if (!bytes) {
      write_error(w, "input", "not hex");
    } else {
      const DecodeResult r = decode(*bytes, opts, packet);
      if (r.status == DecodeStatus::Error) {
        write_error(w, "decode", r.error.message());
      } else if (r.status == DecodeStatus::NeedMore) {
        write_error(w, "decode", "needs more bytes (" + std::to_string(r.needed) + ")");
      } else if (!stream_decoder_agrees(*bytes, opts, packet)) {
        write_error(w, "stream", "StreamDecoder fed byte by byte disagrees with decode()");
      } else {
        w.begin_object();
        w.key("consumed");
        w.number(r.consumed);
        w.key("packet");
        crosscheck::write_packet(w, packet);
        w.end_object();
      }
    }
    std::cout << w.str() << '\n';
  }
  return 0;
}

// Our own decoder must give back exactly what our encoder wrote; checked here so a
// round-trip bug is not mistaken for a disagreement with mqtt-packet.
bool decodes_back(const std::vector<std::uint8_t>& bytes, Version version, const Packet& p) {
  DecodeOptions opts;
  opts.version = version;
  Packet out;
  const DecodeResult r = decode(bytes, opts, out);
  return r.status == DecodeStatus::Ok && r.consumed == bytes.size() && out == p;
}

int run_generate(const Args& args) {
  crosscheck::RandomPacketGenerator gen(args.seed, {.max_payload = args.max_payload});
  const auto types = crosscheck::RandomPacketGenerator::types_for(args.version);
  JsonWriter w;
  std::vector<std::uint8_t> buf;
  int failures = 0;
  for (std::uint64_t i = 0; i < args.count; ++i) {
    const Packet p = gen.make(types[i % types.size()], args.version);
    w.clear();
    const SizeResult size = encoded_size(p, args.version);
    if (size.error) {
      write_error(w, "encoded_size", size.error.message(), &p);
      ++failures;
    } else {
      buf.assign(size.size + 8, 0xEE);
      const EncodeResult e = encode(p, args.version, buf);
      if (e.error || e.written != size.size) {
        write_error(w, "encode",
                    e.error ? e.error.message()
                            : "wrote " + std::to_string(e.written) + " bytes, encoded_size said " +
                                  std::to_string(size.size),
                    &p);
        ++failures;
      } else if (buf.resize(e.written); !decodes_back(buf, args.version, p)) {
        write_error(w, "roundtrip", "our decoder does not give back the packet our encoder wrote",
                    &p);
        ++failures;
      } else {
        w.begin_object();
        w.key("hex");
        w.hex(buf);
        w.key("packet");
        crosscheck::write_packet(w, p);
        w.end_object();
      }
    }
    std::cout << w.str() << '\n';
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const Args args = parse_args(argc, argv);
  return args.mode == "decode" ? run_decode(args) : run_generate(args);
}
