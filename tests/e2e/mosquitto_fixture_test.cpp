// The mosquitto fixture itself: starts on a free port, pauses, is killed and restarted on the
// same port, and keeps its logs.
#include <gtest/gtest.h>

#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

TEST(MosquittoFixture, StartsKillsAndRestartsOnTheSamePort) {
  MosquittoBroker broker;
  const auto port = broker.port();
  EXPECT_TRUE(port_accepts(port));
  const pid_t first = broker.pid();
  broker.kill();
  EXPECT_FALSE(broker.running());
  EXPECT_FALSE(port_accepts(port));
  broker.restart();
  EXPECT_EQ(broker.port(), port);
  EXPECT_NE(broker.pid(), first);
  EXPECT_TRUE(port_accepts(port));
  EXPECT_NE(broker.log().find("mosquitto start 2"), std::string::npos);
  EXPECT_NE(broker.log().find("running"), std::string::npos) << broker.log();
}

TEST(MosquittoFixture, PausedBrokerStillAcceptsTcpButStaysStopped) {
  MosquittoBroker broker;
  broker.pause();
  // The kernel completes the handshake from the listen backlog: this is what makes a
  // SIGSTOPped broker look alive to TCP but silent to MQTT.
  EXPECT_TRUE(port_accepts(broker.port()));
  EXPECT_TRUE(broker.running());
  broker.resume();
  broker.stop();
  EXPECT_FALSE(broker.running());
}

}  // namespace
}  // namespace fleetload::e2e
