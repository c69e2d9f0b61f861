// Device session with several publish streams: each stream its own schedule, QoS, topic,
// sequence numbers, topic alias and books; the payload header carries the stream id.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "device/payload.hpp"
#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using mqtt::PacketType;
using test::Harness;

scenario::Publish stream(std::string name, std::string topic, double rate, std::uint8_t qos,
                         std::uint64_t publishers) {
  scenario::Publish p;
  p.name = std::move(name);
  p.topic = std::move(topic);
  p.qos = qos;
  p.rate = scenario::Rate{rate};
  p.per_device_rate = scenario::Rate{rate};
  p.publishers.kind = scenario::Selection::Kind::All;
  p.publishers.selected = publishers;
  return p;
}

scenario::Scenario two_streams(mqtt::Version v, std::uint64_t devices = 1) {
  auto s = test::make_scenario(v, devices);
  s.publish = {stream("telemetry", "t/{index}", 10.0, 0, devices), stream("alarm", "a/{index}", 2.0, 1, devices)};
  return s;
}

struct Seen {
  std::vector<std::uint64_t> seqs;
  std::uint8_t stream = 255;
  std::uint16_t alias = 0;
  std::size_t empty_topics = 0;
};

// PUBLISHes the session wrote, by topic prefix ("t" / "a"); with aliases, an empty topic
// belongs to the stream whose alias it carries.
std::map<std::string, Seen> publishes_by_stream(const Harness& h) {
  std::map<std::string, Seen> out;
  std::map<std::uint16_t, std::string> alias_topic;
  for (std::size_t i : h.of_type(PacketType::Publish)) {
    const mqtt::Packet pk = h.packet(i);
    const auto& p = std::get<mqtt::Publish>(pk);
    std::string key;
    if (!p.topic.empty()) {
      key = std::string(p.topic.substr(0, 1));
      if (p.properties.topic_alias) alias_topic[*p.properties.topic_alias] = key;
    } else {
      key = alias_topic.at(*p.properties.topic_alias);
    }
    Seen& s = out[key];
    if (p.topic.empty()) ++s.empty_topics;
    if (p.properties.topic_alias) s.alias = *p.properties.topic_alias;
    const auto hdr = read_payload_header(p.payload);
    EXPECT_TRUE(hdr.has_value());
    if (!hdr) continue;
    s.seqs.push_back(hdr->seq);
    if (s.stream != 255) {
      EXPECT_EQ(s.stream, hdr->stream) << "one stream byte per stream";
    }
    s.stream = hdr->stream;
  }
  return out;
}

TEST(DeviceSessionStreams, EachStreamKeepsItsOwnRateQosAndSequence) {
  Harness h(two_streams(mqtt::Version::V311));
  h.start();
  ASSERT_EQ(h.session.state(), State::Connected);
  h.advance(std::chrono::seconds(10));
  const auto seen = publishes_by_stream(h);
  ASSERT_EQ(seen.size(), 2u);
  const Seen& t = seen.at("t");
  const Seen& a = seen.at("a");
  // 10 s at 10/s and 2/s, each from a random phase within its first interval.
  EXPECT_EQ(t.seqs.size(), 100u);
  EXPECT_EQ(a.seqs.size(), 20u);
  EXPECT_EQ(t.stream, 0u);
  EXPECT_EQ(a.stream, 1u);
  for (std::size_t i = 0; i < t.seqs.size(); ++i) EXPECT_EQ(t.seqs[i], i + 1);
  for (std::size_t i = 0; i < a.seqs.size(); ++i) EXPECT_EQ(a.seqs[i], i + 1);
  EXPECT_EQ(h.session.last_sequence(0), 100u);
  EXPECT_EQ(h.session.last_sequence(1), 20u);
  // QoS per stream: only the alarms were acknowledged.
  const auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.publishes_sent[0], 100u);
  EXPECT_EQ(snap.publishes_sent[1], 20u);
  EXPECT_EQ(snap.stream_count(0, StreamCount::Sent), 100u);
  EXPECT_EQ(snap.stream_count(1, StreamCount::Sent), 20u);
  EXPECT_EQ(snap.stream_count(0, StreamCount::Acked), 0u);
  EXPECT_EQ(snap.stream_count(1, StreamCount::Acked), 20u);
  EXPECT_EQ(h.session.pending_publishes(), 0u);
}

TEST(DeviceSessionStreams, StreamsUseTheirOwnTopicAliasWithinTheBrokersMaximum) {
  for (std::uint16_t max : {2, 1}) {
    auto s = two_streams(mqtt::Version::V5);
    for (auto& p : s.publish) p.topic_alias = true;
    Harness h(s);
    h.connack.properties.topic_alias_maximum = max;
    h.start();
    h.advance(std::chrono::seconds(3));
    const auto seen = publishes_by_stream(h);
    const Seen& t = seen.at("t");
    const Seen& a = seen.at("a");
    EXPECT_EQ(t.alias, 1u);
    EXPECT_EQ(t.empty_topics, t.seqs.size() - 1) << "max " << max;  // the topic once, then the alias
    if (max == 2) {
      EXPECT_EQ(a.alias, 2u);
      EXPECT_EQ(a.empty_topics, a.seqs.size() - 1);
    } else {
      EXPECT_EQ(a.alias, 0u) << "alias 2 is beyond the broker's maximum";
      EXPECT_EQ(a.empty_topics, 0u);
    }
  }
}

// A publisher whose second stream has fewer publishers: device 1 publishes only telemetry.
TEST(DeviceSessionStreams, AStreamsPublishersAreItsOwn) {
  auto s = two_streams(mqtt::Version::V311, 4);
  s.publish[1].publishers.kind = scenario::Selection::Kind::Count;
  s.publish[1].publishers.selected = 1;
  Harness h(s, 1);
  h.start();
  h.advance(std::chrono::seconds(2));
  const auto seen = publishes_by_stream(h);
  EXPECT_EQ(seen.count("a"), 0u);
  EXPECT_EQ(seen.at("t").seqs.size(), 20u);
  EXPECT_EQ(h.session.last_sequence(1), 0u);
}

