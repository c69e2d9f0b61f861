# Publish streams e2e: several streams per device against mosquitto, counted by the test's
# own subscriber per topic; per-stream books, summary, Pushgateway series, sharded merge.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME streams_e2e_test LABEL e2e TIMEOUT 180
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/streams_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
    LIBS fleetload_e2e_support)
  add_dependencies(streams_e2e_test fleetload)
endif()
