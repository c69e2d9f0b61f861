# Device groups e2e: a mixed plain/mTLS/WebSocket fleet against one mosquitto with three
# listeners, the test's own subscriber counting per group; sharded grouped runs merged.
if(TARGET fleetload AND TARGET fleetload_e2e_support AND TARGET fleetload_auth)
  fleetload_add_gtest(NAME groups_e2e_test LABEL e2e TIMEOUT 180
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/groups_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
    LIBS fleetload_auth fleetload_e2e_support)
  add_dependencies(groups_e2e_test fleetload)
endif()
