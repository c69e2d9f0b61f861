// Fleet Provisioning by claim as AWS IoT documents it, over any broker: CreateKeysAndCertificate
// issues a real key and certificate signed by the responder's CA, CreateCertificateFromCsr signs
// the device's CSR, both with a certificateOwnershipToken (valid one hour, used once);
// RegisterThing checks the token against a configured template, registers the thing under
// the template's name pattern and returns its deviceConfiguration. JSON and CBOR.
//
// Source: AWS IoT developer guide, "Device provisioning MQTT API" (fleet-provision-api.html),
// "Provisioning templates" (provision-template.html).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "awsiot/provisioning.hpp"
#include "awsiot/topics.hpp"
#include "responder/cert_issuer.hpp"
#include "responder/publisher.hpp"

namespace fleetload::responder {

struct ProvisioningTemplate {
  std::string name;
  // The thing name with {Parameter} placeholders filled from RegisterThing's parameters,
  // e.g. "{SerialNumber}" or "car-{SerialNumber}" (the template's ThingName {"Ref": ...}).
  std::string thing_name = "{SerialNumber}";
  awsiot::StringMap device_configuration;  // values may use {Parameter} placeholders too
};

// "{A}-{B}" -> the names A, B; nullopt with a reason when a brace is unbalanced or a name empty.
struct Placeholders {
  std::vector<std::string> names;
  std::string error;
};
Placeholders template_placeholders(std::string_view text);

class ProvisioningService {
 public:
  // `issuer` may be null: the service then refuses every request with 500 (no CA configured).
  ProvisioningService(Publisher& out, std::shared_ptr<CertIssuer> issuer, std::vector<ProvisioningTemplate> templates);

  // A request on a provisioning request topic (`t.reply` None). `now`: epoch seconds.
  Outcome handle(const awsiot::ProvisioningTopic& t, std::span<const std::uint8_t> payload, std::uint64_t now);

  std::size_t certificates_issued() const noexcept { return issued_; }
  // Things registered so far, with the certificate each was registered with.
  const std::unordered_map<std::string, std::string>& things() const noexcept { return things_; }
  // Set by the last successful RegisterThing (the dispatcher marks the thing as seen).
  const std::string& last_registered() const noexcept { return last_registered_; }

 private:
  struct Token {
    std::string certificate_id;
    std::uint64_t expires_at = 0;  // epoch seconds
  };
  Outcome reject(const awsiot::ProvisioningTopic& t, int status, const char* code, std::string message);
  void send(const awsiot::ProvisioningTopic& t, const std::vector<std::uint8_t>& payload);
  std::string new_token(const std::string& certificate_id, std::uint64_t now);

  Publisher& out_;
  std::shared_ptr<CertIssuer> issuer_;
  std::map<std::string, ProvisioningTemplate, std::less<>> templates_;
  std::unordered_map<std::string, Token> tokens_;
  std::unordered_map<std::string, std::string> things_;  // thing name -> certificate id
  std::size_t issued_ = 0;
  std::string last_registered_;
  std::string topic_;
};

}  // namespace fleetload::responder
