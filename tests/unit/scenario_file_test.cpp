// Reading a scenario file is bounded: a FIFO without a writer, /dev/zero, a directory, an
// oversized file, a second YAML document and an alias bomb each get one clear error at once,
// with small memory; ordinary files (aliases included) still load.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "scenario/scenario.hpp"

namespace fleetload::scenario {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kBase = "target: {endpoint: 127.0.0.1:1883}\nfleet: {devices: 10}\n";

class ScenarioFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fleetload-scenario-file-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  fs::path dir_;
};

// The error text of load_scenario (or "(no error)"), and how long it took.
std::string load_error(const fs::path& p, double* seconds = nullptr) {
  const auto t0 = Clock::now();
  std::string out = "(no error)";
  try {
    load_scenario(p);
  } catch (const ScenarioError& e) {
    out = e.what();
  }
  if (seconds) *seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

std::string parse_error(const std::string& yaml) {
  try {
    parse_scenario(yaml, "s.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

// Peak RSS of this process, in KiB.
long peak_rss_kib() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

TEST_F(ScenarioFile, FifoWithoutWriterIsRefusedAtOnce) {
  const fs::path fifo = dir_ / "pipe.yaml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A watchdog writer: if the load blocks on the FIFO (the old behaviour), it is unblocked
  // after 5 s with an empty stream, so this test fails on the message instead of hanging.
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (!done && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (done) return;
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
    else {
      const int blocking = ::open(fifo.c_str(), O_WRONLY);  // the reader is there: does not block
      if (blocking >= 0) ::close(blocking);
    }
  });
  double took = 0;
  const std::string err = load_error(fifo, &took);
  done = true;
  watchdog.join();
  EXPECT_EQ(err, fifo.string() + ": is a FIFO (named pipe), not a scenario file; give a regular YAML file");
  EXPECT_LT(took, 1.0);
}

TEST_F(ScenarioFile, DevZeroIsRefusedWithoutReadingIt) {
  const long before = peak_rss_kib();
  double took = 0;
  const std::string err = load_error("/dev/zero", &took);
  EXPECT_EQ(err, "/dev/zero: is a character device, not a scenario file; give a regular YAML file");
  EXPECT_LT(took, 1.0);
  EXPECT_LT(peak_rss_kib() - before, 16 * 1024);
}

TEST_F(ScenarioFile, DirectoryIsNamedAsSuch) {
  EXPECT_EQ(load_error(dir_), dir_.string() + ": is a directory, not a scenario file; give a regular YAML file");
}

TEST_F(ScenarioFile, MissingFileSaysSo) {
  EXPECT_EQ(load_error(dir_ / "nope.yaml"),
            (dir_ / "nope.yaml").string() + ": cannot open the scenario file: No such file or directory");
}

TEST_F(ScenarioFile, OversizedFileIsRefusedBeforeReading) {
  // Sparse: 17 MiB long, nothing written, so the refusal must come from fstat.
  const fs::path p = write("big.yaml", kBase);
  fs::resize_file(p, std::uintmax_t{17} << 20);
  const long before = peak_rss_kib();
  EXPECT_EQ(load_error(p), p.string() + ": larger than 16 MiB; a scenario file is at most that (is it the right file?)");
  EXPECT_LT(peak_rss_kib() - before, 8 * 1024);
}

TEST_F(ScenarioFile, SecondYamlDocumentIsAnErrorNotIgnored) {
  const fs::path p = write("two.yaml", std::string(kBase) + "---\nfleet: {devices: 99}\n");
  EXPECT_EQ(load_error(p), p.string() +
                               ":3:1: a second YAML document starts here; a scenario file holds exactly one "
                               "(remove the '---' line and what follows, or split the file)");
  // A leading document marker is the first document, not a second one.
  EXPECT_EQ(parse_error(std::string("---\n") + kBase), "(no error)");
}

TEST_F(ScenarioFile, ManyAliasesOfALongStringAreRefusedPromptlyWithSmallMemory) {
  // 1 MB string, 3000 aliases of it as subscribe filters: 3 GB once every alias is read as
  // its own std::string. The file itself is ~1 MB.
  std::string yaml = std::string(kBase) + "subscribe:\n  filters:\n    - &s \"a/" + std::string(1000000, 'x') + "\"\n";
  for (int i = 0; i < 3000; ++i) yaml += "    - *s\n";
  const fs::path p = write("bomb.yaml", yaml);
  const long before = peak_rss_kib();
  double took = 0;
  const std::string err = load_error(p, &took);
  // The 67th alias crosses 64 MiB: line 5 holds the anchor, line 6 the first alias.
  EXPECT_EQ(err, p.string() +
                     ":72:7: this alias takes the document past 1000000 nodes or 64 MiB of text once YAML "
                     "aliases are expanded; refused (a scenario is far smaller: is this an alias bomb?)");
  EXPECT_LT(took, 5.0);
  EXPECT_LT(peak_rss_kib() - before, 64 * 1024);
}

TEST_F(ScenarioFile, NestedAliasBombIsRefused) {
  // The classic shape: 10 levels of 10 aliases each = 10^10 nodes expanded.
  std::string yaml = kBase;
  yaml += "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    yaml += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", *l" : "*l") + std::to_string(i - 1);
    yaml += "]\n";
  }
  const std::string err = parse_error(yaml);
  EXPECT_NE(err.find("s.yaml:8:"), std::string::npos) << err;  // level 5 (line 8) crosses 10^6 nodes
  EXPECT_NE(err.find("this alias takes the document past 1000000 nodes"), std::string::npos) << err;
  // Refused before anything else is looked at: the unknown keys l0..l9 are not reported.
  EXPECT_EQ(err.find("unknown key"), std::string::npos) << err;
}

TEST_F(ScenarioFile, OrdinaryAliasesStillWork) {
  const std::string yaml = std::string(kBase) +
                           "publish: {topic: &t \"t/{index}\", qos: 1, rate: 1/s}\n"
                           "subscribe:\n  filters: [{filter: *t, qos: 1}]\n";
  const Scenario s = parse_scenario(yaml, "s.yaml");
  ASSERT_EQ(s.subscribe.filters.size(), 1u);
  EXPECT_EQ(s.subscribe.filters[0].filter, "t/{index}");
}

}  // namespace
}  // namespace fleetload::scenario
