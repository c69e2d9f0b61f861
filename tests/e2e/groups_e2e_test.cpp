// Device groups through the real binary against a real mosquitto with three listeners
// (plain TCP, TLS requiring client certificates, WebSocket): a three-group fleet mixing
// plain MQTT 3.1.1, mTLS MQTT 5 and WebSocket SigV4 MQTT 5 devices, counted independently by
// the test's own subscriber (mosquitto_sub) per group; a per-group threshold breach exits 1
// naming the group; a sharded grouped run merged equals the unsharded one.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include "auth/certgen.hpp"
#include "e2e/fleetload_runner.hpp"
#include "e2e/metrics_servers.hpp"
#include "e2e/mosquitto_fixture.hpp"
#include "e2e/topic_counter.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

const json::object& group(const json::value& report, const std::string& name) { return named(report, "groups", name); }

std::uint64_t gcounter(const json::object& g, const char* name) { return u64(g.at("totals").at("counters").at(name)); }
std::uint64_t gqos(const json::object& g, const char* name, unsigned qos) {
  return u64(g.at("totals").at("counters_by_qos").at(name).as_array().at(qos));
}

struct Ports {
  std::uint16_t tls = 0, ws = 0;
};

std::string listeners(const Ports& p, const fs::path& pki) {
  return "listener " + std::to_string(p.tls) + " 127.0.0.1\n" + "cafile " + (pki / "ca.crt").string() +
         "\ncertfile " + (pki / "server.crt").string() + "\nkeyfile " + (pki / "server.key").string() +
         "\nrequire_certificate true\n" + "listener " + std::to_string(p.ws) + " 127.0.0.1\nprotocol websockets\n";
}

// 30 plain MQTT 3.1.1 sensors, 20 mTLS MQTT 5 gateways (each its own certificate, by
// {group_index}), 10 WebSocket SigV4 MQTT 5 apps of which the last 2 subscribe to all.
std::string mixed(std::uint16_t plain, const Ports& p, const fs::path& pki) {
  return "name: groups-e2e\n"
         "target: {endpoint: 127.0.0.1, port: " + std::to_string(plain) + "}\n"
         "fleet: {devices: 60, connect_rate: 300/s}\n"
         "session: {keepalive: 30s, clean_session: true}\n"
         "publish: {topic: \"grp/{group}/{group_index}\", qos: 1, rate: 2/s, payload: 64B}\n"
         "phases:\n"
         "  - type: ramp\n"
         "  - {name: settle, type: steady, duration: 1s}\n"
         "  - {name: measured, type: steady, duration: 4s}\n"
         "groups:\n"
         "  - name: sensors\n"
         "    share: 50%\n"
         "    thresholds: {connect_success_ratio: \">= 100%\"}\n"
         "  - name: gateways\n"
         "    devices: 20\n"
         "    target: {port: " + std::to_string(p.tls) + ", protocol: mqtt5}\n"
         "    fleet: {client_id: \"gw-{group_index}\"}\n"
         "    auth:\n"
         "      mode: mtls_from_path\n"
         "      cert_filepath: " + (pki / "device-{group_index}.crt").string() + "\n"
         "      pri_key_filepath: " + (pki / "device-{group_index}.key").string() + "\n"
         "      ca_filepath: " + (pki / "ca.crt").string() + "\n"
         "    publish: {rate: 4/s, user_properties: {site: lab}}\n"
         // Impossible on purpose: the run must exit 1 naming this group.
         "    thresholds: {p99_ack_latency: \"<= 0s\"}\n"
         "  - name: apps\n"
         "    devices: 10\n"
         "    target: {port: " + std::to_string(p.ws) + ", protocol: mqtt5}\n"
         "    fleet: {client_id: \"app-{group_index}\"}\n"
         "    auth:\n"
         "      mode: websockets_with_default_aws_signing\n"
         "      region: eu-west-1\n"
         "      credentials: {access_key_id: AKIDEXAMPLE, secret_access_key: \"wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\"}\n"
         "      tls: {enabled: false}\n"
         "    subscribe: {filters: [{filter: \"grp/#\", qos: 1}], subscribers: 2}\n";
}

