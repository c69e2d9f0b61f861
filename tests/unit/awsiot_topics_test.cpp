// awsiot topics: every reserved topic the AWS IoT developer guide lists for the Shadow, Jobs
// and Fleet Provisioning services, built and parsed both ways, and malformed topics refused
// with a reason. Expected strings are copied from the guide ("Device Shadow MQTT topics",
// "Reserved topics", "Jobs device MQTT API", "Device provisioning MQTT API") with its
// placeholders thingName / shadowName / jobId / templateName filled in.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "awsiot/limits.hpp"
#include "awsiot/topics.hpp"

namespace fleetload::awsiot {
namespace {

struct ShadowCase {
  const char* topic;
  ShadowId id;
  ShadowOp op;
  ShadowSuffix suffix;
};

// The guide's table: ShadowTopicPrefix + /get, /get/accepted, ... for both shadow types.
const std::vector<ShadowCase>& shadow_cases() {
  static const std::vector<ShadowCase> cases = {
      {"$aws/things/thingName/shadow/get", {"thingName", ""}, ShadowOp::Get, ShadowSuffix::None},
      {"$aws/things/thingName/shadow/get/accepted", {"thingName", ""}, ShadowOp::Get, ShadowSuffix::Accepted},
      {"$aws/things/thingName/shadow/get/rejected", {"thingName", ""}, ShadowOp::Get, ShadowSuffix::Rejected},
      {"$aws/things/thingName/shadow/update", {"thingName", ""}, ShadowOp::Update, ShadowSuffix::None},
      {"$aws/things/thingName/shadow/update/delta", {"thingName", ""}, ShadowOp::Update, ShadowSuffix::Delta},
      {"$aws/things/thingName/shadow/update/accepted", {"thingName", ""}, ShadowOp::Update, ShadowSuffix::Accepted},
      {"$aws/things/thingName/shadow/update/documents", {"thingName", ""}, ShadowOp::Update, ShadowSuffix::Documents},
      {"$aws/things/thingName/shadow/update/rejected", {"thingName", ""}, ShadowOp::Update, ShadowSuffix::Rejected},
      {"$aws/things/thingName/shadow/delete", {"thingName", ""}, ShadowOp::Delete, ShadowSuffix::None},
      {"$aws/things/thingName/shadow/delete/accepted", {"thingName", ""}, ShadowOp::Delete, ShadowSuffix::Accepted},
      {"$aws/things/thingName/shadow/delete/rejected", {"thingName", ""}, ShadowOp::Delete, ShadowSuffix::Rejected},
      {"$aws/things/thingName/shadow/name/shadowName/get", {"thingName", "shadowName"}, ShadowOp::Get, ShadowSuffix::None},
      {"$aws/things/thingName/shadow/name/shadowName/get/accepted", {"thingName", "shadowName"}, ShadowOp::Get,
       ShadowSuffix::Accepted},
      {"$aws/things/thingName/shadow/name/shadowName/update", {"thingName", "shadowName"}, ShadowOp::Update,
       ShadowSuffix::None},
      {"$aws/things/thingName/shadow/name/shadowName/update/delta", {"thingName", "shadowName"}, ShadowOp::Update,
       ShadowSuffix::Delta},
      {"$aws/things/thingName/shadow/name/shadowName/update/documents", {"thingName", "shadowName"}, ShadowOp::Update,
       ShadowSuffix::Documents},
      {"$aws/things/thingName/shadow/name/shadowName/delete/rejected", {"thingName", "shadowName"}, ShadowOp::Delete,
       ShadowSuffix::Rejected},
  };
  return cases;
}

TEST(AwsiotTopics, ShadowTopicsOfTheGuideBuildAndParse) {
  for (const auto& c : shadow_cases()) {
    EXPECT_EQ(shadow_topic(c.id, c.op, c.suffix), c.topic);
    const AwsTopic t = parse_topic(c.topic);
    ASSERT_EQ(t.service, Service::Shadow) << c.topic << ": " << t.error;
    EXPECT_EQ(t.shadow.id.thing, c.id.thing) << c.topic;
    EXPECT_EQ(t.shadow.id.name, c.id.name) << c.topic;
    EXPECT_EQ(t.shadow.op, c.op) << c.topic;
    EXPECT_EQ(t.shadow.suffix, c.suffix) << c.topic;
  }
}

TEST(AwsiotTopics, AppendReusesTheCallersString) {
  std::string out = "x";
  out.clear();
  out.reserve(128);
  const auto* before = out.data();
  append_shadow_topic(out, {"car-7", "cfg"}, ShadowOp::Update, ShadowSuffix::Accepted);
  EXPECT_EQ(out, "$aws/things/car-7/shadow/name/cfg/update/accepted");
  EXPECT_EQ(out.data(), before);  // no reallocation with enough capacity
}

struct JobsCase {
  const char* topic;
  JobsOp op;
  const char* job_id;
  Reply reply;
};

TEST(AwsiotTopics, JobsTopicsOfTheGuideBuildAndParse) {
  const std::vector<JobsCase> cases = {
      {"$aws/things/thingName/jobs/notify", JobsOp::Notify, "", Reply::None},
      {"$aws/things/thingName/jobs/notify-next", JobsOp::NotifyNext, "", Reply::None},
      {"$aws/things/thingName/jobs/get", JobsOp::GetPending, "", Reply::None},
      {"$aws/things/thingName/jobs/get/accepted", JobsOp::GetPending, "", Reply::Accepted},
      {"$aws/things/thingName/jobs/get/rejected", JobsOp::GetPending, "", Reply::Rejected},
      {"$aws/things/thingName/jobs/start-next", JobsOp::StartNext, "", Reply::None},
      {"$aws/things/thingName/jobs/start-next/accepted", JobsOp::StartNext, "", Reply::Accepted},
      {"$aws/things/thingName/jobs/start-next/rejected", JobsOp::StartNext, "", Reply::Rejected},
      {"$aws/things/thingName/jobs/jobId/get", JobsOp::Describe, "jobId", Reply::None},
      {"$aws/things/thingName/jobs/jobId/get/accepted", JobsOp::Describe, "jobId", Reply::Accepted},
      {"$aws/things/thingName/jobs/jobId/get/rejected", JobsOp::Describe, "jobId", Reply::Rejected},
      {"$aws/things/thingName/jobs/$next/get", JobsOp::Describe, "$next", Reply::None},
      {"$aws/things/thingName/jobs/jobId/update", JobsOp::Update, "jobId", Reply::None},
      {"$aws/things/thingName/jobs/jobId/update/accepted", JobsOp::Update, "jobId", Reply::Accepted},
      {"$aws/things/thingName/jobs/jobId/update/rejected", JobsOp::Update, "jobId", Reply::Rejected},
      // Job ids that look like operations stay job ids one level down.
      {"$aws/things/thingName/jobs/get/get", JobsOp::Describe, "get", Reply::None},
      {"$aws/things/thingName/jobs/start-next/update/accepted", JobsOp::Update, "start-next", Reply::Accepted},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(jobs_topic("thingName", c.op, c.job_id, c.reply), c.topic);
    const AwsTopic t = parse_topic(c.topic);
    ASSERT_EQ(t.service, Service::Jobs) << c.topic << ": " << t.error;
    EXPECT_EQ(t.jobs.thing, "thingName");
    EXPECT_EQ(t.jobs.op, c.op) << c.topic;
    EXPECT_EQ(t.jobs.job_id, c.job_id) << c.topic;
    EXPECT_EQ(t.jobs.reply, c.reply) << c.topic;
  }
}

struct ProvisioningCase {
  const char* topic;
  ProvisioningOp op;
  PayloadFormat format;
  const char* template_name;
  Reply reply;
};

TEST(AwsiotTopics, FleetProvisioningTopicsOfTheGuideBuildAndParse) {
  using enum ProvisioningOp;
  const std::vector<ProvisioningCase> cases = {
      {"$aws/certificates/create/json", CreateKeysAndCertificate, PayloadFormat::Json, "", Reply::None},
      {"$aws/certificates/create/cbor/accepted", CreateKeysAndCertificate, PayloadFormat::Cbor, "", Reply::Accepted},
      {"$aws/certificates/create/json/rejected", CreateKeysAndCertificate, PayloadFormat::Json, "", Reply::Rejected},
      {"$aws/certificates/create-from-csr/cbor", CreateCertificateFromCsr, PayloadFormat::Cbor, "", Reply::None},
      {"$aws/certificates/create-from-csr/json/accepted", CreateCertificateFromCsr, PayloadFormat::Json, "",
       Reply::Accepted},
      {"$aws/provisioning-templates/templateName/provision/json", RegisterThing, PayloadFormat::Json, "templateName",
       Reply::None},
      {"$aws/provisioning-templates/templateName/provision/cbor/accepted", RegisterThing, PayloadFormat::Cbor,
       "templateName", Reply::Accepted},
      {"$aws/provisioning-templates/templateName/provision/json/rejected", RegisterThing, PayloadFormat::Json,
       "templateName", Reply::Rejected},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(provisioning_topic(c.op, c.format, c.template_name, c.reply), c.topic);
    const AwsTopic t = parse_topic(c.topic);
    ASSERT_EQ(t.service, Service::Provisioning) << c.topic << ": " << t.error;
    EXPECT_EQ(t.provisioning.op, c.op) << c.topic;
    EXPECT_EQ(t.provisioning.format, c.format) << c.topic;
    EXPECT_EQ(t.provisioning.template_name, c.template_name) << c.topic;
    EXPECT_EQ(t.provisioning.reply, c.reply) << c.topic;
  }
}

TEST(AwsiotTopics, MalformedTopicsAreRefusedWithAReason) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"$aws/things//shadow/get", "thing name is empty"},
      {"$aws/things/bad thing/shadow/get", "thing name has a character outside [a-zA-Z0-9:_-]"},
      {"$aws/things/T/shadow/fetch", "unknown shadow operation (expected get, update or delete)"},
      {"$aws/things/T/shadow", "shadow topic without an operation (get, update or delete)"},
      {"$aws/things/T/shadow/get/delta",
       "unknown shadow topic suffix (expected accepted, rejected, delta or documents)"},
      {"$aws/things/T/shadow/name//get", "shadow name is empty"},
      {"$aws/things/T/shadow/name", "named shadow topic without a shadow name"},
      {"$aws/things/T/shadow/update/accepted/more", "shadow topic has levels after its suffix"},
      {"$aws/things/T/jobs/bad.id/update", "job id has a character outside [a-zA-Z0-9_-]"},
      {"$aws/things/T/jobs/J/update/done", "unknown jobs topic suffix (expected accepted or rejected)"},
      {"$aws/things/T/jobs/launch",
       "unknown jobs operation (expected notify, notify-next, get, start-next, {jobId}/get or {jobId}/update)"},
      {"$aws/things/T/jobs", "jobs topic without an operation"},
      {"$aws/certificates/create/xml", "unknown payload format (expected json or cbor)"},
      {"$aws/certificates/renew/json", "unknown certificates operation (expected create or create-from-csr)"},
      {"$aws/provisioning-templates/T/register/json",
       "provisioning-templates topic must be {template}/provision/{json|cbor}"},
      {"$aws/provisioning-templates/bad:name/provision/json", "template name has a character outside [0-9A-Za-z_-]"},
      {"$aws/provisioning-templates/T/provision/json/accepted/x", "provisioning topic has levels after its suffix"},
      {"$aws/things/T/shadow/name/N/update/accepted/a/b", "topic has more than 8 levels"},
  };
  for (const auto& [topic, why] : cases) {
    const AwsTopic t = parse_topic(topic);
    EXPECT_EQ(t.service, Service::None) << topic;
    EXPECT_EQ(t.error, why) << topic;
  }
}

