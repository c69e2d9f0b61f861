// Load client for the responder bench (MQTT 5): C connections x T things each, every thing a closed
// loop of shadow round trips against `fleetload responder` through a broker: update (reported
// counter, clientToken) -> update/accepted, then get -> get/accepted, again. Prints one JSON
// object: round trips per second over the measured window, latency percentiles, and the
// checks (each answer's clientToken is the one sent; update versions rise by one per update).
//
// Usage: responder_bench --port P [--connections 100] [--things 100] [--seconds 10]
//                        [--warmup 2] [--qos 0|1] [--prefix bench]
#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "device/stats.hpp"
#include "mqtt/codec.hpp"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace fleetload;

struct Options {
  std::uint16_t port = 1883;
  int connections = 100;
  int things = 100;
  double seconds = 10;
  double warmup = 2;
  int qos = 1;
  std::string prefix = "bench";
};

struct Totals {
  std::uint64_t updates = 0, gets = 0, errors = 0, rejected = 0;
  device::HistogramSnapshot latency;  // ns, request written to answer read
  bool measuring = false;
};

struct Thing {
  std::string name;
  std::string update_topic, get_topic, update_accepted, get_accepted;
  std::uint64_t seq = 0;       // requests sent
  std::uint64_t version = 0;   // last update/accepted version
  bool waiting_update = false;
  Clock::time_point sent;
};

class Conn {
 public:
  Conn(asio::io_context& io, const Options& o, int index, Totals& totals)
      : sock_(io), o_(o), totals_(totals), decoder_(mqtt::DecodeOptions{mqtt::Version::V5}) {
    for (int t = 0; t < o.things; ++t) {
      Thing th;
      th.name = o.prefix + "-" + std::to_string(index) + "-" + std::to_string(t);
      const std::string p = "$aws/things/" + th.name + "/shadow/";
      th.update_topic = p + "update";
      th.get_topic = p + "get";
      th.update_accepted = p + "update/accepted";
      th.get_accepted = p + "get/accepted";
      things_.push_back(std::move(th));
    }
    for (std::size_t i = 0; i < things_.size(); ++i) {
      by_topic_[things_[i].update_accepted] = i;
      by_topic_[things_[i].get_accepted] = i;
      by_topic_["$aws/things/" + things_[i].name + "/shadow/update/rejected"] = i;
      by_topic_["$aws/things/" + things_[i].name + "/shadow/get/rejected"] = i;
    }
    id_ = "responder-bench-" + std::to_string(index);
  }

  void start(tcp::endpoint ep) {
    sock_.async_connect(ep, [this](boost::system::error_code ec) {
      if (ec) return fail("connect: " + ec.message());
      sock_.set_option(tcp::no_delay(true));
      mqtt::Connect c;
      c.version = mqtt::Version::V5;
      c.client_id = id_;
      c.keep_alive = 120;
      // One connection stands for 100 things with an answer outstanding each: lift the
      // broker's default per-client in-flight cap (mosquitto: 20), which a single device
      // would never reach.
      c.properties.receive_maximum = 65535;
      send(c);
      read();
    });
  }

 private:
  void fail(const std::string& why) {
    std::fprintf(stderr, "responder_bench: %s: %s\n", id_.c_str(), why.c_str());
    std::exit(3);
  }

  void send(const mqtt::Packet& p) {
    const auto sz = mqtt::encoded_size(p, mqtt::Version::V5);
    const std::size_t at = pending_.size();
    pending_.resize(at + sz.size);
    mqtt::encode(p, mqtt::Version::V5, std::span<std::uint8_t>(pending_.data() + at, sz.size));
    if (!writing_) write();
  }

  void write() {
    if (pending_.empty()) return;
    writing_ = true;
    inflight_.swap(pending_);
    pending_.clear();
    asio::async_write(sock_, asio::buffer(inflight_), [this](boost::system::error_code ec, std::size_t) {
      writing_ = false;
      if (ec) return fail("write: " + ec.message());
      inflight_.clear();
      write();
    });
  }

  void read() {
    auto buf = decoder_.prepare(64 * 1024);
    sock_.async_read_some(asio::buffer(buf.data(), buf.size()), [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return fail("read: " + ec.message());
      decoder_.commit(n);
      while (true) {
        auto r = decoder_.next(packet_);
        if (r.status == mqtt::DecodeStatus::NeedMore) break;
        if (r.status == mqtt::DecodeStatus::Error) return fail("decode: " + r.error.message());
        on_packet();
      }
      read();
    });
  }

  void on_packet() {
    if (auto* ca = std::get_if<mqtt::Connack>(&packet_)) {
      if (ca->reason_code != 0) return fail("CONNACK refused");
      // Four filters per thing (accepted + rejected of get and update), 8 per SUBSCRIBE.
      std::vector<std::string> filters;
      for (auto& [topic, i] : by_topic_) filters.push_back(topic);
      for (std::size_t i = 0; i < filters.size(); i += 8) {
        mqtt::Subscribe s;
        s.packet_id = static_cast<std::uint16_t>(++sub_id_);
        for (std::size_t k = i; k < filters.size() && k < i + 8; ++k) {
          filter_storage_.push_back(filters[k]);
          s.subscriptions.push_back(mqtt::Subscription{filter_storage_.back(), static_cast<mqtt::QoS>(o_.qos)});
        }
        send(s);
        ++subacks_waiting_;
      }
      return;
    }
    if (std::holds_alternative<mqtt::Suback>(packet_)) {
      if (--subacks_waiting_ == 0) {
        for (std::size_t i = 0; i < things_.size(); ++i) request(i);
      }
      return;
    }
    if (auto* pub = std::get_if<mqtt::Publish>(&packet_)) {
      if (pub->qos == mqtt::QoS::AtLeastOnce) {
        mqtt::PubAck a;
        a.packet_id = pub->packet_id;
        send(a);
      }
      on_answer(pub->topic, pub->payload);
      return;
    }
  }

