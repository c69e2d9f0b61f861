# Unit tests of the Prometheus families and the HTML report (no servers).
if(TARGET fleetload_exporter AND TARGET fleetload_report_html)
  fleetload_add_gtest(NAME metrics_exporter_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_exporter_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_html_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_jobs_test.cpp
    LIBS fleetload_exporter fleetload_report_html)
  # GCC 12 reports -Wmaybe-uninitialized inside libstdc++'s std::regex at -O1 with ASan
  # (GCC bug 105562, a false positive in <regex> itself); only these regex-using tests.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(metrics_exporter_test PRIVATE -Wno-maybe-uninitialized)
  endif()
  target_compile_definitions(metrics_exporter_test PRIVATE FLEETLOAD_UNIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