TEST(AwsiotTopics, NameLimitsAreTheDocumentedOnes) {
  EXPECT_EQ(check_thing_name(std::string(128, 'a')), nullptr);
  EXPECT_STREQ(check_thing_name(std::string(129, 'a')), "thing name is longer than 128 bytes");
  EXPECT_EQ(check_thing_name("a:b_c-D9"), nullptr);
  EXPECT_EQ(check_shadow_name(std::string(64, 's')), nullptr);
  EXPECT_STREQ(check_shadow_name(std::string(65, 's')), "shadow name is longer than 64 bytes");
  EXPECT_EQ(check_job_id(std::string(64, 'j')), nullptr);
  EXPECT_STREQ(check_job_id("a:b"), "job id has a character outside [a-zA-Z0-9_-]");
  EXPECT_EQ(check_template_name(std::string(36, 't')), nullptr);
  EXPECT_STREQ(check_template_name(std::string(37, 't')), "template name is longer than 36 bytes");
  // The longest classic shadow topic with a 128-byte thing name stays within the topic limit.
  EXPECT_LE(shadow_topic({std::string(128, 'a'), ""}, ShadowOp::Update, ShadowSuffix::Documents).size(),
            kMaxTopicBytes);
}

TEST(AwsiotTopics, OtherTopicsAreNotOursAndCarryNoError) {
  for (const char* topic : {"sensors/t1", "$aws/things/T/tunnels/notify", "$aws/events/presence/connected/c",
                            "$aws/rules/r/x", "$SYS/broker/uptime"}) {
    const AwsTopic t = parse_topic(topic);
    EXPECT_EQ(t.service, Service::None) << topic;
    EXPECT_TRUE(t.error.empty()) << topic << ": " << t.error;
  }
}

