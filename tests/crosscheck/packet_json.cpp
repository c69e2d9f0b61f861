// Canonical JSON for MQTT packets: snake_case field names as in packet.hpp, binary fields as
// lowercase hex, user properties as an ordered list of [name, value] pairs.
#include "crosscheck/packet_json.hpp"

#include <type_traits>

namespace fleetload::crosscheck {

using namespace fleetload::mqtt;

// mqtt-packet's `cmd` names are the codec's own lowercase packet names.
const char* cmd_name(PacketType t) noexcept { return to_string(t); }

namespace {

void opt_u(JsonWriter& w, const char* name, const auto& v) {
  if (v) {
    w.key(name);
    w.number(*v);
  }
}
void opt_s(JsonWriter& w, const char* name, const std::optional<std::string_view>& v) {
  if (v) {
    w.key(name);
    w.string(*v);
  }
}
void opt_b(JsonWriter& w, const char* name, const std::optional<Bytes>& v) {
  if (v) {
    w.key(name);
    w.hex(*v);
  }
}

void write_will(JsonWriter& w, const Will& will) {
  w.begin_object();
  w.key("topic");
  w.string(will.topic);
  w.key("payload");
  w.hex(will.payload);
  w.key("qos");
  w.number(static_cast<unsigned>(will.qos));
  w.key("retain");
  w.boolean(will.retain);
  w.key("properties");
  write_properties(w, will.properties);
  w.end_object();
}

void body(JsonWriter& w, const Connect& c) {
  w.key("version");
  w.number(static_cast<unsigned>(c.version));
  w.key("clean_start");
  w.boolean(c.clean_start);
  w.key("keep_alive");
  w.number(c.keep_alive);
  w.key("client_id");
  w.string(c.client_id);
  w.key("will");
  if (c.will) write_will(w, *c.will); else w.null();
  w.key("username");
  if (c.username) w.string(*c.username); else w.null();
  w.key("password");
  if (c.password) w.hex(*c.password); else w.null();
}
void body(JsonWriter& w, const Connack& c) {
  w.key("session_present");
  w.boolean(c.session_present);
  w.key("reason_code");
  w.number(c.reason_code);
}
void body(JsonWriter& w, const Publish& p) {
  w.key("topic");
  w.string(p.topic);
  w.key("payload");
  w.hex(p.payload);
  w.key("qos");
  w.number(static_cast<unsigned>(p.qos));
  w.key("retain");
  w.boolean(p.retain);
  w.key("dup");
  w.boolean(p.dup);
  w.key("packet_id");
  w.number(p.packet_id);
}
void body(JsonWriter& w, const PubAck& a) {
  w.key("packet_id");
  w.number(a.packet_id);
  w.key("reason_code");
  w.number(a.reason_code);
}
void body(JsonWriter& w, const Subscribe& s) {
  w.key("packet_id");
  w.number(s.packet_id);
  w.key("subscriptions");
  w.begin_array();
  for (const auto& sub : s.subscriptions) {
    w.begin_object();
    w.key("filter");
    w.string(sub.filter);
    w.key("qos");
    w.number(static_cast<unsigned>(sub.qos));
    w.key("no_local");
    w.boolean(sub.no_local);
    w.key("retain_as_published");
    w.boolean(sub.retain_as_published);
    w.key("retain_handling");
    w.number(static_cast<unsigned>(sub.retain_handling));
    w.end_object();
  }
  w.end_array();
}
void codes(JsonWriter& w, std::uint16_t packet_id, const std::vector<std::uint8_t>& rc) {
  w.key("packet_id");
  w.number(packet_id);
  w.key("reason_codes");
  w.begin_array();
  for (auto c : rc) w.number(c);
  w.end_array();
}
void body(JsonWriter& w, const Suback& s) { codes(w, s.packet_id, s.reason_codes); }
void body(JsonWriter& w, const Unsuback& s) { codes(w, s.packet_id, s.reason_codes); }
void body(JsonWriter& w, const Unsubscribe& u) {
  w.key("packet_id");
  w.number(u.packet_id);
  w.key("filters");
  w.begin_array();
  for (auto f : u.filters) w.string(f);
  w.end_array();
}
void body(JsonWriter&, const Pingreq&) {}
void body(JsonWriter&, const Pingresp&) {}
void body(JsonWriter& w, const Disconnect& d) {
  w.key("reason_code");
  w.number(d.reason_code);
}
void body(JsonWriter& w, const Auth& a) {
  w.key("reason_code");
  w.number(a.reason_code);
}

}  // namespace

void write_properties(JsonWriter& w, const Properties& p) {
  w.begin_object();
  opt_u(w, "payload_format_indicator", p.payload_format_indicator);
  opt_u(w, "message_expiry_interval", p.message_expiry_interval);
  opt_s(w, "content_type", p.content_type);
  opt_s(w, "response_topic", p.response_topic);
  opt_b(w, "correlation_data", p.correlation_data);
  if (!p.subscription_identifiers.empty()) {
    w.key("subscription_identifiers");
    w.begin_array();
    for (auto id : p.subscription_identifiers) w.number(id);
    w.end_array();
  }
  opt_u(w, "session_expiry_interval", p.session_expiry_interval);
  opt_s(w, "assigned_client_identifier", p.assigned_client_identifier);
  opt_u(w, "server_keep_alive", p.server_keep_alive);
  opt_s(w, "authentication_method", p.authentication_method);
  opt_b(w, "authentication_data", p.authentication_data);
  opt_u(w, "request_problem_information", p.request_problem_information);
  opt_u(w, "will_delay_interval", p.will_delay_interval);
  opt_u(w, "request_response_information", p.request_response_information);
  opt_s(w, "response_information", p.response_information);
  opt_s(w, "server_reference", p.server_reference);
  opt_s(w, "reason_string", p.reason_string);
  opt_u(w, "receive_maximum", p.receive_maximum);
  opt_u(w, "topic_alias_maximum", p.topic_alias_maximum);
  opt_u(w, "topic_alias", p.topic_alias);
  opt_u(w, "maximum_qos", p.maximum_qos);
  opt_u(w, "retain_available", p.retain_available);
  if (!p.user_properties.empty()) {
    w.key("user_properties");
    w.begin_array();
    for (const auto& [name, value] : p.user_properties) {
      w.begin_array();
      w.string(name);
      w.string(value);
      w.end_array();
    }
    w.end_array();
  }
  opt_u(w, "maximum_packet_size", p.maximum_packet_size);
  opt_u(w, "wildcard_subscription_available", p.wildcard_subscription_available);
  opt_u(w, "subscription_identifier_available", p.subscription_identifier_available);
  opt_u(w, "shared_subscription_available", p.shared_subscription_available);
  w.end_object();
}

void write_packet(JsonWriter& w, const Packet& packet) {
  w.begin_object();
  w.key("type");
  w.string(cmd_name(packet_type(packet)));
  std::visit(
      [&w](const auto& p) {
        body(w, p);
        if constexpr (requires { p.properties; }) {
          w.key("properties");
          write_properties(w, p.properties);
        }
      },
      packet);
  w.end_object();
}

}  // namespace fleetload::crosscheck
