// The deployment files agree with each other and with the image: the Kubernetes Job has
// what an Indexed, sharded fleetload run needs; the compose stack's shard services are a
// partition and its mounts exist; the Dockerfile copies files that exist and that its
// ignore file lets through. Reads the files with yaml-cpp (no cluster, no Docker engine).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
  const char* s = std::getenv("FLEETLOAD_SOURCE_DIR");
  return s != nullptr ? fs::path(s) : fs::path(FLEETLOAD_DEPLOY_SOURCE_DIR);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// yaml-cpp does not apply YAML merge keys ("<<: *anchor"), which compose files use: merge
// them here, explicit keys winning, recursively.
YAML::Node merged(const YAML::Node& n) {
  if (!n.IsMap()) return n;
  // Node's operator= on a node that already refers to data rebinds that data (it would
  // rewrite the anchor), so entries are replaced by erase + emplace (copy-construction).
  std::map<std::string, YAML::Node> fields;
  if (n["<<"]) {
    for (const auto& kv : merged(n["<<"])) fields.emplace(kv.first.as<std::string>(), kv.second);
  }
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (key == "<<") continue;
    fields.erase(key);
    fields.emplace(key, merged(kv.second));
  }
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& [key, value] : fields) out[key] = value;
  return out;
}

// ---- Kubernetes ---------------------------------------------------------------------------

struct K8s {
  YAML::Node job, service, kustomization, container, pod;
  std::map<std::string, std::string> env;  // literal values ("" for valueFrom)
};

K8s load_k8s() {
  K8s k;
  const auto dir = source_dir() / "k8s";
  k.job = YAML::LoadFile((dir / "job.yaml").string());
  k.service = YAML::LoadFile((dir / "service.yaml").string());
  k.kustomization = YAML::LoadFile((dir / "kustomization.yaml").string());
  k.pod = k.job["spec"]["template"]["spec"];
  for (const YAML::Node& c : k.pod["containers"])
    if (c["name"].as<std::string>() == "fleetload") k.container = c;
  if (k.container) {
    for (const auto& e : k.container["env"]) k.env[e["name"].as<std::string>()] = e["value"] ? e["value"].as<std::string>() : "";
  }
  return k;
}

// The generator of that name in kustomization.yaml, or an undefined node.
YAML::Node generator(const YAML::Node& kustomization, const char* kind, const std::string& name) {
  for (const auto& g : kustomization[kind])
    if (g["name"].as<std::string>() == name) return g;
  return YAML::Node(YAML::NodeType::Undefined);
}

// Keys a generator provides: file keys ("key=path" or the file name) and env-file keys.
std::set<std::string> generator_keys(const YAML::Node& g, const fs::path& dir) {
  std::set<std::string> keys;
  for (const auto& f : g["files"]) {
    const auto s = f.as<std::string>();
    const auto eq = s.find('=');
    keys.insert(eq == std::string::npos ? fs::path(s).filename().string() : s.substr(0, eq));
  }
  for (const auto& e : g["envs"]) {
    std::ifstream in(dir / e.as<std::string>());
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      keys.insert(line.substr(0, line.find('=')));
    }
  }
  return keys;
}

TEST(DeployK8sJob, IsAnIndexedJobWithOnePodPerShardAllAtOnce) {
  const auto k = load_k8s();
  EXPECT_EQ(k.job["apiVersion"].as<std::string>(), "batch/v1");
  EXPECT_EQ(k.job["kind"].as<std::string>(), "Job");
  const auto spec = k.job["spec"];
  EXPECT_EQ(spec["completionMode"].as<std::string>(), "Indexed");
  const int completions = spec["completions"].as<int>();
  EXPECT_GE(completions, 1);
  EXPECT_EQ(spec["parallelism"].as<int>(), completions) << "a shard starting late = a fleet never fully connected";
  EXPECT_EQ(k.pod["restartPolicy"].as<std::string>(), "Never");
  EXPECT_GT(spec["activeDeadlineSeconds"].as<int>(), 0) << "every run is bounded";
  // Load-test verdicts (exit 1..4: fail, bad input, runtime failure, inconclusive) fail the
  // Job instead of being retried.
  bool fails_on_verdicts = false;
  for (const auto& r : spec["podFailurePolicy"]["rules"]) {
    if (r["action"].as<std::string>() != "FailJob" || !r["onExitCodes"]) continue;
    EXPECT_EQ(r["onExitCodes"]["containerName"].as<std::string>(), "fleetload");
    std::set<int> codes;
    for (const auto& v : r["onExitCodes"]["values"]) codes.insert(v.as<int>());
    fails_on_verdicts = codes == std::set<int>{1, 2, 3, 4};
  }
  EXPECT_TRUE(fails_on_verdicts);
}

