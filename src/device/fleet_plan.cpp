// Building the FleetPlan from a validated Scenario, compiled templates and topic matching.
#include "device/fleet_plan.hpp"

#include "awsiot/limits.hpp"
#include "device/payload.hpp"
#include "device/stats.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

static_assert(fleetload::device::kMaxStreams == fleetload::scenario::kMaxPublishStreams);

namespace fleetload::device {

namespace {

void append_uint(std::string& out, std::uint64_t v, std::uint32_t width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 bytes always hold a uint64
  const auto len = static_cast<std::uint32_t>(end - buf);
  if (width > len) out.append(width - len, '0');
  out.append(buf, end);
}

mqtt::QoS to_qos(std::uint8_t q) noexcept {
  return static_cast<mqtt::QoS>(q > 2 ? 2 : q);
}

std::uint32_t seconds_u32(scenario::Seconds s) noexcept {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s.count(), 0, UINT32_MAX));
}

std::uint64_t ms_u64(scenario::Duration d) noexcept {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(d.count(), 0));
}

}  // namespace

// ---- Template ----------------------------------------------------------------------------

Template::Template(std::string_view text) : source_(text) {
  // One set of brace rules: the scenario's own splitter, the one it validated with.
  for (const scenario::TemplatePiece& piece : scenario::split_template(source_)) {
    if (piece.placeholder) {
      pieces_.push_back({0, 0, static_cast<std::int8_t>(*piece.placeholder)});
    } else if (!piece.text.empty()) {
      pieces_.push_back({static_cast<std::uint32_t>(literals_.size()),
                         static_cast<std::uint32_t>(piece.text.size()), -1});
      literals_.append(piece.text);
    }
  }
}

void Template::render_to(std::string& out, const scenario::TemplateVars& v) const {
  for (const Piece& p : pieces_) {
    if (p.placeholder < 0) {
      out.append(literals_, p.offset, p.length);
      continue;
    }
    switch (static_cast<scenario::Placeholder>(p.placeholder)) {
      case scenario::Placeholder::Index: append_uint(out, v.index, v.index_width); break;
      case scenario::Placeholder::Shard: append_uint(out, v.shard, 0); break;
      case scenario::Placeholder::ClientId: out.append(v.client_id); break;
      case scenario::Placeholder::Seq: append_uint(out, v.seq, 0); break;
      case scenario::Placeholder::Timestamp: append_uint(out, v.timestamp_ms, 0); break;
      case scenario::Placeholder::Group: out.append(v.group); break;
      case scenario::Placeholder::GroupIndex: append_uint(out, v.group_index, v.index_width); break;
    }
  }
}

bool Template::uses(scenario::Placeholder p) const noexcept {
  return std::any_of(pieces_.begin(), pieces_.end(), [&](const Piece& x) {
    return x.placeholder == static_cast<std::int8_t>(p);
  });
}

// ---- UsernamePlan --------------------------------------------------------------------------

UsernamePlan::UsernamePlan(const auth::UsernameRecipe& recipe) : base_(recipe.base) {
  params_.reserve(recipe.params.size());
  for (const auth::UsernameParam& p : recipe.params)
    params_.push_back({p.literal, Template(p.value_template)});
}

void UsernamePlan::render_to(std::string& out, const scenario::TemplateVars& v) const {
  const std::size_t start = out.size();
  base_.render_to(out, v);
  for (const Param& p : params_) {
    out += out.find('?', start) == std::string::npos ? '?' : '&';
    out += p.literal;
    p.value.render_to(out, v);
  }
}

// ---- topic matching ------------------------------------------------------------------------

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  if (filter.starts_with("$share/")) {
    const auto slash = filter.find('/', 7);
    if (slash == std::string_view::npos) return false;
    filter.remove_prefix(slash + 1);
  }
  // Wildcards at the first level do not match topics starting with '$' (§4.7.2).
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#'))
    return false;
  std::size_t f = 0, t = 0;
  while (true) {
    const auto fe = std::min(filter.find('/', f), filter.size());
    const auto level = filter.substr(f, fe - f);
    if (level == "#") return true;  // matches the parent level and everything below
    if (t > topic.size()) return false;
    const auto te = std::min(topic.find('/', t), topic.size());
    if (level != "+" && level != topic.substr(t, te - t)) return false;
    const bool f_end = fe == filter.size();
    const bool t_end = te == topic.size();
    if (f_end || t_end) {
      if (f_end && t_end) return true;
      // "a/#" matches "a": the filter continues with exactly "/#".
      return t_end && !f_end && filter.substr(fe + 1) == "#";
    }
    f = fe + 1;
    t = te + 1;
  }
}

