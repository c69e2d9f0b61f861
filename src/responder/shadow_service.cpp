// The Device Shadow service (see shadow_service.hpp for the sources).
#include "responder/shadow_service.hpp"

#include "awsiot/limits.hpp"
#include "awsiot/shadow.hpp"

namespace fleetload::responder {
namespace {

using awsiot::ShadowSection;
using awsiot::ShadowSuffix;

const char* code_reason(int code) {
  switch (code) {
    case 400: return "400";
    case 404: return "404";
    case 409: return "409";
    case 413: return "413";
    default: return "500";
  }
}

// The request's section as /update/accepted echoes it: the object, or null.
void echo_section(json::object& state, json::object& meta, const char* key, const ShadowSection& s, std::uint64_t now) {
  if (s.kind == ShadowSection::Kind::Null) {
    state[key] = nullptr;
    meta[key] = json::object{{"timestamp", now}};
  } else if (s.kind == ShadowSection::Kind::Object) {
    state[key] = s.value;
    meta[key] = awsiot::update_metadata(s.value, now);
  }
}

void apply_section(json::object& stored, json::object& meta, bool& present, const ShadowSection& s, std::uint64_t now) {
  if (s.kind == ShadowSection::Kind::Null) {
    // "If an update causes the desired or reported properties to become null, it is removed."
    stored.clear();
    meta.clear();
    present = false;
  } else if (s.kind == ShadowSection::Kind::Object) {
    awsiot::merge_state(stored, meta, s.value, now);
    present = true;
  }
}

awsiot::ShadowSnapshot snapshot(const ShadowService::Document& d) {
  awsiot::ShadowSnapshot s;
  if (d.has_desired) {
    s.state.desired = d.desired;
    s.metadata.desired = d.desired_meta;
  }
  if (d.has_reported) {
    s.state.reported = d.reported;
    s.metadata.reported = d.reported_meta;
  }
  s.version = d.version;
  return s;
}

}  // namespace

const std::string& ShadowService::key_of(awsiot::ShadowId id) {
  key_.assign(id.thing);
  if (!id.classic()) {
    key_ += '/';
    key_ += id.name;
  }
  return key_;
}

const ShadowService::Document* ShadowService::find(awsiot::ShadowId id) const {
  std::string key(id.thing);
  if (!id.classic()) key += '/' + std::string(id.name);
  auto it = docs_.find(key);
  return it == docs_.end() || !it->second.exists ? nullptr : &it->second;
}

void ShadowService::send(const awsiot::ShadowTopic& t, ShadowSuffix suffix, const std::string& payload) {
  topic_.clear();
  awsiot::append_shadow_topic(topic_, t.id, t.op, suffix);
  out_.publish(topic_, payload);
}

Outcome ShadowService::reject(const awsiot::ShadowTopic& t, int code, std::string message,
                              const std::optional<std::string>& token, std::uint64_t now) {
  send(t, ShadowSuffix::Rejected, awsiot::to_json(awsiot::ShadowError{code, std::move(message), now, token}));
  return Outcome::rejected(code_reason(code));
}

Outcome ShadowService::handle(const awsiot::ShadowTopic& t, std::string_view payload, std::uint64_t now) {
  switch (t.op) {
    case awsiot::ShadowOp::Get: return get(t, payload, now);
    case awsiot::ShadowOp::Update: return update(t, payload, now);
    case awsiot::ShadowOp::Delete: return remove(t, payload, now);
  }
  return Outcome::rejected("400");
}

Outcome ShadowService::get(const awsiot::ShadowTopic& t, std::string_view payload, std::uint64_t now) {
  auto req = awsiot::parse_shadow_plain(payload);
  if (!req) return reject(t, req.error.code, std::move(req.error.message), req.error.client_token, now);
  auto it = docs_.find(key_of(t.id));
  if (it == docs_.end() || !it->second.exists) {
    return reject(t, 404, awsiot::no_shadow_message(t.id.classic() ? t.id.thing : t.id.name), req->client_token, now);
  }
  const Document& d = it->second;
  // "This retrieves a complete shadow document, including any delta between the desired and
  // reported states."
  awsiot::ShadowAccepted a;
  const awsiot::ShadowSnapshot s = snapshot(d);
  a.state = s.state;
  a.metadata = s.metadata;
  if (d.has_desired) {
    json::object delta = awsiot::compute_delta(d.desired, d.has_reported ? &d.reported : nullptr);
    if (!delta.empty()) a.state.delta = std::move(delta);
  }
  a.version = d.version;
  a.timestamp = now;
  a.client_token = req->client_token;
  send(t, ShadowSuffix::Accepted, awsiot::to_json(a));
  return Outcome::ok();
}

Outcome ShadowService::update(const awsiot::ShadowTopic& t, std::string_view payload, std::uint64_t now) {
  auto req = awsiot::parse_shadow_update(payload);
  if (!req) return reject(t, req.error.code, std::move(req.error.message), req.error.client_token, now);
  Document& d = docs_[key_of(t.id)];
  // Optimistic locking: "the service rejects the request with an HTTP 409 conflict response
  // code if the current version of the state document does not match the version supplied".
  if (req->version && *req->version != d.version) {
    return reject(t, 409, std::string(awsiot::shadow_errors::kVersionConflict), req->client_token, now);
  }
  Document next = d;
  if (!d.exists) {
    next.desired.clear();
    next.reported.clear();
    next.desired_meta.clear();
    next.reported_meta.clear();
    next.has_desired = next.has_reported = false;
  }
  if (req->state_null) {
    // "Setting the device's shadow state to null does not delete the shadow."
    apply_section(next.desired, next.desired_meta, next.has_desired, ShadowSection{ShadowSection::Kind::Null, {}}, now);
    apply_section(next.reported, next.reported_meta, next.has_reported, ShadowSection{ShadowSection::Kind::Null, {}}, now);
  } else {
    apply_section(next.desired, next.desired_meta, next.has_desired, req->desired, now);
    apply_section(next.reported, next.reported_meta, next.has_reported, req->reported, now);
  }
  if (awsiot::state_size(next.has_desired ? &next.desired : nullptr, next.has_reported ? &next.reported : nullptr) >
      awsiot::kMaxShadowDocumentBytes) {
    return reject(t, 413, std::string(awsiot::shadow_errors::kTooLarge), req->client_token, now);
  }
  std::optional<awsiot::ShadowSnapshot> previous;
  if (d.exists) previous = snapshot(d);
  if (!d.exists) ++live_;
  next.exists = true;
  next.version = d.version + 1;
  d = std::move(next);

  // /update/accepted: only the fields of the request, with their metadata.
  json::object state, meta;
  if (req->state_null) {
    state["desired"] = nullptr;
    state["reported"] = nullptr;
  } else {
    echo_section(state, meta, "desired", req->desired, now);
    echo_section(state, meta, "reported", req->reported, now);
  }
  json::object acc{{"state", std::move(state)}, {"metadata", std::move(meta)}, {"version", d.version},
                   {"timestamp", now}};
  if (req->client_token) acc["clientToken"] = *req->client_token;
  send(t, ShadowSuffix::Accepted, json::serialize(acc));

  // /update/documents "whenever an update to the shadow is successfully performed".
  awsiot::ShadowDocuments docs;
  docs.previous = std::move(previous);
  docs.current = snapshot(d);
  docs.timestamp = now;
  docs.client_token = req->client_token;
  send(t, ShadowSuffix::Documents, awsiot::to_json(docs));

  // /update/delta when the accepted document's desired state differs from reported.
  if (d.has_desired) {
    json::object delta = awsiot::compute_delta(d.desired, d.has_reported ? &d.reported : nullptr);
    if (!delta.empty()) {
      awsiot::ShadowDelta msg;
      msg.metadata = awsiot::delta_metadata(delta, d.desired_meta);
      msg.state = std::move(delta);
      msg.version = d.version;
      msg.timestamp = now;
      msg.client_token = req->client_token;
      send(t, ShadowSuffix::Delta, awsiot::to_json(msg));
    }
  }
  return Outcome::ok();
}

Outcome ShadowService::remove(const awsiot::ShadowTopic& t, std::string_view payload, std::uint64_t now) {
  auto req = awsiot::parse_shadow_plain(payload);
  if (!req) return reject(t, req.error.code, std::move(req.error.message), req.error.client_token, now);
  auto it = docs_.find(key_of(t.id));
  if (it == docs_.end() || !it->second.exists) {
    return reject(t, 404, awsiot::no_shadow_message(t.id.classic() ? t.id.thing : t.id.name), req->client_token, now);
  }
  Document& d = it->second;
  d.exists = false;
  d.desired.clear();
  d.reported.clear();
  d.desired_meta.clear();
  d.reported_meta.clear();
  d.has_desired = d.has_reported = false;
  --live_;
  send(t, ShadowSuffix::Accepted, awsiot::to_json(awsiot::ShadowDeleteAccepted{d.version, now, req->client_token}));
  return Outcome::ok();
}

}  // namespace fleetload::responder
