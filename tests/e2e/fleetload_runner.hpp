// Running the real `fleetload` binary from e2e tests: scenario files, spawning, the JSON report.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "e2e/child_process.hpp"

namespace fleetload::e2e {

std::filesystem::path fleetload_binary();   // ${FLEETLOAD_BINARY_DIR}/fleetload
std::filesystem::path source_dir();         // ${FLEETLOAD_SOURCE_DIR}

// Writes `yaml` to dir/name and returns the path.
std::filesystem::path write_file(const std::filesystem::path& dir, const std::string& name, const std::string& yaml);

struct Outcome {
  ExitStatus status;
  std::string out;
  std::string err;
  std::optional<boost::json::value> report;  // parsed --report file, when written
  std::string describe() const;  // exit status and both streams, for failure messages
};

// Spawns fleetload with `args`, output captured under `dir`.
ChildProcess spawn_fleetload(const std::vector<std::string>& args, const std::filesystem::path& dir,
                             const std::string& tag = "fleetload");
// Waits (bounded) for the child to end and collects its output and the report at `report`.
Outcome finish(ChildProcess& p, std::chrono::seconds timeout, const std::optional<std::filesystem::path>& report = {});
// spawn + finish.
Outcome run_fleetload(const std::vector<std::string>& args, const std::filesystem::path& dir,
                      std::chrono::seconds timeout, const std::optional<std::filesystem::path>& report = {});

// Waits until the child's stderr contains `needle` (e.g. a progress line), bounded. False on
// timeout or when the child ended first.
bool wait_for_stderr(ChildProcess& p, const std::string& needle, std::chrono::milliseconds timeout);

// Report accessors (numbers parse as int64, uint64 or double depending on their text).
std::uint64_t u64(const boost::json::value& v);
double f64(const boost::json::value& v);
std::uint64_t counter(const boost::json::value& report, const char* name);
// The item named `name` of the report's list `list` ("groups", "streams"); throws when none.
const boost::json::object& named(const boost::json::value& report, const char* list, const std::string& name);
std::uint64_t qos_counter(const boost::json::value& report, const char* name, unsigned qos);
const boost::json::value& histogram(const boost::json::value& report, const char* name);
// Quantile q of a report histogram, in seconds, from its sparse buckets (bucket upper bound).
double histogram_quantile_s(const boost::json::value& hist, double q);
// Share of a report histogram's samples below `seconds` (by bucket upper bound).
double histogram_share_below(const boost::json::value& hist, double seconds);

}  // namespace fleetload::e2e
