// `jobs:` (AWS IoT Jobs executions per group): when devices start-next, how long a job works,
// what share fails, the statusDetails they report and the step timeout they ask for, checked
// against the service's rules ("Jobs device MQTT API", StartNextPendingJobExecution:
// stepTimeoutInMinutes 1 to 10080; statusDetails values are strings).
#include "scenario/parse.hpp"
#include "scenario/units.hpp"

namespace fleetload::scenario::detail {
namespace {

// "5s", "250ms..2s" (min..max, min <= max).
bool read_work_time(Reader& r, const YAML::Node& v, const std::string& path, Jobs& j) {
  auto t = read_string(r, v, path);
  if (!t) return false;
  const std::string_view text = *t;
  const auto dots = text.find("..");
  auto trim = [](std::string_view x) {
    while (!x.empty() && x.front() == ' ') x.remove_prefix(1);
    while (!x.empty() && x.back() == ' ') x.remove_suffix(1);
    return x;
  };
  const auto lo = parse_duration(trim(text.substr(0, dots)));
  const auto hi = dots == std::string_view::npos ? lo : parse_duration(trim(text.substr(dots + 2)));
  if (!lo || !hi || *hi < *lo) {
    r.error(v, path, "expected a duration like 5s or a range like 1s..10s (min..max), got \"" + *t + "\"");
    return false;
  }
  j.work_min = *lo;
  j.work_max = *hi;
  return true;
}

}  // namespace

void parse_jobs(Reader& r, const YAML::Node& n, Scenario& s) {
  MapView m(r, n, "jobs", keys::kJobs);
  if (!m.ok()) return;
  Jobs j;
  if (auto v = m.get("start")) {
    if (auto i = read_enum(r, *v, m.path("start"), keys::kJobsStarts)) j.start = static_cast<JobsStart>(*i);
  }
  if (auto v = m.get("work_time")) read_work_time(r, *v, m.path("work_time"), j);
  if (auto v = m.get("fail_share")) {
    if (auto x = read_ratio(r, *v, m.path("fail_share"))) j.fail_share = *x;
  }
  if (auto v = m.get("status_details")) {
    const std::string path = m.path("status_details");
    if (!v->IsMap()) {
      r.error(*v, path, "expected a mapping of name: template, " + describe(*v));
    } else {
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto key = r.text(it->first, path, "a statusDetails name");
        if (!key) continue;
        if (key->empty()) {
          r.error(it->first, path, "a statusDetails name may not be empty");
          continue;
        }
        if (auto tpl = read_template(r, it->second, path + "." + *key, kTopicVars)) j.status_details.emplace_back(*key, *tpl);
      }
    }
  }
  if (auto v = m.get("step_timeout")) {
    if (auto x = read_uint(r, *v, m.path("step_timeout"), 1, 10080)) j.step_timeout_minutes = static_cast<std::uint32_t>(*x);
  }
  read_into(m, "in_progress", j.in_progress, [&](const YAML::Node& v, const std::string& p) { return read_bool(r, v, p); });
  read_answer_timeout(r, m, j.timeout);
  read_aws_qos(r, m, j.qos);
  check_aws_topics(r, n, s, "the jobs topics'", "jobs subscribe");
  s.jobs = std::move(j);
}

}  // namespace fleetload::scenario::detail
