// The e2e tests' own count of what a broker delivered, independent of fleetload: a
// mosquitto_sub printing one line per message (its topic), and counting lines by prefix.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "e2e/child_process.hpp"
#include "e2e/metrics_servers.hpp"

namespace fleetload::e2e {

// Lines of `text` that start with `prefix`.
inline std::uint64_t lines_starting(const std::string& text, const std::string& prefix) {
  std::uint64_t n = 0;
  for (std::size_t at = 0; at < text.size();) {
    const auto nl = text.find('\n', at);
    const auto end = nl == std::string::npos ? text.size() : nl;
    if (text.compare(at, prefix.size(), prefix) == 0 && end - at >= prefix.size()) ++n;
    at = end + 1;
  }
  return n;
}

// A QoS 1 mosquitto_sub on 127.0.0.1:`port` to `filter`, output under `dir`, a line per
// message as `format` says (mosquitto_sub -F: %t topic, %p payload); returned once it is
// subscribed (a probe message it published came back), or with `ready` false.
inline ChildProcess counting_subscriber(const std::string& port, const std::string& filter,
                                        const std::filesystem::path& dir, bool& ready,
                                        const std::string& format = "%t") {
  using namespace std::chrono_literals;
  ChildProcess sub({"/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", filter, "-t", "probe",
                    "-F", format},
                   dir / "sub.out", dir / "sub.err");
  ready = wait_until([&] {
    ChildProcess pub({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "probe", "-m", "x"},
                     dir / "pub.out", dir / "pub.err");
    pub.wait_for(5s);
    return sub.stdout_text().find("probe") != std::string::npos;
  }, 20s);
  return sub;
}

}  // namespace fleetload::e2e
