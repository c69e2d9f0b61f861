// Parsers for the workload sections: publish, subscribe, phases, run, thresholds.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "mqtt/codec.hpp"
#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario::detail {
namespace {

// "all", "none", a count (10) or a share ("10%"), resolved against fleet.devices.
std::optional<Selection> read_selection(Reader& r, const YAML::Node& n, const std::string& path,
                                        const Scenario& s) {
  const char* what = "all, none, a device count like 10 or a share like 10%";
  auto t = r.text(n, path, what);
  if (!t) return std::nullopt;
  Selection sel;
  if (*t == "all") {
    sel.kind = Selection::Kind::All;
    sel.selected = s.fleet.devices;
  } else if (*t == "none") {
    sel.kind = Selection::Kind::None;
  } else if (auto c = parse_uint(*t)) {
    if (s.fleet.devices != 0 && *c > s.fleet.devices) {
      r.error(n, path, "expected at most fleet.devices (" + std::to_string(s.fleet.devices) +
                           "), got \"" + *t + "\"");
      return std::nullopt;
    }
    sel.kind = Selection::Kind::Count;
    sel.count = *c;
    sel.selected = *c;
  } else if (auto p = parse_percent(*t); p && *p <= 1.0) {
    sel.kind = Selection::Kind::Share;
    sel.share = *p;
    sel.selected = static_cast<std::uint64_t>(std::llround(*p * static_cast<double>(s.fleet.devices)));
  } else {
    r.error(n, path, std::string("expected ") + what + ", got \"" + *t + "\"");
    return std::nullopt;
  }
  return sel;
}

std::optional<double> read_positive_rate(Reader& r, const YAML::Node& n, const std::string& path) {
  auto v = read_rate(r, n, path);
  if (v && *v <= 0) {
    r.error(n, path, "expected a rate above 0 like 10/s, got \"" + n.Scalar() + "\"");
    return std::nullopt;
  }
  return v;
}

bool is_shared(std::string_view filter) { return filter.starts_with("$share/"); }

}  // namespace

// ---- publish --------------------------------------------------------------------------

