// `groups:`: one scenario per group, its sections deep-merged over the top-level ones at the
// YAML node level, then read by the same section parsers (every check, every position).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario::detail {
namespace {

// Deep merge of `over` onto `base`: maps merge key by key, recursively; anything else in
// `over` replaces. The result is a new map whose entries are the original key and value
// nodes (not copies), so every value keeps the line:column of the file it was read from.
YAML::Node merge_nodes(const YAML::Node& base, const YAML::Node& over) {
  if (!over.IsDefined() || over.IsNull()) return base;
  if (!base.IsDefined() || base.IsNull() || !base.IsMap() || !over.IsMap()) return over;
  YAML::Node out(YAML::NodeType::Map);
  auto find = [](const YAML::Node& m, const YAML::Node& key) -> std::optional<std::pair<YAML::Node, YAML::Node>> {
    if (!key.IsScalar()) return std::nullopt;
    for (auto it = m.begin(); it != m.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key.Scalar()) return std::pair(YAML::Node(it->first), YAML::Node(it->second));
    return std::nullopt;
  };
  for (auto it = base.begin(); it != base.end(); ++it) {
    const YAML::Node k = it->first;
    if (auto o = find(over, k)) {
      out.force_insert(o->first, merge_nodes(it->second, o->second));
    } else {
      out.force_insert(k, it->second);
    }
  }
  for (auto it = over.begin(); it != over.end(); ++it) {
    const YAML::Node k = it->first;
    if (!find(base, k)) out.force_insert(k, it->second);
  }
  return out;
}

// `m` without the entry `key` (same key and value nodes, positions kept).
YAML::Node without_key(const YAML::Node& m, std::string_view key) {
  YAML::Node out(YAML::NodeType::Map);
  for (auto it = m.begin(); it != m.end(); ++it)
    if (!(it->first.IsScalar() && it->first.Scalar() == key)) out.force_insert(it->first, it->second);
  return out;
}

// `publish` as a list of streams, each with an explicit name (a mapping is the one stream
// "default" unless it names itself; list item i without a name is "stream<i>").
std::vector<std::pair<std::string, YAML::Node>> named_streams(const YAML::Node& n) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  auto name_of = [](const YAML::Node& item, std::string fallback) {
    const YAML::Node nm = item.IsMap() ? item["name"] : YAML::Node();
    return nm.IsDefined() && nm.IsScalar() ? nm.Scalar() : fallback;
  };
  if (n.IsMap()) {
    out.emplace_back(name_of(n, std::string(kDefaultStream)), n);
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) out.emplace_back(name_of(n[i], "stream" + std::to_string(i)), n[i]);
  }
  return out;
}

// A group's `publish` over the top level's: two mappings merge key by key (one stream, as
// every other section); otherwise streams merge by name — a stream both have merges key by
// key, the group's new streams are added after the inherited ones. Each item of the result
// names its stream, so the implicit names survive the reordering.
YAML::Node merge_streams(const YAML::Node& top, const YAML::Node& mine) {
  if (!mine.IsDefined() || mine.IsNull()) return top;
  if (!top.IsDefined() || top.IsNull() || (top.IsMap() && mine.IsMap()) ||
      !(top.IsMap() || top.IsSequence()) || !(mine.IsMap() || mine.IsSequence()))
    return merge_nodes(top, mine);
  auto base = named_streams(top);
  const auto over = named_streams(mine);
  for (const auto& [name, node] : over) {
    auto it = std::find_if(base.begin(), base.end(), [&](const auto& b) { return b.first == name; });
    if (it != base.end()) it->second = merge_nodes(it->second, node);
    else base.emplace_back(name, node);
  }
  YAML::Node out(YAML::NodeType::Sequence);
  for (auto& [name, node] : base) {
    if (node.IsMap() && !node["name"].IsDefined()) {
      YAML::Node named(YAML::NodeType::Map);
      named.force_insert(YAML::Node("name"), YAML::Node(name));
      for (auto it = node.begin(); it != node.end(); ++it) named.force_insert(it->first, it->second);
      node = named;
    }
    out.push_back(node);
  }
  return out;
}

// Keys that spell the same setting two ways: a group that writes one overrides the other
// inherited from the top level (else "give either ..., not both" would refuse the group).
constexpr std::pair<std::string_view, std::pair<std::string_view, std::string_view>> kSpellings[] = {
    {"session", {"session_behavior", "clean_session"}},
};

bool valid_group_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

struct Sized {
  std::string name;
  std::optional<std::uint64_t> count;
  std::optional<double> share;
  YAML::Node at;
};

}  // namespace

