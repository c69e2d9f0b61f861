# The outputs of the real binary against a real mosquitto with the test's own subscriber
# (mosquitto_sub): the progress line within $COLUMNS, --out csv/ndjson, report diff.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME outputs_e2e_test LABEL e2e TIMEOUT 180 ONE_PROCESS
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/outputs_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
    LIBS fleetload_e2e_support)
  add_dependencies(outputs_e2e_test fleetload)
endif()
