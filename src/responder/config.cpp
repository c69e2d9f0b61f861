// Reading the responder's YAML configuration (see config.hpp and docs/responder.md).
#include "responder/config.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#include "awsiot/topics.hpp"
#include "scenario/scenario.hpp"
#include "scenario/yaml_reader.hpp"

namespace fleetload::responder {
namespace {

namespace json = boost::json;
using scenario::detail::MapView;
using scenario::detail::Reader;

// A YAML node as JSON: mappings, sequences, and plain scalars typed as YAML 1.2's core
// schema reads them (null, true/false, integers, floats); quoted scalars stay strings.
std::optional<json::value> to_json(Reader& r, const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined() || n.IsNull()) return json::value(nullptr);
  if (n.IsMap()) {
    json::object o;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node k = it->first;
      if (!k.IsScalar()) {
        r.error(k, path, "expected a key name");
        return std::nullopt;
      }
      auto v = to_json(r, it->second, path + "." + k.Scalar());
      if (!v) return std::nullopt;
      o[k.Scalar()] = std::move(*v);
    }
    return json::value(std::move(o));
  }
  if (n.IsSequence()) {
    json::array a;
    for (std::size_t i = 0; i < n.size(); ++i) {
      auto v = to_json(r, n[i], path + "[" + std::to_string(i) + "]");
      if (!v) return std::nullopt;
      a.push_back(std::move(*v));
    }
    return json::value(std::move(a));
  }
  const std::string& s = n.Scalar();
  if (n.Tag() != "!") {  // plain scalar
    if (s == "null" || s == "~") return json::value(nullptr);
    if (s == "true") return json::value(true);
    if (s == "false") return json::value(false);
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return json::value(i);
    double d = 0;
    auto [pd, ecd] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ecd == std::errc() && pd == s.data() + s.size() && !s.empty()) return json::value(d);
  }
  return json::value(s);
}

std::optional<std::vector<std::string>> read_strings(Reader& r, const YAML::Node& n, const std::string& path) {
  if (!n.IsSequence()) {
    r.error(n, path, "expected a list of strings, " + scenario::detail::describe(n));
    return std::nullopt;
  }
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n.size(); ++i) {
    auto s = scenario::detail::read_string(r, n[i], path + "[" + std::to_string(i) + "]");
    if (!s) return std::nullopt;
    v.push_back(std::move(*s));
  }
  return v;
}

void parse_broker(Reader& r, const YAML::Node& n, BrokerConfig& b) {
  using namespace scenario::detail;
  MapView m(r, n, "broker",
            {"host", "port", "protocol", "client_id", "keepalive", "qos", "request_qos", "max_inflight", "username",
             "password", "tls"});
  read_into(m, "host", b.host, [&](const YAML::Node& x, const std::string& p) { return read_string(r, x, p); });
  read_into(m, "port", b.port, [&](const YAML::Node& x, const std::string& p) { return read_uint(r, x, p, 1, 65535); });
  if (auto v = m.get("protocol")) {
    if (auto i = read_enum(r, *v, m.path("protocol"), {"3.1.1", "5"})) b.version = *i == 0 ? mqtt::Version::V311 : mqtt::Version::V5;
  }
  read_into(m, "client_id", b.client_id, [&](const YAML::Node& x, const std::string& p) { return read_string(r, x, p); });
  read_into(m, "keepalive", b.keepalive,
            [&](const YAML::Node& x, const std::string& p) { return read_seconds(r, x, p, 0, 65535); });
  read_into(m, "qos", b.qos, [&](const YAML::Node& x, const std::string& p) { return read_uint(r, x, p, 0, 1); });
  read_into(m, "request_qos", b.request_qos, [&](const YAML::Node& x, const std::string& p) { return read_uint(r, x, p, 0, 1); });
  read_into(m, "max_inflight", b.max_inflight,
            [&](const YAML::Node& x, const std::string& p) { return read_uint(r, x, p, 1, 65535); });
  if (auto v = m.get("username")) b.username = read_string(r, *v, m.path("username"));
  if (auto v = m.get("password")) b.password = read_string(r, *v, m.path("password"));
  if (auto t = m.get("tls")) {
    MapView tm(r, *t, "broker.tls", {"ca_file", "cert_file", "key_file", "server_name", "verify_peer"});
    b.tls = true;
    if (auto v = tm.get("ca_file")) b.ca_file = read_string(r, *v, tm.path("ca_file"));
    if (auto v = tm.get("cert_file")) b.cert_file = read_string(r, *v, tm.path("cert_file"));
    if (auto v = tm.get("key_file")) b.key_file = read_string(r, *v, tm.path("key_file"));
    read_into(tm, "server_name", b.server_name, [&](const YAML::Node& x, const std::string& p) { return read_string(r, x, p); });
    read_into(tm, "verify_peer", b.verify_peer, [&](const YAML::Node& x, const std::string& p) { return read_bool(r, x, p); });
    if (b.cert_file.has_value() != b.key_file.has_value()) {
      r.error(*t, "broker.tls", "cert_file and key_file go together (a client certificate needs its key)");
    }
  }
}

