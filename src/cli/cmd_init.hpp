// `fleetload init`: writes a commented starter scenario for an auth mode, a protocol and a
// workload shape, asking nothing; what it writes validates as written.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mqtt/packet.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::cli {

// The workload a starter scenario describes.
enum class Shape { Telemetry, Idle, Storm, Mixed };
const char* to_string(Shape s) noexcept;  // "telemetry", "idle", "storm", "mixed"

struct InitArgs {
  scenario::AuthMode mode = scenario::AuthMode::PlainTcp;
  mqtt::Version protocol = mqtt::Version::V5;
  Shape shape = Shape::Telemetry;
  std::optional<std::string> out;  // -o FILE; none = stdout
  bool force = false;              // overwrite an existing FILE
};

// Parses the arguments after "init". Throws ArgError naming the argument.
InitArgs parse_init_args(const std::vector<std::string>& args);

// The starter scenario's YAML text, comments included.
std::string starter_scenario(const InitArgs& a);

// Runs the command with the arguments after "init"; returns the exit code.
int init_command(const std::vector<std::string>& args);

std::string init_help();

}  // namespace fleetload::cli