// ---- FleetPlan ---------------------------------------------------------------------------

FleetPlan::FleetPlan(const scenario::Scenario& s) {
  version = s.target.protocol;
  devices = s.fleet.devices;
  if (!s.group.empty()) group = s.group;
  group_first = s.group_first;
  group_devices = s.group.empty() ? s.fleet.devices : s.group_devices;
  shard = s.fleet.shard;
  if (shard.n == 0) shard.n = 1;
  index_width = s.fleet.index_width;
  client_id = Template(s.fleet.client_id);
  // What the SDK builder of auth.mode sends (aws doc §1, §4, §5), not auth.username as written.
  if (const auth::UsernameRecipe r = auth::username_recipe(s); !r.empty()) username.emplace(r);
  password = auth::connect_password(s.auth);

  const auto& ss = s.session;
  keepalive_s = static_cast<std::uint16_t>(std::clamp<std::int64_t>(ss.keepalive.count(), 0, 65535));
  ping_timeout = ss.ping_timeout;
  connack_timeout = ss.connack_timeout;
  ack_timeout = ss.ack_timeout;
  clean_start = ss.clean_session;
  session_behavior = ss.session_behavior;
  receive_limit = ss.receive_limit();
  const bool v5 = version == mqtt::Version::V5;
  if (v5) {
    if (ss.session_expiry) session_expiry_s = seconds_u32(*ss.session_expiry);
    receive_maximum = ss.receive_maximum;
    maximum_packet_size = ss.maximum_packet_size;
    topic_alias_maximum = ss.topic_alias_maximum;
  }
  offline_queue = ss.offline_queue;
  // AWS IoT Core takes at most 8 subscriptions per SUBSCRIBE ("AWS IoT Core quotas"); the
  // SDK splits longer lists. Elsewhere no limit unless the scenario sets one.
  const bool aws = std::any_of(s.target.endpoints.begin(), s.target.endpoints.end(),
                               [](const scenario::Endpoint& e) { return scenario::is_aws_iot_endpoint(e.host); });
  if (ss.subscribe_batch) subscribe_batch = *ss.subscribe_batch;
  else if (aws) subscribe_batch = static_cast<std::uint16_t>(awsiot::kMaxFiltersPerSubscribe);
  // AWS IoT Core's "Publish requests per second per connection" (not adjustable).
  const double limit = ss.publish_limit ? ss.publish_limit->per_second
                       : aws            ? static_cast<double>(awsiot::kMaxPublishesPerSecondPerConnection)
                                        : 0.0;
  if (limit > 0.0) publish_gap = std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(1e9 / limit)));
  if (ss.will) {
    WillPlan w;
    w.topic = Template(ss.will->topic);
    w.payload = Template(ss.will->payload);
    w.qos = to_qos(ss.will->qos);
    w.retain = ss.will->retain;
    if (v5) {
      if (ss.will->delay) w.delay_s = seconds_u32(*ss.will->delay);
      if (ss.will->message_expiry) w.message_expiry_s = seconds_u32(*ss.will->message_expiry);
      w.content_type = ss.will->content_type;
    }
    will = std::move(w);
  }

  backoff.min_ms = ms_u64(s.reconnect.min_delay);
  backoff.max_ms = std::max(backoff.min_ms, ms_u64(s.reconnect.max_delay));
  switch (s.reconnect.jitter) {
    case scenario::Jitter::None: backoff.mode = JitterMode::None; break;
    case scenario::Jitter::Full:
    case scenario::Jitter::Default: backoff.mode = JitterMode::Full; break;
    case scenario::Jitter::Decorrelated: backoff.mode = JitterMode::Decorrelated; break;
    case scenario::Jitter::DecorrelatedTextbook: backoff.mode = JitterMode::DecorrelatedTextbook; break;
  }
  backoff.reset_after_ms = ms_u64(s.reconnect.reset_after);
  stop_after_failed_first_connect = s.reconnect.first_connect_failure == scenario::FirstConnectFailure::Stop;

  for (const auto& p : s.publish) {
    StreamPlan st;
    st.name = p.name;
    st.id = static_cast<std::uint32_t>(streams.size());
    st.publishers = std::min<std::uint64_t>(p.publishers.selected, group_devices);
    if (p.publishers.kind == scenario::Selection::Kind::All && st.publishers == 0) st.publishers = group_devices;
    st.topic = Template(p.topic);
    st.qos = to_qos(p.qos);
    st.per_device_rate = p.per_device_rate.per_second;
    if (st.per_device_rate <= 0.0 && p.rate) st.per_device_rate = p.rate->per_second;
    if (st.per_device_rate <= 0.0 && p.fleet_rate && st.publishers > 0)
      st.per_device_rate = p.fleet_rate->per_second / static_cast<double>(st.publishers);
    if (st.per_device_rate > 0.0)
      st.publish_interval = std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(1e9 / st.per_device_rate)));
    else
      st.publishers = 0;  // a zero rate publishes nothing
    st.poisson = p.arrival == scenario::Arrival::Poisson;
    st.payload_size = p.payload.size;
    st.accounting_header = p.payload.accounting_header && !p.payload.template_text;
    if (p.payload.template_text) st.payload_template = Template(*p.payload.template_text);
    if (!st.payload_template && st.per_device_rate > 0.0 && st.payload_size >= kSharedBodyMin)
      st.payload_body = payload_padding(st.payload_size);
    st.retain = p.retain;
    if (v5) {
      st.user_properties = p.user_properties;
      st.content_type = p.content_type;
      if (p.message_expiry) st.message_expiry_s = seconds_u32(*p.message_expiry);
      st.topic_alias = p.topic_alias;
    }
    publishers = std::max(publishers, st.publishers);
    streams.push_back(std::move(st));
  }
  stream_stride = static_cast<std::uint32_t>(std::max<std::size_t>(1, streams.size()));

  if (!s.subscribe.filters.empty()) {
    subscribers = std::min<std::uint64_t>(s.subscribe.subscribers.selected, group_devices);
    if (s.subscribe.subscribers.kind == scenario::Selection::Kind::All && subscribers == 0)
      subscribers = group_devices;
    for (const auto& f : s.subscribe.filters) {
      SubscriptionPlan sp;
      sp.filter = Template(f.filter);
      sp.qos = to_qos(f.qos);
      sp.no_local = f.no_local;
      sp.retain_as_published = f.retain_as_published;
      sp.retain_handling = static_cast<mqtt::RetainHandling>(f.retain_handling > 2 ? 0 : f.retain_handling);
      sp.shared = std::string_view(f.filter).starts_with("$share/");
      if (sp.shared) shared_filters |= std::uint64_t{1} << std::min<std::size_t>(subscriptions.size(), 63);
      if (sp.retain_as_published && v5) retain_as_published = true;
      subscriptions.push_back(std::move(sp));
    }
    all_filters_shared = std::all_of(subscriptions.begin(), subscriptions.end(),
                                     [](const SubscriptionPlan& sp) { return sp.shared; });
  }
  if (s.shadow) {
    const scenario::Shadow& sh = *s.shadow;
    ShadowPlan sp;
    sp.thing = Template(s.fleet.thing_name.value_or("{client_id}"));
    sp.name = sh.name.value_or("");
    sp.get_on_connect = sh.get == scenario::ShadowGet::OnConnect;
    if (sh.update) {
      sp.update_interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / sh.update->rate.per_second));
      sp.reported = Template(sh.update->reported);
    }
    sp.report_delta = sh.on_delta == scenario::ShadowOnDelta::Report;
    sp.send_version = sh.version;
    sp.timeout = sh.timeout;
    sp.qos = sh.qos;
    shadow = std::move(sp);
  }
  if (s.jobs) {
    const scenario::Jobs& j = *s.jobs;
    JobsPlan jp;
    jp.thing = Template(s.fleet.thing_name.value_or("{client_id}"));
    jp.start_on_connect = j.start == scenario::JobsStart::OnConnectAndNotify;
    jp.work_min = j.work_min;
    jp.work_max = j.work_max;
    jp.fail_share = j.fail_share;
    for (const auto& [k, v] : j.status_details) jp.status_details.emplace_back(k, Template(v));
    jp.step_timeout_minutes = j.step_timeout_minutes.value_or(0);
    jp.in_progress = j.in_progress;
    jp.timeout = j.timeout;
    jp.qos = j.qos;
    jobs = std::move(jp);
  }
  if (s.provisioning) {
    const scenario::Provisioning& pv = *s.provisioning;
    ProvisioningPlan pp;
    pp.template_name = pv.template_name;
    for (const auto& [k, v] : pv.parameters) pp.parameters.emplace_back(k, Template(v));
    pp.from_csr = pv.certificate == scenario::ProvisioningCertificate::CreateFromCsr;
    pp.cbor = pv.format == scenario::ProvisioningFormat::Cbor;
    pp.rsa_key = pv.key_type == scenario::ProvisioningKey::Rsa2048;
    pp.timeout = pv.timeout;
    pp.qos = pv.qos;
    provisioning = std::move(pp);
  }
}