TEST(GroupsE2E, MixedFleetPlainMtlsWebSocketBalancedNoLossAndGroupVerdict) {
  const auto dir = make_temp_dir("groups-e2e");
  auth::CertOptions co;
  co.out_dir = dir / "pki";
  co.devices = 20;
  co.threads = 2;
  auth::generate_fleet_certs(co);
  const Ports ports{pick_free_port(), pick_free_port()};
  MosquittoBroker broker({.extra_config = listeners(ports, co.out_dir), .log_connections = false});
  const auto port = std::to_string(broker.port());
  // The test's own subscriber on the plain listener: one line per message, its topic.
  bool subscribed = false;
  ChildProcess sub = counting_subscriber(port, "grp/#", dir, subscribed);
  ASSERT_TRUE(subscribed) << sub.stderr_text();

  const auto file = write_file(dir, "mixed.yaml", mixed(broker.port(), ports, co.out_dir));
  const auto report_path = dir / "report.json";
  Pushgateway gateway;
  const Outcome o = run_fleetload({"run", file.string(), "--report", report_path.string(), "--pushgateway",
                                   gateway.url(), "--push-interval", "1s"},
                                  dir, 90s, report_path);
  ASSERT_TRUE(o.report) << o.describe() << broker.log();
  const auto& r = *o.report;
  // Only the gateways' impossible threshold fails, and the verdict says whose it is.
  EXPECT_EQ(o.status.code, 1) << o.describe();
  EXPECT_EQ(r.at("verdict").as_string(), "fail");
  ASSERT_EQ(r.at("verdict_reasons").as_array().size(), 1u) << json::serialize(r.at("verdict_reasons"));
  EXPECT_EQ(std::string(r.at("verdict_reasons").at(0).as_string()).rfind("group gateways: p99_ack_latency", 0), 0u);
  EXPECT_NE(o.out.find("gateways: p99_ack_latency"), std::string::npos) << o.out;

  // Every device of every group connected once over its own transport.
  const std::pair<const char*, std::uint64_t> sizes[] = {{"sensors", 30}, {"gateways", 20}, {"apps", 10}};
  std::uint64_t sum_acked = 0;
  for (const auto& [name, n] : sizes) {
    const auto& g = group(r, name);
    EXPECT_EQ(u64(g.at("devices")), n) << name;
    EXPECT_EQ(gcounter(g, "connects_ok"), n) << name;
    EXPECT_EQ(gcounter(g, "connect_failures"), 0u) << name;
    EXPECT_EQ(gcounter(g, "drops"), 0u) << name;
    const auto& books = g.at("message_books").as_array();
    ASSERT_EQ(books.size(), 1u) << name;
    EXPECT_TRUE(books.at(0).at("balanced").as_bool()) << name << json::serialize(books);
    EXPECT_GT(gqos(g, "publishes_acked", 1), n) << name;
    sum_acked += gqos(g, "publishes_acked", 1);
  }
  EXPECT_EQ(sum_acked, qos_counter(r, "publishes_acked", 1));

  // Prometheus (the final push to a real Pushgateway): one series per group, with the
  // group's own protocol and auth mode, adding up to the fleet.
  const std::string pushed = http_get(gateway.port(), "/metrics").body;
  const std::tuple<const char*, const char*, const char*, std::uint64_t> labels[] = {
      {"sensors", "mqtt311", "plain_tcp", 30},
      {"gateways", "mqtt5", "mtls_from_path", 20},
      {"apps", "mqtt5", "websockets_with_default_aws_signing", 10}};
  double pushed_acked = 0.0;
  for (const auto& [name, protocol, mode, n] : labels) {
    const std::vector<std::string> l{std::string("group=\"") + name + "\"", std::string("protocol=\"") + protocol + "\"",
                                     std::string("auth_mode=\"") + mode + "\""};
    EXPECT_EQ(sample_value(pushed, "fleetload_devices_target", l), static_cast<double>(n)) << name << "\n" << pushed;
    auto lq = l;
    lq.push_back("qos=\"1\"");
    const auto acked = sample_value(pushed, "fleetload_publishes_acked_total", lq);
    ASSERT_TRUE(acked) << name << "\n" << pushed;
    EXPECT_EQ(*acked, static_cast<double>(gqos(group(r, name), "publishes_acked", 1))) << name;
    pushed_acked += *acked;
  }
  EXPECT_EQ(pushed_acked, static_cast<double>(sum_acked));

  // The HTML report beside the JSON one: a row per group, the breach named by group.
  const std::string html = read_file(dir / "report.html");
  EXPECT_NE(html.find("<h2>Groups</h2>"), std::string::npos);
  for (const auto& [name, n] : sizes)
    EXPECT_NE(html.find(std::string("<td>") + name + "</td><td class=\"num\">" + std::to_string(n) + "</td>"),
              std::string::npos) << name;
  EXPECT_NE(html.find("<td>gateways: p99_ack_latency</td>"), std::string::npos);
  EXPECT_EQ(group(r, "gateways").at("thresholds").at("verdict").as_string(), "fail");
  EXPECT_EQ(group(r, "sensors").at("thresholds").at("verdict").as_string(), "pass");
  // The apps' two subscribers lost nothing from any group.
  const auto& apps = group(r, "apps");
  EXPECT_EQ(gcounter(apps, "subscribe_filters_ok"), 2u);
  EXPECT_EQ(gcounter(apps, "messages_lost"), 0u);
  EXPECT_EQ(gcounter(apps, "messages_duplicated"), 0u);
  EXPECT_GT(gcounter(apps, "messages_received"), sum_acked);  // two subscribers, all groups

  // The test's own count per group: every acked message reached the broker's subscribers
  // (QoS 1 both ways); at most what was sent.
  wait_until([&] {
    const std::string t = sub.stdout_text();
    for (const auto& [name, n] : sizes)
      if (lines_starting(t, std::string("grp/") + name + "/") < gqos(group(r, name), "publishes_acked", 1)) return false;
    return true;
  }, 20s);
  sub.kill_and_wait();
  const std::string seen = sub.stdout_text();
  for (const auto& [name, n] : sizes) {
    const auto& g = group(r, name);
    const auto got = lines_starting(seen, std::string("grp/") + name + "/");
    EXPECT_GE(got, gqos(g, "publishes_acked", 1)) << name;
    EXPECT_LE(got, gqos(g, "publishes_sent", 1)) << name;
  }
}

