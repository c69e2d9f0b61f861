// The responder's run loop (see runner.hpp).
#include "responder/runner.hpp"

#include <boost/asio/post.hpp>

namespace fleetload::responder {
namespace {

std::vector<std::string> filters_of(const ResponderConfig& c) {
  std::vector<std::string> f;
  auto add = [&f](awsiot::Service s) {
    for (auto& x : awsiot::request_filters(s)) f.push_back(std::move(x));
  };
  if (c.shadow) add(awsiot::Service::Shadow);
  if (c.jobs) add(awsiot::Service::Jobs);
  if (c.provisioning) add(awsiot::Service::Provisioning);
  return f;
}

}  // namespace

std::uint64_t Runner::epoch_now() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

Runner::Runner(ResponderConfig cfg, std::function<void(const std::string&)> log)
    : cfg_(std::move(cfg)), log_(std::move(log)) {
  DispatcherOptions opt;
  opt.shadow = cfg_.shadow;
  opt.jobs = cfg_.jobs;
  opt.provisioning = cfg_.provisioning;
  const auto& p = cfg_.provisioning_config;
  if (cfg_.provisioning && p.ca_cert) {
    opt.issuer = std::make_shared<CertIssuer>(*p.ca_cert, *p.ca_key, p.key_type, p.days);
  }
  opt.templates = p.templates;
  Connection::Events ev;
  ev.on_ready = [this] { on_ready(); };
  ev.on_message = [this](std::string_view topic, std::span<const std::uint8_t> payload) {
    dispatcher_->on_publish(topic, payload, epoch_now());
  };
  ev.on_down = [this](const std::string& why) {
    if (!stopping_) log_("fleetload responder: " + why + "; reconnecting");
  };
  connection_ = std::make_unique<Connection>(io_, cfg_.broker, filters_of(cfg_), std::move(ev));
  dispatcher_ = std::make_unique<Dispatcher>(*connection_, std::move(opt));
  dispatcher_->on_new_thing = [this](const std::string& thing) {
    for (std::size_t i : continuous_jobs_) dispatcher_->jobs().add_target(cfg_.job_list[i].id, thing, epoch_now());
  };
}

Runner::~Runner() = default;

void Runner::on_ready() {
  const std::string proto = cfg_.broker.version == mqtt::Version::V5 ? "5" : "3.1.1";
  log_("fleetload responder: ready on " + cfg_.broker.host + ":" + std::to_string(cfg_.broker.port) + " (MQTT " + proto +
       (cfg_.broker.tls ? ", TLS" : "") + "), services:" + (cfg_.shadow ? " shadow" : "") + (cfg_.jobs ? " jobs" : "") +
       (cfg_.provisioning ? " provisioning" : ""));
  if (ever_ready_) return;
  ever_ready_ = true;
  // Jobs are created relative to the first time the responder can answer.
  for (std::size_t i = 0; i < cfg_.job_list.size(); ++i) {
    if (cfg_.job_list[i].at.count() == 0) {
      create_job(i);
      continue;
    }
    auto t = std::make_unique<boost::asio::steady_timer>(io_, cfg_.job_list[i].at);
    t->async_wait([this, i](const boost::system::error_code& ec) {
      if (!ec && !stopping_) create_job(i);
    });
    job_timers_.push_back(std::move(t));
  }
}

void Runner::create_job(std::size_t i) {
  const JobConfig& j = cfg_.job_list[i];
  std::vector<std::string> targets = j.expand_targets();
  if (j.targets.seen) {
    for (const auto& t : dispatcher_->things_seen()) targets.push_back(t);
  }
  const std::size_t n = dispatcher_->jobs().create_job(j.id, j.document, targets, epoch_now());
  if (j.targets.continuous) continuous_jobs_.push_back(i);
  log_("fleetload responder: job " + j.id + " created, " + std::to_string(n) + " executions queued" +
       (j.targets.continuous ? " (continuous: things seen later get it too)" : ""));
}

void Runner::arm_tick() {
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    dispatcher_->tick(epoch_now());
    arm_tick();
  });
}

int Runner::run() {
  started_ = std::chrono::steady_clock::now();
  connection_->start();
  arm_tick();
  if (cfg_.duration) {
    duration_timer_.expires_after(*cfg_.duration);
    duration_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) stop_now();
    });
  }
  io_.run();
  ended_ = std::chrono::steady_clock::now();
  return ever_ready_ ? 0 : 3;
}

void Runner::stop_now() {
  if (stopping_) return;
  stopping_ = true;
  tick_timer_.cancel();
  duration_timer_.cancel();
  for (auto& t : job_timers_) t->cancel();
  connection_->stop(std::chrono::seconds(2), [this] { io_.stop(); });
}

void Runner::request_stop() {
  boost::asio::post(io_, [this] { stop_now(); });
}

}  // namespace fleetload::responder
