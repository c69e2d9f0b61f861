// Value semantics of the packet structs: emptiness, clearing without freeing, equality.
#include <algorithm>

#include "mqtt/wire.hpp"

namespace fleetload::mqtt {
namespace {

// Spans have no operator==; packets compare bytes.
bool same(Bytes a, Bytes b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }
bool same(const std::optional<Bytes>& a, const std::optional<Bytes>& b) {
  return a.has_value() == b.has_value() && (!a || same(*a, *b));
}

}  // namespace

bool Properties::empty() const noexcept { return detail::props_empty(*this); }

namespace {
// Assigning a disengaged optional of a trivially copyable type is a plain store, where
// reset() is a test and a branch per field; clear() runs on every decoded packet.
template <class T>
void disengage(std::optional<T>& o) noexcept {
  o = std::optional<T>();
}
}  // namespace

void Properties::clear() noexcept {
  disengage(payload_format_indicator);
  disengage(message_expiry_interval);
  disengage(content_type);
  disengage(response_topic);
  disengage(correlation_data);
  subscription_identifiers.clear();
  disengage(session_expiry_interval);
  disengage(assigned_client_identifier);
  disengage(server_keep_alive);
  disengage(authentication_method);
  disengage(authentication_data);
  disengage(request_problem_information);
  disengage(will_delay_interval);
  disengage(request_response_information);
  disengage(response_information);
  disengage(server_reference);
  disengage(reason_string);
  disengage(receive_maximum);
  disengage(topic_alias_maximum);
  disengage(topic_alias);
  disengage(maximum_qos);
  disengage(retain_available);
  user_properties.clear();
  disengage(maximum_packet_size);
  disengage(wildcard_subscription_available);
  disengage(subscription_identifier_available);
  disengage(shared_subscription_available);
}

bool Properties::operator==(const Properties& o) const {
  return payload_format_indicator == o.payload_format_indicator &&
         message_expiry_interval == o.message_expiry_interval && content_type == o.content_type &&
         response_topic == o.response_topic && same(correlation_data, o.correlation_data) &&
         subscription_identifiers == o.subscription_identifiers &&
         session_expiry_interval == o.session_expiry_interval &&
         assigned_client_identifier == o.assigned_client_identifier &&
         server_keep_alive == o.server_keep_alive &&
         authentication_method == o.authentication_method &&
         same(authentication_data, o.authentication_data) &&
         request_problem_information == o.request_problem_information &&
         will_delay_interval == o.will_delay_interval &&
         request_response_information == o.request_response_information &&
         response_information == o.response_information && server_reference == o.server_reference &&
         reason_string == o.reason_string && receive_maximum == o.receive_maximum &&
         topic_alias_maximum == o.topic_alias_maximum && topic_alias == o.topic_alias &&
         maximum_qos == o.maximum_qos && retain_available == o.retain_available &&
         user_properties == o.user_properties && maximum_packet_size == o.maximum_packet_size &&
         wildcard_subscription_available == o.wildcard_subscription_available &&
         subscription_identifier_available == o.subscription_identifier_available &&
         shared_subscription_available == o.shared_subscription_available;
}

bool Will::operator==(const Will& o) const {
  return topic == o.topic && same(payload, o.payload) && qos == o.qos && retain == o.retain &&
         properties == o.properties;
}

bool Connect::operator==(const Connect& o) const {
  return version == o.version && clean_start == o.clean_start && keep_alive == o.keep_alive &&
         client_id == o.client_id && will == o.will && username == o.username &&
         same(password, o.password) && properties == o.properties;
}

bool Connack::operator==(const Connack& o) const {
  return session_present == o.session_present && reason_code == o.reason_code &&
         mqtt311_answer == o.mqtt311_answer && properties == o.properties;
}

bool Publish::operator==(const Publish& o) const {
  return topic == o.topic && same(payload, o.payload) && qos == o.qos && retain == o.retain &&
         dup == o.dup && packet_id == o.packet_id && properties == o.properties;
}

bool PubAck::operator==(const PubAck& o) const {
  return type == o.type && packet_id == o.packet_id && reason_code == o.reason_code &&
         properties == o.properties;
}

bool Subscribe::operator==(const Subscribe& o) const {
  return packet_id == o.packet_id && subscriptions == o.subscriptions && properties == o.properties;
}

bool Suback::operator==(const Suback& o) const {
  return packet_id == o.packet_id && reason_codes == o.reason_codes && properties == o.properties;
}

bool Unsubscribe::operator==(const Unsubscribe& o) const {
  return packet_id == o.packet_id && filters == o.filters && properties == o.properties;
}

bool Unsuback::operator==(const Unsuback& o) const {
  return packet_id == o.packet_id && reason_codes == o.reason_codes && properties == o.properties;
}

bool Disconnect::operator==(const Disconnect& o) const {
  return reason_code == o.reason_code && properties == o.properties;
}

bool Auth::operator==(const Auth& o) const {
  return reason_code == o.reason_code && properties == o.properties;
}

PacketType packet_type(const Packet& p) noexcept {
  switch (p.index()) {
    case 0: return PacketType::Connect;
    case 1: return PacketType::Connack;
    case 2: return PacketType::Publish;
    case 3: return std::get_if<PubAck>(&p)->type;
    case 4: return PacketType::Subscribe;
    case 5: return PacketType::Suback;
    case 6: return PacketType::Unsubscribe;
    case 7: return PacketType::Unsuback;
    case 8: return PacketType::Pingreq;
    case 9: return PacketType::Pingresp;
    case 10: return PacketType::Disconnect;
    default: return PacketType::Auth;
  }
}

}  // namespace fleetload::mqtt
