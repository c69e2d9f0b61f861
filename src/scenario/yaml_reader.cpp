// Reading YAML with diagnostics: locations, env substitution, overrides, typed values.
#include "scenario/yaml_reader.hpp"

#include "scenario/endpoint_url.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include "scenario/units.hpp"

namespace fleetload::scenario::detail {
namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string join(std::span<const std::string_view> names, std::string_view sep = ", ") {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

// Streams the parse events of the text and keeps the document's size as if every alias were
// a copy of its anchor: a collection's expanded size is what the total grew by between its
// start and its end, an alias adds its anchor's. Throws at the first event past a bound.
class BoundsHandler : public YAML::EventHandler {
 public:
  struct Exceeded {
    YAML::Mark mark;
    bool alias = false;
  };
  struct SecondDocument {
    YAML::Mark mark;
  };

  void OnDocumentStart(const YAML::Mark& m) override {
    if (++documents_ > 1) throw SecondDocument{m};
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { leaf(m, a, 0); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t a) override {
    const Size s = a < anchors_.size() ? anchors_[a] : Size{1, 0};
    add(m, s, true);
  }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t a, const std::string& v) override {
    leaf(m, a, v.size());
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    open(m, a);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    open(m, a);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Size {
    std::uint64_t nodes = 0;
    std::uint64_t bytes = 0;
  };
  struct Frame {
    YAML::anchor_t anchor;
    Size start;
  };

  // Sizes stay below the bounds (add() throws first), so these sums cannot overflow.
  void add(const YAML::Mark& m, Size s, bool alias) {
    total_.nodes += s.nodes;
    total_.bytes += s.bytes;
    if (total_.nodes > kMaxExpandedNodes || total_.bytes > kMaxExpandedScalarBytes) throw Exceeded{m, alias};
  }
  void record(YAML::anchor_t a, Size s) {
    if (a == YAML::NullAnchor) return;
    if (anchors_.size() <= a) anchors_.resize(a + 1);
    anchors_[a] = s;
  }
  void leaf(const YAML::Mark& m, YAML::anchor_t a, std::size_t bytes) {
    add(m, {1, bytes}, false);
    record(a, {1, bytes});
  }
  void open(const YAML::Mark& m, YAML::anchor_t a) {
    frames_.push_back({a, total_});
    add(m, {1, 0}, false);
  }
  void close() {
    if (frames_.empty()) return;
    const Frame f = frames_.back();
    frames_.pop_back();
    record(f.anchor, {total_.nodes - f.start.nodes, total_.bytes - f.start.bytes});
  }

  int documents_ = 0;
  Size total_;
  std::vector<Frame> frames_;
  std::vector<Size> anchors_;  // by anchor id (yaml-cpp numbers them 1, 2, ...)
};

}  // namespace

bool check_document_bounds(Reader& r, std::string_view text) {
  std::istringstream in{std::string(text)};
  BoundsHandler h;
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(h)) {
    }
  } catch (const BoundsHandler::Exceeded& e) {
    r.error(e.mark, "",
            std::string(e.alias ? "this alias takes" : "here") + " the document past " +
                std::to_string(kMaxExpandedNodes) + " nodes or " + std::to_string(kMaxExpandedScalarBytes >> 20) +
                " MiB of text once YAML aliases are expanded; refused (a scenario is far smaller: "
                "is this an alias bomb?)");
    return false;
  } catch (const BoundsHandler::SecondDocument& e) {
    r.error(e.mark, "",
            "a second YAML document starts here; a scenario file holds exactly one (remove the "
            "'---' line and what follows, or split the file)");
    return false;
  } catch (const YAML::Exception&) {
    return true;  // the parse that follows reports it, with its position
  }
  return true;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (auto c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "got nothing";
  if (n.IsSequence()) return "got a list";
  if (n.IsMap()) return "got a mapping";
  return "got " + quote(n.Scalar());
}

// ---- Reader ---------------------------------------------------------------------------

bool Reader::from_override(const YAML::Node& n) const {
  if (!n.IsDefined()) return false;
  for (const auto& [node, origin] : override_nodes_)
    if (node.is(n)) return true;
  return false;
}

void Reader::note_secret(std::string value) {
  if (value.empty() || std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.push_back(std::move(value));
}

void Reader::note_secrets_in(const YAML::Node& root) {
  // Every scalar below a secret-looking key, whatever the shape (a typo may hold a map).
  auto all = [this](const YAML::Node& n, auto&& self) -> void {
    if (n.IsScalar()) note_secret(n.Scalar());
    else if (n.IsMap()) for (auto it = n.begin(); it != n.end(); ++it) self(it->second, self);
    else if (n.IsSequence()) for (const auto& e : n) self(e, self);
  };
  auto walk = [&](const YAML::Node& n, const std::string& path, auto&& self) -> void {
    if (n.IsMap()) {
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        const std::string p = path.empty() ? it->first.Scalar() : path + "." + it->first.Scalar();
        if (looks_secret(p)) all(it->second, all);
        else self(it->second, p, self);
      }
    } else if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i) self(n[i], path + "." + std::to_string(i), self);
    }
  };
  walk(root, "", walk);
}

