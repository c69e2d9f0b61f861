// Credential providers: environment, static, shared files, credential_process, default chain.
#include "auth/credentials.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>

namespace fleetload::auth {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string expand_home(const std::string& path) {
  if (!path.starts_with("~")) return path;
  auto home = env("HOME");
  return home ? *home + path.substr(1) : path;
}

using Section = std::map<std::string, std::string>;

// INI as the AWS CLI writes it: [section], key = value, # and ; comments.
std::map<std::string, Section> read_ini(const std::string& path) {
  std::map<std::string, Section> out;
  std::ifstream in(path);
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      current = trim(std::string_view(t).substr(1, t.size() - 2));
      out[current];
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos || current.empty()) continue;
    out[current][trim(std::string_view(t).substr(0, eq))] = trim(std::string_view(t).substr(eq + 1));
  }
  return out;
}

// Parses "2026-11-26T12:00:00Z" (fractions and +00:00 / -05:30 offsets allowed). Calendar
// arithmetic in std::chrono (no timegm, no time_t): a time past what Clock can hold (about
// year 2262 for a nanosecond system_clock) is Clock's maximum, i.e. "does not expire soon",
// never an overflow.
std::optional<Clock::time_point> parse_iso8601(const std::string& s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  int used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6) return std::nullopt;
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0) return std::nullopt;
  // Seconds since the epoch in 64 bits: years 0000-9999 fit with room to spare.
  std::int64_t t = static_cast<std::int64_t>(sys_days(date).time_since_epoch().count()) * 86400 + h * 3600 + mi * 60 + sec;
  // A numeric offset after the seconds (and optional fraction): +hh:mm / -hh:mm.
  std::size_t pos = static_cast<std::size_t>(used);
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2 || oh < 0 || oh > 23 || om < 0 || om > 59)
      return std::nullopt;
    const std::int64_t off = oh * 3600 + om * 60;
    t += s[pos] == '+' ? -off : off;
  }
  const std::int64_t max_s = duration_cast<seconds>(Clock::time_point::max().time_since_epoch()).count();
  const std::int64_t min_s = duration_cast<seconds>(Clock::time_point::min().time_since_epoch()).count();
  if (t >= max_s) return Clock::time_point::max();
  if (t <= min_s) return Clock::time_point::min();
  return Clock::time_point(duration_cast<Clock::duration>(seconds(t)));
}

// A flat JSON object of string/number/bool/null values (what credential_process prints).
std::optional<std::map<std::string, std::string>> parse_flat_json(std::string_view j) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  auto ws = [&] {
    while (i < j.size() && std::string_view(" \t\r\n").find(j[i]) != std::string_view::npos) ++i;
  };
  auto str = [&]() -> std::optional<std::string> {
    if (i >= j.size() || j[i] != '"') return std::nullopt;
    ++i;
    std::string v;
    while (i < j.size() && j[i] != '"') {
      char c = j[i++];
      if (c == '\\') {
        if (i >= j.size()) return std::nullopt;
        char e = j[i++];
        switch (e) {
          case 'n': v += '\n'; break;
          case 't': v += '\t'; break;
          case 'r': v += '\r'; break;
          case 'b': v += '\b'; break;
          case 'f': v += '\f'; break;
          case 'u': {
            if (i + 4 > j.size()) return std::nullopt;
            const unsigned long cp = std::strtoul(std::string(j.substr(i, 4)).c_str(), nullptr, 16);
            i += 4;
            if (cp < 0x80) v += static_cast<char>(cp);
            else if (cp < 0x800) {
              v += static_cast<char>(0xC0 | (cp >> 6));
              v += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
              v += static_cast<char>(0xE0 | (cp >> 12));
              v += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
              v += static_cast<char>(0x80 | (cp & 0x3F));
            }
            break;
          }
          default: v += e;
        }
      } else {
        v += c;
      }
    }
    if (i >= j.size()) return std::nullopt;
    ++i;
    return v;
  };
  ws();
  if (i >= j.size() || j[i] != '{') return std::nullopt;
  ++i;
  ws();
  if (i < j.size() && j[i] == '}') return out;
  while (true) {
    ws();
    auto k = str();
    if (!k) return std::nullopt;
    ws();
    if (i >= j.size() || j[i] != ':') return std::nullopt;
    ++i;
    ws();
    std::optional<std::string> v;
    if (i < j.size() && j[i] == '"') {
      v = str();
    } else {
      const auto end = j.find_first_of(",} \t\r\n", i);
      if (end == std::string_view::npos || end == i) return std::nullopt;
      v = std::string(j.substr(i, end - i));
      i = end;
    }
    if (!v) return std::nullopt;
    out[*k] = *v;
    ws();
    if (i < j.size() && j[i] == ',') {
      ++i;
      continue;
    }
    if (i < j.size() && j[i] == '}') return out;
    return std::nullopt;
  }
}

