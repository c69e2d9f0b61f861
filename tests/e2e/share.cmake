# Shared subscriptions on mosquitto (which has them): a $share group's books across its
# members against the test's own mosquitto_sub count; and the run's peak RSS in the report
# against the kernel's account of the process (wait4). About 8 s.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME share_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/share_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
    LIBS fleetload_e2e_support)
  add_dependencies(share_e2e_test fleetload)
endif()