Diagnostic Reader::locate(const YAML::Node& at) const {
  Diagnostic d;
  d.file = file_;
  if (!at.IsDefined()) return d;
  YAML::Mark m = at.Mark();
  if (at.IsNull()) {
    for (const auto& [value, key_mark] : null_values_) {
      if (value.is(at)) m = key_mark;
    }
  }
  if (!m.is_null()) {
    d.line = m.line + 1;
    d.column = m.column + 1;
    return d;
  }
  // Created by an override: name the override instead of a file position. The latest
  // override touching the node wins.
  for (auto it = override_nodes_.rbegin(); it != override_nodes_.rend(); ++it) {
    if (it->first.is(at)) {
      d.file = it->second;
      return d;
    }
  }
  return d;
}

void Reader::error(const YAML::Node& at, std::string_view path, std::string message) {
  Diagnostic d = locate(at);
  d.path = path;
  d.message = std::move(message);
  diagnostics_.push_back(std::move(d));
}

void Reader::error(const YAML::Mark& mark, std::string_view path, std::string message) {
  Diagnostic d;
  d.file = file_;
  if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  d.path = path;
  d.message = std::move(message);
  diagnostics_.push_back(std::move(d));
}

void Reader::apply_overrides(YAML::Node& root, std::span<const Override> overrides) {
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  // A secret's value must not reach error messages, even as the override's name, nor as the
  // value of another override; nor the value of a key that only looks like a secret's (a
  // typo like "auth.pasword"). So all are known before any origin is written.
  for (const auto& o : overrides) {
    const auto eq = o.assignment.find('=');
    if (eq != std::string::npos && looks_secret(o.assignment.substr(0, eq))) note_secret(o.assignment.substr(eq + 1));
  }
  for (const auto& o : overrides) {
    const std::string& ov = o.assignment;
    // A URL's user info may hold a password (the endpoint parser refuses it, naming this).
    const std::string origin = mask_url_userinfo(mask_secret_values(o.origin, secrets_));
    auto fail = [&](std::string_view path, std::string msg) {
      Diagnostic d;
      d.file = origin;
      d.path = path;
      d.message = std::move(msg);
      diagnostics_.push_back(std::move(d));
    };
    auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0) {
      fail("", "expected path=value, e.g. --set fleet.devices=100");
      continue;
    }
    const std::string path = ov.substr(0, eq);
    const std::string value = ov.substr(eq + 1);
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      auto dot = path.find('.', start);
      parts.push_back(path.substr(start, dot == std::string::npos ? dot : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
      fail(path, "empty path component; write dot paths like phases.1.duration");
      continue;
    }
    YAML::Node cur = root;
    std::string walked;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& part = parts[i];
      const bool last = i + 1 == parts.size();
      YAML::Node next;
      if (cur.IsSequence()) {
        auto idx = parse_uint(part);
        // A list of named items (groups, phases) is also addressed by name:
        // groups.gateways.publish.rate.
        if (!idx) {
          for (std::size_t j = 0; j < cur.size(); ++j) {
            const YAML::Node item = cur[j];
            if (item.IsMap() && item["name"].IsDefined() && item["name"].IsScalar() && item["name"].Scalar() == part) idx = j;
          }
          if (!idx) {
            std::string have;
            for (std::size_t j = 0; j < cur.size(); ++j) {
              const YAML::Node item = cur[j];
              if (item.IsMap() && item["name"].IsDefined() && item["name"].IsScalar()) have += (have.empty() ? "" : ", ") + item["name"].Scalar();
            }
            fail(path, walked + " has no item named \"" + part + "\"" +
                           (have.empty() ? std::string("; give an index 0.." + std::to_string(cur.size()))
                                         : "; named: " + have));
            ok = false;
            break;
          }
        }
        if (*idx > cur.size()) {
          fail(path, walked + " is a list of " + std::to_string(cur.size()) +
                         " items; expected an index 0.." + std::to_string(cur.size()) +
                         ", got \"" + part + "\"");
          ok = false;
          break;
        }
        const auto index = static_cast<std::size_t>(*idx);
        if (index == cur.size()) cur.push_back(YAML::Node(YAML::NodeType::Map));
        if (last) {
          cur[index] = YAML::Node(value);
          override_nodes_.emplace_back(cur[index], origin);
          break;
        }
        next = cur[index];
      } else if (cur.IsMap() || cur.IsNull()) {
        if (last) {
          cur[part] = YAML::Node(value);
          override_nodes_.emplace_back(cur[part], origin);
          break;
        }
        next = cur[part];
        if (!next.IsDefined() || next.IsNull()) {
          // "phases.0..." on a missing phases starts a list; anything else a mapping.
          const bool list = parse_uint(parts[i + 1]).has_value();
          cur[part] = YAML::Node(list ? YAML::NodeType::Sequence : YAML::NodeType::Map);
          next = cur[part];
          override_nodes_.emplace_back(next, origin);
        }
      } else {
        fail(path, (walked.empty() ? std::string("the document") : walked) +
                       " is a single value, not a mapping or list");
        ok = false;
        break;
      }
      walked += (walked.empty() ? "" : ".") + part;
      cur.reset(next);  // rebind; operator= would overwrite the node cur points at
    }
  }
}

