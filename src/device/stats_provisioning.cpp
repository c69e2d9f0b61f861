// Names of the Fleet Provisioning books (stats.hpp): labels of metrics, JSON keys, summary.
#include "device/stats.hpp"

namespace fleetload::device {

const char* to_string(ProvisioningOp op) noexcept {
  return op == ProvisioningOp::CreateCertificate ? "create_certificate" : "register_thing";
}

const char* to_string(ProvisioningOutcome o) noexcept {
  switch (o) {
    case ProvisioningOutcome::Accepted: return "accepted";
    case ProvisioningOutcome::Rejected400: return "rejected_400";
    case ProvisioningOutcome::Rejected401: return "rejected_401";
    case ProvisioningOutcome::Rejected403: return "rejected_403";
    case ProvisioningOutcome::Rejected404: return "rejected_404";
    case ProvisioningOutcome::Rejected429: return "rejected_429";
    case ProvisioningOutcome::Rejected500: return "rejected_500";
    case ProvisioningOutcome::RejectedOther: return "rejected_other";
    case ProvisioningOutcome::TimedOut: return "timed_out";
  }
  return "?";
}

ProvisioningOutcome provisioning_outcome_of_code(int status_code) noexcept {
  switch (status_code) {
    case 400: return ProvisioningOutcome::Rejected400;
    case 401: return ProvisioningOutcome::Rejected401;
    case 403: return ProvisioningOutcome::Rejected403;
    case 404: return ProvisioningOutcome::Rejected404;
    case 429: return ProvisioningOutcome::Rejected429;
    case 500: return ProvisioningOutcome::Rejected500;
    default: return ProvisioningOutcome::RejectedOther;
  }
}

namespace {
constexpr const char* kErrorCodes[kProvisioningErrorCodeCount] = {
    "InvalidPayload",    "InvalidCsr", "InvalidCertificateOwnershipToken", "InvalidParameters",
    "ResourceNotFound", "Throttling", "InternalFailure",                  "other"};
}  // namespace

const char* to_string(ProvisioningErrorCode c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < kProvisioningErrorCodeCount ? kErrorCodes[i] : "other";
}

ProvisioningErrorCode provisioning_error_code_of(std::string_view error_code) noexcept {
  for (std::size_t i = 0; i + 1 < kProvisioningErrorCodeCount; ++i)
    if (error_code == kErrorCodes[i]) return static_cast<ProvisioningErrorCode>(i);
  return ProvisioningErrorCode::Other;
}

}  // namespace fleetload::device
