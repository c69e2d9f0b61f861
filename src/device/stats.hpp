// Per-worker-thread statistics: counters, gauges and log-linear latency histograms that
// the owner thread writes without lock-prefixed instructions and any thread may read.
//
// Concurrency rule: exactly one thread (the worker that owns the devices) writes a
// ThreadStats; others only load. Writes are load(relaxed) + store(relaxed), so the hot path
// costs a plain add; a reader may see a value a few increments old, never a torn one.
// For reports, `snapshot()` copies everything into plain numbers that merge across threads
// and across shard reports.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "mqtt/packet.hpp"

namespace fleetload::device {

// Why the transport went down (or never came up), as a label for metrics and the report.
enum class DropReason : std::uint8_t {
  None,
  ConnectFailed,     // TCP/TLS/WS could not be established
  ConnackTimeout,    // no CONNACK within the CONNACK timeout
  ConnackRefused,    // CONNACK with a failure code (counted by code in stats)
  PingTimeout,       // no PINGRESP within the ping timeout
  ServerDisconnect,  // DISCONNECT from the server (MQTT 5, counted by reason code)
  ProtocolError,     // the broker sent bytes our decoder rejects, or broke the protocol
  SocketError,       // read/write error or EOF from the broker
  Churn,             // the scenario dropped it on purpose (churn / storm phases)
  LocalLimit,        // we hit a local limit (descriptors, ephemeral ports): not the broker
  Shutdown,          // the run is ending
  LocalError,        // a fault of ours, not the broker's: our identity could not be loaded,
                     // a CONNECT could not be encoded (invalid client id, ...)
};
inline constexpr std::size_t kDropReasonCount = 12;
// snake_case label: "connect_failed", "ping_timeout", ...
const char* to_string(DropReason r) noexcept;

// Why a publish the device asked for ended neither acknowledged nor timed out.
enum class PublishFailReason : std::uint8_t {
  OfflineQueuePolicy,  // disconnected, and the offline-queue policy fails this QoS (§6)
  OfflineQueueFull,    // disconnected, and the bounded offline queue was full
  Disconnect,          // in flight when the connection went and the policy does not keep it
  PacketTooLarge,      // larger than the server's Maximum Packet Size
  Rejected,            // PUBACK/PUBREC with a reason code >= 0x80 (MQTT 5)
  Shutdown,            // still queued or in flight when the run stopped
  QosNotSupported,     // queued at a QoS the server no longer grants (Maximum QoS changed)
  Unencodable,         // could not be encoded at all (topic not valid UTF-8, over 65,535
                       // bytes, ...): a local error, not the broker's
};
inline constexpr std::size_t kPublishFailReasonCount = 8;
const char* to_string(PublishFailReason r) noexcept;

// Device Shadow requests (behaviour_shadow.hpp) and how each ended.
enum class ShadowOp : std::uint8_t { Get, Update };
inline constexpr std::size_t kShadowOpCount = 2;
const char* to_string(ShadowOp op) noexcept;  // "get", "update"
enum class ShadowOutcome : std::uint8_t {
  Accepted,
  Rejected400,
  Rejected404,
  Rejected409,
  Rejected413,
  Rejected429,
  Rejected500,
  RejectedOther,  // any other error code (401, 403, 415, ...)
  TimedOut,       // no answer within shadow.timeout
};
inline constexpr std::size_t kShadowOutcomeCount = 9;
const char* to_string(ShadowOutcome o) noexcept;  // "accepted", "rejected_400", ..., "timed_out"
ShadowOutcome shadow_outcome_of_code(int code) noexcept;
constexpr std::size_t shadow_index(ShadowOp op, ShadowOutcome o) noexcept {
  return static_cast<std::size_t>(op) * kShadowOutcomeCount + static_cast<std::size_t>(o);
}
inline constexpr std::size_t kShadowSlots = kShadowOpCount * kShadowOutcomeCount;

// AWS IoT Jobs requests (behaviour_jobs.hpp) and how each ended: accepted, rejected by the
// ErrorResponse code (awsiot::JobsErrorCode, in its order), or timed out.
enum class JobOp : std::uint8_t { StartNext, Update };
inline constexpr std::size_t kJobOpCount = 2;
const char* to_string(JobOp op) noexcept;  // "start_next", "update"
enum class JobOutcome : std::uint8_t {
  Accepted,
  RejectedInvalidTopic,  // the rejected codes follow awsiot::JobsErrorCode one to one
  RejectedInvalidJson,
  RejectedInvalidRequest,
  RejectedInvalidStateTransition,
  RejectedResourceNotFound,
  RejectedVersionMismatch,
  RejectedInternalError,
  RejectedRequestThrottled,
  RejectedTerminalStateReached,
  TimedOut,  // no answer within jobs.timeout
};
inline constexpr std::size_t kJobOutcomeCount = 11;
// "accepted", "rejected_invalid_topic", ..., "rejected_terminal_state_reached", "timed_out"
const char* to_string(JobOutcome o) noexcept;
constexpr std::size_t job_index(JobOp op, JobOutcome o) noexcept {
  return static_cast<std::size_t>(op) * kJobOutcomeCount + static_cast<std::size_t>(o);
}
inline constexpr std::size_t kJobSlots = kJobOpCount * kJobOutcomeCount;
// How a job execution the device started (start-next accepted with an execution) ended:
// its final update (SUCCEEDED or FAILED) accepted, or that update or the IN_PROGRESS one
// rejected, or one of them unanswered.
enum class JobEnd : std::uint8_t { Succeeded, Failed, Rejected, TimedOut };
inline constexpr std::size_t kJobEndCount = 4;
const char* to_string(JobEnd e) noexcept;  // "succeeded", "failed", "rejected", "timed_out"
// ---- Fleet Provisioning by claim (behaviour_provisioning.hpp) ----------------------------
// Requests and how each ended: statusCode classes as outcomes, errorCode apart.
enum class ProvisioningOp : std::uint8_t { CreateCertificate, RegisterThing };
inline constexpr std::size_t kProvisioningOpCount = 2;
const char* to_string(ProvisioningOp op) noexcept;  // "create_certificate", "register_thing"
enum class ProvisioningOutcome : std::uint8_t {
  Accepted,
  Rejected400,
  Rejected401,
  Rejected403,
  Rejected404,
  Rejected429,
  Rejected500,
  RejectedOther,  // any other statusCode
  TimedOut,       // no answer within provisioning.timeout
};
inline constexpr std::size_t kProvisioningOutcomeCount = 9;
const char* to_string(ProvisioningOutcome o) noexcept;  // "accepted", "rejected_400", ..., "timed_out"
ProvisioningOutcome provisioning_outcome_of_code(int status_code) noexcept;
constexpr std::size_t provisioning_index(ProvisioningOp op, ProvisioningOutcome o) noexcept {
  return static_cast<std::size_t>(op) * kProvisioningOutcomeCount + static_cast<std::size_t>(o);
}
inline constexpr std::size_t kProvisioningSlots = kProvisioningOpCount * kProvisioningOutcomeCount;
// Rejections by errorCode: the codes the service (and our responder) answer with, the rest
// as "other" (a per-thread table cannot hold open-ended strings).
enum class ProvisioningErrorCode : std::uint8_t {
  InvalidPayload,
  InvalidCsr,
  InvalidCertificateOwnershipToken,
  InvalidParameters,
  ResourceNotFound,
  Throttling,
  InternalFailure,
  Other,
};
inline constexpr std::size_t kProvisioningErrorCodeCount = 8;
const char* to_string(ProvisioningErrorCode c) noexcept;  // the errorCode text; "other"
ProvisioningErrorCode provisioning_error_code_of(std::string_view error_code) noexcept;
// ---- end Fleet Provisioning ----

// Per publish stream (fleet-wide stream id, FleetPlan::StreamPlan::id): what its publishers
// sent and what its subscribers' books say of it.
enum class StreamCount : std::uint8_t {
  Sent,             // PUBLISHes sent (first transmissions, every QoS)
  Acked,            // QoS 1/2 acknowledged
  Failed,           // requested and never sent or acknowledged (any PublishFailReason)
  Received,         // deliveries of this run's messages (by the payload header's stream)
  Lost,
  Duplicated,
  OutOfOrder,
  NotYetDelivered,  // still owed when the drain timed out
};
inline constexpr std::size_t kStreamCountKinds = 8;
inline constexpr std::size_t kMaxStreams = 16;  // = scenario::kMaxPublishStreams
const char* to_string(StreamCount c) noexcept;  // "sent", "acked", ..., "not_yet_delivered"
constexpr std::size_t stream_index(std::uint32_t stream, StreamCount c) noexcept {
  return static_cast<std::size_t>(stream < kMaxStreams ? stream : kMaxStreams - 1) * kStreamCountKinds +
         static_cast<std::size_t>(c);
}
inline constexpr std::size_t kStreamSlots = kMaxStreams * kStreamCountKinds;

// A monotonically increasing count with a single writer.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t load() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// Zero-filled anonymous memory (Histogram buckets, CounterTable): the kernel provides each
// page on its first touch, so what is never written costs no memory.
std::uint64_t* map_zero_pages(std::size_t bytes);
void unmap_zero_pages(std::uint64_t* p, std::size_t bytes) noexcept;

// N counters by code (CONNACK, SUBACK, PUBACK, DISCONNECT codes) with a single writer, in
// zero pages of their own: most codes never occur, so a table costs a page only once a
// count lands in it, not N x 8 B written at construction for every worker (every group
// has a worker per thread). Readers load through std::atomic_ref.
template <std::size_t N>
class CounterTable {
 public:
  class Ref {
   public:
    void add(std::uint64_t n = 1) noexcept {
      std::atomic_ref<std::uint64_t> a(*p_);
      a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t load() const noexcept { return std::atomic_ref<std::uint64_t>(*p_).load(std::memory_order_relaxed); }

   private:
    friend class CounterTable;
    explicit Ref(std::uint64_t* p) noexcept : p_(p) {}
    std::uint64_t* p_;
  };
  CounterTable() : v_(map_zero_pages(kBytes)) {}
  ~CounterTable() { unmap_zero_pages(v_, kBytes); }
  CounterTable(const CounterTable&) = delete;
  CounterTable& operator=(const CounterTable&) = delete;
  Ref operator[](std::size_t i) noexcept { return Ref(v_ + i); }
  const Ref operator[](std::size_t i) const noexcept { return Ref(v_ + i); }
  static constexpr std::size_t size() noexcept { return N; }
  const void* data() const noexcept { return v_; }  // the mapping (tests check residency)

