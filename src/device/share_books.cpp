// Shared-subscription books (share_books.hpp).
#include "device/share_books.hpp"

#include <algorithm>
#include <bit>

#include "device/fleet_plan.hpp"
#include "device/subscription_clock.hpp"

namespace fleetload::device {

class ShareBooks::Group {
 public:
  std::string shared;  // "$share/g/t/#", as rendered
  std::string name;
  std::string filter;
  std::string device_group;
  std::mutex mu;
  std::uint64_t members = 0, received = 0, duplicated = 0;
  // Per publisher stream key: bit s set = sequence s reached some member.
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> bits;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> held;  // every member's intervals
};

namespace {
// Sequence numbers past this are not booked bit by bit (a bitmap of 512 MiB per stream):
// far beyond what a run sends per publisher stream.
constexpr std::uint64_t kMaxBookedSeq = std::uint64_t{1} << 32;

// Set bits of `w` for sequences in (from, to].
std::uint64_t count_in(const std::vector<std::uint64_t>& w, std::uint64_t from, std::uint64_t to) noexcept {
  std::uint64_t n = 0;
  for (std::uint64_t s = from + 1; s <= to;) {
    const std::uint64_t word = s / 64;
    if (word >= w.size()) break;
    const unsigned lo = static_cast<unsigned>(s % 64);
    const std::uint64_t last_in_word = std::min<std::uint64_t>(to, word * 64 + 63);
    const unsigned hi = static_cast<unsigned>(last_in_word % 64);
    std::uint64_t mask = (hi == 63 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (hi + 1)) - 1)) & (~std::uint64_t{0} << lo);
    n += static_cast<std::uint64_t>(std::popcount(w[word] & mask));
    s = last_in_word + 1;
  }
  return n;
}

// Members' intervals merged: (begin, end) epochs, end 0 = held to the end of the run.
std::vector<std::pair<std::uint32_t, std::uint32_t>> merged(std::vector<std::pair<std::uint32_t, std::uint32_t>> v) {
  const auto end_of = [](std::uint32_t e) { return e == 0 ? ~std::uint32_t{0} : e; };
  std::sort(v.begin(), v.end());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& [b, e] : v) {
    if (!out.empty() && b <= end_of(out.back().second)) {
      if (end_of(e) > end_of(out.back().second)) out.back().second = e;
      continue;
    }
    out.emplace_back(b, e);
  }
  return out;
}
}  // namespace

std::pair<std::string_view, std::string_view> split_shared_filter(std::string_view f) noexcept {
  constexpr std::string_view kShare = "$share/";
  if (!f.starts_with(kShare)) return {};
  const auto slash = f.find('/', kShare.size());
  if (slash == std::string_view::npos || slash == kShare.size()) return {};
  return {f.substr(kShare.size(), slash - kShare.size()), f.substr(slash + 1)};
}

ShareBooks::ShareBooks() = default;
ShareBooks::~ShareBooks() = default;

ShareBooks::Group* ShareBooks::join(std::string_view shared_filter, std::string_view device_group) {
  const auto [name, inner] = split_shared_filter(shared_filter);
  if (name.empty()) return nullptr;
  std::lock_guard lock(mu_);
  Group* g = nullptr;
  for (auto& p : groups_)
    if (p->shared == shared_filter) g = p.get();
  if (g == nullptr) {
    groups_.push_back(std::make_unique<Group>());
    g = groups_.back().get();
    g->shared = std::string(shared_filter);
    g->name = std::string(name);
    g->filter = std::string(inner);
    g->device_group = std::string(device_group);
  }
  std::lock_guard glock(g->mu);
  ++g->members;
  return g;
}

bool ShareBooks::on_message(Group& g, std::uint64_t key, std::uint64_t seq) {
  std::lock_guard lock(g.mu);
  ++g.received;
  if (seq == 0 || seq > kMaxBookedSeq) return false;
  auto& w = g.bits[key];
  if (w.size() <= seq / 64) w.resize(std::max<std::size_t>(seq / 64 + 1, w.size() * 2), 0);
  const std::uint64_t bit = std::uint64_t{1} << (seq % 64);
  const bool dup = (w[seq / 64] & bit) != 0;
  w[seq / 64] |= bit;
  if (dup) ++g.duplicated;
  return dup;
}

void ShareBooks::held(Group& g, std::span<const std::pair<std::uint32_t, std::uint32_t>> intervals) {
  std::lock_guard lock(g.mu);
  g.held.insert(g.held.end(), intervals.begin(), intervals.end());
}

const std::string& ShareBooks::filter(const Group& g) noexcept { return g.filter; }

std::size_t ShareBooks::groups() const {
  std::lock_guard lock(mu_);
  return groups_.size();
}

std::vector<ShareGroupBooks> ShareBooks::settle(std::span<const std::uint64_t> last_seq_by_key, const FleetPlan& plan,
                                                bool judged) const {
  std::lock_guard lock(mu_);
  std::vector<ShareGroupBooks> out;
  const std::uint32_t stride = plan.stream_stride;
  const SubscriptionClock* clock = plan.clock;
  std::string pub_id, topic;
  for (const auto& gp : groups_) {
    Group& g = *gp;
    std::lock_guard glock(g.mu);
    ShareGroupBooks b;
    b.group = g.name;
    b.filter = g.filter;
    b.device_group = g.device_group;
    b.members = g.members;
    b.received = g.received;
    b.duplicated = g.duplicated;
    b.judged = judged;
    // Without a subscription clock (no epochs), one interval owed everything.
    const auto intervals = clock ? merged(g.held) : std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 0}};
    for (std::size_t key = 0; key < last_seq_by_key.size(); ++key) {
      const std::uint64_t last = last_seq_by_key[key];
      if (last == 0) continue;
      const std::uint64_t pub = key / stride;
      const FleetPlan& pp = plan.plan_of(pub);
      const StreamPlan* st = pp.stream_by_id(static_cast<std::uint32_t>(key % stride));
      if (st == nullptr || !pp.publishes(pub, *st)) continue;
      pp.render_client_id(pub_id, pub);
      pp.render_topic(topic, *st, pub, pub_id);
      if (!topic_matches(g.filter, topic)) continue;
      b.publishes += last;
      if (!judged) continue;
      static const std::vector<std::uint64_t> kNone;
      const auto it = g.bits.find(key);
      const auto& w = it == g.bits.end() ? kNone : it->second;
      const auto slot = pp.clock_slot(pub, static_cast<std::size_t>(st - pp.streams.data()));
      for (const auto& [begin, end] : intervals) {
        const std::uint64_t from = clock ? clock->sent_before(slot, begin, last) : 0;
        const std::uint64_t to = !clock || end == 0 ? last : clock->sent_before(slot, end, last);
        if (to <= from) continue;
        const std::uint64_t missing = to - from - count_in(w, from, to);
        b.expected += to - from;
        b.lost += missing;
        if (missing == 0) continue;
        const std::size_t sid = key % stride;
        if (b.lost_by_stream.size() <= sid) b.lost_by_stream.resize(sid + 1, 0);
        b.lost_by_stream[sid] += missing;
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace fleetload::device