namespace {
// Indexes i in [0, x) with i % n == k.
std::uint64_t in_shard_below(std::uint64_t x, const scenario::Shard& s) noexcept {
  return x <= s.k ? 0 : (x - s.k + s.n - 1) / s.n;
}
}  // namespace

std::uint64_t FleetPlan::devices_in_shard() const noexcept {
  return in_shard_below(group_first + group_devices, shard) - in_shard_below(group_first, shard);
}

std::uint64_t FleetPlan::in_shard(std::uint64_t count) const noexcept {
  return in_shard_below(group_first + count, shard) - in_shard_below(group_first, shard);
}

double FleetPlan::shard_publish_rate() const noexcept {
  double r = 0.0;
  for (const auto& st : streams) r += shard_publish_rate(st);
  return r;
}

const StreamPlan* FleetPlan::stream_by_id(std::uint32_t id) const noexcept {
  for (const auto& st : streams)
    if (st.id == id) return &st;
  return nullptr;
}

void FleetPlan::set_fleet_streams(const std::vector<std::string>& names) {
  for (auto& st : streams) {
    const auto it = std::find(names.begin(), names.end(), st.name);
    st.id = static_cast<std::uint32_t>(it - names.begin());
  }
  stream_stride = static_cast<std::uint32_t>(std::max<std::size_t>(1, names.size()));
}