TEST(DeployK8sJob, ShardComesFromTheCompletionIndexAndTheShardCount) {
  const auto k = load_k8s();
  ASSERT_TRUE(k.container) << "no container named fleetload";
  const int completions = k.job["spec"]["completions"].as<int>();
  ASSERT_TRUE(k.env.count("FLEETLOAD_SHARDS"));
  EXPECT_EQ(std::stoi(k.env.at("FLEETLOAD_SHARDS")), completions);
  // JOB_COMPLETION_INDEX is the control plane's; a FLEETLOAD_SHARD would fight it.
  EXPECT_FALSE(k.env.count("JOB_COMPLETION_INDEX"));
  EXPECT_FALSE(k.env.count("FLEETLOAD_SHARD"));
  // The image's entrypoint maps the environment: no `command` may bypass it.
  EXPECT_FALSE(k.container["command"]) << "command would replace the image's fleetload-entrypoint";
  ASSERT_GE(k.container["args"].size(), 2u);
  EXPECT_EQ(k.container["args"][0].as<std::string>(), "run");
}

TEST(DeployK8sJob, DevicesPerPodFitThePortRangeOfOnePodAddress) {
  const auto k = load_k8s();
  const auto scenario = YAML::LoadFile((source_dir() / "k8s" / "scenario.yaml").string());
  const auto devices = scenario["fleet"]["devices"].as<std::uint64_t>();
  const auto shards = k.job["spec"]["completions"].as<std::uint64_t>();
  // One pod = one source address; one endpoint. The Job widens the port range to
  // 1024-65535; Linux connect() slows past half of it (bench/RESULTS.md).
  std::string range;
  for (const auto& s : k.pod["securityContext"]["sysctls"])
    if (s["name"].as<std::string>() == "net.ipv4.ip_local_port_range") range = s["value"].as<std::string>();
  ASSERT_FALSE(range.empty());
  std::istringstream in(range);
  std::uint64_t lo = 0, hi = 0;
  in >> lo >> hi;
  const std::uint64_t per_pod = (devices + shards - 1) / shards;
  EXPECT_LE(per_pod, (hi - lo + 1) / 2) << devices << " devices over " << shards << " pods";
}

TEST(DeployK8sJob, EveryMountAndReferenceResolves) {
  const auto k = load_k8s();
  const auto dir = source_dir() / "k8s";
  std::map<std::string, YAML::Node> volumes;
  for (const YAML::Node& v : k.pod["volumes"]) volumes[v["name"].as<std::string>()] = v;
  std::string scenario_mount;
  for (const auto& m : k.container["volumeMounts"]) {
    const auto name = m["name"].as<std::string>();
    ASSERT_TRUE(volumes.count(name)) << "volumeMount " << name << " has no volume";
    if (volumes[name]["configMap"]) scenario_mount = m["mountPath"].as<std::string>();
  }
  // The scenario argument lives in the ConfigMap built from scenario.yaml.
  const auto cm = volumes["scenario"]["configMap"]["name"].as<std::string>();
  const auto cm_gen = generator(k.kustomization, "configMapGenerator", cm);
  ASSERT_TRUE(cm_gen) << "no configMapGenerator " << cm;
  EXPECT_EQ(k.container["args"][1].as<std::string>(), scenario_mount + "/scenario.yaml");
  EXPECT_TRUE(generator_keys(cm_gen, dir).count("scenario.yaml"));
  EXPECT_TRUE(fs::exists(dir / "scenario.yaml"));
  // Secret files: every item key comes from the secretGenerator.
  const auto secret = volumes["credentials"]["secret"];
  const auto sec_gen = generator(k.kustomization, "secretGenerator", secret["secretName"].as<std::string>());
  ASSERT_TRUE(sec_gen);
  std::set<std::string> file_keys;
  for (const auto& f : sec_gen["files"]) file_keys.insert(f.as<std::string>().substr(0, f.as<std::string>().find('=')));
  for (const auto& item : secret["items"]) EXPECT_TRUE(file_keys.count(item["key"].as<std::string>())) << item["key"];
  // Env from the Secret (its env file is the user's, documented in credentials/README.md)
  // and from the target ConfigMap (target.env, in the repository).
  const auto readme = read_text(dir / "credentials" / "README.md");
  int secret_refs = 0;
  for (const auto& e : k.container["env"]) {
    const auto from = e["valueFrom"];
    if (!from) continue;
    if (from["secretKeyRef"]) {
      ++secret_refs;
      EXPECT_EQ(from["secretKeyRef"]["name"].as<std::string>(), secret["secretName"].as<std::string>());
      const auto key = from["secretKeyRef"]["key"].as<std::string>();
      EXPECT_NE(readme.find(key), std::string::npos) << key << " not explained in k8s/credentials/README.md";
      for (const auto& f : sec_gen["envs"]) EXPECT_EQ(f.as<std::string>().rfind("credentials/", 0), 0u);
    } else if (from["configMapKeyRef"]) {
      const auto ref = from["configMapKeyRef"];
      const auto g = generator(k.kustomization, "configMapGenerator", ref["name"].as<std::string>());
      ASSERT_TRUE(g) << ref["name"];
      if (!(ref["optional"] && ref["optional"].as<bool>())) {
        EXPECT_TRUE(generator_keys(g, dir).count(ref["key"].as<std::string>())) << ref["key"];
      }
    }
  }
  EXPECT_EQ(secret_refs, 1);
  for (const auto& r : k.kustomization["resources"]) EXPECT_TRUE(fs::exists(dir / r.as<std::string>())) << r;
}

