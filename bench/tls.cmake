# TLS fleet benchmark driver (bench/fleet/tls_bench.cpp, run by bench/fleet/tls_*.sh).
if(TARGET fleetload_engine)
  add_executable(tls_bench ${CMAKE_CURRENT_LIST_DIR}/fleet/tls_bench.cpp)
  target_link_libraries(tls_bench PRIVATE fleetload_engine fleetload_warnings)
  set_target_properties(tls_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
endif()
