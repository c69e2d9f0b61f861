// One simulated device's MQTT session as a sans-I/O state machine.
//
// The engine owns sockets and timers; the session owns MQTT. The engine calls one of the
// on_* entry points with a per-thread Context, then carries out what the session asked for
// in that Context: write ctx.out to the transport, open or close the transport, and call
// on_timer() when deadline() is reached. Any call may move the deadline: read deadline()
// again after every call. Nothing here blocks, locks, or knows threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "device/backoff.hpp"
#include "device/stats.hpp"
#include "mqtt/codec.hpp"

namespace fleetload::scenario { struct Scenario; }
namespace fleetload::auth { class ClientIdentity; }

namespace fleetload::device {

struct OwedRange;  // payload.hpp

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
inline constexpr TimePoint kNever = TimePoint::max();

class FleetPlan;  // immutable, shared by all sessions of a run: see fleet_plan.hpp
class Session;
class ShadowBehaviour;  // behaviour_shadow.hpp
class JobsBehaviour;    // behaviour_jobs.hpp
class ProvisioningBehaviour;  // behaviour_provisioning.hpp

// DropReason (why the transport went down) lives in stats.hpp, which labels by it.

// What the session asks the engine to do once the current call returns.
enum class TransportAction : std::uint8_t {
  None,
  Open,   // start connecting (TCP, then TLS/WS as the auth mode says), then call on_transport_up
  Close,  // write whatever is in ctx.out, then close; do NOT call on_transport_down for it
};

// Bytes the engine writes after out[0, at) and before out[at, ...): a payload body shared by
// every message (FleetPlan::payload_body), sent by scatter-gather instead of being copied.
struct Splice {
  std::size_t at = 0;
  std::span<const std::uint8_t> bytes;
};

// Per-thread scratch passed into every call; the session never keeps a pointer to it.
struct ForeignBooks;

struct Context {
  TimePoint now{};
  std::uint64_t wall_ns = 0;            // system_clock now, in ns: payload timestamps
  std::vector<std::uint8_t>& out;       // bytes to send; the engine writes and clears it
  TransportAction action = TransportAction::None;
  ThreadStats& stats;                   // owned by the worker thread, read by scrapes
  std::uint64_t rng_state = 0;          // the worker's splitmix64 state (device/rng.hpp)
  // When set (plain TCP), large shared payload bodies are recorded here rather than copied
  // into `out`; the engine clears it with `out`. Null: everything goes into `out`.
  std::vector<Splice>* splices = nullptr;
  // The worker's publish-rate scale (a capacity search varying publish_rate): every stream's
  // interval is divided by it; 0 pauses the schedules (nothing is published, nothing is
  // owed). 1 outside a search.
  double publish_scale = 1.0;
  // Set by the session for the length of a call into one of its AWS IoT behaviours (shadow,
  // jobs, provisioning): their requests go out through it (Session::send_request), so QoS 1
  // ones take its packet ids. The engine leaves it null.
  Session* session = nullptr;
};

enum class State : std::uint8_t {
  Idle,          // not started, or stopped for good
  Connecting,    // transport being opened
  AwaitConnack,  // CONNECT sent
  Connected,     // CONNACK accepted: subscribing / publishing / keeping alive
  Disconnecting, // not entered today: stop() writes DISCONNECT, asks Close, and is Stopped
  BackingOff,    // waiting for the reconnect delay
  Stopped,       // shut down; will not reconnect
};

class Session {
 public:
  // `plan` must outlive the session. `device_index` is the device's index in the whole
  // fleet (all shards): it selects the client id, topics, and whether it publishes or
  // subscribes.
  Session(const FleetPlan& plan, std::uint32_t device_index);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Begin the device's life: asks the engine to open the transport (action = Open).
  void start(Context& ctx);
  // The transport is up: sends CONNECT, arms the CONNACK timeout.
  void on_transport_up(Context& ctx);
  // Bytes from the broker, in any chunking.
  void on_data(Context& ctx, std::span<const std::uint8_t> bytes);
  // The transport failed or closed under us (not after our own Close).
  void on_transport_down(Context& ctx, DropReason why, std::error_code ec);
  // deadline() has been reached (the engine may call late, never early).
  void on_timer(Context& ctx);
  // Drop the connection as a network failure would (churn/storm): no DISCONNECT is sent,
  // the reconnect policy applies.
  void drop(Context& ctx);
  // End of run: DISCONNECT (normal) when connected, then Close; never reconnects. What is
  // still in flight or queued is counted as failed (Shutdown).
  void stop(Context& ctx);

