// awsiot Fleet Provisioning payloads: the request and response examples of "Device
// provisioning MQTT API" in JSON, the same models in CBOR checked against bytes written out
// by hand from RFC 8949, round trips in both formats, and malformed payloads refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "awsiot/provisioning.hpp"

namespace fleetload::awsiot {
namespace {

json::value J(std::string_view text) { return json::parse(json::string_view(text.data(), text.size())); }

TEST(AwsiotProvisioning, JsonExamplesOfTheGuide) {
  // CreateKeysAndCertificate response payload.
  const char* keys = R"({"certificateId": "string", "certificatePem": "string", "privateKey": "string",
      "certificateOwnershipToken": "string"})";
  auto k = parse_create_keys_response(as_bytes(keys), PayloadFormat::Json);
  ASSERT_TRUE(k) << k.error;
  EXPECT_EQ(k->certificate_id, "string");
  const auto text = encode(*k, PayloadFormat::Json);
  EXPECT_EQ(J(std::string(text.begin(), text.end())), J(keys));
  // CreateCertificateFromCsr request and response payloads.
  auto csr = parse_create_from_csr_request(as_bytes(R"({"certificateSigningRequest": "string"})"), PayloadFormat::Json);
  ASSERT_TRUE(csr) << csr.error.error_message;
  EXPECT_EQ(csr->certificate_signing_request, "string");
  auto csr_resp = parse_create_from_csr_response(
      as_bytes(R"({"certificateOwnershipToken": "string", "certificateId": "string", "certificatePem": "string"})"),
      PayloadFormat::Json);
  ASSERT_TRUE(csr_resp) << csr_resp.error;
  // RegisterThing request and response payloads.
  auto reg = parse_register_thing_request(
      as_bytes(R"({"certificateOwnershipToken": "string", "parameters": {"string": "string"}})"), PayloadFormat::Json);
  ASSERT_TRUE(reg) << reg.error.error_message;
  EXPECT_EQ(reg->parameters, (StringMap{{"string", "string"}}));
  auto reg_resp = parse_register_thing_response(
      as_bytes(R"({"deviceConfiguration": {"string": "string"}, "thingName": "string"})"), PayloadFormat::Json);
  ASSERT_TRUE(reg_resp) << reg_resp.error;
  EXPECT_EQ(reg_resp->thing_name, "string");
  // Error payload.
  auto err = parse_provisioning_error(as_bytes(R"({"statusCode": 400, "errorCode": "string", "errorMessage": "string"})"),
                                      PayloadFormat::Json);
  ASSERT_TRUE(err) << err.error;
  EXPECT_EQ(err->status_code, 400);
}

TEST(AwsiotProvisioning, CreateKeysTakesAnEmptyPayload) {
  EXPECT_TRUE(parse_create_keys_request({}, PayloadFormat::Json));
  EXPECT_TRUE(parse_create_keys_request({}, PayloadFormat::Cbor));
  EXPECT_TRUE(parse_create_keys_request(as_bytes("{}"), PayloadFormat::Json));
  const std::vector<std::uint8_t> empty_map = {0xA0};
  EXPECT_TRUE(parse_create_keys_request(empty_map, PayloadFormat::Cbor));
  EXPECT_FALSE(parse_create_keys_request(as_bytes("[]"), PayloadFormat::Json));
}

TEST(AwsiotProvisioning, CborBytesAreRfc8949Preferred) {
  // {"thingName": "t", "deviceConfiguration": {}} as RegisterThingResponse writes it:
  // A2, text(19) "deviceConfiguration", A0, text(9) "thingName", text(1) "t".
  RegisterThingResponse r{{}, "t"};
  std::vector<std::uint8_t> want = {0xA2, 0x73};
  for (char c : std::string("deviceConfiguration")) want.push_back(static_cast<std::uint8_t>(c));
  want.push_back(0xA0);
  want.push_back(0x69);
  for (char c : std::string("thingName")) want.push_back(static_cast<std::uint8_t>(c));
  want.push_back(0x61);
  want.push_back('t');
  EXPECT_EQ(encode(r, PayloadFormat::Cbor), want);
  // statusCode 400 is a two-byte unsigned head: 19 01 90; -1 is 20; 24 is 18 18; 1.5 is FB 3F F8 00...
  EXPECT_EQ(encode_value(json::value(400), PayloadFormat::Cbor), (std::vector<std::uint8_t>{0x19, 0x01, 0x90}));
  EXPECT_EQ(encode_value(json::value(-1), PayloadFormat::Cbor), (std::vector<std::uint8_t>{0x20}));
  EXPECT_EQ(encode_value(json::value(24), PayloadFormat::Cbor), (std::vector<std::uint8_t>{0x18, 0x18}));
  EXPECT_EQ(encode_value(json::value(true), PayloadFormat::Cbor), (std::vector<std::uint8_t>{0xF5}));
  EXPECT_EQ(encode_value(json::value(nullptr), PayloadFormat::Cbor), (std::vector<std::uint8_t>{0xF6}));
  EXPECT_EQ(encode_value(json::array{1, "a"}, PayloadFormat::Cbor), (std::vector<std::uint8_t>{0x82, 0x01, 0x61, 'a'}));
  EXPECT_EQ(encode_value(json::value(1.5), PayloadFormat::Cbor),
            (std::vector<std::uint8_t>{0xFB, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0}));
}