namespace {

bool valid_stream_name(std::string_view n) {
  return !n.empty() && n.size() <= 32 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// One stream: a mapping of kPublish keys at `n`, its fields named `prefix`.key.
std::optional<Publish> parse_stream(Reader& r, const YAML::Node& n, const std::string& prefix, Scenario& s) {
  MapView m(r, n, prefix, keys::kPublish);
  if (!m.ok()) return std::nullopt;
  Publish p;
  if (auto v = m.get("name")) {
    if (auto t = read_string(r, *v, m.path("name"))) {
      if (valid_stream_name(*t)) p.name = *t;
      else r.error(*v, m.path("name"), "expected a stream name of a-z, 0-9, _ and - (at most 32), got \"" + *t + "\"");
    }
  }
  if (auto v = m.get("topic")) {
    if (auto tpl = read_template(r, *v, m.path("topic"), kTopicVars)) {
      if (!mqtt::valid_topic_name(render_for(s, *tpl, 0))) {
        r.error(*v, m.path("topic"),
                "expected a topic name (not empty, no + or # wildcards), got \"" + *tpl + "\"");
      }
      p.topic = *tpl;
    }
  } else {
    r.error(n, prefix + ".topic", "required: the topic template, e.g. telemetry/{client_id}");
  }
  read_into(m, "qos", p.qos, [&](const YAML::Node& v, const std::string& path) {
    return read_uint(r, v, path, 0, 2);
  });
  auto rate = m.get("rate");
  auto fleet_rate = m.get("fleet_rate");
  if (rate && fleet_rate) {
    r.error(*fleet_rate, m.path("fleet_rate"),
            "give exactly one of " + prefix + ".rate (per device) or " + prefix +
                ".fleet_rate (whole fleet), not both");
  } else if (rate) {
    if (auto v = read_positive_rate(r, *rate, m.path("rate"))) p.rate = Rate{*v};
  } else if (fleet_rate) {
    if (auto v = read_positive_rate(r, *fleet_rate, m.path("fleet_rate"))) p.fleet_rate = Rate{*v};
  } else {
    r.error(n, prefix + ".rate",
            "required: " + prefix + ".rate per device (e.g. 1/s) or " + prefix +
                ".fleet_rate for the whole fleet (e.g. 5000/s)");
  }
  if (auto v = m.get("arrival")) {
    if (auto i = read_enum(r, *v, m.path("arrival"), keys::kArrivals)) {
      p.arrival = static_cast<Arrival>(*i);
    }
  }
  if (auto v = m.get("payload")) {
    const std::string path = m.path("payload");
    if (v->IsMap()) {
      MapView pm(r, *v, path, keys::kPayload);
      auto size = pm.get("size");
      auto tpl = pm.get("template");
      if (size && tpl) {
        r.error(*tpl, pm.path("template"), "give either payload.size or payload.template, not both");
      }
      if (size) {
        if (auto x = read_size(r, *size, pm.path("size"), mqtt::kMaxRemainingLength)) {
          p.payload.size = static_cast<std::uint32_t>(*x);
        }
      }
      read_into(pm, "header", p.payload.accounting_header,
                [&](const YAML::Node& x, const std::string& xp) { return read_bool(r, x, xp); });
      if (tpl && !size) {
        if (auto t = read_template(r, *tpl, pm.path("template"), kPayloadVars)) {
          p.payload.template_text = *t;
          if (pm.has("header") && p.payload.accounting_header) {
            r.error(*pm.get("header"), pm.path("header"),
                    "the accounting header cannot be combined with payload.template; remove "
                    "header or set it to false");
          }
          p.payload.accounting_header = false;
        }
      }
    } else if (auto x = read_size(r, *v, path, mqtt::kMaxRemainingLength)) {
      p.payload.size = static_cast<std::uint32_t>(*x);
    }
  }
  read_into(m, "retain", p.retain, [&](const YAML::Node& v, const std::string& path) {
    return read_bool(r, v, path);
  });
  if (auto v = m.get("user_properties"); v && require_mqtt5(r, s, *v, m.path("user_properties"))) {
    if (!v->IsMap()) {
      r.error(*v, m.path("user_properties"), "expected a mapping of name: value, " + describe(*v));
    } else {
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto key = r.text(it->first, m.path("user_properties"), "a property name");
        if (!key) continue;
        auto val = read_string(r, it->second, m.path("user_properties") + "." + *key);
        if (val) p.user_properties.emplace_back(*key, *val);
      }
    }
  }
  if (auto v = m.get("content_type"); v && require_mqtt5(r, s, *v, m.path("content_type"))) {
    p.content_type = read_string(r, *v, m.path("content_type"));
  }
  if (auto v = m.get("message_expiry"); v && require_mqtt5(r, s, *v, m.path("message_expiry"))) {
    p.message_expiry = read_seconds(r, *v, m.path("message_expiry"), 0, 4'294'967'295);
  }
  if (auto v = m.get("topic_alias"); v && require_mqtt5(r, s, *v, m.path("topic_alias"))) {
    if (auto b = read_bool(r, *v, m.path("topic_alias"))) p.topic_alias = *b;
  }
  p.publishers.selected = s.fleet.devices;
  if (auto v = m.get("publishers")) {
    if (auto sel = read_selection(r, *v, m.path("publishers"), s)) p.publishers = *sel;
  }
  if (p.rate) {
    p.per_device_rate = *p.rate;
  } else if (p.fleet_rate) {
    if (p.publishers.selected == 0) {
      const YAML::Node at = m.has("publishers") ? *m.get("publishers") : *fleet_rate;
      r.error(at, m.path("publishers"), prefix + ".fleet_rate needs at least one publisher");
    } else {
      p.per_device_rate.per_second =
          p.fleet_rate->per_second / static_cast<double>(p.publishers.selected);
    }
  }
  return p;
}

}  // namespace

void parse_publish(Reader& r, const YAML::Node& n, Scenario& s) {
  s.publish.clear();
  if (!n.IsSequence()) {
    if (auto p = parse_stream(r, n, "publish", s)) {
      if (p->name.empty()) p->name = std::string(kDefaultStream);
      s.publish.push_back(std::move(*p));
    }
    return;
  }
  if (n.size() == 0 || n.size() > kMaxPublishStreams) {
    r.error(n, "publish",
            "expected a mapping (one stream) or a list of 1 to " + std::to_string(kMaxPublishStreams) +
                " streams, got a list of " + std::to_string(n.size()));
    return;
  }
  std::unordered_map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = n[i];
    const YAML::Node nm = item.IsMap() ? item["name"] : YAML::Node();
    const bool named = nm.IsDefined() && nm.IsScalar();
    const std::string label = named && valid_stream_name(nm.Scalar()) ? nm.Scalar() : std::to_string(i);
    auto p = parse_stream(r, item, "publish." + label, s);
    if (!p) continue;
    if (p->name.empty()) p->name = "stream" + std::to_string(i);
    if (auto [it, fresh] = names.emplace(p->name, i); !fresh) {
      r.error(nm.IsDefined() ? nm : item, "publish." + label + ".name",
              "duplicate stream name \"" + p->name + "\" (also publish." + std::to_string(it->second) + ")");
      continue;
    }
    s.publish.push_back(std::move(*p));
  }
}

