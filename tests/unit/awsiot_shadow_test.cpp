// awsiot shadow documents: the examples of the AWS IoT developer guide ("Device Shadow
// service documents", "Interacting with shadows", "Device Shadow MQTT topics") decoded and
// encoded, the delta and merge rules on its examples, and every 400 of "Device Shadow error
// messages" for a malformed request.
#include <gtest/gtest.h>

#include <string>

#include "awsiot/limits.hpp"
#include "awsiot/shadow.hpp"

namespace fleetload::awsiot {
namespace {

json::value J(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }
json::object O(std::string_view text) { return J(text).as_object(); }
json::object delta_of(std::string_view desired, std::string_view reported) {
  const json::object r = O(reported);
  return compute_delta(O(desired), &r);
}

TEST(AwsiotShadow, ParsesTheGuidesUpdateRequests) {
  // "Device Shadow MQTT topics", /update: a client sets desired, a device reports.
  auto app = parse_shadow_update(R"({"state": {"desired": {"color": "red", "power": "on"}}})");
  ASSERT_TRUE(app) << app.error.message;
  EXPECT_EQ(app->desired.kind, ShadowSection::Kind::Object);
  EXPECT_EQ(app->desired.value, O(R"({"color": "red", "power": "on"})"));
  EXPECT_EQ(app->reported.kind, ShadowSection::Kind::Absent);
  auto dev = parse_shadow_update(R"({"state": {"reported": {"color": "red", "power": "on"}}})");
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->reported.value, O(R"({"color": "red", "power": "on"})"));
  // "Optimistic locking": the version to match.
  auto locked = parse_shadow_update(R"({"state": {"desired": {"colors": ["BLUE"]}}, "version": 10})");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->version, 10u);
  // "Empty shadow document properties": desired set to null removes it.
  auto remove = parse_shadow_update(R"({"state": {"reported": {"color": "red"}, "desired": null}})");
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->desired.kind, ShadowSection::Kind::Null);
  auto cleared = parse_shadow_update(R"({"state": null, "clientToken": "t1"})");
  ASSERT_TRUE(cleared);
  EXPECT_TRUE(cleared->state_null);
  EXPECT_EQ(cleared->client_token, "t1");
}

TEST(AwsiotShadow, MalformedUpdatesGetTheDocumentedBadRequest) {
  const std::vector<std::pair<std::string, std::string_view>> cases = {
      {"{not json", shadow_errors::kInvalidJson},
      {"[1,2]", shadow_errors::kInvalidJson},
      {"{\"clientToken\": \"x\"}", shadow_errors::kMissingState},
      {R"({"state": 5})", shadow_errors::kStateNotObject},
      {R"({"state": {"desired": "on"}})", shadow_errors::kDesiredNotObject},
      {R"({"state": {"reported": [1]}})", shadow_errors::kReportedNotObject},
      {R"({"state": {"desired": {"a": 1}}, "version": "7"})", shadow_errors::kInvalidVersion},
      {R"({"state": {"desired": {"a": 1}}, "version": -1})", shadow_errors::kInvalidVersion},
      {R"({"state": {"desired": {"a": 1}}, "clientToken": 5})", shadow_errors::kInvalidClientToken},
      {R"({"state": {"desired": {"a": 1}}, "clientToken": ")" + std::string(65, 'x') + "\"}",
       shadow_errors::kInvalidClientToken},
      {R"({"state": {"delta": {"a": 1}}})", shadow_errors::kInvalidNode},
      // "Arrays can't have null values": the guide's own invalid example.
      {R"({"state": {"desired": {"colors": [null, "RED", "GREEN"]}}})", shadow_errors::kInvalidJson},
      {R"({"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}})", shadow_errors::kTooDeep},
      {"{\"state\": {\"desired\": {\"a\": \"\xC3\x28\"}}}", shadow_errors::kInvalidJson},  // not UTF-8
  };
  for (const auto& [payload, message] : cases) {
    auto r = parse_shadow_update(payload);
    ASSERT_FALSE(r) << payload;
    EXPECT_EQ(r.error.code, 400) << payload;
    EXPECT_EQ(r.error.message, message) << payload;
  }
  // Six levels below desired is the limit, not an error.
  EXPECT_TRUE(parse_shadow_update(R"({"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}})"));
  // The client token of a request that fails later is echoed.
  auto r = parse_shadow_update(R"({"clientToken": "abc", "state": {"desired": 1}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.client_token, "abc");
  auto big = parse_shadow_update(std::string(kMaxPayloadBytes + 1, ' '));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error.code, 413);
}

