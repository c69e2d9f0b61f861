// Books across shards: a subscriber's books of another shard's publisher settled against
// that publisher's span (device/books_exchange.hpp), and report merge doing it for shard
// reports through their JSON, per group and stream.
#include <gtest/gtest.h>

#include "device/books_exchange.hpp"
#include "metrics/report_json.hpp"
#include "metrics/report_merge.hpp"
#include "metrics/report_read.hpp"

namespace fleetload {
namespace {

using device::ForeignBooks;
using device::PublisherSpan;
using device::ReceiveTracker;

// A tracker that received `seqs` of publisher key 7 in interval 1.
ReceiveTracker::Progress received(std::initializer_list<std::uint64_t> seqs) {
  ReceiveTracker t;
  for (auto q : seqs) t.on_message(7, q, 1);
  return *t.progress(7);
}

// Publisher key 7 sent 1..100 between t = 1,000 and 2,000 ns.
const PublisherSpan kSpan{7, 100, 1000, 2000};

TEST(BooksExchange, HeldAcrossThePublishersSpanOwesAllOfIt) {
  ForeignBooks f;
  f.key = 7;
  f.subscribed_ns = 500;
  f.held_until_ns = 2500;
  f.progress = received({3, 4, 6, 7, 90});
  const auto s = device::settle_foreign(f, kSpan);
  // 5 and 8..26 left the 64-message window when 90 came: the tracker counted them then.
  // Still open: the head 1-2, the window's gaps 27..89, the tail 91..100.
  EXPECT_EQ(s.lost, 2u + (89u - 27u + 1u) + 10u);
  EXPECT_EQ(s.unjudged, 0u);
}

TEST(BooksExchange, ASubscriptionTakenLateOwesFromItsFirstDeliveryOn) {
  ForeignBooks f;
  f.key = 7;
  f.subscribed_ns = 1500;  // after the publisher's first send
  f.held_until_ns = 2500;
  f.progress = received({40, 41, 42});
  const auto s = device::settle_foreign(f, kSpan);
  EXPECT_EQ(s.lost, 100u - 42u);  // the tail only: before 40 may have been sent before the SUBACK
  EXPECT_EQ(s.unjudged, 0u);
}

TEST(BooksExchange, ASubscriptionEndedBeforeThePublishersLastSendLeavesTheTailUnjudged) {
  ForeignBooks f;
  f.key = 7;
  f.subscribed_ns = 500;
  f.held_until_ns = 0;  // lost before the end
  f.progress = received({1, 2, 4, 50});
  const auto s = device::settle_foreign(f, kSpan);
  // 3 still in the window below 50 is loss (between deliveries); 51..100 unjudged.
  EXPECT_EQ(s.lost, 1u + (49u - 5u + 1u));
  EXPECT_EQ(s.unjudged, 50u);
}

TEST(BooksExchange, NothingDeliveredIsAllLostOnlyWhenTheSubscriptionCoveredTheSpan) {
  ForeignBooks f;
  f.key = 7;
  f.subscribed_ns = 500;
  f.held_until_ns = 2500;
  EXPECT_EQ(device::settle_foreign(f, kSpan).lost, 100u);
  f.subscribed_ns = 1200;
  const auto s = device::settle_foreign(f, kSpan);
  EXPECT_EQ(s.lost, 0u);
  EXPECT_EQ(s.unjudged, 100u);
  EXPECT_EQ(device::settle_foreign(f, PublisherSpan{7, 0, 0, 0}).lost, 0u);  // it sent nothing
}

metrics::RunReport shard(std::uint32_t k) {
  metrics::RunReport r;
  r.fleetload_version = "0.1.0";
  r.scenario_name = "x";
  r.scenario_source = "x.yaml";
  r.scenario_yaml = "name: x\n# shard " + std::to_string(k) + "/2 (from --shard)\n";
  r.started_at_utc = "2026-12-04T10:00:00Z";
  r.protocol = mqtt::Version::V5;
  r.shard_k = k;
  r.shard_n = 2;
  r.exit_reason = "completed";
  r.devices = 2;
  r.streams = {"telemetry", "alarm"};
  r.stream_requested_rate = {1.0, 0.1};
  for (const char* g : {"pubs", "subs"}) {
    metrics::GroupReport gr;
    gr.name = g;
    gr.fleet_devices = 2;
    gr.devices = 1;
    r.groups.push_back(gr);
  }
  return r;
}

// Shard 0's publisher 0 sent 100 alarms (stream 1: key 0 * 2 + 1); shard 1's subscriber
// (group "subs") held its subscription across them and received 1..90.
TEST(BooksExchange, ReportMergeSettlesTheBooksAcrossShardsPerGroupAndStream) {
  metrics::RunReport a = shard(0), b = shard(1);
  a.publisher_spans.push_back({1, 100, 1000, 2000});
  ForeignBooks f;
  f.group = 1;
  f.key = 1;
  f.subscribed_ns = 500;
  f.held_until_ns = 3000;
  ReceiveTracker t;
  for (std::uint64_t q = 1; q <= 90; ++q) t.on_message(1, q, 1);
  f.progress = *t.progress(1);
  b.foreign_books.push_back(f);
  // Through JSON, as the CLI reads shard reports.
  const auto in = std::vector<metrics::MergeInput>{
      {"a.json", metrics::report_from_json(metrics::report_to_json(a), "a.json")},
      {"b.json", metrics::report_from_json(metrics::report_to_json(b), "b.json")}};
  ASSERT_EQ(in[1].report.foreign_books.size(), 1u);
  EXPECT_EQ(in[1].report.foreign_books[0].progress.highest, 90u);
  const auto m = metrics::merge_reports(in).report;
  EXPECT_EQ(m.stats.messages_lost, 10u);
  EXPECT_EQ(m.stats.stream_count(1, device::StreamCount::Lost), 10u);
  EXPECT_EQ(m.stats.stream_count(0, device::StreamCount::Lost), 0u);
  ASSERT_EQ(m.groups.size(), 2u);
  EXPECT_EQ(m.groups[1].stats.messages_lost, 10u);  // the subscriber's group
  EXPECT_EQ(m.groups[0].stats.messages_lost, 0u);
  EXPECT_TRUE(m.foreign_books.empty());  // settled, not carried on
  // Without shard 0 the entry cannot be settled: it is carried on for a later merge.
  const auto alone = metrics::merge_reports({in[1]}).report;
  EXPECT_EQ(alone.stats.messages_lost, 0u);
  ASSERT_EQ(alone.foreign_books.size(), 1u);
}

}  // namespace
}  // namespace fleetload
