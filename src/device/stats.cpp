// Histogram bucket arithmetic, snapshots and merging of the per-thread statistics.
#include "device/stats.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <new>

#include "mqtt/packet.hpp"

namespace fleetload::device {

const char* to_string(DropReason r) noexcept {
  switch (r) {
    case DropReason::None: return "none";
    case DropReason::ConnectFailed: return "connect_failed";
    case DropReason::ConnackTimeout: return "connack_timeout";
    case DropReason::ConnackRefused: return "connack_refused";
    case DropReason::PingTimeout: return "ping_timeout";
    case DropReason::ServerDisconnect: return "server_disconnect";
    case DropReason::ProtocolError: return "protocol_error";
    case DropReason::SocketError: return "socket_error";
    case DropReason::Churn: return "churn";
    case DropReason::LocalLimit: return "local_limit";
    case DropReason::Shutdown: return "shutdown";
    case DropReason::LocalError: return "local_error";
  }
  return "unknown";
}

const char* to_string(PublishFailReason r) noexcept {
  switch (r) {
    case PublishFailReason::OfflineQueuePolicy: return "offline_queue_policy";
    case PublishFailReason::OfflineQueueFull: return "offline_queue_full";
    case PublishFailReason::Disconnect: return "disconnect";
    case PublishFailReason::PacketTooLarge: return "packet_too_large";
    case PublishFailReason::Rejected: return "rejected";
    case PublishFailReason::Shutdown: return "shutdown";
    case PublishFailReason::QosNotSupported: return "qos_not_supported";
    case PublishFailReason::Unencodable: return "unencodable";
  }
  return "unknown";
}

const char* connack_code_name(mqtt::Version v, std::uint8_t code) noexcept {
  if (v == mqtt::Version::V311) {
    if (code > 5) return "unknown";
    return mqtt::to_string(static_cast<mqtt::ConnectReturnCode>(code));
  }
  return mqtt::to_string(static_cast<mqtt::ReasonCode>(code));
}

// ---- histogram layout -------------------------------------------------------------------

namespace hist {

namespace {
constexpr std::uint64_t kLinearEnd = std::uint64_t{1} << (kSubBits + 1);  // 256: exact below
constexpr std::uint64_t kTopValue = (std::uint64_t{1} << kTopBit) - 1;
}  // namespace

std::size_t bucket_index(std::uint64_t v) noexcept {
  if (v < kLinearEnd) return static_cast<std::size_t>(v);
  if (v > kTopValue) v = kTopValue;
  const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(v));  // floor(log2 v) >= 8
  const unsigned shift = e - kSubBits;
  const std::uint64_t sub = v >> shift;  // in [128, 256)
  return static_cast<std::size_t>((static_cast<std::uint64_t>(shift) << kSubBits) + sub);
}

std::uint64_t bucket_lowest(std::size_t i) noexcept {
  if (i < kLinearEnd) return i;
  const std::uint64_t shift = (i >> kSubBits) - 1;
  const std::uint64_t sub = (i & ((std::uint64_t{1} << kSubBits) - 1)) | (std::uint64_t{1} << kSubBits);
  return sub << shift;
}

std::uint64_t bucket_highest(std::size_t i) noexcept {
  if (i < kLinearEnd) return i;
  const std::uint64_t shift = (i >> kSubBits) - 1;
  return bucket_lowest(i) + (std::uint64_t{1} << shift) - 1;
}

}  // namespace hist

// ---- HistogramSnapshot -------------------------------------------------------------------

void HistogramSnapshot::record(std::uint64_t ns, std::uint64_t n) {
  if (n == 0) return;
  if (counts.empty()) counts.assign(hist::kBuckets, 0);
  counts[hist::bucket_index(ns)] += n;
  count += n;
  sum += ns * n;
  min = std::min(min, ns);
  max = std::max(max, ns);
}

void HistogramSnapshot::merge(const HistogramSnapshot& other) {
  if (other.count == 0) return;
  if (counts.empty()) counts.assign(hist::kBuckets, 0);
  for (std::size_t i = 0; i < other.counts.size() && i < counts.size(); ++i)
    counts[i] += other.counts[i];
  count += other.count;
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
}

