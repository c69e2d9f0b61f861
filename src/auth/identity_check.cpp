// Identity files and CONNECT usernames checked before a run, for the first and last device.
#include "auth/identity_check.hpp"

#include <set>

#include "auth/presentation.hpp"
#include "auth/tls_identity.hpp"
#include "mqtt/codec.hpp"
#include "scenario/template.hpp"

namespace fleetload::auth {

namespace {

bool templated(const std::optional<std::string>& path) {
  if (!path) return false;
  using scenario::Placeholder;
  return scenario::template_uses(*path, Placeholder::Index) || scenario::template_uses(*path, Placeholder::Shard) ||
         scenario::template_uses(*path, Placeholder::ClientId) ||
         scenario::template_uses(*path, Placeholder::GroupIndex);
}

}  // namespace

void check_identities(const scenario::Scenario& s, scenario::CheckResult& out) {
  const auto devices = scenario::checked_devices(s);
  if (devices.empty() || s.target.endpoints.empty()) return;
  const scenario::Auth& a = s.auth;
  const bool tls = a.mode != scenario::AuthMode::PlainTcp && a.tls.enabled;
  const bool per_device = templated(a.cert_filepath) || templated(a.pri_key_filepath) || templated(a.pkcs12_filepath);
  FleetPresentation fleet(s);
  std::set<std::string> checked;  // identity keys: devices sharing one are checked once
  std::set<std::string> failed;   // options already reported
  for (const std::uint64_t i : devices) {
    DevicePresentation d;
    try {
      d = fleet.device(i, s.target.endpoints.front());
    } catch (const std::exception& e) {
      out.errors.push_back(scenario::diagnostic_at(s, "auth.mode", e.what()));
      return;
    }
    if (d.username && (d.username->size() > 65535 || !mqtt::valid_utf8(*d.username)) && failed.insert("username").second) {
      out.errors.push_back(scenario::diagnostic_at(
          s, a.auth_username ? "auth.auth_username" : "auth.username",
          "the CONNECT username of device " + std::to_string(i) +
              (d.username->size() > 65535 ? " is " + std::to_string(d.username->size()) + " bytes (at most 65,535)"
                                          : " is not valid UTF-8") +
              " (MQTT 5 §1.5.4)"));
    }
    if (!tls) continue;
    const TlsIdentitySpec& spec = fleet.identity(d.identity);
    if (!checked.insert(spec.key()).second) continue;
    try {
      check_identity(spec);
    } catch (const TlsIdentityError& e) {
      const std::string field = e.field().empty() ? "mode" : e.field();
      if (!failed.insert(field).second) continue;
      std::string msg = std::string(to_string(e.failure())) + ": " + e.what();
      const bool rendered = (field == "cert_filepath" && templated(a.cert_filepath)) ||
                            (field == "pri_key_filepath" && templated(a.pri_key_filepath)) ||
                            (field == "pkcs12_filepath" && templated(a.pkcs12_filepath));
      if (rendered) msg += " (rendered for device " + std::to_string(i) + ")";
      out.errors.push_back(scenario::diagnostic_at(s, "auth." + field, std::move(msg)));
    }
  }
  if (!tls) return;
  std::string what = "TLS identity and trust store";
  if (a.mode == scenario::AuthMode::MtlsWithPkcs11) what += " (PKCS#11: certificate and module; the PIN is not tried)";
  if (per_device) {
    std::string which = "device " + std::to_string(devices.front());
    if (devices.size() > 1) which = "devices " + std::to_string(devices.front()) + " and " + std::to_string(devices.back());
    out.notes.push_back(what + " loaded for " + which +
                        ": per-device paths are rendered and checked for the first and last device of this shard only");
  } else {
    out.notes.push_back(what + " loaded (shared by every device)");
  }
}

scenario::CheckResult check_scenario(const scenario::Scenario& s) {
  return scenario::check_each_group(s, [](const scenario::Scenario& g) {
    scenario::CheckResult out = scenario::check_rendering(g);
    check_identities(g, out);
    return out;
  });
}

}  // namespace fleetload::auth
