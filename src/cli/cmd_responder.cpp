// `fleetload responder`: arguments, the run with SIGINT/SIGTERM handling, the summary.
#include "cli/cmd_responder.hpp"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "auth/tls_identity.hpp"
#include "cli/args.hpp"
#include "cli/signals.hpp"
#include "responder/runner.hpp"
#include "scenario/endpoint_url.hpp"
#include "scenario/scenario.hpp"
#include "scenario/units.hpp"

namespace fleetload::cli {
namespace {

constexpr const char* kPasswordEnv = "FLEETLOAD_RESPONDER_PASSWORD";

std::optional<std::string> value_of(const std::vector<std::string>& args, std::size_t& i, std::string_view name) {
  return take_option_value(args, i, name, "responder");
}

// --broker URL|HOST:PORT. Returns the URL's scheme (nullopt for HOST:PORT), checked
// against --tls and its kin once every option is read.
std::optional<scenario::UrlScheme> parse_broker(const std::string& v, responder::BrokerConfig& b) {
  if (scenario::looks_like_url(v)) {
    std::string err;
    auto u = scenario::parse_broker_url(v, err);
    if (!u) throw ArgError("responder: --broker: expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (" + err + ")");
    if (scenario::is_websocket(u->scheme)) {
      throw ArgError("responder: --broker: the responder speaks MQTT over TCP or TLS, not WebSocket: use mqtt:// or "
                     "mqtts:// (the broker's MQTT listener)");
    }
    b.host = u->endpoint.host;
    b.port = u->endpoint.port;
    if (scenario::is_tls(u->scheme)) b.tls = true;
    return u->scheme;
  }
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == v.size()) {
    throw ArgError("responder: --broker: expected HOST:PORT, got \"" + v + "\"");
  }
  unsigned port = 0;
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(v.data() + colon + 1, end, port);
  if (ec != std::errc() || p != end || port == 0 || port > 65535) {
    throw ArgError("responder: --broker: the port must be 1 to 65535, got \"" + v.substr(colon + 1) + "\"");
  }
  std::string host = v.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  b.host = host;
  b.port = static_cast<std::uint16_t>(port);
  return std::nullopt;
}

const char* signal_name(int s) { return s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "signal"; }

}  // namespace

std::string responder_help() {
  return "Usage: fleetload responder [--config FILE] [--broker URL|HOST:PORT] [options]\n"
         "\n"
         "Plays the AWS IoT Device Shadow, Jobs and Fleet Provisioning services over MQTT\n"
         "against any broker, as the AWS IoT developer guide documents them: devices get\n"
         "AWS-shaped answers on the reserved $aws/ topics (docs/responder.md). A flag\n"
         "overrides the same setting of the --config file.\n"
         "\n"
         "Options:\n"
         "  --config FILE          YAML configuration: broker, services, jobs, provisioning\n"
         "  --broker URL|HOST:PORT broker to connect to: mqtt://HOST[:PORT] (port 1883),\n"
         "                         mqtts://HOST[:PORT] (8883, TLS) or HOST:PORT\n"
         "                         (default 127.0.0.1:1883)\n"
         "  --protocol 3.1.1|5     MQTT version of the responder's connection (default 3.1.1)\n"
         "  --client-id ID         default fleetload-responder\n"
         "  --qos 0|1              answers (default 1: delivered at each device's subscription QoS)\n"
         "  --request-qos 0|1      subscriptions: the QoS requests reach the responder with (default 0)\n"
         "  --services LIST        comma-separated: shadow,jobs,provisioning (default all)\n"
         "  --username NAME        CONNECT username; the password comes from the environment\n"
         "                         variable FLEETLOAD_RESPONDER_PASSWORD, never from a flag\n"
         "  --tls                  TLS to the broker (peer verification on)\n"
         "  --ca-file FILE         trust store for the broker's certificate (implies --tls)\n"
         "  --cert FILE --key FILE client certificate and key for mTLS (implies --tls)\n"
         "  --server-name NAME     SNI and certificate name to check (default: the host)\n"
         "  --insecure             do not verify the broker's certificate\n"
         "  --duration D           stop after D (e.g. 10m); default: until SIGINT/SIGTERM\n"
         "\n"
         "It prints \"fleetload responder: ready ...\" on stderr once subscribed, and a summary\n"
         "(requests by API and outcome, latency, jobs, certificates) on stdout when it stops.\n"
         "Exit codes: 0 stopped, 2 bad arguments, configuration or CA/TLS files, 3 the broker\n"
         "was never reached.\n";
}

