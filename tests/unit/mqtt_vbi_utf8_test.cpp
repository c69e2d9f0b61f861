// Wire primitives: UTF-8 Encoded String rules (5.0 §1.5.4), Topic Names and Filters
// (§4.7, §4.8.2 shared subscriptions), and Variable Byte Integer forms (§1.5.5).
#include <gtest/gtest.h>

#include "mqtt_test_util.hpp"

namespace fleetload::mqtt::test {
namespace {

std::string_view sv(const char* s, std::size_t n) { return {s, n}; }

TEST(mqtt_utf8, AcceptsWellFormedText) {
  const std::string_view good[] = {
      "",
      "plain ascii/with spaces",
      "\xC3\xBC",                  // U+00FC
      "\xC2\x80",                  // U+0080, smallest 2-byte
      "\xDF\xBF",                  // U+07FF
      "\xE0\xA0\x80",              // U+0800, smallest 3-byte
      "\xE2\x82\xAC",              // U+20AC euro
      "\xED\x9F\xBF",              // U+D7FF, just below the surrogates
      "\xEE\x80\x80",              // U+E000, just above them
      "\xEF\xBF\xBF",              // U+FFFF (a non-character, allowed: §1.5.4 says SHOULD NOT only)
      "\xF0\x90\x80\x80",          // U+10000, smallest 4-byte
      "\xF0\x9F\x98\x80",          // emoji
      "\xF4\x8F\xBF\xBF",          // U+10FFFF, the largest code point
      "\x01\x1F\x7F",              // control characters: discouraged, not forbidden
      "\xEF\xBB\xBF" "bom",        // U+FEFF is a valid character (§1.5.4 [MQTT-1.5.4-3])
  };
  for (std::string_view s : good) EXPECT_TRUE(valid_utf8(s)) << hex(str(s));
}

TEST(mqtt_utf8, RejectsIllFormedSurrogatesOverlongAndNul) {
  const std::string_view bad[] = {
      sv("\0", 1),
      sv("a\0b", 3),
      "\xC0\x80",          // overlong U+0000
      "\xC1\xBF",          // overlong 2-byte
      "\xE0\x80\x80",      // overlong 3-byte
      "\xE0\x9F\xBF",      // overlong 3-byte (U+07FF)
      "\xF0\x80\x80\x80",  // overlong 4-byte
      "\xF0\x8F\xBF\xBF",  // overlong 4-byte (U+FFFF)
      "\xED\xA0\x80",      // U+D800 high surrogate
      "\xED\xAF\xBF",      // U+DBFF
      "\xED\xB0\x80",      // U+DC00 low surrogate
      "\xED\xBF\xBF",      // U+DFFF
      "\xF4\x90\x80\x80",  // U+110000, beyond Unicode
      "\xF5\x80\x80\x80",  // lead byte F5
      "\xF8\x88\x80\x80\x80",
      "\xFE",
      "\xFF",
      "\x80",              // continuation without lead
      "a\xBF",
      "\xC3",              // truncated 2-byte
      "\xE2\x82",          // truncated 3-byte
      "\xF0\x9F\x98",      // truncated 4-byte
      "\xC3\x41",          // bad continuation
      "\xE2\x28\xA1",
      "\xF0\x9F\x28\x80",
      "ok\xED\xA0\x80ok",
  };
  for (std::string_view s : bad) EXPECT_FALSE(valid_utf8(s)) << hex(str(s));
}

TEST(mqtt_topic_name, Rules) {
  for (std::string_view t : {"a", "a/b", "/", "//", "/a/", "$SYS/broker", "a b", "\xC3\xBC/x", "sport/tennis/player1"})
    EXPECT_TRUE(valid_topic_name(t)) << t;
  for (std::string_view t : {"", "+", "#", "a/+", "a/#", "a+b", "a#", "sport/+/player1"})
    EXPECT_FALSE(valid_topic_name(t)) << t;
  EXPECT_FALSE(valid_topic_name(sv("a\0", 2)));
  EXPECT_FALSE(valid_topic_name("a/\xED\xA0\x80"));
}

TEST(mqtt_topic_filter, WildcardPlacement) {
  for (std::string_view f : {"#", "+", "a", "a/#", "a/+", "+/+", "+/#", "/#", "/", "a//b", "a/+/b/#",
                             "sport/tennis/+", "$SYS/#", "+/tennis/#", "$share", "$sharex/a", "$share_/g/a"})
    EXPECT_TRUE(valid_topic_filter(f)) << f;
  for (std::string_view f : {"", "a#", "#a", "a/#/b", "#/a", "a/b#", "+a", "a+", "a/b+/c", "a/+b", "##", "++",
                             "sport/tennis#", "sport/tennis/#/ranking"})
    EXPECT_FALSE(valid_topic_filter(f)) << f;
  EXPECT_FALSE(valid_topic_filter(sv("a/\0", 3)));
  EXPECT_FALSE(valid_topic_filter("\xC0\xAF"));
}

TEST(mqtt_topic_filter, SharedSubscriptions) {
  // §4.8.2: $share/{ShareName}/{filter}; ShareName non-empty, no '/', '+' or '#'.
  for (std::string_view f : {"$share/g/a", "$share/g/#", "$share/g/+/x", "$share/consumer1/sport/tennis/+",
                             "$share/g//", "$share/\xC3\xBC/a"})
    EXPECT_TRUE(valid_topic_filter(f)) << f;
  for (std::string_view f : {"$share/", "$share/g", "$share/g/", "$share//a", "$share/g+/a", "$share/+/a",
                             "$share/#/a", "$share/g#/a", "$share/g/a#", "$share/g/#/a"})
    EXPECT_FALSE(valid_topic_filter(f)) << f;
}

// VBI forms through the fixed header: minimal forms are accepted, over-long and 5-byte
// ones are malformed, and an incomplete VBI needs more with no size known yet.
TEST(mqtt_vbi, MinimalFormsAcceptedOverlongRejected) {
  struct Case {
    ByteVec vbi;
    std::uint32_t value;
  };
  const Case ok[] = {
      {bytes({0x00}), 0},
      {bytes({0x7F}), 127},
      {bytes({0x80, 0x01}), 128},
      {bytes({0xFF, 0x7F}), 16'383},
      {bytes({0x80, 0x80, 0x01}), 16'384},
      {bytes({0xFF, 0xFF, 0x7F}), 2'097'151},
      {bytes({0x80, 0x80, 0x80, 0x01}), 2'097'152},
      {bytes({0xFF, 0xFF, 0xFF, 0x7F}), 268'435'455},
  };
  for (const Case& c : ok) {
    HeapCopy copy(cat({bytes({0x30}), c.vbi}));
    Packet out;
    DecodeResult r = decode(copy.span(), opts(Version::V311), out);
    if (c.value == 0) {
      EXPECT_EQ(r.error, Errc::TruncatedField);  // header fine, PUBLISH body empty
      continue;
    }
    EXPECT_EQ(r.status, DecodeStatus::NeedMore) << c.value;
    EXPECT_EQ(r.needed, 1 + c.vbi.size() + c.value);
  }
  const ByteVec bad[] = {
      bytes({0x80, 0x00}),
      bytes({0xFF, 0x00}),
      bytes({0x80, 0x80, 0x00}),
      bytes({0x80, 0x80, 0x80, 0x00}),
      bytes({0xFF, 0xFF, 0xFF, 0x80}),
      bytes({0x80, 0x80, 0x80, 0x80, 0x01}),
  };
  for (const ByteVec& b : bad) {
    HeapCopy copy(cat({bytes({0xD0}), b}));
    Packet out;
    EXPECT_EQ(decode(copy.span(), opts(Version::V5), out).error, Errc::MalformedVariableByteInteger) << hex(b);
  }
  for (const ByteVec& partial : {bytes({0x30}), bytes({0x30, 0x80}), bytes({0x30, 0xFF, 0xFF, 0xFF})}) {
    HeapCopy copy(partial);
    Packet out;
    DecodeResult r = decode(copy.span(), opts(Version::V5), out);
    EXPECT_EQ(r.status, DecodeStatus::NeedMore) << hex(partial);
    EXPECT_EQ(r.needed, 0u);
  }
}

TEST(mqtt_vbi, PropertyLengthAndSubscriptionIdentifierUseMinimalForms) {
  // A 200-byte property block needs a 2-byte property length (0xC8 0x01).
  Publish p;
  p.topic = "t";
  static const std::string ct(197, 'c');
  p.properties.content_type = ct;  // 1 + 2 + 197 = 200 bytes
  const ByteVec wire = encode_to_vector(p, Version::V5);
  ASSERT_GE(wire.size(), 8u);
  EXPECT_EQ(wire[6], 0xC8);
  EXPECT_EQ(wire[7], 0x01);
}

}  // namespace
}  // namespace fleetload::mqtt::test
