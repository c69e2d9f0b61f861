// What the AWS IoT e2e tests share: a Fleet Provisioning claim PKI and the broker listener
// and responder configuration that go with it, and the responder summary's counts (the
// service's books, independent of the fleet's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace fleetload::e2e {

// The certificate subject CN of the claim every provisioning device starts with.
inline constexpr const char* kClaimCn = "fleetload-claim";

// A CA, a server certificate for 127.0.0.1 / localhost and one claim certificate
// (device-0.crt / device-0.key, CN kClaimCn) under `dir`, made in-process.
void generate_claim_pki(const std::filesystem::path& dir);

// mosquitto.conf lines: a TLS listener on 127.0.0.1:`port` with the PKI's server
// certificate, requiring client certificates of its CA and taking each certificate's CN as
// the user name (use_identity_as_username), so its log tells the identities apart.
std::string mtls_listener_config(std::uint16_t port, const std::filesystem::path& pki);

// The responder's `provisioning:` section: the PKI's CA signs, and the template
// FleetTemplate names things "thing-{SerialNumber}".
std::string responder_provisioning_config(const std::filesystem::path& pki);

// A scenario `auth:` section presenting the claim certificate (mtls_from_path), each line
// indented by `indent` spaces (0 at the top level, 4 inside a group).
std::string claim_auth_yaml(const std::filesystem::path& pki, int indent = 0);

// One connection as mosquitto logged it.
struct Seen {
  std::size_t line;      // position in the log
  std::string username;  // the certificate's CN (use_identity_as_username)
};

// The connections of mosquitto's log (log_connections), by client id: who came in under
// which certificate, and how each connection ended.
struct BrokerView {
  std::map<std::string, std::vector<Seen>> connects;      // client id -> its connections
  std::map<std::string, std::vector<std::size_t>> clean;  // client id -> "disconnected." lines
  std::map<std::string, std::vector<std::size_t>> other;  // client id -> any other end
  std::size_t last_connect = 0;
};

// mosquitto 2.0: "New client connected from 127.0.0.1:P as ID (p5, c1, k30, u'CN')." and, at
// the end of a connection, "Client ID disconnected." after a DISCONNECT, or "Client ID closed
// its connection." / "... disconnected due to ..." / "... has exceeded timeout ..." otherwise.
BrokerView read_log(const std::string& log);

// From the responder's summary line "job <id>: FAILED 12 SUCCEEDED 88 (100 executions)": the
// count of `status`, 0 when absent from the line, ~0 when the job has no line.
std::uint64_t responder_job_count(const std::string& summary, const std::string& id, const std::string& status);

// From the summary's request table: the row of `api` (e.g. provisioning_register_thing):
// its accepted count (`reason` empty) or its rejections for `reason` (e.g.
// ResourceNotFound); ~0 when the API has no row (no such request was received).
std::uint64_t responder_requests(const std::string& summary, const std::string& api, const std::string& reason = "");

// "things provisioned: N" of the summary; ~0 when absent.
std::uint64_t responder_things_provisioned(const std::string& summary);

}  // namespace fleetload::e2e
