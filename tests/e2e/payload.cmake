# Large payloads end to end: the engine against a real mosquitto, checked by a subscriber of
# the test's own. Not serial: 3 devices.
if(TARGET fleetload_engine AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME payload_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/payload_e2e_test.cpp
    LIBS fleetload_engine fleetload_e2e_support)
endif()
