# Unit tests of the Prometheus families and the HTML report (no servers).
if(TARGET fleetload_exporter AND TARGET fleetload_report_html)
  fleetload_add_gtest(NAME metrics_exporter_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_exporter_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_html_test.cpp
    LIBS fleetload_exporter fleetload_report_html)
  target_compile_definitions(metrics_exporter_test PRIVATE FLEETLOAD_UNIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