// MQTT topic filter matching (MQTT 3.1.1 §4.7), written here independently of the codec.
bool matches(const std::string& filter, const std::string& topic) {
  std::size_t f = 0, t = 0;
  while (f <= filter.size() && t <= topic.size()) {
    const std::size_t fe = filter.find('/', f), te = topic.find('/', t);
    const std::string fl = filter.substr(f, fe == std::string::npos ? std::string::npos : fe - f);
    const std::string tl = topic.substr(t, te == std::string::npos ? std::string::npos : te - t);
    if (fl == "#") return true;
    if (fl != "+" && fl != tl) return false;
    if (fe == std::string::npos || te == std::string::npos) return fe == std::string::npos && te == std::string::npos;
    f = fe + 1;
    t = te + 1;
  }
  return false;
}

TEST(AwsiotTopics, RequestFiltersMatchEveryRequestAndNoReply) {
  std::vector<std::string> filters;
  for (Service s : {Service::Shadow, Service::Jobs, Service::Provisioning}) {
    for (auto& f : request_filters(s)) filters.push_back(f);
  }
  EXPECT_EQ(filters.size(), 13u);
  auto count = [&](const std::string& topic) {
    int n = 0;
    for (const auto& f : filters) n += matches(f, topic) ? 1 : 0;
    return n;
  };
  for (const auto& c : shadow_cases()) {
    EXPECT_EQ(count(c.topic), c.suffix == ShadowSuffix::None ? 1 : 0) << c.topic;
  }
  for (const char* req : {"$aws/things/T/jobs/get", "$aws/things/T/jobs/start-next", "$aws/things/T/jobs/J/get",
                          "$aws/things/T/jobs/$next/get", "$aws/things/T/jobs/J/update", "$aws/certificates/create/json",
                          "$aws/certificates/create-from-csr/cbor", "$aws/provisioning-templates/P/provision/json"}) {
    EXPECT_EQ(count(req), 1) << req;
  }
  for (const char* reply : {"$aws/things/T/jobs/notify", "$aws/things/T/jobs/notify-next",
                            "$aws/things/T/jobs/get/accepted", "$aws/things/T/jobs/start-next/rejected",
                            "$aws/things/T/jobs/J/update/accepted", "$aws/certificates/create/json/accepted",
                            "$aws/provisioning-templates/P/provision/cbor/rejected"}) {
    EXPECT_EQ(count(reply), 0) << reply;
  }
  EXPECT_TRUE(matches("a/+/c", "a/b/c"));  // the matcher itself
  EXPECT_FALSE(matches("a/+", "a/b/c"));
}

}  // namespace
}  // namespace fleetload::awsiot
