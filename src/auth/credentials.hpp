// AWS credential providers for SigV4: static, environment, shared files, credential_process,
// and the SDK's default chain (aws doc §3). Errors name the provider, never a secret.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "auth/sigv4.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::auth {

// Why no credentials: the run counts failures by these names.
enum class CredentialsFailure : std::uint8_t {
  Missing,        // no provider had credentials / a required variable or key is absent
  Expired,        // credential_process returned expired credentials
  ProcessFailed,  // credential_process could not run or exited non-zero
  Malformed,      // credential_process output is not the expected JSON
};
const char* to_string(CredentialsFailure f) noexcept;

// A provider could not give credentials. what() is "<provider>: <reason>", secret-free.
class CredentialsError : public std::runtime_error {
 public:
  CredentialsError(CredentialsFailure f, const std::string& msg)
      : std::runtime_error(msg), failure_(f) {}
  CredentialsFailure failure() const noexcept { return failure_; }

 private:
  CredentialsFailure failure_;
};

using Clock = std::chrono::system_clock;

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. nullopt when the key id or
// the secret is unset; throws when only one of them is set.
std::optional<AwsCredentials> credentials_from_environment();

// Static keys (from the scenario, possibly via ${ENV}).
AwsCredentials credentials_from_static(const scenario::AwsCredentialsSpec& spec);

// The profile's keys from the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials), then the config file ($AWS_CONFIG_FILE or ~/.aws/config, section
// "[profile x]" or "[default]"); a profile with only credential_process runs it. Profile:
// `profile`, else $AWS_PROFILE, else "default". nullopt when the profile has neither.
std::optional<AwsCredentials> credentials_from_profile(const std::optional<std::string>& profile,
                                                       Clock::time_point now);

// Runs `command` with /bin/sh, reads its JSON (Version 1, AccessKeyId, SecretAccessKey,
// SessionToken, Expiration). Throws on failure, bad JSON, or expired credentials.
AwsCredentials credentials_from_process(const std::string& command, Clock::time_point now);

// Resolves credentials as `spec` says; DefaultChain tries environment, profile files, then
// the profile's credential_process, in the SDK's order. Throws CredentialsError.
AwsCredentials resolve_credentials(const scenario::AwsCredentialsSpec& spec, Clock::time_point now);

// Caches resolved credentials for every connection attempt, re-resolving shortly before
// they expire. Thread-safe: devices on several threads sign with it.
class CredentialsProvider {
 public:
  explicit CredentialsProvider(scenario::AwsCredentialsSpec spec) : spec_(std::move(spec)) {}
  // Throws CredentialsError (e.g. expired and the refresh failed).
  AwsCredentials get(Clock::time_point now);

 private:
  scenario::AwsCredentialsSpec spec_;
  std::mutex mutex_;
  std::optional<AwsCredentials> cached_;
};

}  // namespace fleetload::auth