  // Stops the publish schedule (no new publishes) but keeps the connection, so in-flight
  // QoS 1/2 messages can still be acknowledged before stop(): a graceful end of run waits
  // until pending_publishes() is 0 (or a grace time) for every device, then stops.
  void stop_publishing() noexcept;
  // The worker's ctx.publish_scale changed: a running schedule draws each stream's next
  // publish afresh within its new interval (a random phase, as at the first CONNACK).
  void rescale_schedule(Context& ctx);
  // UNSUBSCRIBE from every filter (when connected and subscribed).
  void unsubscribe(Context& ctx);

  TimePoint deadline() const noexcept;
  State state() const noexcept { return state_; }
  // The certificate and key to present instead of the group's (Fleet Provisioning by claim,
  // from RegisterThing accepted on); null for every other device.
  const auth::ClientIdentity* client_identity() const noexcept;
  std::uint32_t index() const noexcept { return index_; }

  // QoS 1/2 messages in flight plus publishes queued (offline or behind a full window).
  std::uint32_t pending_publishes() const noexcept { return inflight_count_ + queued_; }
  // The last sequence number this device has put in a payload (0 = none): what subscribers
  // should have received from it, for ReceiveTracker finalisation.
  // Per publish stream: `stream` is its position in the plan's streams.
  std::uint64_t last_sequence(std::size_t stream = 0) const noexcept;
  // End of run, for subscribing devices: every message a publisher sent (by its
  // last_sequence(s), indexed by FleetPlan::stream_key(fleet device index, stream id); 0 =
  // unknown or none) that this device
  // should have received and did not counts as lost in `stats` — or, when `still_arriving`
  // (the end-of-run drain timed out while deliveries were still coming in), as not yet
  // delivered at stop. Call once, after the publishers stopped and deliveries had time to
  // arrive.
  void finalize_receive(ThreadStats& stats, std::span<const std::uint64_t> last_seq_by_device,
                        bool still_arriving = false);
  // Sharded runs, after finalize_receive: what this subscriber's books say of every
  // publisher stream of another shard it received or expected (device/books_exchange.hpp),
  // appended to `out` for `report merge` to settle; `wall_ns` is now.
  void collect_foreign_books(std::span<const std::uint64_t> last_seq_by_device, std::uint64_t wall_ns,
                             std::uint32_t group, std::vector<ForeignBooks>& out) const;
  // Heap bytes this session owns (in-flight array, receive buffer, tracker): for the memory
  // report; sizeof(Session) is the rest.
  std::size_t heap_bytes() const noexcept;

  // For the AWS IoT behaviours (behaviour_aws.hpp), reached through Context::session: sends
  // the request `p` at its QoS (0 or 1; at most the server's Maximum QoS). At QoS 1 it gets a
  // packet id from this session's allocator, which no publish, SUBSCRIBE or other request
  // awaiting its ack holds, and is booked as awaiting its PUBACK until the PUBACK comes, the
  // connection ends or the behaviours' timeout passes (aws_requests_acked / _refused /
  // _unacked). False: not encodable; nothing sent or booked.
  bool send_request(Context& ctx, mqtt::Publish& p);

 private:
  struct InFlight;  // one QoS 1/2 publish awaiting its ack (session.cpp)
  struct Inbound;   // what receiving needs: sequence tracker, QoS 2 ids awaiting PUBREL
  struct StreamState;  // one publish stream's schedule, sequence and queue (several streams)
  struct More;      // what few devices need: an assigned client id, several streams' state

  template <class P>
  bool emit(Context& ctx, const P& packet);  // encode into ctx.out (session_impl.hpp)

