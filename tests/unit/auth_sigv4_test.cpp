// SigV4 presigning: the two vectors of aws doc §9 exactly, and botocore as an independent check.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "auth/sigv4.hpp"

namespace {

using namespace fleetload::auth;

AwsCredentials doc_credentials() {
  AwsCredentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.session_token = "FwoGZXIvYXdzEXAMPLE/TOKEN+with=chars";
  return c;
}

std::chrono::system_clock::time_point doc_time() {
  // 2015-08-30T12:36:00Z
  return std::chrono::system_clock::from_time_t(1440938160);
}

PresignRequest doc_request(SignedHeaders h) {
  PresignRequest r;
  r.host = "example-ats.iot.us-east-1.amazonaws.com";
  r.region = "us-east-1";
  r.signed_headers = h;
  r.when = doc_time();
  return r;
}

const std::string kPrefix = "wss://example-ats.iot.us-east-1.amazonaws.com";

TEST(AuthSigv4, DocVectorHostOnlyMatchesExactly) {
  Presigned p = presign_websocket(doc_credentials(), doc_request(SignedHeaders::HostOnly));
  EXPECT_EQ(p.canonical_request_sha256,
            "712389d419ae867be9828aaf69d6810028f57230c51d87a82faf0b3e538e05df");
  EXPECT_EQ(p.signature, "026c20a61bae0c9e109ab3720b96164d965f64dfc0dd03bfc9f1152ab1d323f9");
  EXPECT_EQ(kPrefix + p.target,
            "wss://example-ats.iot.us-east-1.amazonaws.com/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
            "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&"
            "X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature="
            "026c20a61bae0c9e109ab3720b96164d965f64dfc0dd03bfc9f1152ab1d323f9&"
            "X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2FTOKEN%2Bwith%3Dchars");
}

TEST(AuthSigv4, DocVectorCurrentSignerMatchesExactly) {
  Presigned p = presign_websocket(doc_credentials(), doc_request(SignedHeaders::ConnectionHost));
  EXPECT_EQ(p.canonical_request_sha256,
            "eb9f653bd9bc34461224adfad23a4079abdbe51946ec4d4efd1a476be5cd0023");
  EXPECT_EQ(p.signature, "bb97ceda63bdd9199ada8c5ce76411245451e9449f3ef5bfcb5ebb278816da2e");
  EXPECT_EQ(kPrefix + p.target,
            "wss://example-ats.iot.us-east-1.amazonaws.com/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
            "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&"
            "X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=connection%3Bhost&"
            "X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2FTOKEN%2Bwith%3Dchars&X-Amz-Signature="
            "bb97ceda63bdd9199ada8c5ce76411245451e9449f3ef5bfcb5ebb278816da2e");
}

TEST(AuthSigv4, CanonicalRequestIsTheSixLinesOfTheDoc) {
  Presigned p = presign_websocket(doc_credentials(), doc_request(SignedHeaders::ConnectionHost));
  EXPECT_EQ(p.canonical_request,
            "GET\n/mqtt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
            "us-east-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20150830T123600Z&"
            "X-Amz-SignedHeaders=connection%3Bhost\nconnection:Upgrade\n"
            "host:example-ats.iot.us-east-1.amazonaws.com\n\nconnection;host\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(p.query.find("X-Amz-Expires"), std::string::npos);  // the SDK sets no expiry
}

TEST(AuthSigv4, NoSessionTokenMeansNoTokenParameter) {
  AwsCredentials c = doc_credentials();
  c.session_token.clear();
  Presigned p = presign_websocket(c, doc_request(SignedHeaders::ConnectionHost));
  EXPECT_EQ(p.query.find("Security-Token"), std::string::npos);
  // The token is unsigned: removing it changes neither the canonical request nor the signature.
  EXPECT_EQ(p.signature, "bb97ceda63bdd9199ada8c5ce76411245451e9449f3ef5bfcb5ebb278816da2e");
}

TEST(AuthSigv4, EachAttemptGetsAFreshDateAndSignature) {
  PresignRequest r = doc_request(SignedHeaders::ConnectionHost);
  Presigned a = presign_websocket(doc_credentials(), r);
  r.when += std::chrono::seconds(1);
  Presigned b = presign_websocket(doc_credentials(), r);
  EXPECT_NE(a.signature, b.signature);
  EXPECT_NE(b.query.find("X-Amz-Date=20150830T123601Z"), std::string::npos);
}

TEST(AuthSigv4, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(uri_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a/b+c=d e;"), "a%2Fb%2Bc%3Dd%20e%3B");
  EXPECT_EQ(uri_encode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(amz_date(doc_time()), "20150830T123600Z");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(AuthSigv4, ExtraQueryParametersAreSigned) {
  PresignRequest r = doc_request(SignedHeaders::ConnectionHost);
  r.extra_query = {{"device", "d 1"}};
  Presigned p = presign_websocket(doc_credentials(), r);
  EXPECT_NE(p.canonical_request.find("&device=d%201\n"), std::string::npos);
  EXPECT_NE(p.signature, "bb97ceda63bdd9199ada8c5ce76411245451e9449f3ef5bfcb5ebb278816da2e");
}

// Runs Debian's botocore on our URL; returns its exit code and output.
int botocore_check(const std::string& url, const std::string& secret, std::string& output) {
  const char* src = std::getenv("FLEETLOAD_SOURCE_DIR");
  const std::string script =
      std::string(src != nullptr ? src : ".") + "/tests/data/auth/verify_sigv4_botocore.py";
  const std::string cmd = "/usr/bin/python3 '" + script + "' '" + url + "' '" + secret + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) output += buf.data();
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Independent verification: botocore (python3-botocore) recomputes the signature of URLs we
// sign now, with both signer variants, with and without a token. Missing botocore fails.
TEST(AuthSigv4, BotocoreAgreesWithOurSignatures) {
  for (auto variant : {SignedHeaders::ConnectionHost, SignedHeaders::HostOnly}) {
    for (bool token : {true, false}) {
      AwsCredentials c = doc_credentials();
      c.secret_access_key = "s3cr3t/Key+With=Odd~Chars";
      if (!token) c.session_token.clear();
      PresignRequest r = doc_request(variant);
      r.host = "abc123-ats.iot.eu-west-1.amazonaws.com";
      r.region = "eu-west-1";
      r.when = std::chrono::system_clock::now();
      Presigned p = presign_websocket(c, r);
      std::string out;
      EXPECT_EQ(botocore_check("wss://" + r.host + p.target, c.secret_access_key, out), 0) << out;
      EXPECT_NE(out.find("ok " + p.signature), std::string::npos) << out;
    }
  }
}

TEST(AuthSigv4, BotocoreRejectsATamperedSignature) {
  AwsCredentials c = doc_credentials();
  PresignRequest r = doc_request(SignedHeaders::ConnectionHost);
  Presigned p = presign_websocket(c, r);
  std::string url = "wss://" + r.host + p.target;
  url.back() = url.back() == '0' ? '1' : '0';
  std::string out;
  EXPECT_EQ(botocore_check(url, c.secret_access_key, out), 1) << out;
  std::string wrong_secret_out;
  EXPECT_EQ(botocore_check("wss://" + r.host + p.target, "another-secret", wrong_secret_out), 1);
}

}  // namespace
