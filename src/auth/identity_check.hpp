// What `validate` and `run` check of the auth section before anything connects: every file
// it names exists and loads, for the shard's first and last device (per-device path templates
// are rendered for those two), and the CONNECT username each of them would send is a valid
// MQTT string.
#pragma once

#include "scenario/checks.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::auth {

// Adds to `out`: an error per identity that does not load (CA file or directory, certificate,
// key and whether they match, PKCS#12 bundle opened with its password, PKCS#11 certificate and
// module; the PIN is not tried), at the position of the option at fault, naming the file and
// the device, never a secret; an error when a rendered CONNECT username is not a valid MQTT
// string; and a note saying what was checked.
void check_identities(const scenario::Scenario& s, scenario::CheckResult& out);

// scenario::check_rendering, then check_identities: everything `validate` and `run` check
// after parsing.
scenario::CheckResult check_scenario(const scenario::Scenario& s);

}  // namespace fleetload::auth
