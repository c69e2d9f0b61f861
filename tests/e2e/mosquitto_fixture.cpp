// Starting, stopping, pausing and restarting a real mosquitto for the e2e tests.
#include "e2e/mosquitto_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace fleetload::e2e {

namespace {
constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
constexpr std::chrono::seconds kStartTimeout{10};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}
}  // namespace

std::uint16_t pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port: " + std::string(std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a = loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

MosquittoBroker::MosquittoBroker() : MosquittoBroker(Options{}) {}

MosquittoBroker::MosquittoBroker(Options opts) : opts_(std::move(opts)) {
  dir_ = make_temp_dir("mosquitto");
  port_ = pick_free_port();
  std::ofstream conf(dir_ / "mosquitto.conf");
  conf << "listener " << port_ << " 127.0.0.1\n"
       << "allow_anonymous true\n"
       << "max_connections -1\n"
       << "persistence false\n"
       // Subscribers must not lose messages to the broker's default 1000-message queue cap:
       // the tests measure fleetload's accounting, so the broker is told not to drop.
       << "max_queued_messages 0\n"
       << "set_tcp_nodelay true\n"
       << "log_dest stderr\n"
       << "log_type error\nlog_type warning\nlog_type notice\n"
       << (opts_.log_connections ? "log_type information\nconnection_messages true\n"
                                 : "connection_messages false\n");
  // mosquitto started as root switches to user "mosquitto" unless told otherwise; stay as
  // whoever runs the test so the temp dir and inherited limits stay ours.
  if (const passwd* pw = ::getpwuid(::geteuid())) conf << "user " << pw->pw_name << "\n";
  conf << opts_.extra_config << "\n";
  conf.close();
  start();
}

MosquittoBroker::~MosquittoBroker() {
  if (proc_.running()) {
    proc_.send_signal(SIGCONT);
    proc_.kill_and_wait();
  }
  std::error_code ec;
  // Keep the logs of a failed run around only when asked; the dir is small otherwise.
  if (std::getenv("FLEETLOAD_KEEP_TEMP") == nullptr) std::filesystem::remove_all(dir_, ec);
}

void MosquittoBroker::start() {
  ++starts_;
  const auto log = dir_ / ("broker-" + std::to_string(starts_) + ".log");
  proc_ = ChildProcess({kMosquitto, "-c", (dir_ / "mosquitto.conf").string()}, dir_ / "stdout.log", log);
  wait_accepting(kStartTimeout);
}

void MosquittoBroker::wait_accepting(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!port_accepts(port_)) {
    if (!proc_.running()) {
      throw std::runtime_error("mosquitto exited before accepting on port " + std::to_string(port_) +
                               "; log:\n" + log());
    }
    if (std::chrono::steady_clock::now() >= end) {
      throw std::runtime_error("mosquitto did not accept on port " + std::to_string(port_) +
                               " within the start timeout; log:\n" + log());
    }
    // Nothing to await: the broker gives no readiness signal besides accepting.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void MosquittoBroker::stop() {
  proc_.send_signal(SIGCONT);
  proc_.send_signal(SIGTERM);
  if (!proc_.wait_for(std::chrono::seconds(10))) proc_.kill_and_wait();
}

void MosquittoBroker::kill() { proc_.kill_and_wait(); }
void MosquittoBroker::pause() { proc_.send_signal(SIGSTOP); }
void MosquittoBroker::resume() { proc_.send_signal(SIGCONT); }

void MosquittoBroker::restart() {
  if (proc_.running()) stop();
  start();
}

std::string MosquittoBroker::log() const {
  std::string all;
  for (int i = 1; i <= starts_; ++i) {
    all += "--- mosquitto start " + std::to_string(i) + " ---\n";
    all += read_file(dir_ / ("broker-" + std::to_string(i) + ".log"));
  }
  return all;
}

}  // namespace fleetload::e2e
