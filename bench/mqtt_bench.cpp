// Micro-benchmarks of the MQTT codec: encode and decode of QoS 0 PUBLISH (64 B and 1 KiB),
// PUBACK (3.1.1 and 5) and an MQTT 5 CONNECT with properties, plus StreamDecoder on PUBLISH.
// Global operator new/delete are replaced by counting versions so every benchmark reports
// heap allocations per operation ("allocs/op"), which must be 0 for PUBLISH and PUBACK.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>
#include <vector>

#include "mqtt/codec.hpp"

namespace {
std::atomic<std::uint64_t> g_allocations{0};

void* counted_alloc(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* counted_aligned_alloc(std::size_t n, std::align_val_t al) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace fleetload::mqtt;

// Counts allocations made inside the timed loop and reports them per iteration. stop() must
// run right after the loop: anything later (SetBytesProcessed adds to the counters map)
// allocates too and is not the codec's doing.
class AllocCounter {
 public:
  explicit AllocCounter(benchmark::State& state)
      : state_(state), start_(g_allocations.load(std::memory_order_relaxed)) {}
  void stop() {
    const double n = static_cast<double>(g_allocations.load(std::memory_order_relaxed) - start_);
    state_.counters["allocs/op"] = benchmark::Counter(n, benchmark::Counter::kAvgIterations);
  }

 private:
  benchmark::State& state_;
  std::uint64_t start_;
};

constexpr std::string_view kTopic = "fleet/device-000123/telemetry";

Version version_arg(const benchmark::State& s, int index) {
  return s.range(index) == 5 ? Version::V5 : Version::V311;
}

Publish make_publish(const std::vector<std::uint8_t>& payload) {
  Publish p;
  p.topic = kTopic;
  p.payload = payload;
  p.qos = QoS::AtMostOnce;
  return p;
}

std::vector<std::uint8_t> encoded(const Packet& p, Version v) {
  std::vector<std::uint8_t> out = encode_to_vector(p, v);
  if (out.empty()) std::abort();  // a bench input that does not encode is a bench bug
  return out;
}

// Same-run baseline: copying the already-encoded PUBLISH into the output buffer, the least
// any encoder must do. On a shared, noisy machine the ratio codec/baseline from one run is
// steadier than nanoseconds. args: payload size, protocol version.
void BM_BaselineCopyPublish(benchmark::State& state) {
  const std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 0x5A);
  const std::vector<std::uint8_t> bytes = encoded(make_publish(payload), version_arg(state, 1));
  std::array<std::uint8_t, 2048> buf{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    std::memcpy(buf.data(), bytes.data(), bytes.size());
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
}

// args: payload size, protocol version
void BM_EncodePublishQos0(benchmark::State& state) {
  const std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 0x5A);
  const Publish p = make_publish(payload);
  const Version v = version_arg(state, 1);
  std::array<std::uint8_t, 2048> buf{};
  AllocCounter allocs(state);
  for (auto _ : state) {
    EncodeResult r = encode(p, v, buf);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  allocs.stop();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(encoded_size(p, v).size));
}

void BM_DecodePublishQos0(benchmark::State& state) {
  const std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 0x5A);
  const Version v = version_arg(state, 1);
  const std::vector<std::uint8_t> bytes = encoded(make_publish(payload), v);
  DecodeOptions opts;
  opts.version = v;
  Packet out = Publish{};
  AllocCounter allocs(state);
  for (auto _ : state) {
    DecodeResult r = decode(bytes, opts, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out);
  }
  allocs.stop();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

// The receive path a device really uses: bytes appended to a StreamDecoder, then next().
void BM_StreamDecodePublishQos0(benchmark::State& state) {
  const std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 0x5A);
  const Version v = version_arg(state, 1);
  const std::vector<std::uint8_t> bytes = encoded(make_publish(payload), v);
  DecodeOptions opts;
  opts.version = v;
  StreamDecoder sd(opts);
  Packet out = Publish{};
  sd.append(bytes);  // warm up: the buffer reaches its steady-state capacity
  (void)sd.next(out);
  AllocCounter allocs(state);
  for (auto _ : state) {
    sd.append(bytes);
    DecodeResult r = sd.next(out);
    benchmark::DoNotOptimize(r);
  }
  allocs.stop();
}

