# Fleet benchmark driver (bench/fleet/): the Engine run directly on a scenario, printing the
# figures bench/RESULTS.md records. Scripts beside it start mosquitto and run the benches.
if(TARGET fleetload_engine)
  add_executable(fleet_bench ${CMAKE_CURRENT_LIST_DIR}/fleet/fleet_bench.cpp)
  target_link_libraries(fleet_bench PRIVATE fleetload_engine fleetload_warnings)
  set_target_properties(fleet_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
endif()
