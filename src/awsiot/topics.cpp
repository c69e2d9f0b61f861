// Building and parsing the AWS IoT reserved topics (see topics.hpp for the sources).
#include "awsiot/topics.hpp"

#include <array>

#include "awsiot/limits.hpp"

namespace fleetload::awsiot {
namespace {

constexpr std::string_view kThings = "$aws/things/";
constexpr std::string_view kCertificates = "$aws/certificates/";
constexpr std::string_view kTemplates = "$aws/provisioning-templates/";

bool name_char(char c, bool colon) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         (colon && c == ':');
}

const char* check_name(std::string_view s, std::size_t max, bool colon, const char* empty, const char* too_long,
                       const char* bad_char) noexcept {
  if (s.empty()) return empty;
  if (s.size() > max) return too_long;
  for (char c : s)
    if (!name_char(c, colon)) return bad_char;
  return nullptr;
}

// A topic split at '/', at most kMaxLevels levels (more: `overflow`).
struct Levels {
  static constexpr std::size_t kMaxLevels = 10;
  std::array<std::string_view, kMaxLevels> v{};
  std::size_t n = 0;
  bool overflow = false;
};

Levels split(std::string_view t) noexcept {
  Levels l;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = t.find('/', start);
    const std::string_view level = t.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (l.n == Levels::kMaxLevels) {
      l.overflow = true;
      return l;
    }
    l.v[l.n++] = level;
    if (slash == std::string_view::npos) return l;
    start = slash + 1;
  }
}

std::optional<Reply> reply_of(std::string_view s) noexcept {
  if (s == "accepted") return Reply::Accepted;
  if (s == "rejected") return Reply::Rejected;
  return std::nullopt;
}

std::optional<PayloadFormat> format_of(std::string_view s) noexcept {
  if (s == "json") return PayloadFormat::Json;
  if (s == "cbor") return PayloadFormat::Cbor;
  return std::nullopt;
}

AwsTopic fail(std::string_view why) noexcept {
  AwsTopic t;
  t.error = why;
  return t;
}

// levels: $aws things {thing} shadow ...
AwsTopic parse_shadow(const Levels& l) noexcept {
  AwsTopic t;
  std::size_t i = 4;
  ShadowTopic& s = t.shadow;
  s.id.thing = l.v[2];
  if (const char* e = check_thing_name(s.id.thing)) return fail(e);
  if (i < l.n && l.v[i] == "name") {
    if (i + 1 >= l.n) return fail("named shadow topic without a shadow name");
    s.id.name = l.v[i + 1];
    if (const char* e = check_shadow_name(s.id.name)) return fail(e);
    i += 2;
  }
  if (i >= l.n) return fail("shadow topic without an operation (get, update or delete)");
  const std::string_view op = l.v[i];
  if (op == "get") s.op = ShadowOp::Get;
  else if (op == "update") s.op = ShadowOp::Update;
  else if (op == "delete") s.op = ShadowOp::Delete;
  else return fail("unknown shadow operation (expected get, update or delete)");
  ++i;
  if (i < l.n) {
    const std::string_view suffix = l.v[i];
    if (suffix == "accepted") s.suffix = ShadowSuffix::Accepted;
    else if (suffix == "rejected") s.suffix = ShadowSuffix::Rejected;
    else if (s.op == ShadowOp::Update && suffix == "delta") s.suffix = ShadowSuffix::Delta;
    else if (s.op == ShadowOp::Update && suffix == "documents") s.suffix = ShadowSuffix::Documents;
    else return fail("unknown shadow topic suffix (expected accepted, rejected, delta or documents)");
    ++i;
  }
  if (i != l.n) return fail("shadow topic has levels after its suffix");
  t.service = Service::Shadow;
  return t;
}

// levels: $aws things {thing} jobs ...
AwsTopic parse_jobs(const Levels& l) noexcept {
  AwsTopic t;
  JobsTopic& j = t.jobs;
  j.thing = l.v[2];
  if (const char* e = check_thing_name(j.thing)) return fail(e);
  if (l.n < 5) return fail("jobs topic without an operation");
  const std::string_view a = l.v[4];
  const std::string_view b = l.n > 5 ? l.v[5] : std::string_view{};
  std::size_t used = 5;
  if (a == "notify" || a == "notify-next") {
    j.op = a == "notify" ? JobsOp::Notify : JobsOp::NotifyNext;
  } else if (a == "get" || a == "start-next") {
    // jobs/get[/accepted|rejected] and jobs/start-next[/...]; "jobs/get/get" is job "get".
    j.op = a == "get" ? JobsOp::GetPending : JobsOp::StartNext;
    if (l.n > 5) {
      if (auto r = reply_of(b)) {
        j.reply = *r;
        used = 6;
      }
    }
  }
  if (used == 5 && l.n > 5 && (b == "get" || b == "update")) {
    j.op = b == "get" ? JobsOp::Describe : JobsOp::Update;
    j.job_id = a;
    j.reply = Reply::None;
    const bool next = j.op == JobsOp::Describe && a == kNextJobId;
    if (!next) {
      if (const char* e = check_job_id(a)) return fail(e);
    }
    used = 6;
    if (l.n > 6) {
      auto r = reply_of(l.v[6]);
      if (!r) return fail("unknown jobs topic suffix (expected accepted or rejected)");
      j.reply = *r;
      used = 7;
    }
  } else if (used == 5 && a != "notify" && a != "notify-next" && a != "get" && a != "start-next") {
    return fail("unknown jobs operation (expected notify, notify-next, get, start-next, "
                               "{jobId}/get or {jobId}/update)");
  }
  if (used != l.n) return fail("jobs topic has unexpected levels after its operation");
  t.service = Service::Jobs;
  return t;
}

