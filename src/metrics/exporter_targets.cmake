# fleetload_exporter (Prometheus exposer, and a Pushgateway push by a bounded Beast HTTP PUT,
# fed from the engine's merged snapshots) and fleetload_report_html (the self-contained HTML run report). Included from
# src/metrics/CMakeLists.txt.
find_package(prometheus-cpp CONFIG REQUIRED GLOBAL)

add_library(fleetload_report_html
  ${CMAKE_CURRENT_LIST_DIR}/report_html.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report_svg.cpp
)
target_include_directories(fleetload_report_html PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(fleetload_report_html PUBLIC fleetload_metrics PRIVATE fleetload_warnings)

add_library(fleetload_exporter
  ${CMAKE_CURRENT_LIST_DIR}/exporter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter_families.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter_push.cpp
)
target_include_directories(fleetload_exporter PUBLIC ${PROJECT_SOURCE_DIR}/src)
# fleetload_engine is defined after this directory; CMake resolves the name at generate time.
target_link_libraries(fleetload_exporter
  PUBLIC fleetload_engine fleetload_device fleetload_scenario fleetload_metrics prometheus-cpp::core
  PRIVATE prometheus-cpp::pull Boost::headers fleetload_warnings Threads::Threads)