const FleetPlan& FleetPlan::plan_of(std::uint64_t index) const noexcept {
  if (fleet_groups == nullptr || fleet_groups->empty()) return *this;
  const auto& gs = *fleet_groups;
  auto it = std::upper_bound(gs.begin(), gs.end(), index,
                             [](std::uint64_t i, const FleetPlan* p) { return i < p->group_first; });
  return it == gs.begin() ? *gs.front() : **(it - 1);
}

scenario::TemplateVars FleetPlan::vars(std::uint64_t index) const noexcept {
  scenario::TemplateVars v;
  v.index = index;
  v.shard = shard.k;
  v.index_width = index_width;
  v.group = group;
  v.group_index = index >= group_first ? index - group_first : index;
  return v;
}

void FleetPlan::render_client_id(std::string& out, std::uint64_t index) const {
  out.clear();
  client_id.render_to(out, vars(index));
}

void FleetPlan::render_topic(std::string& out, const StreamPlan& st, std::uint64_t index, std::string_view cid) const {
  out.clear();
  auto v = vars(index);
  v.client_id = cid;
  st.topic.render_to(out, v);
}

bool FleetPlan::subscriber_expects(std::uint64_t sub, std::uint64_t pub, std::uint64_t filters) const {
  for (const auto& st : plan_of(pub).streams)
    if (subscriber_expects(sub, pub, st.id, filters)) return true;
  return false;
}

bool FleetPlan::subscriber_expects(std::uint64_t sub, std::uint64_t pub, std::uint32_t stream_id,
                                   std::uint64_t filters) const {
  const FleetPlan& pp = plan_of(pub);
  const StreamPlan* st = pp.stream_by_id(stream_id);
  if (st == nullptr || !is_subscriber(sub) || !pp.publishes(pub, *st)) return false;
  std::string pub_id, pub_topic, sub_id, filter;
  pp.render_client_id(pub_id, pub);
  pp.render_topic(pub_topic, *st, pub, pub_id);
  render_client_id(sub_id, sub);
  auto v = vars(sub);
  v.client_id = sub_id;
  for (std::size_t i = 0; i < subscriptions.size(); ++i) {
    if (!((filters >> std::min<std::size_t>(i, 63)) & 1u)) continue;
    filter.clear();
    subscriptions[i].filter.render_to(filter, v);
    if (topic_matches(filter, pub_topic)) return true;
  }
  return false;
}

}  // namespace fleetload::device
