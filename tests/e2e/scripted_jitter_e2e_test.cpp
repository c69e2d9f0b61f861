// MQTT 5 reconnect jitter as the SDK really runs it, measured on the wire: four fleets
// (jitter none, full, decorrelated, decorrelated_textbook) reconnect at once to four
// scripted brokers that drop every connection 50 ms after its CONNACK; each broker's own
// timestamps give the delay between its close and the device's next accept, per attempt.
// decorrelated must be indistinguishable from full (the SDK never records the previous
// delay), while the textbook formula, run the same way, must be told apart by the same
// test (so the test has the power to see the difference); none is exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "e2e/fleetload_runner.hpp"
#include "e2e/scripted_broker_fixture.hpp"
#include "e2e/shared_world.hpp"

namespace fleetload::e2e {
namespace {

using namespace std::chrono_literals;

constexpr double kMinDelay = 0.2;  // s
const char* const kModes[] = {"none", "full", "decorrelated", "decorrelated_textbook"};
constexpr int kDevices[] = {50, 300, 300, 300};

std::string scenario_yaml(std::uint16_t port, const char* jitter, int devices) {
  return "target: {endpoint: 127.0.0.1, port: " + std::to_string(port) + ", protocol: mqtt5}\n"
         "fleet: {devices: " + std::to_string(devices) + ", client_id: \"j-{index}\", connect_rate: 2000/s}\n"
         "session: {keepalive: 30s}\n"
         "reconnect: {min_delay: 200ms, max_delay: 3200ms, jitter: " + jitter + "}\n"
         "phases:\n  - type: ramp\n  - {name: hold, type: steady, duration: 6s}\n";
}

struct Run {
  std::unique_ptr<ScriptedBroker> broker;
  Outcome outcome;
  // delays[k]: every device's delay before its attempt k + 1 (k = 0: after the first drop).
  std::vector<std::vector<double>> delays;
};

struct World {
  std::filesystem::path dir;
  Run runs[4];
  std::string error;
};
World* world = nullptr;

void build_world(World& w) {
  w.dir = make_temp_dir("scripted-jitter");
  // One fleet at a time: the broker's timestamps are taken in its Python event loop, and
  // with four ASan fleets and four brokers sharing two cores its accepts lagged the
  // reconnects by up to ~90 ms on average, which read as a jitter mean that high.
  for (int m = 0; m < 4; ++m) {
    Run& r = w.runs[m];
    r.broker = std::make_unique<ScriptedBroker>(R"({"profiles": [{"drop_after": 0.05}]})");
    const auto sub = w.dir / kModes[m];
    std::filesystem::create_directories(sub);
    const auto file = write_file(sub, "s.yaml", scenario_yaml(r.broker->port(), kModes[m], kDevices[m]));
    auto proc = spawn_fleetload({"run", file.string(), "--report", (sub / "report.json").string(), "--no-metrics"}, sub);
    r.outcome = finish(proc, 60s, sub / "report.json");
    if (!r.outcome.report) throw std::runtime_error(std::string(kModes[m]) + ": no report\n" + r.outcome.describe());
    for (const auto& [id, conns] : by_client(connections(r.broker->events()))) {
      for (std::size_t k = 0; k + 1 < conns.size(); ++k) {
        if (r.delays.size() <= k) r.delays.resize(k + 1);
        r.delays[k].push_back(conns[k + 1].accept - conns[k].close);
      }
    }
  }
}

class JitterOnTheWire : public SharedWorldTest<World, world, build_world> {};

// Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs.
double ks_statistic(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / a.size() - static_cast<double>(j) / b.size()));
  }
  return d;
}
// Critical value at significance 0.001 (c = 1.949).
double ks_critical(std::size_t n, std::size_t m) {
  return 1.949 * std::sqrt(static_cast<double>(n + m) / (static_cast<double>(n) * static_cast<double>(m)));
}

const std::vector<double>& attempt(int mode, std::size_t k) { return world->runs[mode].delays.at(k); }

TEST_F(JitterOnTheWire, DecorrelatedIsIndistinguishableFromFull) {
  // Attempts 1 and 2 (the second and third delays), where the textbook formula differs
  // most from full; the first delay is a full draw in every mode.
  for (std::size_t k : {1u, 2u}) {
    const auto& full = attempt(1, k);
    const auto& dec = attempt(2, k);
    ASSERT_GE(full.size(), 250u);
    ASSERT_GE(dec.size(), 250u);
    const double d = ks_statistic(full, dec);
    std::printf("attempt %zu: KS(full, decorrelated) = %.3f, critical %.3f\n", k, d, ks_critical(full.size(), dec.size()));
    EXPECT_LT(d, ks_critical(full.size(), dec.size())) << "attempt " << k;
  }
}

TEST_F(JitterOnTheWire, TextbookDecorrelatedIsToldApartFromFullByTheSameTest) {
  for (std::size_t k : {1u, 2u}) {
    const auto& full = attempt(1, k);
    const auto& text = attempt(3, k);
    ASSERT_GE(text.size(), 250u);
    const double d = ks_statistic(full, text);
    std::printf("attempt %zu: KS(full, decorrelated_textbook) = %.3f, critical %.3f\n", k, d,
                ks_critical(full.size(), text.size()));
    EXPECT_GT(d, ks_critical(full.size(), text.size())) << "attempt " << k;
  }
}

TEST_F(JitterOnTheWire, FullDrawsBelowMinTimesTwoToTheAttempt) {
  // rand(0, min * 2^k): never above it, and a mean near half of it.
  for (std::size_t k : {0u, 1u, 2u}) {
    const auto& v = attempt(1, k);
    const double hi = kMinDelay * std::pow(2.0, static_cast<double>(k));
    double sum = 0;
    for (double x : v) sum += x;
    EXPECT_LE(*std::max_element(v.begin(), v.end()), hi + 0.15) << "attempt " << k;
    EXPECT_NEAR(sum / static_cast<double>(v.size()), hi / 2, hi * 0.15 + 0.02) << "attempt " << k;
  }
}

TEST_F(JitterOnTheWire, NoJitterWaitsExactlyMinTimesTwoToTheAttempt) {
  for (std::size_t k : {0u, 1u, 2u, 3u}) {
    const double want = kMinDelay * std::pow(2.0, static_cast<double>(k));
    const auto& v = attempt(0, k);
    ASSERT_EQ(v.size(), static_cast<std::size_t>(kDevices[0])) << "attempt " << k;
    for (double x : v) {
      EXPECT_GE(x, want - 0.01) << "attempt " << k;
      EXPECT_LE(x, want + 0.15) << "attempt " << k;
    }
  }
}

}  // namespace
}  // namespace fleetload::e2e