  // session.cpp: connection life cycle
  void set_state(Context& ctx, State s) noexcept;
  void open(Context& ctx);
  bool send_connect(Context& ctx);
  void stash(std::span<const std::uint8_t> bytes);
  std::size_t process(Context& ctx, std::span<const std::uint8_t> in);
  void process_stash(Context& ctx);  // processes rx_[0, rx_len_), keeps the rest
  void protocol_drop(Context& ctx, mqtt::ReasonCode rc);
  void handle_packet(Context& ctx, const mqtt::Packet& p);
  void on_connack(Context& ctx, const mqtt::Connack& c);
  // Sends the SUBSCRIBE of filters [first, first + batch) (FleetPlan::subscribe_batch).
  void start_subscribe(Context& ctx, std::size_t first = 0);
  void on_suback(Context& ctx, const mqtt::Suback& s);
  void keep_alive(Context& ctx);
  std::chrono::nanoseconds ping_timeout_in_force() const noexcept;
  void push_ping_off(TimePoint request_sent) noexcept;
  void on_unsuback(Context& ctx, const mqtt::Unsuback& u);
  void join_share(std::size_t filter);
  void give_up(Context& ctx);
  void connection_lost(Context& ctx, DropReason why, bool close);
  void enter_backoff(Context& ctx);
  std::string_view current_client_id(std::string& scratch) const;

  // session_publish.cpp: the publish side, acks, receiving
  // A publish stream's state: the members for a one-stream plan, more_->streams otherwise.
  // next_publish_ is then the earliest stream's due time, queued_ the total queued.
  bool several_streams() const noexcept;
  std::size_t stream_states() const noexcept;  // the streams whose state it keeps (1 for one stream)
  TimePoint& due(std::size_t s) noexcept;
  std::uint64_t& seq(std::size_t s) noexcept;
  std::uint32_t queued_of(std::size_t s) const noexcept;
  std::uint8_t& queued_qos(std::size_t s) noexcept;
  void add_queued(std::size_t s, std::int64_t n) noexcept;
  void refresh_next_publish() noexcept;
  bool alias_mapped(std::size_t s) const noexcept;
  void set_alias_mapped(std::size_t s);
  void start_schedule(Context& ctx);
  void advance_schedule(Context& ctx, std::size_t s);
  void run_schedule(Context& ctx);
  void run_stream(Context& ctx, std::size_t s);
  // The per-connection publish limit (FleetPlan::publish_gap, session.publish_limit): true
  // while the next PUBLISH must wait; charge_publish() books one PUBLISH sent.
  bool publish_limited(const Context& ctx) const noexcept;
  void charge_publish(const Context& ctx);
  mqtt::QoS effective_qos(std::size_t s) const noexcept;
  void request_publish(Context& ctx, std::size_t s);
  void enqueue(Context& ctx, std::size_t s, std::uint8_t qos);
  void count_failed(Context& ctx, std::size_t s, std::uint8_t qos, PublishFailReason r) const;
  bool send_new(Context& ctx, std::size_t s, std::uint8_t qos);
  // false: not sent; `why` (when given) says whether the server's limit or encoding refused it.
  bool send_publish(Context& ctx, const InFlight& e, bool dup, std::uint64_t wall_ns,
                    PublishFailReason* why = nullptr);
  void pump(Context& ctx);
  void resend_in_flight(Context& ctx, bool session_present);
  void ensure_in_flight_capacity();
  void remove_in_flight(Context& ctx, std::size_t i);
  std::uint16_t next_packet_id() noexcept;
  void send_ack(Context& ctx, mqtt::PacketType t, std::uint16_t id, std::uint8_t rc);
  void expire_acks(Context& ctx);
  void on_ack(Context& ctx, const mqtt::PubAck& a);
  void fail_on_disconnect(Context& ctx);
  void fail_all(Context& ctx, PublishFailReason r);
  void on_publish(Context& ctx, const mqtt::Publish& p);
  void owed_ranges(std::vector<OwedRange>& out, std::size_t pub, std::uint32_t stream_id, std::uint64_t last) const;

