// `provisioning:` (AWS IoT Fleet Provisioning by claim, per group): the template's name by the
// service's rules (awsiot/topics.hpp), its parameters as templates rendered for the first
// device, and a claim identity that is a client certificate (the group's mtls_* auth).
#include "awsiot/topics.hpp"
#include "scenario/parse.hpp"

namespace fleetload::scenario::detail {

void parse_provisioning(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "provisioning", keys::kProvisioning);
  if (!m.ok()) return;
  Provisioning pv;
  if (auto v = m.get("template")) {
    if (auto t = read_string(r, *v, m.path("template"))) {
      if (const char* why = awsiot::check_template_name(*t))
        r.error(*v, m.path("template"), std::string("expected a provisioning template name: ") + why + ", got \"" + *t + "\"");
      else
        pv.template_name = *t;
    }
  } else {
    r.error(n, "provisioning.template", "required: the provisioning template's name, e.g. FleetTemplate");
  }
  if (auto v = m.get("parameters")) {
    if (!v->IsMap()) {
      r.error(*v, m.path("parameters"), "expected a mapping of name: template, " + describe(*v));
    } else {
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto key = r.text(it->first, m.path("parameters"), "a parameter name");
        if (!key) continue;
        const std::string path = m.path("parameters") + "." + *key;
        if (key->empty()) {
          r.error(it->first, m.path("parameters"), "a parameter name may not be empty");
          continue;
        }
        if (auto tpl = read_template(r, it->second, path, kTopicVars)) pv.parameters.emplace_back(*key, *tpl);
      }
    }
  }
  if (auto v = m.get("certificate")) {
    if (auto i = read_enum(r, *v, m.path("certificate"), keys::kProvisioningCertificates))
      pv.certificate = static_cast<ProvisioningCertificate>(*i);
  }
  if (auto v = m.get("format")) {
    if (auto i = read_enum(r, *v, m.path("format"), keys::kProvisioningFormats))
      pv.format = static_cast<ProvisioningFormat>(*i);
  }
  if (auto v = m.get("key_type")) {
    if (auto i = read_enum(r, *v, m.path("key_type"), keys::kProvisioningKeyTypes)) {
      pv.key_type = static_cast<ProvisioningKey>(*i);
      if (pv.certificate != ProvisioningCertificate::CreateFromCsr)
        r.error(*v, m.path("key_type"),
                "key_type is the key made locally for a CSR: it needs certificate: create_from_csr");
    }
  }
  if (auto v = m.get("timeout")) {
    if (auto d = read_duration(r, *v, m.path("timeout"))) {
      if (d->count() <= 0) r.error(*v, m.path("timeout"), "expected a duration above 0 like 10s, got \"" + v->Scalar() + "\"");
      else pv.timeout = *d;
    }
  }
  read_aws_qos(r, m, pv.qos);
  // The claim identity is the group's client certificate; the new one replaces it on the
  // same TLS connection setup, so the mode must present a certificate over TLS.
  if (!is_mtls(s.auth.mode) || is_websocket(s.auth.mode))
    r.error(n, "auth.mode",
            std::string("provisioning by claim connects with a claim certificate: auth.mode must be an mtls_* mode, got ") +
                to_string(s.auth.mode));
  // The four answer topics go in one SUBSCRIBE.
  if (s.session.subscribe_batch && *s.session.subscribe_batch < 4)
    r.error(n, "session.subscribe_batch",
            "provisioning subscribes to 4 answer topics in one SUBSCRIBE: subscribe_batch must be 4 or more, got " +
                std::to_string(*s.session.subscribe_batch));
  s.provisioning = std::move(pv);
}

}  // namespace fleetload::scenario::detail
