# Codec micro-benchmarks (Google Benchmark); figures and commands in bench/RESULTS.md.
if(TARGET fleetload_mqtt)
  add_executable(mqtt_bench ${CMAKE_CURRENT_LIST_DIR}/mqtt_bench.cpp)
  target_link_libraries(mqtt_bench PRIVATE fleetload_mqtt benchmark::benchmark fleetload_warnings)
endif()
