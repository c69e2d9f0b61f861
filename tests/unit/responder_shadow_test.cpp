// The responder's Device Shadow service driven through the dispatcher without a broker: the
// flows of "Interacting with shadows" (get 404, update, get with version 1, delta to the device
// after an app's desired change, optimistic locking with the guide's own example, delete) and
// the rejections of "Device Shadow error messages". Messages are checked as JSON, parsed here
// with Boost.JSON, not with the awsiot decoders under test.
#include <gtest/gtest.h>

#include <string>

#include "awsiot/limits.hpp"
#include "responder/dispatcher.hpp"

namespace fleetload::responder {
namespace {

json::value J(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }

std::span<const std::uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

class ShadowFlow : public ::testing::Test {
 protected:
  CollectingPublisher out;
  Dispatcher d{out, DispatcherOptions{}};
  std::uint64_t now = 1591057000;

  // Publishes `payload` on `topic` and returns what the service published in answer.
  std::vector<std::pair<std::string, std::string>> request(const std::string& topic, std::string_view payload) {
    out.messages.clear();
    d.on_publish(topic, bytes(payload), now);
    return out.messages;
  }
  static const std::string* find(const std::vector<std::pair<std::string, std::string>>& m, const std::string& topic) {
    for (const auto& [t, p] : m)
      if (t == topic) return &p;
    return nullptr;
  }
};

constexpr const char* kPrefix = "$aws/things/car-1/shadow";

TEST_F(ShadowFlow, GetIs404ThenUpdateThenGetHasVersion1) {
  auto m = request(std::string(kPrefix) + "/get", R"({"clientToken":"g1"})");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, std::string(kPrefix) + "/get/rejected");
  EXPECT_EQ(J(m[0].second), J(R"({"code":404,"message":"No shadow exists with name: 'car-1'","timestamp":1591057000,"clientToken":"g1"})"));

  m = request(std::string(kPrefix) + "/update", R"({"state":{"reported":{"color":"red","power":"on"}},"clientToken":"u1"})");
  const std::string* acc = find(m, std::string(kPrefix) + "/update/accepted");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(J(*acc), J(R"({"state":{"reported":{"color":"red","power":"on"}},
      "metadata":{"reported":{"color":{"timestamp":1591057000},"power":{"timestamp":1591057000}}},
      "version":1,"timestamp":1591057000,"clientToken":"u1"})"));
  const std::string* docs = find(m, std::string(kPrefix) + "/update/documents");
  ASSERT_NE(docs, nullptr);
  EXPECT_FALSE(J(*docs).as_object().contains("previous"));  // the update created the shadow
  EXPECT_EQ(J(*docs).at("current").at("version"), 1);
  EXPECT_EQ(find(m, std::string(kPrefix) + "/update/delta"), nullptr);  // no desired: no delta

  m = request(std::string(kPrefix) + "/get", "");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, std::string(kPrefix) + "/get/accepted");
  EXPECT_EQ(J(m[0].second), J(R"({"state":{"reported":{"color":"red","power":"on"}},
      "metadata":{"reported":{"color":{"timestamp":1591057000},"power":{"timestamp":1591057000}}},
      "version":1,"timestamp":1591057000})"));
  EXPECT_EQ(d.books(Api::ShadowGet).accepted, 1u);
  EXPECT_EQ(d.books(Api::ShadowGet).rejected.at("404"), 1u);
  EXPECT_EQ(d.books(Api::ShadowUpdate).accepted, 1u);
  EXPECT_EQ(d.books(Api::ShadowUpdate).latency.count, 1u);
  EXPECT_EQ(d.things_seen().count("car-1"), 1u);
}

TEST_F(ShadowFlow, AnAppsDesiredChangeSendsTheDeviceADeltaUntilItReportsIt) {
  request(std::string(kPrefix) + "/update", R"({"state":{"reported":{"color":"GREEN","engine":"ON"}}})");
  now += 5;
  auto m = request(std::string(kPrefix) + "/update", R"({"state":{"desired":{"color":"RED","state":"STOP"}},"clientToken":"app"})");
  const std::string* delta = find(m, std::string(kPrefix) + "/update/delta");
  ASSERT_NE(delta, nullptr);
  // "Delta state": the desired attributes that differ from reported, with desired's metadata.
  EXPECT_EQ(J(*delta), J(R"({"version":2,"timestamp":1591057005,"state":{"color":"RED","state":"STOP"},
      "metadata":{"color":{"timestamp":1591057005},"state":{"timestamp":1591057005}},"clientToken":"app"})"));
  // get/accepted carries the delta too.
  m = request(std::string(kPrefix) + "/get", "");
  EXPECT_EQ(J(m[0].second).at("state").at("delta"), J(R"({"color":"RED","state":"STOP"})"));
  // The device reports the desired state back: no more delta.
  m = request(std::string(kPrefix) + "/update", R"({"state":{"reported":{"color":"RED","state":"STOP"}}})");
  EXPECT_EQ(find(m, std::string(kPrefix) + "/update/delta"), nullptr);
  m = request(std::string(kPrefix) + "/get", "");
  EXPECT_FALSE(J(m[0].second).at("state").as_object().contains("delta"));
  EXPECT_EQ(J(m[0].second).at("version"), 3);
}

