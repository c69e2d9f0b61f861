# Metrics e2e: a real run feeds the exporter while a real Prometheus scrapes it and a real
# Pushgateway receives its pushes; promtool lints it; headless Chromium renders the HTML
# report. Needs /usr/bin/prometheus, promtool, prometheus-pushgateway and chromium.
if(TARGET fleetload_exporter AND TARGET fleetload_report_html AND TARGET fleetload_cli
   AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME metrics_e2e_test LABEL e2e TIMEOUT 300 RUN_SERIAL ONE_PROCESS
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_exporter_errors_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_browser.cpp
            ${CMAKE_CURRENT_LIST_DIR}/dashboard_queries.cpp
    LIBS fleetload_exporter fleetload_report_html fleetload_cli fleetload_e2e_support)
  # GCC 12 reports -Wmaybe-uninitialized inside libstdc++'s std::regex at -O1 with ASan
  # (GCC bug 105562, a false positive in <regex> itself); only these regex-using tests.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(metrics_e2e_test PRIVATE -Wno-maybe-uninitialized)
  endif()
  target_compile_definitions(metrics_e2e_test PRIVATE FLEETLOAD_E2E_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # The dashboard rows of what only some runs do (a search, AWS IoT behaviours), against a
  # run that does it; its own Prometheus, an mTLS listener and `fleetload responder`.
  fleetload_add_gtest(NAME metrics_rows_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_rows_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
            ${CMAKE_CURRENT_LIST_DIR}/dashboard_queries.cpp ${CMAKE_CURRENT_LIST_DIR}/aws_iot_support.cpp
    LIBS fleetload_exporter fleetload_cli fleetload_e2e_support fleetload_auth)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(metrics_rows_e2e_test PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(TARGET fleetload)
    add_dependencies(metrics_rows_e2e_test fleetload)  # it spawns `fleetload responder`
  endif()
endif()
