// Hand-assembled byte vectors for every MQTT 3.1.1 and 5 packet, each beside the packet
// value it encodes; the layout of each vector is commented field by field from the spec.
#pragma once

#include <string>
#include <vector>

#include "mqtt_test_util.hpp"

namespace fleetload::mqtt::test {

struct Vector {
  std::string name;
  Version version;
  Packet packet;
  ByteVec wire;
};

// Every vector, both versions. The packets' views point at static storage.
const std::vector<Vector>& all_vectors();

}  // namespace fleetload::mqtt::test
