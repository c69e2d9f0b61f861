// The `fleetload` commands: run, validate, version, help. Each returns the process exit code.
#pragma once

#include "cli/args.hpp"
#include "metrics/verdict.hpp"

namespace fleetload::cli {

// The exit code of a verdict: 0 pass, 1 fail, 4 inconclusive (docs/cli.md "Exit codes").
int exit_code_of(metrics::Verdict v) noexcept;

int run_command(const Command& cmd);
int validate_command(const Command& cmd);
int version_command();
int help_command(const Command& cmd);

// Parses argv and dispatches; prints usage errors on stderr. The whole of main().
int fleetload_main(int argc, const char* const* argv);

}  // namespace fleetload::cli
