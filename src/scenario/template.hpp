// Templates in scenario strings: "{index}", "{shard}", "{client_id}", "{seq}", "{timestamp}",
// "{group}", "{group_index}".
//
// Only "{identifier}" is a placeholder; every other brace is literal text (JSON payloads
// need no escaping) and "{{name}}" is the literal "{name}". Placeholders are checked when
// the scenario is parsed (unknown ones are errors), so rendering never fails.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetload::scenario {

// Group: the device's group name; GroupIndex: its index within the group (groups take
// contiguous ranges of the fleet-wide {index}, in file order).
enum class Placeholder : std::uint8_t { Index, Shard, ClientId, Seq, Timestamp, Group, GroupIndex };

// Values for one rendering. `client_id` is only read when the template uses {client_id}.
struct TemplateVars {
  std::uint64_t index = 0;
  std::uint32_t shard = 0;
  std::string_view client_id;
  std::uint64_t seq = 0;
  std::uint64_t timestamp_ms = 0;  // {timestamp}: Unix time in milliseconds
  std::uint32_t index_width = 0;   // zero-pad {index} (and {group_index}) to this many digits
  std::string_view group;          // {group}: the group's name ("default" without groups)
  std::uint64_t group_index = 0;   // {group_index}: index - the group's first index
};

// Appends the rendering of `tpl` to `out` (no allocation when `out` has the capacity).
void render_template_to(std::string& out, std::string_view tpl, const TemplateVars& vars);
std::string render_template(std::string_view tpl, const TemplateVars& vars);

// Checks `tpl` against the placeholders allowed in that field. Returns an error message
// (e.g. "unknown placeholder {idx}; allowed: {index} {shard}") or nullopt when fine.
std::optional<std::string> check_template(std::string_view tpl,
                                          std::span<const Placeholder> allowed);

// One piece of a template: literal text, or a placeholder (then `text` is empty). For
// callers that pre-compile templates for the hot path: splitting here keeps one set of
// brace rules. Views point into the template passed to split_template.
struct TemplatePiece {
  std::string_view text;
  std::optional<Placeholder> placeholder;
};
// Adjacent literal text is merged where contiguous in `tpl`; unknown {names} stay literal.
std::vector<TemplatePiece> split_template(std::string_view tpl);

// True when `tpl` contains `p`.
bool template_uses(std::string_view tpl, Placeholder p);

const char* to_string(Placeholder p) noexcept;

}  // namespace fleetload::scenario