responder::ResponderConfig parse_responder_args(const std::vector<std::string>& args,
                                                const char* (*getenv)(const char*)) {
  responder::ResponderConfig c;
  // The file first, whatever the order: flags override it.
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::size_t j = i;
    if (auto v = value_of(args, j, "--config")) {
      c = responder::load_config(*v);
      break;
    }
  }
  responder::BrokerConfig& b = c.broker;
  std::optional<scenario::UrlScheme> broker_scheme;
  for (std::size_t i = 0; i < args.size();) {
    const std::string& a = args[i];
    if (value_of(args, i, "--config")) continue;
    if (auto v = value_of(args, i, "--broker")) {
      broker_scheme = parse_broker(*v, b);
    } else if (auto v = value_of(args, i, "--protocol")) {
      if (*v == "3.1.1") b.version = mqtt::Version::V311;
      else if (*v == "5") b.version = mqtt::Version::V5;
      else throw ArgError("responder: --protocol: expected 3.1.1 or 5, got \"" + *v + "\"");
    } else if (auto v = value_of(args, i, "--client-id")) {
      if (v->empty()) throw ArgError("responder: --client-id must not be empty");
      b.client_id = *v;
    } else if (auto v = value_of(args, i, "--qos")) {
      if (*v != "0" && *v != "1") throw ArgError("responder: --qos: expected 0 or 1, got \"" + *v + "\"");
      b.qos = static_cast<std::uint8_t>((*v)[0] - '0');
    } else if (auto v = value_of(args, i, "--request-qos")) {
      if (*v != "0" && *v != "1") throw ArgError("responder: --request-qos: expected 0 or 1, got \"" + *v + "\"");
      b.request_qos = static_cast<std::uint8_t>((*v)[0] - '0');
    } else if (auto v = value_of(args, i, "--services")) {
      c.shadow = c.jobs = c.provisioning = false;
      std::string_view rest = *v;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view s = rest.substr(0, comma);
        if (s == "shadow") c.shadow = true;
        else if (s == "jobs") c.jobs = true;
        else if (s == "provisioning") c.provisioning = true;
        else throw ArgError("responder: --services: unknown service \"" + std::string(s) + "\"; allowed: shadow, jobs, provisioning");
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    } else if (auto v = value_of(args, i, "--username")) {
      b.username = *v;
    } else if (a == "--tls") {
      b.tls = true;
      ++i;
    } else if (auto v = value_of(args, i, "--ca-file")) {
      b.tls = true;
      b.ca_file = *v;
    } else if (auto v = value_of(args, i, "--cert")) {
      b.tls = true;
      b.cert_file = *v;
    } else if (auto v = value_of(args, i, "--key")) {
      b.tls = true;
      b.key_file = *v;
    } else if (auto v = value_of(args, i, "--server-name")) {
      b.server_name = *v;
    } else if (a == "--insecure") {
      b.verify_peer = false;
      ++i;
    } else if (auto v = value_of(args, i, "--duration")) {
      const auto d = scenario::parse_duration(*v);
      if (!d || d->count() == 0) throw ArgError("responder: --duration: expected a positive duration like 30s or 10m, got \"" + *v + "\"");
      c.duration = *d;
    } else {
      throw ArgError("responder: unknown option \"" + a + "\" (see fleetload responder --help)");
    }
  }
  if (b.cert_file.has_value() != b.key_file.has_value()) throw ArgError("responder: --cert and --key go together");
  if (broker_scheme == scenario::UrlScheme::Mqtt && b.tls) {
    throw ArgError("responder: --broker mqtt:// is MQTT without TLS, but --tls, --ca-file or --cert asks for TLS: "
                   "write mqtts:// or leave the TLS options out");
  }
  if (const char* pw = getenv(kPasswordEnv); pw != nullptr && *pw != '\0') b.password = pw;
  if (!c.jobs && !c.job_list.empty()) throw ArgError("responder: jobs are configured but the jobs service is off");
  return c;
}

int responder_command(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(responder_help().c_str(), stdout);
      return kExitOk;
    }
  }
  responder::ResponderConfig cfg;
  try {
    cfg = parse_responder_args(args, [](const char* n) -> const char* { return std::getenv(n); });
  } catch (const ArgError& e) {
    std::fprintf(stderr, "fleetload: %s\n", e.what());
    return kExitBadInput;
  } catch (const scenario::ScenarioError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitBadInput;
  }
  auto log = [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  };
  std::optional<responder::Runner> runner;
  try {
    runner.emplace(std::move(cfg), log);
  } catch (const std::exception& e) {
    // CA / TLS files or the broker address: what() names the file and reason, never a key.
    std::fprintf(stderr, "fleetload responder: cannot start: %s\n", e.what());
    return kExitBadInput;
  }
  SignalWatcher watcher([&runner](int signo, int n) {
    std::fprintf(stderr, "fleetload responder: %s: stopping\n", signal_name(signo));
    if (n > 1) std::_Exit(kExitRuntimeFailure);
    runner->request_stop();
  });
  int code = kExitRuntimeFailure;
  try {
    code = runner->run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetload responder: %s\n", e.what());
  }
  std::fputs(runner->summary().c_str(), stdout);
  std::fflush(stdout);
  if (code == 3) std::fprintf(stderr, "fleetload responder: the broker was never reached\n");
  return code;
}

}  // namespace fleetload::cli