std::optional<std::string> Reader::substitute_env(const YAML::Node& at, std::string_view path,
                                                  std::string_view raw) {
  if (raw.find('$') == std::string_view::npos) return std::string(raw);
  std::string out;
  std::size_t i = 0;
  while (i < raw.size()) {
    if (raw[i] != '$' || i + 1 >= raw.size()) {
      out += raw[i++];
      continue;
    }
    if (raw[i + 1] == '$') {  // "$$" is a literal '$'
      out += '$';
      i += 2;
      continue;
    }
    if (raw[i + 1] != '{') {
      out += raw[i++];
      continue;
    }
    auto close = raw.find('}', i + 2);
    if (close == std::string_view::npos) {
      error(at, path, "unclosed ${ in " + (looks_secret(path) ? std::string("the value") : quote(raw)) +
                          "; write ${NAME} or ${NAME:-default} (and $$ for a literal $)");
      return std::nullopt;
    }
    std::string_view inner = raw.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
    }
    if (name.empty() || !is_name_start(name[0]) ||
        !std::all_of(name.begin(), name.end(), is_name_char)) {
      error(at, path, "bad variable reference ${" +
                          (looks_secret(path) ? std::string("...") : std::string(inner)) +
                          "}; write ${NAME} or ${NAME:-default} (NAME: letters, digits, _)");
      return std::nullopt;
    }
    const char* env = std::getenv(std::string(name).c_str());
    if (env != nullptr) {
      out += env;
    } else if (fallback) {
      out += *fallback;
    } else {
      error(at, path, "environment variable " + std::string(name) +
                          " is not set (use ${" + std::string(name) +
                          ":-default} for a default)");
      return std::nullopt;
    }
    i = close + 1;
  }
  return out;
}

std::optional<std::string> Reader::text(const YAML::Node& n, std::string_view path,
                                        std::string_view expected) {
  if (!n.IsDefined() || !n.IsScalar()) {
    error(n, path, "expected " + std::string(expected) + ", " + describe(n));
    return std::nullopt;
  }
  const Diagnostic at = locate(n);
  positions_.push_back({std::string(path), SourcePosition{at.file, at.line, at.column}});
  auto t = substitute_env(n, path, n.Scalar());
  // What ${ENV} put in a secret field is as secret as the field.
  if (t && looks_secret(path)) note_secret(*t);
  return t;
}

// ---- MapView --------------------------------------------------------------------------

MapView::MapView(Reader& r, const YAML::Node& node, std::string path,
                 std::initializer_list<std::string_view> keys)
    : node_(node), path_(std::move(path)) {
  init(r, std::span<const std::string_view>(keys.begin(), keys.size()));
}

MapView::MapView(Reader& r, const YAML::Node& node, std::string path, const keys::Section& section)
    : node_(node), path_(std::move(path)) {
  std::vector<std::string_view> names;
  names.reserve(section.keys.size());
  for (const auto& k : section.keys) names.push_back(k.name);
  init(r, names);
}

void MapView::init(Reader& r, std::span<const std::string_view> keys) {
  const YAML::Node& node = node_;
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    r.error(node, path_, "expected a mapping with keys " + join(keys) + ", " + describe(node));
    ok_ = false;
    return;
  }
  const std::vector<std::string_view> allowed(keys.begin(), keys.end());
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node k = it->first;  // a copy: the iterator hands out a temporary pair
    // Keys created by --set have no position; their value names the override.
    const YAML::Node at = k.Mark().is_null() ? YAML::Node(it->second) : k;
    if (!k.IsScalar()) {
      r.error(at, path_, "expected a key name, " + describe(k));
      continue;
    }
    const std::string& key = k.Scalar();
    const std::string key_path = this->path(key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string hint = closest(key, allowed);
      r.error(at, key_path,
              "unknown key \"" + key + "\"; " +
                  (hint.empty() ? "allowed: " + join(keys) : "did you mean '" + hint + "'?"));
      continue;
    }
    auto dup = std::find_if(entries_.begin(), entries_.end(),
                            [&](const auto& e) { return e.first == key; });
    if (dup != entries_.end()) {
      r.error(at, key_path, "duplicate key \"" + key + "\"");
      continue;
    }
    if (it->second.IsNull()) r.remember_key_position(it->second, k.Mark());
    entries_.emplace_back(key, it->second);
  }
}

