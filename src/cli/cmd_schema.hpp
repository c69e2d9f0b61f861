// `fleetload schema`: the JSON Schema (draft 2020-12) of scenario files, written from the
// parser's own key tables (scenario/keys.hpp), for editors (yaml-language-server) and CI.
#pragma once

#include <string>
#include <vector>

namespace fleetload::cli {

// The schema as pretty-printed JSON text (2-space indent, keys in table order, a final
// newline): the same bytes on every run, so the copy shipped in schema/ can be diffed.
std::string scenario_schema_text();

// Runs the command with the arguments after "schema" ([-o FILE]); returns the exit code.
int schema_command(const std::vector<std::string>& args);

std::string schema_help();

}  // namespace fleetload::cli