 private:
  static constexpr std::size_t kBytes = N * sizeof(std::uint64_t);
  std::uint64_t* v_;
};

// A level (connected devices, messages in flight) with a single writer.
class Gauge {
 public:
  void add(std::int64_t d) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  }
  void set(std::int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  std::int64_t load() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Bucket layout shared by Histogram and HistogramSnapshot (HdrHistogram's log-linear idea):
// values below 256 ns are exact; above, each power of two is split into 128 equal buckets,
// so a bucket's width is at most 1/128 (0.8 %) of its values. Values up to 2^42 ns (~73 min)
// are resolved; larger ones land in the last bucket (max and sum stay exact).
namespace hist {
inline constexpr unsigned kSubBits = 7;                        // 128 buckets per octave
inline constexpr unsigned kTopBit = 42;                        // 2^42 ns ~ 73 minutes
inline constexpr std::size_t kBuckets = (kTopBit - kSubBits + 1) << kSubBits;  // 4608
std::size_t bucket_index(std::uint64_t v) noexcept;
std::uint64_t bucket_lowest(std::size_t i) noexcept;
std::uint64_t bucket_highest(std::size_t i) noexcept;  // inclusive
}  // namespace hist

// Plain (non-atomic) histogram contents: what reports carry, merge and query.
struct HistogramSnapshot {
  std::vector<std::uint64_t> counts;  // empty while count == 0, else hist::kBuckets long
  std::uint64_t count = 0;
  std::uint64_t sum = 0;  // ns
  std::uint64_t min = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max = 0;

  void record(std::uint64_t ns, std::uint64_t n = 1);
  void merge(const HistogramSnapshot& other);
  // Value at quantile q in [0, 1] (q = 0.99 is p99): the highest value equivalent to the
  // bucket holding that rank, clamped to [min, max]. 0 when empty.
  std::uint64_t percentile(double q) const noexcept;
  double mean() const noexcept { return count ? static_cast<double>(sum) / count : 0.0; }
  // Calls f(bucket_lowest, bucket_highest, count) for each non-empty bucket (sparse export).
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < counts.size(); ++i)
      if (counts[i]) f(hist::bucket_lowest(i), hist::bucket_highest(i), counts[i]);
  }
};

// Latency histogram in nanoseconds with a single writer and lock-free readers.
class Histogram {
 public:
  Histogram();
  ~Histogram();
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void record(std::uint64_t ns) noexcept;
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::uint64_t sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t min() const noexcept;  // 0 when empty
  std::uint64_t max() const noexcept { return max_.load(std::memory_order_relaxed); }
  std::uint64_t percentile(double q) const;  // convenience; snapshots are cheaper for many q
  // Adds this histogram's current contents into `s` (count taken from the buckets read,
  // so a snapshot is always self-consistent even while the owner keeps recording).
  void merge_into(HistogramSnapshot& s) const;

