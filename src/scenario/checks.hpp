// Checks `validate` and `run` make after parsing, on the scenario as this shard will run it:
// the templates rendered for the shard's first and last device must give MQTT strings the
// codec can send (valid UTF-8, at most 65,535 bytes, topic rules), and settings that weaken
// the broker check are warned about. Identity files are checked by auth/identity_check.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {

// What the checks found. `errors` make the scenario unusable (exit 2, as parse errors);
// `warnings` do not; `notes` say what was checked (validate prints them).
struct CheckResult {
  std::vector<Diagnostic> errors;
  std::vector<std::string> warnings;
  std::vector<std::string> notes;
};

// The fleet indexes of this shard's first and last device (one entry when they are the
// same device, none for an empty shard): the devices whose rendered strings are checked.
// For a device group's scenario (group_scenarios): the group's first and last in the shard.
std::vector<std::uint64_t> checked_devices(const Scenario& s);

// A diagnostic pointing at where `path` was read (file:line:column of its template, or the
// --set override), or at the file when it was not read from it (a default).
Diagnostic diagnostic_at(const Scenario& s, std::string_view path, std::string message);

// Renders fleet.client_id, publish.topic, subscribe.filters, session.will (topic, payload)
// and auth.username for the checked devices. Errors name the template's position, the
// device and what is wrong (not UTF-8, over 65,535 bytes, not a topic name/filter). Warns
// when tls.sni overrides the host checked against the broker certificate.
CheckResult check_rendering(const Scenario& s);

// `check` on the scenario, or with device groups on each group's scenario
// (group_scenarios), its findings named as the group's ("groups.gateways.auth.cert_filepath").
CheckResult check_each_group(const Scenario& s, const std::function<CheckResult(const Scenario&)>& check);

}  // namespace fleetload::scenario
