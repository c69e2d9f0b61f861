// `shadow:` (AWS IoT Device Shadow traffic per group) and the thing name it addresses: names
// checked by the service's rules (awsiot/topics.hpp), the reported template rendered once and
// parsed as the JSON object the service requires ("Device Shadow service documents").
#include <boost/json.hpp>

#include "awsiot/topics.hpp"
#include "scenario/parse.hpp"

namespace fleetload::scenario::detail {

// The thing name: the service's rules, rendered for the first device (a template that
// breaks them for one device breaks them for all). The five answer topics: one SUBSCRIBE.
void check_aws_topics(Reader& r, const YAML::Node& n, const Scenario& s, const char* thing_of, const char* who) {
  const std::string thing = render_for(s, s.fleet.thing_name.value_or("{client_id}"), s.group_first);
  if (const char* why = awsiot::check_thing_name(thing)) {
    r.error(n, s.fleet.thing_name ? "fleet.thing_name" : "fleet.client_id",
            std::string(thing_of) + " thing name must be a thing name: " + why + ", got \"" + thing +
                "\" (set fleet.thing_name)");
  }
  if (s.session.subscribe_batch && *s.session.subscribe_batch < 5)
    r.error(n, "session.subscribe_batch",
            std::string(who) + " to 5 answer topics in one SUBSCRIBE: subscribe_batch must be 5 or more, got " +
                std::to_string(*s.session.subscribe_batch));
}

void read_answer_timeout(Reader& r, const MapView& m, Duration& out) {
  if (auto v = m.get("timeout")) {
    if (auto d = read_duration(r, *v, m.path("timeout"))) {
      if (d->count() <= 0) r.error(*v, m.path("timeout"), "expected a duration above 0 like 10s, got \"" + v->Scalar() + "\"");
      else out = *d;
    }
  }
}

// `qos` of an AWS IoT behaviour: 0 or 1 (the SDK samples use 1); AWS IoT Core has no QoS 2.
void read_aws_qos(Reader& r, const MapView& m, std::uint8_t& out) {
  const auto v = m.get("qos");
  if (!v) return;
  const std::string path = m.path("qos");
  if (v->IsScalar() && v->Scalar() == "2") {
    r.error(*v, path, "expected 0 or 1, got 2: AWS IoT Core does not support QoS 2");
    return;
  }
  if (const auto q = read_uint(r, *v, path, 0, 1)) out = static_cast<std::uint8_t>(*q);
}

void parse_shadow(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "shadow", keys::kShadow);
  if (!m.ok()) return;
  Shadow sh;
  if (auto v = m.get("name")) {
    if (auto t = read_string(r, *v, m.path("name"))) {
      if (const char* why = awsiot::check_shadow_name(*t))
        r.error(*v, m.path("name"), std::string("expected a shadow name: ") + why + ", got \"" + *t + "\"");
      else
        sh.name = *t;
    }
  }
  if (auto v = m.get("get")) {
    if (auto i = read_enum(r, *v, m.path("get"), keys::kShadowGets)) sh.get = static_cast<ShadowGet>(*i);
  }
  if (auto v = m.get("on_delta")) {
    if (auto i = read_enum(r, *v, m.path("on_delta"), keys::kShadowOnDeltas)) sh.on_delta = static_cast<ShadowOnDelta>(*i);
  }
  read_into(m, "version", sh.version, [&](const YAML::Node& v, const std::string& p) { return read_bool(r, v, p); });
  read_answer_timeout(r, m, sh.timeout);
  read_aws_qos(r, m, sh.qos);
  if (auto u = m.get("update")) {
    MapView um(r, *u, "shadow.update", keys::kShadowUpdate);
    if (um.ok()) {
      ShadowUpdate up;
      if (auto v = um.get("rate")) {
        if (auto rate = read_rate(r, *v, um.path("rate"))) {
          if (*rate <= 0) r.error(*v, um.path("rate"), "expected a rate above 0 like 1/m, got \"" + v->Scalar() + "\"");
          else up.rate.per_second = *rate;
        }
      } else {
        r.error(*u, "shadow.update.rate", "required: updates per device, e.g. 1/m");
      }
      if (auto v = um.get("reported")) {
        if (auto tpl = read_template(r, *v, um.path("reported"), kPayloadVars)) {
          // The service answers 400 to a reported node that is not an object; say so here
          // rather than count every update rejected.
          TemplateVars tv = template_vars(s, s.group_first);
          const std::string cid = render_template(s.fleet.client_id, tv);
          tv.client_id = cid;
          tv.seq = 1;
          tv.timestamp_ms = 1;
          boost::system::error_code ec;
          const auto doc = boost::json::parse(render_template(*tpl, tv), ec);
          if (ec || !doc.is_object())
            r.error(*v, um.path("reported"),
                    "expected a JSON object template like {\"temp\": {seq}}, got \"" + *tpl + "\"" +
                        (ec ? " (not JSON once rendered: " + ec.message() + ")" : " (not an object)"));
          else
            up.reported = *tpl;
        }
      }
      sh.update = std::move(up);
    }
  }
  check_aws_topics(r, n, s, "the shadow's", "a shadow subscribes");
  s.shadow = std::move(sh);
}

}  // namespace fleetload::scenario::detail
