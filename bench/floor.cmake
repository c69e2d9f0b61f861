# The floor program (bench/floor/): a bare epoll/timerfd MQTT publisher, no MQTT library,
# that bench/floor/compare.sh runs alternately with fleetload on the same machine.
add_executable(mqtt_floor ${CMAKE_CURRENT_LIST_DIR}/floor/floor.cpp)
target_link_libraries(mqtt_floor PRIVATE fleetload_warnings)
set_target_properties(mqtt_floor PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