std::uint64_t HistogramSnapshot::percentile(double q) const noexcept {
  if (count == 0 || counts.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  if (q == 0.0) return min;  // exact, like HdrHistogram's getValueAtPercentile(0)
  // The rank of the q-quantile, 1-based: p50 of 2 values is the first, p100 the last.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
  rank = std::clamp<std::uint64_t>(rank, 1, count);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) return std::clamp(hist::bucket_highest(i), min, max);
  }
  return max;
}

// ---- Histogram ---------------------------------------------------------------------------

namespace {
constexpr std::size_t kBucketBytes = hist::kBuckets * sizeof(std::uint64_t);
}  // namespace

std::uint64_t* map_zero_pages(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<std::uint64_t*>(p);
}

void unmap_zero_pages(std::uint64_t* p, std::size_t bytes) noexcept { ::munmap(p, bytes); }

Histogram::Histogram() : buckets_(map_zero_pages(kBucketBytes)) {}

Histogram::~Histogram() { unmap_zero_pages(buckets_, kBucketBytes); }

void Histogram::record(std::uint64_t ns) noexcept {
  constexpr auto r = std::memory_order_relaxed;
  std::atomic_ref<std::uint64_t> b(buckets_[hist::bucket_index(ns)]);
  b.store(b.load(r) + 1, r);
  count_.store(count_.load(r) + 1, r);
  sum_.store(sum_.load(r) + ns, r);
  if (ns < min_.load(r)) min_.store(ns, r);
  if (ns > max_.load(r)) max_.store(ns, r);
}

std::uint64_t Histogram::min() const noexcept {
  const auto m = min_.load(std::memory_order_relaxed);
  return m == std::numeric_limits<std::uint64_t>::max() ? 0 : m;
}

std::uint64_t Histogram::percentile(double q) const {
  HistogramSnapshot s;
  merge_into(s);
  return s.percentile(q);
}

void Histogram::merge_into(HistogramSnapshot& s) const {
  if (count() == 0) return;
  if (s.counts.empty()) s.counts.assign(hist::kBuckets, 0);
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < hist::kBuckets; ++i) {
    const auto c = std::atomic_ref<std::uint64_t>(buckets_[i]).load(std::memory_order_relaxed);
    s.counts[i] += c;
    n += c;
  }
  s.count += n;
  s.sum += sum();
  const auto mn = min_.load(std::memory_order_relaxed);
  const auto mx = max();
  if (n > 0) {
    s.min = std::min(s.min, mn);
    s.max = std::max(s.max, mx);
  }
}

// ---- snapshots -------------------------------------------------------------------------

StatsSnapshot snapshot(const ThreadStats& s) {
  StatsSnapshot o;
#define FLEETLOAD_X(name, help) o.name = s.name.load();
  FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
  FLEETLOAD_DEVICE_GAUGES(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) \
  for (std::size_t q = 0; q < 3; ++q) o.name[q] = s.name[q].load();
  FLEETLOAD_DEVICE_QOS_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) s.name.merge_into(o.name);
  FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X
  auto copy = [](auto& to, const auto& from) {
    for (std::size_t i = 0; i < from.size(); ++i) to[i] = from[i].load();
  };
  copy(o.connect_failed_by_reason, s.connect_failed_by_reason);
  copy(o.drops_by_reason, s.drops_by_reason);
  copy(o.publishes_failed, s.publishes_failed);
  copy(o.publishes_failed_by_qos, s.publishes_failed_by_qos);
  copy(o.connack_codes, s.connack_codes);
  copy(o.server_disconnect_codes, s.server_disconnect_codes);
  copy(o.suback_codes, s.suback_codes);
  copy(o.suback_grants, s.suback_grants);
  copy(o.shadow_ops, s.shadow_ops);
  copy(o.job_requests, s.job_requests);
  copy(o.job_executions, s.job_executions);
  copy(o.provisioning_ops, s.provisioning_ops);
  copy(o.provisioning_errors, s.provisioning_errors);
  copy(o.stream_counts, s.stream_counts);
  copy(o.puback_codes, s.puback_codes);
  return o;
}