 private:
  // hist::kBuckets counters (36 KiB) in zero pages of their own: a page costs memory only
  // once a value lands in it, so the ten histograms of every worker's statistics cost a few
  // pages, not 360 KiB, per worker (device groups run a worker per group). One writer;
  // readers load through std::atomic_ref.
  std::uint64_t* buckets_ = nullptr;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> min_{std::numeric_limits<std::uint64_t>::max()};
  std::atomic<std::uint64_t> max_{0};
};

// Every scalar counter, with its metric name (fleetload_<name>_total in Prometheus) and a
// help line. One list keeps ThreadStats, StatsSnapshot, snapshot() and merge() in step, and
// lets the metrics and report code iterate instead of naming each field.
//
// Books for QoS >= 1 (per qos): publish_requests = publishes_acked + ack_timeouts +
//   publishes_failed + (in flight + offline queued, the gauges) — always balanced.
// For QoS 0: publish_requests = publishes_sent(first sends) + publishes_failed + queued.
#define FLEETLOAD_DEVICE_COUNTERS(X)                                                          \
  X(connect_attempts, "transport opens requested (first connects and reconnects)")           \
  X(transports_up, "transports established (TCP/TLS/WebSocket up, CONNECT sent)")            \
  X(connects_ok, "CONNACKs accepting the connection")                                         \
  X(connect_failures, "connect attempts that did not end in an accepting CONNACK")           \
  X(sessions_resumed, "accepting CONNACKs with Session Present set")                          \
  X(drops, "established MQTT connections lost (any reason but a clean stop)")                \
  X(reconnects, "reconnect attempts started after a drop or failure")                         \
  X(clean_disconnects, "DISCONNECTs sent by us at stop")                                      \
  X(publishes_retransmitted, "QoS 1/2 PUBLISHes re-sent with DUP after a reconnect")          \
  X(publishes_late, "scheduled publishes that went out more than one interval late")          \
  X(publish_slots_skipped, "scheduled publishes never requested: the thread fell too far behind") \
  X(flow_control_stalls, "publishes held back because the in-flight window was full")         \
  X(publishes_held_by_limit, "scheduled publishes that waited for the per-connection publish limit") \
  X(qos_downgraded, "publishes sent at a lower QoS because of the server's Maximum QoS")      \
  X(retain_cleared, "publishes sent without retain because the server has no retain")         \
  X(topic_alias_used, "publishes sent with a topic alias instead of the topic")              \
  X(puback_errors, "PUBACK/PUBREC with a failure reason code")                                \
  X(unexpected_acks, "acks for a packet id we did not have in flight")                       \
  X(messages_received, "PUBLISHes received on subscriptions")                                 \
  X(messages_untracked, "received PUBLISHes without our payload header")                      \
  X(messages_lost, "sequence numbers never received by a subscriber")                         \
  X(messages_duplicated, "sequence numbers received more than once where the delivery QoS (0, or 2) forbids it") \
  X(messages_duplicated_qos1, "sequence numbers received more than once at delivery QoS 1, which allows it (at least once)") \
  X(messages_lost_qos0, "of messages_lost, those owed at delivery QoS 0, which allows loss (at most once)") \
  X(share_groups_empty, "$share groups owed messages that no member received (a broker without shared subscriptions)") \
  X(messages_out_of_order, "messages received after a later sequence number")                \
  X(messages_from_earlier_run, "received messages stamped by an earlier run (retained or queued for a persistent session)") \
  X(retained_received, "received PUBLISHes with the RETAIN flag (from the broker's retained store)") \
  X(messages_not_yet_delivered, "messages still missing when the end-of-run drain timed out with deliveries still arriving") \
  X(messages_clock_skewed, "received messages stamped later than their arrival (clock skew)") \
  X(pings_sent, "PINGREQs sent")                                                              \
  X(pings_answered, "PINGRESPs received")                                                     \
  X(ping_timeouts, "connections dropped for a missing PINGRESP")                              \
  X(subscribe_requests, "SUBSCRIBE packets sent")                                             \
  X(subscribe_filters_ok, "topic filters granted in SUBACKs")                                 \
  X(subscribe_filters_failed, "topic filters refused in SUBACKs")                             \
  X(subscribe_qos_downgraded, "topic filters granted a lower QoS in SUBACK than requested")   \
  X(subscribers_unsubscribed, "subscribers no SUBACK ever granted a filter (refused or unanswered): nothing expected") \
  X(messages_not_subscribed, "messages matching only filters never granted: not expected, not counted lost") \
  X(messages_unjudged, "messages of another shard's publishers sent while a subscription may no longer (or not yet) have been held: neither owed nor lost (report merge)") \
  X(subscribes_skipped_resumed, "SUBSCRIBEs not needed: the broker kept the session")         \
  X(subscribe_timeouts, "SUBSCRIBEs without a SUBACK within the ack timeout")                 \
  X(unsubscribe_requests, "UNSUBSCRIBE packets sent")                                         \
  X(unsuback_received, "UNSUBACKs received")                                                  \
  X(bytes_sent, "bytes handed to the transport")                                              \
  X(bytes_received, "bytes received from the transport")                                      \
  X(oversize_packets, "packets not sent because of the server's Maximum Packet Size")        \
  X(connects_unencodable, "CONNECTs that could not be encoded (client id, username, will): local errors") \
  X(decode_errors, "broker byte streams our decoder rejected")                                \
  X(protocol_violations, "well-formed packets the broker should not have sent")              \
  X(connack_mqtt311_on_v5, "MQTT 5 CONNECTs answered with an MQTT 3.1.1 CONNACK 0x01 (no MQTT 5 on the broker)") \
  X(qos2_answered_with_puback, "QoS 2 publishes the broker answered with PUBACK (it downgraded them to QoS 1)") \
  X(suback_count_mismatch, "SUBACKs/UNSUBACKs whose reason-code count differs from the filters sent") \
  X(topic_alias_invalid, "inbound topic aliases that are 0, above our maximum or never set")   \
  X(packets_too_large, "inbound packets over session.maximum_packet_size, refused at their header") \
  X(receive_maximum_exceeded, "inbound QoS 2 PUBLISHes beyond our Receive Maximum awaiting PUBREL") \
  X(unexpected_session_present, "MQTT 5 CONNACKs resuming a session after a Clean Start (refused)") \
  X(first_connect_stops, "devices that gave up after their first connect failed (reconnect.first_connect_failure: stop)") \
  X(shadow_deltas_received, "shadow update/delta documents received")                         \
  X(shadow_version_regressions, "shadow documents older (lower version) than one seen before") \
  X(shadow_conflict_retries, "shadow updates retried by get-then-update after a 409 conflict") \
  X(shadow_foreign_responses, "shadow answers with a clientToken of no request in flight (ignored)") \
  X(job_notifications, "jobs notify-next messages announcing a pending execution")            \
  X(job_starts, "job executions started: start-next accepted with an execution")             \
  X(job_foreign_responses, "jobs answers with a clientToken of no request in flight (ignored)") \
  X(job_version_retries, "jobs updates sent again with the current versionNumber after a VersionMismatch rejection") \
  X(aws_requests_acked, "AWS IoT behaviour requests (shadow, jobs, provisioning) at QoS 1 acknowledged with PUBACK") \
  X(aws_requests_refused, "AWS IoT behaviour requests at QoS 1 answered with a PUBACK failure reason code (MQTT 5)") \
  X(aws_requests_unacked, "AWS IoT behaviour requests at QoS 1 with no PUBACK when the connection ended or their timeout passed") \
  X(provisioning_attempts, "provisioning attempts begun on a claim connection (answer topics subscribed)") \
  X(provisioning_failures, "provisioning attempts that ended rejected, timed out or with an unusable answer") \
  X(provisioning_bad_answers, "provisioning answers that could not be decoded or used (certificate, key, thing name)") \
  X(provisioning_devices, "devices connected with their provisioned identity (first time each)")

// Counters per QoS (0, 1, 2).
#define FLEETLOAD_DEVICE_QOS_COUNTERS(X)                                  \
  X(publish_requests, "publishes the device application asked for")      \
  X(publishes_sent, "PUBLISH packets sent (first transmission)")         \
  X(publishes_acked, "PUBLISHes acknowledged (PUBACK / PUBCOMP)")        \
  X(ack_timeouts, "PUBLISHes not acknowledged within the ack timeout")

// Histograms (ns).
#define FLEETLOAD_DEVICE_HISTOGRAMS(X)                                                        \
  X(connect_duration, "transport up (CONNECT sent) to accepting CONNACK")                    \
  X(time_to_connect, "transport open requested to accepting CONNACK")                        \
  X(tcp_connect, "TCP connect (recorded by the engine)")                                      \
  X(tls_handshake, "TLS handshake (recorded by the engine)")                                  \
  X(websocket_handshake, "WebSocket upgrade (recorded by the engine)")                        \
  X(reconnect_delay, "backoff delay chosen before a reconnect")                               \
  X(ack_latency, "PUBLISH to PUBACK (QoS 1) or PUBCOMP (QoS 2)")                              \
  X(e2e_latency, "publisher send time to subscriber receive time")                            \
  X(ping_rtt, "PINGREQ to PINGRESP")                                                          \
  X(subscribe_latency, "SUBSCRIBE to SUBACK")                                                 \
  X(shadow_get_latency, "shadow get request to its accepted/rejected answer")                 \
  X(shadow_update_latency, "shadow update request to its accepted/rejected answer")          \
  X(job_start_next_latency, "jobs start-next request to its accepted/rejected answer")       \
  X(job_update_latency, "jobs UpdateJobExecution request to its accepted/rejected answer")   \
  X(job_time_to_start, "job announced (notify-next, or the start-next at connect) to start-next accepted") \
  X(job_duration, "job announced (notify-next, or the start-next at connect) to its final update accepted") \
  X(provisioning_create_latency, "certificate request (create / create-from-csr) to its answer") \
  X(provisioning_register_latency, "RegisterThing request to its answer")                     \
  X(provisioning_latency, "first claim connect attempt to connected with the provisioned identity")

// Gauges (levels) maintained by the owner thread.
#define FLEETLOAD_DEVICE_GAUGES(X)                                           \
  X(connected, "devices with an accepted MQTT connection")                  \
  X(connecting, "devices opening a transport or waiting for CONNACK")       \
  X(backing_off, "devices waiting for their reconnect delay")               \
  X(in_flight, "QoS 1/2 publishes sent and not yet acknowledged")           \
  X(offline_queued, "publishes queued while disconnected")                 \
  X(shadow_in_flight, "Device Shadow requests sent and not yet answered or timed out") \
  X(job_requests_in_flight, "Jobs requests sent and not yet answered or timed out") \
  X(job_executions_in_progress, "job executions started and not yet ended") \
  X(provisioning_in_flight, "Fleet Provisioning requests sent and not yet answered or timed out")

struct ThreadStats {
#define FLEETLOAD_X(name, help) Counter name;
  FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) std::array<Counter, 3> name;
  FLEETLOAD_DEVICE_QOS_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) Gauge name;
  FLEETLOAD_DEVICE_GAUGES(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) Histogram name;
  FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X