  // Sends the thing's next request: updates and gets alternate.
  void request(std::size_t i) {
    Thing& t = things_[i];
    ++t.seq;
    const std::string token = t.name + ":" + std::to_string(t.seq);
    t.waiting_update = t.seq % 2 == 1;
    body_ = t.waiting_update
                ? "{\"state\":{\"reported\":{\"counter\":" + std::to_string(t.seq) + ",\"fw\":\"1.0.3\"}},\"clientToken\":\"" +
                      token + "\"}"
                : "{\"clientToken\":\"" + token + "\"}";
    mqtt::Publish p;
    p.topic = t.waiting_update ? t.update_topic : t.get_topic;
    p.payload = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(body_.data()), body_.size());
    p.qos = static_cast<mqtt::QoS>(o_.qos);
    if (o_.qos == 1) p.packet_id = static_cast<std::uint16_t>(next_id_ = next_id_ % 65535 + 1);
    t.sent = Clock::now();
    send(p);
  }

  void on_answer(std::string_view topic, mqtt::Bytes payload) {
    auto it = by_topic_.find(std::string(topic));
    if (it == by_topic_.end()) return;
    Thing& t = things_[it->second];
    const auto now = Clock::now();
    boost::system::error_code ec;
    const json::value v = json::parse(json::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()), ec);
    const std::string token = t.name + ":" + std::to_string(t.seq);
    const json::string* tok = ec ? nullptr : v.as_object().if_contains("clientToken") ? &v.at("clientToken").as_string() : nullptr;
    bool ok = tok != nullptr && *tok == token;
    if (topic.ends_with("rejected")) {
      ++totals_.rejected;
      ok = false;
    } else if (ok && t.waiting_update) {
      const std::uint64_t version = v.at("version").to_number<std::uint64_t>();
      ok = version == t.version + 1 || t.version == 0;  // a rerun may meet an existing shadow
      t.version = version;
    }
    if (totals_.measuring) {
      if (!ok) ++totals_.errors;
      (t.waiting_update ? totals_.updates : totals_.gets) += 1;
      totals_.latency.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - t.sent).count()));
    }
    request(it->second);
  }

  tcp::socket sock_;
  const Options& o_;
  Totals& totals_;
  mqtt::StreamDecoder decoder_;
  mqtt::Packet packet_;
  std::vector<Thing> things_;
  std::unordered_map<std::string, std::size_t> by_topic_;
  std::deque<std::string> filter_storage_;
  std::vector<std::uint8_t> pending_, inflight_;
  bool writing_ = false;
  int sub_id_ = 0;
  int subacks_waiting_ = 0;
  std::uint16_t next_id_ = 0;
  std::string id_, body_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port") o.port = static_cast<std::uint16_t>(std::atoi(v));
    else if (k == "--connections") o.connections = std::atoi(v);
    else if (k == "--things") o.things = std::atoi(v);
    else if (k == "--seconds") o.seconds = std::atof(v);
    else if (k == "--warmup") o.warmup = std::atof(v);
    else if (k == "--qos") o.qos = std::atoi(v);
    else if (k == "--prefix") o.prefix = v;
    else {
      std::fprintf(stderr, "responder_bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  asio::io_context io(1);
  Totals totals;
  std::vector<std::unique_ptr<Conn>> conns;
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), o.port);
  for (int c = 0; c < o.connections; ++c) {
    conns.push_back(std::make_unique<Conn>(io, o, c, totals));
    conns.back()->start(ep);
  }
  asio::steady_timer warm(io), end(io);
  Clock::time_point t0;
  warm.expires_after(std::chrono::milliseconds(static_cast<long>(o.warmup * 1000)));
  warm.async_wait([&](boost::system::error_code) {
    totals.measuring = true;
    t0 = Clock::now();
    end.expires_after(std::chrono::milliseconds(static_cast<long>(o.seconds * 1000)));
    end.async_wait([&](boost::system::error_code) { io.stop(); });
  });
  io.run();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::uint64_t trips = totals.updates + totals.gets;
  std::printf(
      "{\"things\": %d, \"connections\": %d, \"qos\": %d, \"seconds\": %.2f, \"round_trips\": %llu, "
      "\"round_trips_per_s\": %.0f, \"updates_per_s\": %.0f, \"gets_per_s\": %.0f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
      "\"max_ms\": %.3f, \"errors\": %llu, \"rejected\": %llu}\n",
      o.connections * o.things, o.connections, o.qos, secs, static_cast<unsigned long long>(trips), trips / secs,
      totals.updates / secs, totals.gets / secs, totals.latency.percentile(0.5) / 1e6,
      totals.latency.percentile(0.99) / 1e6, totals.latency.max / 1e6, static_cast<unsigned long long>(totals.errors),
      static_cast<unsigned long long>(totals.rejected));
  return totals.errors == 0 ? 0 : 1;
}
