// `fleetload responder`: plays the AWS IoT Shadow, Jobs and Fleet Provisioning services over
// MQTT against any broker (src/responder/, docs/responder.md), with its own argument parsing.
#pragma once

#include <string>
#include <vector>

#include "responder/config.hpp"

namespace fleetload::cli {

// The configuration after --config and the flags on top of it. Throws ArgError for bad
// flags and scenario::ScenarioError for a bad file. `getenv` reads the broker password
// variable (tests pass their own).
responder::ResponderConfig parse_responder_args(const std::vector<std::string>& args,
                                                const char* (*getenv)(const char*));

// Runs the command with the arguments after "responder"; returns the exit code: 0 stopped
// (SIGINT/SIGTERM or --duration), 2 bad arguments, configuration or CA/TLS files, 3 the
// broker was never reached.
int responder_command(const std::vector<std::string>& args);

std::string responder_help();

}  // namespace fleetload::cli
