// `fleetload schema`: JSON Schema from the key tables. One $defs entry per section (so a
// section can be reused, e.g. by device groups) and one per kind of value, each value kind
// written to accept exactly the spellings the scenario's unit parsers read
// (scenario/units.cpp), and any scalar that holds a ${ENV} reference.
#include "cli/cmd_schema.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <fstream>
#include <string_view>

#include "cli/args.hpp"
#include "scenario/keys.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::cli {
namespace {

namespace json = boost::json;
using scenario::keys::Key;
using scenario::keys::Kind;
using scenario::keys::Section;

constexpr std::string_view kNumber = "[0-9]+(\\.[0-9]+)?";  // units.cpp take_number: no sign, no ".5"
constexpr std::string_view kBlank = "[ \\t]*";               // units.cpp trim(): spaces and tabs
constexpr std::string_view kPer = "(s|sec|second|m|min|minute|h|hour)";

std::string anchored(std::string_view body) {
  return "^" + std::string(kBlank) + std::string(body) + std::string(kBlank) + "$";
}

json::object ref(std::string_view def) { return {{"$ref", "#/$defs/" + std::string(def)}}; }

json::object string_pattern(const std::string& pattern) { return {{"type", "string"}, {"pattern", pattern}}; }

// anyOf the given alternatives, or a ${ENV} reference.
json::object any_or_env(json::array alternatives, std::string_view description = {}) {
  alternatives.push_back(ref("env"));
  json::object o;
  if (!description.empty()) o["description"] = description;
  o["anyOf"] = std::move(alternatives);
  return o;
}

// The value kinds every section shares.
void add_value_defs(json::object& defs) {
  defs["env"] = {{"description", "a ${NAME} or ${NAME:-default} reference, read from the environment"},
                 {"type", "string"},
                 {"pattern", "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}"}};
  // Every scalar is read as text: a YAML number or boolean is its text.
  defs["string"] = {{"description", "text"}, {"type", json::array{"string", "number", "boolean"}}};
  defs["template"] = {{"description", "text with placeholders: {index} {shard} {client_id} (payloads: also {seq} "
                                      "{timestamp})"},
                      {"type", json::array{"string", "number"}}};
  defs["bool"] = any_or_env(
      {json::object{{"type", "boolean"}},
       string_pattern(anchored("([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|[Oo][Nn]|[Oo][Ff][Ff])"))},
      "true or false (yes/no, on/off too)");
  defs["uint"] = any_or_env({json::object{{"type", "integer"}, {"minimum", 0}}, string_pattern(anchored("[0-9]+"))},
                            "a whole number");
  defs["duration"] = any_or_env(
      {json::object{{"type", "number"}, {"minimum", 0}},
       string_pattern(anchored("(" + std::string(kNumber) + "|(" + std::string(kNumber) + "(ms|s|m|h|d))+)"))},
      "a duration: 250ms, 30s, 5m, 1h30m, 1d; a bare number is seconds");
  defs["rate"] = any_or_env(
      {json::object{{"type", "number"}, {"minimum", 0}},
       string_pattern(anchored(std::string(kNumber) + std::string(kBlank) + "(/" + std::string(kBlank) +
                               std::string(kPer) + ")?"))},
      "a rate: 2000/s, 10/m, 3600/h (also /sec, /second, /min, /minute, /hour); a bare number is per second");
  defs["size"] = any_or_env(
      {json::object{{"type", "integer"}, {"minimum", 0}},
       string_pattern(anchored(std::string(kNumber) + std::string(kBlank) + "(B|KiB|MiB|GiB|KB|kB|MB|GB)?"))},
      "a size in bytes: 64, 64B, 1KiB, 1MiB, 1GiB, 1KB (1000), 1MB, 1GB");
  defs["share_rate"] = any_or_env({string_pattern(anchored(std::string(kNumber) + std::string(kBlank) + "%" +
                                                           std::string(kBlank) + "/" + std::string(kBlank) +
                                                           std::string(kPer)))},
                                  "a share of devices per time: 1%/s, 30%/m");
  defs["selection"] = any_or_env(
      {json::object{{"enum", json::array{"all", "none"}}}, json::object{{"type", "integer"}, {"minimum", 0}},
       string_pattern(anchored("[0-9]+")), string_pattern(anchored(std::string(kNumber) + std::string(kBlank) + "%"))},
      "all, none, a device count (10) or a share (10%)");
  defs["threshold"] = any_or_env(
      {json::object{{"type", "number"}, {"minimum", 0}},
       string_pattern(anchored("(<=|>=|==|<|>|=)?" + std::string(kBlank) + "(" + std::string(kNumber) +
                               std::string(kBlank) + "%?|(" + std::string(kNumber) + "(ms|s|m|h|d))+)"))},
      "a limit with an optional operator: \"<= 250ms\", \">= 99.9%\", 0, 0.1%");
  defs["endpoint_text"] = any_or_env(
      {string_pattern("^(([Mm][Qq][Tt][Tt][Ss]?|[Ww][Ss][Ss]?)://.+|[^:/ \\[]+(:[0-9]+)?|\\[[0-9A-Fa-f:.]+\\](:[0-9]+)?)$")},
      "host, host:port, [v6]:port, or a URL mqtt://, mqtts://, ws://, wss://host[:port][/path]");
}

json::object value_schema(const Key& k);

json::object section_ref(const Section& s) { return ref(s.name); }

json::object endpoint_schema(const Key& k) {
  return json::object{{"anyOf", json::array{ref("endpoint_text"), section_ref(*k.section)}}};
}

json::object value_schema(const Key& k) {
  json::object o;
  switch (k.kind) {
    case Kind::String: o = ref("string"); break;
    case Kind::Template: o = ref("template"); break;
    case Kind::Bool: o = ref("bool"); break;
    case Kind::Duration: o = ref("duration"); break;
    case Kind::Rate: o = ref("rate"); break;
    case Kind::Size: o = ref("size"); break;
    case Kind::ShareRate: o = ref("share_rate"); break;
    case Kind::Selection: o = ref("selection"); break;
    case Kind::Threshold: o = ref("threshold"); break;
    case Kind::Uint:
      o = any_or_env({json::object{{"type", "integer"}, {"minimum", k.min}, {"maximum", k.max}},
                      string_pattern(anchored("[0-9]+"))});
      break;
    case Kind::Enum: {
      json::array values;
      for (auto v : k.values) values.emplace_back(v);
      o = any_or_env({json::object{{"enum", std::move(values)}}});
      break;
    }
    case Kind::Section: o = section_ref(*k.section); break;
    case Kind::Endpoint: o = endpoint_schema(k); break;
    case Kind::Endpoints: o = {{"type", "array"}, {"minItems", 1}, {"items", endpoint_schema(k)}}; break;
    case Kind::StringOrList:
      o = {{"anyOf", json::array{ref("string"), json::object{{"type", "array"}, {"items", ref("string")}}}}};
      break;
    case Kind::StringList: o = {{"type", "array"}, {"items", ref("string")}}; break;
    case Kind::StringMap: o = {{"type", "object"}, {"additionalProperties", ref("template")}}; break;
    case Kind::Payload: o = {{"anyOf", json::array{ref("size"), section_ref(*k.section)}}}; break;
    case Kind::Filters:
      o = {{"type", "array"}, {"items", json::object{{"anyOf", json::array{ref("template"), section_ref(*k.section)}}}}};
      break;
    case Kind::Subscribe: {
      const Key* filters = k.section->find("filters");
      o = {{"anyOf", json::array{value_schema(*filters), section_ref(*k.section)}}};
      break;
    }
    case Kind::Phases: o = {{"type", "array"}, {"items", section_ref(*k.section)}}; break;
    case Kind::Streams:
    {
      json::object list{{"type", "array"}, {"minItems", 1}, {"maxItems", scenario::kMaxPublishStreams},
                        {"items", section_ref(*k.section)}};
      o = {{"anyOf", json::array{section_ref(*k.section), std::move(list)}}};
      break;
    }
  }
  json::object out{{"description", k.doc}};
  for (auto& [name, v] : o) out[name] = std::move(v);
  return out;
}

// A section as a closed mapping (an empty `section:` is null, read as an empty mapping).
json::object section_schema(const Section& s, bool top) {
  json::object o;
  o["description"] = s.doc;
  o["type"] = top ? json::value("object") : json::value(json::array{"object", "null"});
  json::object props;
  json::array required;
  for (const Key& k : s.keys) {
    props[k.name] = value_schema(k);
    if (k.required) required.emplace_back(k.name);
  }
  o["properties"] = std::move(props);
  if (!required.empty()) o["required"] = std::move(required);
  o["additionalProperties"] = false;
  return o;
}

void pretty(std::string& out, const json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& [k, x] : o) {
      if (!first) out += ",\n";
      first = false;
      out += inner + json::serialize(json::string(k)) + ": ";
      pretty(out, x, indent + 1);
    }
    out += "\n" + pad + "}";
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    // Short lists of scalars on one line: the enums and type lists stay readable.
    bool scalars = a.size() <= 12;
    for (const auto& x : a) scalars = scalars && !x.is_structured();
    if (scalars) {
      out += json::serialize(v);
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a.size(); ++i) {
      out += inner;
      pretty(out, a[i], indent + 1);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    out += pad + "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string scenario_schema_text() {
  json::object root;
  root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  root["title"] = "fleetload scenario";
  json::object top = section_schema(scenario::keys::kScenario, true);
  for (auto& [k, v] : top) root[k] = std::move(v);
  json::object defs;
  for (const Section* s : scenario::keys::all_sections()) {
    if (s != &scenario::keys::kScenario) defs[s->name] = section_schema(*s, false);
  }
  add_value_defs(defs);
  root["$defs"] = std::move(defs);
  std::string out;
  pretty(out, root, 0);
  out += "\n";
  return out;
}

int schema_command(const std::vector<std::string>& args) {
  std::optional<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(schema_help().c_str(), stdout);
      return kExitOk;
    }
    if ((a == "-o" || a == "--output") && i + 1 < args.size()) {
      out = args[++i];
    } else if (a.rfind("-o=", 0) == 0 || a.rfind("--output=", 0) == 0) {
      out = a.substr(a.find('=') + 1);
    } else {
      std::fprintf(stderr, "fleetload: schema: unexpected argument \"%s\" (fleetload schema [-o FILE])\n", a.c_str());
      return kExitBadInput;
    }
    if (out && out->empty()) {
      std::fprintf(stderr, "fleetload: schema: -o needs a file name\n");
      return kExitBadInput;
    }
  }
  const std::string text = scenario_schema_text();
  if (!out) {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  std::ofstream f(*out, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    std::fprintf(stderr, "fleetload: schema: cannot write %s\n", out->c_str());
    return kExitBadInput;
  }
  return kExitOk;
}

std::string schema_help() {
  return "Usage: fleetload schema [-o FILE]\n"
         "\n"
         "Prints the JSON Schema (draft 2020-12) of scenario files, made from the same key\n"
         "tables the scenario parser reads, so editors can complete and check scenarios.\n"
         "With yaml-language-server (VS Code's YAML extension and others), put this line at\n"
         "the top of a scenario:\n"
         "  # yaml-language-server: $schema=PATH/fleetload-scenario.schema.json\n"
         "The schema checks keys, value kinds and spellings; `fleetload validate` checks the\n"
         "rest (required fields, per-mode options, limits).\n"
         "\n"
         "Options:\n"
         "  -o FILE           write FILE instead of stdout\n"
         "\n"
         "Exit codes: 0 written, 2 bad arguments or FILE cannot be written.\n";
}

}  // namespace fleetload::cli