TEST(DeployK8sJob, MetricsAreScrapableAndResourcesRequested) {
  const auto k = load_k8s();
  const auto ann = k.job["spec"]["template"]["metadata"]["annotations"];
  EXPECT_EQ(ann["prometheus.io/scrape"].as<std::string>(), "true");
  EXPECT_EQ(ann["prometheus.io/path"].as<std::string>(), "/metrics");
  const auto port = ann["prometheus.io/port"].as<int>();
  bool named = false;
  for (const auto& p : k.container["ports"])
    named = named || (p["name"].as<std::string>() == "metrics" && p["containerPort"].as<int>() == port);
  EXPECT_TRUE(named) << "no container port 'metrics' = " << port;
  EXPECT_EQ(k.env.at("FLEETLOAD_METRICS_LISTEN"), "0.0.0.0:" + std::to_string(port));
  // The Service selects the pods and targets the named port.
  const auto labels = k.job["spec"]["template"]["metadata"]["labels"];
  for (const auto& kv : k.service["spec"]["selector"]) {
    EXPECT_EQ(labels[kv.first.as<std::string>()].as<std::string>(), kv.second.as<std::string>());
  }
  EXPECT_EQ(k.service["spec"]["ports"][0]["targetPort"].as<std::string>(), "metrics");
  const auto res = k.container["resources"];
  EXPECT_TRUE(res["requests"]["cpu"]);
  EXPECT_TRUE(res["requests"]["memory"]);
  EXPECT_TRUE(res["limits"]["memory"]);
  // Non-root, with the image's uid.
  EXPECT_TRUE(k.pod["securityContext"]["runAsNonRoot"].as<bool>());
  const auto dockerfile = read_text(source_dir() / "docker" / "Dockerfile");
  EXPECT_NE(dockerfile.find("USER " + k.pod["securityContext"]["runAsUser"].as<std::string>() + ":"), std::string::npos);
}

// ---- compose ------------------------------------------------------------------------------

YAML::Node compose_services() { return YAML::LoadFile((source_dir() / "docker" / "compose.yaml").string())["services"]; }

TEST(DeployCompose, ShardServicesPartitionTheFleet) {
  const auto services = compose_services();
  std::vector<std::pair<int, std::string>> shards;  // service number, K/N
  const std::string prefix = "fleetload-";
  for (const auto& kv : services) {
    const auto svc_name = kv.first.as<std::string>();
    const auto number = svc_name.substr(std::min(prefix.size(), svc_name.size()));
    if (svc_name.rfind(prefix, 0) != 0 || number.empty() ||
        number.find_first_not_of("0123456789") != std::string::npos) {
      continue;  // not a shard service (fleetload-batch, mosquitto, ...)
    }
    const auto svc = merged(kv.second);
    shards.emplace_back(std::stoi(number), svc["environment"]["FLEETLOAD_SHARD"].as<std::string>());
    bool aliased = false;
    for (const auto& a : svc["networks"]["default"]["aliases"]) aliased = aliased || a.as<std::string>() == "fleetload";
    EXPECT_TRUE(aliased) << svc_name << " lacks the alias Prometheus discovers";
    EXPECT_FALSE(svc["profiles"]) << svc_name << " would not start with a plain `up`";
  }
  const int n = static_cast<int>(shards.size());
  ASSERT_GE(n, 1);
  std::set<int> ks;
  for (const auto& [number, kn] : shards) {
    EXPECT_EQ(kn, std::to_string(number) + "/" + std::to_string(n));
    ks.insert(number);
  }
  EXPECT_EQ(static_cast<int>(ks.size()), n);
  EXPECT_EQ(*ks.begin(), 0);
  EXPECT_EQ(*ks.rbegin(), n - 1);
}

