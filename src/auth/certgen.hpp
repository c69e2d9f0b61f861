// Test PKI for a fleet: a CA, N device certificates and keys (optionally PKCS#12 bundles)
// and a server certificate for a local broker. Engine of `fleetload certs`.
//
// Layout of out_dir (docs/auth.md "Identities for a fleet"):
//   ca.crt, ca.key             the fleet CA (reused when present)
//   server.crt, server.key     broker certificate: localhost, 127.0.0.1, ::1 (+ extra names)
//   <stem>.crt, <stem>.key     per device; <stem> = file_stem rendered for the device
//   <stem>.p12                 per device with pkcs12 (certificate, key and the CA)
//   devices.csv                index,client_id,cert,key[,pkcs12] (paths relative to out_dir)
// Keys and bundles are created mode 0600.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fleetload::auth {

enum class CertKeyType : std::uint8_t { EcdsaP256, Rsa2048 };
const char* to_string(CertKeyType t) noexcept;

struct CertOptions {
  std::filesystem::path out_dir;      // created when missing
  std::uint64_t devices = 1;          // indices [first_index, first_index + devices)
  std::uint64_t first_index = 0;
  CertKeyType key_type = CertKeyType::EcdsaP256;  // every new key: CA, server, devices
  bool pkcs12 = false;                // also write <stem>.p12
  std::string pkcs12_password;        // the bundles' password (secret)
  std::string ca_common_name = "fleetload test CA";
  // The fleet's client ids as the scenario's `fleet.client_id` renders them: template with
  // {index} {shard}; {shard} of device i is i % shards (`fleetload run --shard K/N`).
  std::string client_id = "fleetload-{index}";
  std::uint32_t shards = 1;
  std::uint32_t index_width = 0;      // zero-pad {index}, as `fleet.index_width`
  // Templates with {index} {shard} {client_id}. The file stem may contain '/'
  // (subdirectories, created as needed); it is relative to out_dir.
  std::string file_stem = "device-{index}";
  // Device certificate subject CN. AWS IoT ignores it; mosquitto's use_identity_as_username
  // makes it the MQTT username.
  std::string device_common_name = "fleetload-device-{index}";
  std::vector<std::string> server_dns = {"localhost"};
  std::vector<std::string> server_ips = {"127.0.0.1", "::1"};
  unsigned days = 365;
  unsigned threads = 0;               // 0: one per hardware thread
  // Reuse ca.crt/ca.key from out_dir when present (adding devices to an existing fleet).
  bool reuse_ca = true;
  bool manifest = true;               // write devices.csv
  // Called about once a second from one generating thread with the devices done so far.
  std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
};

struct CertResult {
  std::filesystem::path ca_cert, ca_key, server_cert, server_key, manifest;
  bool reused_ca = false;
  std::uint64_t devices = 0;
  unsigned threads = 0;
  double seconds = 0.0;  // wall time of the device part
};

class CertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What is wrong with the options (templates, counts, file stem), or nullopt. Touches no file.
std::optional<std::string> check_cert_options(const CertOptions& options);

// Writes the layout above (see the top of this file). Each device gets its own fresh key.
// Throws CertError (bad options, unreadable CA, I/O).
CertResult generate_fleet_certs(const CertOptions& options);

// Device `index`'s client id and file stem under `options`.
std::string device_client_id(const CertOptions& options, std::uint64_t index);
std::string device_file_stem(const CertOptions& options, std::uint64_t index);

// The file names of device `index` in the default layout (file_stem "device-{index}").
std::filesystem::path device_cert_path(const std::filesystem::path& dir, std::uint64_t index);
std::filesystem::path device_key_path(const std::filesystem::path& dir, std::uint64_t index);
std::filesystem::path device_p12_path(const std::filesystem::path& dir, std::uint64_t index);

}  // namespace fleetload::auth
