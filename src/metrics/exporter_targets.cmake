# fleetload_exporter (Prometheus exposer, and a Pushgateway push by a bounded Beast HTTP PUT,
# fed from the engine's merged snapshots) and fleetload_report_html (the self-contained HTML run report, charts by the vendored uPlot). Included from
# src/metrics/CMakeLists.txt.
find_package(prometheus-cpp CONFIG REQUIRED GLOBAL)

# The report's assets become C++ byte arrays at build time (embed_assets.cmake): uPlot
# (third_party/uplot, MIT) and our chart script, inlined into every report.
set(FLEETLOAD_REPORT_ASSETS
  uplot_js=${PROJECT_SOURCE_DIR}/third_party/uplot/uPlot.iife.min.js
  uplot_css=${PROJECT_SOURCE_DIR}/third_party/uplot/uPlot.min.css
  uplot_license=${PROJECT_SOURCE_DIR}/third_party/uplot/LICENSE
  charts_js=${CMAKE_CURRENT_LIST_DIR}/report_charts.js)
set(report_asset_files)
foreach(a ${FLEETLOAD_REPORT_ASSETS})
  string(REGEX REPLACE "^[a-z_]+=" "" f "${a}")
  list(APPEND report_asset_files "${f}")
endforeach()
set(report_assets_cpp ${CMAKE_CURRENT_BINARY_DIR}/generated/report_assets.cpp)
add_custom_command(
  OUTPUT ${report_assets_cpp}
  COMMAND ${CMAKE_COMMAND} "-DOUT=${report_assets_cpp}" "-DASSETS=${FLEETLOAD_REPORT_ASSETS}"
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_assets.cmake
  DEPENDS ${report_asset_files} ${CMAKE_CURRENT_LIST_DIR}/embed_assets.cmake
  COMMENT "Embedding the HTML report's assets (uPlot, chart script)"
  VERBATIM)

add_library(fleetload_report_html
  ${CMAKE_CURRENT_LIST_DIR}/report_html.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report_html_charts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report_html_aws.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report_html_provisioning.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reconnect_theory.cpp
  ${report_assets_cpp}
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