TEST(AwsiotShadow, GetAndDeleteTakeAnEmptyPayloadOrAClientToken) {
  EXPECT_TRUE(parse_shadow_plain(""));
  auto t = parse_shadow_plain(R"({"clientToken": "c-1"})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->client_token, "c-1");
  EXPECT_FALSE(parse_shadow_plain("nope"));
  EXPECT_EQ(to_json(ShadowPlainRequest{}), "");
  EXPECT_EQ(to_json(ShadowPlainRequest{"c-1"}), R"({"clientToken":"c-1"})");
}

TEST(AwsiotShadow, DeltaOfTheGuidesExamples) {
  // "Delta state", first example.
  EXPECT_EQ(delta_of(R"({"color": "RED", "state": "STOP"})", R"({"color": "GREEN", "engine": "ON"})"),
            O(R"({"color": "RED", "state": "STOP"})"));
  // "When nested objects differ, the delta contains the path all the way to the root."
  const json::object desired = O(R"({"lights": {"color": {"r": 255, "g": 255, "b": 255}}})");
  const json::object reported = O(R"({"lights": {"color": {"r": 255, "g": 0, "b": 255}}})");
  EXPECT_EQ(compute_delta(desired, &reported), O(R"({"lights": {"color": {"g": 255}}})"));
  // Arrays are compared whole; equal states have no delta; no reported: all of desired.
  EXPECT_EQ(delta_of(R"({"c": ["RED", "GREEN"]})", R"({"c": ["RED"]})"), O(R"({"c": ["RED", "GREEN"]})"));
  EXPECT_TRUE(delta_of(R"({"a": 1})", R"({"a": 1, "b": 2})").empty());
  EXPECT_EQ(compute_delta(O(R"({"a": 1})"), nullptr), O(R"({"a": 1})"));
}

TEST(AwsiotShadow, MergeDeletesNullsReplacesArraysAndKeepsMetadata) {
  json::object stored = O(R"({"colors": ["RED", "GREEN", "BLUE"], "engine": "ON", "lights": {"r": 1, "g": 2}})");
  json::object meta;
  merge_state(meta, meta, json::object{}, 0);  // no-op on empty update
  merge_state(stored, meta, O(R"({"colors": ["RED"], "engine": null, "lights": {"g": 5}})"), 100);
  // "Array values in shadow documents": the update replaces the whole array.
  EXPECT_EQ(stored, O(R"({"colors": ["RED"], "lights": {"r": 1, "g": 5}})"));
  EXPECT_EQ(meta, O(R"({"colors": {"timestamp": 100}, "lights": {"g": {"timestamp": 100}}})"));
  merge_state(stored, meta, O(R"({"lights": {"r": null, "g": null}})"), 200);
  EXPECT_EQ(stored, O(R"({"colors": ["RED"]})"));  // an object emptied by deletes goes
  EXPECT_EQ(meta, O(R"({"colors": {"timestamp": 100}})"));
  EXPECT_EQ(update_metadata(O(R"({"a": 1, "b": {"c": null}})"), 7), O(R"({"a": {"timestamp": 7}, "b": {"c": {"timestamp": 7}}})"));
  EXPECT_EQ(delta_metadata(O(R"({"b": {"c": 2}})"), O(R"({"a": {"timestamp": 1}, "b": {"c": {"timestamp": 9}}})")),
            O(R"({"b": {"c": {"timestamp": 9}}})"));
}

TEST(AwsiotShadow, StateSizeCountsDesiredAndReportedOnly) {
  const json::object d = O(R"({"a": 1})");
  EXPECT_EQ(state_size(&d, nullptr), std::string(R"({"desired":{"a":1}})").size());
  EXPECT_EQ(state_size(&d, &d), std::string(R"({"desired":{"a":1},"reported":{"a":1}})").size());
}

TEST(AwsiotShadow, ErrorDocumentOfTheGuideRoundTrips) {
  // "Optimistic locking", the rejected update's result.
  const std::string doc = R"({"code":409,"message":"Version conflict","clientToken":"426bfd96-e720-46d3-95cd-014e3ef12bb6"})";
  auto e = parse_shadow_error(doc);
  ASSERT_TRUE(e) << e.error;
  EXPECT_EQ(e->code, 409);
  EXPECT_EQ(e->message, shadow_errors::kVersionConflict);
  EXPECT_EQ(e->client_token, "426bfd96-e720-46d3-95cd-014e3ef12bb6");
  EXPECT_FALSE(e->timestamp);
  EXPECT_EQ(to_json(*e), doc);
  EXPECT_FALSE(parse_shadow_error(R"({"code":"409","message":"x"})"));
  EXPECT_FALSE(parse_shadow_error(R"({"code":409})"));
  EXPECT_EQ(no_shadow_message("thingName"), "No shadow exists with name: 'thingName'");
}

TEST(AwsiotShadow, DeleteAcceptedOfTheGuideRoundTrips) {
  // "Deleting a shadow": the accepted delete message.
  auto d = parse_shadow_delete_accepted(R"({"version": 4, "timestamp": 1591057529})");
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->version, 4u);
  EXPECT_EQ(d->timestamp, 1591057529u);
  EXPECT_EQ(J(to_json(*d)), J(R"({"version": 4, "timestamp": 1591057529})"));
  EXPECT_FALSE(parse_shadow_delete_accepted(R"({"timestamp": 1})"));
}

