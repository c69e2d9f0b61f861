// Entry points: load/parse a scenario file, resolve defaults that span sections, errors.
#include "scenario/scenario.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario {

std::string Diagnostic::format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

namespace {

std::string join_diagnostics(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) {
    if (!out.empty()) out += '\n';
    out += d.format();
  }
  return out;
}

// Fills what depends on several sections: default phases and the run bound.
void resolve(Scenario& s, bool run_duration_given) {
  using namespace std::chrono_literals;
  if (s.phases.empty()) {
    if (!run_duration_given) s.run.duration = 60s;
    const double rate = s.fleet.connect_rate.per_second;
    const double ramp_ms =
        rate > 0 ? std::ceil(static_cast<double>(s.fleet.devices) * 1000.0 / rate) : 0.0;
    Phase ramp;
    ramp.type = PhaseType::Ramp;
    ramp.name = "ramp";
    ramp.duration = std::min(s.run.duration, Duration(static_cast<Duration::rep>(std::max(ramp_ms, 1.0))));
    s.phases.push_back(ramp);
    if (ramp.duration < s.run.duration) {
      Phase steady;
      steady.type = PhaseType::Steady;
      steady.name = "steady";
      steady.duration = s.run.duration - ramp.duration;
      s.phases.push_back(steady);
    }
  } else if (!run_duration_given) {
    Duration total{0};
    for (const auto& p : s.phases) total += p.duration;
    s.run.duration = total;
  }
}

}  // namespace

