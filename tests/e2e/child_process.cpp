// Spawning and supervising child processes for the e2e tests (posix_spawn, waitpid polling).
#include "e2e/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fleetload::e2e {

namespace {
ExitStatus decode(int st) {
  ExitStatus s;
  if (WIFEXITED(st)) s.code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) s.signal = WTERMSIG(st);
  return s;
}
}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::filesystem::path stdout_file,
                           std::filesystem::path stderr_file)
    : out_(std::move(stdout_file)), err_(std::move(stderr_file)) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // The child starts with default signal dispositions and an empty mask, whatever the
  // test process (gtest, a parent that blocked signals) had.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) kill_and_wait();
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(o.pid_), status_(o.status_), out_(std::move(o.out_)), err_(std::move(o.err_)) {
  o.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0 && !status_) kill_and_wait();
    pid_ = o.pid_;
    status_ = o.status_;
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
    o.pid_ = -1;
  }
  return *this;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  rusage ru{};
  const pid_t r = wait4(pid_, &st, WNOHANG, &ru);
  if (r == pid_) {
    status_ = decode(st);
    status_->max_rss_bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
    return false;
  }
  return true;
}

void ChildProcess::send_signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<ExitStatus> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return ExitStatus{};
  const auto end = std::chrono::steady_clock::now() + timeout;
  // waitpid has no timeout; poll at 10 ms, which bounds the added latency, not correctness.
  while (running()) {
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

ExitStatus ChildProcess::kill_and_wait() {
  if (pid_ <= 0) return ExitStatus{};
  if (!status_) {
    ::kill(pid_, SIGCONT);  // a stopped child would still die, but be explicit
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    status_ = decode(st);
  }
  return *status_;
}

std::string ChildProcess::stdout_text() const { return read_file(out_); }
std::string ChildProcess::stderr_text() const { return read_file(err_); }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path make_temp_dir(const std::string& tag) {
  std::string templ = (std::filesystem::temp_directory_path() / ("fleetload-" + tag + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  return templ;
}

}  // namespace fleetload::e2e