// ---- subscribe ------------------------------------------------------------------------

void parse_subscribe(Reader& r, const YAML::Node& n, Scenario& s) {
  std::optional<YAML::Node> list;
  std::optional<YAML::Node> subscribers;
  std::string list_path = "subscribe";
  if (n.IsSequence()) {
    list = n;
  } else {
    MapView m(r, n, "subscribe", keys::kSubscribe);
    if (!m.ok()) return;
    list = m.get("filters");
    subscribers = m.get("subscribers");
    list_path = m.path("filters");
  }
  if (list) {
    if (!list->IsSequence()) {
      r.error(*list, list_path, "expected a list of topic filters, " + describe(*list));
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const YAML::Node item = (*list)[i];
      const std::string path = list_path + "." + std::to_string(i);
      Subscription sub;
      std::optional<YAML::Node> filter_node;
      if (item.IsMap()) {
        MapView fm(r, item, path, keys::kFilter);
        if (!fm.ok()) continue;
        filter_node = fm.get("filter");
        if (!filter_node) r.error(item, fm.path("filter"), "required: the topic filter");
        read_into(fm, "qos", sub.qos, [&](const YAML::Node& v, const std::string& p) {
          return read_uint(r, v, p, 0, 2);
        });
        auto flag = [&](std::string_view key, bool& out) {
          if (auto v = fm.get(key); v && require_mqtt5(r, s, *v, fm.path(key))) {
            if (auto b = read_bool(r, *v, fm.path(key))) out = *b;
          }
        };
        flag("no_local", sub.no_local);
        flag("retain_as_published", sub.retain_as_published);
        if (auto v = fm.get("retain_handling"); v && require_mqtt5(r, s, *v, fm.path("retain_handling"))) {
          if (auto x = read_uint(r, *v, fm.path("retain_handling"), 0, 2)) {
            sub.retain_handling = static_cast<std::uint8_t>(*x);
          }
        }
      } else {
        filter_node = item;  // shorthand: just the filter
      }
      if (!filter_node) continue;
      const std::string fpath = item.IsMap() ? path + ".filter" : path;
      auto tpl = read_template(r, *filter_node, fpath, kTopicVars);
      if (!tpl) continue;
      if (!mqtt::valid_topic_filter(render_for(s, *tpl, 0))) {
        r.error(*filter_node, fpath,
                "expected a topic filter (+ and # only as whole levels, # last; $share/group/filter), "
                "got \"" + *tpl + "\"");
        continue;
      }
      if (sub.no_local && is_shared(*tpl)) {
        r.error(item, path + ".no_local",
                "no_local is not allowed on a shared subscription (MQTT 5 §3.8.3.1)");
      }
      sub.filter = *tpl;
      s.subscribe.filters.push_back(std::move(sub));
    }
  }
  if (subscribers) {
    if (s.subscribe.filters.empty() && (!list || list->size() == 0)) {
      r.error(*subscribers, "subscribe.subscribers", "subscribe.filters is empty: nothing to subscribe to");
    }
    if (auto sel = read_selection(r, *subscribers, "subscribe.subscribers", s)) {
      s.subscribe.subscribers = *sel;
    }
  } else if (!s.subscribe.filters.empty()) {
    s.subscribe.subscribers.kind = Selection::Kind::All;
    s.subscribe.subscribers.selected = s.fleet.devices;
  }
}

