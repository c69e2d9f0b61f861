// Share groups in the reports (metrics/report_share.hpp): the summary's lines, the JSON
// "share_groups" array read back as written, and a merge of shards.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "metrics/report_json.hpp"
#include "metrics/report_read.hpp"
#include "metrics/report_share.hpp"
#include "metrics/report_text.hpp"
#include "metrics/run_report.hpp"

namespace fleetload::metrics {
namespace {

namespace json = boost::json;

device::ShareGroupBooks group(std::uint64_t expected, std::uint64_t received, std::uint64_t lost) {
  device::ShareGroupBooks g;
  g.group = "g";
  g.filter = "t/#";
  g.device_group = "default";
  g.members = 2;
  g.publishes = expected + 10;
  g.expected = expected;
  g.received = received;
  g.duplicated = 1;
  g.lost = lost;
  return g;
}

RunReport report_with(std::vector<device::ShareGroupBooks> groups) {
  RunReport r;
  r.fleetload_version = "0.1.0";
  r.scenario_name = "unit";
  r.exit_reason = "completed";
  r.devices = 4;
  r.stats.subscribe_requests = 2;
  r.share_groups = std::move(groups);
  return r;
}

TEST(ShareReport, SummaryNamesAGroupThatGotNothing) {
  const auto nothing = group(120, 0, 120);
  ASSERT_TRUE(nothing.nothing_delivered());
  const std::string text = format_summary(report_with({nothing, group(50, 49, 2)}));
  EXPECT_NE(text.find("broker delivered nothing to $share group g (t/#): 0 of 120 messages owed reached its 2 members"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("$share group g (t/#): 2 members, 49 received of 50 owed, lost 2, duplicated 1"),
            std::string::npos)
      << text;
}

TEST(ShareReport, SummarySaysWhatIsNotJudged) {
  auto g = group(0, 30, 0);
  g.judged = false;
  EXPECT_FALSE(g.nothing_delivered());
  EXPECT_NE(share_group_line(g).find("loss not judged: members or publishers in other shards"), std::string::npos)
      << share_group_line(g);
  g.received = 0;
  EXPECT_FALSE(g.nothing_delivered()) << "another shard's members may have got them";
}

TEST(ShareReport, JsonIsReadBackAsWritten) {
  auto g = group(120, 0, 120);
  g.not_yet_delivered = 3;
  const RunReport r = report_with({g});
  const std::string text = report_to_json(r);
  const json::value v = json::parse(text);
  ASSERT_TRUE(v.as_object().contains("share_groups"));
  EXPECT_TRUE(v.at("share_groups").at(0).at("nothing_delivered").as_bool());
  const RunReport back = report_from_json(text, "unit");
  ASSERT_EQ(back.share_groups.size(), 1u);
  const auto& b = back.share_groups[0];
  EXPECT_EQ(b.group, "g");
  EXPECT_EQ(b.filter, "t/#");
  EXPECT_EQ(b.device_group, "default");
  EXPECT_EQ(b.members, 2u);
  EXPECT_EQ(b.publishes, 130u);
  EXPECT_EQ(b.expected, 120u);
  EXPECT_EQ(b.received, 0u);
  EXPECT_EQ(b.duplicated, 1u);
  EXPECT_EQ(b.lost, 120u);
  EXPECT_EQ(b.not_yet_delivered, 3u);
  EXPECT_TRUE(b.judged);
  // A report without share groups has none, and a malformed entry names its field.
  EXPECT_FALSE(json::parse(report_to_json(report_with({}))).as_object().contains("share_groups"));
  json::value bad = v;
  bad.at("share_groups").at(0).as_object().erase("members");
  try {
    (void)report_from_json(json::serialize(bad), "unit");
    ADD_FAILURE() << "a share group without members was read";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("share_groups: [0].members: missing"), std::string::npos) << e.what();
  }
}

TEST(ShareReport, ShardsOfAGroupAreSummedAndLeftUnjudged) {
  auto a = group(0, 30, 0), b = group(0, 12, 0);
  a.judged = b.judged = false;
  auto other = group(0, 5, 0);
  other.group = "h";
  std::vector<device::ShareGroupBooks> m;
  merge_share_groups(m, {a, other});
  merge_share_groups(m, {b});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].received, 42u);
  EXPECT_EQ(m[0].members, 4u);
  EXPECT_EQ(m[0].duplicated, 2u);
  EXPECT_FALSE(m[0].judged);
  EXPECT_EQ(m[1].group, "h");
}

}  // namespace
}  // namespace fleetload::metrics
