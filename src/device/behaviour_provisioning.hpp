// A device's AWS IoT Fleet Provisioning by claim: on the claim connection (the group's own
// mTLS identity) it subscribes to the answer topics, asks for a certificate
// (CreateKeysAndCertificate, or CreateCertificateFromCsr with a key made here), registers the
// thing (RegisterThing with the certificateOwnershipToken and the template's parameters),
// and hands the session the new identity and thing name: the session disconnects and
// connects again presenting them (client id = thing name), then runs the group's workload.
//
// Sans-I/O like the session that drives it: packets go into ctx.out, time comes from
// ctx.now. Only devices of a group with `provisioning:` have one, on the heap
// (Session::Inbound), so a device without it costs nothing more.
//
// Answers on a broker other than AWS IoT Core: AWS IoT delivers each client only the answers
// to its own requests; a broker such as mosquitto delivers every answer topic to every
// subscriber. So an answer is taken as this device's only when it can be: MQTT 5 requests
// carry Correlation Data and an answer carrying other Correlation Data is someone else's
// (the responder echoes it); a create-from-csr certificate must be for our key.
//
// Sources (AWS IoT developer guide): "Device provisioning MQTT API" (fleet-provision-api.html):
// subscribe to .../accepted and .../rejected, CreateKeysAndCertificate with an empty payload,
// CreateCertificateFromCsr, RegisterThing; the FreeRTOS Fleet Provisioning demo reconnects
// with the new certificate and the returned thing name as the client id.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "device/fleet_plan.hpp"
#include "device/session.hpp"
#include "mqtt/codec.hpp"

namespace fleetload::auth { class ClientIdentity; }

namespace fleetload::device {

class ProvisioningBehaviour {
 public:
  using Parameters = std::vector<std::pair<std::string, std::string>>;
  enum class Step : std::uint8_t {
    Idle,         // nothing asked on this connection (yet)
    Subscribing,  // SUBSCRIBE to the answer topics sent
    Creating,     // certificate requested
    Registering,  // RegisterThing sent
    Registered,   // identity and thing name in hand: the session reconnects with them
    Provisioned,  // connected with the new identity
    Failed,       // rejected, timed out or unusable: tried again on the next claim connection
  };

  // `parameters`: RegisterThing's, rendered for this device; `csr_name`: the CSR's subject
  // CN (create_from_csr); `started`: the connect attempt that first reached the broker.
  ProvisioningBehaviour(const ProvisioningPlan& plan, mqtt::Version v, std::uint32_t index, Parameters parameters,
                        std::string csr_name, TimePoint started);
  ~ProvisioningBehaviour();
  ProvisioningBehaviour(const ProvisioningBehaviour&) = delete;
  ProvisioningBehaviour& operator=(const ProvisioningBehaviour&) = delete;

  // An accepting CONNACK on the claim identity: SUBSCRIBE (`packet_id`) to the answer topics;
  // the certificate request follows its SUBACK, as the guide requires.
  void on_claim_connected(Context& ctx, std::uint16_t packet_id);
  // An accepting CONNACK with the new identity: the provisioned latency, once.
  void on_identity_connected(Context& ctx);
  // The connection is gone: a request still unanswered is booked as timed out.
  void on_disconnected(Context& ctx);
  // True when the SUBACK answers our SUBSCRIBE (then it is handled here).
  bool on_suback(Context& ctx, const mqtt::Suback& s);
  // True when the PUBLISH is on one of our answer topics (then it is handled here).
  bool on_publish(Context& ctx, const mqtt::Publish& p);
  // Expires a request past the timeout.
  void on_timer(Context& ctx);
  TimePoint deadline() const noexcept;

  Step step() const noexcept { return step_; }
  std::uint16_t subscribe_id() const noexcept { return subscribe_id_; }
  // The new identity (from Registered on; null before).
  const auth::ClientIdentity* identity() const noexcept { return step_ >= Step::Registered && step_ != Step::Failed ? identity_.get() : nullptr; }
  const std::string& thing_name() const noexcept { return thing_; }
  std::size_t heap_bytes() const noexcept;

  // The four answer topics, in order: certificate accepted, rejected; provision accepted,
  // rejected (within AWS IoT Core's 8 filters per SUBSCRIBE).
  std::vector<std::string> filters() const;

 private:
  bool send(Context& ctx, const std::string& topic, std::span<const std::uint8_t> payload);
  void request_certificate(Context& ctx);
  void register_thing(Context& ctx);
  void finish(Context& ctx, ProvisioningOp op, ProvisioningOutcome o);
  void fail(Context& ctx);
  // False when the answer carries Correlation Data that is not our current request's.
  bool ours(const mqtt::Publish& p) const;
  void on_certificate(Context& ctx, std::span<const std::uint8_t> payload);
  void on_registered(Context& ctx, std::span<const std::uint8_t> payload);
  void on_rejected(Context& ctx, ProvisioningOp op, std::span<const std::uint8_t> payload);

  const ProvisioningPlan* plan_;
  mqtt::Version version_;
  Step step_ = Step::Idle;
  std::uint16_t subscribe_id_ = 0;
  std::uint32_t index_;
  std::uint32_t requests_ = 0;  // requests sent: the number in our Correlation Data
  TimePoint sent_{};            // the request in flight (Creating, Registering)
  TimePoint started_;
  Parameters parameters_;
  std::string csr_name_;
  std::string correlation_;     // the request in flight's Correlation Data (MQTT 5)
  std::string token_;           // certificateOwnershipToken of the certificate in hand
  std::string thing_;
  struct KeyFree {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
  };
  std::unique_ptr<EVP_PKEY, KeyFree> key_;  // create_from_csr: the key of our CSR
  std::shared_ptr<const auth::ClientIdentity> pending_identity_;  // certificate in hand, not registered
  std::shared_ptr<const auth::ClientIdentity> identity_;          // registered
};

}  // namespace fleetload::device
