// A gtest fixture whose cases share one expensive "world" (a real run, the servers around it,
// its reports) built once per process in SetUpTestSuite: a build failure fails every case
// with its message, and the world's directory is kept when a case failed, for the reader.
// Such suites are registered with ONE_PROCESS (tests/CMakeLists.txt), so the world is built
// once per suite, not once per case.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <filesystem>
#include <system_error>

namespace fleetload::e2e {

// World: default-constructible, with `std::string error` and `std::filesystem::path dir`.
// `slot` is the test file's own pointer to it, so free helpers of the file can read it too.
template <class World, World*& slot, void (*build)(World&)>
class SharedWorldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    slot = new World;
    try {
      build(*slot);
    } catch (const std::exception& e) {
      slot->error = e.what();
    }
  }
  static void TearDownTestSuite() {
    const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    std::error_code ec;
    if (suite && suite->Passed() && !slot->dir.empty()) std::filesystem::remove_all(slot->dir, ec);
    delete slot;
    slot = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(slot->error.empty()) << slot->error; }
};

}  // namespace fleetload::e2e