TEST(DeployCompose, BatchRunsOnceAndPushesWithoutBeingScraped) {
  const auto batch = merged(compose_services()["fleetload-batch"]);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch["profiles"].size(), 1u);
  EXPECT_EQ(batch["profiles"][0].as<std::string>(), "batch");
  const auto env = batch["environment"];
  EXPECT_EQ(env["FLEETLOAD_PUSHGATEWAY"].as<std::string>(), "http://pushgateway:9091");
  EXPECT_EQ(env["FLEETLOAD_METRICS_LISTEN"].as<std::string>(), "off");
  EXPECT_EQ(env["FLEETLOAD_REPORT_DIR"].as<std::string>(), "/reports");
  EXPECT_FALSE(env["FLEETLOAD_SHARD"]);
  EXPECT_FALSE(batch["networks"].IsMap()) << "the batch service must not carry the scraped alias";
  EXPECT_EQ(batch["restart"].as<std::string>(), "no");
  bool reports = false;
  for (const auto& v : batch["volumes"]) reports = reports || v.as<std::string>() == "reports:/reports";
  EXPECT_TRUE(reports);
}

TEST(DeployCompose, MountedHostFilesExistAndGrafanaGetsTheDashboardsAsDocumented) {
  const auto services = compose_services();
  const auto docker_dir = source_dir() / "docker";
  for (const auto& kv : services) {
    const auto svc = merged(kv.second);
    for (const auto& v : svc["volumes"]) {
      const auto s = v.as<std::string>();
      if (s.rfind("./", 0) != 0 && s.rfind("../", 0) != 0) continue;  // named volumes
      EXPECT_TRUE(fs::exists(docker_dir / s.substr(0, s.find(':')))) << kv.first << ": " << s;
    }
  }
  std::set<std::string> grafana;
  for (const auto& v : services["grafana"]["volumes"]) grafana.insert(v.as<std::string>());
  // dashboards/README.md's mounts, from docker/ (one level down).
  EXPECT_TRUE(grafana.count("../dashboards/provisioning:/etc/grafana/provisioning:ro"));
  EXPECT_TRUE(grafana.count("../dashboards:/var/lib/grafana/dashboards/fleetload:ro"));
  const auto readme = read_text(source_dir() / "dashboards" / "README.md");
  EXPECT_NE(readme.find("/etc/grafana/provisioning"), std::string::npos);
  EXPECT_NE(readme.find("/var/lib/grafana/dashboards/fleetload"), std::string::npos);
  const auto ds = YAML::LoadFile((source_dir() / "dashboards/provisioning/datasources/prometheus.yaml").string());
  EXPECT_EQ(ds["datasources"][0]["url"].as<std::string>(), "http://prometheus:9090");
  EXPECT_TRUE(services["prometheus"]);
}

TEST(DeployCompose, PrometheusFindsEveryShardAndThePushgateway) {
  const auto prom = YAML::LoadFile((source_dir() / "docker/prometheus/prometheus.yml").string());
  bool shards = false, pushgateway = false;
  for (const auto& job : prom["scrape_configs"]) {
    for (const auto& sd : job["dns_sd_configs"]) {
      shards = shards || (sd["names"][0].as<std::string>() == "fleetload" && sd["port"].as<int>() == 9464);
    }
    if (job["job_name"].as<std::string>() == "pushgateway") {
      pushgateway = job["honor_labels"].as<bool>() &&
                    job["static_configs"][0]["targets"][0].as<std::string>() == "pushgateway:9091";
    }
  }
  EXPECT_TRUE(shards);
  EXPECT_TRUE(pushgateway);
  const auto env = merged(compose_services()["fleetload-0"])["environment"];
  EXPECT_EQ(env["FLEETLOAD_METRICS_LISTEN"].as<std::string>(), "0.0.0.0:9464");
}

// ---- Dockerfile -----------------------------------------------------------------------------

