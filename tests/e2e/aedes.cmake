# Truthful books against aedes (npm, pinned in tests/brokers/aedes; installed by
# scripts/setup-deps.sh), a second real broker implementation beside mosquitto: MQTT 5
# refused with a 3.1.1 CONNACK, retained and earlier-run messages, refused and $share
# subscriptions, each counted on aedes' own log. One world of parallel runs (ONE_PROCESS),
# about 7 s; skipped with the reason when node or aedes is absent (a failure when
# FLEETLOAD_REQUIRE_AEDES is set, as scripts/test.sh does).
# fleetload_e2e_support is defined by cli.cmake, included after this file: linked by name.
if(TARGET fleetload)
  add_library(fleetload_aedes_support STATIC ${CMAKE_CURRENT_LIST_DIR}/aedes_fixture.cpp)
  target_link_libraries(fleetload_aedes_support PUBLIC fleetload_e2e_support PRIVATE fleetload_warnings)
  fleetload_add_gtest(NAME aedes_e2e_test LABEL e2e TIMEOUT 180 ONE_PROCESS
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/aedes_e2e_test.cpp
    LIBS fleetload_aedes_support)
  add_dependencies(aedes_e2e_test fleetload)
endif()
