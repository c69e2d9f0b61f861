// Credential providers with temp files and a real credential_process script: environment,
// static, shared files and profiles, credential_process (incl. expiry), default chain order.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "auth/credentials.hpp"

namespace fleetload::auth {
namespace {

namespace fs = std::filesystem;

class AuthCredentials : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fleetload-creds-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                          "AWS_PROFILE"}) {
      ::unsetenv(v);
    }
    // Never read the real ~/.aws of whoever runs the tests.
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").c_str(), 1);
    ::setenv("AWS_CONFIG_FILE", (dir_ / "config").c_str(), 1);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text, bool exec = false) {
    std::ofstream(dir_ / name) << text;
    if (exec) ::chmod((dir_ / name).c_str(), 0700);
  }
  // A credential_process printing `json`.
  std::string process(const std::string& json, int exit_code = 0) {
    write("proc.sh", "#!/bin/sh\ncat <<'JSON'\n" + json + "\nJSON\nexit " + std::to_string(exit_code) + "\n", true);
    return (dir_ / "proc.sh").string();
  }

  fs::path dir_;
  Clock::time_point now_ = Clock::from_time_t(1764158400);  // 2025-11-26T12:00:00Z
};

TEST_F(AuthCredentials, EnvironmentProvider) {
  EXPECT_FALSE(credentials_from_environment());
  ::setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  ::setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
  auto c = credentials_from_environment();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKENV");
  EXPECT_EQ(c->secret_access_key, "ENVSECRET");
  EXPECT_EQ(c->session_token, "ENVTOKEN");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  try {
    credentials_from_environment();
    ADD_FAILURE();
  } catch (const CredentialsError& e) {
    EXPECT_STREQ(e.what(), "environment credentials: AWS_SECRET_ACCESS_KEY is not set while AWS_ACCESS_KEY_ID is");
  }
}

TEST_F(AuthCredentials, StaticProvider) {
  scenario::AwsCredentialsSpec spec;
  spec.source = scenario::CredentialsSource::Static;
  spec.access_key_id = "AKSTATIC";
  spec.secret_access_key = "STATICSECRET";
  EXPECT_EQ(resolve_credentials(spec, now_).secret_access_key, "STATICSECRET");
  spec.secret_access_key = "";
  EXPECT_THROW(resolve_credentials(spec, now_), CredentialsError);
}

TEST_F(AuthCredentials, SharedFilesProfilesAndPrecedence) {
  write("credentials", "[default]\naws_access_key_id = AKDEF\naws_secret_access_key = DEFSECRET\n"
                       "# comment\n[dev]\naws_access_key_id=AKDEV\naws_secret_access_key=DEVSECRET\n"
                       "aws_session_token = DEVTOKEN\n");
  write("config", "[default]\nregion = us-east-1\n[profile cfgonly]\naws_access_key_id = AKCFG\n"
                  "aws_secret_access_key = CFGSECRET\n[profile dev]\naws_access_key_id = IGNORED\n"
                  "aws_secret_access_key = IGNORED\n");
  EXPECT_EQ(credentials_from_profile(std::nullopt, now_)->access_key_id, "AKDEF");
  auto dev = credentials_from_profile(std::string("dev"), now_);
  EXPECT_EQ(dev->access_key_id, "AKDEV");  // the credentials file wins over config
  EXPECT_EQ(dev->session_token, "DEVTOKEN");
  EXPECT_EQ(credentials_from_profile(std::string("cfgonly"), now_)->access_key_id, "AKCFG");
  ::setenv("AWS_PROFILE", "cfgonly", 1);
  EXPECT_EQ(credentials_from_profile(std::nullopt, now_)->access_key_id, "AKCFG");
  EXPECT_FALSE(credentials_from_profile(std::string("nosuch"), now_));
  scenario::AwsCredentialsSpec spec;
  spec.source = scenario::CredentialsSource::Profile;
  spec.profile = "nosuch";
  try {
    resolve_credentials(spec, now_);
    ADD_FAILURE();
  } catch (const CredentialsError& e) {
    EXPECT_NE(std::string(e.what()).find("profile credentials: profile \"nosuch\""), std::string::npos);
  }
}

TEST_F(AuthCredentials, CredentialProcessReadsVersion1Json) {
  const std::string cmd = process(
      R"({"Version": 1, "AccessKeyId": "AKPROC", "SecretAccessKey": "PROCSECRET",
          "SessionToken": "PROC\/TOKEN", "Expiration": "2025-11-26T13:00:00Z"})");
  AwsCredentials c = credentials_from_process(cmd, now_);
  EXPECT_EQ(c.access_key_id, "AKPROC");
  EXPECT_EQ(c.secret_access_key, "PROCSECRET");
  EXPECT_EQ(c.session_token, "PROC/TOKEN");
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(*c.expiration - now_, std::chrono::hours(1));
}

