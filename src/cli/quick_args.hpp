// The scenario-less one-liner (`fleetload run --broker mqtt://host --devices 1000 ...`): each
// flag is a scenario field, applied exactly as `--set PATH=VALUE`, so a command line builds
// the same Scenario a file would (same parser, defaults, errors, warnings and report).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetload::cli {

struct QuickFlag {
  std::string_view flag;   // "--devices"
  std::string_view value;  // "N" (empty: a flag without a value)
  std::string_view path;   // the scenario field it sets: "fleet.devices"
  std::string_view help;   // one line for `fleetload help run`
};

// Every one-liner flag, in the order the help lists them.
std::span<const QuickFlag> quick_flags();

// The value a flag gives its field ("--protocol 5" -> "mqtt5"; most pass through unchanged,
// the scenario parser judges them).
std::string quick_value(const QuickFlag& f, const std::string& value);

// Without a scenario file: the fields the flags leave out that a runnable one-liner needs,
// as "path=value" assignments (publish.topic when publishing without --topic; the
// subscribers' filter: the publish topic with every {placeholder} level as +, at the
// publish QoS). `given` holds the assignments made so far.
std::vector<std::string> quick_defaults(const std::vector<std::string>& given);

// The help lines for the one-liner flags (indented like the other options).
std::string quick_help();

// The topic filter matching every topic a template renders to: levels holding a
// {placeholder} become "+" ("fleet/{index}/telemetry" -> "fleet/+/telemetry").
std::string filter_for_topic(std::string_view topic_template);

}  // namespace fleetload::cli
