// Test PKI for a fleet: a CA, N device certificates and keys (optionally PKCS#12 bundles)
// and a server certificate for 127.0.0.1/localhost. Engine of `fleetload certs`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace fleetload::auth {

enum class CertKeyType : std::uint8_t { EcdsaP256, Rsa2048 };

struct CertOptions {
  std::filesystem::path out_dir;      // created when missing
  std::uint64_t devices = 1;          // device-{index} for index in [first_index, first_index+devices)
  std::uint64_t first_index = 0;
  CertKeyType key_type = CertKeyType::EcdsaP256;  // every key: CA, server, devices
  bool pkcs12 = false;                // also write device-{index}.p12
  std::string pkcs12_password;        // the bundles' password (secret)
  std::string ca_common_name = "fleetload test CA";
  // Device certificate CN; {index} is replaced. AWS IoT ignores it; brokers may map it.
  std::string device_common_name = "fleetload-device-{index}";
  std::vector<std::string> server_dns = {"localhost"};
  std::vector<std::string> server_ips = {"127.0.0.1", "::1"};
  unsigned days = 365;
  unsigned threads = 0;               // 0: one per hardware thread
  // Reuse ca.crt/ca.key from out_dir when present (adding devices to an existing fleet).
  bool reuse_ca = true;
};

struct CertResult {
  std::filesystem::path ca_cert, ca_key, server_cert, server_key;
  std::uint64_t devices = 0;
  double seconds = 0.0;  // wall time of the device part
};

class CertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes ca.crt, ca.key, server.crt, server.key and device-{index}.crt/.key[/.p12] into
// out_dir (keys mode 0600). Each device gets its own fresh key. Throws CertError.
CertResult generate_fleet_certs(const CertOptions& options);

// The file names used for device `index`.
std::filesystem::path device_cert_path(const std::filesystem::path& dir, std::uint64_t index);
std::filesystem::path device_key_path(const std::filesystem::path& dir, std::uint64_t index);
std::filesystem::path device_p12_path(const std::filesystem::path& dir, std::uint64_t index);

}  // namespace fleetload::auth
