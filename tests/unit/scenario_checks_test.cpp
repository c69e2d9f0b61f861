// The checks validate and run make after parsing: client ids, topics, filters, will and
// username rendered for the shard's first and last device must be MQTT strings the codec can
// send, reported at the template's file:line:column; tls.sni overriding the checked host is
// warned about.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "scenario/checks.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

std::string errors_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  const Scenario s = parse_scenario(yaml, "s.yaml", overrides);
  std::string out;
  for (const auto& d : check_rendering(s).errors) out += d.format() + "\n";
  return out;
}

TEST(ScenarioChecks, ClientIdTooLongForTheLastDeviceOnly) {
  // 65,531 bytes + the index: device 0 has 65,532, device 99,999 has 65,536.
  const std::string yaml = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 100000, client_id: \"" +
                           std::string(65531, 'c') + "{index}\"}\n";
  EXPECT_EQ(errors_of(yaml),
            "s.yaml:2:37: fleet.client_id: rendered for device 99999, is 65,536 bytes; an MQTT string holds at "
            "most 65,535 (MQTT 5 §1.5.4)\n");
  // With 10,000 devices the last one has 65,531 + 4 digits = 65,535 bytes: the limit itself.
  EXPECT_EQ(errors_of(yaml, {"fleet.devices=10000"}), "");
}

TEST(ScenarioChecks, InvalidUtf8FromTheEnvironmentIsRefused) {
  ::setenv("FLEETLOAD_CHECKS_TEST_ID", "dev\xff", 1);
  const std::string yaml = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 3, client_id: \"${FLEETLOAD_CHECKS_TEST_ID}-{index}\"}\n";
  EXPECT_EQ(errors_of(yaml),
            "s.yaml:2:32: fleet.client_id: rendered for device 0, \"dev?-0\" is not valid UTF-8 (or holds U+0000); "
            "MQTT strings must be (MQTT 5 §1.5.4)\n");
}

TEST(ScenarioChecks, OverlongTopicIsRefusedAtItsTemplate) {
  const std::string yaml = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 2}\npublish:\n  rate: 1/s\n  topic: \"t/" +
                           std::string(70000, 'y') + "\"\n";
  EXPECT_EQ(errors_of(yaml),
            "s.yaml:5:10: publish.topic: rendered for device 0, is 70,002 bytes; an MQTT string holds at most "
            "65,535 (MQTT 5 §1.5.4)\n");
}

TEST(ScenarioChecks, FilterTooLongForTheLastDeviceOnly) {
  // "f/" + 65,529 + "/" + index: 65,535 bytes for device 999, 65,536 for device 1000.
  const std::string yaml = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 1000}\n"
                           "subscribe:\n  filters:\n    - {filter: \"f/" + std::string(65529, 'x') + "/{index}\", qos: 1}\n";
  EXPECT_EQ(errors_of(yaml), "");
  EXPECT_EQ(errors_of(yaml, {"fleet.devices=1001"}),
            "s.yaml:5:16: subscribe.filters.0.filter: rendered for device 1000, is 65,536 bytes; an MQTT string "
            "holds at most 65,535 (MQTT 5 §1.5.4)\n");
}

TEST(ScenarioChecks, WillTopicAndUsernameAreChecked) {
  const std::string yaml = "target: {endpoint: 127.0.0.1}\nfleet: {devices: 2}\n"
                           "auth: {username: \"u-\\0-{index}\"}\n"
                           "session:\n  will: {topic: \"w/{client_id}\", payload: \"" + std::string(70000, 'p') + "\"}\n";
  const std::string e = errors_of(yaml);
  EXPECT_NE(e.find("s.yaml:3:18: auth.username: rendered for device 0, \"u-?-0\" is not valid UTF-8"), std::string::npos) << e;
  EXPECT_NE(e.find("session.will.payload: rendered for device 0, is 70,000 bytes; MQTT Binary Data holds at most 65,535"), std::string::npos) << e;
}

TEST(ScenarioChecks, CheckedDevicesFollowTheShard) {
  Scenario s = parse_scenario("target: {endpoint: 127.0.0.1}\nfleet: {devices: 10}\n", "s.yaml");
  EXPECT_EQ(checked_devices(s), (std::vector<std::uint64_t>{0, 9}));
  s.fleet.shard = Shard{1, 3};  // devices 1, 4, 7
  EXPECT_EQ(checked_devices(s), (std::vector<std::uint64_t>{1, 7}));
  s.fleet.devices = 2;  // shard 1/3 holds device 1 only
  EXPECT_EQ(checked_devices(s), (std::vector<std::uint64_t>{1}));
  s.fleet.devices = 1;  // shard 1/3 is empty
  EXPECT_TRUE(checked_devices(s).empty());
  const auto notes = check_rendering(parse_scenario("target: {endpoint: 127.0.0.1}\nfleet: {devices: 10}\n", "s.yaml")).notes;
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("devices 0 and 9"), std::string::npos) << notes[0];
}

TEST(ScenarioChecks, SniOverrideWhileVerifyingIsWarned) {
  const std::string base =
      "target: {endpoint: \"127.0.0.1:8883\"}\nfleet: {devices: 2}\n"
      "auth:\n  mode: new_default_builder\n";
  EXPECT_TRUE(check_rendering(parse_scenario(base, "s.yaml")).warnings.empty());
  const auto w = check_rendering(parse_scenario(base + "  tls: {sni: broker.example}\n", "s.yaml")).warnings;
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("auth.tls.sni \"broker.example\" replaces the endpoint host in the broker certificate check"),
            std::string::npos) << w[0];
  EXPECT_NE(w[0].find("not \"127.0.0.1\""), std::string::npos) << w[0];
  // Same name as the endpoint, or no verification at all (warned elsewhere): nothing to say.
  EXPECT_TRUE(check_rendering(parse_scenario(base + "  tls: {sni: 127.0.0.1}\n", "s.yaml")).warnings.empty());
}

}  // namespace
}  // namespace fleetload::scenario