TEST_F(AuthCredentials, FarFutureExpirationsDoNotExpireSoon) {
  // 2262-04-12 is past what a nanosecond system_clock holds; 9999 is the largest 4-digit year.
  for (const char* when : {"2262-04-12T00:00:00Z", "2300-01-01T00:00:00+05:00", "9999-12-31T23:59:59.999Z"}) {
    const std::string cmd = process(std::string(R"({"Version": 1, "AccessKeyId": "AKFAR", "SecretAccessKey": "S",
        "Expiration": ")") + when + "\"}");
    const AwsCredentials c = credentials_from_process(cmd, now_);
    ASSERT_TRUE(c.expiration) << when;
    EXPECT_GT(*c.expiration, now_ + std::chrono::hours(24 * 365 * 200)) << when;
    // Cached, never refreshed: such credentials do not expire soon.
    scenario::AwsCredentialsSpec spec;
    spec.source = scenario::CredentialsSource::Process;
    spec.credential_process = cmd;
    CredentialsProvider p(spec);
    EXPECT_EQ(p.get(now_).access_key_id, "AKFAR");
    write("proc.sh", "#!/bin/sh\nexit 9\n", true);  // a refresh would fail now
    EXPECT_EQ(p.get(now_ + std::chrono::hours(24 * 365 * 100)).access_key_id, "AKFAR") << when;
  }
  // Still exact where the clock reaches, offsets included.
  const AwsCredentials c = credentials_from_process(
      process(R"({"Version": 1, "AccessKeyId": "AK", "SecretAccessKey": "S", "Expiration": "2025-11-26T14:30:00+02:00"})"),
      now_);
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(*c.expiration - now_, std::chrono::minutes(30));
  // Not a date: refused as malformed, never read as some other time.
  for (const char* bad : {"2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-11-26T25:00:00Z", "soon"}) {
    try {
      credentials_from_process(process(std::string(R"({"Version": 1, "AccessKeyId": "AK", "SecretAccessKey": "S",
          "Expiration": ")") + bad + "\"}"), now_);
      ADD_FAILURE() << bad << " accepted";
    } catch (const CredentialsError& e) {
      EXPECT_EQ(e.failure(), CredentialsFailure::Malformed) << bad;
    }
  }
}

TEST_F(AuthCredentials, CredentialProcessFailuresAreClearAndSecretFree) {
  CredentialsFailure why = CredentialsFailure::Missing;
  auto error = [&](const std::string& cmd) {
    try {
      credentials_from_process(cmd, now_);
    } catch (const CredentialsError& e) {
      why = e.failure();
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  std::string e = error(process(R"({"Version": 1, "AccessKeyId": "AK", "SecretAccessKey": "EXPSECRET",
      "Expiration": "2025-11-26T11:59:59Z"})"));
  EXPECT_NE(e.find("expired at 2025-11-26T11:59:59Z"), std::string::npos) << e;
  EXPECT_EQ(why, CredentialsFailure::Expired);
  EXPECT_STREQ(to_string(why), "credentials_expired");
  EXPECT_EQ(e.find("EXPSECRET"), std::string::npos) << e;
  e = error(process(R"({"Version": 2, "AccessKeyId": "AK", "SecretAccessKey": "V2SECRET"})"));
  EXPECT_NE(e.find("\"Version\" must be 1, got 2"), std::string::npos) << e;
  EXPECT_EQ(e.find("V2SECRET"), std::string::npos) << e;
  e = error(process(R"({"Version": 1, "AccessKeyId": "AK", "SecretAccessKey": "EXITSECRET"})", 3));
  EXPECT_NE(e.find("exited with status 3"), std::string::npos) << e;
  EXPECT_EQ(why, CredentialsFailure::ProcessFailed);
  e = error(process("not json"));
  EXPECT_NE(e.find("did not print a JSON object"), std::string::npos) << e;
  EXPECT_EQ(why, CredentialsFailure::Malformed);
  e = error(process(R"({"Version": 1, "AccessKeyId": "AK"})"));
  EXPECT_NE(e.find("lacks AccessKeyId or SecretAccessKey"), std::string::npos) << e;
}

TEST_F(AuthCredentials, DefaultChainOrderEnvironmentThenProfileThenProcess) {
  scenario::AwsCredentialsSpec spec;  // default chain
  try {
    resolve_credentials(spec, now_);
    ADD_FAILURE();
  } catch (const CredentialsError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("default credentials chain: no credentials found"));
    EXPECT_EQ(e.failure(), CredentialsFailure::Missing);
  }
  const std::string cmd = process(R"({"Version": 1, "AccessKeyId": "AKPROC", "SecretAccessKey": "S"})");
  write("config", "[default]\ncredential_process = " + cmd + "\n");
  EXPECT_EQ(resolve_credentials(spec, now_).access_key_id, "AKPROC");
  write("credentials", "[default]\naws_access_key_id = AKFILE\naws_secret_access_key = S\n");
  EXPECT_EQ(resolve_credentials(spec, now_).access_key_id, "AKFILE");
  ::setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "S", 1);
  EXPECT_EQ(resolve_credentials(spec, now_).access_key_id, "AKENV");
}

TEST_F(AuthCredentials, ProviderCachesAndRefreshesBeforeExpiry) {
  // The script counts its runs in a file so the test sees each refresh.
  write("count.sh",
        "#!/bin/sh\nn=$(cat " + (dir_ / "n").string() + " 2>/dev/null || echo 0)\nn=$((n+1))\n"
        "echo $n > " + (dir_ / "n").string() + "\n"
        "printf '{\"Version\":1,\"AccessKeyId\":\"AK%s\",\"SecretAccessKey\":\"S\","
        "\"Expiration\":\"2025-11-26T12:10:00Z\"}' $n\n",
        true);
  scenario::AwsCredentialsSpec spec;
  spec.source = scenario::CredentialsSource::Process;
  spec.credential_process = (dir_ / "count.sh").string();
  CredentialsProvider p(spec);
  EXPECT_EQ(p.get(now_).access_key_id, "AK1");
  EXPECT_EQ(p.get(now_ + std::chrono::minutes(5)).access_key_id, "AK1");  // cached
  EXPECT_EQ(p.get(now_ + std::chrono::minutes(9) + std::chrono::seconds(30)).access_key_id, "AK2");
}

}  // namespace
}  // namespace fleetload::auth
