// Writes a decoded or generated MQTT packet as the canonical JSON object the cross-check
// script compares field by field (see crosscheck.mjs for the schema).
#pragma once

#include "crosscheck/json_writer.hpp"
#include "mqtt/packet.hpp"

namespace fleetload::crosscheck {

// The lowercase packet name mqtt-packet uses as `cmd` ("connect", "puback", ...).
const char* cmd_name(mqtt::PacketType t) noexcept;

void write_properties(JsonWriter& w, const mqtt::Properties& p);
void write_packet(JsonWriter& w, const mqtt::Packet& p);

}  // namespace fleetload::crosscheck
