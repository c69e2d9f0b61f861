# Truthful books on a real mosquitto: earlier-run and retained deliveries, and messages still
# arriving at stop behind a slow delivery path (a throttling proxy of the test's own). Not
# serial: a few devices each, ~25 s in all.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME books_e2e_test LABEL e2e TIMEOUT 180
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/books_e2e_test.cpp
    LIBS fleetload_e2e_support)
endif()