// ---- phases ---------------------------------------------------------------------------

void parse_phases(Reader& r, const YAML::Node& n, Scenario& s) {
  if (!n.IsSequence()) {
    r.error(n, "phases", "expected a list of phases like {type: ramp} / {type: steady, duration: 60s}, " + describe(n));
    return;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string path = "phases." + std::to_string(i);
    MapView m(r, n[i], path, keys::kPhase);
    if (!m.ok()) continue;
    if (n[i].IsNull()) {
      r.error(n[i], path, "expected a phase like {type: steady, duration: 60s}, got nothing");
      continue;
    }
    Phase ph;
    auto type = m.get("type");
    if (!type) {
      r.error(n[i], m.path("type"), "required: one of ramp, steady, churn, storm, search");
      continue;
    }
    auto ti = read_enum(r, *type, m.path("type"), keys::kPhaseTypes);
    if (!ti) continue;
    ph.type = static_cast<PhaseType>(*ti);
    ph.name = std::string(to_string(ph.type)) + "-" + std::to_string(i);
    if (auto v = m.get("name")) {
      if (auto t = read_string(r, *v, m.path("name"))) ph.name = *t;
    }
    if (auto v = m.get("connect_rate")) {
      if (ph.type != PhaseType::Ramp) {
        r.error(*v, m.path("connect_rate"), "only for phases of type ramp");
      } else if (auto x = read_positive_rate(r, *v, m.path("connect_rate"))) {
        ph.connect_rate = Rate{*x};
      }
    }
    if (auto v = m.get("rate")) {
      if (ph.type != PhaseType::Churn) {
        r.error(*v, m.path("rate"), "only for phases of type churn (share of devices per second)");
      } else if (auto t = r.text(*v, m.path("rate"), "a share per time like 1%/s")) {
        auto x = parse_share_rate(*t);
        if (!x || *x <= 0) {
          r.error(*v, m.path("rate"),
                  "expected a share of devices per time like 1%/s or 30%/m, got \"" + *t + "\"");
        } else {
          ph.churn_share_per_second = *x;
        }
      }
    } else if (ph.type == PhaseType::Churn) {
      r.error(n[i], m.path("rate"), "required for churn: the share of devices dropped per time, like 1%/s");
    }
    if (ph.type == PhaseType::Search) {
      if (auto v = m.get("groups")) r.error(*v, m.path("groups"), "a search names the group it varies with group:");
      ph.search = parse_search(r, m, n[i]);
      if (auto v = m.get("duration")) {
        r.error(*v, m.path("duration"), "a search lasts max_steps * hold (it may end sooner): set those instead");
      } else if (ph.search && ph.search->hold.count() > 0) {
        ph.duration = ph.search->hold * ph.search->max_steps;
      }
      s.phases.push_back(std::move(ph));
      continue;
    }
    for (const char* key : {"vary", "per", "from", "to", "hold", "settle", "steps", "step", "precision", "max_steps",
                            "criteria", "require", "abort", "group"}) {
      if (auto v = m.get(key)) r.error(*v, m.path(key), "only for phases of type search");
    }
    if (auto v = m.get("groups")) {
      // The names are checked against `groups:` once those are read (check_phase_groups).
      if (ph.type == PhaseType::Steady) {
        r.error(*v, m.path("groups"), "only for ramp, churn and storm phases: a steady phase holds every group");
      } else if (v->IsSequence()) {
        if (v->size() == 0) r.error(*v, m.path("groups"), "expected one or more group names, got an empty list");
        for (std::size_t g = 0; g < v->size(); ++g)
          if (auto t = read_string(r, (*v)[g], m.path("groups") + "." + std::to_string(g))) ph.groups.push_back(*t);
      } else if (auto t = read_string(r, *v, m.path("groups"))) {
        ph.groups.push_back(*t);
      }
    }
    if (auto v = m.get("duration")) {
      ph.duration_given = true;
      if (auto d = read_duration(r, *v, m.path("duration"))) {
        if (d->count() <= 0) r.error(*v, m.path("duration"), "expected a duration above 0, got \"" + v->Scalar() + "\"");
        else ph.duration = *d;
      }
    } else if (ph.type == PhaseType::Ramp) {
      // Long enough to connect the whole fleet at the ramp's rate.
      const double rate = ph.connect_rate ? ph.connect_rate->per_second : s.fleet.connect_rate.per_second;
      const double ms = std::ceil(static_cast<double>(s.fleet.devices) * 1000.0 / rate);
      ph.duration = Duration(static_cast<Duration::rep>(std::max(ms, 1.0)));
    } else {
      r.error(n[i], m.path("duration"), std::string("required for a ") + to_string(ph.type) + " phase, e.g. 60s");
    }
    s.phases.push_back(std::move(ph));
  }
}