AwsTopic parse_certificates(const Levels& l) noexcept {
  AwsTopic t;
  ProvisioningTopic& p = t.provisioning;
  // $aws certificates {create|create-from-csr} {format} [accepted|rejected]
  if (l.n < 4) return fail("certificates topic without a payload format (json or cbor)");
  if (l.v[2] == "create") p.op = ProvisioningOp::CreateKeysAndCertificate;
  else if (l.v[2] == "create-from-csr") p.op = ProvisioningOp::CreateCertificateFromCsr;
  else return fail("unknown certificates operation (expected create or create-from-csr)");
  auto f = format_of(l.v[3]);
  if (!f) return fail("unknown payload format (expected json or cbor)");
  p.format = *f;
  if (l.n > 4) {
    auto r = reply_of(l.v[4]);
    if (!r) return fail("unknown provisioning topic suffix (expected accepted or rejected)");
    p.reply = *r;
  }
  if (l.n > 5) return fail("provisioning topic has levels after its suffix");
  t.service = Service::Provisioning;
  return t;
}

AwsTopic parse_templates(const Levels& l) noexcept {
  AwsTopic t;
  ProvisioningTopic& p = t.provisioning;
  // $aws provisioning-templates {template} provision {format} [accepted|rejected]
  p.op = ProvisioningOp::RegisterThing;
  p.template_name = l.n > 2 ? l.v[2] : std::string_view{};
  if (const char* e = check_template_name(p.template_name)) return fail(e);
  if (l.n < 5 || l.v[3] != "provision") {
    return fail("provisioning-templates topic must be {template}/provision/{json|cbor}");
  }
  auto f = format_of(l.v[4]);
  if (!f) return fail("unknown payload format (expected json or cbor)");
  p.format = *f;
  if (l.n > 5) {
    auto r = reply_of(l.v[5]);
    if (!r) return fail("unknown provisioning topic suffix (expected accepted or rejected)");
    p.reply = *r;
  }
  if (l.n > 6) return fail("provisioning topic has levels after its suffix");
  t.service = Service::Provisioning;
  return t;
}

void append_reply(std::string& out, Reply r) {
  if (r == Reply::Accepted) out += "/accepted";
  else if (r == Reply::Rejected) out += "/rejected";
}

}  // namespace

const char* to_string(Reply r) noexcept {
  switch (r) {
    case Reply::None: return "";
    case Reply::Accepted: return "accepted";
    case Reply::Rejected: return "rejected";
  }
  return "";
}

const char* check_thing_name(std::string_view name) noexcept {
  return check_name(name, kMaxThingNameBytes, true, "thing name is empty", "thing name is longer than 128 bytes",
                    "thing name has a character outside [a-zA-Z0-9:_-]");
}
const char* check_shadow_name(std::string_view name) noexcept {
  return check_name(name, kMaxShadowNameBytes, true, "shadow name is empty", "shadow name is longer than 64 bytes",
                    "shadow name has a character outside [a-zA-Z0-9:_-]");
}
const char* check_job_id(std::string_view id) noexcept {
  return check_name(id, kMaxJobIdBytes, false, "job id is empty", "job id is longer than 64 bytes",
                    "job id has a character outside [a-zA-Z0-9_-]");
}
const char* check_template_name(std::string_view name) noexcept {
  return check_name(name, kMaxTemplateNameBytes, false, "template name is empty",
                    "template name is longer than 36 bytes", "template name has a character outside [0-9A-Za-z_-]");
}

const char* to_string(ShadowOp op) noexcept {
  switch (op) {
    case ShadowOp::Get: return "get";
    case ShadowOp::Update: return "update";
    case ShadowOp::Delete: return "delete";
  }
  return "?";
}

const char* to_string(ShadowSuffix s) noexcept {
  switch (s) {
    case ShadowSuffix::None: return "";
    case ShadowSuffix::Accepted: return "accepted";
    case ShadowSuffix::Rejected: return "rejected";
    case ShadowSuffix::Delta: return "delta";
    case ShadowSuffix::Documents: return "documents";
  }
  return "?";
}

void append_shadow_topic(std::string& out, ShadowId id, ShadowOp op, ShadowSuffix suffix) {
  out += kThings;
  out += id.thing;
  out += "/shadow";
  if (!id.classic()) {
    out += "/name/";
    out += id.name;
  }
  out += '/';
  out += to_string(op);
  if (suffix != ShadowSuffix::None) {
    out += '/';
    out += to_string(suffix);
  }
}

