// `fleetload certs`: argument parsing, the output-directory check, progress, and the
// scenario / mosquitto snippets printed at the end.
#include "cli/cmd_certs.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>

#include "cli/args.hpp"

namespace fleetload::cli {
namespace {

namespace fs = std::filesystem;
constexpr const char* kDefaultPasswordEnv = "FLEETLOAD_PKCS12_PASSWORD";

std::uint64_t parse_count(std::string_view text, std::string_view flag, std::uint64_t min, std::uint64_t max) {
  std::uint64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || v < min || v > max) {
    throw ArgError("certs: " + std::string(flag) + ": expected a whole number from " + std::to_string(min) +
                   " to " + std::to_string(max) + ", got \"" + std::string(text) + "\"");
  }
  return v;
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// The first line of `path`, without its line end. Never echoes the content.
std::string read_password_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ArgError("certs: --pkcs12-password-file: cannot read \"" + path + "\"");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw ArgError("certs: --pkcs12-password-file: the first line of \"" + path + "\" is empty");
  return line;
}

std::optional<std::string> value_of(const std::vector<std::string>& args, std::size_t& i, std::string_view name) {
  return take_option_value(args, i, name, "certs");
}

// Counts the entries of `dir` (stops at 1000); -1 when it is not a directory.
long entries_in(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  if (!fs::is_directory(dir, ec)) return -1;
  long n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator() && n < 1000; it.increment(ec)) {
    ++n;
  }
  return n;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::string certs_help() {
  return "Usage: fleetload certs --devices N --out DIR [options]\n"
         "\n"
         "Writes a test PKI for a fleet into DIR: ca.crt/ca.key, server.crt/server.key (a\n"
         "broker certificate for localhost, 127.0.0.1 and ::1), one certificate and key per\n"
         "device (device-{index}.crt/.key by default; .p12 with --pkcs12) and devices.csv\n"
         "(index,client_id,cert,key[,pkcs12]). Keys are mode 0600. At the end it prints the\n"
         "scenario lines that use the files, and a mosquitto listener that trusts the CA.\n"
         "\n"
         "Options:\n"
         "  --devices N            devices (indices FIRST .. FIRST+N-1)\n"
         "  --out DIR              output directory; refused when not empty unless --force\n"
         "  --force                write into a non-empty DIR: its ca.crt/ca.key are reused,\n"
         "                         files with the same names are replaced\n"
         "  --key-type T           ecdsa-p256 (default) or rsa2048 (CA, broker and devices)\n"
         "  --first-index I        first device index (default 0), to grow a fleet\n"
         "  --client-id TEMPLATE   as the scenario's fleet.client_id ({index} {shard});\n"
         "                         default fleetload-{index}\n"
         "  --shards N             {shard} of device i is i % N (fleetload run --shard K/N)\n"
         "  --index-width W        zero-pad {index}, as fleet.index_width\n"
         "  --name TEMPLATE        device file name without extension ({index} {shard}\n"
         "                         {client_id}; '/' makes subdirectories); default device-{index}\n"
         "  --cn TEMPLATE          device certificate CN; default {client_id}\n"
         "  --server-name NAME     extra broker certificate name (DNS name or IP; repeatable)\n"
         "  --days D               validity (default 365)\n"
         "  --threads N            generating threads (default: one per core)\n"
         "  --pkcs12               also write a PKCS#12 bundle per device (key, certificate, CA)\n"
         "  --pkcs12-password-env VAR   read the bundle password from VAR\n"
         "                         (default FLEETLOAD_PKCS12_PASSWORD)\n"
         "  --pkcs12-password-file FILE read it from the first line of FILE\n"
         "The password is never accepted on the command line and never printed.\n"
         "\n"
         "Exit codes: 0 written, 2 bad arguments or a non-empty DIR, 3 generation failed.\n";
}

CertsArgs parse_certs_args(const std::vector<std::string>& args, const char* (*getenv)(const char*)) {
  CertsArgs a;
  auto& o = a.options;
  o.device_common_name = "{client_id}";
  bool have_devices = false;
  std::optional<std::string> password_env, password_file;
  for (std::size_t i = 0; i < args.size();) {
    const std::string& arg = args[i];
    std::optional<std::string> v;
    if (arg == "--force") {
      a.force = true;
      ++i;
    } else if (arg == "--pkcs12") {
      o.pkcs12 = true;
      ++i;
    } else if (arg == "--pkcs12-password" || arg.rfind("--pkcs12-password=", 0) == 0) {
      throw ArgError("certs: --pkcs12-password is not accepted (a password on the command line shows in ps and "
                     "shell history): use --pkcs12-password-env VAR or --pkcs12-password-file FILE");
    } else if ((v = value_of(args, i, "--devices"))) {
      o.devices = parse_count(*v, "--devices", 1, 100'000'000);
      have_devices = true;
    } else if ((v = value_of(args, i, "--out"))) {
      if (v->empty()) throw ArgError("certs: --out: expected a directory");
      o.out_dir = *v;
    } else if ((v = value_of(args, i, "--key-type"))) {
      if (*v == "ecdsa-p256" || *v == "ec" || *v == "ecdsa" || *v == "p256") o.key_type = auth::CertKeyType::EcdsaP256;
      else if (*v == "rsa2048" || *v == "rsa-2048" || *v == "rsa") o.key_type = auth::CertKeyType::Rsa2048;
      else throw ArgError("certs: --key-type: expected ecdsa-p256 or rsa2048, got \"" + *v + "\"");
    } else if ((v = value_of(args, i, "--first-index"))) {
      o.first_index = parse_count(*v, "--first-index", 0, 1'000'000'000'000ULL);
    } else if ((v = value_of(args, i, "--client-id"))) {
      o.client_id = *v;
    } else if ((v = value_of(args, i, "--shards"))) {
      o.shards = static_cast<std::uint32_t>(parse_count(*v, "--shards", 1, 1'000'000));
    } else if ((v = value_of(args, i, "--index-width"))) {
      o.index_width = static_cast<std::uint32_t>(parse_count(*v, "--index-width", 0, 20));
    } else if ((v = value_of(args, i, "--name"))) {
      o.file_stem = *v;
    } else if ((v = value_of(args, i, "--cn"))) {
      o.device_common_name = *v;
    } else if ((v = value_of(args, i, "--server-name"))) {
      if (v->empty()) throw ArgError("certs: --server-name: expected a DNS name or an IP address");
      (is_ip(*v) ? o.server_ips : o.server_dns).push_back(*v);
    } else if ((v = value_of(args, i, "--days"))) {
      o.days = static_cast<unsigned>(parse_count(*v, "--days", 1, 36'500));
    } else if ((v = value_of(args, i, "--threads"))) {
      o.threads = static_cast<unsigned>(parse_count(*v, "--threads", 1, 1024));
    } else if ((v = value_of(args, i, "--pkcs12-password-env"))) {
      if (v->empty()) throw ArgError("certs: --pkcs12-password-env: expected an environment variable name");
      password_env = *v;
    } else if ((v = value_of(args, i, "--pkcs12-password-file"))) {
      password_file = *v;
    } else if (!arg.empty() && arg[0] == '-') {
      throw ArgError("certs: unknown option \"" + arg + "\" (see fleetload certs --help)");
    } else {
      throw ArgError("certs: unexpected argument \"" + arg + "\" (options only; see fleetload certs --help)");
    }
  }
  if (!have_devices) throw ArgError("certs: missing --devices N");
  if (o.out_dir.empty()) throw ArgError("certs: missing --out DIR");
  if (password_env && password_file) {
    throw ArgError("certs: give one of --pkcs12-password-env and --pkcs12-password-file");
  }
  if ((password_env || password_file) && !o.pkcs12) {
    throw ArgError("certs: a PKCS#12 password source was given without --pkcs12");
  }
  if (o.pkcs12) {
    if (password_file) {
      o.pkcs12_password = read_password_file(*password_file);
      a.password_source = "file " + *password_file;
    } else {
      const std::string var = password_env.value_or(kDefaultPasswordEnv);
      const char* p = getenv(var.c_str());
      if (p == nullptr || *p == '\0') {
        throw ArgError("certs: --pkcs12 needs a password: set the environment variable " + var +
                       " or use --pkcs12-password-file FILE");
      }
      o.pkcs12_password = p;
      a.password_source = "environment variable " + var;
    }
  }
  if (auto e = auth::check_cert_options(o)) throw ArgError("certs: " + *e);
  return a;
}

std::string certs_scenario_snippet(const CertsArgs& a) {
  const auto& o = a.options;
  const std::string dir = fs::absolute(o.out_dir).lexically_normal().string();
  const std::string base = dir + (dir.empty() || dir.back() == '/' ? "" : "/") + o.file_stem;
  std::string s;
  s += "fleet:\n";
  s += "  devices: " + std::to_string(o.first_index + o.devices) + "\n";
  s += "  client_id: " + quoted(o.client_id) + "\n";
  if (o.index_width != 0) s += "  index_width: " + std::to_string(o.index_width) + "\n";
  s += "auth:\n";
  if (o.pkcs12) {
    const std::string var = a.password_source.rfind("environment variable ", 0) == 0
                                ? a.password_source.substr(std::string("environment variable ").size())
                                : std::string(kDefaultPasswordEnv);
    s += "  mode: mtls_with_pkcs12\n";
    s += "  pkcs12_filepath: " + quoted(base + ".p12") + "\n";
    s += "  pkcs12_password: \"${" + var + "}\"\n";
  } else {
    s += "  mode: mtls_from_path\n";
    s += "  cert_filepath: " + quoted(base + ".crt") + "\n";
    s += "  pri_key_filepath: " + quoted(base + ".key") + "\n";
  }
  s += "  ca_filepath: " + quoted(dir + "/ca.crt") + "\n";
  return s;
}

int certs_command(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(certs_help().c_str(), stdout);
      return kExitOk;
    }
  }
  CertsArgs a;
  try {
    a = parse_certs_args(args, [](const char* n) -> const char* { return std::getenv(n); });
  } catch (const ArgError& e) {
    std::fprintf(stderr, "fleetload: %s\n", e.what());
    return kExitBadInput;
  }
  auth::CertOptions& o = a.options;
  const long n = entries_in(o.out_dir);
  if (n < 0) {
    std::fprintf(stderr, "fleetload: certs: --out %s exists and is not a directory\n", o.out_dir.c_str());
    return kExitBadInput;
  }
  if (n > 0 && !a.force) {
    std::fprintf(stderr,
                 "fleetload: certs: %s is not empty (%s%ld entries): choose a new directory, or add --force to "
                 "write into it (its ca.crt/ca.key are reused, same-named files are replaced)\n",
                 o.out_dir.c_str(), n >= 1000 ? "at least " : "", n);
    return kExitBadInput;
  }
  const bool tty = ::isatty(2) == 1;
  o.on_progress = [tty](std::uint64_t done, std::uint64_t total) {
    std::fprintf(stderr, tty ? "\rcerts: %llu/%llu devices" : "certs: %llu/%llu devices\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
  };
  std::fprintf(stderr, "certs: %llu %s devices into %s%s\n", static_cast<unsigned long long>(o.devices),
               auth::to_string(o.key_type), o.out_dir.c_str(),
               o.pkcs12 ? (" with PKCS#12 bundles (password from " + a.password_source + ")").c_str() : "");
  auth::CertResult r;
  try {
    r = auth::generate_fleet_certs(o);
  } catch (const std::exception& e) {
    if (tty) std::fputc('\n', stderr);
    std::fprintf(stderr, "fleetload: certs: %s\n", e.what());
    return kExitRuntimeFailure;
  }
  if (tty) std::fputc('\n', stderr);
  std::printf("Wrote %llu device identities (%s) in %.2f s on %u threads (%.0f devices/s) into %s\n",
              static_cast<unsigned long long>(r.devices), auth::to_string(o.key_type), r.seconds, r.threads,
              r.seconds > 0 ? static_cast<double>(r.devices) / r.seconds : 0.0, o.out_dir.c_str());
  std::printf("  CA:      %s, %s%s\n", r.ca_cert.c_str(), r.ca_key.c_str(), r.reused_ca ? " (reused)" : "");
  std::printf("  broker:  %s, %s\n", r.server_cert.c_str(), r.server_key.c_str());
  const std::string first = auth::device_file_stem(o, o.first_index);
  std::printf("  devices: %s/%s.crt .key%s ... (client id %s ...)\n", o.out_dir.c_str(), first.c_str(),
              o.pkcs12 ? " .p12" : "", auth::device_client_id(o, o.first_index).c_str());
  if (!r.manifest.empty()) std::printf("  list:    %s (index,client_id,cert,key%s)\n", r.manifest.c_str(),
                                       o.pkcs12 ? ",pkcs12" : "");
  std::printf("\n# Scenario lines for these identities:\n%s", certs_scenario_snippet(a).c_str());
  const std::string dir = fs::absolute(o.out_dir).lexically_normal().string();
  std::printf("\n# A mosquitto listener that requires them (mosquitto.conf):\n"
              "listener 8883 127.0.0.1\n"
              "cafile %s/ca.crt\ncertfile %s/server.crt\nkeyfile %s/server.key\n"
              "require_certificate true\nuse_identity_as_username true\n",
              dir.c_str(), dir.c_str(), dir.c_str());
  return kExitOk;
}

}  // namespace fleetload::cli