std::vector<Scenario> group_scenarios(const Scenario& s) {
  std::vector<Scenario> out;
  if (s.groups.empty()) {
    Scenario g = s;
    g.group = std::string(kDefaultGroup);
    g.group_first = 0;
    g.group_devices = s.fleet.devices;
    g.thresholds.clear();  // the top-level thresholds judge the fleet, not its only group
    out.push_back(std::move(g));
    return out;
  }
  out.reserve(s.groups.size());
  for (const auto& src : s.groups) {
    Scenario g = src;
    g.name = s.name;
    g.source = s.source;
    g.fleet.devices = s.fleet.devices;
    g.fleet.shard = s.fleet.shard;
    g.phases = s.phases;
    g.run = s.run;
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<std::string> stream_names(const Scenario& s) {
  std::vector<std::string> out;
  auto add = [&](const Scenario& g) {
    for (const auto& p : g.publish)
      if (std::find(out.begin(), out.end(), p.name) == out.end()) out.push_back(p.name);
  };
  if (s.groups.empty()) add(s);
  for (const auto& g : s.groups) add(g);
  return out;
}

std::string stream_path(const Scenario& s, std::size_t i) {
  auto known = [&](const std::string& prefix) {
    return std::any_of(s.positions.begin(), s.positions.end(),
                       [&](const auto& p) { return p.first.starts_with(prefix + "."); });
  };
  if (i < s.publish.size()) {
    for (const std::string& c : {"publish." + s.publish[i].name, "publish." + std::to_string(i)})
      if (known(c)) return c;
  }
  return "publish";
}

TemplateVars template_vars(const Scenario& s, std::uint64_t index) noexcept {
  TemplateVars v;
  v.index = index;
  v.shard = s.fleet.shard.k;
  v.index_width = s.fleet.index_width;
  v.group = s.group.empty() ? kDefaultGroup : std::string_view(s.group);
  v.group_index = index >= s.group_first ? index - s.group_first : index;
  return v;
}

ScenarioError::ScenarioError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

namespace {

std::vector<Override> as_set_overrides(const std::vector<std::string>& overrides) {
  std::vector<Override> out;
  out.reserve(overrides.size());
  for (const auto& o : overrides) out.push_back({o, "--set " + o});
  return out;
}

// Every message with the known secrets masked: a secret may be quoted as the value of
// another field ("got ..."), or sit in an override's text.
[[noreturn]] void fail(detail::Reader& r) {
  auto& ds = r.diagnostics();
  for (auto& d : ds) {
    d.file = mask_secret_values(std::move(d.file), r.secrets());
    d.path = mask_secret_values(std::move(d.path), r.secrets());
    d.message = mask_secret_values(std::move(d.message), r.secrets());
  }
  throw ScenarioError(std::move(ds));
}

// One connect rate paces a run: the first ramp phase's own connect_rate, else
// fleet.connect_rate (engine/phases.cpp). A rate that cannot take effect is refused rather
// than ignored: an override of fleet.connect_rate under such a ramp, or another ramp's
// different connect_rate.
void refuse_unused_connect_rates(detail::Reader& r, const YAML::Node& fleet, const YAML::Node& phases,
                                 const Scenario& s) {
  std::optional<std::size_t> pacing;
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    const Phase& p = s.phases[i];
    // A ramp naming groups paces only them (check_phase_groups).
    if (p.type != PhaseType::Ramp || !p.connect_rate || !p.groups.empty()) continue;
    if (!pacing) {
      pacing = i;
      continue;
    }
    const Phase& first = s.phases[*pacing];
    if (p.connect_rate->per_second == first.connect_rate->per_second || !phases.IsSequence() || i >= phases.size())
      continue;
    r.error(phases[i]["connect_rate"], "phases." + std::to_string(i) + ".connect_rate",
            "has no effect: one rate paces the whole run, the first ramp's (phases." + std::to_string(*pacing) +
                ".connect_rate " + format_rate(first.connect_rate->per_second) + "); give every ramp the same rate");
  }
  if (pacing && fleet.IsMap() && r.from_override(fleet["connect_rate"])) {
    const std::string k = std::to_string(*pacing);
    r.error(fleet["connect_rate"], "fleet.connect_rate",
            "has no effect: phases." + k + ".connect_rate (" + format_rate(s.phases[*pacing].connect_rate->per_second) +
                ") paces the run; override phases." + k + ".connect_rate instead");
  }
}

}  // namespace

Scenario parse_scenario(std::string_view yaml_text, std::string_view file_name,
                        const std::vector<std::string>& overrides) {
  return parse_scenario(yaml_text, file_name, as_set_overrides(overrides));
}

Scenario parse_scenario(std::string_view yaml_text, std::string_view file_name,
                        std::span<const Override> overrides) {
  detail::Reader r{std::string(file_name)};
  if (!detail::check_document_bounds(r, yaml_text)) throw ScenarioError(std::move(r.diagnostics()));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    r.error(e.mark, "", "invalid YAML: " + e.msg);
    fail(r);
  }
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    r.error(root, "", "expected a mapping with sections target, fleet, publish, ..., " +
                          detail::describe(root));
    fail(r);
  }
  r.apply_overrides(root, overrides);
  r.note_secrets_in(root);

  Scenario s;
  s.source = std::string(file_name);
  s.name = std::filesystem::path(std::string(file_name)).stem().string();
  detail::MapView top(r, root, "", keys::kScenario);
  auto section = [&](std::string_view key) { return top.get(key).value_or(YAML::Node()); };
  if (auto v = top.get("name")) {
    if (auto t = detail::read_string(r, *v, "name")) s.name = *t;
  }
  // Auth before target: the mode decides the default port; auth reads only its section.
  detail::parse_auth(r, section("auth"), s, detail::endpoint_scheme(section("target")));
  detail::parse_target(r, section("target"), s);
  detail::parse_fleet(r, section("fleet"), s);
  detail::parse_session(r, section("session"), s);
  detail::parse_reconnect(r, section("reconnect"), s);
  if (top.has("publish")) detail::parse_publish(r, section("publish"), s);
  if (top.has("subscribe")) detail::parse_subscribe(r, section("subscribe"), s);
  if (top.has("shadow")) detail::parse_shadow(r, section("shadow"), s);
  if (top.has("jobs")) detail::parse_jobs(r, section("jobs"), s);
  if (top.has("provisioning")) detail::parse_provisioning(r, section("provisioning"), s);
  if (auto v = top.get("phases"); v && !v->IsNull()) detail::parse_phases(r, *v, s);
  bool run_duration_given = false;
  if (auto v = top.get("run"); v && v->IsMap()) {
    const YAML::Node& run = *v;
    run_duration_given = run["duration"].IsDefined();
  }
  detail::parse_run(r, section("run"), s);
  if (top.has("thresholds")) detail::parse_thresholds(r, section("thresholds"), s);
  refuse_unused_connect_rates(r, section("fleet"), section("phases"), s);
  detail::check_search(r, section("phases"), s);
  if (auto v = top.get("groups"); v && !r.has_errors()) detail::parse_groups(r, root, *v, s);
  if (!r.has_errors()) detail::check_phase_groups(r, section("phases"), s);
  if (!r.has_errors()) {
    if (const auto names = stream_names(s); names.size() > kMaxPublishStreams)
      r.error(top.has("groups") ? section("groups") : section("publish"), "publish",
              "at most " + std::to_string(kMaxPublishStreams) + " publish streams (distinct names) in a scenario, got " +
                  std::to_string(names.size()));
  }

  if (r.has_errors()) {
    auto& ds = r.diagnostics();
    // File positions in reading order; override and position-less messages keep their order.
    std::stable_sort(ds.begin(), ds.end(), [](const Diagnostic& a, const Diagnostic& b) {
      auto key = [](const Diagnostic& d) {
        return std::pair(d.line == 0 ? std::numeric_limits<int>::max() : d.line, d.column);
      };
      return key(a) < key(b);
    });
    fail(r);
  }
  resolve(s, run_duration_given);
  s.positions = std::move(r.positions());
  return s;
}

