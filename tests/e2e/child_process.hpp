// A child process for e2e tests: spawn with output captured to files, signal, wait with a bound.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fleetload::e2e {

// Exit status of a finished child: either a code or the signal that ended it.
struct ExitStatus {
  int code = -1;    // exit code when it exited normally, else -1
  int signal = 0;   // terminating signal, else 0
  // The kernel's peak resident memory of the child over its whole life (wait4 ru_maxrss),
  // an account independent of the child's own; 0 when it was not reaped by running().
  std::uint64_t max_rss_bytes = 0;
  bool exited() const { return signal == 0 && code >= 0; }
};

class ChildProcess {
 public:
  ChildProcess() = default;
  // Starts argv[0] (an absolute path) with stdout and stderr written to the given files.
  // Throws std::runtime_error when the process cannot be started.
  ChildProcess(std::vector<std::string> argv, std::filesystem::path stdout_file,
               std::filesystem::path stderr_file);
  ~ChildProcess();  // kills (SIGKILL) and reaps a child still running
  ChildProcess(ChildProcess&&) noexcept;
  ChildProcess& operator=(ChildProcess&&) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void send_signal(int sig) const;
  // Waits until the child ends or the timeout passes; nullopt on timeout (child left running).
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  // SIGKILL and reap; returns how it ended.
  ExitStatus kill_and_wait();

  std::string stdout_text() const;
  std::string stderr_text() const;
  const std::filesystem::path& stdout_path() const { return out_; }
  const std::filesystem::path& stderr_path() const { return err_; }

 private:
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  std::filesystem::path out_;
  std::filesystem::path err_;
};

std::string read_file(const std::filesystem::path& p);
// A fresh directory under the system temp dir, named after `tag`.
std::filesystem::path make_temp_dir(const std::string& tag);

}  // namespace fleetload::e2e
