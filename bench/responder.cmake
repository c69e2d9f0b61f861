# Responder bench (bench/responder/): a load client of its own driving shadow round trips
# through mosquitto against `fleetload responder`; run.sh records the medians in RESULTS.md.
find_package(Boost 1.81 REQUIRED)
if(TARGET fleetload_mqtt AND TARGET fleetload_device)
  add_executable(responder_bench ${CMAKE_CURRENT_LIST_DIR}/responder/responder_bench.cpp)
  target_link_libraries(responder_bench PRIVATE fleetload_mqtt fleetload_device fleetload_json Boost::headers
    Threads::Threads fleetload_warnings)
  set_target_properties(responder_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
endif()