std::string shadow_topic(ShadowId id, ShadowOp op, ShadowSuffix suffix) {
  std::string s;
  s.reserve(kThings.size() + id.thing.size() + id.name.size() + 32);
  append_shadow_topic(s, id, op, suffix);
  return s;
}

const char* to_string(JobsOp op) noexcept {
  switch (op) {
    case JobsOp::Notify: return "notify";
    case JobsOp::NotifyNext: return "notify-next";
    case JobsOp::GetPending: return "get";
    case JobsOp::StartNext: return "start-next";
    case JobsOp::Describe: return "describe";
    case JobsOp::Update: return "update";
  }
  return "?";
}

void append_jobs_topic(std::string& out, std::string_view thing, JobsOp op, std::string_view job_id, Reply reply) {
  out += kThings;
  out += thing;
  out += "/jobs/";
  switch (op) {
    case JobsOp::Notify: out += "notify"; return;
    case JobsOp::NotifyNext: out += "notify-next"; return;
    case JobsOp::GetPending: out += "get"; break;
    case JobsOp::StartNext: out += "start-next"; break;
    case JobsOp::Describe:
      out += job_id;
      out += "/get";
      break;
    case JobsOp::Update:
      out += job_id;
      out += "/update";
      break;
  }
  append_reply(out, reply);
}

std::string jobs_topic(std::string_view thing, JobsOp op, std::string_view job_id, Reply reply) {
  std::string s;
  s.reserve(kThings.size() + thing.size() + job_id.size() + 32);
  append_jobs_topic(s, thing, op, job_id, reply);
  return s;
}

const char* to_string(PayloadFormat f) noexcept { return f == PayloadFormat::Cbor ? "cbor" : "json"; }

const char* to_string(ProvisioningOp op) noexcept {
  switch (op) {
    case ProvisioningOp::CreateKeysAndCertificate: return "create_keys_and_certificate";
    case ProvisioningOp::CreateCertificateFromCsr: return "create_certificate_from_csr";
    case ProvisioningOp::RegisterThing: return "register_thing";
  }
  return "?";
}

void append_provisioning_topic(std::string& out, ProvisioningOp op, PayloadFormat format,
                               std::string_view template_name, Reply reply) {
  switch (op) {
    case ProvisioningOp::CreateKeysAndCertificate: out += "$aws/certificates/create/"; break;
    case ProvisioningOp::CreateCertificateFromCsr: out += "$aws/certificates/create-from-csr/"; break;
    case ProvisioningOp::RegisterThing:
      out += kTemplates;
      out += template_name;
      out += "/provision/";
      break;
  }
  out += to_string(format);
  append_reply(out, reply);
}

std::string provisioning_topic(ProvisioningOp op, PayloadFormat format, std::string_view template_name, Reply reply) {
  std::string s;
  s.reserve(64 + template_name.size());
  append_provisioning_topic(s, op, format, template_name, reply);
  return s;
}

const char* to_string(Service s) noexcept {
  switch (s) {
    case Service::None: return "none";
    case Service::Shadow: return "shadow";
    case Service::Jobs: return "jobs";
    case Service::Provisioning: return "provisioning";
  }
  return "?";
}

AwsTopic parse_topic(std::string_view topic) noexcept {
  const bool things = topic.starts_with(kThings);
  const bool certificates = topic.starts_with(kCertificates);
  const bool templates = topic.starts_with(kTemplates);
  if (!things && !certificates && !templates) return {};
  const Levels l = split(topic);
  if (things) {
    // $aws/things/{thing}/shadow|jobs/...; other $aws/things/ topics (e.g. tunnels) are not ours.
    if (l.n < 4 || (l.v[3] != "shadow" && l.v[3] != "jobs")) return {};
    if (l.overflow || l.n > kMaxTopicLevels) return fail("topic has more than 8 levels");
    return l.v[3] == "shadow" ? parse_shadow(l) : parse_jobs(l);
  }
  if (l.overflow || l.n > kMaxTopicLevels) return fail("topic has more than 8 levels");
  return certificates ? parse_certificates(l) : parse_templates(l);
}

std::vector<std::string> request_filters(Service service) {
  switch (service) {
    case Service::Shadow:
      return {"$aws/things/+/shadow/get",         "$aws/things/+/shadow/update",
              "$aws/things/+/shadow/delete",      "$aws/things/+/shadow/name/+/get",
              "$aws/things/+/shadow/name/+/update", "$aws/things/+/shadow/name/+/delete"};
    case Service::Jobs:
      return {"$aws/things/+/jobs/get", "$aws/things/+/jobs/start-next", "$aws/things/+/jobs/+/get",
              "$aws/things/+/jobs/+/update"};
    case Service::Provisioning:
      return {"$aws/certificates/create/+", "$aws/certificates/create-from-csr/+",
              "$aws/provisioning-templates/+/provision/+"};
    case Service::None: break;
  }
  return {};
}

}  // namespace fleetload::awsiot
