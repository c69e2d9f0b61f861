// The AWS IoT e2e tests' claim PKI, listener and responder configuration, summary readers.
#include "e2e/aws_iot_support.hpp"

#include <regex>
#include <sstream>

#include "auth/certgen.hpp"

namespace fleetload::e2e {

namespace fs = std::filesystem;

void generate_claim_pki(const fs::path& dir) {
  auth::CertOptions o;
  o.out_dir = dir;
  o.devices = 1;  // device-0: the claim certificate every device starts with
  o.device_common_name = kClaimCn;
  o.threads = 1;
  auth::generate_fleet_certs(o);
}

std::string mtls_listener_config(std::uint16_t port, const fs::path& pki) {
  return "listener " + std::to_string(port) + " 127.0.0.1\ncafile " + (pki / "ca.crt").string() + "\ncertfile " +
         (pki / "server.crt").string() + "\nkeyfile " + (pki / "server.key").string() +
         "\nrequire_certificate true\nuse_identity_as_username true\n";
}

std::string responder_provisioning_config(const fs::path& pki) {
  return "provisioning:\n"
         "  ca_cert: " + (pki / "ca.crt").string() + "\n"
         "  ca_key: " + (pki / "ca.key").string() + "\n"
         "  templates:\n"
         "    - name: FleetTemplate\n"
         "      thing_name: \"thing-{SerialNumber}\"\n";
}

std::string claim_auth_yaml(const fs::path& pki, int indent) {
  const std::string in(static_cast<std::size_t>(indent), ' ');
  return in + "auth:\n" + in + "  mode: mtls_from_path\n" +
         in + "  cert_filepath: " + (pki / "device-0.crt").string() + "\n" +
         in + "  pri_key_filepath: " + (pki / "device-0.key").string() + "\n" +
         in + "  ca_filepath: " + (pki / "ca.crt").string() + "\n";
}

BrokerView read_log(const std::string& log) {
  BrokerView v;
  static const std::regex connect(R"(New client connected from \S+ as (\S+) \(p\d, c\d, k\d+, u'([^']*)'\))");
  static const std::regex clean(R"(Client (\S+) disconnected\.$)");
  static const std::regex other(
      R"(Client (\S+) (closed its connection|disconnected due to|has exceeded timeout|disconnected, not authorised|disconnected: ))");
  std::istringstream in(log);
  std::string line;
  for (std::size_t i = 0; std::getline(in, line); ++i) {
    std::smatch m;
    if (std::regex_search(line, m, connect)) {
      v.connects[m[1]].push_back({i, m[2]});
      v.last_connect = i;
    } else if (std::regex_search(line, m, clean)) {
      v.clean[m[1]].push_back(i);
    } else if (std::regex_search(line, m, other)) {
      v.other[m[1]].push_back(i);
    }
  }
  return v;
}

std::uint64_t responder_job_count(const std::string& summary, const std::string& id, const std::string& status) {
  std::smatch line;
  if (!std::regex_search(summary, line, std::regex("job " + id + ":([^\\n]*)"))) return ~0ull;
  const std::string rest = line[1];
  std::smatch m;
  if (!std::regex_search(rest, m, std::regex(" " + status + " (\\d+)"))) return 0;
  return std::stoull(m[1]);
}

std::uint64_t responder_requests(const std::string& summary, const std::string& api, const std::string& reason) {
  // "<api padded>  accepted  rejected  p50  p99  max  <reason>: n, <reason>: n"
  std::smatch row;
  if (!std::regex_search(summary, row, std::regex("(^|\\n)" + api + " +(\\d+) +\\d+ [^\\n]*"))) return ~0ull;
  if (reason.empty()) return std::stoull(row[2]);
  const std::string line = row[0];
  std::smatch m;
  if (!std::regex_search(line, m, std::regex(" " + reason + ": (\\d+)"))) return 0;
  return std::stoull(m[1]);
}

std::uint64_t responder_things_provisioned(const std::string& summary) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex("things provisioned: (\\d+)"))) return ~0ull;
  return std::stoull(m[1]);
}

}  // namespace fleetload::e2e
