// Device Shadow payloads and document rules (see shadow.hpp for the sources).
#include "awsiot/shadow.hpp"

#include "awsiot/json_fields.hpp"
#include "awsiot/limits.hpp"

namespace fleetload::awsiot {
namespace {

using detail::get_string;
using detail::get_u64;
using detail::parse_json;

ShadowError bad(std::string_view message, const std::optional<std::string>& token = std::nullopt) {
  return ShadowError{400, std::string(message), std::nullopt, token};
}

// Depth of containers below `v` (a scalar is 0, {"a":1} is 1); false when an array holds a
// null ("Arrays can't have null values").
bool check_value(const json::value& v, std::size_t depth, std::size_t& deepest) {
  if (depth > deepest) deepest = depth;
  if (v.is_object()) {
    for (const auto& kv : v.get_object())
      if (!check_value(kv.value(), depth + 1, deepest)) return false;
  } else if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (e.is_null()) return false;
      if (!check_value(e, depth + 1, deepest)) return false;
    }
  }
  return true;
}

// Reads clientToken of a request; false (with the 400) when it is not a string or too long.
bool read_token(const json::object& o, std::optional<std::string>& token, ShadowError& err) {
  auto t = get_string(o, "clientToken");
  if (!t.ok || (t.value && t.value->size() > kMaxClientTokenBytes)) {
    err = bad(shadow_errors::kInvalidClientToken);
    return false;
  }
  token = std::move(t.value);
  return true;
}

bool read_section(const json::object& state, std::string_view key, std::string_view not_object, ShadowSection& out,
                  ShadowError& err, const std::optional<std::string>& token) {
  const json::value* v = state.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return true;
  if (v->is_null()) {
    out.kind = ShadowSection::Kind::Null;
    return true;
  }
  if (!v->is_object()) {
    err = bad(not_object, token);
    return false;
  }
  std::size_t deepest = 0;
  if (!check_value(*v, 0, deepest)) {
    err = bad(shadow_errors::kInvalidJson, token);
    return false;
  }
  if (deepest > kMaxShadowDepth) {
    err = bad(shadow_errors::kTooDeep, token);
    return false;
  }
  out.kind = ShadowSection::Kind::Object;
  out.value = v->get_object();
  return true;
}

void put_token(json::object& o, const std::optional<std::string>& token) {
  if (token) o["clientToken"] = *token;
}

json::object state_object(const ShadowState& s) {
  json::object o;
  if (s.desired) o["desired"] = *s.desired;
  if (s.reported) o["reported"] = *s.reported;
  if (s.delta) o["delta"] = *s.delta;
  return o;
}

json::object metadata_object(const ShadowMetadata& m) {
  json::object o;
  if (m.desired) o["desired"] = *m.desired;
  if (m.reported) o["reported"] = *m.reported;
  return o;
}

json::object snapshot_object(const ShadowSnapshot& s) {
  json::object o;
  o["state"] = state_object(s.state);
  o["metadata"] = metadata_object(s.metadata);
  o["version"] = s.version;
  return o;
}

std::optional<json::object> object_field(const json::object& o, std::string_view key, bool& ok) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) {
    ok = false;
    return std::nullopt;
  }
  return v->get_object();
}

bool read_state(const json::object& o, ShadowState& s, bool& ok) {
  bool fine = true;
  auto st = object_field(o, "state", fine);
  if (!fine) return ok = false;
  if (st) {
    s.desired = object_field(*st, "desired", fine);
    s.reported = object_field(*st, "reported", fine);
    s.delta = object_field(*st, "delta", fine);
  }
  if (!fine) ok = false;
  return ok;
}

bool read_metadata(const json::object& o, ShadowMetadata& m, bool& ok) {
  bool fine = true;
  auto md = object_field(o, "metadata", fine);
  if (md) {
    m.desired = object_field(*md, "desired", fine);
    m.reported = object_field(*md, "reported", fine);
  }
  if (!fine) ok = false;
  return ok;
}

// The root object of a response, or the reason it is not one.
std::optional<json::object> root_object(std::string_view payload, std::string& why) {
  auto v = parse_json(payload);
  if (!v) {
    why = "not valid JSON";
    return std::nullopt;
  }
  if (!v->is_object()) {
    why = "not a JSON object";
    return std::nullopt;
  }
  return std::move(v->get_object());
}

