// MQTT 5 properties against the table of 5.0 §2.2.2.2, transcribed here independently of
// the codec: each property in each packet (and in Will Properties) is accepted or rejected
// on both encode and decode, duplicates are rejected where the spec says so.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "mqtt_test_util.hpp"

namespace fleetload::mqtt::test {
namespace {

// Contexts a property can appear in: the packet types, plus the Will Properties.
enum class Ctx {
  Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe, Suback, Unsubscribe,
  Unsuback, Disconnect, Auth, Will,
};
const Ctx kAllCtx[] = {Ctx::Connect, Ctx::Connack, Ctx::Publish, Ctx::Puback, Ctx::Pubrec,
                       Ctx::Pubrel, Ctx::Pubcomp, Ctx::Subscribe, Ctx::Suback, Ctx::Unsubscribe,
                       Ctx::Unsuback, Ctx::Disconnect, Ctx::Auth, Ctx::Will};
const char* ctx_name(Ctx c) {
  static const char* names[] = {"connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp",
                                "subscribe", "suback", "unsubscribe", "unsuback", "disconnect", "auth", "will"};
  return names[static_cast<int>(c)];
}

enum class W { Byte, U16, U32, Vbi, Str, Bin, Pair };

struct PropSpec {
  std::uint8_t id;
  W wire;
  std::set<Ctx> allowed;
};

// 5.0 §2.2.2.2, row by row.
const std::vector<PropSpec>& spec_table() {
  using C = Ctx;
  static const std::vector<PropSpec> t = {
      {0x01, W::Byte, {C::Publish, C::Will}},
      {0x02, W::U32, {C::Publish, C::Will}},
      {0x03, W::Str, {C::Publish, C::Will}},
      {0x08, W::Str, {C::Publish, C::Will}},
      {0x09, W::Bin, {C::Publish, C::Will}},
      {0x0B, W::Vbi, {C::Publish, C::Subscribe}},
      {0x11, W::U32, {C::Connect, C::Connack, C::Disconnect}},
      {0x12, W::Str, {C::Connack}},
      {0x13, W::U16, {C::Connack}},
      {0x15, W::Str, {C::Connect, C::Connack, C::Auth}},
      {0x16, W::Bin, {C::Connect, C::Connack, C::Auth}},
      {0x17, W::Byte, {C::Connect}},
      {0x18, W::U32, {C::Will}},
      {0x19, W::Byte, {C::Connect}},
      {0x1A, W::Str, {C::Connack}},
      {0x1C, W::Str, {C::Connack, C::Disconnect}},
      {0x1F, W::Str, {C::Connack, C::Puback, C::Pubrec, C::Pubrel, C::Pubcomp, C::Suback, C::Unsuback,
                      C::Disconnect, C::Auth}},
      {0x21, W::U16, {C::Connect, C::Connack}},
      {0x22, W::U16, {C::Connect, C::Connack}},
      {0x23, W::U16, {C::Publish}},
      {0x24, W::Byte, {C::Connack}},
      {0x25, W::Byte, {C::Connack}},
      {0x26, W::Pair, {C::Connect, C::Connack, C::Publish, C::Will, C::Puback, C::Pubrec, C::Pubrel,
                       C::Pubcomp, C::Subscribe, C::Suback, C::Unsubscribe, C::Unsuback, C::Disconnect,
                       C::Auth}},
      {0x27, W::U32, {C::Connect, C::Connack}},
      {0x28, W::Byte, {C::Connack}},
      {0x29, W::Byte, {C::Connack}},
      {0x2A, W::Byte, {C::Connack}},
  };
  return t;
}

constexpr std::uint8_t kSeven[] = {7};

// The property on the wire with a valid value (1, "a", {7}, ("k","v")).
ByteVec prop_bytes(const PropSpec& p) {
  switch (p.wire) {
    case W::Byte: return bytes({p.id, 1});
    case W::U16: return bytes({p.id, 0, 1});
    case W::U32: return bytes({p.id, 0, 0, 0, 1});
    case W::Vbi: return bytes({p.id, 1});
    case W::Str: return bytes({p.id, 0, 1, 'a'});
    case W::Bin: return bytes({p.id, 0, 1, 7});
    case W::Pair: return bytes({p.id, 0, 1, 'k', 0, 1, 'v'});
  }
  return {};
}

// The same property set in a Properties value.
void set_prop(Properties& p, std::uint8_t id) {
  switch (id) {
    case 0x01: p.payload_format_indicator = 1; break;
    case 0x02: p.message_expiry_interval = 1; break;
    case 0x03: p.content_type = "a"; break;
    case 0x08: p.response_topic = "a"; break;
    case 0x09: p.correlation_data = Bytes(kSeven); break;
    case 0x0B: p.subscription_identifiers.push_back(1); break;
    case 0x11: p.session_expiry_interval = 1; break;
    case 0x12: p.assigned_client_identifier = "a"; break;
    case 0x13: p.server_keep_alive = 1; break;
    case 0x15: p.authentication_method = "a"; break;
    case 0x16: p.authentication_data = Bytes(kSeven); break;
    case 0x17: p.request_problem_information = 1; break;
    case 0x18: p.will_delay_interval = 1; break;
    case 0x19: p.request_response_information = 1; break;
    case 0x1A: p.response_information = "a"; break;
    case 0x1C: p.server_reference = "a"; break;
    case 0x1F: p.reason_string = "a"; break;
    case 0x21: p.receive_maximum = 1; break;
    case 0x22: p.topic_alias_maximum = 1; break;
    case 0x23: p.topic_alias = 1; break;
    case 0x24: p.maximum_qos = 1; break;
    case 0x25: p.retain_available = 1; break;
    case 0x26: p.user_properties.emplace_back("k", "v"); break;
    case 0x27: p.maximum_packet_size = 1; break;
    case 0x28: p.wildcard_subscription_available = 1; break;
    case 0x29: p.subscription_identifier_available = 1; break;
    case 0x2A: p.shared_subscription_available = 1; break;
    default: ADD_FAILURE() << "no property " << int(id);
  }
}

// A valid MQTT 5 packet of context `c` carrying `props` on the wire.
ByteVec carrier(Ctx c, const ByteVec& props) {
  const ByteVec pl = cat({bytes({static_cast<int>(props.size())}), props});
  const ByteVec id = bytes({0, 1});
  switch (c) {
    case Ctx::Connect: return packet(0x10, cat({lp("MQTT"), bytes({5, 0x02, 0, 0}), pl, lp("c")}));
    case Ctx::Will: return packet(0x10, cat({lp("MQTT"), bytes({5, 0x06, 0, 0, 0}), lp("c"), pl, lp("w"), lp("p")}));
    case Ctx::Connack: return packet(0x20, cat({bytes({0, 0}), pl}));
    case Ctx::Publish: return packet(0x30, cat({lp("t"), pl}));
    case Ctx::Puback: return packet(0x40, cat({id, bytes({0}), pl}));
    case Ctx::Pubrec: return packet(0x50, cat({id, bytes({0}), pl}));
    case Ctx::Pubrel: return packet(0x62, cat({id, bytes({0}), pl}));
    case Ctx::Pubcomp: return packet(0x70, cat({id, bytes({0}), pl}));
    case Ctx::Subscribe: return packet(0x82, cat({id, pl, lp("a"), bytes({0})}));
    case Ctx::Suback: return packet(0x90, cat({id, pl, bytes({0})}));
    case Ctx::Unsubscribe: return packet(0xA2, cat({id, pl, lp("a")}));
    case Ctx::Unsuback: return packet(0xB0, cat({id, pl, bytes({0})}));
    case Ctx::Disconnect: return packet(0xE0, cat({bytes({0}), pl}));
    case Ctx::Auth: return packet(0xF0, cat({bytes({0}), pl}));
  }
  return {};
}

// The same packet as a value, with `props` in the right place.
Packet carrier_value(Ctx c, const Properties& props, Version v = Version::V5) {
  switch (c) {
    case Ctx::Connect: {
      Connect k = make_connect(v, "c");
      k.properties = props;
      return k;
    }
    case Ctx::Will: {
      Connect k = make_connect(v, "c");
      k.will = Will{"w", as_bytes("p"), QoS::AtMostOnce, false, props};
      return k;
    }
    case Ctx::Connack: return Connack{false, 0, props};
    case Ctx::Publish: {
      Publish p;
      p.topic = "t";
      p.properties = props;
      return p;
    }
    case Ctx::Puback: return PubAck{PacketType::Puback, 1, 0, props};
    case Ctx::Pubrec: return PubAck{PacketType::Pubrec, 1, 0, props};
    case Ctx::Pubrel: return PubAck{PacketType::Pubrel, 1, 0, props};
    case Ctx::Pubcomp: return PubAck{PacketType::Pubcomp, 1, 0, props};
    case Ctx::Subscribe: return Subscribe{1, {{"a"}}, props};
    case Ctx::Suback: return Suback{1, {0}, props};
    case Ctx::Unsubscribe: return Unsubscribe{1, {"a"}, props};
    case Ctx::Unsuback: return Unsuback{1, v == Version::V5 ? std::vector<std::uint8_t>{0} : std::vector<std::uint8_t>{}, props};
    case Ctx::Disconnect: return Disconnect{0, props};
    case Ctx::Auth: return Auth{0, props};
  }
  return Pingreq{};
}

// CONNECT with Authentication Data but no Method is its own error (§3.1.2.11.10).
std::error_code expected_single(const PropSpec& p, Ctx c) {
  if (!p.allowed.count(c)) return Errc::PropertyNotAllowed;
  if (c == Ctx::Connect && p.id == 0x16) return Errc::InvalidPropertyValue;
  return {};
}

TEST(mqtt_property_table, EachPropertyInEachPacketDecodesOrIsRejected) {
  for (const PropSpec& p : spec_table()) {
    for (Ctx c : kAllCtx) {
      const ByteVec wire = carrier(c, prop_bytes(p));
      HeapCopy copy(wire);
      Packet out;
      DecodeResult r = decode(copy.span(), opts(Version::V5), out);
      const std::error_code want = expected_single(p, c);
      EXPECT_EQ(r.error, want) << "property 0x" << std::hex << int(p.id) << " in " << ctx_name(c);
      if (!want) {
        EXPECT_EQ(r.status, DecodeStatus::Ok);
        Properties expected;
        set_prop(expected, p.id);
        EXPECT_TRUE(out == carrier_value(c, expected)) << "property 0x" << std::hex << int(p.id) << " in " << ctx_name(c);
      }
    }
  }
}

TEST(mqtt_property_table, EachPropertyInEachPacketEncodesOrIsRejected) {
  for (const PropSpec& p : spec_table()) {
    for (Ctx c : kAllCtx) {
      Properties props;
      set_prop(props, p.id);
      const Packet pkt = carrier_value(c, props);
      const std::error_code want = expected_single(p, c);
      EXPECT_EQ(encoded_size(pkt, Version::V5).error, want)
          << "property 0x" << std::hex << int(p.id) << " in " << ctx_name(c);
      if (!want) {
        // The encoder writes exactly the bytes the carrier assembles by hand.
        EXPECT_EQ(hex(encode_to_vector(pkt, Version::V5)), hex(carrier(c, prop_bytes(p))))
            << "property 0x" << std::hex << int(p.id) << " in " << ctx_name(c);
      }
    }
  }
}

TEST(mqtt_property_table, Mqtt311PacketsCarryNoProperties) {
  for (const PropSpec& p : spec_table()) {
    for (Ctx c : kAllCtx) {
      if (c == Ctx::Auth) continue;  // AUTH does not exist in 3.1.1
      Properties props;
      set_prop(props, p.id);
      EXPECT_EQ(encoded_size(carrier_value(c, props, Version::V311), Version::V311).error,
                Errc::PropertyNotAllowed)
          << "property 0x" << std::hex << int(p.id) << " in " << ctx_name(c);
    }
  }
}

TEST(mqtt_property_table, DuplicatesRejectedExceptUserPropertyAndPublishSubscriptionIds) {
  for (const PropSpec& p : spec_table()) {
    for (Ctx c : p.allowed) {
      const ByteVec one = prop_bytes(p);
      ByteVec two = cat({one, one});
      if (c == Ctx::Connect && p.id == 0x16) two = cat({two, bytes({0x15, 0, 1, 'a'})});
      HeapCopy copy(carrier(c, two));
      Packet out;
      DecodeResult r = decode(copy.span(), opts(Version::V5), out);
      const bool may_repeat = p.id == 0x26 || (p.id == 0x0B && c == Ctx::Publish);
      EXPECT_EQ(r.error, may_repeat ? std::error_code{} : make_error_code(Errc::DuplicateProperty))
          << "property 0x" << std::hex << int(p.id) << " twice in " << ctx_name(c);
    }
  }
}

TEST(mqtt_property_table, SeveralSubscriptionIdsEncodeOnlyInPublish) {
  Properties props;
  props.subscription_identifiers = {1, 268'435'455};
  EXPECT_FALSE(encode_error(carrier_value(Ctx::Publish, props), Version::V5));
  EXPECT_EQ(encode_error(carrier_value(Ctx::Subscribe, props), Version::V5), Errc::DuplicateProperty);
  EXPECT_EQ(encode_error(carrier_value(Ctx::Suback, props), Version::V5), Errc::PropertyNotAllowed);
}

TEST(mqtt_property_values, EncoderChecksValueRules) {
  struct Case {
    const char* name;
    Ctx ctx;
    void (*set)(Properties&);
    Errc want;
  };
  const Case cases[] = {
      {"receive_maximum_0", Ctx::Connect, [](Properties& p) { p.receive_maximum = 0; }, Errc::InvalidPropertyValue},
      {"maximum_packet_size_0", Ctx::Connack, [](Properties& p) { p.maximum_packet_size = 0; },
       Errc::InvalidPropertyValue},
      {"topic_alias_0", Ctx::Publish, [](Properties& p) { p.topic_alias = 0; }, Errc::TopicAliasInvalid},
      {"subscription_id_0", Ctx::Subscribe, [](Properties& p) { p.subscription_identifiers = {0}; },
       Errc::InvalidPropertyValue},
      {"subscription_id_over_vbi", Ctx::Publish,
       [](Properties& p) { p.subscription_identifiers = {268'435'456}; }, Errc::FieldTooLong},
      {"payload_format_2", Ctx::Publish, [](Properties& p) { p.payload_format_indicator = 2; },
       Errc::InvalidPropertyValue},
      {"request_problem_2", Ctx::Connect, [](Properties& p) { p.request_problem_information = 2; },
       Errc::InvalidPropertyValue},
      {"request_response_2", Ctx::Connect, [](Properties& p) { p.request_response_information = 2; },
       Errc::InvalidPropertyValue},
      {"maximum_qos_2", Ctx::Connack, [](Properties& p) { p.maximum_qos = 2; }, Errc::InvalidPropertyValue},
      {"retain_available_2", Ctx::Connack, [](Properties& p) { p.retain_available = 2; },
       Errc::InvalidPropertyValue},
      {"shared_available_7", Ctx::Connack, [](Properties& p) { p.shared_subscription_available = 7; },
       Errc::InvalidPropertyValue},
      {"response_topic_wildcard", Ctx::Will, [](Properties& p) { p.response_topic = "a/+"; },
       Errc::InvalidPropertyValue},
      {"reason_string_surrogate", Ctx::Puback, [](Properties& p) { p.reason_string = "\xED\xA0\x80"; },
       Errc::InvalidUtf8},
      {"user_property_nul", Ctx::Disconnect,
       [](Properties& p) { p.user_properties = {{std::string_view("a\0b", 3), "v"}}; }, Errc::InvalidUtf8},
      {"content_type_too_long", Ctx::Publish,
       [](Properties& p) {
         static const std::string long_text(65'536, 'x');
         p.content_type = long_text;
       },
       Errc::FieldTooLong},
      {"auth_data_without_method", Ctx::Connect,
       [](Properties& p) { p.authentication_data = Bytes(kSeven); }, Errc::InvalidPropertyValue},
  };
  for (const Case& c : cases) {
    Properties props;
    c.set(props);
    EXPECT_EQ(encode_error(carrier_value(c.ctx, props), Version::V5), c.want) << c.name;
  }
}

TEST(mqtt_property_values, LargestSubscriptionIdentifierRoundTrips) {
  Properties props;
  props.subscription_identifiers = {268'435'455, 16'384, 127};
  const Packet p = carrier_value(Ctx::Publish, props);
  const ByteVec wire = encode_to_vector(p, Version::V5);
  Packet out;
  std::unique_ptr<HeapCopy> keep;
  ASSERT_EQ(decode_exact(wire, Version::V5, out, keep).status, DecodeStatus::Ok);
  EXPECT_TRUE(out == p);
}

TEST(mqtt_property_values, PropertiesEmptyAndClearKeepCapacity) {
  Properties p;
  EXPECT_TRUE(p.empty());
  for (const PropSpec& s : spec_table()) {
    Properties one;
    set_prop(one, s.id);
    EXPECT_FALSE(one.empty()) << int(s.id);
    EXPECT_FALSE(one == p) << int(s.id);
    set_prop(p, s.id);
  }
  p.user_properties.reserve(8);
  p.subscription_identifiers.reserve(8);
  p.clear();
  EXPECT_TRUE(p.empty());
  EXPECT_TRUE(p == Properties{});
  EXPECT_GE(p.user_properties.capacity(), 8u);
  EXPECT_GE(p.subscription_identifiers.capacity(), 8u);
}

}  // namespace
}  // namespace fleetload::mqtt::test