  std::array<Counter, kDropReasonCount> connect_failed_by_reason;  // failed connect attempts
  std::array<Counter, kDropReasonCount> drops_by_reason;           // lost after CONNACK ok
  std::array<Counter, kPublishFailReasonCount> publishes_failed;   // by reason (all QoS)
  std::array<Counter, 3> publishes_failed_by_qos;
  CounterTable<256> connack_codes;             // every CONNACK code, success included
  CounterTable<256> server_disconnect_codes;   // MQTT 5 DISCONNECT from the server
  CounterTable<256> suback_codes;              // per topic filter
  CounterTable<256> puback_codes;              // MQTT 5 PUBACK/PUBREC failure codes
  CounterTable<256> suback_grants;             // suback_grant_index(filter, code)
  std::array<Counter, kShadowSlots> shadow_ops;       // shadow_index(op, outcome)
  std::array<Counter, kJobSlots> job_requests;         // job_index(op, outcome)
  std::array<Counter, kJobEndCount> job_executions;    // by JobEnd
  std::array<Counter, kProvisioningSlots> provisioning_ops;              // provisioning_index(op, outcome)
  std::array<Counter, kProvisioningErrorCodeCount> provisioning_errors;  // rejections by errorCode
  CounterTable<kStreamSlots> stream_counts;           // stream_index(stream, count)
  void count_stream(std::uint32_t stream, StreamCount c, std::uint64_t n = 1) noexcept {
    stream_counts[stream_index(stream, c)].add(n);
  }
};

