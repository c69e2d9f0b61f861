// The session's defence against packets it cannot encode (a client id or topic that is not a
// valid MQTT string slipped past the checks): counted as local errors with a reason, never a
// CONNECT silently not sent that then "times out" waiting for the broker's CONNACK.
#include <gtest/gtest.h>

#include <string>

#include "device_harness.hpp"

namespace fleetload::device {
namespace {

using namespace std::chrono_literals;
using mqtt::PacketType;
using test::Harness;

std::size_t reason(DropReason r) { return static_cast<std::size_t>(r); }

TEST(DeviceSessionLocal, UnencodableConnectIsALocalErrorNotAConnackTimeout) {
  for (const std::string& id : {std::string(70000, 'c') + "{index}", std::string("dev-\xff-{index}")}) {
    auto s = test::make_scenario(mqtt::Version::V5);
    s.fleet.client_id = id;
    Harness h(s);
    h.start();
    EXPECT_EQ(h.opens, 1);
    EXPECT_EQ(h.count(PacketType::Connect), 0u);  // nothing unencodable reached the wire
    EXPECT_EQ(h.session.state(), State::BackingOff);
    // Well past the CONNACK timeout (20 s): every attempt is a local error, none a timeout.
    h.advance(30s);
    const auto snap = snapshot(*h.stats);
    EXPECT_GE(snap.connect_attempts, 2u);
    EXPECT_EQ(snap.connects_unencodable, snap.connect_attempts);
    EXPECT_EQ(snap.connect_failed_by_reason[reason(DropReason::LocalError)], snap.connect_attempts);
    EXPECT_EQ(snap.connect_failed_by_reason[reason(DropReason::ConnackTimeout)], 0u);
    EXPECT_EQ(snap.connect_failures, snap.connect_attempts);
    EXPECT_EQ(h.closes, static_cast<int>(snap.connect_attempts));  // each transport given back
  }
}

TEST(DeviceSessionLocal, UnencodablePublishIsCountedByItsOwnReason) {
  auto s = test::make_scenario(mqtt::Version::V311);
  test::add_publish(s, 10.0, 1, "t/\xc3(/{index}");  // an invalid UTF-8 sequence in the topic
  Harness h(s);
  h.start();
  ASSERT_EQ(h.session.state(), State::Connected);
  h.advance(1s);
  const auto snap = snapshot(*h.stats);
  EXPECT_GE(snap.publish_requests[1], 5u);
  EXPECT_EQ(h.count(PacketType::Publish), 0u);
  EXPECT_EQ(snap.publishes_failed[static_cast<std::size_t>(PublishFailReason::Unencodable)], snap.publish_requests[1]);
  EXPECT_EQ(snap.publishes_failed[static_cast<std::size_t>(PublishFailReason::PacketTooLarge)], 0u);
  EXPECT_TRUE(snap.books_balance(1, 0));
  EXPECT_EQ(h.session.state(), State::Connected);  // the connection itself is fine
}

}  // namespace
}  // namespace fleetload::device
