// The responder's core, sans-I/O: routes each PUBLISH on a request topic to the Shadow, Jobs or
// Fleet Provisioning service, keeps its own books (requests by API and outcome, handling
// latency) and the things it has seen. The MQTT connection feeds it; tests drive it directly.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "device/stats.hpp"
#include "responder/jobs_service.hpp"
#include "responder/provisioning_service.hpp"
#include "responder/publisher.hpp"
#include "responder/shadow_service.hpp"

namespace fleetload::responder {

enum class Api : std::uint8_t {
  ShadowGet, ShadowUpdate, ShadowDelete,
  JobsGetPending, JobsStartNext, JobsDescribe, JobsUpdate,
  ProvisioningCreateKeys, ProvisioningCreateFromCsr, ProvisioningRegisterThing,
  InvalidTopic,  // a malformed topic in one of the services' namespaces
};
inline constexpr std::size_t kApiCount = 11;
const char* to_string(Api a) noexcept;  // "shadow_get", ..., "invalid_topic"

struct ApiBooks {
  std::uint64_t accepted = 0;
  std::map<std::string, std::uint64_t> rejected;  // by reason ("404", "VersionMismatch", ...)
  device::HistogramSnapshot latency;              // ns, request decoded to answer published
  std::uint64_t requests() const noexcept;
};

struct DispatcherOptions {
  bool shadow = true;
  bool jobs = true;
  bool provisioning = true;
  std::shared_ptr<CertIssuer> issuer;  // provisioning without it answers 500
  std::vector<ProvisioningTemplate> templates;
};

class Dispatcher {
 public:
  Dispatcher(Publisher& out, DispatcherOptions options);

  // One received PUBLISH. `now` is epoch seconds (document timestamps).
  void on_publish(std::string_view topic, std::span<const std::uint8_t> payload, std::uint64_t now);
  // Once a second or so: step timers of job executions.
  void tick(std::uint64_t now) { jobs_.tick(now); }

  // Called with each thing the first time a request names it (continuous jobs).
  std::function<void(const std::string& thing)> on_new_thing;

  const ApiBooks& books(Api a) const { return books_[static_cast<std::size_t>(a)]; }
  const std::unordered_set<std::string>& things_seen() const noexcept { return seen_; }
  std::uint64_t ignored() const noexcept { return ignored_; }  // PUBLISHes on topics not ours
  const DispatcherOptions& options() const noexcept { return options_; }
  ShadowService& shadow() noexcept { return shadow_; }
  JobsService& jobs() noexcept { return jobs_; }
  ProvisioningService& provisioning() noexcept { return provisioning_; }
  const ShadowService& shadow() const noexcept { return shadow_; }
  const JobsService& jobs() const noexcept { return jobs_; }
  const ProvisioningService& provisioning() const noexcept { return provisioning_; }

 private:
  void record(Api api, Outcome o, std::chrono::steady_clock::time_point start);
  void saw(std::string_view thing);

  DispatcherOptions options_;
  ShadowService shadow_;
  JobsService jobs_;
  ProvisioningService provisioning_;
  std::array<ApiBooks, kApiCount> books_{};
  std::unordered_set<std::string> seen_;
  std::string seen_key_;
  std::uint64_t ignored_ = 0;
};

}  // namespace fleetload::responder