void merge(StatsSnapshot& into, const StatsSnapshot& from) {
#define FLEETLOAD_X(name, help) into.name += from.name;
  FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
  FLEETLOAD_DEVICE_GAUGES(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) \
  for (std::size_t q = 0; q < 3; ++q) into.name[q] += from.name[q];
  FLEETLOAD_DEVICE_QOS_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) into.name.merge(from.name);
  FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X
  auto add = [](auto& to, const auto& f) {
    for (std::size_t i = 0; i < f.size(); ++i) to[i] += f[i];
  };
  add(into.connect_failed_by_reason, from.connect_failed_by_reason);
  add(into.drops_by_reason, from.drops_by_reason);
  add(into.publishes_failed, from.publishes_failed);
  add(into.publishes_failed_by_qos, from.publishes_failed_by_qos);
  add(into.connack_codes, from.connack_codes);
  add(into.server_disconnect_codes, from.server_disconnect_codes);
  add(into.suback_codes, from.suback_codes);
  add(into.suback_grants, from.suback_grants);
  add(into.shadow_ops, from.shadow_ops);
  add(into.job_requests, from.job_requests);
  add(into.job_executions, from.job_executions);
  add(into.provisioning_ops, from.provisioning_ops);
  add(into.provisioning_errors, from.provisioning_errors);
  add(into.stream_counts, from.stream_counts);
  add(into.puback_codes, from.puback_codes);
}

HistogramSnapshot delta(const HistogramSnapshot& later, const HistogramSnapshot& earlier) {
  HistogramSnapshot d;
  if (later.count <= earlier.count || later.counts.empty()) return d;
  d.counts.assign(hist::kBuckets, 0);
  std::size_t first = hist::kBuckets, last = 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < hist::kBuckets; ++i) {
    const auto before = i < earlier.counts.size() ? earlier.counts[i] : 0;
    const auto c = later.counts[i] > before ? later.counts[i] - before : 0;
    d.counts[i] = c;
    n += c;
    if (c) {
      first = std::min(first, i);
      last = i;
    }
  }
  if (n == 0) return HistogramSnapshot{};
  d.count = n;
  d.sum = later.sum - std::min(later.sum, earlier.sum);
  d.min = std::max(hist::bucket_lowest(first), later.min);
  d.max = std::min(hist::bucket_highest(last), later.max);
  return d;
}

StatsSnapshot delta(const StatsSnapshot& later, const StatsSnapshot& earlier) {
  StatsSnapshot d;
  auto sub = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
#define FLEETLOAD_X(name, help) d.name = sub(later.name, earlier.name);
  FLEETLOAD_DEVICE_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) d.name = later.name;
  FLEETLOAD_DEVICE_GAUGES(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) \
  for (std::size_t q = 0; q < 3; ++q) d.name[q] = sub(later.name[q], earlier.name[q]);
  FLEETLOAD_DEVICE_QOS_COUNTERS(FLEETLOAD_X)
#undef FLEETLOAD_X
#define FLEETLOAD_X(name, help) d.name = delta(later.name, earlier.name);
  FLEETLOAD_DEVICE_HISTOGRAMS(FLEETLOAD_X)
#undef FLEETLOAD_X
  auto diff = [&](auto& to, const auto& a, const auto& b) {
    for (std::size_t i = 0; i < a.size(); ++i) to[i] = sub(a[i], b[i]);
  };
  diff(d.connect_failed_by_reason, later.connect_failed_by_reason, earlier.connect_failed_by_reason);
  diff(d.drops_by_reason, later.drops_by_reason, earlier.drops_by_reason);
  diff(d.publishes_failed, later.publishes_failed, earlier.publishes_failed);
  diff(d.publishes_failed_by_qos, later.publishes_failed_by_qos, earlier.publishes_failed_by_qos);
  diff(d.connack_codes, later.connack_codes, earlier.connack_codes);
  diff(d.server_disconnect_codes, later.server_disconnect_codes, earlier.server_disconnect_codes);
  diff(d.suback_codes, later.suback_codes, earlier.suback_codes);
  diff(d.suback_grants, later.suback_grants, earlier.suback_grants);
  diff(d.shadow_ops, later.shadow_ops, earlier.shadow_ops);
  diff(d.job_requests, later.job_requests, earlier.job_requests);
  diff(d.job_executions, later.job_executions, earlier.job_executions);
  diff(d.provisioning_ops, later.provisioning_ops, earlier.provisioning_ops);
  diff(d.provisioning_errors, later.provisioning_errors, earlier.provisioning_errors);
  diff(d.stream_counts, later.stream_counts, earlier.stream_counts);
  diff(d.puback_codes, later.puback_codes, earlier.puback_codes);
  return d;
}

