// Parser for a capacity-search phase (`type: search`): what it varies, its ladder, its
// bisection precision, the criteria and floor that judge it, and its collapse limits.
#include <algorithm>
#include <cmath>

#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario::detail {
namespace {

bool is_rate(SearchVary v) { return v != SearchVary::Devices; }

const char* quantity_example(SearchVary v) { return is_rate(v) ? "a rate like 500/s" : "a device count like 1000"; }

// A value of the varied quantity: a rate ("500/s", "30000/m") for the rates, a whole count
// for devices.
std::optional<double> parse_quantity(SearchVary v, std::string_view text) {
  if (is_rate(v)) return parse_rate(text);
  if (auto c = parse_uint(text)) return static_cast<double>(*c);
  return std::nullopt;
}

std::optional<double> read_quantity(Reader& r, const YAML::Node& n, const std::string& path, SearchVary v) {
  auto t = r.text(n, path, quantity_example(v));
  if (!t) return std::nullopt;
  auto x = parse_quantity(v, *t);
  if (!x || !(*x > 0.0)) {
    r.error(n, path, std::string("expected ") + quantity_example(v) + " above 0, got \"" + *t + "\"");
    return std::nullopt;
  }
  return x;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

void read_steps(Reader& r, const MapView& m, Search& q) {
  auto steps = m.get("steps");
  auto step = m.get("step");
  if (steps && step) {
    r.error(*step, m.path("step"), "give either steps (linear N | geometric F) or step (an increment), not both");
    return;
  }
  if (step) {
    if (auto x = read_quantity(r, *step, m.path("step"), q.vary)) {
      q.steps = {SearchSteps::Kind::Step, *x};
    }
    return;
  }
  if (!steps) return;  // default geometric 2
  auto t = r.text(*steps, m.path("steps"), "linear N or geometric F");
  if (!t) return;
  std::string_view s = trimmed(*t);
  const auto sp = s.find(' ');
  const std::string_view kind = s.substr(0, sp);
  const std::string_view arg = sp == std::string_view::npos ? std::string_view{} : trimmed(s.substr(sp + 1));
  if (kind == "linear") {
    auto n = parse_uint(arg);
    if (!n || *n < 2 || *n > 1000) {
      r.error(*steps, m.path("steps"), "expected linear N with N from 2 to 1000 steps, got \"" + *t + "\"");
      return;
    }
    q.steps = {SearchSteps::Kind::Linear, static_cast<double>(*n)};
  } else if (kind == "geometric") {
    auto f = parse_number(arg);
    if (!f || !(*f > 1.0) || *f > 100.0) {
      r.error(*steps, m.path("steps"), "expected geometric F with a factor F above 1 (e.g. 1.5), got \"" + *t + "\"");
      return;
    }
    q.steps = {SearchSteps::Kind::Geometric, *f};
  } else {
    r.error(*steps, m.path("steps"), "expected linear N (N values from `from` to `to`) or geometric F (each step F times the last), got \"" + *t + "\"");
  }
}

void read_precision(Reader& r, const MapView& m, Search& q) {
  auto v = m.get("precision");
  if (!v) return;
  auto t = r.text(*v, m.path("precision"), "a share like 5% or an absolute value");
  if (!t) return;
  if (auto p = parse_percent(*t)) {
    if (*p > 0.0 && *p < 1.0) {
      q.precision = *p, q.precision_relative = true;
      return;
    }
  } else if (auto x = parse_quantity(q.vary, *t); x && *x > 0.0) {
    q.precision = *x, q.precision_relative = false;
    return;
  }
  r.error(*v, m.path("precision"), std::string("expected a share like 5% (below 100%) or ") + quantity_example(q.vary) +
                                       ", got \"" + *t + "\"");
}

void read_require(Reader& r, const MapView& m, Search& q) {
  auto v = m.get("require");
  if (!v) return;
  auto t = r.text(*v, m.path("require"), std::string("a floor like \">= ") + (is_rate(q.vary) ? "2000/s" : "5000") + "\"");
  if (!t) return;
  std::string_view rest = trimmed(*t);
  ThresholdOp op = ThresholdOp::Ge;
  if (rest.starts_with(">=")) rest.remove_prefix(2);
  else if (rest.starts_with(">")) op = ThresholdOp::Gt, rest.remove_prefix(1);
  else if (rest.starts_with("<") || rest.starts_with("=")) {
    r.error(*v, m.path("require"), "a sustainable value is a floor: write >= or >, got \"" + *t + "\"");
    return;
  }
  auto x = parse_quantity(q.vary, trimmed(rest));
  if (!x || !(*x > 0.0)) {
    r.error(*v, m.path("require"), std::string("expected >= or > and ") + quantity_example(q.vary) + ", got \"" + *t + "\"");
    return;
  }
  q.require_op = op;
  q.require_value = *x;
  q.require_text = *t;
}

void read_abort(Reader& r, const YAML::Node& n, const std::string& path, Search& q) {
  MapView m(r, n, path, keys::kSearchAbort);
  if (!m.ok()) return;
  if (auto v = m.get("connect_success_below")) {
    if (auto t = r.text(*v, m.path("connect_success_below"), "a share like 50%")) {
      auto p = parse_percent(*t);
      if (!p || *p > 1.0) r.error(*v, m.path("connect_success_below"), "expected a share like 50% (0% turns it off), got \"" + *t + "\"");
      else q.abort.connect_success_below = *p;
    }
  }
  if (auto v = m.get("errors_above")) {
    if (auto x = read_rate(r, *v, m.path("errors_above"))) {
      if (!(*x > 0.0)) r.error(*v, m.path("errors_above"), "expected a rate above 0 like 100/s");
      else q.abort.errors_per_second_above = *x;
    }
  }
}

}  // namespace

std::optional<Search> parse_search(Reader& r, const MapView& m, const YAML::Node& at) {
  Search q;
  auto vary = m.get("vary");
  if (!vary) {
    r.error(at, m.path("vary"), "required for a search: one of connect_rate, publish_rate, devices");
    return std::nullopt;
  }
  auto vi = read_enum(r, *vary, m.path("vary"), keys::kSearchVaries);
  if (!vi) return std::nullopt;
  q.vary = static_cast<SearchVary>(*vi);
  if (auto v = m.get("per")) {
    if (q.vary != SearchVary::PublishRate) {
      r.error(*v, m.path("per"), "only with vary: publish_rate (fleet or device)");
    } else if (auto i = read_enum(r, *v, m.path("per"), keys::kSearchPer)) {
      q.per_device = *i == 1;
    }
  }
  auto from = m.get("from");
  auto to = m.get("to");
  if (!from) r.error(at, m.path("from"), std::string("required for a search: the first step, ") + quantity_example(q.vary));
  if (!to) r.error(at, m.path("to"), std::string("required for a search: the last ladder step, ") + quantity_example(q.vary));
  std::optional<double> f = from ? read_quantity(r, *from, m.path("from"), q.vary) : std::nullopt;
  std::optional<double> t = to ? read_quantity(r, *to, m.path("to"), q.vary) : std::nullopt;
  if (f) q.from = *f;
  if (t) q.to = *t;
  if (f && t && !(q.to > q.from)) r.error(*to, m.path("to"), "expected a value above from (" + from->Scalar() + "), got \"" + to->Scalar() + "\"");
  if (auto v = m.get("hold")) {
    if (auto d = read_duration(r, *v, m.path("hold"))) {
      if (d->count() <= 0) r.error(*v, m.path("hold"), "expected a duration above 0 like 30s, got \"" + v->Scalar() + "\"");
      else q.hold = *d;
    }
  } else {
    r.error(at, m.path("hold"), "required for a search: how long each step lasts, e.g. 30s");
  }
  if (auto v = m.get("settle")) {
    if (auto d = read_duration(r, *v, m.path("settle"))) {
      if (q.hold.count() > 0 && *d >= q.hold)
        r.error(*v, m.path("settle"), "expected less than hold (" + format_duration(q.hold) + "): the rest of the step is its measurement window, got \"" + v->Scalar() + "\"");
      else q.settle = *d;
    }
  }
  read_steps(r, m, q);
  read_precision(r, m, q);
  if (auto v = m.get("max_steps")) {
    if (auto n = read_uint(r, *v, m.path("max_steps"), 1, 1000)) q.max_steps = static_cast<std::uint32_t>(*n);
  }
  if (auto v = m.get("criteria")) {
    if (!v->IsSequence() || v->size() == 0) {
      r.error(*v, m.path("criteria"), "expected a list of threshold names like [p99_connect_time, connect_success_ratio], " + describe(*v));
    } else {
      for (std::size_t i = 0; i < v->size(); ++i) {
        const std::string p = m.path("criteria") + "." + std::to_string(i);
        if (auto name = read_string(r, (*v)[i], p)) q.criteria.push_back(*name);
      }
    }
  }
  read_require(r, m, q);
  if (auto v = m.get("abort")) read_abort(r, *v, m.path("abort"), q);
  if (auto v = m.get("group")) {
    if (auto g = read_string(r, *v, m.path("group"))) q.group = *g;  // checked against groups: check_phase_groups
  }
  return q;
}

// Checks that need the whole scenario: the criteria name thresholds, the publish rate has
// publishers, the device count fits the fleet, one search per run.
void check_search(Reader& r, const YAML::Node& phases, Scenario& s) {
  bool seen = false;
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    Phase& p = s.phases[i];
    if (!p.search) continue;
    const YAML::Node at = phases.IsSequence() && i < phases.size() ? phases[i] : YAML::Node();
    const std::string path = "phases." + std::to_string(i);
    auto node = [&](const char* key) { return at.IsMap() && at[key] ? at[key] : at; };
    if (seen) r.error(node("type"), path + ".type", "one search per run: the steps of two searches would judge each other's load");
    seen = true;
    Search& q = *p.search;
    if (s.thresholds.empty()) {
      r.error(node("type"), path + ".type", "a search needs thresholds: they are what each step must meet");
    }
    if (q.criteria.empty()) {
      for (const auto& t : s.thresholds) q.criteria.push_back(t.metric);
    } else {
      for (std::size_t c = 0; c < q.criteria.size(); ++c) {
        const auto& name = q.criteria[c];
        const bool known = std::any_of(s.thresholds.begin(), s.thresholds.end(), [&](const Threshold& t) { return t.metric == name; });
        if (known) continue;
        std::string have;
        for (const auto& t : s.thresholds) have += (have.empty() ? "" : ", ") + t.metric;
        const YAML::Node cn = node("criteria");
        r.error(cn.IsSequence() && c < cn.size() ? cn[c] : cn, path + ".criteria." + std::to_string(c),
                "\"" + name + "\" is not one of the scenario's thresholds (" + (have.empty() ? "none" : have) + ")");
      }
    }
    if (q.vary == SearchVary::PublishRate && s.publish.empty()) {
      r.error(node("vary"), path + ".vary", "publish_rate needs a publish: section (the publishers whose rate the search sets)");
    }
    if (q.vary == SearchVary::Devices && s.fleet.devices > 0 && q.to > static_cast<double>(s.fleet.devices)) {
      r.error(node("to"), path + ".to", "expected at most fleet.devices (" + std::to_string(s.fleet.devices) + "), got \"" + format_number(q.to) + "\"");
    }
  }
}

}  // namespace fleetload::scenario::detail
