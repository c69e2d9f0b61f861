# TLS e2e: the engine over TLS against mosquitto TLS listeners (certificates made by the test).
if(TARGET fleetload_engine AND TARGET fleetload_e2e_support AND TARGET fleetload_auth)
  fleetload_add_gtest(NAME tls_e2e_test LABEL e2e TIMEOUT 120 RUN_SERIAL
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tls_fleet_test.cpp
    LIBS fleetload_engine fleetload_auth fleetload_e2e_support)
endif()