namespace {

// What kind of file this is, for "not a regular file" messages.
const char* file_kind(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void file_error(const std::filesystem::path& file, std::string message) {
  Diagnostic d;
  d.file = file.string();
  d.message = std::move(message);
  throw ScenarioError({d});
}

// Reads a scenario file, refusing promptly what is not one: opened non-blocking (a FIFO
// without a writer would block the open, then the read, forever), then fstat on the open
// descriptor: only a regular file of at most kMaxScenarioFileBytes is read (/dev/zero
// would be read until memory runs out; a directory is not "missing target.endpoint"). The
// read itself is bounded too, in case the file grows while it is read.
std::string read_scenario_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int e = errno;
    file_error(file, std::string("cannot open the scenario file: ") + std::strerror(e));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    file_error(file, std::string("cannot read the scenario file: ") + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    file_error(file, std::string("is ") + file_kind(st.st_mode) + ", not a scenario file; give a regular YAML file");
  }
  const auto too_large = [&] {
    file_error(file, "larger than " + std::to_string(kMaxScenarioFileBytes >> 20) +
                         " MiB; a scenario file is at most that (is it the right file?)");
  };
  if (static_cast<std::uint64_t>(st.st_size) > kMaxScenarioFileBytes) too_large();
  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t have = 0;
  for (;;) {
    if (have == text.size()) {
      if (text.size() > kMaxScenarioFileBytes) too_large();
      text.resize(std::min<std::size_t>(text.size() * 2 + 4096, kMaxScenarioFileBytes + 1));
    }
    const ssize_t n = ::read(fd, text.data() + have, text.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      file_error(file, std::string("cannot read the scenario file: ") + std::strerror(e));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have > kMaxScenarioFileBytes) too_large();
  text.resize(have);
  return text;
}

}  // namespace

Scenario load_scenario(const std::filesystem::path& file,
                       const std::vector<std::string>& overrides) {
  return load_scenario(file, as_set_overrides(overrides));
}

Scenario load_scenario(const std::filesystem::path& file, std::span<const Override> overrides) {
  return parse_scenario(read_scenario_file(file), file.string(), overrides);
}


const char* to_string(OfflineQueue q) noexcept {
  switch (q) {
    case OfflineQueue::FailQos0PublishOnDisconnect: return "fail_qos0_publish_on_disconnect";
    case OfflineQueue::FailNonQos1PublishOnDisconnect: return "fail_non_qos1_publish_on_disconnect";
    case OfflineQueue::FailAllOnDisconnect: return "fail_all_on_disconnect";
  }
  return "?";
}

const char* to_string(Jitter j) noexcept {
  switch (j) {
    case Jitter::None: return "none";
    case Jitter::Full: return "full";
    case Jitter::Decorrelated: return "decorrelated";
    case Jitter::Default: return "default";
    case Jitter::DecorrelatedTextbook: return "decorrelated_textbook";
  }
  return "?";
}

const char* to_string(SessionBehavior b) noexcept {
  switch (b) {
    case SessionBehavior::Clean: return "clean";
    case SessionBehavior::RejoinPostSuccess: return "rejoin_post_success";
    case SessionBehavior::RejoinAlways: return "rejoin_always";
  }
  return "?";
}

const char* to_string(FirstConnectFailure f) noexcept {
  switch (f) {
    case FirstConnectFailure::Retry: return "retry";
    case FirstConnectFailure::Stop: return "stop";
  }
  return "?";
}

const char* to_string(Arrival a) noexcept {
  switch (a) {
    case Arrival::Uniform: return "uniform";
    case Arrival::Poisson: return "poisson";
  }
  return "?";
}

const char* to_string(PhaseType t) noexcept {
  switch (t) {
    case PhaseType::Ramp: return "ramp";
    case PhaseType::Steady: return "steady";
    case PhaseType::Churn: return "churn";
    case PhaseType::Storm: return "storm";
    case PhaseType::Search: return "search";
  }
  return "?";
}

const char* to_string(SearchVary v) noexcept {
  switch (v) {
    case SearchVary::ConnectRate: return "connect_rate";
    case SearchVary::PublishRate: return "publish_rate";
    case SearchVary::Devices: return "devices";
  }
  return "?";
}

const char* to_string(ThresholdOp op) noexcept {
  switch (op) {
    case ThresholdOp::Lt: return "<";
    case ThresholdOp::Le: return "<=";
    case ThresholdOp::Gt: return ">";
    case ThresholdOp::Ge: return ">=";
    case ThresholdOp::Eq: return "==";
  }
  return "?";
}

const char* to_string(ShadowGet g) noexcept { return g == ShadowGet::OnConnect ? "on_connect" : "never"; }
const char* to_string(ShadowOnDelta d) noexcept { return d == ShadowOnDelta::Report ? "report" : "ignore"; }
const char* to_string(JobsStart s) noexcept {
  return s == JobsStart::OnNotify ? "on_notify" : "on_connect_and_notify";
}
const char* to_string(ProvisioningCertificate c) noexcept {
  return c == ProvisioningCertificate::CreateFromCsr ? "create_from_csr" : "create";
}
const char* to_string(ProvisioningFormat f) noexcept { return f == ProvisioningFormat::Cbor ? "cbor" : "json"; }
const char* to_string(ProvisioningKey k) noexcept { return k == ProvisioningKey::Rsa2048 ? "rsa2048" : "ecdsa-p256"; }

}  // namespace fleetload::scenario
