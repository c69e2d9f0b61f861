# Device Shadow behaviour e2e: a fleet against mosquitto + `fleetload responder`, checked by the
# test's own clients (responder_client.py) and the responder's counts. ctest -L e2e.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME shadow_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/shadow_e2e_test.cpp
    LIBS fleetload_e2e_support)
  add_dependencies(shadow_e2e_test fleetload)
endif()

# A reconnect storm under rejoin_post_success through a proxy of the test's own: the
# re-subscribe rule checked per device from mosquitto's log. ctest -L e2e.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME rejoin_storm_e2e_test LABEL e2e TIMEOUT 150
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/rejoin_storm_e2e_test.cpp
    LIBS fleetload_e2e_support)
  add_dependencies(rejoin_storm_e2e_test fleetload)
endif()
