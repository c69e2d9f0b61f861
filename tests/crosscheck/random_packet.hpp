// Random valid MQTT packets of every type for the cross-check and the fuzz seed corpus:
// random topics and filters (incl. multi-byte UTF-8, $share/), payloads (empty, binary,
// multi-kilobyte), flags, packet ids, every MQTT 5 property a packet may carry, will with
// properties, subscription options and reason codes allowed for the packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/packet.hpp"

namespace fleetload::crosscheck {

// splitmix64: tiny, fast, and the same sequence on every platform (std distributions
// are not), so a seed reproduces a failure anywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n > 0); the modulo bias is irrelevant for test data.
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
  // Uniform in [lo, hi].
  std::uint64_t range(std::uint64_t lo, std::uint64_t hi) noexcept {
    return lo + below(hi - lo + 1);
  }
  bool chance(unsigned percent) noexcept { return below(100) < percent; }

 private:
  std::uint64_t state_;
};

struct GeneratorLimits {
  std::size_t max_payload = 20'000;  // largest PUBLISH payload (rarely reached)
};

class RandomPacketGenerator {
 public:
  RandomPacketGenerator(std::uint64_t seed, GeneratorLimits limits = {})
      : rng_(seed), limits_(limits) {}

  // The packet types that exist in `version` (AUTH only in MQTT 5), in type order.
  static std::vector<mqtt::PacketType> types_for(mqtt::Version version);

  // A random valid packet of type `t`. Its views point into storage owned by this
  // generator, valid until the next call.
  mqtt::Packet make(mqtt::PacketType t, mqtt::Version version);

 private:
  std::string_view text(std::size_t max_len);  // valid UTF-8, no U+0000
  std::string_view topic_name();
  std::string_view topic_filter();
  mqtt::Bytes binary(std::size_t max_len);
  std::uint16_t packet_id();
  std::uint32_t u32();
  std::uint16_t u16(std::uint16_t min);
  std::uint32_t subscription_id();
  mqtt::QoS qos();
  void user_properties(mqtt::Properties& p);
  // Random subset of the properties `t` may carry (5.0 §2.2.2.2); will=true gives the
  // Will Properties set (§3.1.3.2).
  mqtt::Properties properties(mqtt::PacketType t, bool will = false);
  std::uint8_t reason_code(mqtt::PacketType t);

  mqtt::Packet make_connect(mqtt::Version version);
  mqtt::Packet make_publish(mqtt::Version version);

  Rng rng_;
  GeneratorLimits limits_;
  std::deque<std::string> strings_;
  std::deque<std::vector<std::uint8_t>> blobs_;
};

}  // namespace fleetload::crosscheck