template <class T>
Result<T> need_u64(const json::object& o, std::string_view key, std::uint64_t& out) {
  auto f = get_u64(o, key);
  if (!f.ok || !f.value) return Result<T>::fail(std::string(key) + " is missing or not a whole number");
  out = *f.value;
  return Result<T>{};
}

json::object meta_leaf(std::uint64_t now) { return json::object{{"timestamp", now}}; }

}  // namespace

std::string no_shadow_message(std::string_view name) {
  return "No shadow exists with name: '" + std::string(name) + "'";
}

Result<ShadowUpdateRequest, ShadowError> parse_shadow_update(std::string_view payload) {
  using R = Result<ShadowUpdateRequest, ShadowError>;
  if (payload.size() > kMaxPayloadBytes) return R::fail(ShadowError{413, std::string(shadow_errors::kTooLarge), std::nullopt, std::nullopt});
  auto v = parse_json(payload);
  if (!v || !v->is_object()) return R::fail(bad(shadow_errors::kInvalidJson));
  const json::object& o = v->get_object();
  ShadowUpdateRequest r;
  ShadowError err;
  if (!read_token(o, r.client_token, err)) return R::fail(std::move(err));
  auto ver = get_u64(o, "version");
  if (!ver.ok) return R::fail(bad(shadow_errors::kInvalidVersion, r.client_token));
  r.version = ver.value;
  const json::value* state = o.if_contains("state");
  if (state == nullptr) return R::fail(bad(shadow_errors::kMissingState, r.client_token));
  if (state->is_null()) {
    r.state_null = true;
    return R::ok(std::move(r));
  }
  if (!state->is_object()) return R::fail(bad(shadow_errors::kStateNotObject, r.client_token));
  const json::object& st = state->get_object();
  for (const auto& kv : st) {
    // Only desired and reported are written by a request (delta is computed, never set).
    if (kv.key() != "desired" && kv.key() != "reported") {
      return R::fail(bad(shadow_errors::kInvalidNode, r.client_token));
    }
  }
  if (!read_section(st, "desired", shadow_errors::kDesiredNotObject, r.desired, err, r.client_token) ||
      !read_section(st, "reported", shadow_errors::kReportedNotObject, r.reported, err, r.client_token)) {
    return R::fail(std::move(err));
  }
  return R::ok(std::move(r));
}

Result<ShadowPlainRequest, ShadowError> parse_shadow_plain(std::string_view payload) {
  using R = Result<ShadowPlainRequest, ShadowError>;
  ShadowPlainRequest r;
  // "Publish an empty message to this topic": an empty payload is the usual request.
  if (payload.empty()) return R::ok(r);
  auto v = parse_json(payload);
  if (!v || !v->is_object()) return R::fail(bad(shadow_errors::kInvalidJson));
  ShadowError err;
  if (!read_token(v->get_object(), r.client_token, err)) return R::fail(std::move(err));
  return R::ok(std::move(r));
}

Result<ShadowAccepted> parse_shadow_accepted(std::string_view payload) {
  std::string why;
  auto o = root_object(payload, why);
  if (!o) return Result<ShadowAccepted>::fail(why);
  ShadowAccepted r;
  bool ok = true;
  read_state(*o, r.state, ok);
  read_metadata(*o, r.metadata, ok);
  if (!ok) return Result<ShadowAccepted>::fail("state or metadata is not an object");
  if (auto e = need_u64<ShadowAccepted>(*o, "version", r.version); !e.error.empty()) return e;
  if (auto e = need_u64<ShadowAccepted>(*o, "timestamp", r.timestamp); !e.error.empty()) return e;
  auto t = get_string(*o, "clientToken");
  if (!t.ok) return Result<ShadowAccepted>::fail("clientToken is not a string");
  r.client_token = std::move(t.value);
  return Result<ShadowAccepted>::ok(std::move(r));
}