void parse_services(Reader& r, const YAML::Node& n, ResponderConfig& c) {
  auto names = read_strings(r, n, "services");
  if (!names) return;
  c.shadow = c.jobs = c.provisioning = false;
  for (std::size_t i = 0; i < names->size(); ++i) {
    const std::string& s = (*names)[i];
    if (s == "shadow") c.shadow = true;
    else if (s == "jobs") c.jobs = true;
    else if (s == "provisioning") c.provisioning = true;
    else r.error(n[i], "services[" + std::to_string(i) + "]", "unknown service \"" + s + "\"; allowed: shadow, jobs, provisioning");
  }
}

void parse_jobs(Reader& r, const YAML::Node& n, ResponderConfig& c) {
  using namespace scenario::detail;
  if (!n.IsSequence()) {
    r.error(n, "jobs", "expected a list of jobs, " + describe(n));
    return;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string path = "jobs[" + std::to_string(i) + "]";
    MapView m(r, n[i], path, {"id", "document", "targets", "at"});
    JobConfig j;
    if (auto v = m.get("id")) {
      if (auto s = read_string(r, *v, m.path("id"))) {
        if (const char* why = awsiot::check_job_id(*s)) r.error(*v, m.path("id"), why);
        for (const auto& other : c.job_list)
          if (other.id == *s) r.error(*v, m.path("id"), "duplicate job id \"" + *s + "\"");
        j.id = *s;
      }
    } else {
      r.error(n[i], path, "a job needs an id");
    }
    if (auto v = m.get("document")) {
      if (auto d = to_json(r, *v, m.path("document"))) j.document = std::move(*d);
      if (json::serialize(j.document).size() > 32 * 1024) r.error(*v, m.path("document"), "the job document is larger than 32 KiB");
    } else {
      j.document = json::object{};
    }
    read_into(m, "at", j.at, [&](const YAML::Node& x, const std::string& p) { return read_duration(r, x, p); });
    if (auto t = m.get("targets")) {
      MapView tm(r, *t, m.path("targets"), {"things", "template", "count", "first_index", "seen", "continuous"});
      if (auto v = tm.get("things")) {
        if (auto s = read_strings(r, *v, tm.path("things"))) j.targets.things = std::move(*s);
        for (const auto& thing : j.targets.things)
          if (const char* why = awsiot::check_thing_name(thing)) r.error(*v, tm.path("things"), "\"" + thing + "\": " + why);
      }
      read_into(tm, "template", j.targets.name_template, [&](const YAML::Node& x, const std::string& p) { return read_string(r, x, p); });
      read_into(tm, "count", j.targets.count, [&](const YAML::Node& x, const std::string& p) { return read_uint(r, x, p, 1, 10'000'000); });
      read_into(tm, "first_index", j.targets.first_index,
                [&](const YAML::Node& x, const std::string& p) { return read_uint(r, x, p, 0, UINT64_MAX / 2); });
      read_into(tm, "seen", j.targets.seen, [&](const YAML::Node& x, const std::string& p) { return read_bool(r, x, p); });
      read_into(tm, "continuous", j.targets.continuous, [&](const YAML::Node& x, const std::string& p) { return read_bool(r, x, p); });
      const bool tpl = !j.targets.name_template.empty();
      if (tpl != (j.targets.count > 0)) r.error(*t, tm.path(), "template and count go together");
      if (tpl && j.targets.name_template.find("{index}") == std::string::npos) {
        r.error(*t, tm.path("template"), "the template must contain {index}, or every target is the same thing");
      }
      if (tpl) {
        if (const char* why = awsiot::check_thing_name(render_index(j.targets.name_template, j.targets.first_index))) {
          r.error(*t, tm.path("template"), why);
        }
      }
      if (j.targets.continuous && !j.targets.seen) r.error(*t, tm.path("continuous"), "continuous applies to seen: true");
      if (j.targets.things.empty() && !tpl && !j.targets.seen) r.error(*t, tm.path(), "no targets: set things, template + count, or seen: true");
    } else {
      r.error(n[i], path, "a job needs targets (things, template + count, or seen: true)");
    }
    c.job_list.push_back(std::move(j));
  }
}

