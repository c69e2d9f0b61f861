# WebSocket e2e: the engine's WebSocket transport (every websockets_* mode, TLS and plain)
# through websockify + tests/e2e/ws_verify_server.py in front of mosquitto.
if(TARGET fleetload_engine AND TARGET fleetload_e2e_support AND TARGET fleetload_auth)
  fleetload_add_gtest(NAME ws_e2e_test LABEL e2e TIMEOUT 300
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/ws_fleet_test.cpp ${CMAKE_CURRENT_LIST_DIR}/ws_front.cpp
    LIBS fleetload_engine fleetload_auth fleetload_e2e_support)
  target_compile_definitions(ws_e2e_test PRIVATE FLEETLOAD_SOURCE_DIR_DEFAULT="${PROJECT_SOURCE_DIR}")
endif()
# Server text in reports: a front that echoes the request into its reason phrase (harden).
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME ws_echo_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/ws_echo_test.cpp ${CMAKE_CURRENT_LIST_DIR}/ws_front.cpp
    LIBS fleetload_e2e_support)
  target_compile_definitions(ws_echo_e2e_test PRIVATE FLEETLOAD_SOURCE_DIR_DEFAULT="${PROJECT_SOURCE_DIR}")
  add_dependencies(ws_echo_e2e_test fleetload)
endif()
