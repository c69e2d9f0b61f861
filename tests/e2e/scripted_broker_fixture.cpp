// ScriptedBroker: runs scripted_broker.py under Debian's python3 and reads its event log.
#include "e2e/scripted_broker_fixture.hpp"

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "e2e/event_log.hpp"
#include "e2e/fleetload_runner.hpp"

namespace fleetload::e2e {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path scripted_broker_script() { return source_dir() / "tests/e2e/scripted_broker/scripted_broker.py"; }

ScriptedBroker::ScriptedBroker(const std::string& config_json) : dir_(make_temp_dir("scripted-broker")) {
  std::ofstream(dir_ / "config.json") << config_json;
  // The script binds port 0 and publishes the kernel's choice by renaming a finished file:
  // no race between picking a free port and binding it.
  proc_ = ChildProcess({"/usr/bin/python3", scripted_broker_script().string(), "--config",
                        (dir_ / "config.json").string(), "--log", (dir_ / "events.jsonl").string(),
                        "--port-file", (dir_ / "port").string()},
                       dir_ / "stdout.log", dir_ / "stderr.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!fs::exists(dir_ / "port")) {
    if (!proc_.running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("scripted_broker.py did not start:\n" + proc_.stderr_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling with a deadline
  }
  port_ = static_cast<std::uint16_t>(std::stoi(read_file(dir_ / "port")));
}

ScriptedBroker::~ScriptedBroker() { stop_broker_process(proc_, dir_); }

std::vector<json::object> ScriptedBroker::events() const {
  return read_event_log(dir_ / "events.jsonl");
}

bool ScriptedBroker::wait_until(const std::function<bool(const std::vector<json::object>&)>& done,
                                std::chrono::milliseconds timeout) const {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done(events())) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the log file is the only signal
  }
}

std::string ScriptedBroker::log() const { return proc_.stderr_text(); }

namespace {
double num(const json::value& v) { return v.is_double() ? v.as_double() : static_cast<double>(v.to_number<std::int64_t>()); }
}  // namespace

std::vector<ConnTrace> connections(const std::vector<json::object>& events) {
  std::map<int, ConnTrace> by_conn;
  for (const auto& e : events) {
    const int c = static_cast<int>(e.at("conn").to_number<std::int64_t>());
    ConnTrace& t = by_conn[c];
    t.conn = c;
    t.events.push_back(e);
    const double at = num(e.at("t"));
    const std::string_view ev = e.at("event").as_string();
    if (ev == "accept") {
      t.accept = at;
    } else if (ev == "connect") {
      t.connect = at;
      t.client_id = e.at("client_id").as_string();
      t.version = static_cast<int>(e.at("version").to_number<std::int64_t>());
      t.clean_start = e.at("clean_start").as_bool();
    } else if (ev == "connack") {
      t.connack = at;
      t.connack_code = static_cast<int>(e.at("code").to_number<std::int64_t>());
      t.session_present = e.at("session_present").as_bool();
    } else if (ev == "close") {
      t.close = at;
      t.closed_by = e.at("by").as_string();
    } else if (ev == "pingreq") {
      t.pingreqs.push_back(at);
    } else if (ev == "publish") {
      t.publishes.push_back(at);
    } else if (ev == "disconnect") {
      t.disconnects.emplace_back(at, static_cast<int>(e.at("reason_code").to_number<std::int64_t>()));
    }
  }
  std::vector<ConnTrace> out;
  for (auto& [c, t] : by_conn) out.push_back(std::move(t));
  return out;
}

std::map<std::string, std::vector<ConnTrace>> by_client(const std::vector<ConnTrace>& traces) {
  std::map<std::string, std::vector<ConnTrace>> out;
  for (const auto& t : traces) out[t.client_id].push_back(t);
  for (auto& [id, list] : out)
    std::sort(list.begin(), list.end(), [](const ConnTrace& a, const ConnTrace& b) { return a.accept < b.accept; });
  return out;
}

}  // namespace fleetload::e2e