struct ProfileData {
  std::string name;
  Section merged;  // config first, credentials file keys win
};

ProfileData load_profile(const std::optional<std::string>& profile) {
  ProfileData p;
  p.name = profile ? *profile : env("AWS_PROFILE").value_or("default");
  const std::string config = expand_home(env("AWS_CONFIG_FILE").value_or("~/.aws/config"));
  const std::string creds =
      expand_home(env("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
  auto cfg = read_ini(config);
  const std::string cfg_section = p.name == "default" ? "default" : "profile " + p.name;
  if (auto it = cfg.find(cfg_section); it != cfg.end()) p.merged = it->second;
  // The AWS CLI also accepts "[default]" written as "[profile default]".
  if (p.name == "default") {
    if (auto it = cfg.find("profile default"); it != cfg.end()) {
      for (const auto& [k, v] : it->second) p.merged.emplace(k, v);
    }
  }
  auto cr = read_ini(creds);
  if (auto it = cr.find(p.name); it != cr.end()) {
    for (const auto& [k, v] : it->second) p.merged[k] = v;
  }
  return p;
}

}  // namespace

const char* to_string(CredentialsFailure f) noexcept {
  switch (f) {
    case CredentialsFailure::Missing: return "credentials_missing";
    case CredentialsFailure::Expired: return "credentials_expired";
    case CredentialsFailure::ProcessFailed: return "credential_process_failed";
    case CredentialsFailure::Malformed: return "credentials_malformed";
  }
  return "?";
}

std::optional<AwsCredentials> credentials_from_environment() {
  auto id = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::nullopt;
  if (!id || !secret) {
    throw CredentialsError(CredentialsFailure::Missing, std::string("environment credentials: ") +
                           (id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                           " is not set while " + (id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                           " is");
  }
  AwsCredentials c;
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  c.session_token = env("AWS_SESSION_TOKEN").value_or("");
  return c;
}

AwsCredentials credentials_from_static(const scenario::AwsCredentialsSpec& spec) {
  if (!spec.access_key_id || spec.access_key_id->empty() || !spec.secret_access_key ||
      spec.secret_access_key->empty()) {
    throw CredentialsError(CredentialsFailure::Missing, 
        "static credentials: auth.credentials needs a non-empty access_key_id and "
        "secret_access_key");
  }
  AwsCredentials c;
  c.access_key_id = *spec.access_key_id;
  c.secret_access_key = *spec.secret_access_key;
  c.session_token = spec.session_token.value_or("");
  return c;
}

std::optional<AwsCredentials> credentials_from_profile(const std::optional<std::string>& profile,
                                                       Clock::time_point now) {
  ProfileData p = load_profile(profile);
  const auto id = p.merged.find("aws_access_key_id");
  const auto secret = p.merged.find("aws_secret_access_key");
  if (id != p.merged.end() || secret != p.merged.end()) {
    if (id == p.merged.end() || secret == p.merged.end() || id->second.empty() ||
        secret->second.empty()) {
      throw CredentialsError(CredentialsFailure::Missing, "profile credentials: profile \"" + p.name +
                             "\" needs both aws_access_key_id and aws_secret_access_key");
    }
    AwsCredentials c;
    c.access_key_id = id->second;
    c.secret_access_key = secret->second;
    if (auto t = p.merged.find("aws_session_token"); t != p.merged.end()) c.session_token = t->second;
    return c;
  }
  if (auto proc = p.merged.find("credential_process"); proc != p.merged.end()) {
    return credentials_from_process(proc->second, now);
  }
  return std::nullopt;
}

AwsCredentials credentials_from_process(const std::string& command, Clock::time_point now) {
  const std::string who = "credential_process \"" + command + "\": ";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw CredentialsError(CredentialsFailure::ProcessFailed, who + "cannot start /bin/sh");
  std::string output;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    output.append(buf.data(), n);
    if (output.size() > 1 << 20) break;  // credentials are small; do not read forever
  }
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw CredentialsError(CredentialsFailure::ProcessFailed, who + "exited with status " +
                           std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  auto json = parse_flat_json(output);
  if (!json) throw CredentialsError(CredentialsFailure::Malformed, who + "did not print a JSON object");
  auto field = [&](const char* k) -> std::optional<std::string> {
    auto it = json->find(k);
    if (it == json->end() || it->second.empty() || it->second == "null") return std::nullopt;
    return it->second;
  };
  if (field("Version") != "1") {
    throw CredentialsError(CredentialsFailure::Malformed, who + "JSON \"Version\" must be 1, got " +
                           field("Version").value_or("nothing"));
  }
  AwsCredentials c;
  auto id = field("AccessKeyId");
  auto secret = field("SecretAccessKey");
  if (!id || !secret) throw CredentialsError(CredentialsFailure::Malformed, who + "JSON lacks AccessKeyId or SecretAccessKey");
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  c.session_token = field("SessionToken").value_or("");
  if (auto exp = field("Expiration")) {
    auto t = parse_iso8601(*exp);
    if (!t) throw CredentialsError(CredentialsFailure::Malformed, who + "Expiration \"" + *exp + "\" is not an ISO 8601 time");
    if (*t <= now) {
      throw CredentialsError(CredentialsFailure::Expired, who + "the credentials it returned expired at " + *exp +
                             "; refresh them (e.g. log in again) and retry");
    }
    c.expiration = *t;
  }
  return c;
}

AwsCredentials resolve_credentials(const scenario::AwsCredentialsSpec& spec, Clock::time_point now) {
  using scenario::CredentialsSource;
  switch (spec.source) {
    case CredentialsSource::Static: return credentials_from_static(spec);
    case CredentialsSource::Environment:
      if (auto c = credentials_from_environment()) return *c;
      throw CredentialsError(CredentialsFailure::Missing, 
          "environment credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    case CredentialsSource::Profile:
      if (auto c = credentials_from_profile(spec.profile, now)) return *c;
      throw CredentialsError(CredentialsFailure::Missing, "profile credentials: profile \"" +
                             spec.profile.value_or(env("AWS_PROFILE").value_or("default")) +
                             "\" has no aws_access_key_id/aws_secret_access_key nor "
                             "credential_process in the shared credentials or config file");
    case CredentialsSource::Process:
      return credentials_from_process(spec.credential_process.value_or(""), now);
    case CredentialsSource::DefaultChain:
      break;
  }
  if (auto c = credentials_from_environment()) return *c;
  if (auto c = credentials_from_profile(spec.profile, now)) return *c;
  throw CredentialsError(CredentialsFailure::Missing, 
      "default credentials chain: no credentials found (tried environment AWS_ACCESS_KEY_ID/"
      "AWS_SECRET_ACCESS_KEY, shared files profile \"" +
      spec.profile.value_or(env("AWS_PROFILE").value_or("default")) +
      "\" and its credential_process; instance metadata is out of reach)");
}

AwsCredentials CredentialsProvider::get(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  // Refresh a little before expiry so a handshake is never signed with dying credentials.
  constexpr auto kMargin = std::chrono::seconds(60);
  if (!cached_ || (cached_->expiration && *cached_->expiration - kMargin <= now)) {
    cached_ = resolve_credentials(spec_, now);
  }
  return *cached_;
}

}  // namespace fleetload::auth
