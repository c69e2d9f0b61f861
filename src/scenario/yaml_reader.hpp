// Internal: reading a YAML tree with precise diagnostics (file:line:col, field path,
// found vs allowed), ${ENV} substitution, --set overrides, unknown-key checks.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenario/keys.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::scenario::detail {

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within a small distance, or empty.
std::string closest(std::string_view word, const std::vector<std::string_view>& candidates);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  // Applies "path=value" overrides to `root` (creating maps as needed). Errors name the
  // override by its origin (a secret value in it masked). Nodes created here are remembered
  // so later errors name the override too.
  void apply_overrides(YAML::Node& root, std::span<const Override> overrides);
  // Whether `n` was set or created by an override (not read from the file).
  bool from_override(const YAML::Node& n) const;

  // Values that must never appear in a message: secret fields of the file and of the
  // overrides (also unknown keys close to a secret key), and what ${ENV} gave them.
  void note_secret(std::string value);
  // Collects every scalar under a secret-looking key of `root` (called once, after overrides).
  void note_secrets_in(const YAML::Node& root);
  const std::vector<std::string>& secrets() const { return secrets_; }

  // Reports a problem at `at` (or at the file start when `at` is not a real node).
  void error(const YAML::Node& at, std::string_view path, std::string message);
  // Reports a problem at a parse-error mark.
  void error(const YAML::Mark& mark, std::string_view path, std::string message);

  // Empty values ("devices:") carry no useful position in yaml-cpp; remember their key's.
  void remember_key_position(const YAML::Node& value, const YAML::Mark& key_mark) {
    null_values_.emplace_back(value, key_mark);
  }

  bool has_errors() const { return !diagnostics_.empty(); }
  // Where every scalar read through text() came from, by path.
  std::vector<std::pair<std::string, SourcePosition>>& positions() { return positions_; }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }
  const std::string& file() const { return file_; }

  // The scalar's text with ${ENV} / ${ENV:-default} substituted. Reports and returns
  // nullopt when the node is not a scalar (`expected` says what was wanted) or a variable
  // is missing.
  std::optional<std::string> text(const YAML::Node& n, std::string_view path,
                                  std::string_view expected);

 private:
  Diagnostic locate(const YAML::Node& at) const;
  std::optional<std::string> substitute_env(const YAML::Node& at, std::string_view path,
                                            std::string_view raw);

  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  std::vector<std::pair<std::string, SourcePosition>> positions_;
  std::vector<std::pair<YAML::Node, std::string>> override_nodes_;
  std::vector<std::pair<YAML::Node, YAML::Mark>> null_values_;
  std::vector<std::string> secrets_;
};

// What one scenario document may expand to once YAML aliases are followed ("billion
// laughs": a few KiB of anchors and aliases can stand for gigabytes of nodes, and every
// alias of a long string becomes its own copy when read). Counted on the raw parse events,
// before any node tree exists, so a hostile file costs no more than its own size.
inline constexpr std::uint64_t kMaxExpandedNodes = 1'000'000;
inline constexpr std::uint64_t kMaxExpandedScalarBytes = std::uint64_t{64} << 20;  // 64 MiB

// Pre-pass over the YAML text: refuses (reports into `r`, returns false) a document whose
// expansion through aliases exceeds the bounds above (at the alias that crosses them), and
// a second document in the file (fleetload reads exactly one). Syntax errors are left to
// the parse that follows (it reports them with their position); returns true for them.
bool check_document_bounds(Reader& r, std::string_view text);

// Whether the field at `path` holds a secret (its value never appears in messages).
bool is_secret_path(std::string_view path);

// "got ..." text for a node: got "fast", got a list, got a mapping, got nothing.
std::string describe(const YAML::Node& n);

// A mapping with known keys: reports unknown keys (with did-you-mean) and duplicates once,
// then hands out values by key. A null node reads as an empty mapping.
class MapView {
 public:
  MapView(Reader& r, const YAML::Node& node, std::string path,
          std::initializer_list<std::string_view> keys);
  // The keys of a scenario section's table (scenario/keys.hpp).
  MapView(Reader& r, const YAML::Node& node, std::string path, const keys::Section& section);
  // Whether the node was a mapping (or null). When false, get() returns nothing.
  bool ok() const { return ok_; }
  // The value for `key`, or nullopt when absent.
  std::optional<YAML::Node> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  // "section.key"
  std::string path(std::string_view key) const;
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

 private:
  void init(Reader& r, std::span<const std::string_view> keys);

  YAML::Node node_;
  std::string path_;
  bool ok_ = true;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
};

// ---- typed readers: report on failure and return nullopt ------------------------------

std::optional<Duration> read_duration(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<double> read_rate(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<std::uint64_t> read_size(Reader& r, const YAML::Node& n, const std::string& path,
                                       std::uint64_t max);
std::optional<std::uint64_t> read_uint(Reader& r, const YAML::Node& n, const std::string& path,
                                       std::uint64_t min, std::uint64_t max);
std::optional<bool> read_bool(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<std::string> read_string(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<double> read_ratio(Reader& r, const YAML::Node& n, const std::string& path);
// Whole seconds, from a duration ("30s", "5m", bare seconds), in [min, max] seconds.
std::optional<Seconds> read_seconds(Reader& r, const YAML::Node& n, const std::string& path,
                                    std::int64_t min, std::int64_t max);
// One of `names`; returns the index into `names`.
std::optional<std::size_t> read_enum(Reader& r, const YAML::Node& n, const std::string& path,
                                     std::initializer_list<std::string_view> names);
std::optional<std::size_t> read_enum(Reader& r, const YAML::Node& n, const std::string& path,
                                     std::span<const std::string_view> names);

// Reads m[key] with `fn` into `out` when present; leaves `out` alone otherwise.
template <typename T, typename Fn>
void read_into(const MapView& m, std::string_view key, T& out, Fn fn) {
  if (auto n = m.get(key)) {
    if (auto v = fn(*n, m.path(key))) out = static_cast<T>(*v);
  }
}

}  // namespace fleetload::scenario::detail