TEST_F(ShadowFlow, OptimisticLockingExampleOfTheGuide) {
  // Initial document {"state":{"desired":{"colors":["RED","GREEN","BLUE"]}},"version":10}.
  for (int i = 0; i < 10; ++i) request(std::string(kPrefix) + "/update", R"({"state":{"desired":{"colors":["RED","GREEN","BLUE"]}}})");
  auto m = request(std::string(kPrefix) + "/update",
                   R"({"state":{"desired":{"colors":["BLUE"]}},"version":9,"clientToken":"426bfd96-e720-46d3-95cd-014e3ef12bb6"})");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, std::string(kPrefix) + "/update/rejected");
  json::object err = J(m[0].second).as_object();
  err.erase("timestamp");
  EXPECT_EQ(json::value(err), J(R"({"code":409,"message":"Version conflict","clientToken":"426bfd96-e720-46d3-95cd-014e3ef12bb6"})"));
  m = request(std::string(kPrefix) + "/update", R"({"state":{"desired":{"colors":["BLUE"]}},"version":10})");
  ASSERT_NE(find(m, std::string(kPrefix) + "/update/accepted"), nullptr);
  const json::value docs = J(*find(m, std::string(kPrefix) + "/update/documents"));
  EXPECT_EQ(docs.at("previous").at("state").at("desired").at("colors"), J(R"(["RED","GREEN","BLUE"])"));
  EXPECT_EQ(docs.at("previous").at("version"), 10);
  EXPECT_EQ(docs.at("current").at("state").at("desired").at("colors"), J(R"(["BLUE"])"));
  EXPECT_EQ(docs.at("current").at("version"), 11);  // "Final state ... version 11"
  EXPECT_EQ(d.books(Api::ShadowUpdate).rejected.at("409"), 1u);
}

TEST_F(ShadowFlow, NullDeletesKeysAndSectionsAndDeleteKeepsTheVersion) {
  request(std::string(kPrefix) + "/update", R"({"state":{"desired":{"color":"red","engine":"ON"},"reported":{"color":"red"}}})");
  auto m = request(std::string(kPrefix) + "/update", R"({"state":{"desired":{"engine":null}}})");
  EXPECT_EQ(J(*find(m, std::string(kPrefix) + "/update/accepted")).at("state"), J(R"({"desired":{"engine":null}})"));
  m = request(std::string(kPrefix) + "/get", "");
  EXPECT_EQ(J(m[0].second).at("state"), J(R"({"desired":{"color":"red"},"reported":{"color":"red"}})"));
  request(std::string(kPrefix) + "/update", R"({"state":{"reported":{"color":"red"},"desired":null}})");
  m = request(std::string(kPrefix) + "/get", "");
  EXPECT_EQ(J(m[0].second).at("state"), J(R"({"reported":{"color":"red"}})"));
  EXPECT_EQ(J(m[0].second).at("version"), 3);

  m = request(std::string(kPrefix) + "/delete", R"({"clientToken":"d1"})");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, std::string(kPrefix) + "/delete/accepted");
  EXPECT_EQ(J(m[0].second), J(R"({"version":3,"timestamp":1591057000,"clientToken":"d1"})"));
  EXPECT_EQ(request(std::string(kPrefix) + "/get", "")[0].first, std::string(kPrefix) + "/get/rejected");
  EXPECT_EQ(request(std::string(kPrefix) + "/delete", "")[0].first, std::string(kPrefix) + "/delete/rejected");
  // "the version number of the new device shadow document will follow that of the deleted one"
  m = request(std::string(kPrefix) + "/update", R"({"state":{"reported":{"a":1}}})");
  EXPECT_EQ(J(*find(m, std::string(kPrefix) + "/update/accepted")).at("version"), 4);
  EXPECT_EQ(d.shadow().shadows(), 1u);
}

TEST_F(ShadowFlow, NamedShadowsAreSeparateDocuments) {
  request("$aws/things/car-1/shadow/name/config/update", R"({"state":{"desired":{"rate":5}}})");
  EXPECT_EQ(request(std::string(kPrefix) + "/get", "")[0].first, std::string(kPrefix) + "/get/rejected");
  auto m = request("$aws/things/car-1/shadow/name/config/get", "");
  EXPECT_EQ(m[0].first, "$aws/things/car-1/shadow/name/config/get/accepted");
  EXPECT_EQ(J(m[0].second).at("state").at("delta"), J(R"({"rate":5})"));
  m = request("$aws/things/car-1/shadow/name/other/get", "");
  EXPECT_EQ(J(m[0].second).at("message"), "No shadow exists with name: 'other'");
}