Result<ShadowDelta> parse_shadow_delta(std::string_view payload) {
  using R = Result<ShadowDelta>;
  std::string why;
  auto o = root_object(payload, why);
  if (!o) return R::fail(why);
  ShadowDelta r;
  bool ok = true;
  auto st = object_field(*o, "state", ok);
  auto md = object_field(*o, "metadata", ok);
  if (!ok || !st) return R::fail("state is missing or not an object");
  r.state = std::move(*st);
  if (md) r.metadata = std::move(*md);
  if (auto e = need_u64<ShadowDelta>(*o, "version", r.version); !e.error.empty()) return e;
  if (auto e = need_u64<ShadowDelta>(*o, "timestamp", r.timestamp); !e.error.empty()) return e;
  auto t = get_string(*o, "clientToken");
  if (!t.ok) return R::fail("clientToken is not a string");
  r.client_token = std::move(t.value);
  return R::ok(std::move(r));
}

Result<ShadowDocuments> parse_shadow_documents(std::string_view payload) {
  using R = Result<ShadowDocuments>;
  std::string why;
  auto o = root_object(payload, why);
  if (!o) return R::fail(why);
  ShadowDocuments r;
  auto read_snapshot = [](const json::object& s, ShadowSnapshot& out) {
    bool ok = true;
    read_state(s, out.state, ok);
    read_metadata(s, out.metadata, ok);
    auto v = get_u64(s, "version");
    if (!v.ok || !v.value) return false;
    out.version = *v.value;
    return ok;
  };
  bool ok = true;
  auto prev = object_field(*o, "previous", ok);
  auto cur = object_field(*o, "current", ok);
  if (!ok || !cur) return R::fail("current is missing or not an object");
  if (!read_snapshot(*cur, r.current)) return R::fail("current is not a shadow snapshot");
  if (prev) {
    r.previous.emplace();
    if (!read_snapshot(*prev, *r.previous)) return R::fail("previous is not a shadow snapshot");
  }
  if (auto e = need_u64<ShadowDocuments>(*o, "timestamp", r.timestamp); !e.error.empty()) return e;
  auto t = get_string(*o, "clientToken");
  if (!t.ok) return R::fail("clientToken is not a string");
  r.client_token = std::move(t.value);
  return R::ok(std::move(r));
}

Result<ShadowDeleteAccepted> parse_shadow_delete_accepted(std::string_view payload) {
  using R = Result<ShadowDeleteAccepted>;
  std::string why;
  auto o = root_object(payload, why);
  if (!o) return R::fail(why);
  ShadowDeleteAccepted r;
  if (auto e = need_u64<ShadowDeleteAccepted>(*o, "version", r.version); !e.error.empty()) return e;
  if (auto e = need_u64<ShadowDeleteAccepted>(*o, "timestamp", r.timestamp); !e.error.empty()) return e;
  auto t = get_string(*o, "clientToken");
  if (!t.ok) return R::fail("clientToken is not a string");
  r.client_token = std::move(t.value);
  return R::ok(std::move(r));
}

Result<ShadowError> parse_shadow_error(std::string_view payload) {
  using R = Result<ShadowError>;
  std::string why;
  auto o = root_object(payload, why);
  if (!o) return R::fail(why);
  ShadowError r;
  auto code = get_u64(*o, "code");
  if (!code.ok || !code.value || *code.value < 100 || *code.value > 599) return R::fail("code is not an HTTP status");
  r.code = static_cast<int>(*code.value);
  auto msg = get_string(*o, "message");
  if (!msg.ok || !msg.value) return R::fail("message is missing or not a string");
  r.message = std::move(*msg.value);
  auto ts = get_u64(*o, "timestamp");
  if (!ts.ok) return R::fail("timestamp is not a whole number");
  r.timestamp = ts.value;
  auto t = get_string(*o, "clientToken");
  if (!t.ok) return R::fail("clientToken is not a string");
  r.client_token = std::move(t.value);
  return R::ok(std::move(r));
}

std::string to_json(const ShadowUpdateRequest& r) {
  json::object o;
  if (r.state_null) {
    o["state"] = nullptr;
  } else {
    json::object st;
    auto put = [&st](const char* key, const ShadowSection& s) {
      if (s.kind == ShadowSection::Kind::Null) st[key] = nullptr;
      else if (s.kind == ShadowSection::Kind::Object) st[key] = s.value;
    };
    put("desired", r.desired);
    put("reported", r.reported);
    o["state"] = std::move(st);
  }
  put_token(o, r.client_token);
  if (r.version) o["version"] = *r.version;
  return json::serialize(o);
}