void parse_provisioning(Reader& r, const YAML::Node& n, ProvisioningConfig& p) {
  using namespace scenario::detail;
  MapView m(r, n, "provisioning", {"ca_cert", "ca_key", "key_type", "days", "templates"});
  if (auto v = m.get("ca_cert")) p.ca_cert = read_string(r, *v, m.path("ca_cert"));
  if (auto v = m.get("ca_key")) p.ca_key = read_string(r, *v, m.path("ca_key"));
  if (p.ca_cert.has_value() != p.ca_key.has_value()) r.error(n, "provisioning", "ca_cert and ca_key go together");
  if (auto v = m.get("key_type")) {
    if (auto i = read_enum(r, *v, m.path("key_type"), {"ecdsa-p256", "rsa2048"})) {
      p.key_type = *i == 0 ? auth::CertKeyType::EcdsaP256 : auth::CertKeyType::Rsa2048;
    }
  }
  read_into(m, "days", p.days, [&](const YAML::Node& x, const std::string& path) { return read_uint(r, x, path, 1, 36500); });
  if (auto t = m.get("templates")) {
    if (!t->IsSequence()) {
      r.error(*t, m.path("templates"), "expected a list of templates, " + describe(*t));
      return;
    }
    for (std::size_t i = 0; i < t->size(); ++i) {
      const std::string path = "provisioning.templates[" + std::to_string(i) + "]";
      MapView tm(r, (*t)[i], path, {"name", "thing_name", "device_configuration"});
      ProvisioningTemplate tpl;
      if (auto v = tm.get("name")) {
        if (auto s = read_string(r, *v, tm.path("name"))) {
          if (const char* why = awsiot::check_template_name(*s)) r.error(*v, tm.path("name"), why);
          tpl.name = *s;
        }
      } else {
        r.error((*t)[i], path, "a template needs a name");
      }
      if (auto v = tm.get("thing_name")) {
        if (auto s = read_string(r, *v, tm.path("thing_name"))) {
          auto ph = template_placeholders(*s);
          if (!ph.error.empty()) r.error(*v, tm.path("thing_name"), ph.error);
          tpl.thing_name = *s;
        }
      }
      if (auto v = tm.get("device_configuration")) {
        if (!v->IsMap()) {
          r.error(*v, tm.path("device_configuration"), "expected a mapping of names to strings, " + describe(*v));
        } else {
          for (auto it = v->begin(); it != v->end(); ++it) {
            const std::string key = it->first.Scalar();
            if (auto s = read_string(r, it->second, tm.path("device_configuration") + "." + key)) {
              auto ph = template_placeholders(*s);
              if (!ph.error.empty()) r.error(it->second, tm.path("device_configuration") + "." + key, ph.error);
              tpl.device_configuration.emplace_back(key, std::move(*s));
            }
          }
        }
      }
      p.templates.push_back(std::move(tpl));
    }
  }
}

}  // namespace

std::string render_index(std::string_view tpl, std::uint64_t index) {
  std::string out;
  const std::string idx = std::to_string(index);
  std::size_t i = 0;
  while (i < tpl.size()) {
    if (tpl.compare(i, 7, "{index}") == 0) {
      out += idx;
      i += 7;
    } else {
      out += tpl[i++];
    }
  }
  return out;
}

std::vector<std::string> JobConfig::expand_targets() const {
  std::vector<std::string> v = targets.things;
  for (std::uint64_t i = 0; i < targets.count; ++i) v.push_back(render_index(targets.name_template, targets.first_index + i));
  return v;
}

ResponderConfig parse_config(std::string_view yaml_text, std::string_view file_name) {
  Reader r{std::string(file_name)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    r.error(e.mark, "", "invalid YAML: " + e.msg);
    throw scenario::ScenarioError(std::move(r.diagnostics()));
  }
  ResponderConfig c;
  c.source = std::string(file_name);
  MapView m(r, root, "", {"broker", "services", "jobs", "provisioning", "duration"});
  if (auto v = m.get("broker")) parse_broker(r, *v, c.broker);
  if (auto v = m.get("services")) parse_services(r, *v, c);
  if (auto v = m.get("jobs")) parse_jobs(r, *v, c);
  if (auto v = m.get("provisioning")) parse_provisioning(r, *v, c.provisioning_config);
  if (auto v = m.get("duration")) c.duration = scenario::detail::read_duration(r, *v, "duration");
  if (!c.job_list.empty() && !c.jobs) r.error(root, "jobs", "jobs are configured but the jobs service is not in services");
  if (r.has_errors()) throw scenario::ScenarioError(std::move(r.diagnostics()));
  return c;
}

ResponderConfig load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw scenario::ScenarioError({scenario::Diagnostic{file.string(), 0, 0, "", "cannot read the file"}});
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), file.string());
}

}  // namespace fleetload::responder