// Instructions with continuation lines joined, comments dropped.
std::vector<std::string> dockerfile_instructions() {
  std::ifstream in(source_dir() / "docker" / "Dockerfile");
  std::vector<std::string> out;
  std::string cur;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const bool more = !line.empty() && line.back() == '\\';
    cur += more ? line.substr(0, line.size() - 1) : line;
    if (!more) {
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

// Whether the allow-list ignore file lets `path` into the build context.
bool context_allows(const std::vector<std::string>& rules, const std::string& path) {
  bool allowed = true;
  for (const auto& r : rules) {
    const bool negate = r[0] == '!';
    std::string pat = negate ? r.substr(1) : r;
    const bool matches = pat == "*" || pat == path || (pat.back() == '/' && path.rfind(pat, 0) == 0) ||
                         path.rfind(pat + "/", 0) == 0;
    if (matches) allowed = negate;
  }
  return allowed;
}

TEST(DeployDockerfile, CopiesFilesThatExistAndReachTheContext) {
  std::vector<std::string> rules;
  {
    std::ifstream in(source_dir() / ".dockerignore");
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') rules.push_back(line);
  }
  ASSERT_FALSE(rules.empty());
  EXPECT_FALSE(context_allows(rules, "build/asan/fleetload"));
  EXPECT_FALSE(context_allows(rules, ".git/HEAD"));
  int copies = 0;
  for (const auto& ins : dockerfile_instructions()) {
    std::istringstream words(ins);
    std::string op;
    words >> op;
    if (op != "COPY") continue;
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    if (!args.empty() && args[0].rfind("--from=", 0) == 0) continue;
    ASSERT_GE(args.size(), 2u) << ins;
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      ++copies;
      const auto& src = args[i];
      EXPECT_TRUE(fs::exists(source_dir() / src)) << "COPY source missing: " << src;
      EXPECT_TRUE(context_allows(rules, src)) << "COPY source excluded by .dockerignore: " << src;
    }
  }
  EXPECT_GE(copies, 8);
}

TEST(DeployDockerfile, MultiStageBookwormNonRootWithTheEntrypoint) {
  std::vector<std::string> from, user, entry;
  std::string copied_entrypoint;
  for (const auto& ins : dockerfile_instructions()) {
    if (ins.rfind("FROM ", 0) == 0) from.push_back(ins);
    if (ins.rfind("USER ", 0) == 0) user.push_back(ins.substr(5));
    if (ins.rfind("ENTRYPOINT ", 0) == 0) entry.push_back(ins.substr(11));
    if (ins.find("COPY docker/entrypoint.sh ") == 0) copied_entrypoint = ins.substr(ins.rfind(' ') + 1);
  }
  const auto text = read_text(source_dir() / "docker" / "Dockerfile");
  EXPECT_NE(text.find("ARG DEBIAN_RELEASE=bookworm"), std::string::npos);
  ASSERT_EQ(from.size(), 2u);
  EXPECT_EQ(from[0], "FROM debian:${DEBIAN_RELEASE} AS build");
  EXPECT_EQ(from[1], "FROM debian:${DEBIAN_RELEASE}-slim AS runtime");
  ASSERT_EQ(user.size(), 1u);
  EXPECT_NE(user[0].rfind("0:", 0), 0u);
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(user[0][0]))) << "numeric uid, so runAsNonRoot can check it";
  ASSERT_EQ(entry.size(), 1u);
  EXPECT_EQ(entry[0], "[\"" + copied_entrypoint + "\"]");
  EXPECT_NE(text.find("--preset release"), std::string::npos);
  EXPECT_NE(text.find("EXPOSE 9464"), std::string::npos);
}

// The build stage installs what scripts/setup-deps.sh's build profile lists (one list for
// host and image builds), before the sources are copied (so the layer is reused).
TEST(DeployDockerfile, BuildStageInstallsTheSetupDepsBuildProfile) {
  const auto text = read_text(source_dir() / "docker" / "Dockerfile");
  const auto copy = text.find("COPY scripts/setup-deps.sh scripts/");
  const auto run = text.find("RUN bash scripts/setup-deps.sh --profile build");
  const auto sources = text.find("COPY src/ src/");
  ASSERT_NE(copy, std::string::npos);
  ASSERT_NE(run, std::string::npos);
  ASSERT_NE(sources, std::string::npos);
  EXPECT_LT(copy, run);
  EXPECT_LT(run, sources);
  for (const char* own : {"build-essential", "libboost", "libssl-dev", "prometheus-cpp-dev"}) {
    EXPECT_EQ(text.find(own), std::string::npos) << "the Dockerfile names " << own << " again: keep one list";
  }
}

}  // namespace