// Plain copy of ThreadStats, mergeable across threads and shards.
struct StatsSnapshot {
#define FLEETLOAD_X(name, help) std::uint64_t name = 0;
  FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) std::array<std::uint64_t, 3> name{};
  FLEETLOAD_DEVICE_QOS_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) std::int64_t name = 0;
  FLEETLOAD_DEVICE_GAUGES(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) HistogramSnapshot name;
  FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X

  std::array<std::uint64_t, kDropReasonCount> connect_failed_by_reason{};
  std::array<std::uint64_t, kDropReasonCount> drops_by_reason{};
  std::array<std::uint64_t, kPublishFailReasonCount> publishes_failed{};
  std::array<std::uint64_t, 3> publishes_failed_by_qos{};
  std::array<std::uint64_t, 256> connack_codes{};
  std::array<std::uint64_t, 256> server_disconnect_codes{};
  std::array<std::uint64_t, 256> suback_codes{};
  std::array<std::uint64_t, 256> puback_codes{};
  std::array<std::uint64_t, 256> suback_grants{};
  std::array<std::uint64_t, kShadowSlots> shadow_ops{};
  std::uint64_t shadow_count(ShadowOp op, ShadowOutcome o) const noexcept { return shadow_ops[shadow_index(op, o)]; }
  std::array<std::uint64_t, kJobSlots> job_requests{};
  std::array<std::uint64_t, kJobEndCount> job_executions{};
  std::uint64_t job_count(JobOp op, JobOutcome o) const noexcept { return job_requests[job_index(op, o)]; }
  std::uint64_t job_ended(JobEnd e) const noexcept { return job_executions[static_cast<std::size_t>(e)]; }
  std::array<std::uint64_t, kProvisioningSlots> provisioning_ops{};
  std::array<std::uint64_t, kProvisioningErrorCodeCount> provisioning_errors{};
  std::uint64_t provisioning_count(ProvisioningOp op, ProvisioningOutcome o) const noexcept {
    return provisioning_ops[provisioning_index(op, o)];
  }
  std::array<std::uint64_t, kStreamSlots> stream_counts{};
  std::uint64_t stream_count(std::uint32_t stream, StreamCount c) const noexcept {
    return stream_counts[stream_index(stream, c)];
  }

  // True when, for QoS q >= 1, requests == acked + timed out + failed + pending, where
  // pending is what the caller knows is still in flight or queued (the gauges, summed
  // over QoS 1 and 2, are exact when only one QoS is used).
  bool books_balance(unsigned qos, std::uint64_t pending) const noexcept {
    return publish_requests[qos] ==
           publishes_acked[qos] + ack_timeouts[qos] + publishes_failed_by_qos[qos] + pending;
  }
};

