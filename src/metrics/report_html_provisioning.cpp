// The HTML report's Fleet Provisioning section (see report_html_provisioning.hpp).
#include "metrics/report_html_provisioning.hpp"

#include <string>

#include "metrics/format.hpp"
#include "metrics/html_escape.hpp"
#include "metrics/run_report.hpp"

namespace fleetload::metrics {
namespace {

std::string p99_text(const device::HistogramSnapshot& h) {
  return h.count ? human::duration_ms(percentiles_of(h).p99_ms) : std::string("-");
}

}  // namespace

void provisioning_html(std::ostream& o, const device::StatsSnapshot& s) {
  if (s.provisioning_attempts == 0) return;
  o << "<h2>Fleet Provisioning</h2><p>" << human::count(s.provisioning_attempts) << " attempts, "
    << human::count(s.provisioning_devices) << " devices connected with their new identity, "
    << human::count(s.provisioning_failures) << " failed attempts, " << human::count(s.provisioning_bad_answers)
    << " unusable answers; provisioned latency p99 " << p99_text(s.provisioning_latency)
    << ".</p><table class=\"groups\"><tr><th>operation</th>";
  for (std::size_t k = 0; k < device::kProvisioningOutcomeCount; ++k)
    o << "<th>" << html_escape(device::to_string(static_cast<device::ProvisioningOutcome>(k))) << "</th>";
  o << "<th>p99 latency</th></tr>";
  for (std::size_t op = 0; op < device::kProvisioningOpCount; ++op) {
    o << "<tr><td>" << html_escape(device::to_string(static_cast<device::ProvisioningOp>(op))) << "</td>";
    for (std::size_t k = 0; k < device::kProvisioningOutcomeCount; ++k)
      o << "<td class=\"num\">" << human::count(s.provisioning_ops[op * device::kProvisioningOutcomeCount + k]) << "</td>";
    o << "<td class=\"num\">"
      << p99_text(op == 0 ? s.provisioning_create_latency : s.provisioning_register_latency) << "</td></tr>";
  }
  o << "</table>";
  std::uint64_t rejected = 0;
  for (auto n : s.provisioning_errors) rejected += n;
  if (rejected == 0) return;
  o << "<table class=\"errors\"><tr><th>errorCode</th><th>rejections</th></tr>";
  for (std::size_t k = 0; k < device::kProvisioningErrorCodeCount; ++k)
    if (s.provisioning_errors[k] > 0)
      o << "<tr><td>" << html_escape(device::to_string(static_cast<device::ProvisioningErrorCode>(k)))
        << "</td><td class=\"num\">" << human::count(s.provisioning_errors[k]) << "</td></tr>";
  o << "</table>";
}

}  // namespace fleetload::metrics
