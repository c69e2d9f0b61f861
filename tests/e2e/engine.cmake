# Engine e2e: the engine driven directly (no CLI) against a real mosquitto on loopback
# (one group and ten groups on two threads).
if(TARGET fleetload_engine AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME engine_e2e_test LABEL e2e TIMEOUT 120 RUN_SERIAL
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_fleet_test.cpp ${CMAKE_CURRENT_LIST_DIR}/engine_groups_threads_test.cpp
    LIBS fleetload_engine fleetload_e2e_support)
endif()
