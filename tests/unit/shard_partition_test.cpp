// Sharding as a partition of the fleet: for many (fleet size, N) pairs the N shards are
// disjoint, cover the whole fleet, keep client ids unique and equal to the unsharded run's,
// come out the same every time, and split publish and connect rates without loss; the
// Prometheus labels carry the shard.
#include <gtest/gtest.h>
#include <prometheus/metric_family.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "device/fleet_plan.hpp"
#include "engine/pacing.hpp"
#include "engine/phases.hpp"
#include "metrics/exporter.hpp"
#include "scenario/scenario.hpp"

namespace fleetload {
namespace {

// A real scenario text, validated like `fleetload run` does: fleet-rate publishing by 40 %
// of the devices (at least one), a prefix of the fleet that shards split unevenly.
scenario::Scenario fleet(std::uint64_t devices, const std::string& client_id) {
  const std::string yaml = "name: shard-test\n"
                           "target: {endpoint: 127.0.0.1, port: 1883}\n"
                           "fleet:\n"
                           "  devices: " + std::to_string(devices) + "\n"
                           "  client_id: \"" + client_id + "\"\n"
                           "  connect_rate: 900/s\n"
                           "publish:\n"
                           "  topic: \"t/{index}\"\n"
                           "  fleet_rate: 1234/s\n"
                           "  publishers: " + std::to_string(std::max<std::uint64_t>(1, devices * 2 / 5)) + "\n";
  return scenario::parse_scenario(yaml, "shard-test.yaml");
}

scenario::Scenario sharded(scenario::Scenario s, std::uint32_t k, std::uint32_t n) {
  s.fleet.shard = scenario::Shard{k, n};
  return s;
}

// The fleet indexes shard k/n runs, in the order the engine creates them: W workers each
// own ordinals worker, worker + W, ... and ordinal j is global index k + j*n (worker.cpp).
std::vector<std::uint64_t> engine_indexes(const device::FleetPlan& plan, std::uint32_t workers) {
  const std::uint64_t m = engine::pacing::shard_devices(plan.devices, plan.shard.k, plan.shard.n);
  std::vector<std::uint64_t> out;
  for (std::uint32_t w = 0; w < workers; ++w) {
    const std::uint64_t mine = engine::pacing::worker_devices(m, w, workers);
    for (std::uint64_t local = 0; local < mine; ++local) {
      out.push_back(engine::pacing::global_index(engine::pacing::ordinal_of(local, w, workers), plan.shard.k,
                                                 plan.shard.n));
    }
  }
  return out;
}

struct Case {
  std::uint64_t devices;
  std::uint32_t shards;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const std::uint64_t d : {1ULL, 2ULL, 3ULL, 7ULL, 10ULL, 64ULL, 97ULL, 256ULL, 1000ULL, 4099ULL}) {
    for (const std::uint32_t n : {1U, 2U, 3U, 4U, 7U, 8U, 16U, 63U, 100U, 1000U, 5000U}) out.push_back({d, n});
  }
  return out;
}

TEST(ShardPartition, ShardsAreDisjointAndCoverTheFleet) {
  for (const auto& c : cases()) {
    SCOPED_TRACE("devices=" + std::to_string(c.devices) + " shards=" + std::to_string(c.shards));
    const auto base = fleet(c.devices, "dev-{index}");
    std::vector<int> owner(c.devices, -1);
    std::uint64_t total = 0;
    for (std::uint32_t k = 0; k < c.shards; ++k) {
      const device::FleetPlan plan(sharded(base, k, c.shards));
      const std::uint64_t m = plan.devices_in_shard();
      ASSERT_EQ(m, engine::pacing::shard_devices(c.devices, k, c.shards));
      total += m;
      // What FleetPlan says and what the workers create (1 and 3 workers) are the same set.
      std::vector<std::uint64_t> from_plan;
      for (std::uint64_t j = 0; j < m; ++j) from_plan.push_back(plan.device_index(j));
      for (const std::uint32_t workers : {1U, 3U}) {
        auto from_engine = engine_indexes(plan, workers);
        std::sort(from_engine.begin(), from_engine.end());
        ASSERT_EQ(from_engine, from_plan);
      }
      for (const auto i : from_plan) {
        ASSERT_LT(i, c.devices);
        ASSERT_EQ(i % c.shards, k);
        ASSERT_EQ(owner[i], -1) << "device " << i << " in shards " << owner[i] << " and " << k;
        owner[i] = static_cast<int>(k);
      }
    }
    EXPECT_EQ(total, c.devices);
    for (std::uint64_t i = 0; i < c.devices; ++i) ASSERT_NE(owner[i], -1) << "device " << i << " in no shard";
  }
}

TEST(ShardPartition, ShardSizesDifferByAtMostOne) {
  for (const auto& c : cases()) {
    std::uint64_t lo = UINT64_MAX, hi = 0;
    for (std::uint32_t k = 0; k < c.shards; ++k) {
      const auto m = engine::pacing::shard_devices(c.devices, k, c.shards);
      lo = std::min(lo, m);
      hi = std::max(hi, m);
    }
    EXPECT_LE(hi - lo, 1u) << "devices=" << c.devices << " shards=" << c.shards;
  }
}

// Client ids: with a template without {shard}, the default ("fleetload-{index}") among them,
// every device keeps the id it has in an unsharded run; with {shard} in the template ids
// still stay unique across shards (the shard part is index % N, so it adds no information).
TEST(ShardPartition, ClientIdsAreUniqueAndMatchTheUnshardedFleet) {
  for (const auto& c : cases()) {
    if (c.devices > 1000) continue;  // ids of 4099 x 11 shard counts: enough covered below
    SCOPED_TRACE("devices=" + std::to_string(c.devices) + " shards=" + std::to_string(c.shards));
    const std::string default_tpl = scenario::Scenario{}.fleet.client_id;
    ASSERT_EQ(default_tpl.find("{shard}"), std::string::npos) << "the default id must not depend on N";
    for (const std::string& tpl : {default_tpl, std::string("fleetload-{shard}-{index}")}) {
      const auto base = fleet(c.devices, tpl);
      const device::FleetPlan whole(base);
      std::unordered_set<std::string> seen;
      std::string id, unsharded;
      for (std::uint32_t k = 0; k < c.shards; ++k) {
        const device::FleetPlan plan(sharded(base, k, c.shards));
        for (std::uint64_t j = 0; j < plan.devices_in_shard(); ++j) {
          const auto i = plan.device_index(j);
          plan.render_client_id(id, i);
          ASSERT_TRUE(seen.insert(id).second) << "client id " << id << " twice";
          if (tpl == default_tpl) {
            whole.render_client_id(unsharded, i);
            ASSERT_EQ(id, unsharded);
          } else {
            ASSERT_EQ(id, "fleetload-" + std::to_string(k) + "-" + std::to_string(i));
          }
        }
      }
      EXPECT_EQ(seen.size(), c.devices);
    }
  }
}

TEST(ShardPartition, SameInputGivesTheSamePartition) {
  for (const auto& c : {Case{4099, 7}, Case{10, 16}, Case{1000, 1}}) {
    const auto base = fleet(c.devices, "dev-{index}");
    for (std::uint32_t k = 0; k < c.shards; ++k) {
      const device::FleetPlan a(sharded(base, k, c.shards));
      const device::FleetPlan b(sharded(fleet(c.devices, "dev-{index}"), k, c.shards));
      ASSERT_EQ(a.devices_in_shard(), b.devices_in_shard());
      std::string ia, ib;
      for (std::uint64_t j = 0; j < a.devices_in_shard(); ++j) {
        ASSERT_EQ(a.device_index(j), b.device_index(j));
        a.render_client_id(ia, a.device_index(j));
        b.render_client_id(ib, b.device_index(j));
        ASSERT_EQ(ia, ib);
      }
      EXPECT_EQ(engine_indexes(a, 2), engine_indexes(b, 2));
    }
  }
}

TEST(ShardPartition, PublishAndConnectRatesSumToTheFleetRates) {
  for (const auto& c : cases()) {
    SCOPED_TRACE("devices=" + std::to_string(c.devices) + " shards=" + std::to_string(c.shards));
    const auto base = fleet(c.devices, "dev-{index}");
    const device::FleetPlan whole(base);
    ASSERT_GT(whole.publishers, 0u);
    ASSERT_NEAR(whole.shard_publish_rate(), 1234.0, 1e-6);
    double publish = 0.0, connect = 0.0;
    std::uint64_t publishers = 0;
    for (std::uint32_t k = 0; k < c.shards; ++k) {
      const auto s = sharded(base, k, c.shards);
      const device::FleetPlan plan(s);
      publish += plan.shard_publish_rate();
      publishers += plan.publishers_in_shard();
      connect += engine::shard_connect_rate(s);
    }
    EXPECT_EQ(publishers, whole.publishers);
    EXPECT_NEAR(publish, 1234.0, 1234.0 * 1e-9);
    EXPECT_NEAR(connect, 900.0, 900.0 * 1e-9);
  }
}

TEST(ShardPartition, PublishersInShardAreTheShardsFleetPublishers) {
  for (const auto& c : cases()) {
    const auto base = fleet(c.devices, "dev-{index}");
    for (std::uint32_t k = 0; k < c.shards && k < 70; ++k) {
      const device::FleetPlan plan(sharded(base, k, c.shards));
      std::uint64_t counted = 0;
      for (std::uint64_t j = 0; j < plan.devices_in_shard(); ++j) counted += plan.is_publisher(plan.device_index(j));
      ASSERT_EQ(plan.publishers_in_shard(), counted) << "devices=" << c.devices << " shard " << k << "/" << c.shards;
    }
  }
}

const prometheus::MetricFamily* family(const std::vector<prometheus::MetricFamily>& fs, const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return &f;
  return nullptr;
}

TEST(ShardPartition, MetricsCarryTheShardLabelAndTheShardsTarget) {
  const auto base = fleet(1000, "dev-{index}");
  double target_sum = 0.0;
  for (std::uint32_t k = 0; k < 8; ++k) {
    const auto s = sharded(base, k, 8);
    const metrics::ExporterOptions o = metrics::exporter_options_for(s);
    EXPECT_EQ(o.labels.shard, std::to_string(k));
    EXPECT_EQ(o.shard_count, 8u);
    target_sum += o.target_publish_rate;
    metrics::ExportState st;
    st.target = device::FleetPlan(s).devices_in_shard();
    const auto fs = metrics::build_families(st, o);
    ASSERT_FALSE(fs.empty());
    for (const auto& f : fs) {
      for (const auto& m : f.metric) {
        bool has = false;
        for (const auto& l : m.label) has = has || (l.name == "shard" && l.value == std::to_string(k));
        ASSERT_TRUE(has) << f.name << " lacks shard=\"" << k << "\"";
      }
    }
    const auto* shards = family(fs, "fleetload_shards");
    ASSERT_NE(shards, nullptr);
    EXPECT_DOUBLE_EQ(shards->metric.at(0).gauge.value, 8.0);
  }
  EXPECT_NEAR(target_sum, 1234.0, 1e-6);
}


// With device groups every group is split across the shards: over all shards and groups
// each fleet index is run exactly once, by the shard index % n, as a device of the group
// whose range holds it; the groups' publishers and publish rates add up to the unsharded ones.
TEST(ShardPartition, EveryGroupIsSplitAcrossTheShardsDisjointlyAndCompletely) {
  const std::vector<std::vector<std::uint64_t>> layouts{{1, 1}, {3, 5, 2}, {7, 1, 13, 4}, {64, 33}, {1, 998, 1}};
  for (const auto& sizes : layouts) {
    std::uint64_t total = 0;
    std::string groups;
    for (std::size_t g = 0; g < sizes.size(); ++g) {
      total += sizes[g];
      groups += "  - {name: g" + std::to_string(g) + ", devices: " + std::to_string(sizes[g]) +
                ", publish: {publishers: " + std::to_string((sizes[g] + 1) / 2) + "}}\n";
    }
    const auto base = scenario::parse_scenario(
        "target: {endpoint: 127.0.0.1, port: 1883}\n"
        "fleet: {devices: " + std::to_string(total) + ", client_id: \"{group}-{group_index}\"}\n"
        "publish: {topic: \"t/{index}\", rate: 3/s}\ngroups:\n" + groups,
        "groups.yaml");
    for (const std::uint32_t n : {1U, 2U, 3U, 5U, 8U, 64U, 1000U}) {
      SCOPED_TRACE("layout of " + std::to_string(sizes.size()) + " groups, " + std::to_string(total) +
                   " devices, shards=" + std::to_string(n));
      std::vector<int> owner(total, -1);
      std::vector<double> rate(sizes.size(), 0.0);
      std::vector<std::uint64_t> publishers(sizes.size(), 0);
      std::set<std::string> ids;
      for (std::uint32_t k = 0; k < n; ++k) {
        const auto gs = scenario::group_scenarios(sharded(base, k, n));
        ASSERT_EQ(gs.size(), sizes.size());
        for (std::size_t g = 0; g < gs.size(); ++g) {
          const device::FleetPlan plan(gs[g]);
          for (std::uint64_t local = 0; local < plan.devices_in_shard(); ++local) {
            const std::uint64_t i = plan.device_index(local);
            ASSERT_LT(i, total);
            EXPECT_EQ(i % n, k);
            EXPECT_GE(i, plan.group_first);
            EXPECT_LT(i, plan.group_first + plan.group_devices);
            EXPECT_EQ(owner[i], -1) << "index " << i << " run twice";
            owner[i] = static_cast<int>(k);
            std::string id;
            plan.render_client_id(id, i);
            EXPECT_TRUE(ids.insert(id).second) << id;
          }
          rate[g] += plan.shard_publish_rate();
          publishers[g] += plan.publishers_in_shard();
        }
      }
      for (std::uint64_t i = 0; i < total; ++i) EXPECT_NE(owner[i], -1) << "index " << i << " run by no shard";
      for (std::size_t g = 0; g < sizes.size(); ++g) {
        EXPECT_EQ(publishers[g], (sizes[g] + 1) / 2) << "group " << g;
        EXPECT_NEAR(rate[g], 3.0 * static_cast<double>((sizes[g] + 1) / 2), 1e-9) << "group " << g;
      }
    }
  }
}

}  // namespace
}  // namespace fleetload