void parse_groups(Reader& r, const YAML::Node& root, const YAML::Node& groups, Scenario& s) {
  if (!groups.IsSequence() || groups.size() == 0) {
    r.error(groups, "groups", "expected a list of groups, each with a name and devices or share, " + describe(groups));
    return;
  }
  const std::uint64_t total = s.fleet.devices;
  std::vector<Sized> sizes;
  std::unordered_map<std::string, std::size_t> names;
  std::vector<Scenario> out;
  std::uint64_t first = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const YAML::Node g = groups[i];
    const std::string gpath = "groups." + std::to_string(i);
    MapView m(r, g, gpath, keys::kGroup);
    if (!m.ok() || !g.IsMap()) continue;
    Sized sz;
    sz.at = g;
    if (auto v = m.get("name")) {
      if (auto t = read_string(r, *v, m.path("name"))) {
        if (!valid_group_name(*t)) {
          r.error(*v, m.path("name"), "expected a group name of a-z, 0-9, _ and - (at most 64), got \"" + *t + "\"");
        } else if (auto [it, fresh] = names.emplace(*t, i); !fresh) {
          r.error(*v, m.path("name"), "duplicate group name \"" + *t + "\" (also groups." + std::to_string(it->second) + ")");
        } else {
          sz.name = *t;
        }
      }
    } else {
      r.error(g, m.path("name"), "required: every group has a name (a-z, 0-9, _ and -)");
    }
    const std::string label = sz.name.empty() ? gpath : "groups." + sz.name;
    const auto dv = m.get("devices");
    const auto sh = m.get("share");
    if (dv && sh) {
      r.error(*sh, label + ".share", "give devices or share, not both");
    } else if (dv) {
      sz.count = read_uint(r, *dv, label + ".devices", 1, 100'000'000);
    } else if (sh) {
      if (auto p = read_ratio(r, *sh, label + ".share")) {
        if (*p <= 0.0) r.error(*sh, label + ".share", "expected a share above 0% like 40%, got \"" + sh->Scalar() + "\"");
        else sz.share = *p;
      }
    } else {
      r.error(g, label, "required: the group's size, devices: N or share: 40% (of fleet.devices)");
    }
    sizes.push_back(sz);

    // The group's size: a count, or its share of the fleet rounded to whole devices.
    std::uint64_t size = 0;
    if (sz.count) size = *sz.count;
    if (sz.share) size = static_cast<std::uint64_t>(std::llround(*sz.share * static_cast<double>(total)));

    // Sections: merged over the top level, then read as a scenario of their own.
    auto section = [&](std::string_view key) {
      YAML::Node top = root.IsMap() ? root[std::string(key)] : YAML::Node();
      const YAML::Node mine = m.get(key).value_or(YAML::Node());
      for (const auto& [sec, pair] : kSpellings) {
        if (sec != key || !top.IsDefined() || !top.IsMap() || !mine.IsDefined() || !mine.IsMap()) continue;
        const auto& [a, b] = pair;
        if (mine[std::string(a)].IsDefined()) top = without_key(top, b);
        else if (mine[std::string(b)].IsDefined()) top = without_key(top, a);
      }
      return key == "publish" ? merge_streams(top, mine) : merge_nodes(top, mine);
    };
    if (auto f = m.get("fleet"); f && f->IsMap() && (*f)["devices"].IsDefined())
      r.error((*f)["devices"], label + ".fleet.devices",
              "a group's size is its own devices: or share:, not fleet.devices");
    const std::size_t diag0 = r.diagnostics().size();
    const std::size_t pos0 = r.positions().size();
    Scenario gs;
    gs.source = s.source;
    gs.name = s.name;
    gs.group = sz.name.empty() ? gpath : sz.name;
    gs.group_first = first;
    gs.group_devices = size;
    parse_auth(r, section("auth"), gs);
    parse_target(r, section("target"), gs);
    parse_fleet(r, section("fleet"), gs);
    // Selections (publishers, subscribers) are within the group.
    gs.fleet.devices = size;
    parse_session(r, section("session"), gs);
    parse_reconnect(r, section("reconnect"), gs);
    if (auto p = section("publish"); p.IsDefined()) parse_publish(r, p, gs);
    if (auto p = section("subscribe"); p.IsDefined()) parse_subscribe(r, p, gs);
    if (auto p = section("shadow"); p.IsDefined()) parse_shadow(r, p, gs);
    if (auto p = section("jobs"); p.IsDefined()) parse_jobs(r, p, gs);
    if (auto p = section("provisioning"); p.IsDefined()) parse_provisioning(r, p, gs);
    // Thresholds are not inherited: the top-level ones judge the whole fleet.
    if (auto t = m.get("thresholds")) parse_thresholds(r, *t, gs);
    gs.fleet.devices = total;
    // Without a connect_rate of its own a group gets its share of the fleet's.
    const YAML::Node own_fleet = m.get("fleet").value_or(YAML::Node());
    if (!(own_fleet.IsMap() && own_fleet["connect_rate"].IsDefined()) && total > 0)
      gs.fleet.connect_rate.per_second =
          s.fleet.connect_rate.per_second * static_cast<double>(size) / static_cast<double>(total);

    // What the section parsers said, named as the group's ("groups.sensors.publish.rate"); a
    // problem of an inherited top-level node is reported once, by the top level.
    auto& ds = r.diagnostics();
    std::vector<Diagnostic> mine(ds.begin() + static_cast<std::ptrdiff_t>(diag0), ds.end());
    ds.resize(diag0);
    for (auto& d : mine) {
      const bool seen = std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& o) {
        return o.line != 0 && o.line == d.line && o.column == d.column && o.message == d.message;
      });
      if (seen) continue;
      if (!d.path.starts_with("groups.")) d.path = label + (d.path.empty() ? "" : "." + d.path);
      ds.push_back(std::move(d));
    }
    auto& ps = r.positions();
    gs.positions.assign(std::make_move_iterator(ps.begin() + static_cast<std::ptrdiff_t>(pos0)),
                        std::make_move_iterator(ps.end()));
    ps.resize(pos0);
    for (const auto& [path, at] : gs.positions) ps.emplace_back(label + "." + path, at);
    out.push_back(std::move(gs));
    first += size;
  }

  // Sizes add up to the fleet exactly; the message shows the arithmetic.
  if (sizes.size() == groups.size() && std::all_of(sizes.begin(), sizes.end(), [](const Sized& z) {
        return z.count || z.share;
      })) {
    std::uint64_t sum = 0;
    std::string terms;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const auto& z = sizes[i];
      const std::uint64_t n = i < out.size() ? out[i].group_devices : 0;
      sum += n;
      if (!terms.empty()) terms += " + ";
      terms += (z.name.empty() ? "groups." + std::to_string(i) : z.name) + " ";
      terms += z.share ? format_percent(*z.share) + " = " + std::to_string(n) : std::to_string(n);
    }
    if (sum != total)
      r.error(groups, "groups",
              "group sizes add up to " + std::to_string(sum) + " devices (" + terms + "), but fleet.devices is " +
                  std::to_string(total) + "; make them add up exactly");
  }
  if (!r.has_errors()) check_client_ids_unique(r, groups, out);
  s.groups = std::move(out);
}

