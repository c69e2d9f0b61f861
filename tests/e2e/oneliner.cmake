# The scenario-less one-liner over every URL scheme (mqtt, mqtts, ws and wss with a path)
# against a real mosquitto, counted by the test's own subscriber and the WebSocket front.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME oneliner_e2e_test LABEL e2e TIMEOUT 180 ONE_PROCESS
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/oneliner_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
            ${CMAKE_CURRENT_LIST_DIR}/ws_front.cpp
    LIBS fleetload_e2e_support)
  target_compile_definitions(oneliner_e2e_test PRIVATE FLEETLOAD_SOURCE_DIR_DEFAULT="${PROJECT_SOURCE_DIR}")
  add_dependencies(oneliner_e2e_test fleetload)
endif()