// ---- run ------------------------------------------------------------------------------

void parse_run(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "run", keys::kRun);
  if (!m.ok()) return;
  auto positive = [&](std::string_view key, Duration& out) {
    if (auto v = m.get(key)) {
      if (auto d = read_duration(r, *v, m.path(key))) {
        if (d->count() <= 0) r.error(*v, m.path(key), "expected a duration above 0, got \"" + v->Scalar() + "\"");
        else out = *d;
      }
    }
  };
  positive("duration", s.run.duration);
  positive("progress_interval", s.run.progress_interval);
  positive("drain_timeout", s.run.drain_timeout);
  if (auto v = m.get("id")) {
    if (auto t = read_string(r, *v, m.path("id"))) {
      if (t->empty()) r.error(*v, m.path("id"), "expected a run id such as a CI job id, got \"\"");
      else s.run.id = *t;
    }
  }
  if (auto v = m.get("report")) {
    if (auto t = read_string(r, *v, m.path("report"))) {
      if (t->empty()) r.error(*v, m.path("report"), "expected a file path, got \"\"");
      else s.run.report = std::filesystem::path(*t);
    }
  }
}

// ---- thresholds -----------------------------------------------------------------------

void parse_thresholds(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "thresholds", keys::kThresholds);
  if (!m.ok() || !n.IsMap()) return;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = it->first.Scalar();
    auto v = m.get(key);
    if (!v || !v->is(it->second)) continue;  // unknown or duplicate: already reported
    const std::string path = m.path(key);
    auto text = r.text(*v, path, "a limit like \"<= 250ms\", \">= 99.9%\" or 0");
    if (!text) continue;
    Threshold t;
    t.metric = key;
    t.text = *text;
    std::string_view rest = *text;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    t.op = key == "connect_success_ratio" ? ThresholdOp::Ge : ThresholdOp::Le;
    for (auto [sym, op] : {std::pair{"<=", ThresholdOp::Le}, std::pair{">=", ThresholdOp::Ge},
                           std::pair{"==", ThresholdOp::Eq}, std::pair{"<", ThresholdOp::Lt},
                           std::pair{">", ThresholdOp::Gt}, std::pair{"=", ThresholdOp::Eq}}) {
      if (rest.starts_with(sym)) {
        t.op = op;
        rest.remove_prefix(std::string_view(sym).size());
        break;
      }
    }
    std::string what;
    bool ok = false;
    if (key.starts_with("p99_")) {
      what = "a duration like 250ms";
      t.unit = Threshold::Unit::Seconds;
      if (auto d = parse_duration(rest)) t.value = static_cast<double>(d->count()) / 1000.0, ok = true;
    } else if (key == "max_loss" || key == "max_duplicates" || key == "max_shadow_rejections" ||
               key == "max_job_failures" || key == "max_provisioning_failures") {
      what = "a count like 0 or a share like 0.1%";
      if (auto c = parse_uint(rest)) {
        t.unit = Threshold::Unit::Count, t.value = static_cast<double>(*c), ok = true;
      } else if (auto x = parse_ratio(rest)) {
        t.unit = Threshold::Unit::Ratio, t.value = *x, ok = true;
      }
    } else {
      what = key == "connect_success_ratio" ? "a share like 99.9% or 0.999" : "a share like 1%";
      t.unit = Threshold::Unit::Ratio;
      if (auto x = parse_ratio(rest)) t.value = *x, ok = true;
    }
    if (!ok) {
      r.error(*v, path, "expected " + what + " with an optional <, <=, >, >= or == in front, got \"" + *text + "\"");
      continue;
    }
    s.thresholds.push_back(std::move(t));
  }
}

}  // namespace fleetload::scenario::detail