// Client ids must be unique across the whole fleet (the broker drops a device whose id
// another one takes). Checked by rendering every id once into a hash set: 1M ids take
// about a tenth of a second. Fleets above kMaxRenderedIds are not rendered (a note says so
// in `validate`): their templates are still checked per group.
void check_client_ids_unique(Reader& r, const YAML::Node& groups, const std::vector<Scenario>& gs) {
  std::uint64_t total = 0;
  for (const auto& g : gs) total += g.group_devices;
  if (gs.size() < 2 || total > kMaxRenderedIds) return;
  // Each template split once; ids are rendered into one buffer and only their 64-bit hash
  // kept (device index by hash); a hash seen before is told apart from a collision of ids by
  // rendering the earlier device's id again.
  std::vector<std::vector<TemplatePiece>> pieces;
  for (const auto& g : gs) pieces.push_back(split_template(g.fleet.client_id));
  auto group_of = [&](std::uint64_t index) {
    std::size_t gi = 0;
    while (gi + 1 < gs.size() && index >= gs[gi + 1].group_first) ++gi;
    return gi;
  };
  auto append = [](std::string& out, std::uint64_t v, std::uint32_t width) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    const auto len = static_cast<std::size_t>(res.ptr - buf);
    if (width > len) out.append(width - len, '0');
    out.append(buf, len);
  };
  auto render = [&](std::string& out, std::size_t gi, std::uint64_t index) {
    out.clear();
    const Scenario& g = gs[gi];
    for (const auto& p : pieces[gi]) {
      if (!p.placeholder) {
        out.append(p.text);
        continue;
      }
      switch (*p.placeholder) {
        case Placeholder::Group: out.append(g.group); break;
        case Placeholder::GroupIndex: append(out, index - g.group_first, g.fleet.index_width); break;
        case Placeholder::Shard: append(out, g.fleet.shard.k, 0); break;
        default: append(out, index, g.fleet.index_width); break;  // {index}: the only other one allowed
      }
    }
  };
  std::unordered_map<std::uint64_t, std::uint64_t> seen;
  seen.reserve(static_cast<std::size_t>(total));
  std::string id, other;
  const std::hash<std::string_view> hash;
  for (std::size_t gi = 0; gi < gs.size(); ++gi) {
    const Scenario& g = gs[gi];
    for (std::uint64_t i = g.group_first; i < g.group_first + g.group_devices; ++i) {
      render(id, gi, i);
      auto [it, fresh] = seen.try_emplace(hash(id), i);
      if (fresh) continue;
      const std::size_t oi = group_of(it->second);
      render(other, oi, it->second);
      if (other != id) continue;  // two ids with one hash: not a collision of ids
      const YAML::Node at = groups[gi]["fleet"]["client_id"].IsDefined() ? groups[gi]["fleet"]["client_id"] : groups[gi];
      r.error(at, "groups." + g.group + ".fleet.client_id",
              "client id \"" + id + "\" of device " + std::to_string(i) + " (group " + g.group + ") is also device " +
                  std::to_string(it->second) + "'s (group " + gs[oi].group +
                  "); give the groups distinct client_id templates, e.g. \"{group}-{index}\"");
      return;
    }
  }
}


