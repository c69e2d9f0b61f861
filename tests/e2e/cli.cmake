# End-to-end tests through the real `fleetload` binary against a real mosquitto started by
# tests/e2e/mosquitto_fixture on a free loopback port. ctest -L e2e.
add_library(fleetload_e2e_support STATIC
  ${CMAKE_CURRENT_LIST_DIR}/child_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mosquitto_fixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fleetload_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rate_limit_proxy.cpp
)
target_include_directories(fleetload_e2e_support PUBLIC ${PROJECT_SOURCE_DIR}/tests)
# Boost.JSON is compiled once, in fleetload_metrics.
target_link_libraries(fleetload_e2e_support PUBLIC fleetload_metrics PRIVATE fleetload_warnings)
# Where the binary and the scenarios are when the environment does not say.
target_compile_definitions(fleetload_e2e_support PRIVATE
  FLEETLOAD_E2E_BINARY_DIR="${PROJECT_BINARY_DIR}" FLEETLOAD_E2E_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

fleetload_add_gtest(NAME mosquitto_fixture_test LABEL e2e TIMEOUT 60
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/mosquitto_fixture_test.cpp
  LIBS fleetload_e2e_support)

# The capacity-search tests' broker with a known capacity: a rate-limiting proxy in front
# of mosquitto.
fleetload_add_gtest(NAME rate_limit_proxy_test LABEL e2e TIMEOUT 60
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/rate_limit_proxy_test.cpp
  LIBS fleetload_e2e_support)

if(TARGET fleetload)
  # The tests spawn the binary: build it with them.
  fleetload_add_gtest(NAME cli_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_e2e_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/cli_verdict_e2e_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/cli_inputs_e2e_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/cli_signals_e2e_test.cpp
    LIBS fleetload_e2e_support)
  fleetload_add_gtest(NAME fleet_e2e_test LABEL e2e TIMEOUT 150 RUN_SERIAL
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/fleet_e2e_test.cpp
    LIBS fleetload_e2e_support)
  fleetload_add_gtest(NAME keepalive_e2e_test LABEL e2e TIMEOUT 90 RUN_SERIAL
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/keepalive_e2e_test.cpp
    LIBS fleetload_e2e_support)
  fleetload_add_gtest(NAME reconnect_e2e_test LABEL e2e TIMEOUT 120 RUN_SERIAL
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/reconnect_e2e_test.cpp
    LIBS fleetload_e2e_support)
  foreach(t cli_e2e_test fleet_e2e_test keepalive_e2e_test reconnect_e2e_test)
    add_dependencies(${t} fleetload)
  endforeach()
endif()

# Failed TCP connects and name lookups named by reason and endpoint (harden).
if(TARGET fleetload)
  fleetload_add_gtest(NAME connect_failures_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/connect_failures_test.cpp
    LIBS fleetload_e2e_support)
  add_dependencies(connect_failures_e2e_test fleetload)
endif()

# The open-files preflight counts the worker threads' event loops (harden).
if(TARGET fleetload)
  fleetload_add_gtest(NAME limits_e2e_test LABEL e2e TIMEOUT 180
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/limits_e2e_test.cpp
    LIBS fleetload_e2e_support)
  # GCC 12's -Wmaybe-uninitialized false positive inside <regex>, as in metrics.cmake.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(limits_e2e_test PRIVATE -Wno-maybe-uninitialized)
  endif()
  add_dependencies(limits_e2e_test fleetload)
endif()
