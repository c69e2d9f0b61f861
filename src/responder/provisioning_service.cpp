// Fleet Provisioning by claim (see provisioning_service.hpp for the sources).
#include "responder/provisioning_service.hpp"

#include <openssl/rand.h>

#include <array>

#include "awsiot/limits.hpp"

namespace fleetload::responder {

Placeholders template_placeholders(std::string_view text) {
  Placeholders p;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '}') {
      p.error = "\"}\" without \"{\" in \"" + std::string(text) + "\"";
      return p;
    }
    if (c != '{') {
      ++i;
      continue;
    }
    const std::size_t end = text.find('}', i);
    if (end == std::string_view::npos) {
      p.error = "\"{\" without \"}\" in \"" + std::string(text) + "\"";
      return p;
    }
    const std::string_view name = text.substr(i + 1, end - i - 1);
    if (name.empty() || name.find('{') != std::string_view::npos) {
      p.error = "empty or nested placeholder in \"" + std::string(text) + "\"";
      return p;
    }
    p.names.emplace_back(name);
    i = end + 1;
  }
  return p;
}

namespace {

// Fills {Name} from `params`; nullopt (with the missing name) when one is absent.
std::optional<std::string> render(std::string_view text, const awsiot::StringMap& params, std::string& missing) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '{') {
      out += text[i++];
      continue;
    }
    const std::size_t end = text.find('}', i);
    const std::string_view name = text.substr(i + 1, end - i - 1);
    const std::string* value = nullptr;
    for (const auto& [k, v] : params)
      if (k == name) value = &v;
    if (value == nullptr) {
      missing = std::string(name);
      return std::nullopt;
    }
    out += *value;
    i = end + 1;
  }
  return out;
}

}  // namespace

ProvisioningService::ProvisioningService(Publisher& out, std::shared_ptr<CertIssuer> issuer,
                                         std::vector<ProvisioningTemplate> templates)
    : out_(out), issuer_(std::move(issuer)) {
  for (auto& t : templates) templates_.emplace(t.name, std::move(t));
}

void ProvisioningService::send(const awsiot::ProvisioningTopic& t, const std::vector<std::uint8_t>& payload) {
  topic_.clear();
  awsiot::append_provisioning_topic(topic_, t.op, t.format, t.template_name,
                                    t.reply == awsiot::Reply::None ? awsiot::Reply::Accepted : t.reply);
  out_.publish(topic_, std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
}

Outcome ProvisioningService::reject(const awsiot::ProvisioningTopic& t, int status, const char* code,
                                    std::string message) {
  awsiot::ProvisioningTopic r = t;
  r.reply = awsiot::Reply::Rejected;
  send(r, awsiot::encode(awsiot::ProvisioningError{status, code, std::move(message)}, t.format));
  return Outcome::rejected(code);
}

namespace {
// `bytes` random bytes in lowercase hex.
std::string random_hex(std::size_t bytes) {
  std::array<unsigned char, 32> raw{};
  if (bytes > raw.size() || RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1) throw auth::CertError("RAND_bytes");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += kHex[raw[i] >> 4];
    out += kHex[raw[i] & 15];
  }
  return out;
}
}  // namespace

std::string ProvisioningService::new_token(const std::string& certificate_id, std::uint64_t now) {
  std::string token = random_hex(32);
  // "the certificateOwnershipToken ... expires after one hour".
  tokens_[token] = Token{certificate_id, now + static_cast<std::uint64_t>(
                                                 std::chrono::seconds(awsiot::kOwnershipTokenLifetime).count())};
  return token;
}

Outcome ProvisioningService::handle(const awsiot::ProvisioningTopic& t, std::span<const std::uint8_t> payload,
                                    std::uint64_t now) {
  using awsiot::ProvisioningOp;
  if (!issuer_ && t.op != ProvisioningOp::RegisterThing) {
    return reject(t, 500, "InternalFailure", "the responder has no CA configured (provisioning.ca_cert / ca_key)");
  }
  try {
    switch (t.op) {
      case ProvisioningOp::CreateKeysAndCertificate: {
        auto req = awsiot::parse_create_keys_request(payload, t.format);
        if (!req) return reject(t, req.error.status_code, "InvalidPayload", req.error.error_message);
        // A subject of its own per certificate (AWS IoT's all read "AWS IoT Certificate"), so a
        // broker taking the identity as the user name tells the devices apart.
        IssuedCertificate c = issuer_->issue_with_key("fleetload-device-" + random_hex(8));
        ++issued_;
        awsiot::CreateKeysAndCertificateResponse r{c.certificate_id, std::move(c.certificate_pem),
                                                   std::move(c.private_key_pem), new_token(c.certificate_id, now)};
        send(t, awsiot::encode(r, t.format));
        return Outcome::ok();
      }
      case ProvisioningOp::CreateCertificateFromCsr: {
        auto req = awsiot::parse_create_from_csr_request(payload, t.format);
        if (!req) return reject(t, req.error.status_code, "InvalidPayload", req.error.error_message);
        IssuedCertificate c;
        try {
          c = issuer_->issue_for_csr(req->certificate_signing_request);
        } catch (const auth::CertError& e) {
          return reject(t, 400, "InvalidCsr", e.what());
        }
        ++issued_;
        awsiot::CreateCertificateFromCsrResponse r{new_token(c.certificate_id, now), c.certificate_id,
                                                   std::move(c.certificate_pem)};
        send(t, awsiot::encode(r, t.format));
        return Outcome::ok();
      }
      case ProvisioningOp::RegisterThing: {
        auto tpl = templates_.find(t.template_name);
        if (tpl == templates_.end()) {
          return reject(t, 404, "ResourceNotFound", "no provisioning template named " + std::string(t.template_name));
        }
        auto req = awsiot::parse_register_thing_request(payload, t.format);
        if (!req) return reject(t, req.error.status_code, "InvalidPayload", req.error.error_message);
        auto tok = tokens_.find(req->certificate_ownership_token);
        if (tok == tokens_.end() || tok->second.expires_at < now) {
          if (tok != tokens_.end()) tokens_.erase(tok);
          return reject(t, 400, "InvalidCertificateOwnershipToken",
                        "the certificateOwnershipToken is unknown, used or expired");
        }
        std::string missing;
        auto name = render(tpl->second.thing_name, req->parameters, missing);
        if (!name) return reject(t, 400, "InvalidParameters", "missing template parameter " + missing);
        if (const char* why = awsiot::check_thing_name(*name)) {
          return reject(t, 400, "InvalidParameters", std::string("the rendered thing name is invalid: ") + why);
        }
        awsiot::RegisterThingResponse r;
        for (const auto& [k, v] : tpl->second.device_configuration) {
          auto value = render(v, req->parameters, missing);
          if (!value) return reject(t, 400, "InvalidParameters", "missing template parameter " + missing);
          r.device_configuration.emplace_back(k, std::move(*value));
        }
        r.thing_name = *name;
        things_[*name] = tok->second.certificate_id;
        tokens_.erase(tok);  // one registration per certificate
        last_registered_ = *name;
        send(t, awsiot::encode(r, t.format));
        return Outcome::ok();
      }
    }
  } catch (const auth::CertError& e) {
    return reject(t, 500, "InternalFailure", e.what());
  }
  return reject(t, 400, "InvalidPayload", "unknown operation");
}

}  // namespace fleetload::responder
