// The responder's end-of-run summary: requests by API and outcome with handling latency, the
// things, shadows, jobs and certificates it holds, and the answers' books.
#include <cstdio>
#include <sstream>

#include "responder/runner.hpp"

namespace fleetload::responder {
namespace {

std::string ms(std::uint64_t ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", static_cast<double>(ns) / 1e6);
  return b;
}

std::string pad(const std::string& s, std::size_t w, bool right = true) {
  if (s.size() >= w) return s;
  return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

}  // namespace

std::string Runner::summary() const {
  std::ostringstream o;
  const auto end = ended_ == std::chrono::steady_clock::time_point{} ? std::chrono::steady_clock::now() : ended_;
  const double secs = std::chrono::duration<double>(end - started_).count();
  const ConnectionStats& c = connection_->stats();
  char head[160];
  std::snprintf(head, sizeof head, "fleetload responder: %.1f s on %s:%u, %llu connect(s), %llu drop(s)\n", secs,
                cfg_.broker.host.c_str(), static_cast<unsigned>(cfg_.broker.port),
                static_cast<unsigned long long>(c.connects), static_cast<unsigned long long>(c.drops));
  o << head;
  o << pad("request", 30, false) << pad("accepted", 10) << pad("rejected", 10) << pad("p50 ms", 10) << pad("p99 ms", 10)
    << pad("max ms", 10) << "  rejections\n";
  for (std::size_t i = 0; i < kApiCount; ++i) {
    const Api api = static_cast<Api>(i);
    const ApiBooks& b = dispatcher_->books(api);
    if (b.requests() == 0) continue;
    std::uint64_t rejected = 0;
    std::string reasons;
    for (const auto& [reason, n] : b.rejected) {
      rejected += n;
      reasons += (reasons.empty() ? "" : ", ") + reason + ": " + std::to_string(n);
    }
    o << pad(to_string(api), 30, false) << pad(std::to_string(b.accepted), 10) << pad(std::to_string(rejected), 10)
      << pad(ms(b.latency.percentile(0.5)), 10) << pad(ms(b.latency.percentile(0.99)), 10) << pad(ms(b.latency.max), 10)
      << "  " << reasons << "\n";
  }
  o << "things seen: " << dispatcher_->things_seen().size() << ", shadows: "
    << dispatcher_->shadow().shadows()
    << ", certificates issued: " << dispatcher_->provisioning().certificates_issued()
    << ", things provisioned: " << dispatcher_->provisioning().things().size() << "\n";
  const auto& jobs = dispatcher_->jobs();
  for (const auto& id : jobs.job_ids()) {
    o << "job " << id << ":";
    std::uint64_t total = 0;
    for (const auto& [status, n] : jobs.status_counts(id)) {
      o << " " << awsiot::to_string(status) << " " << n;
      total += n;
    }
    o << " (" << total << " executions)\n";
  }
  o << "answers: published " << c.answers_published << ", acked " << c.answers_acked << ", lost at a drop "
    << c.answers_lost << ", dropped " << c.answers_dropped << ", waiting " << connection_->waiting()
    << "; requests received " << c.requests_received << ", ignored " << dispatcher_->ignored();
  if (c.subscribe_refused) o << "; subscriptions refused " << c.subscribe_refused;
  o << "\n";
  return o.str();
}

}  // namespace fleetload::responder
