// `fleetload init`: the starter scenario, written from one section per choice (auth mode,
// protocol, shape). Every combination is parsed and checked by tests/unit/cli_init_test.cpp
// and validated against the JSON Schema by tests/deploy/schema_test.
#include "cli/cmd_init.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "cli/args.hpp"

namespace fleetload::cli {
namespace {

using scenario::AuthMode;

constexpr AuthMode kModes[] = {
    AuthMode::PlainTcp,        AuthMode::MtlsFromPath,
    AuthMode::MtlsFromBytes,   AuthMode::MtlsWithPkcs11,
    AuthMode::MtlsWithPkcs12,  AuthMode::MtlsWithWindowsCertStorePath,
    AuthMode::WebsocketsWithDefaultAwsSigning, AuthMode::WebsocketsWithCustomHandshake,
    AuthMode::DirectWithCustomAuthorizer,      AuthMode::WebsocketsWithCustomAuthorizer,
    AuthMode::NewDefaultBuilder,
};

std::string mode_list() {
  std::string out;
  for (AuthMode m : kModes) {
    if (m == AuthMode::MtlsWithWindowsCertStorePath) continue;
    out += out.empty() ? "" : ", ";
    out += scenario::to_string(m);
  }
  return out;
}

// The broker line: a URL whose scheme is the mode's transport.
std::string target_section(const InitArgs& a) {
  std::string url;
  if (a.mode == AuthMode::PlainTcp) url = "mqtt://127.0.0.1:1883";
  else if (scenario::is_websocket(a.mode)) url = "wss://broker.example.com:443/mqtt";
  else if (a.mode == AuthMode::DirectWithCustomAuthorizer) url = "mqtts://broker.example.com:443";
  else url = "mqtts://broker.example.com:8883";
  std::string s =
      "target:\n"
      "  # The broker, as a URL: mqtt:// (TCP), mqtts:// (TLS), ws:// or wss:// (WebSocket, with\n"
      "  # its path). AWS IoT Core: mqtts://<prefix>-ats.iot.<region>.amazonaws.com (or wss://\n"
      "  # .../mqtt). Several brokers: endpoints: [url1, url2] (devices are spread over them).\n"
      "  endpoint: \"" + url + "\"\n";
  s += std::string("  protocol: ") + (a.protocol == mqtt::Version::V5 ? "mqtt5" : "mqtt311") +
       "          # mqtt311 or mqtt5: also picks the SDK's defaults (timeouts, backoff)\n";
  return s;
}

std::string auth_section(const InitArgs& a) {
  std::string s = "auth:\n  # The AWS IoT Device SDK v2 connection builder every device imitates (docs/auth.md).\n";
  s += std::string("  mode: ") + scenario::to_string(a.mode) + "\n";
  switch (a.mode) {
    case AuthMode::PlainTcp:
      s += "  # No TLS: for local brokers. A CONNECT user name and password if the broker wants them:\n"
           "  # username: \"{client_id}\"\n"
           "  # password: \"${FLEETLOAD_PASSWORD}\"   # from the environment, never in the file\n";
      break;
    case AuthMode::MtlsFromPath:
      s += "  # One certificate and key per device ({index} is the device number); test ones for\n"
           "  # 1000 devices: fleetload certs --devices 1000 --out certs\n"
           "  cert_filepath: \"certs/device-{index}.crt\"\n"
           "  pri_key_filepath: \"certs/device-{index}.key\"\n"
           "  ca_filepath: \"certs/ca.crt\"      # the broker's CA (AWS IoT Core: AmazonRootCA1.pem)\n";
      break;
    case AuthMode::MtlsFromBytes:
      s += "  # The certificate and key as PEM text: paste them, or read them from the environment\n"
           "  # with cert_bytes: \"${DEVICE_CERT_PEM}\" and pri_key_bytes: \"${DEVICE_KEY_PEM}\".\n"
           "  # Every device presents this one identity.\n"
           "  cert_bytes: |\n"
           "    -----BEGIN CERTIFICATE-----\n"
           "    (the device certificate)\n"
           "    -----END CERTIFICATE-----\n"
           "  pri_key_bytes: |\n"
           "    -----BEGIN PRIVATE KEY-----\n"
           "    (the device private key: a secret, better read from the environment)\n"
           "    -----END PRIVATE KEY-----\n"
           "  ca_filepath: \"certs/ca.crt\"      # the broker's CA (AWS IoT Core: AmazonRootCA1.pem)\n";
      break;
    case AuthMode::MtlsWithPkcs11:
      s += "  # The private keys stay on a PKCS#11 token (an HSM, SoftHSM2 for tests); the\n"
           "  # certificate comes from a file.\n"
           "  pkcs11_lib: \"/usr/lib/softhsm/libsofthsm2.so\"\n"
           "  token_label: \"fleetload\"\n"
           "  # private_key_label: \"device-key\"  # else the token's only private key\n"
           "  # user_pin: \"${FLEETLOAD_PKCS11_PIN}\"  # without it: the protected authentication path\n"
           "  cert_filepath: \"certs/device-{index}.crt\"\n"
           "  ca_filepath: \"certs/ca.crt\"\n";
      break;
    case AuthMode::MtlsWithPkcs12:
      s += "  # One PKCS#12 bundle per device: fleetload certs --devices 1000 --out certs --pkcs12\n"
           "  pkcs12_filepath: \"certs/device-{index}.p12\"\n"
           "  pkcs12_password: \"${FLEETLOAD_PKCS12_PASSWORD:-}\"  # from the environment (a secret)\n"
           "  ca_filepath: \"certs/ca.crt\"\n";
      break;
    case AuthMode::MtlsWithWindowsCertStorePath:
      break;  // refused by parse_init_args: it does not validate off Windows
    case AuthMode::WebsocketsWithDefaultAwsSigning:
      s += "  # The WebSocket upgrade is presigned with AWS SigV4 (service iotdevicegateway).\n"
           "  region: us-east-1\n"
           "  credentials:\n"
           "    # default: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then\n"
           "    # ~/.aws/credentials and ~/.aws/config (AWS_PROFILE), then credential_process.\n"
           "    source: default\n";
      break;
    case AuthMode::WebsocketsWithCustomHandshake:
      s += "  # The handshake request may carry headers and query parameters of your own, per device:\n"
           "  websocket:\n"
           "    headers:\n"
           "      x-device-id: \"{client_id}\"\n"
           "    # query:\n"
           "    #   token: \"${FLEETLOAD_WS_TOKEN}\"\n"
           "  # ca_filepath: \"certs/ca.crt\"    # else the system trust store\n";
      break;
    case AuthMode::DirectWithCustomAuthorizer:
    case AuthMode::WebsocketsWithCustomAuthorizer:
      s += "  # An AWS IoT custom authorizer: its name and token travel in the MQTT user name.\n"
           "  auth_authorizer_name: \"MyAuthorizer\"\n"
           "  auth_token_key_name: \"token\"\n"
           "  auth_token_value: \"${FLEETLOAD_AUTH_TOKEN:-replace-me}\"  # a secret: from the environment\n"
           "  # auth_authorizer_signature: \"${FLEETLOAD_AUTH_SIGNATURE}\"  # signed authorizers\n"
           "  # auth_password: \"${FLEETLOAD_AUTH_PASSWORD}\"\n";
      break;
    case AuthMode::NewDefaultBuilder:
      s += "  # TLS with the broker verified, no client certificate; user name and password.\n"
           "  username: \"{client_id}\"\n"
           "  password: \"${FLEETLOAD_PASSWORD:-}\"   # from the environment (a secret)\n"
           "  ca_filepath: \"certs/ca.crt\"      # else the system trust store\n";
      break;
  }
  return s;
}

struct ShapeFacts {
  const char* what;      // the header line
  std::uint64_t devices;
  const char* connect_rate;
};

ShapeFacts facts(Shape sh) {
  switch (sh) {
    case Shape::Telemetry: return {"devices publishing QoS 1 telemetry, a few subscribers checking it", 1000, "100/s"};
    case Shape::Idle: return {"a large fleet that connects and idles on keepalive (connection capacity)", 5000, "500/s"};
    case Shape::Storm: return {"every connection dropped at once, the fleet coming back with backoff", 2000, "200/s"};
    case Shape::Mixed: return {"telemetry, then churn (devices dropping every second), then a storm", 2000, "200/s"};
  }
  return {"", 1, "1/s"};
}

std::string fleet_and_session(const InitArgs& a) {
  const ShapeFacts f = facts(a.shape);
  std::string s =
      "fleet:\n"
      "  devices: " + std::to_string(f.devices) + "                 # the whole fleet (split it with --shard K/N)\n"
      "  client_id: \"device-{index}\"    # {index}: 0 .. devices-1\n"
      "  connect_rate: " + f.connect_rate + "             # new connections per second, evenly paced\n"
      "\n"
      "session:\n"
      "  keepalive: 60s                 # the SDK's default is 1200s; AWS IoT Core allows 30s to 1200s\n";
  if (a.shape == Shape::Storm || a.shape == Shape::Mixed) {
    s += "\n"
         "reconnect:                       # how dropped devices come back (the SDK's backoff)\n";
    if (a.protocol == mqtt::Version::V5)
      s += "  min_delay: 1s\n  max_delay: 120s\n  jitter: full                   # none | full | decorrelated | default\n";
    else
      s += "  min_delay: 5s\n  max_delay: 60s\n  jitter: none                   # the 3.1.1 SDK doubles without jitter\n";
  }
  return s;
}

std::string workload(const InitArgs& a) {
  std::string s;
  switch (a.shape) {
    case Shape::Telemetry:
    case Shape::Mixed:
      s += "publish:\n"
           "  topic: \"telemetry/{client_id}\"\n"
           "  qos: 1                         # every message acknowledged, timed out or failed\n"
           "  rate: 1/s                      # per device\n"
           "  payload: 256B                  # accounting header (sequence, send time) + padding\n"
           "\n"
           "subscribe:                       # subscribers measure loss, duplicates, end-to-end latency\n"
           "  filters:\n"
           "    - filter: \"telemetry/+\"\n"
           "      qos: 1\n"
           "  subscribers: 5                 # each receives the whole fleet's telemetry\n";
      break;
    case Shape::Idle:
      break;
    case Shape::Storm:
      s += "publish:                         # light telemetry, to see the fleet working again\n"
           "  topic: \"status/{client_id}\"\n"
           "  qos: 1\n"
           "  rate: 6/m\n";
      break;
  }
  if (!s.empty()) s += "\n";
  s += "phases:\n"
       "  - type: ramp                     # connects the fleet at connect_rate\n";
  switch (a.shape) {
    case Shape::Telemetry:
      s += "  - type: steady\n    duration: 5m\n";
      break;
    case Shape::Idle:
      s += "  - type: steady\n    duration: 10m\n";
      break;
    case Shape::Storm:
      s += "  - {name: before, type: steady, duration: 1m}\n"
           "  - {name: outage, type: storm, duration: 2m}   # every connection dropped at its start\n"
           "  - {name: after, type: steady, duration: 1m}\n";
      break;
    case Shape::Mixed:
      s += "  - {name: telemetry, type: steady, duration: 2m}\n"
           "  - {name: churn, type: churn, duration: 2m, rate: 1%/s}   # 1% of devices dropped per second\n"
           "  - {name: outage, type: storm, duration: 1m}\n"
           "  - {name: after, type: steady, duration: 1m}\n";
      break;
  }
  s += "\n"
       "thresholds:                       # a breach makes the exit code 1\n"
       "  connect_success_ratio: \">= 99.9%\"\n";
  switch (a.shape) {
    case Shape::Telemetry:
    case Shape::Mixed:
      s += "  max_loss: 0\n  max_duplicates: 0\n  p99_ack_latency: \"<= 500ms\"\n  p99_e2e_latency: \"<= 1s\"\n";
      break;
    case Shape::Idle:
      s += "  p99_connect_time: \"<= 1s\"\n";
      break;
    case Shape::Storm:
      s += "  p99_connect_time: \"<= 5s\"\n";
      break;
  }
  return s;
}

// `text` in lines of at most 80 columns, each indented by `indent` spaces.
std::string wrapped(const std::string& text, std::size_t indent) {
  std::string out, line(indent, ' ');
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (line.size() > indent && line.size() + 1 + word.size() > 80) {
      out += line + "\n";
      line.assign(indent, ' ');
    }
    if (line.size() > indent) line += ' ';
    line += word;
    start = end + 1;
  }
  if (line.size() > indent) out += line + "\n";
  return out;
}

const char* protocol_arg(mqtt::Version v) { return v == mqtt::Version::V5 ? "5" : "3.1.1"; }

// --name VALUE or --name=VALUE at args[i]; advances i.
std::optional<std::string> value_of(const std::vector<std::string>& args, std::size_t& i, std::string_view name) {
  const std::string& a = args[i];
  if (a == name) {
    if (i + 1 >= args.size()) throw ArgError("init: " + std::string(name) + " needs a value");
    i += 2;
    return args[i - 1];
  }
  if (a.size() > name.size() && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=') {
    ++i;
    return a.substr(name.size() + 1);
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(Shape s) noexcept {
  switch (s) {
    case Shape::Telemetry: return "telemetry";
    case Shape::Idle: return "idle";
    case Shape::Storm: return "storm";
    case Shape::Mixed: return "mixed";
  }
  return "?";
}

InitArgs parse_init_args(const std::vector<std::string>& args) {
  InitArgs a;
  for (std::size_t i = 0; i < args.size();) {
    if (auto v = value_of(args, i, "--auth")) {
      bool found = false;
      for (AuthMode m : kModes) {
        if (*v != scenario::to_string(m)) continue;
        if (m == AuthMode::MtlsWithWindowsCertStorePath) {
          throw ArgError("init: --auth mtls_with_windows_cert_store_path reads the Windows certificate store, "
                         "which fleetload refuses off Windows; use mtls_with_pkcs12 or mtls_from_path");
        }
        a.mode = m;
        found = true;
      }
      if (!found) throw ArgError("init: --auth: unknown mode \"" + *v + "\"; modes: " + mode_list());
    } else if (auto v = value_of(args, i, "--protocol")) {
      if (*v == "5" || *v == "mqtt5") a.protocol = mqtt::Version::V5;
      else if (*v == "3.1.1" || *v == "mqtt311") a.protocol = mqtt::Version::V311;
      else throw ArgError("init: --protocol: expected 3.1.1 or 5 (also mqtt311, mqtt5), got \"" + *v + "\"");
    } else if (auto v = value_of(args, i, "--shape")) {
      bool found = false;
      for (Shape s : {Shape::Telemetry, Shape::Idle, Shape::Storm, Shape::Mixed})
        if (*v == to_string(s)) a.shape = s, found = true;
      if (!found) throw ArgError("init: --shape: expected telemetry, idle, storm or mixed, got \"" + *v + "\"");
    } else if (auto v = value_of(args, i, "-o")) {
      if (v->empty()) throw ArgError("init: -o: expected a file name");
      a.out = *v;
    } else if (auto v = value_of(args, i, "--output")) {
      if (v->empty()) throw ArgError("init: --output: expected a file name");
      a.out = *v;
    } else if (args[i] == "--force") {
      a.force = true;
      ++i;
    } else {
      throw ArgError("init: unknown argument \"" + args[i] + "\" (see fleetload init --help)");
    }
  }
  return a;
}

std::string starter_scenario(const InitArgs& a) {
  const std::string mode = scenario::to_string(a.mode);
  std::string s =
      // Editors (yaml-language-server) complete and check the file against the schema
      // beside it; the comment below says how to put it there.
      "# yaml-language-server: $schema=fleetload-scenario.schema.json\n"
      "# fleetload starter scenario: " + std::string(facts(a.shape).what) + ".\n"
      "# Written by: fleetload init --auth " + mode + " --protocol " + protocol_arg(a.protocol) + " --shape " +
      to_string(a.shape) + "\n"
      "# Edit the broker and the fleet, then check it (nothing connects) and run it:\n"
      "#   fleetload validate THIS.yaml        (--no-file-checks until the files it names exist)\n"
      "#   fleetload run THIS.yaml --report out/\n"
      "# Every key: docs/scenario.md; auth modes: docs/auth.md. Values may use ${ENV} and\n"
      "# ${ENV:-default}; any field can be overridden with --set PATH=VALUE. For completion\n"
      "# and checks in your editor: fleetload schema -o fleetload-scenario.schema.json\n"
      "name: " + std::string(to_string(a.shape)) + "\n\n";
  s += target_section(a) + "\n";
  s += auth_section(a) + "\n";
  s += fleet_and_session(a) + "\n";
  s += workload(a);
  return s;
}

int init_command(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(init_help().c_str(), stdout);
      return kExitOk;
    }
  }
  InitArgs a;
  try {
    a = parse_init_args(args);
  } catch (const ArgError& e) {
    std::fprintf(stderr, "fleetload: %s\n", e.what());
    return kExitBadInput;
  }
  const std::string text = starter_scenario(a);
  if (!a.out) {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  // O_EXCL unless --force: a starter never replaces a scenario someone wrote.
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (a.force ? O_TRUNC : O_EXCL);
  const int fd = ::open(a.out->c_str(), flags, 0644);
  if (fd < 0) {
    const int e = errno;
    std::fprintf(stderr, "fleetload: init: cannot write %s: %s%s\n", a.out->c_str(), std::strerror(e),
                 e == EEXIST ? " (--force replaces it)" : "");
    return kExitBadInput;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      std::fprintf(stderr, "fleetload: init: writing %s: %s\n", a.out->c_str(), std::strerror(e));
      return kExitRuntimeFailure;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    std::fprintf(stderr, "fleetload: init: writing %s: %s\n", a.out->c_str(), std::strerror(errno));
    return kExitRuntimeFailure;
  }
  std::fprintf(stderr, "fleetload: wrote %s; check it with: fleetload validate %s\n", a.out->c_str(), a.out->c_str());
  return kExitOk;
}

std::string init_help() {
  return "Usage: fleetload init [--auth MODE] [--protocol P] [--shape telemetry|idle|storm|mixed]\n"
         "                      [-o FILE] [--force]\n"
         "\n"
         "Writes a commented starter scenario (stdout, or FILE) and asks nothing: the\n"
         "flags pick the auth mode, the protocol and the workload. What it writes is a\n"
         "valid scenario as it stands (identity files it names must exist before `run`).\n"
         "\n"
         "Options:\n"
         "  --auth MODE       the SDK connection builder (default plain_tcp):\n" + wrapped(mode_list(), 20) +
         "  --protocol P      3.1.1 or 5 (default 5)\n"
         "  --shape SHAPE     telemetry (default): QoS 1 telemetry with subscribers;\n"
         "                    idle: a large fleet on keepalive; storm: every connection\n"
         "                    dropped at once; mixed: telemetry, churn, then a storm\n"
         "  -o FILE           write FILE instead of stdout (never over an existing file)\n"
         "  --force           with -o: replace FILE\n"
         "\n"
         "Exit codes: 0 written, 2 bad arguments or FILE exists or cannot be written.\n";
}

}  // namespace fleetload::cli
