// decide_verdict(): the one place where pass, fail and inconclusive are told apart.
#include "metrics/verdict.hpp"

namespace fleetload::metrics {

const char* to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::Fail: return "fail";
    case Verdict::Inconclusive: return "inconclusive";
  }
  return "?";
}

std::optional<Verdict> verdict_from_string(std::string_view text) noexcept {
  for (auto v : {Verdict::Pass, Verdict::Fail, Verdict::Inconclusive})
    if (text == to_string(v)) return v;
  return std::nullopt;
}

std::string VerdictResult::headline() const {
  std::string out = verdict == Verdict::Pass ? "PASS" : verdict == Verdict::Fail ? "FAIL" : "INCONCLUSIVE";
  if (reasons.empty()) return out;
  out += " (";
  for (std::size_t i = 0; i < reasons.size(); ++i) out += (i ? "; " : "") + reasons[i];
  return out + ")";
}

VerdictResult decide_verdict(std::span<const ThresholdOutcome> thresholds, bool any_device_connected) {
  VerdictResult r;
  // A breach found is a breach, whatever else could not be measured: a CI gate must stop.
  for (const auto& t : thresholds)
    if (t.measured && !t.met) r.reasons.push_back(t.name + ": " + t.detail);
  if (!r.reasons.empty()) {
    r.verdict = Verdict::Fail;
    return r;
  }
  // A run that never reached the broker measured nothing about it, thresholds or not; that
  // is the one reason worth giving (each threshold still says why it was not measured).
  if (!any_device_connected) {
    r.verdict = Verdict::Inconclusive;
    r.reasons.push_back("no device connected");
    return r;
  }
  // "Measured 0" for nothing measured would pass a broken run: say what was not measured.
  for (const auto& t : thresholds)
    if (!t.measured) r.reasons.push_back(t.name + ": not measured: " + t.detail);
  if (!r.reasons.empty()) r.verdict = Verdict::Inconclusive;
  return r;
}

}  // namespace fleetload::metrics