TEST(AwsiotProvisioning, EveryModelRoundTripsInBothFormats) {
  for (PayloadFormat f : {PayloadFormat::Json, PayloadFormat::Cbor}) {
    CreateKeysAndCertificateResponse k{"id1", "-----BEGIN CERTIFICATE-----\nAA==\n", "-----BEGIN PRIVATE KEY-----", "tok"};
    auto kb = parse_create_keys_response(encode(k, f), f);
    ASSERT_TRUE(kb) << kb.error;
    EXPECT_EQ(*kb, k);
    CreateCertificateFromCsrRequest cq{"-----BEGIN CERTIFICATE REQUEST-----\n"};
    auto cqb = parse_create_from_csr_request(encode(cq, f), f);
    ASSERT_TRUE(cqb);
    EXPECT_EQ(*cqb, cq);
    CreateCertificateFromCsrResponse cr{"tok", "id2", "pem"};
    auto crb = parse_create_from_csr_response(encode(cr, f), f);
    ASSERT_TRUE(crb);
    EXPECT_EQ(*crb, cr);
    RegisterThingRequest rq{"tok", {{"SerialNumber", "SN-1"}, {"DeviceLocation", "Seattle"}}};
    auto rqb = parse_register_thing_request(encode(rq, f), f);
    ASSERT_TRUE(rqb);
    EXPECT_EQ(*rqb, rq);
    RegisterThingResponse rr{{{"FallbackUrl", "https://www.example.com/test-site"}}, "thing-SN-1"};
    auto rrb = parse_register_thing_response(encode(rr, f), f);
    ASSERT_TRUE(rrb);
    EXPECT_EQ(*rrb, rr);
    ProvisioningError e{404, "ResourceNotFound", "no template"};
    auto eb = parse_provisioning_error(encode(e, f), f);
    ASSERT_TRUE(eb);
    EXPECT_EQ(*eb, e);
  }
  const json::value v = J(R"({"a": [1, -2, 3000000000, -5000000000, 2.25, true, false, null, "x"], "b": {"c": {}}})");
  auto back = decode_value(encode_value(v, PayloadFormat::Cbor), PayloadFormat::Cbor);
  ASSERT_TRUE(back) << back.error;
  EXPECT_EQ(*back, v);
}

TEST(AwsiotProvisioning, MalformedPayloadsAreRefused) {
  // Truncated map, trailing bytes, a byte-string key, a byte string value, an indefinite map.
  EXPECT_FALSE(decode_value(std::vector<std::uint8_t>{0xA1, 0x61}, PayloadFormat::Cbor));
  auto trailing = decode_value(std::vector<std::uint8_t>{0xA0, 0x00}, PayloadFormat::Cbor);
  ASSERT_FALSE(trailing);
  EXPECT_EQ(trailing.error, "bytes after the CBOR item");
  auto bkey = decode_value(std::vector<std::uint8_t>{0xA1, 0x41, 'k', 0x01}, PayloadFormat::Cbor);
  ASSERT_FALSE(bkey);
  EXPECT_EQ(bkey.error, "CBOR map key is not a text string");
  EXPECT_FALSE(decode_value(std::vector<std::uint8_t>{0x41, 'k'}, PayloadFormat::Cbor));
  EXPECT_FALSE(decode_value(std::vector<std::uint8_t>{0xBF, 0xFF}, PayloadFormat::Cbor));
  EXPECT_FALSE(decode_value(as_bytes("{\"a\":"), PayloadFormat::Json));
  // Deep nesting is refused without exhausting the stack: 100,000 nested CBOR arrays, and
  // JSON nested past Boost.JSON's default depth.
  EXPECT_FALSE(decode_value(std::vector<std::uint8_t>(100'000, 0x81), PayloadFormat::Cbor));
  std::vector<std::uint8_t> deep(40, 0x81);
  deep.push_back(0x01);
  auto d = decode_value(deep, PayloadFormat::Cbor);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error, "CBOR nests deeper than 32 levels");
  EXPECT_FALSE(decode_value(as_bytes(std::string(100'000, '[') + std::string(100'000, ']')), PayloadFormat::Json));
  // Requests missing their fields get a 400 InvalidPayload.
  auto noreq = parse_register_thing_request(as_bytes(R"({"parameters": {}})"), PayloadFormat::Json);
  ASSERT_FALSE(noreq);
  EXPECT_EQ(noreq.error.status_code, 400);
  EXPECT_EQ(noreq.error.error_code, "InvalidPayload");
  EXPECT_FALSE(parse_register_thing_request(as_bytes(R"({"certificateOwnershipToken": "t", "parameters": {"n": 1}})"),
                                            PayloadFormat::Json));
  EXPECT_FALSE(parse_create_from_csr_request(as_bytes(R"({"certificateSigningRequest": 5})"), PayloadFormat::Json));
  EXPECT_FALSE(parse_create_from_csr_request(std::vector<std::uint8_t>{0xA0}, PayloadFormat::Cbor));
  EXPECT_FALSE(parse_provisioning_error(as_bytes(R"({"statusCode": 1, "errorCode": "e", "errorMessage": "m"})"),
                                        PayloadFormat::Json));
}

}  // namespace
}  // namespace fleetload::awsiot
