// Random valid MQTT packets: every value stays inside what the specification allows, so any
// disagreement with mqtt-packet is a real difference, not a test artefact.
#include "crosscheck/random_packet.hpp"

#include <array>
#include <iterator>

namespace fleetload::crosscheck {

using namespace fleetload::mqtt;

namespace {

// Allowed reason codes per packet (5.0 §2.4 and each packet's section).
constexpr std::array<std::uint8_t, 22> kConnackV5 = {
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
constexpr std::array<std::uint8_t, 9> kPubackPubrec = {0x00, 0x10, 0x80, 0x83, 0x87,
                                                       0x90, 0x91, 0x97, 0x99};
constexpr std::array<std::uint8_t, 2> kPubrelPubcomp = {0x00, 0x92};
constexpr std::array<std::uint8_t, 12> kSubackV5 = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
                                                    0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
constexpr std::array<std::uint8_t, 4> kSubackV311 = {0x00, 0x01, 0x02, 0x80};
constexpr std::array<std::uint8_t, 7> kUnsuback = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
constexpr std::array<std::uint8_t, 29> kDisconnect = {
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
constexpr std::array<std::uint8_t, 3> kAuth = {0x00, 0x18, 0x19};

// Characters for strings: ASCII plus 2-, 3- and 4-byte UTF-8 sequences and U+FEFF, which
// the spec says must not be stripped (§1.5.4).
constexpr std::array<std::string_view, 12> kExotic = {
    "\xC3\xA9", "\xC3\x9F", "\xE2\x82\xAC", "\xE6\xB0\xB4", "\xF0\x9F\x98\x80",
    "\xF0\x9D\x84\x9E", "\xEF\xBB\xBF", "\xEF\xBF\xBD", "\"", "\\", " ", "\xC2\xA0"};
constexpr std::string_view kAlnum =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

template <std::size_t N>
std::uint8_t pick(Rng& rng, const std::array<std::uint8_t, N>& a) {
  return a[rng.below(N)];
}

}  // namespace

std::vector<PacketType> RandomPacketGenerator::types_for(Version version) {
  std::vector<PacketType> out;
  for (int t = 1; t <= 15; ++t) {
    if (t == 15 && version != Version::V5) break;
    out.push_back(static_cast<PacketType>(t));
  }
  return out;
}

std::string_view RandomPacketGenerator::text(std::size_t max_len) {
  std::string s;
  const std::size_t n = rng_.below(max_len + 1);
  while (s.size() < n) {
    if (rng_.chance(12)) {
      s += kExotic[rng_.below(kExotic.size())];
    } else {
      s += kAlnum[rng_.below(kAlnum.size())];
    }
  }
  return strings_.emplace_back(std::move(s));
}

std::string_view RandomPacketGenerator::topic_name() {
  std::string s;
  if (rng_.chance(5)) s += "$SYS/";
  if (rng_.chance(5)) s += '/';
  const std::size_t levels = rng_.range(1, 5);
  for (std::size_t i = 0; i < levels; ++i) {
    if (i) s += '/';
    std::string_view level = text(12);
    for (char c : level) s += (c == '+' || c == '#' || c == '/') ? 'x' : c;
  }
  if (s.empty()) s.push_back('t');  // push_back: gcc 12 -O3 warns falsely (-Wrestrict) on = "t"
  return strings_.emplace_back(std::move(s));
}

std::string_view RandomPacketGenerator::topic_filter() {
  std::string share;
  if (rng_.chance(10)) share = "$share/g" + std::to_string(rng_.below(1000)) + "/";
  std::string s;
  const std::size_t levels = rng_.range(1, 5);
  for (std::size_t i = 0; i < levels; ++i) {
    if (i) s += '/';
    if (i + 1 == levels && rng_.chance(15)) {
      s += '#';
    } else if (rng_.chance(15)) {
      s += '+';
    } else {
      std::string_view level = text(10);
      for (char c : level) s += (c == '+' || c == '#' || c == '/') ? 'x' : c;
    }
  }
  if (s.empty()) s.push_back('f');  // a filter is never empty (§4.7.3)
  return strings_.emplace_back(share + s);
}

Bytes RandomPacketGenerator::binary(std::size_t max_len) {
  std::vector<std::uint8_t> v(rng_.below(max_len + 1));
  for (auto& b : v) b = static_cast<std::uint8_t>(rng_.next());
  const auto& stored = blobs_.emplace_back(std::move(v));
  return Bytes(stored.data(), stored.size());
}

std::uint16_t RandomPacketGenerator::packet_id() {
  static constexpr std::array<std::uint16_t, 5> edges = {1, 127, 128, 256, 65535};
  return rng_.chance(20) ? edges[rng_.below(edges.size())]
                         : static_cast<std::uint16_t>(rng_.range(1, 65535));
}

std::uint32_t RandomPacketGenerator::u32() {
  static constexpr std::array<std::uint32_t, 5> edges = {0, 1, 255, 65536, 0xFFFFFFFFu};
  return rng_.chance(20) ? edges[rng_.below(edges.size())] : static_cast<std::uint32_t>(rng_.next());
}

std::uint16_t RandomPacketGenerator::u16(std::uint16_t min) {
  return rng_.chance(15) ? static_cast<std::uint16_t>(rng_.chance(50) ? min : 65535)
                         : static_cast<std::uint16_t>(rng_.range(min, 65535));
}

std::uint32_t RandomPacketGenerator::subscription_id() {
  // Boundaries of the 1..4 byte Variable Byte Integer forms (§1.5.5).
  static constexpr std::array<std::uint32_t, 7> edges = {1, 127, 128, 16383, 16384,
                                                         2097151, 268435455};
  return rng_.chance(30) ? edges[rng_.below(edges.size())]
                         : static_cast<std::uint32_t>(rng_.range(1, 268435455));
}

QoS RandomPacketGenerator::qos() { return static_cast<QoS>(rng_.below(3)); }

void RandomPacketGenerator::user_properties(Properties& p) {
  const std::size_t n = rng_.range(1, 4);
  for (std::size_t i = 0; i < n; ++i) {
    // Repeat a name now and then: the spec allows it and order must be kept (§3.1.2.11.8).
    std::string_view name = (i > 0 && rng_.chance(25)) ? p.user_properties[0].first : text(8);
    p.user_properties.emplace_back(name, text(16));
  }
}

Properties RandomPacketGenerator::properties(PacketType t, bool will) {
  Properties p;
  if (rng_.chance(25)) return p;  // often none at all
  auto maybe = [this] { return rng_.chance(35); };
  auto bit = [this] { return static_cast<std::uint8_t>(rng_.below(2)); };
  if (will || t == PacketType::Publish) {
    if (maybe()) p.payload_format_indicator = bit();
    if (maybe()) p.message_expiry_interval = u32();
    if (maybe()) p.content_type = text(20);
    if (maybe()) p.response_topic = topic_name();
    if (maybe()) p.correlation_data = binary(24);
  }
  if (will) {
    if (maybe()) p.will_delay_interval = u32();
    if (maybe()) user_properties(p);
    return p;
  }
  const bool connect = t == PacketType::Connect, connack = t == PacketType::Connack;
  if (t == PacketType::Publish) {
    if (maybe()) p.topic_alias = u16(1);
    if (maybe()) {
      const std::size_t n = rng_.range(1, 3);
      for (std::size_t i = 0; i < n; ++i) p.subscription_identifiers.push_back(subscription_id());
    }
  }
  if (t == PacketType::Subscribe && maybe()) p.subscription_identifiers.push_back(subscription_id());
  if ((connect || connack || t == PacketType::Disconnect) && maybe()) p.session_expiry_interval = u32();
  if (connect || connack || t == PacketType::Auth) {
    if (maybe()) {
      p.authentication_method = text(16);
      if (maybe()) p.authentication_data = binary(32);
    }
  }
  if (connect) {
    if (maybe()) p.request_problem_information = bit();
    if (maybe()) p.request_response_information = bit();
  }
  if (connect || connack) {
    if (maybe()) p.receive_maximum = u16(1);
    if (maybe()) p.topic_alias_maximum = u16(0);
    if (maybe()) p.maximum_packet_size = rng_.chance(20) ? 1u : static_cast<std::uint32_t>(rng_.range(1, 0xFFFFFFFFu));
  }
  if (connack) {
    if (maybe()) p.assigned_client_identifier = text(23);
    if (maybe()) p.server_keep_alive = u16(0);
    if (maybe()) p.response_information = text(20);
    if (maybe()) p.maximum_qos = bit();
    if (maybe()) p.retain_available = bit();
    if (maybe()) p.wildcard_subscription_available = bit();
    if (maybe()) p.subscription_identifier_available = bit();
    if (maybe()) p.shared_subscription_available = bit();
  }
  if ((connack || t == PacketType::Disconnect) && maybe()) p.server_reference = text(20);
  const bool has_reason_string = t != PacketType::Connect && t != PacketType::Publish &&
                                 t != PacketType::Subscribe && t != PacketType::Unsubscribe;
  if (has_reason_string && maybe()) p.reason_string = text(30);
  if (maybe()) user_properties(p);
  return p;
}

std::uint8_t RandomPacketGenerator::reason_code(PacketType t) {
  if (rng_.chance(40)) return 0;  // Success is by far the most common on the wire
  switch (t) {
    case PacketType::Connack: return pick(rng_, kConnackV5);
    case PacketType::Puback:
    case PacketType::Pubrec: return pick(rng_, kPubackPubrec);
    case PacketType::Pubrel:
    case PacketType::Pubcomp: return pick(rng_, kPubrelPubcomp);
    case PacketType::Suback: return pick(rng_, kSubackV5);
    case PacketType::Unsuback: return pick(rng_, kUnsuback);
    case PacketType::Disconnect: return pick(rng_, kDisconnect);
    case PacketType::Auth: return pick(rng_, kAuth);
    default: return 0;
  }
}

Packet RandomPacketGenerator::make_connect(Version version) {
  const bool v5 = version == Version::V5;
  Connect c;
  c.version = version;
  c.keep_alive = rng_.chance(20) ? static_cast<std::uint16_t>(rng_.chance(50) ? 0 : 65535)
                                 : static_cast<std::uint16_t>(rng_.below(65536));
  c.client_id = rng_.chance(10) ? std::string_view{} : text(23);
  // 3.1.1 §3.1.3.1: a zero-length ClientId requires CleanSession = 1.
  c.clean_start = (c.client_id.empty() && !v5) ? true : rng_.chance(50);
  if (rng_.chance(40)) {
    Will w;
    w.topic = topic_name();
    w.payload = binary(rng_.chance(10) ? 300 : 40);
    w.qos = qos();
    w.retain = rng_.chance(50);
    if (v5) w.properties = properties(PacketType::Connect, true);
    c.will = w;
  }
  if (rng_.chance(50)) c.username = text(20);
  // 3.1.1 §3.1.2.9: a password needs a user name; MQTT 5 dropped that rule.
  if ((c.username || v5) && rng_.chance(50)) c.password = binary(32);
  if (v5) c.properties = properties(PacketType::Connect);
  return c;
}

Packet RandomPacketGenerator::make_publish(Version version) {
  Publish p;
  p.qos = qos();
  p.retain = rng_.chance(50);
  p.dup = p.qos != QoS::AtMostOnce && rng_.chance(30);  // §3.3.1.1: DUP is 0 for QoS 0
  if (p.qos != QoS::AtMostOnce) p.packet_id = packet_id();
  if (version == Version::V5) p.properties = properties(PacketType::Publish);
  // MQTT 5 §3.3.2.1: a zero-length topic is allowed when a Topic Alias is present.
  p.topic = (p.properties.topic_alias && rng_.chance(50)) ? std::string_view{} : topic_name();
  std::size_t max = rng_.chance(5) ? limits_.max_payload : rng_.chance(20) ? 400 : 64;
  if (max > limits_.max_payload) max = limits_.max_payload;
  p.payload = rng_.chance(10) ? Bytes{} : binary(max);
  return p;
}

Packet RandomPacketGenerator::make(PacketType t, Version version) {
  strings_.clear();
  blobs_.clear();
  const bool v5 = version == Version::V5;
  switch (t) {
    case PacketType::Connect: return make_connect(version);
    case PacketType::Connack: {
      Connack c;
      c.reason_code = v5 ? reason_code(t) : static_cast<std::uint8_t>(rng_.chance(50) ? 0 : rng_.range(1, 5));
      // §3.2.2.1.1 (5.0) / §3.2.2.2 (3.1.1): Session Present is 0 with a failure code.
      c.session_present = c.reason_code == 0 && rng_.chance(50);
      if (v5) c.properties = properties(t);
      return c;
    }
    case PacketType::Publish: return make_publish(version);
    case PacketType::Puback:
    case PacketType::Pubrec:
    case PacketType::Pubrel:
    case PacketType::Pubcomp: {
      PubAck a;
      a.type = t;
      a.packet_id = packet_id();
      if (v5) {
        a.reason_code = reason_code(t);
        if (rng_.chance(50)) a.properties = properties(t);
      }
      return a;
    }
    case PacketType::Subscribe: {
      Subscribe s;
      s.packet_id = packet_id();
      const std::size_t n = rng_.range(1, 5);
      for (std::size_t i = 0; i < n; ++i) {
        Subscription sub;
        sub.filter = topic_filter();
        sub.qos = qos();
        if (v5) {
          // §3.8.3.1: No Local on a shared subscription is a protocol error.
          sub.no_local = !sub.filter.starts_with("$share/") && rng_.chance(50);
          sub.retain_as_published = rng_.chance(50);
          sub.retain_handling = static_cast<RetainHandling>(rng_.below(3));
        }
        s.subscriptions.push_back(sub);
      }
      if (v5) s.properties = properties(t);
      return s;
    }
    case PacketType::Suback: {
      Suback s;
      s.packet_id = packet_id();
      const std::size_t n = rng_.range(1, 6);
      for (std::size_t i = 0; i < n; ++i)
        s.reason_codes.push_back(v5 ? reason_code(t) : pick(rng_, kSubackV311));
      if (v5) s.properties = properties(t);
      return s;
    }
    case PacketType::Unsubscribe: {
      Unsubscribe u;
      u.packet_id = packet_id();
      const std::size_t n = rng_.range(1, 5);
      for (std::size_t i = 0; i < n; ++i) u.filters.push_back(topic_filter());
      if (v5) u.properties = properties(t);
      return u;
    }
    case PacketType::Unsuback: {
      Unsuback u;
      u.packet_id = packet_id();
      if (v5) {
        const std::size_t n = rng_.range(1, 6);
        for (std::size_t i = 0; i < n; ++i) u.reason_codes.push_back(reason_code(t));
        u.properties = properties(t);
      }
      return u;
    }
    case PacketType::Pingreq: return Pingreq{};
    case PacketType::Pingresp: return Pingresp{};
    case PacketType::Disconnect: {
      Disconnect d;
      if (v5) {
        d.reason_code = reason_code(t);
        if (rng_.chance(60)) d.properties = properties(t);
      }
      return d;
    }
    case PacketType::Auth: {
      Auth a;
      a.reason_code = reason_code(t);
      if (rng_.chance(70)) a.properties = properties(t);
      return a;
    }
  }
  return Pingreq{};
}

}  // namespace fleetload::crosscheck
