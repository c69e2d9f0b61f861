// The responder's YAML configuration: every section read into its fields, job documents
// typed as YAML's core schema reads them, targets expanded, and each mistake reported as
// file:line:column with the field; `fleetload responder` flags on top of the file.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli/args.hpp"
#include "cli/cmd_responder.hpp"
#include "responder/config.hpp"
#include "scenario/scenario.hpp"

namespace fleetload::responder {
namespace {

namespace json = boost::json;

constexpr const char* kFull = R"(broker:
  host: 127.0.0.9
  port: 8883
  protocol: "5"
  client_id: svc
  keepalive: 30s
  qos: 0
  request_qos: 1
  max_inflight: 50
  tls: {ca_file: ca.crt, cert_file: c.crt, key_file: c.key, server_name: broker.local}
services: [shadow, jobs]
jobs:
  - id: fw-1
    document: {operation: update, version: "2.0", size: 1024, force: true, ratio: 0.5, url: null}
    targets: {things: [car-a], template: "car-{index}", count: 3, first_index: 10}
    at: 5s
  - id: all
    targets: {seen: true, continuous: true}
provisioning:
  ca_cert: pki/ca.crt
  ca_key: pki/ca.key
  key_type: rsa2048
  days: 30
  templates:
    - name: Fleet
      thing_name: "car-{SerialNumber}"
      device_configuration: {url: "https://x/{SerialNumber}"}
duration: 10m
)";

TEST(ResponderConfig, EverySectionIsRead) {
  const ResponderConfig c = parse_config(kFull, "r.yaml");
  EXPECT_EQ(c.broker.host, "127.0.0.9");
  EXPECT_EQ(c.broker.port, 8883);
  EXPECT_EQ(c.broker.version, mqtt::Version::V5);
  EXPECT_EQ(c.broker.client_id, "svc");
  EXPECT_EQ(c.broker.keepalive, std::chrono::seconds(30));
  EXPECT_EQ(c.broker.qos, 0);
  EXPECT_EQ(c.broker.request_qos, 1);
  EXPECT_EQ(c.broker.max_inflight, 50u);
  EXPECT_TRUE(c.broker.tls);
  EXPECT_EQ(c.broker.cert_file, "c.crt");
  EXPECT_EQ(c.broker.server_name, "broker.local");
  EXPECT_TRUE(c.shadow);
  EXPECT_TRUE(c.jobs);
  EXPECT_FALSE(c.provisioning);
  ASSERT_EQ(c.job_list.size(), 2u);
  EXPECT_EQ(c.job_list[0].document,
            json::parse(R"({"operation":"update","version":"2.0","size":1024,"force":true,"ratio":0.5,"url":null})"));
  EXPECT_EQ(c.job_list[0].at, std::chrono::seconds(5));
  EXPECT_EQ(c.job_list[0].expand_targets(), (std::vector<std::string>{"car-a", "car-10", "car-11", "car-12"}));
  EXPECT_TRUE(c.job_list[1].targets.seen);
  EXPECT_TRUE(c.job_list[1].targets.continuous);
  EXPECT_EQ(c.job_list[1].document, json::object{});
  EXPECT_EQ(c.provisioning_config.key_type, auth::CertKeyType::Rsa2048);
  EXPECT_EQ(c.provisioning_config.days, 30u);
  ASSERT_EQ(c.provisioning_config.templates.size(), 1u);
  EXPECT_EQ(c.provisioning_config.templates[0].thing_name, "car-{SerialNumber}");
  EXPECT_EQ(c.provisioning_config.templates[0].device_configuration,
            (awsiot::StringMap{{"url", "https://x/{SerialNumber}"}}));
  EXPECT_EQ(c.duration, std::chrono::minutes(10));
}

std::string errors_of(const std::string& yaml) {
  try {
    parse_config(yaml, "r.yaml");
  } catch (const scenario::ScenarioError& e) {
    return e.what();
  }
  return "";
}

TEST(ResponderConfig, MistakesNameFileLineColumnAndField) {
  EXPECT_NE(errors_of("broker:\n  prot: 5\n").find("r.yaml:2:3: broker.prot: unknown key \"prot\"; did you mean 'port'?"),
            std::string::npos);
  EXPECT_NE(errors_of("broker: {qos: 2}\n").find("r.yaml:1:15: broker.qos: expected a whole number from 0 to 1"),
            std::string::npos);
  EXPECT_NE(errors_of("services: [shadow, lights]\n").find("r.yaml:1:20: services[1]: unknown service \"lights\""),
            std::string::npos);
  EXPECT_NE(errors_of("jobs:\n  - id: j\n    targets: {template: \"car\", count: 2}\n")
                .find("jobs[0].targets.template: the template must contain {index}"),
            std::string::npos);
  EXPECT_NE(errors_of("jobs:\n  - id: j\n").find("r.yaml:2:5: jobs[0]: a job needs targets"), std::string::npos);
  EXPECT_NE(errors_of("jobs:\n  - {id: j, targets: {things: [a]}}\n  - {id: j, targets: {things: [b]}}\n")
                .find("r.yaml:3:10: jobs[1].id: duplicate job id \"j\""),
            std::string::npos);
  EXPECT_NE(errors_of("provisioning: {ca_cert: a.crt}\n").find("provisioning: ca_cert and ca_key go together"),
            std::string::npos);
  EXPECT_NE(errors_of("provisioning:\n  templates:\n    - {name: \"bad name\", thing_name: \"{Serial\"}\n")
                .find("template name has a character outside [0-9A-Za-z_-]"),
            std::string::npos);
  EXPECT_NE(errors_of("broker: [1\n").find("r.yaml:2:1: invalid YAML"), std::string::npos);
  EXPECT_NE(errors_of("services: [shadow]\njobs:\n  - {id: j, targets: {things: [a]}}\n")
                .find("jobs are configured but the jobs service is not in services"),
            std::string::npos);
  // A password is a secret: its value never appears in a message.
  EXPECT_EQ(errors_of("broker: {password: [hunter2-secret]}\n").find("hunter2-secret"), std::string::npos);
}

TEST(ResponderConfig, FlagsOverrideTheFile) {
  const auto file = std::filesystem::temp_directory_path() / ("responder-cfg-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(file) << kFull;
  auto env = [](const char* n) -> const char* {
    return std::string(n) == "FLEETLOAD_RESPONDER_PASSWORD" ? "pw-from-env" : nullptr;
  };
  const ResponderConfig c = cli::parse_responder_args(
      {"--broker", "[::1]:1884", "--config", file.string(), "--protocol", "3.1.1", "--qos", "1", "--request-qos", "0", "--services",
       "shadow,jobs,provisioning", "--username", "svc", "--insecure", "--duration", "2m"},
      env);
  EXPECT_EQ(c.broker.host, "::1");
  EXPECT_EQ(c.broker.port, 1884);
  EXPECT_EQ(c.broker.version, mqtt::Version::V311);
  EXPECT_EQ(c.broker.qos, 1);
  EXPECT_EQ(c.broker.request_qos, 0);
  EXPECT_TRUE(c.provisioning);
  EXPECT_EQ(c.broker.username, "svc");
  EXPECT_EQ(c.broker.password, "pw-from-env");
  EXPECT_FALSE(c.broker.verify_peer);
  EXPECT_EQ(c.duration, std::chrono::minutes(2));
  EXPECT_EQ(c.job_list.size(), 2u);  // from the file
  auto none = [](const char*) -> const char* { return nullptr; };
  EXPECT_THROW(cli::parse_responder_args({"--broker", "localhost"}, none), cli::ArgError);
  EXPECT_THROW(cli::parse_responder_args({"--qos", "2"}, none), cli::ArgError);
  EXPECT_THROW(cli::parse_responder_args({"--cert", "a.crt"}, none), cli::ArgError);
  EXPECT_THROW(cli::parse_responder_args({"--services", "shadow,x"}, none), cli::ArgError);
  EXPECT_THROW(cli::parse_responder_args({"--frobnicate"}, none), cli::ArgError);
  EXPECT_THROW(cli::parse_responder_args({"--duration", "0"}, none), cli::ArgError);
  std::filesystem::remove(file);
}

TEST(ResponderConfig, DefaultsAreTheDocumentedOnes) {
  const ResponderConfig c = parse_config("", "empty.yaml");
  EXPECT_EQ(c.broker.host, "127.0.0.1");
  EXPECT_EQ(c.broker.port, 1883);
  EXPECT_EQ(c.broker.version, mqtt::Version::V311);
  EXPECT_EQ(c.broker.client_id, "fleetload-responder");
  EXPECT_EQ(c.broker.keepalive, std::chrono::seconds(60));
  EXPECT_EQ(c.broker.qos, 1);
  EXPECT_EQ(c.broker.request_qos, 0);
  EXPECT_EQ(c.broker.max_inflight, 65535u);
  EXPECT_FALSE(c.broker.tls);
  EXPECT_TRUE(c.shadow && c.jobs && c.provisioning);
  EXPECT_FALSE(c.duration);
  EXPECT_EQ(c.provisioning_config.key_type, auth::CertKeyType::EcdsaP256);
  EXPECT_EQ(c.provisioning_config.days, 365u);
}

TEST(ResponderConfig, ValuesTakeEnvironmentVariables) {
  ::setenv("FLEETLOAD_TEST_RESPONDER_HOST", "127.0.0.5", 1);
  ::unsetenv("FLEETLOAD_TEST_RESPONDER_UNSET");
  const ResponderConfig c = parse_config(
      "broker: {host: \"${FLEETLOAD_TEST_RESPONDER_HOST}\", client_id: \"${FLEETLOAD_TEST_RESPONDER_UNSET:-svc-1}\"}\n",
      "env.yaml");
  EXPECT_EQ(c.broker.host, "127.0.0.5");
  EXPECT_EQ(c.broker.client_id, "svc-1");
  EXPECT_NE(errors_of("broker: {host: \"${FLEETLOAD_TEST_RESPONDER_UNSET}\"}\n").find("r.yaml:1:16: broker.host:"),
            std::string::npos);
}

TEST(ResponderConfig, RenderIndex) {
  EXPECT_EQ(render_index("car-{index}", 7), "car-7");
  EXPECT_EQ(render_index("{index}-{index}", 1), "1-1");
  EXPECT_EQ(render_index("x", 1), "x");
}

}  // namespace
}  // namespace fleetload::responder
