// Merging sharded capacity searches: the same ladder, aligned windows, steps judged again.
#include "metrics/search_merge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fleetload::metrics {
namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

// Every report must carry window figures for its steps: report merge judges from them.
void check_windows(const MergeInput& x) {
  for (const auto& st : x.report.search->steps)
    if (!st.window)
      throw MergeError(x.source + ": search step " + std::to_string(st.index) +
                       " has no window figures (a single-process search, or a report of an older fleetload): only "
                       "the reports of a sharded search can be merged into the fleet's steps");
}

// The shards' windows of step i began within `tolerance` of each other (by wall clock).
void check_aligned(const std::vector<MergeInput>& in, std::size_t i, double tolerance) {
  double lo = 0, hi = 0;
  const MergeInput *lo_at = nullptr, *hi_at = nullptr;
  for (const auto& x : in) {
    const double at = static_cast<double>(x.report.started_at_unix_ms) / 1000.0 + x.report.search->steps[i].window_start_s;
    if (!lo_at || at < lo) lo = at, lo_at = &x;
    if (!hi_at || at > hi) hi = at, hi_at = &x;
  }
  if (hi - lo > tolerance)
    throw MergeError("search step " + std::to_string(i) + ": the shards' measurement windows began " +
                     seconds_text(hi - lo) + " apart (" + lo_at->source + " first, " + hi_at->source +
                     " last), more than " + seconds_text(tolerance) +
                     ": the steps did not run at the same time. Start every shard with the same --start-at");
}

}  // namespace

std::optional<SearchReport> merge_searches(const std::vector<MergeInput>& in,
                                           const std::vector<scenario::Threshold>& thresholds,
                                           std::vector<std::string>& warnings) {
  const MergeInput* with = nullptr;
  const MergeInput* without = nullptr;
  for (const auto& x : in) (x.report.search ? with : without) = &x;
  if (!with) return std::nullopt;
  if (without)
    throw MergeError(with->source + " has a capacity search and " + without->source + " has none");
  if (in.size() == 1) return in.front().report.search;

  const SearchReport& f = *in.front().report.search;
  std::size_t steps = f.steps.size();
  const MergeInput* shortest = &in.front();
  bool clocks = true;
  for (const auto& x : in) {
    check_windows(x);
    if (x.report.search->steps.size() < steps) steps = x.report.search->steps.size(), shortest = &x;
    clocks = clocks && x.report.started_at_unix_ms > 0;
  }
  if (!clocks)
    warnings.push_back("a report has no start time in milliseconds (started_at_unix_ms): the search steps' "
                       "alignment in time was not checked");
  const double hold_s = std::chrono::duration<double>(f.search.hold).count();
  const double tolerance = std::max(1.0, 0.1 * hold_s);
  std::int64_t t0_ms = in.front().report.started_at_unix_ms;
  for (const auto& x : in) t0_ms = std::min(t0_ms, x.report.started_at_unix_ms);

  SearchReport m;
  m.phase = f.phase;
  m.search = f.search;
  for (std::size_t i = 0; i < steps; ++i) {
    const double value = f.steps[i].value;
    for (const auto& x : in) {
      const double v = x.report.search->steps[i].value;
      if (std::fabs(v - value) > 1e-9 * std::max(1.0, std::fabs(value)))
        throw MergeError("search step " + std::to_string(i) + ": " + in.front().source + " ran " +
                         format_search_value(f.search.vary, value) + ", " + x.source + " " +
                         format_search_value(f.search.vary, v) + ": the shards did not run the same ladder");
    }
    if (clocks) check_aligned(in, i, tolerance);
    SearchStep st;
    st.index = static_cast<std::uint32_t>(i);
    st.kind = f.steps[i].kind;
    st.value = value;
    StepWindow w;
    bool first = true;
    for (const auto& x : in) {
      const auto& s = x.report.search->steps[i];
      const auto& sw = *s.window;
      const double offset = clocks ? static_cast<double>(x.report.started_at_unix_ms - t0_ms) / 1000.0 : 0.0;
      st.window_start_s = first ? s.window_start_s + offset : std::min(st.window_start_s, s.window_start_s + offset);
      st.window_end_s = first ? s.window_end_s + offset : std::max(st.window_end_s, s.window_end_s + offset);
      first = false;
      st.target += s.target;
      w.seconds += sw.seconds / static_cast<double>(in.size());
      device::merge(w.fleet, sw.fleet);
      w.varied_connected += sw.varied_connected;
      w.varied_connects_ok += sw.varied_connects_ok;
      w.varied_connect_failures += sw.varied_connect_failures;
      w.varied_sent += sw.varied_sent;
      w.publishing_devices += sw.publishing_devices;
      w.requested_publish_rate += sw.requested_publish_rate;
      w.achieved_publish_rate += sw.achieved_publish_rate;
      w.broker_errors_per_s += sw.broker_errors_per_s;
    }
    // A per-device rate is each shard's own, not a part of the fleet's.
    if (f.search.vary == scenario::SearchVary::PublishRate && f.search.per_device) st.target = value;
    judge_window(st, w, f.search, thresholds);
    st.window = std::move(w);  // merged reports merge again
    m.steps.push_back(std::move(st));
  }
  m.stop_reason = f.stop_reason;
  if (steps < f.steps.size() || std::any_of(in.begin(), in.end(), [&](const MergeInput& x) {
        return x.report.search->steps.size() > steps;
      }))
    m.stop_reason = "the ladder of " + shortest->source + " ended after " + std::to_string(steps) + " steps (" +
                    shortest->report.search->stop_reason + "): later steps did not run in every shard";
  m.summary = summarize_search(m.steps, m.search);
  return m;
}

}  // namespace fleetload::metrics
