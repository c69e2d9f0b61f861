// Share groups in the reports (report_share.hpp).
#include "metrics/report_share.hpp"

#include <boost/json.hpp>

#include <stdexcept>

#include "metrics/format.hpp"

namespace fleetload::metrics {

namespace json = boost::json;

std::string share_group_line(const device::ShareGroupBooks& g) {
  const std::string name = "$share group " + g.group + " (" + g.filter + ")";
  const auto n = [](std::uint64_t v) { return human::count(v); };
  if (g.nothing_delivered())
    return "broker delivered nothing to " + name + ": 0 of " + n(g.expected) + " messages owed reached its " +
           n(g.members) + " members (a broker without shared subscriptions grants the filter literally)";
  std::string out = name + ": " + n(g.members) + " members, " + n(g.received) + " received";
  if (!g.judged) {
    out += ", duplicated " + n(g.duplicated) + " within this process; " + n(g.publishes) +
           " sent on matching topics; loss not judged: members or publishers in other shards";
    return out;
  }
  out += " of " + n(g.expected) + " owed, lost " + n(g.lost) + ", duplicated " + n(g.duplicated);
  if (g.not_yet_delivered) out += ", not yet delivered at stop " + n(g.not_yet_delivered);
  return out;
}

json::array share_groups_json(const std::vector<device::ShareGroupBooks>& groups) {
  json::array a;
  for (const auto& g : groups)
    a.push_back(json::object{{"group", g.group},
                             {"filter", g.filter},
                             {"device_group", g.device_group},
                             {"members", g.members},
                             {"publishes", g.publishes},
                             {"expected", g.expected},
                             {"received", g.received},
                             {"duplicated", g.duplicated},
                             {"lost", g.lost},
                             {"not_yet_delivered", g.not_yet_delivered},
                             {"judged", g.judged},
                             {"nothing_delivered", g.nothing_delivered()}});
  return a;
}

std::vector<device::ShareGroupBooks> share_groups_from_json(const json::value& v) {
  const auto fail = [](const std::string& what) { throw std::runtime_error(what); };
  if (!v.is_array()) fail("expected an array");
  std::vector<device::ShareGroupBooks> out;
  for (std::size_t i = 0; i < v.as_array().size(); ++i) {
    const auto& e = v.as_array()[i];
    const std::string at = "[" + std::to_string(i) + "]";
    if (!e.is_object()) fail(at + ": expected an object");
    const auto& o = e.as_object();
    const auto field = [&](const char* k) -> const json::value& {
      const auto* f = o.if_contains(k);
      if (!f) fail(at + "." + k + ": missing");
      return *f;
    };
    const auto u64 = [&](const char* k) {
      const auto& f = field(k);
      if (!f.is_uint64() && !(f.is_int64() && f.as_int64() >= 0)) fail(at + "." + k + ": expected a count");
      return f.to_number<std::uint64_t>();
    };
    const auto str = [&](const char* k) {
      const auto& f = field(k);
      if (!f.is_string()) fail(at + "." + k + ": expected a string");
      return std::string(f.as_string());
    };
    device::ShareGroupBooks g;
    g.group = str("group");
    g.filter = str("filter");
    g.device_group = str("device_group");
    g.members = u64("members");
    g.publishes = u64("publishes");
    g.expected = u64("expected");
    g.received = u64("received");
    g.duplicated = u64("duplicated");
    g.lost = u64("lost");
    g.not_yet_delivered = u64("not_yet_delivered");
    if (!field("judged").is_bool()) fail(at + ".judged: expected true or false");
    g.judged = field("judged").as_bool();
    out.push_back(std::move(g));
  }
  return out;
}

void merge_share_groups(std::vector<device::ShareGroupBooks>& into, const std::vector<device::ShareGroupBooks>& from) {
  for (const auto& g : from) {
    device::ShareGroupBooks* m = nullptr;
    for (auto& x : into)
      if (x.group == g.group && x.filter == g.filter) m = &x;
    if (m == nullptr) {
      into.push_back(g);
      continue;
    }
    m->members += g.members;
    m->publishes += g.publishes;
    m->expected += g.expected;
    m->received += g.received;
    m->duplicated += g.duplicated;
    m->lost += g.lost;
    m->not_yet_delivered += g.not_yet_delivered;
    m->judged = m->judged && g.judged;
  }
}

}  // namespace fleetload::metrics
