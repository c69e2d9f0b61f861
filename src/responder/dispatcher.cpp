// Routing requests to the services and keeping the responder's books.
#include "responder/dispatcher.hpp"

namespace fleetload::responder {
namespace {

Api api_of(const awsiot::AwsTopic& t) {
  switch (t.service) {
    case awsiot::Service::Shadow:
      return t.shadow.op == awsiot::ShadowOp::Get      ? Api::ShadowGet
             : t.shadow.op == awsiot::ShadowOp::Update ? Api::ShadowUpdate
                                                       : Api::ShadowDelete;
    case awsiot::Service::Jobs:
      switch (t.jobs.op) {
        case awsiot::JobsOp::GetPending: return Api::JobsGetPending;
        case awsiot::JobsOp::StartNext: return Api::JobsStartNext;
        case awsiot::JobsOp::Describe: return Api::JobsDescribe;
        default: return Api::JobsUpdate;
      }
    case awsiot::Service::Provisioning:
      return t.provisioning.op == awsiot::ProvisioningOp::CreateKeysAndCertificate ? Api::ProvisioningCreateKeys
             : t.provisioning.op == awsiot::ProvisioningOp::CreateCertificateFromCsr
                 ? Api::ProvisioningCreateFromCsr
                 : Api::ProvisioningRegisterThing;
    case awsiot::Service::None: break;
  }
  return Api::InvalidTopic;
}

}  // namespace

const char* to_string(Api a) noexcept {
  static constexpr std::array<const char*, kApiCount> kNames{
      "shadow_get",    "shadow_update",  "shadow_delete", "jobs_get_pending", "jobs_start_next", "jobs_describe",
      "jobs_update",   "provisioning_create_keys", "provisioning_create_from_csr", "provisioning_register_thing",
      "invalid_topic"};
  return kNames[static_cast<std::size_t>(a)];
}

std::uint64_t ApiBooks::requests() const noexcept {
  std::uint64_t n = accepted;
  for (const auto& [reason, count] : rejected) n += count;
  return n;
}

Dispatcher::Dispatcher(Publisher& out, DispatcherOptions options)
    : options_(std::move(options)),
      shadow_(out),
      jobs_(out),
      provisioning_(out, options_.issuer, options_.templates) {}

void Dispatcher::record(Api api, Outcome o, std::chrono::steady_clock::time_point start) {
  ApiBooks& b = books_[static_cast<std::size_t>(api)];
  if (o.accepted) ++b.accepted;
  else ++b.rejected[o.reason];
  b.latency.record(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count()));
}

void Dispatcher::saw(std::string_view thing) {
  seen_key_.assign(thing);
  if (seen_.insert(seen_key_).second && on_new_thing) on_new_thing(seen_key_);
}

void Dispatcher::on_publish(std::string_view topic, std::span<const std::uint8_t> payload, std::uint64_t now) {
  const auto start = std::chrono::steady_clock::now();
  const awsiot::AwsTopic t = awsiot::parse_topic(topic);
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (!t.ok()) {
    // A malformed topic in our namespaces is counted; anything else was not for us.
    if (!t.error.empty()) record(Api::InvalidTopic, Outcome::rejected("InvalidTopic"), start);
    else ++ignored_;
    return;
  }
  switch (t.service) {
    case awsiot::Service::Shadow:
      // Replies (ours, echoed back by a broad subscription) are not requests.
      if (t.shadow.suffix != awsiot::ShadowSuffix::None || !options_.shadow) {
        ++ignored_;
        return;
      }
      saw(t.shadow.id.thing);
      record(api_of(t), shadow_.handle(t.shadow, text, now), start);
      return;
    case awsiot::Service::Jobs:
      if (t.jobs.reply != awsiot::Reply::None || t.jobs.op == awsiot::JobsOp::Notify ||
          t.jobs.op == awsiot::JobsOp::NotifyNext || !options_.jobs) {
        ++ignored_;
        return;
      }
      saw(t.jobs.thing);
      record(api_of(t), jobs_.handle(t.jobs, text, now), start);
      return;
    case awsiot::Service::Provisioning: {
      if (t.provisioning.reply != awsiot::Reply::None || !options_.provisioning) {
        ++ignored_;
        return;
      }
      const Outcome o = provisioning_.handle(t.provisioning, payload, now);
      record(api_of(t), o, start);
      if (o.accepted && t.provisioning.op == awsiot::ProvisioningOp::RegisterThing) {
        saw(provisioning_.last_registered());
      }
      return;
    }
    case awsiot::Service::None: break;
  }
}

}  // namespace fleetload::responder
