// `fleetload init`: every combination of auth mode, protocol and shape is a scenario the
// parser accepts as written, with the choices it was asked for; the arguments' errors; -o
// never replaces a file without --force.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli/args.hpp"
#include "cli/cmd_init.hpp"
#include "scenario/checks.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::cli {
namespace {

using scenario::AuthMode;

constexpr AuthMode kModes[] = {
    AuthMode::PlainTcp,       AuthMode::MtlsFromPath,   AuthMode::MtlsFromBytes,
    AuthMode::MtlsWithPkcs11, AuthMode::MtlsWithPkcs12, AuthMode::WebsocketsWithDefaultAwsSigning,
    AuthMode::WebsocketsWithCustomHandshake,            AuthMode::DirectWithCustomAuthorizer,
    AuthMode::WebsocketsWithCustomAuthorizer,           AuthMode::NewDefaultBuilder,
};
constexpr Shape kShapes[] = {Shape::Telemetry, Shape::Idle, Shape::Storm, Shape::Mixed};

bool has_phase(const scenario::Scenario& s, scenario::PhaseType t) {
  for (const auto& p : s.phases)
    if (p.type == t) return true;
  return false;
}

TEST(CliInit, EveryCombinationParsesAsWrittenWithWhatWasAsked) {
  int combinations = 0;
  for (AuthMode mode : kModes) {
    for (mqtt::Version protocol : {mqtt::Version::V311, mqtt::Version::V5}) {
      for (Shape shape : kShapes) {
        InitArgs a;
        a.mode = mode;
        a.protocol = protocol;
        a.shape = shape;
        const std::string text = starter_scenario(a);
        const std::string what = std::string(scenario::to_string(mode)) + " " +
                                 (protocol == mqtt::Version::V5 ? "5" : "3.1.1") + " " + to_string(shape);
        scenario::Scenario s;
        try {
          s = scenario::parse_scenario(text, "init.yaml");
        } catch (const scenario::ScenarioError& e) {
          ADD_FAILURE() << what << ":\n" << e.what() << "\n" << text;
          continue;
        }
        ++combinations;
        EXPECT_EQ(s.auth.mode, mode) << what;
        EXPECT_EQ(s.target.protocol, protocol) << what;
        const scenario::CheckResult c = scenario::check_rendering(s);
        EXPECT_TRUE(c.errors.empty()) << what << ": " << (c.errors.empty() ? "" : c.errors[0].format());
        EXPECT_TRUE(scenario::warnings(s).empty()) << what << ": " << scenario::warnings(s).front();
        switch (shape) {
          case Shape::Telemetry:
            EXPECT_TRUE(!s.publish.empty() && s.publish.front().qos == 1) << what;
            EXPECT_EQ(s.subscribe.subscribers.selected, 5u) << what;
            break;
          case Shape::Idle:
            EXPECT_TRUE(s.publish.empty()) << what;
            break;
          case Shape::Storm:
            EXPECT_TRUE(has_phase(s, scenario::PhaseType::Storm)) << what;
            break;
          case Shape::Mixed:
            EXPECT_TRUE(has_phase(s, scenario::PhaseType::Churn) && has_phase(s, scenario::PhaseType::Storm)) << what;
            break;
        }
        // Commented: more comment lines than a bare scenario would have.
        EXPECT_GT(std::count(text.begin(), text.end(), '#'), 20) << what;
      }
    }
  }
  EXPECT_EQ(combinations, 80);
}

TEST(CliInit, ArgumentsPickTheChoicesAndNameWhatIsWrong) {
  const InitArgs a = parse_init_args({"--auth", "mtls_from_path", "--protocol=3.1.1", "--shape", "storm", "-o", "s.yaml"});
  EXPECT_EQ(a.mode, AuthMode::MtlsFromPath);
  EXPECT_EQ(a.protocol, mqtt::Version::V311);
  EXPECT_EQ(a.shape, Shape::Storm);
  EXPECT_EQ(a.out, "s.yaml");
  const InitArgs d = parse_init_args({});
  EXPECT_EQ(d.mode, AuthMode::PlainTcp);
  EXPECT_EQ(d.protocol, mqtt::Version::V5);
  EXPECT_EQ(d.shape, Shape::Telemetry);
  EXPECT_FALSE(d.out);
  auto error_of = [](std::vector<std::string> args) {
    try {
      parse_init_args(args);
    } catch (const ArgError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(error_of({"--auth", "mtls"}).find("init: --auth: unknown mode \"mtls\"; modes: plain_tcp, mtls_from_path"),
            std::string::npos);
  EXPECT_NE(error_of({"--auth", "mtls_with_windows_cert_store_path"}).find("refuses off Windows"), std::string::npos);
  EXPECT_EQ(error_of({"--shape", "burst"}), "init: --shape: expected telemetry, idle, storm or mixed, got \"burst\"");
  EXPECT_EQ(error_of({"--protocol", "4"}), "init: --protocol: expected 3.1.1 or 5 (also mqtt311, mqtt5), got \"4\"");
  EXPECT_EQ(error_of({"-o"}), "init: -o needs a value");
  EXPECT_EQ(error_of({"extra"}), "init: unknown argument \"extra\" (see fleetload init --help)");
}

TEST(CliInit, OutputFileIsNeverReplacedWithoutForce) {
  const auto dir = std::filesystem::temp_directory_path() / ("fleetload-init-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "s.yaml").string();
  {
    std::ofstream(file) << "mine\n";
  }
  auto read = [&] {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(init_command({"-o", file}), kExitBadInput);
  EXPECT_EQ(read(), "mine\n");
  EXPECT_EQ(init_command({"-o", file, "--force", "--shape", "idle"}), kExitOk);
  EXPECT_EQ(read(), starter_scenario(parse_init_args({"--shape", "idle"})));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fleetload::cli