std::optional<YAML::Node> MapView::get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string MapView::path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

// ---- typed readers ----------------------------------------------------------------------

std::optional<Duration> read_duration(Reader& r, const YAML::Node& n, const std::string& path) {
  const char* what = "a duration like 250ms, 30s, 5m or 1h (bare numbers are seconds)";
  auto t = r.text(n, path, what);
  if (!t) return std::nullopt;
  auto d = parse_duration(*t);
  if (!d) r.error(n, path, std::string("expected ") + what + ", got " + quote(*t));
  return d;
}

std::optional<double> read_rate(Reader& r, const YAML::Node& n, const std::string& path) {
  const char* what = "a rate like 2000/s, 10/m or 3600/h";
  auto t = r.text(n, path, what);
  if (!t) return std::nullopt;
  auto v = parse_rate(*t);
  if (!v) r.error(n, path, std::string("expected ") + what + ", got " + quote(*t));
  return v;
}

std::optional<std::uint64_t> read_size(Reader& r, const YAML::Node& n, const std::string& path,
                                       std::uint64_t max) {
  const char* what = "a size like 64, 512B, 1KiB, 1MiB or 1KB";
  auto t = r.text(n, path, what);
  if (!t) return std::nullopt;
  auto v = parse_size(*t);
  if (!v) {
    r.error(n, path, std::string("expected ") + what + ", got " + quote(*t));
  } else if (*v > max) {
    r.error(n, path, "expected at most " + format_size(max) + " (" + std::to_string(max) +
                         " bytes), got " + quote(*t));
    return std::nullopt;
  }
  return v;
}

std::optional<std::uint64_t> read_uint(Reader& r, const YAML::Node& n, const std::string& path,
                                       std::uint64_t min, std::uint64_t max) {
  std::string what = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  auto t = r.text(n, path, what);
  if (!t) return std::nullopt;
  auto v = parse_uint(*t);
  if (!v || *v < min || *v > max) {
    r.error(n, path, "expected " + what + ", got " + quote(*t));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> read_bool(Reader& r, const YAML::Node& n, const std::string& path) {
  auto t = r.text(n, path, "true or false");
  if (!t) return std::nullopt;
  auto v = parse_bool(*t);
  if (!v) r.error(n, path, "expected true or false, got " + quote(*t));
  return v;
}

std::optional<std::string> read_string(Reader& r, const YAML::Node& n, const std::string& path) {
  return r.text(n, path, "a string");
}

std::optional<double> read_ratio(Reader& r, const YAML::Node& n, const std::string& path) {
  const char* what = "a share like 10% or 0.1 (from 0 to 1)";
  auto t = r.text(n, path, what);
  if (!t) return std::nullopt;
  auto v = parse_ratio(*t);
  if (!v) r.error(n, path, std::string("expected ") + what + ", got " + quote(*t));
  return v;
}

std::optional<Seconds> read_seconds(Reader& r, const YAML::Node& n, const std::string& path,
                                    std::int64_t min, std::int64_t max) {
  std::string what = "whole seconds from " + std::to_string(min) + " to " +
                     std::to_string(max) + " (like 30s, 5m, 1h or a bare number of seconds)";
  auto t = r.text(n, path, what);
  if (!t) return std::nullopt;
  auto d = parse_duration(*t);
  if (!d || d->count() % 1000 != 0 || d->count() / 1000 < min || d->count() / 1000 > max) {
    r.error(n, path, "expected " + what + ", got " + quote(*t));
    return std::nullopt;
  }
  return Seconds(d->count() / 1000);
}

std::optional<std::size_t> read_enum(Reader& r, const YAML::Node& n, const std::string& path,
                                     std::initializer_list<std::string_view> names) {
  return read_enum(r, n, path, std::span<const std::string_view>(names.begin(), names.size()));
}

std::optional<std::size_t> read_enum(Reader& r, const YAML::Node& n, const std::string& path,
                                     std::span<const std::string_view> names) {
  std::string what = "one of " + join(names);
  auto t = r.text(n, path, what);
  if (!t) return std::nullopt;
  std::size_t i = 0;
  for (auto name : names) {
    if (name == *t) return i;
    ++i;
  }
  std::string hint = closest(*t, std::vector<std::string_view>(names.begin(), names.end()));
  r.error(n, path, "expected " + what + ", got " + quote(*t) +
                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  return std::nullopt;
}

}  // namespace fleetload::scenario::detail
