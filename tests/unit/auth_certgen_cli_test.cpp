// `fleetload certs` argument parsing: required options, key types, templates, the PKCS#12
// password sources (never the command line), and the scenario snippet it prints.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/cmd_certs.hpp"

namespace fleetload::cli {
namespace {

namespace fs = std::filesystem;

const char* no_env(const char*) { return nullptr; }
const char* fake_env(const char* name) {
  if (std::strcmp(name, "FLEETLOAD_PKCS12_PASSWORD") == 0) return "from-default-var";
  if (std::strcmp(name, "MY_P12") == 0) return "from-my-var";
  return nullptr;
}

CertsArgs parse(const std::vector<std::string>& args, const char* (*env)(const char*) = no_env) {
  return parse_certs_args(args, env);
}

std::string error_of(const std::vector<std::string>& args, const char* (*env)(const char*) = no_env) {
  try {
    parse(args, env);
  } catch (const ArgError& e) {
    return e.what();
  }
  return "";
}

TEST(CertsArgs, DefaultsMatchTheScenarioDefaults) {
  const CertsArgs a = parse({"--devices", "100", "--out", "certs"});
  EXPECT_EQ(a.options.devices, 100u);
  EXPECT_EQ(a.options.out_dir, fs::path("certs"));
  EXPECT_EQ(a.options.key_type, auth::CertKeyType::EcdsaP256);
  EXPECT_EQ(a.options.client_id, "fleetload-{index}");  // fleet.client_id's default
  EXPECT_EQ(a.options.file_stem, "device-{index}");
  EXPECT_EQ(a.options.device_common_name, "{client_id}");
  EXPECT_FALSE(a.options.pkcs12);
  EXPECT_FALSE(a.force);
}

TEST(CertsArgs, OptionsAreRead) {
  const CertsArgs a = parse({"--devices=5", "--out=d", "--key-type", "rsa2048", "--force", "--first-index", "10",
                             "--client-id", "car-{index}", "--shards", "3", "--index-width", "6", "--name",
                             "by-id/{client_id}", "--cn", "cn-{index}", "--server-name", "broker.lan",
                             "--server-name", "10.0.0.5", "--days", "30", "--threads", "2"});
  EXPECT_EQ(a.options.key_type, auth::CertKeyType::Rsa2048);
  EXPECT_TRUE(a.force);
  EXPECT_EQ(a.options.first_index, 10u);
  EXPECT_EQ(a.options.client_id, "car-{index}");
  EXPECT_EQ(a.options.shards, 3u);
  EXPECT_EQ(a.options.index_width, 6u);
  EXPECT_EQ(a.options.file_stem, "by-id/{client_id}");
  EXPECT_EQ(a.options.device_common_name, "cn-{index}");
  EXPECT_EQ(a.options.server_dns.back(), "broker.lan");
  EXPECT_EQ(a.options.server_ips.back(), "10.0.0.5");
  EXPECT_EQ(a.options.days, 30u);
  EXPECT_EQ(a.options.threads, 2u);
}

TEST(CertsArgs, BadArgumentsAreNamed) {
  EXPECT_EQ(error_of({"--out", "d"}), "certs: missing --devices N");
  EXPECT_EQ(error_of({"--devices", "3"}), "certs: missing --out DIR");
  EXPECT_EQ(error_of({"--devices", "0", "--out", "d"}),
            "certs: --devices: expected a whole number from 1 to 100000000, got \"0\"");
  EXPECT_NE(error_of({"--devices", "ten", "--out", "d"}).find("--devices"), std::string::npos);
  EXPECT_EQ(error_of({"--devices", "3", "--out", "d", "--key-type", "dsa"}),
            "certs: --key-type: expected ecdsa-p256 or rsa2048, got \"dsa\"");
  EXPECT_EQ(error_of({"--devices", "3", "--out", "d", "--bogus"}),
            "certs: unknown option \"--bogus\" (see fleetload certs --help)");
  EXPECT_NE(error_of({"--devices", "3", "--out", "d", "extra"}).find("unexpected argument"), std::string::npos);
  EXPECT_EQ(error_of({"--devices", "3", "--out"}), "certs: --out needs a value");
  EXPECT_NE(error_of({"--devices", "3", "--out", "d", "--client-id", "fixed"}).find("must contain {index}"),
            std::string::npos);
  EXPECT_NE(error_of({"--devices", "3", "--out", "d", "--name", "../x-{index}"}).find("inside the output"),
            std::string::npos);
}

TEST(CertsArgs, Pkcs12PasswordNeverOnTheCommandLine) {
  const std::string e = error_of({"--devices", "1", "--out", "d", "--pkcs12", "--pkcs12-password", "hunter2"});
  EXPECT_NE(e.find("not accepted"), std::string::npos);
  EXPECT_EQ(e.find("hunter2"), std::string::npos);
  EXPECT_EQ(error_of({"--devices", "1", "--out", "d", "--pkcs12-password=hunter2"}).find("hunter2"),
            std::string::npos);
  // No password anywhere: the message says where to put it.
  EXPECT_EQ(error_of({"--devices", "1", "--out", "d", "--pkcs12"}),
            "certs: --pkcs12 needs a password: set the environment variable FLEETLOAD_PKCS12_PASSWORD or use "
            "--pkcs12-password-file FILE");
  EXPECT_NE(error_of({"--devices", "1", "--out", "d", "--pkcs12-password-env", "MY_P12"}, fake_env)
                .find("without --pkcs12"),
            std::string::npos);
}

TEST(CertsArgs, Pkcs12PasswordFromEnvironmentOrFile) {
  EXPECT_EQ(parse({"--devices", "1", "--out", "d", "--pkcs12"}, fake_env).options.pkcs12_password,
            "from-default-var");
  const CertsArgs a = parse({"--devices", "1", "--out", "d", "--pkcs12", "--pkcs12-password-env", "MY_P12"}, fake_env);
  EXPECT_EQ(a.options.pkcs12_password, "from-my-var");
  EXPECT_EQ(a.password_source, "environment variable MY_P12");
  EXPECT_NE(error_of({"--devices", "1", "--out", "d", "--pkcs12", "--pkcs12-password-env", "UNSET_VAR_X"}, fake_env)
                .find("UNSET_VAR_X"),
            std::string::npos);

  const fs::path file = fs::temp_directory_path() / ("fleetload-p12pw-" + std::to_string(::getpid()));
  std::ofstream(file) << "file-Secret\r\nsecond line\n";
  const CertsArgs b = parse({"--devices", "1", "--out", "d", "--pkcs12", "--pkcs12-password-file", file.string()});
  EXPECT_EQ(b.options.pkcs12_password, "file-Secret");
  std::ofstream(file) << "\n";
  const std::string e = error_of({"--devices", "1", "--out", "d", "--pkcs12", "--pkcs12-password-file", file.string()});
  EXPECT_NE(e.find("is empty"), std::string::npos);
  fs::remove(file);
  EXPECT_NE(error_of({"--devices", "1", "--out", "d", "--pkcs12", "--pkcs12-password-file", file.string()})
                .find("cannot read"),
            std::string::npos);
  EXPECT_NE(error_of({"--devices", "1", "--out", "d", "--pkcs12", "--pkcs12-password-file", "f",
                      "--pkcs12-password-env", "MY_P12"},
                     fake_env)
                .find("one of"),
            std::string::npos);
}

TEST(CertsArgs, SnippetUsesTheTemplatesAndNoSecret) {
  CertsArgs a = parse({"--devices", "7", "--out", "/tmp/fleet-certs", "--client-id", "car-{index}", "--name",
                       "{client_id}", "--index-width", "4"});
  std::string s = certs_scenario_snippet(a);
  EXPECT_NE(s.find("  devices: 7\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  client_id: \"car-{index}\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  index_width: 4\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  mode: mtls_from_path\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  cert_filepath: \"/tmp/fleet-certs/{client_id}.crt\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  pri_key_filepath: \"/tmp/fleet-certs/{client_id}.key\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  ca_filepath: \"/tmp/fleet-certs/ca.crt\"\n"), std::string::npos) << s;

  a = parse({"--devices", "2", "--out", "/tmp/p", "--pkcs12", "--pkcs12-password-env", "MY_P12"}, fake_env);
  s = certs_scenario_snippet(a);
  EXPECT_NE(s.find("  mode: mtls_with_pkcs12\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  pkcs12_filepath: \"/tmp/p/device-{index}.p12\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  pkcs12_password: \"${MY_P12}\"\n"), std::string::npos) << s;
  EXPECT_EQ(s.find("from-my-var"), std::string::npos);
}

}  // namespace
}  // namespace fleetload::cli