std::uint64_t broker_caused_errors(const StatsSnapshot& s) noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto r = static_cast<DropReason>(i);
    if (r == DropReason::None || r == DropReason::LocalLimit || r == DropReason::LocalError || r == DropReason::Churn ||
        r == DropReason::Shutdown)
      continue;
    n += s.connect_failed_by_reason[i] + s.drops_by_reason[i];
  }
  return n;
}

const char* to_string(ShadowOp op) noexcept { return op == ShadowOp::Get ? "get" : "update"; }

const char* to_string(ShadowOutcome o) noexcept {
  switch (o) {
    case ShadowOutcome::Accepted: return "accepted";
    case ShadowOutcome::Rejected400: return "rejected_400";
    case ShadowOutcome::Rejected404: return "rejected_404";
    case ShadowOutcome::Rejected409: return "rejected_409";
    case ShadowOutcome::Rejected413: return "rejected_413";
    case ShadowOutcome::Rejected429: return "rejected_429";
    case ShadowOutcome::Rejected500: return "rejected_500";
    case ShadowOutcome::RejectedOther: return "rejected_other";
    case ShadowOutcome::TimedOut: return "timed_out";
  }
  return "?";
}

const char* to_string(JobOp op) noexcept { return op == JobOp::StartNext ? "start_next" : "update"; }

const char* to_string(JobOutcome o) noexcept {
  switch (o) {
    case JobOutcome::Accepted: return "accepted";
    case JobOutcome::RejectedInvalidTopic: return "rejected_invalid_topic";
    case JobOutcome::RejectedInvalidJson: return "rejected_invalid_json";
    case JobOutcome::RejectedInvalidRequest: return "rejected_invalid_request";
    case JobOutcome::RejectedInvalidStateTransition: return "rejected_invalid_state_transition";
    case JobOutcome::RejectedResourceNotFound: return "rejected_resource_not_found";
    case JobOutcome::RejectedVersionMismatch: return "rejected_version_mismatch";
    case JobOutcome::RejectedInternalError: return "rejected_internal_error";
    case JobOutcome::RejectedRequestThrottled: return "rejected_request_throttled";
    case JobOutcome::RejectedTerminalStateReached: return "rejected_terminal_state_reached";
    case JobOutcome::TimedOut: return "timed_out";
  }
  return "?";
}

const char* to_string(JobEnd e) noexcept {
  switch (e) {
    case JobEnd::Succeeded: return "succeeded";
    case JobEnd::Failed: return "failed";
    case JobEnd::Rejected: return "rejected";
    case JobEnd::TimedOut: return "timed_out";
  }
  return "?";
}

const char* to_string(StreamCount c) noexcept {
  switch (c) {
    case StreamCount::Sent: return "sent";
    case StreamCount::Acked: return "acked";
    case StreamCount::Failed: return "failed";
    case StreamCount::Received: return "received";
    case StreamCount::Lost: return "lost";
    case StreamCount::Duplicated: return "duplicated";
    case StreamCount::OutOfOrder: return "out_of_order";
    case StreamCount::NotYetDelivered: return "not_yet_delivered";
  }
  return "?";
}

// The codes of "Device Shadow error messages" a device meets under load, each its own label.
ShadowOutcome shadow_outcome_of_code(int code) noexcept {
  switch (code) {
    case 400: return ShadowOutcome::Rejected400;
    case 404: return ShadowOutcome::Rejected404;
    case 409: return ShadowOutcome::Rejected409;
    case 413: return ShadowOutcome::Rejected413;
    case 429: return ShadowOutcome::Rejected429;
    case 500: return ShadowOutcome::Rejected500;
    default: return ShadowOutcome::RejectedOther;
  }
}

}  // namespace fleetload::device