TEST_F(ShadowFlow, MalformedAndOversizedUpdatesAreRejected) {
  auto m = request(std::string(kPrefix) + "/update", "{oops");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, std::string(kPrefix) + "/update/rejected");
  EXPECT_EQ(J(m[0].second).at("code"), 400);
  EXPECT_EQ(J(m[0].second).at("message"), "Invalid JSON");
  m = request(std::string(kPrefix) + "/update", R"({"clientToken":"t","state":{"desired":"x"}})");
  EXPECT_EQ(J(m[0].second).at("message"), "Desired node must be an object");
  EXPECT_EQ(J(m[0].second).at("clientToken"), "t");
  // The stored state (desired + reported) may hold 8 KiB; one more update past it is a 413.
  const std::string half(awsiot::kMaxShadowDocumentBytes / 2 - 40, 'x');
  m = request(std::string(kPrefix) + "/update", R"({"state":{"desired":{"a":")" + half + R"("}}})");
  ASSERT_NE(find(m, std::string(kPrefix) + "/update/accepted"), nullptr);
  m = request(std::string(kPrefix) + "/update", R"({"state":{"reported":{"b":")" + half + R"("}}})");
  ASSERT_NE(find(m, std::string(kPrefix) + "/update/accepted"), nullptr);
  m = request(std::string(kPrefix) + "/update", R"({"state":{"reported":{"c":"0123456789012345678901234567890123456789"}}})");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(J(m[0].second).at("code"), 413);
  EXPECT_EQ(J(m[0].second).at("message"), "The payload exceeds the maximum size allowed");
  // The refused update changed nothing.
  EXPECT_EQ(J(request(std::string(kPrefix) + "/get", "")[0].second).at("version"), 2);
  EXPECT_EQ(d.books(Api::ShadowUpdate).rejected.at("400"), 2u);
  EXPECT_EQ(d.books(Api::ShadowUpdate).rejected.at("413"), 1u);
}

// Whatever bytes a request carries, every service answers it on its rejected (or accepted)
// topic and keeps going: random bytes, truncated and deeply nested JSON, on every request topic.
TEST_F(ShadowFlow, GarbagePayloadsOnEveryRequestTopicAreAnsweredNotFatal) {
  const std::vector<std::string> topics = {
      std::string(kPrefix) + "/get", std::string(kPrefix) + "/update", std::string(kPrefix) + "/delete",
      "$aws/things/car-1/shadow/name/n/update", "$aws/things/car-1/jobs/get", "$aws/things/car-1/jobs/start-next",
      "$aws/things/car-1/jobs/j/get", "$aws/things/car-1/jobs/$next/get", "$aws/things/car-1/jobs/j/update",
      "$aws/certificates/create/json", "$aws/certificates/create/cbor", "$aws/certificates/create-from-csr/json",
      "$aws/certificates/create-from-csr/cbor", "$aws/provisioning-templates/T/provision/json",
      "$aws/provisioning-templates/T/provision/cbor"};
  std::vector<std::string> payloads = {"{", "[]", "null", "\"x\"", std::string(10'000, '{'), std::string(5000, '['),
                                       std::string("\xFF\xFE\x00\x81", 4), std::string(50'000, '\x81')};
  std::uint64_t x = 88172645463325252ull;  // xorshift64: the same bytes on every run
  for (int i = 0; i < 20; ++i) {
    std::string s(1 + i * 37, '\0');
    for (char& c : s) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    payloads.push_back(std::move(s));
  }
  std::size_t answered = 0;
  for (const auto& t : topics) {
    for (const auto& p : payloads) {
      const auto m = request(t, p);
      ASSERT_FALSE(m.empty()) << t;  // an answer every time
      answered += m.front().first.ends_with("/rejected") || m.front().first.ends_with("/accepted") ? 1 : 0;
    }
  }
  EXPECT_EQ(answered, topics.size() * payloads.size());
  // Still serving afterwards.
  EXPECT_EQ(request(std::string(kPrefix) + "/update", R"({"state":{"reported":{"ok":1}}})")[0].first,
            std::string(kPrefix) + "/update/accepted");
}

TEST_F(ShadowFlow, RepliesAndForeignTopicsAreNotRequests) {
  EXPECT_TRUE(request(std::string(kPrefix) + "/update/accepted", "{}").empty());
  EXPECT_TRUE(request("sensors/car-1", "{}").empty());
  EXPECT_EQ(d.ignored(), 2u);
  EXPECT_TRUE(request("$aws/things/bad thing/shadow/get", "").empty());
  EXPECT_EQ(d.books(Api::InvalidTopic).rejected.at("InvalidTopic"), 1u);
}

}  // namespace
}  // namespace fleetload::responder
