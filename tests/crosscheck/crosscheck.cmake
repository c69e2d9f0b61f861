# Cross-check of our MQTT codec against the npm package mqtt-packet (the parser of MQTT.js):
# mqtt_crosscheck_tool exposes our codec as JSON lines, crosscheck.mjs drives both directions.
# node_modules comes from `npm ci` in tests/crosscheck (scripts/setup-deps.sh); when it is
# missing the test fails with a message saying so, it never skips.
if(TARGET fleetload_mqtt)
  add_executable(mqtt_crosscheck_tool
    ${CMAKE_CURRENT_LIST_DIR}/crosscheck_tool.cpp
    ${CMAKE_CURRENT_LIST_DIR}/packet_json.cpp
    ${CMAKE_CURRENT_LIST_DIR}/random_packet.cpp)
  target_include_directories(mqtt_crosscheck_tool PRIVATE ${PROJECT_SOURCE_DIR}/src
                             ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(mqtt_crosscheck_tool PRIVATE fleetload_mqtt fleetload_warnings)

  find_program(FLEETLOAD_NODE node)
  if(NOT FLEETLOAD_NODE)
    set(FLEETLOAD_NODE node)  # ctest then reports the missing program as a failure
  endif()
  add_test(NAME mqtt_packet_crosscheck
           COMMAND ${FLEETLOAD_NODE} ${CMAKE_CURRENT_LIST_DIR}/crosscheck.mjs
                   $<TARGET_FILE:mqtt_crosscheck_tool>)
  set_tests_properties(mqtt_packet_crosscheck PROPERTIES LABELS crosscheck TIMEOUT 600)
endif()