  // session_shadow.cpp: the Device Shadow behaviour's hooks (behaviour_shadow.hpp); it lives
  // in inbound_, so a device without one pays nothing.
  ShadowBehaviour* shadow() const noexcept;
  void shadow_connected(Context& ctx, bool session_present);
  void shadow_timer(Context& ctx);
  // session_jobs.cpp: the AWS IoT Jobs behaviour's hooks (behaviour_jobs.hpp), in inbound_ too.
  JobsBehaviour* jobs() const noexcept;
  bool jobs_may_start() const noexcept;
  void jobs_connected(Context& ctx, bool session_present);
  void jobs_timer(Context& ctx);

  // session_provisioning.cpp: the Fleet Provisioning behaviour's hooks
  // (behaviour_provisioning.hpp), in inbound_ too.
  ProvisioningBehaviour* provisioning() const noexcept;
  // At an accepting CONNACK: true on the claim connection (only provisioning runs on it),
  // false once connected with the new identity (the workload runs).
  bool provisioning_connected(Context& ctx);
  // RegisterThing accepted: DISCONNECT, then connect again at once with the new identity.
  void provisioning_reconnect(Context& ctx);

  // session_aws.cpp: what the behaviours share. A PUBLISH one of them takes (its answer
  // topics) is handled there and acknowledged here; false: not theirs.
  bool behaviours_take(Context& ctx, const mqtt::Publish& p);
  // A PUBACK for a behaviour's QoS 1 request: booked; false when `a` is not one.
  bool on_request_ack(Context& ctx, const mqtt::PubAck& a);
  // Requests whose PUBACK is past the behaviours' timeout: counted unacked, forgotten.
  void expire_request_acks(Context& ctx);
  // The connection ends: every request still awaiting its PUBACK is counted unacked.
  void drop_request_acks(Context& ctx);
  std::chrono::nanoseconds request_ack_timeout() const noexcept;

  const FleetPlan* plan_;
  std::uint32_t index_;
  State state_ = State::Idle;
  std::uint8_t flags_ = 0;             // kFlag* bits (session.cpp)
  std::uint8_t server_max_qos_ = 2;    // from the last CONNACK (MQTT 5 Maximum QoS)
  std::uint8_t queued_qos_ = 0;        // QoS of the queued publishes
  std::uint16_t keepalive_s_ = 0;      // in force: ours, or the Server Keep Alive
  std::uint16_t send_window_ = 0;      // in-flight limit: min(server Receive Maximum, plan)
  std::uint16_t server_alias_max_ = 0; // server Topic Alias Maximum (0 = no aliases)
  std::uint16_t packet_id_ = 0;        // last packet identifier used
  std::uint16_t subscribe_id_ = 0;     // SUBSCRIBE awaiting its SUBACK (0 = none)
  std::uint16_t unsubscribe_id_ = 0;   // UNSUBSCRIBE awaiting its UNSUBACK (0 = none)
  std::uint16_t inflight_count_ = 0;
  std::uint16_t inflight_cap_ = 0;
  std::uint32_t server_max_packet_ = 0;  // server Maximum Packet Size (0 = no limit)
  std::uint32_t queued_ = 0;             // publishes queued (generated when sent)
  std::uint32_t rx_len_ = 0;             // bytes of a partial packet in rx_
  std::uint32_t rx_cap_ = 0;
  BackoffState backoff_;
  std::uint64_t next_seq_ = 1;
  TimePoint timer_ = kNever;        // AwaitConnack: CONNACK timeout; BackingOff: reconnect
  TimePoint opened_at_{};           // Open requested (time to connect)
  TimePoint since_{};               // transport up; then CONNACK accepted (reset_after)
  TimePoint next_ping_ = kNever;    // next PINGREQ due (keepalive rules: session.cpp)
  TimePoint ping_sent_ = kNever;    // PINGREQ awaiting PINGRESP
  TimePoint next_publish_ = kNever; // the application's next publish
  TimePoint subscribe_sent_{};
  std::unique_ptr<InFlight[]> inflight_;
  std::unique_ptr<Inbound> inbound_;
  std::unique_ptr<std::uint8_t[]> rx_;       // partial packet across on_data calls
  std::unique_ptr<More> more_;               // null for most devices
};

}  // namespace fleetload::device