// Two shards of a grouped scenario, merged, equal the unsharded run's deterministic counts
// per group: devices, connects, subscriptions; every group split across both shards.
TEST(GroupsE2E, ShardedGroupedRunMergedEqualsUnsharded) {
  MosquittoBroker broker({.extra_config = "", .log_connections = false});
  const auto dir = make_temp_dir("groups-shards");
  const std::string yaml =
      "name: groups-shards\n"
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + "}\n"
      "fleet: {devices: 21, connect_rate: 400/s}\n"
      "session: {keepalive: 30s, clean_session: true}\n"
      "publish: {topic: \"s/{group}/{group_index}\", qos: 1, rate: 2/s}\n"
      "run: {duration: 2s}\n"
      "groups:\n"
      "  - {name: a, devices: 7}\n"
      "  - {name: b, devices: 9, target: {protocol: mqtt5}}\n"
      "  - {name: c, devices: 5, subscribe: {filters: [{filter: \"s/#\", qos: 1}]}, publish: {publishers: none}}\n";
  const auto file = write_file(dir, "shards.yaml", yaml);
  auto run = [&](const std::string& tag, std::vector<std::string> extra) {
    const auto rp = dir / (tag + ".json");
    std::vector<std::string> args{"run", file.string(), "--report", rp.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    Outcome o = run_fleetload(args, dir, 60s, rp);
    if (!o.report) throw std::runtime_error(tag + ": " + o.describe());
    EXPECT_EQ(o.status.code, 0) << tag << o.describe();
    return *o.report;
  };
  const auto whole = run("whole", {});
  const auto s0 = run("s0", {"--shard", "0/2"});
  const auto s1 = run("s1", {"--shard", "1/2"});
  const auto merged_path = dir / "merged.json";
  const Outcome m = run_fleetload({"report", "merge", (dir / "s0.json").string(), (dir / "s1.json").string(), "--out",
                                   merged_path.string()},
                                  dir, 30s, merged_path);
  ASSERT_TRUE(m.report) << m.describe();
  const auto& merged = *m.report;
  for (const char* name : {"a", "b", "c"}) {
    const auto& w = group(whole, name);
    const auto& g = group(merged, name);
    EXPECT_EQ(u64(g.at("devices")), u64(w.at("devices"))) << name;
    EXPECT_EQ(u64(g.at("fleet_devices")), u64(w.at("fleet_devices"))) << name;
    EXPECT_EQ(gcounter(g, "connects_ok"), gcounter(w, "connects_ok")) << name;
    EXPECT_EQ(gcounter(g, "subscribe_filters_ok"), gcounter(w, "subscribe_filters_ok")) << name;
    // Each shard ran part of every group (none empty: 7, 9 and 5 split 4+3, 5+4, 3+2 or so).
    EXPECT_GT(u64(group(s0, name).at("devices")), 0u) << name;
    EXPECT_GT(u64(group(s1, name).at("devices")), 0u) << name;
    EXPECT_EQ(u64(group(s0, name).at("devices")) + u64(group(s1, name).at("devices")), u64(w.at("devices")));
  }
  EXPECT_EQ(counter(merged, "connects_ok"), 21u);
}


// Phases naming groups, counted by the broker's own connection log: a churn of the flappers
// drops only flappers (the steady group connects exactly once per device), and a group named
// by a later ramp joins only then (its first connection is logged after flappers' reconnects).
TEST(GroupsE2E, PhasesActOnTheGroupsTheyName) {
  MosquittoBroker broker({.extra_config = "", .log_connections = true});
  const auto dir = make_temp_dir("groups-phases");
  const std::string yaml =
      "name: groups-phases\n"
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + "}\n"
      "fleet: {devices: 40, connect_rate: 400/s, client_id: \"{group}-{group_index}\"}\n"
      "session: {keepalive: 30s, clean_session: true}\n"
      "reconnect: {min_delay: 100ms, max_delay: 200ms, jitter: none}\n"
      "publish: {topic: \"p/{group}/{group_index}\", qos: 1, rate: 2/s}\n"
      "phases:\n"
      "  - type: ramp\n"
      "  - {name: flap, type: churn, rate: 25%/s, duration: 3s, groups: flappers}\n"
      "  - {name: join, type: ramp, groups: [late], connect_rate: 100/s}\n"
      "  - {name: hold, type: steady, duration: 1s}\n"
      "groups:\n"
      "  - {name: steady, devices: 20}\n"
      "  - {name: flappers, devices: 10}\n"
      "  - {name: late, devices: 10}\n";
  const auto file = write_file(dir, "phases.yaml", yaml);
  const auto rp = dir / "report.json";
  const Outcome o = run_fleetload({"run", file.string(), "--report", rp.string()}, dir, 60s, rp);
  ASSERT_TRUE(o.report) << o.describe();
  EXPECT_EQ(o.status.code, 0) << o.describe();
  // The broker's log: "New client connected from ... as <group>-<i> (...)", in order.
  const std::string log = broker.log();
  std::map<std::string, std::uint64_t> connects;
  std::size_t first_late = std::string::npos, second_flap = std::string::npos;
  std::map<std::string, std::uint64_t> per_client;
  const std::regex line("New client connected from \\S+ as (steady|flappers|late)-(\\d+)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it) {
    const std::string g = (*it)[1];
    ++connects[g];
    const auto pos = static_cast<std::size_t>(it->position());
    if (g == "late" && first_late == std::string::npos) first_late = pos;
    if (g == "flappers" && ++per_client[(*it)[2].str()] == 2 && second_flap == std::string::npos) second_flap = pos;
  }
  EXPECT_EQ(connects["steady"], 20u) << log;  // never dropped
  EXPECT_EQ(connects["late"], 10u) << log;    // joined once, never dropped
  EXPECT_GT(connects["flappers"], 10u) << log;  // dropped and back
  ASSERT_NE(second_flap, std::string::npos);
  ASSERT_NE(first_late, std::string::npos);
  EXPECT_GT(first_late, second_flap) << "the late group connected before the churn began";
  // fleetload's own figures agree: drops only in the churned group.
  const auto& r = *o.report;
  EXPECT_EQ(gcounter(group(r, "steady"), "drops"), 0u);
  EXPECT_EQ(gcounter(group(r, "late"), "drops"), 0u);
  EXPECT_EQ(gcounter(group(r, "flappers"), "connects_ok"), connects["flappers"]);
}

}  // namespace
}  // namespace fleetload::e2e