mqtt::Publish message(std::vector<std::uint8_t>& buf, std::uint32_t pub, std::uint8_t stream, std::uint64_t seq,
                      std::uint64_t sent_ns) {
  mqtt::Publish p;
  p.topic = stream == 0 ? "t/x" : "a/x";
  p.payload = build_payload(buf, 64, PayloadHeader{pub, seq, sent_ns, 0, stream});
  return p;
}

// The books are per (publisher, stream): the same sequence number on two streams is two
// messages, and a gap on one stream is that stream's loss.
TEST(DeviceSessionStreams, BooksArePerPublisherAndStream) {
  auto s = two_streams(mqtt::Version::V311, 10);
  test::add_subscribe(s, "+/+", 0);
  Harness h(s, 9);
  ASSERT_EQ(h.plan.stream_stride, 2u);
  h.start();
  std::vector<std::uint8_t> buf;
  for (std::uint64_t q = 1; q <= 5; ++q) h.feed(message(buf, 3, 0, q, h.wall_ns));
  for (std::uint64_t q : {1, 2, 4}) h.feed(message(buf, 3, 1, q, h.wall_ns));
  auto snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_duplicated, 0u);
  EXPECT_EQ(snap.stream_count(0, StreamCount::Received), 5u);
  EXPECT_EQ(snap.stream_count(1, StreamCount::Received), 3u);
  // End of run: publisher 3 sent 5 telemetry and 4 alarms; publisher 4 sent 2 alarms, never seen.
  std::vector<std::uint64_t> last(10 * h.plan.stream_stride, 0);
  last[h.plan.stream_key(3, 0)] = 5;
  last[h.plan.stream_key(3, 1)] = 4;
  last[h.plan.stream_key(4, 1)] = 2;
  h.session.finalize_receive(*h.stats, last);
  snap = snapshot(*h.stats);
  EXPECT_EQ(snap.messages_lost, 1u + 2u);
  EXPECT_EQ(snap.stream_count(0, StreamCount::Lost), 0u);
  EXPECT_EQ(snap.stream_count(1, StreamCount::Lost), 3u);
}

// Offline, each stream's QoS decides: the QoS 0 stream fails by the offline-queue policy,
// the QoS 1 stream queues, and the queue drains in order after the reconnect.
TEST(DeviceSessionStreams, OfflineQueuePerStream) {
  auto s = two_streams(mqtt::Version::V5);
  s.reconnect.jitter = scenario::Jitter::None;  // the reconnect exactly min_delay (1 s) after the drop
  Harness h(s);
  h.start();
  h.advance(std::chrono::seconds(1));
  h.call([&](Context& c) { h.session.on_transport_down(c, DropReason::SocketError, {}); });
  const auto before = snapshot(*h.stats);
  h.advance(std::chrono::milliseconds(900));  // backing off: not reconnected yet
  ASSERT_EQ(h.session.state(), State::BackingOff);
  const auto off = snapshot(*h.stats);
  const auto failed_t = off.stream_count(0, StreamCount::Failed) - before.stream_count(0, StreamCount::Failed);
  EXPECT_GE(failed_t, 8u);
  EXPECT_EQ(off.stream_count(1, StreamCount::Failed), 0u);
  const std::uint32_t queued = h.session.pending_publishes();
  EXPECT_GE(queued, 1u);
  h.advance(std::chrono::seconds(2));  // reconnected, the queue sent
  ASSERT_EQ(h.session.state(), State::Connected);
  const auto seen = publishes_by_stream(h);
  const Seen& a = seen.at("a");
  for (std::size_t i = 0; i < a.seqs.size(); ++i) EXPECT_EQ(a.seqs[i], i + 1) << "alarms in order";
  EXPECT_EQ(h.session.pending_publishes(), 0u);
}

// A capacity search's publish_rate step scales every stream alike; 0 pauses them.
TEST(DeviceSessionStreams, PublishScaleScalesEveryStreamAndZeroPauses) {
  Harness h(two_streams(mqtt::Version::V311));
  h.start();
  h.advance(std::chrono::seconds(10));
  auto counts = [&] {
    const auto seen = publishes_by_stream(h);
    return std::pair<std::size_t, std::size_t>{seen.at("t").seqs.size(), seen.at("a").seqs.size()};
  };
  const auto [t0, a0] = counts();
  auto rescale = [&](double f) {
    h.publish_scale = f;
    h.call([&](Context& c) { h.session.rescale_schedule(c); });
  };
  rescale(3.0);
  h.advance(std::chrono::seconds(10));
  const auto [t1, a1] = counts();
  EXPECT_NEAR(static_cast<double>(t1 - t0), 300.0, 1.0);
  EXPECT_NEAR(static_cast<double>(a1 - a0), 60.0, 1.0);
  rescale(0.0);
  h.advance(std::chrono::seconds(10));
  const auto [t2, a2] = counts();
  EXPECT_EQ(t2, t1);
  EXPECT_EQ(a2, a1);
  EXPECT_EQ(snapshot(*h.stats).publish_slots_skipped, 0u);  // a pause skips no slot
  rescale(1.0);
  h.advance(std::chrono::seconds(10));
  const auto [t3, a3] = counts();
  EXPECT_NEAR(static_cast<double>(t3 - t2), 100.0, 1.0);
  EXPECT_NEAR(static_cast<double>(a3 - a2), 20.0, 1.0);
}

}  // namespace
}  // namespace fleetload::device