void check_phase_groups(Reader& r, const YAML::Node& phases, Scenario& s) {
  auto node = [&](std::size_t i, std::optional<std::size_t> item) {
    if (!phases.IsSequence() || i >= phases.size() || !phases[i].IsMap() || !phases[i]["groups"]) return YAML::Node();
    const YAML::Node g = phases[i]["groups"];
    return item && g.IsSequence() && *item < g.size() ? g[*item] : g;
  };
  std::string names;
  for (const auto& g : s.groups) names += (names.empty() ? "" : ", ") + g.group;
  std::unordered_map<std::string, std::size_t> joins;  // group -> the ramp it joins at
  std::uint64_t joining_later = 0;
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    const Phase& p = s.phases[i];
    if (!p.search || p.search->group.empty()) continue;
    const YAML::Node at = phases.IsSequence() && i < phases.size() && phases[i].IsMap() ? phases[i]["group"] : YAML::Node();
    const std::string path = "phases." + std::to_string(i) + ".group";
    if (s.groups.empty())
      r.error(at, path, "this scenario has no groups: a search varies the whole fleet unless it names one of its groups");
    else if (std::none_of(s.groups.begin(), s.groups.end(), [&](const Scenario& g) { return g.group == p.search->group; }))
      r.error(at, path, "no group named \"" + p.search->group + "\"; groups: " + names);
  }
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    Phase& p = s.phases[i];
    if (p.groups.empty()) continue;
    const std::string path = "phases." + std::to_string(i) + ".groups";
    if (s.groups.empty()) {
      r.error(node(i, std::nullopt), path, "this scenario has no groups: name groups only with a groups: section");
      continue;
    }
    std::uint64_t devices = 0;
    double own_rate = 0.0;
    for (std::size_t j = 0; j < p.groups.size(); ++j) {
      const std::string item = p.groups.size() > 1 || node(i, std::nullopt).IsSequence() ? path + "." + std::to_string(j) : path;
      const auto it = std::find_if(s.groups.begin(), s.groups.end(), [&](const Scenario& g) { return g.group == p.groups[j]; });
      if (it == s.groups.end()) {
        r.error(node(i, j), item, "no group named \"" + p.groups[j] + "\"; groups: " + names);
        continue;
      }
      devices += it->group_devices;
      own_rate += it->fleet.connect_rate.per_second;
      if (p.type != PhaseType::Ramp) continue;
      if (auto [at, fresh] = joins.emplace(p.groups[j], i); !fresh) {
        r.error(node(i, j), item, "group " + p.groups[j] + " already joins at phases." + std::to_string(at->second) +
                                      ": a group connects at one ramp");
        continue;
      }
      joining_later += it->group_devices;
    }
    // A ramp naming groups connects their devices, at its rate or at theirs.
    if (p.type == PhaseType::Ramp && !p.duration_given) {
      const double rate = p.connect_rate ? p.connect_rate->per_second : own_rate;
      if (rate > 0)
        p.duration = Duration(static_cast<Duration::rep>(std::max(1.0, std::ceil(static_cast<double>(devices) * 1000.0 / rate))));
    }
  }
  // Ramps naming no groups connect the others only.
  if (joining_later == 0) return;
  const std::uint64_t rest = s.fleet.devices > joining_later ? s.fleet.devices - joining_later : 0;
  for (auto& p : s.phases) {
    if (p.type != PhaseType::Ramp || !p.groups.empty() || p.duration_given) continue;
    const double rate = p.connect_rate ? p.connect_rate->per_second : s.fleet.connect_rate.per_second;
    if (rate > 0)
      p.duration = Duration(static_cast<Duration::rep>(std::max(1.0, std::ceil(static_cast<double>(rest) * 1000.0 / rate))));
  }
}

}  // namespace fleetload::scenario::detail
