// Fleet Provisioning by claim of a device (behaviour_provisioning.hpp): topics from
// awsiot/topics, payloads (JSON or CBOR) from awsiot/provisioning, keys and certificates from
// auth/client_identity.
#include "device/behaviour_provisioning.hpp"

#include <openssl/crypto.h>

#include "auth/client_identity.hpp"
#include "awsiot/provisioning.hpp"
#include "awsiot/topics.hpp"
#include "device/behaviour_aws.hpp"
#include "device/session_impl.hpp"

namespace fleetload::device {

using detail::after;
using detail::since_ns;

namespace {
awsiot::PayloadFormat format_of(const ProvisioningPlan& p) {
  return p.cbor ? awsiot::PayloadFormat::Cbor : awsiot::PayloadFormat::Json;
}
awsiot::ProvisioningOp create_op(const ProvisioningPlan& p) {
  return p.from_csr ? awsiot::ProvisioningOp::CreateCertificateFromCsr : awsiot::ProvisioningOp::CreateKeysAndCertificate;
}
std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

ProvisioningBehaviour::ProvisioningBehaviour(const ProvisioningPlan& plan, mqtt::Version v, std::uint32_t index,
                                             Parameters parameters, std::string csr_name, TimePoint started)
    : plan_(&plan),
      version_(v),
      index_(index),
      started_(started),
      parameters_(std::move(parameters)),
      csr_name_(std::move(csr_name)) {}

ProvisioningBehaviour::~ProvisioningBehaviour() {
  if (!token_.empty()) OPENSSL_cleanse(token_.data(), token_.size());
}

std::vector<std::string> ProvisioningBehaviour::filters() const {
  const auto f = format_of(*plan_);
  return {awsiot::provisioning_topic(create_op(*plan_), f, {}, awsiot::Reply::Accepted),
          awsiot::provisioning_topic(create_op(*plan_), f, {}, awsiot::Reply::Rejected),
          awsiot::provisioning_topic(awsiot::ProvisioningOp::RegisterThing, f, plan_->template_name, awsiot::Reply::Accepted),
          awsiot::provisioning_topic(awsiot::ProvisioningOp::RegisterThing, f, plan_->template_name, awsiot::Reply::Rejected)};
}

std::size_t ProvisioningBehaviour::heap_bytes() const noexcept {
  // Strings and the parameters; the identity's certificate and key are OpenSSL's (a few KiB,
  // provisioned devices only).
  auto str = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  std::size_t n = sizeof(*this) + str(csr_name_) + str(correlation_) + str(token_) + str(thing_) +
                  parameters_.capacity() * sizeof(parameters_[0]);
  for (const auto& [k, v] : parameters_) n += str(k) + str(v);
  return n;
}

bool ProvisioningBehaviour::send(Context& ctx, const std::string& topic, std::span<const std::uint8_t> payload) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = payload;
  if (version_ == mqtt::Version::V5) {
    correlation_ = "fl" + std::to_string(index_) + "-" + std::to_string(++requests_);
    p.properties.correlation_data = bytes_of(correlation_);
  }
  return aws::send_request(ctx, p, plan_->qos);
}

// ---- connection events ---------------------------------------------------------------------

void ProvisioningBehaviour::on_claim_connected(Context& ctx, std::uint16_t packet_id) {
  if (step_ == Step::Registered || step_ == Step::Provisioned) return;
  step_ = Step::Idle;
  // "Subscribe to the accepted and rejected topics before publishing a request."
  if (!aws::subscribe(ctx, version_, filters(), packet_id, plan_->qos)) return;
  ctx.stats.provisioning_attempts.add();
  subscribe_id_ = packet_id;
  step_ = Step::Subscribing;
}

void ProvisioningBehaviour::on_identity_connected(Context& ctx) {
  if (step_ != Step::Registered) return;
  step_ = Step::Provisioned;
  ctx.stats.provisioning_devices.add();
  ctx.stats.provisioning_latency.record(since_ns(started_, ctx.now));
}

void ProvisioningBehaviour::on_disconnected(Context& ctx) {
  subscribe_id_ = 0;
  if (step_ == Step::Creating) finish(ctx, ProvisioningOp::CreateCertificate, ProvisioningOutcome::TimedOut), fail(ctx);
  else if (step_ == Step::Registering) finish(ctx, ProvisioningOp::RegisterThing, ProvisioningOutcome::TimedOut), fail(ctx);
  else if (step_ == Step::Subscribing) fail(ctx);
}

bool ProvisioningBehaviour::on_suback(Context& ctx, const mqtt::Suback& s) {
  if (subscribe_id_ == 0 || s.packet_id != subscribe_id_) return false;
  subscribe_id_ = 0;
  const bool all = aws::book_suback(ctx, s, 4, plan_->qos);
  // A refused filter means the answer would go unheard: the attempt fails here, visibly in
  // the SUBACK codes, rather than as a timeout.
  if (!all) fail(ctx);
  else request_certificate(ctx);
  return true;
}

// ---- requests ------------------------------------------------------------------------------

void ProvisioningBehaviour::request_certificate(Context& ctx) {
  const auto f = format_of(*plan_);
  std::string topic;
  awsiot::append_provisioning_topic(topic, create_op(*plan_), f);
  std::vector<std::uint8_t> body;  // CreateKeysAndCertificate: "an empty message payload"
  if (plan_->from_csr) {
    try {
      auto kc = auth::make_key_and_csr(csr_name_, plan_->rsa_key ? auth::CertKeyType::Rsa2048 : auth::CertKeyType::EcdsaP256);
      key_.reset(kc.key);
      body = awsiot::encode(awsiot::CreateCertificateFromCsrRequest{std::move(kc.csr_pem)}, f);
    } catch (const auth::CertError&) {
      fail(ctx);
      return;
    }
  }
  if (!send(ctx, topic, body)) {
    fail(ctx);
    return;
  }
  step_ = Step::Creating;
  sent_ = ctx.now;
  ctx.stats.provisioning_in_flight.add(1);
}

void ProvisioningBehaviour::register_thing(Context& ctx) {
  const auto f = format_of(*plan_);
  std::string topic;
  awsiot::append_provisioning_topic(topic, awsiot::ProvisioningOp::RegisterThing, f, plan_->template_name);
  const auto body = awsiot::encode(awsiot::RegisterThingRequest{token_, parameters_}, f);
  if (!send(ctx, topic, body)) {
    fail(ctx);
    return;
  }
  step_ = Step::Registering;
  sent_ = ctx.now;
  ctx.stats.provisioning_in_flight.add(1);
}

void ProvisioningBehaviour::finish(Context& ctx, ProvisioningOp op, ProvisioningOutcome o) {
  ctx.stats.provisioning_ops[provisioning_index(op, o)].add();
  ctx.stats.provisioning_in_flight.add(-1);
  if (o == ProvisioningOutcome::TimedOut) return;
  auto& h = op == ProvisioningOp::CreateCertificate ? ctx.stats.provisioning_create_latency
                                                    : ctx.stats.provisioning_register_latency;
  h.record(since_ns(sent_, ctx.now));
}

void ProvisioningBehaviour::fail(Context& ctx) {
  ctx.stats.provisioning_failures.add();
  step_ = Step::Failed;
  if (!token_.empty()) OPENSSL_cleanse(token_.data(), token_.size());
  token_.clear();
  key_.reset();
  pending_identity_.reset();
}

// ---- answers -------------------------------------------------------------------------------

bool ProvisioningBehaviour::ours(const mqtt::Publish& p) const {
  if (version_ != mqtt::Version::V5 || !p.properties.correlation_data) return true;
  const auto& c = *p.properties.correlation_data;
  return std::string_view(reinterpret_cast<const char*>(c.data()), c.size()) == correlation_;
}

bool ProvisioningBehaviour::on_publish(Context& ctx, const mqtt::Publish& p) {
  const std::string_view topic = p.topic;
  if (!topic.starts_with("$aws/certificates/") && !topic.starts_with("$aws/provisioning-templates/")) return false;
  const awsiot::AwsTopic t = awsiot::parse_topic(topic);
  if (t.service != awsiot::Service::Provisioning || t.provisioning.reply == awsiot::Reply::None) return false;
  // Every answer on these topics is handled here (we subscribed to them, nothing else
  // does); only the one to our request in flight moves us on.
  const awsiot::ProvisioningTopic& pt = t.provisioning;
  if (pt.format != format_of(*plan_) || !ours(p)) return true;
  const bool accepted = pt.reply == awsiot::Reply::Accepted;
  if (pt.op == awsiot::ProvisioningOp::RegisterThing) {
    if (step_ != Step::Registering || pt.template_name != plan_->template_name) return true;
    if (accepted) on_registered(ctx, p.payload);
    else on_rejected(ctx, ProvisioningOp::RegisterThing, p.payload);
  } else {
    if (step_ != Step::Creating || pt.op != create_op(*plan_)) return true;
    if (accepted) on_certificate(ctx, p.payload);
    else on_rejected(ctx, ProvisioningOp::CreateCertificate, p.payload);
  }
  return true;
}

void ProvisioningBehaviour::on_certificate(Context& ctx, std::span<const std::uint8_t> payload) {
  const auto f = format_of(*plan_);
  std::shared_ptr<const auth::ClientIdentity> id;
  std::string token;
  if (plan_->from_csr) {
    auto r = awsiot::parse_create_from_csr_response(payload, f);
    if (!r) {
      ctx.stats.provisioning_bad_answers.add();
      finish(ctx, ProvisioningOp::CreateCertificate, ProvisioningOutcome::Accepted);
      fail(ctx);
      return;
    }
    try {
      id = std::make_shared<const auth::ClientIdentity>(r->certificate_pem, key_.get());
    } catch (const auth::CertError&) {
      // Not for our key: another device's answer (a broker that delivers every answer to
      // every subscriber). Ours is still to come.
      return;
    }
    token = std::move(r->certificate_ownership_token);
  } else {
    auto r = awsiot::parse_create_keys_response(payload, f);
    if (r) {
      try {
        id = std::make_shared<const auth::ClientIdentity>(r->certificate_pem, r->private_key);
      } catch (const auth::CertError&) {
      }
      OPENSSL_cleanse(r->private_key.data(), r->private_key.size());
      token = std::move(r->certificate_ownership_token);
    }
    if (!id) {
      ctx.stats.provisioning_bad_answers.add();
      finish(ctx, ProvisioningOp::CreateCertificate, ProvisioningOutcome::Accepted);
      fail(ctx);
      return;
    }
  }
  finish(ctx, ProvisioningOp::CreateCertificate, ProvisioningOutcome::Accepted);
  pending_identity_ = std::move(id);
  token_ = std::move(token);
  register_thing(ctx);
}

void ProvisioningBehaviour::on_registered(Context& ctx, std::span<const std::uint8_t> payload) {
  finish(ctx, ProvisioningOp::RegisterThing, ProvisioningOutcome::Accepted);
  auto r = awsiot::parse_register_thing_response(payload, format_of(*plan_));
  if (!r || awsiot::check_thing_name(r->thing_name) != nullptr) {
    // No thing name we could connect as.
    ctx.stats.provisioning_bad_answers.add();
    fail(ctx);
    return;
  }
  thing_ = std::move(r->thing_name);
  identity_ = std::move(pending_identity_);
  OPENSSL_cleanse(token_.data(), token_.size());
  token_.clear();
  key_.reset();  // the identity holds its own reference
  parameters_ = {};
  step_ = Step::Registered;
}

void ProvisioningBehaviour::on_rejected(Context& ctx, ProvisioningOp op, std::span<const std::uint8_t> payload) {
  const auto e = awsiot::parse_provisioning_error(payload, format_of(*plan_));
  if (!e) {
    ctx.stats.provisioning_bad_answers.add();
    finish(ctx, op, ProvisioningOutcome::RejectedOther);
  } else {
    finish(ctx, op, provisioning_outcome_of_code(e->status_code));
    ctx.stats.provisioning_errors[static_cast<std::size_t>(provisioning_error_code_of(e->error_code))].add();
  }
  fail(ctx);
}

// ---- time ----------------------------------------------------------------------------------

void ProvisioningBehaviour::on_timer(Context& ctx) {
  if (step_ != Step::Creating && step_ != Step::Registering) return;
  if (ctx.now < after(sent_, plan_->timeout)) return;
  finish(ctx, step_ == Step::Creating ? ProvisioningOp::CreateCertificate : ProvisioningOp::RegisterThing,
         ProvisioningOutcome::TimedOut);
  fail(ctx);
}

TimePoint ProvisioningBehaviour::deadline() const noexcept {
  if (step_ != Step::Creating && step_ != Step::Registering) return kNever;
  return after(sent_, plan_->timeout);
}

}  // namespace fleetload::device