StatsSnapshot snapshot(const ThreadStats& s);
void merge(StatsSnapshot& into, const StatsSnapshot& from);
// What happened between two snapshots of the same source (later - earlier): counters and
// histograms are differences, gauges are `later`'s levels. Histogram min/max of the window
// are bucket bounds (exact to the bucket width).
StatsSnapshot delta(const StatsSnapshot& later, const StatsSnapshot& earlier);

// Connect failures and drops the broker (or the path to it) caused: every reason but our own
// limits and faults, on-purpose drops (churn) and the stop.
std::uint64_t broker_caused_errors(const StatsSnapshot& s) noexcept;
HistogramSnapshot delta(const HistogramSnapshot& later, const HistogramSnapshot& earlier);

// SUBACK answers per topic filter of the scenario (subscribe.filters[i]), requested vs granted:
// slot filter * 16 + requested QoS * 4 + granted QoS (0..2), or 3 when refused (code >=
// 0x80). Filters from the 16th on share filter 15's slots.
inline constexpr std::size_t kSubackGrantFilters = 16;
constexpr std::size_t suback_grant_index(std::size_t filter, std::uint8_t requested, std::uint8_t code) noexcept {
  return (filter < kSubackGrantFilters ? filter : kSubackGrantFilters - 1) * 16 + (requested & 3) * 4 +
         (code >= 0x80 ? 3 : code & 3);
}
struct SubackGrant {
  std::size_t filter;
  std::uint8_t requested;
  std::uint8_t granted;  // 0..2, 3 = refused
};
constexpr SubackGrant suback_grant_of(std::size_t index) noexcept {
  return {index / 16, static_cast<std::uint8_t>(index / 4 % 4), static_cast<std::uint8_t>(index % 4)};
}

// Name of a CONNACK code for labels: the 3.1.1 return code name or the MQTT 5 reason code
// name (via mqtt::to_string), by the protocol version of the run.
const char* connack_code_name(mqtt::Version v, std::uint8_t code) noexcept;

}  // namespace fleetload::device
