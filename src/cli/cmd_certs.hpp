// `fleetload certs`: a test PKI for a fleet (CA, device certificates and keys, optional
// PKCS#12 bundles, a broker certificate), with its own argument parsing.
#pragma once

#include <string>
#include <vector>

#include "auth/certgen.hpp"

namespace fleetload::cli {

// What `fleetload certs` was asked for, after parsing and reading the password source.
struct CertsArgs {
  auth::CertOptions options;
  bool force = false;       // write into a non-empty directory
  std::string password_source;  // "environment variable X" / "file F" (for messages only)
};

// Parses the arguments after "certs" (argv[2..]). Throws ArgError. `getenv` is the
// environment lookup (tests pass their own).
CertsArgs parse_certs_args(const std::vector<std::string>& args, const char* (*getenv)(const char*));

// Runs the command with args after "certs"; returns the exit code (2 for bad arguments).
int certs_command(const std::vector<std::string>& args);

std::string certs_help();

// The scenario excerpt (fleet + auth sections) that uses the files written for `a`.
std::string certs_scenario_snippet(const CertsArgs& a);

}  // namespace fleetload::cli