TEST(AwsiotShadow, DeltaMessageRoundTrips) {
  // The /update/delta document's shape ("/delta response state document") with the values
  // of the "Delta state" example.
  const std::string text = R"({"version":17,"timestamp":123456789,"state":{"color":"RED","state":"STOP"},)"
                           R"("metadata":{"color":{"timestamp":12345},"state":{"timestamp":12345}},"clientToken":"token"})";
  auto d = parse_shadow_delta(text);
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->version, 17u);
  EXPECT_EQ(d->state, O(R"({"color": "RED", "state": "STOP"})"));
  EXPECT_EQ(d->client_token, "token");
  EXPECT_EQ(to_json(*d), text);
  EXPECT_FALSE(parse_shadow_delta(R"({"version":1,"timestamp":2})"));  // no state
}

TEST(AwsiotShadow, AcceptedDocumentWithDeltaRoundTrips) {
  // "Delta state": a document with desired, reported and delta.
  ShadowAccepted a;
  a.state.desired = O(R"({"color": "RED", "state": "STOP"})");
  a.state.reported = O(R"({"color": "GREEN", "engine": "ON"})");
  a.state.delta = O(R"({"color": "RED", "state": "STOP"})");
  a.metadata.desired = O(R"({"color": {"timestamp": 12345}, "state": {"timestamp": 12345}})");
  a.metadata.reported = O(R"({"color": {"timestamp": 12345}, "engine": {"timestamp": 12345}})");
  a.version = 17;
  a.timestamp = 123456789;
  const std::string text = to_json(a);
  EXPECT_EQ(J(text), J(R"({"state": {"desired": {"color": "RED", "state": "STOP"},
      "reported": {"color": "GREEN", "engine": "ON"}, "delta": {"color": "RED", "state": "STOP"}},
      "metadata": {"desired": {"color": {"timestamp": 12345}, "state": {"timestamp": 12345}},
      "reported": {"color": {"timestamp": 12345}, "engine": {"timestamp": 12345}}},
      "version": 17, "timestamp": 123456789})"));
  auto back = parse_shadow_accepted(text);
  ASSERT_TRUE(back) << back.error;
  EXPECT_EQ(*back, a);
  EXPECT_FALSE(parse_shadow_accepted(R"({"state": 1, "version": 1, "timestamp": 1})"));
}

TEST(AwsiotShadow, DocumentsMessageRoundTrips) {
  ShadowDocuments d;
  d.previous.emplace();
  d.previous->state.desired = O(R"({"colors": ["RED", "GREEN", "BLUE"]})");
  d.previous->metadata.desired = O(R"({"colors": {"timestamp": 1}})");
  d.previous->version = 10;
  d.current.state.desired = O(R"({"colors": ["BLUE"]})");
  d.current.metadata.desired = O(R"({"colors": {"timestamp": 2}})");
  d.current.version = 11;
  d.timestamp = 2;
  d.client_token = "tok";
  auto back = parse_shadow_documents(to_json(d));
  ASSERT_TRUE(back) << back.error;
  EXPECT_EQ(*back, d);
  d.previous.reset();  // the update that created the shadow
  auto created = parse_shadow_documents(to_json(d));
  ASSERT_TRUE(created);
  EXPECT_FALSE(created->previous);
}

TEST(AwsiotShadow, UpdateRequestRoundTrips) {
  ShadowUpdateRequest r;
  r.desired.kind = ShadowSection::Kind::Object;
  r.desired.value = O(R"({"color": {"r": 10}, "engine": "ON"})");  // "Interacting with shadows"
  r.reported.kind = ShadowSection::Kind::Null;
  r.client_token = "c";
  r.version = 3;
  auto back = parse_shadow_update(to_json(r));
  ASSERT_TRUE(back) << back.error.message;
  EXPECT_EQ(*back, r);
}

}  // namespace
}  // namespace fleetload::awsiot