PubAck make_puback() {
  PubAck a;
  a.type = PacketType::Puback;
  a.packet_id = 4242;
  return a;
}

// arg: protocol version
void BM_EncodePuback(benchmark::State& state) {
  const PubAck a = make_puback();
  const Version v = version_arg(state, 0);
  std::array<std::uint8_t, 16> buf{};
  AllocCounter allocs(state);
  for (auto _ : state) {
    EncodeResult r = encode(a, v, buf);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  allocs.stop();
}

void BM_DecodePuback(benchmark::State& state) {
  const Version v = version_arg(state, 0);
  const std::vector<std::uint8_t> bytes = encoded(make_puback(), v);
  DecodeOptions opts;
  opts.version = v;
  Packet out = PubAck{};
  AllocCounter allocs(state);
  for (auto _ : state) {
    DecodeResult r = decode(bytes, opts, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out);
  }
  allocs.stop();
}

// An MQTT 5 CONNECT like the AWS IoT SDK sends, with will and typical properties.
Connect make_connect_v5() {
  static const std::vector<std::uint8_t> will_payload(32, 0x21);
  static const std::vector<std::uint8_t> password(40, 0x70);
  Connect c;
  c.version = Version::V5;
  c.clean_start = true;
  c.keep_alive = 1200;
  c.client_id = "device-000123";
  c.username = "?SDK=CPPv2&Version=1.0.0";
  c.password = Bytes(password);
  c.properties.session_expiry_interval = 3600;
  c.properties.receive_maximum = 100;
  c.properties.maximum_packet_size = 128 * 1024;
  c.properties.topic_alias_maximum = 10;
  c.properties.request_problem_information = 1;
  c.properties.user_properties = {{"fleet", "load"}, {"sdk", "aws-iot-device-sdk-cpp-v2"}};
  Will w;
  w.topic = "fleet/device-000123/status";
  w.payload = will_payload;
  w.qos = QoS::AtLeastOnce;
  w.properties.will_delay_interval = 30;
  w.properties.content_type = "application/json";
  c.will = w;
  return c;
}

void BM_EncodeConnectV5(benchmark::State& state) {
  const Packet p = make_connect_v5();
  std::array<std::uint8_t, 512> buf{};
  AllocCounter allocs(state);
  for (auto _ : state) {
    EncodeResult r = encode(p, Version::V5, buf);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  allocs.stop();
}

void BM_DecodeConnectV5(benchmark::State& state) {
  const std::vector<std::uint8_t> bytes = encoded(make_connect_v5(), Version::V5);
  DecodeOptions opts;
  opts.version = Version::V5;
  Packet out = Connect{};
  AllocCounter allocs(state);
  for (auto _ : state) {
    DecodeResult r = decode(bytes, opts, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out);
  }
  allocs.stop();
}

BENCHMARK(BM_BaselineCopyPublish)->ArgNames({"payload", "v"})->ArgsProduct({{64, 1024}, {4, 5}});
BENCHMARK(BM_EncodePublishQos0)->ArgNames({"payload", "v"})->ArgsProduct({{64, 1024}, {4, 5}});
BENCHMARK(BM_DecodePublishQos0)->ArgNames({"payload", "v"})->ArgsProduct({{64, 1024}, {4, 5}});
BENCHMARK(BM_StreamDecodePublishQos0)->ArgNames({"payload", "v"})->ArgsProduct({{64}, {4, 5}});
BENCHMARK(BM_EncodePuback)->ArgName("v")->Arg(4)->Arg(5);
BENCHMARK(BM_DecodePuback)->ArgName("v")->Arg(4)->Arg(5);
BENCHMARK(BM_EncodeConnectV5);
BENCHMARK(BM_DecodeConnectV5);

}  // namespace

BENCHMARK_MAIN();
