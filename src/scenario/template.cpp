// Rendering and checking of {placeholder} templates in scenario strings.
#include "scenario/template.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace fleetload::scenario {
namespace {

constexpr std::array<std::pair<std::string_view, Placeholder>, 7> kNames{{
    {"index", Placeholder::Index},
    {"shard", Placeholder::Shard},
    {"client_id", Placeholder::ClientId},
    {"seq", Placeholder::Seq},
    {"timestamp", Placeholder::Timestamp},
    {"group", Placeholder::Group},
    {"group_index", Placeholder::GroupIndex},
}};

std::optional<Placeholder> lookup(std::string_view name) {
  for (const auto& [n, p] : kNames) {
    if (n == name) return p;
  }
  return std::nullopt;
}

void append_uint(std::string& out, std::uint64_t v, std::uint32_t width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 bytes always hold a uint64
  auto len = static_cast<std::uint32_t>(end - buf);
  if (width > len) out.append(width - len, '0');
  out.append(buf, end);
}

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

// Length of an identifier at the start of `s` (0 when none).
std::size_t ident_length(std::string_view s) {
  if (s.empty() || !is_ident_start(s[0])) return 0;
  std::size_t n = 1;
  while (n < s.size() && is_ident_char(s[n])) ++n;
  return n;
}

// Calls on_text(text) for literal runs and on_placeholder(name) for each {name}. Only
// "{identifier}" is a placeholder, so JSON payloads like {"seq":{seq}} need no escaping;
// "{{name}}" is the literal text "{name}". Returns the first error on_placeholder gives.
template <typename Text, typename Ph>
std::optional<std::string> scan(std::string_view tpl, Text on_text, Ph on_placeholder) {
  std::size_t i = 0;
  while (i < tpl.size()) {
    if (tpl[i] != '{') {
      auto next = tpl.find('{', i);
      if (next == std::string_view::npos) next = tpl.size();
      on_text(tpl.substr(i, next - i));
      i = next;
      continue;
    }
    const std::string_view rest = tpl.substr(i);
    if (rest.starts_with("{{")) {
      const std::size_t n = ident_length(rest.substr(2));
      if (n > 0 && rest.substr(2 + n).starts_with("}}")) {
        on_text(rest.substr(1, n + 2));  // "{name}"
        i += n + 4;
        continue;
      }
    }
    const std::size_t n = ident_length(rest.substr(1));
    if (n > 0 && rest.size() > n + 1 && rest[n + 1] == '}') {
      if (auto err = on_placeholder(rest.substr(1, n))) return err;
      i += n + 2;
      continue;
    }
    on_text(rest.substr(0, 1));
    ++i;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(Placeholder p) noexcept {
  switch (p) {
    case Placeholder::Index: return "{index}";
    case Placeholder::Shard: return "{shard}";
    case Placeholder::ClientId: return "{client_id}";
    case Placeholder::Seq: return "{seq}";
    case Placeholder::Timestamp: return "{timestamp}";
    case Placeholder::Group: return "{group}";
    case Placeholder::GroupIndex: return "{group_index}";
  }
  return "{?}";
}

void render_template_to(std::string& out, std::string_view tpl, const TemplateVars& vars) {
  // Templates were checked at parse time; an unknown or malformed part renders as written.
  auto on_text = [&](std::string_view t) { out.append(t); };
  auto on_ph = [&](std::string_view name) -> std::optional<std::string> {
    auto p = lookup(name);
    if (!p) {
      out.push_back('{');
      out.append(name);
      out.push_back('}');
      return std::nullopt;
    }
    switch (*p) {
      case Placeholder::Index: append_uint(out, vars.index, vars.index_width); break;
      case Placeholder::Shard: append_uint(out, vars.shard, 0); break;
      case Placeholder::ClientId: out.append(vars.client_id); break;
      case Placeholder::Seq: append_uint(out, vars.seq, 0); break;
      case Placeholder::Timestamp: append_uint(out, vars.timestamp_ms, 0); break;
      case Placeholder::Group: out.append(vars.group); break;
      case Placeholder::GroupIndex: append_uint(out, vars.group_index, vars.index_width); break;
    }
    return std::nullopt;
  };
  (void)scan(tpl, on_text, on_ph);
}

std::string render_template(std::string_view tpl, const TemplateVars& vars) {
  std::string out;
  out.reserve(tpl.size() + 16);
  render_template_to(out, tpl, vars);
  return out;
}

std::optional<std::string> check_template(std::string_view tpl,
                                          std::span<const Placeholder> allowed) {
  auto allowed_list = [&] {
    std::string s;
    for (auto p : allowed) {
      if (!s.empty()) s += ' ';
      s += to_string(p);
    }
    return s.empty() ? std::string("none") : s;
  };
  return scan(
      tpl, [](std::string_view) {},
      [&](std::string_view name) -> std::optional<std::string> {
        auto p = lookup(name);
        if (!p || std::find(allowed.begin(), allowed.end(), *p) == allowed.end()) {
          return "unknown placeholder {" + std::string(name) + "}; allowed here: " +
                 allowed_list();
        }
        return std::nullopt;
      });
}

std::vector<TemplatePiece> split_template(std::string_view tpl) {
  std::vector<TemplatePiece> out;
  auto text = [&](std::string_view t) {
    if (t.empty()) return;
    // Views are contiguous in tpl except around "{{name}}" escapes, which yield a sub-view.
    if (!out.empty() && !out.back().placeholder &&
        out.back().text.data() + out.back().text.size() == t.data()) {
      out.back().text = std::string_view(out.back().text.data(), out.back().text.size() + t.size());
    } else {
      out.push_back({t, std::nullopt});
    }
  };
  (void)scan(tpl, text, [&](std::string_view name) -> std::optional<std::string> {
    if (auto p = lookup(name)) {
      out.push_back({{}, *p});
    } else {
      // Keep the braces: name is a view inside tpl, one past '{'.
      text(std::string_view(name.data() - 1, name.size() + 2));
    }
    return std::nullopt;
  });
  return out;
}

bool template_uses(std::string_view tpl, Placeholder p) {
  bool found = false;
  (void)scan(
      tpl, [](std::string_view) {},
      [&](std::string_view name) -> std::optional<std::string> {
        if (lookup(name) == p) found = true;
        return std::nullopt;
      });
  return found;
}

}  // namespace fleetload::scenario