std::string to_json(const ShadowPlainRequest& r) {
  if (!r.client_token) return {};
  json::object o;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const ShadowAccepted& r) {
  json::object o;
  o["state"] = state_object(r.state);
  o["metadata"] = metadata_object(r.metadata);
  o["version"] = r.version;
  o["timestamp"] = r.timestamp;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const ShadowDelta& r) {
  json::object o;
  o["version"] = r.version;
  o["timestamp"] = r.timestamp;
  o["state"] = r.state;
  o["metadata"] = r.metadata;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const ShadowDocuments& r) {
  json::object o;
  if (r.previous) o["previous"] = snapshot_object(*r.previous);
  o["current"] = snapshot_object(r.current);
  o["timestamp"] = r.timestamp;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const ShadowDeleteAccepted& r) {
  json::object o;
  o["version"] = r.version;
  o["timestamp"] = r.timestamp;
  put_token(o, r.client_token);
  return json::serialize(o);
}

std::string to_json(const ShadowError& r) {
  json::object o;
  o["code"] = r.code;
  o["message"] = r.message;
  if (r.timestamp) o["timestamp"] = *r.timestamp;
  put_token(o, r.client_token);
  return json::serialize(o);
}

void merge_state(json::object& stored, json::object& meta, const json::object& update, std::uint64_t now) {
  for (const auto& kv : update) {
    const json::value& v = kv.value();
    if (v.is_null()) {
      stored.erase(kv.key());
      meta.erase(kv.key());
      continue;
    }
    if (v.is_object()) {
      json::value& slot = stored[kv.key()];
      json::value& mslot = meta[kv.key()];
      if (!slot.is_object()) slot = json::object{};
      // A leaf's metadata is {"timestamp": t}; an object's mirrors its keys.
      if (!mslot.is_object() || mslot.get_object().contains("timestamp")) mslot = json::object{};
      const bool had_keys = !slot.get_object().empty() || !v.get_object().empty();
      merge_state(slot.get_object(), mslot.get_object(), v.get_object(), now);
      if (had_keys && slot.get_object().empty()) {
        stored.erase(kv.key());
        meta.erase(kv.key());
      }
      continue;
    }
    stored[kv.key()] = v;
    meta[kv.key()] = meta_leaf(now);
  }
}

json::object update_metadata(const json::object& update, std::uint64_t now) {
  json::object m;
  for (const auto& kv : update) {
    if (kv.value().is_object()) m[kv.key()] = update_metadata(kv.value().get_object(), now);
    else m[kv.key()] = meta_leaf(now);
  }
  return m;
}

json::object compute_delta(const json::object& desired, const json::object* reported) {
  json::object d;
  for (const auto& kv : desired) {
    const json::value* r = reported != nullptr ? reported->if_contains(kv.key()) : nullptr;
    if (r == nullptr) {
      d[kv.key()] = kv.value();
    } else if (kv.value().is_object() && r->is_object()) {
      json::object sub = compute_delta(kv.value().get_object(), &r->get_object());
      if (!sub.empty()) d[kv.key()] = std::move(sub);
    } else if (kv.value() != *r) {
      d[kv.key()] = kv.value();
    }
  }
  return d;
}

json::object delta_metadata(const json::object& delta, const json::object& desired_meta) {
  json::object m;
  for (const auto& kv : delta) {
    const json::value* dm = desired_meta.if_contains(kv.key());
    if (dm == nullptr) continue;
    if (kv.value().is_object() && dm->is_object() && !dm->get_object().contains("timestamp")) {
      m[kv.key()] = delta_metadata(kv.value().get_object(), dm->get_object());
    } else {
      m[kv.key()] = *dm;
    }
  }
  return m;
}

std::size_t state_size(const json::object* desired, const json::object* reported) {
  json::object o;
  if (desired) o["desired"] = *desired;
  if (reported) o["reported"] = *reported;
  return json::serialize(o).size();
}

}  // namespace fleetload::awsiot
