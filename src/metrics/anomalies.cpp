// The anomaly table: counters that a healthy broker and a healthy run leave at 0.
#include "metrics/anomalies.hpp"

#include <array>

namespace fleetload::metrics {
namespace {

// To show a new anomaly counter in the summary and the HTML report, add its line here.
constexpr std::array kAnomalies{
    AnomalyCounter{"decode_errors", "broker byte streams our decoder rejected"},
    AnomalyCounter{"protocol_violations", "well-formed packets the broker should not have sent"},
    AnomalyCounter{"unexpected_acks", "acks for packet ids not in flight (unknown or duplicate)"},
    AnomalyCounter{"puback_errors", "PUBACK/PUBREC with a failure reason code"},
    AnomalyCounter{"subscribe_filters_failed", "topic filters refused in SUBACKs"},
    AnomalyCounter{"subscribe_timeouts", "SUBSCRIBEs without a SUBACK in time"},
    AnomalyCounter{"subscribe_qos_downgraded", "topic filters granted a lower QoS than requested"},
    AnomalyCounter{"subscribers_unsubscribed", "subscribers never subscribed (refused, no SUBACK, never connected)"},
    AnomalyCounter{"share_groups_empty", "$share groups owed messages no member received: no shared subscriptions?"},
    AnomalyCounter{"messages_not_subscribed", "messages owed only to filters never granted: not counted lost"},
    AnomalyCounter{"connack_mqtt311_on_v5", "MQTT 5 CONNECTs answered with a 3.1.1 CONNACK: no MQTT 5"},
    AnomalyCounter{"oversize_packets", "packets not sent: over the server's Maximum Packet Size"},
    AnomalyCounter{"flow_control_stalls", "publishes held back: in-flight window full"},
    AnomalyCounter{"publishes_held_by_limit", "publishes that waited for session.publish_limit (AWS IoT Core: 100/s)"},
    AnomalyCounter{"qos_downgraded", "publishes sent at a lower QoS (server Maximum QoS)"},
    AnomalyCounter{"retain_cleared", "publishes sent without retain (server has no retain)"},
    AnomalyCounter{"publish_slots_skipped", "scheduled publishes never requested: a thread fell behind"},
    AnomalyCounter{"messages_clock_skewed", "messages stamped later than their arrival (clock skew)"},
    AnomalyCounter{"qos2_answered_with_puback", "broker answered QoS 2 with PUBACK: accepted at QoS 1 (booked acked)"},
    AnomalyCounter{"suback_count_mismatch", "SUBACKs/UNSUBACKs with a reason-code count unlike the filters sent"},
    AnomalyCounter{"topic_alias_invalid", "inbound topic aliases that are 0, too high or never set"},
    AnomalyCounter{"packets_too_large", "inbound packets over session.maximum_packet_size"},
    AnomalyCounter{"receive_maximum_exceeded", "inbound QoS 2 PUBLISHes beyond our Receive Maximum"},
    AnomalyCounter{"unexpected_session_present", "CONNACKs resuming a session after a Clean Start"},
    AnomalyCounter{"first_connect_stops", "devices that gave up after their first connect failed"},
};

}  // namespace

std::span<const AnomalyCounter> anomaly_counters() noexcept { return kAnomalies; }

std::optional<std::uint64_t> counter_by_name(const device::StatsSnapshot& s, std::string_view name) noexcept {
#define FLEETLOAD_X(n, help) \
  if (name == #n) return s.n;
  FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
  return std::nullopt;
}

std::vector<Anomaly> anomalies_of(const device::StatsSnapshot& s) {
  std::vector<Anomaly> out;
  for (const auto& a : kAnomalies) {
    const std::uint64_t n = counter_by_name(s, a.counter).value_or(0);
    if (n > 0) out.push_back({a.counter, a.label, n});
  }
  return out;
}

}  // namespace fleetload::metrics
