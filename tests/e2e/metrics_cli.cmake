# The metrics flags of the real binary (--metrics-listen, --pushgateway, --report DIR) on two
# shards of one run, and `fleetload report merge` of their reports. Needs mosquitto,
# promtool, prometheus-pushgateway and chromium.
if(TARGET fleetload AND TARGET fleetload_e2e_support AND TARGET fleetload_report_html)
  fleetload_add_gtest(NAME metrics_cli_e2e_test LABEL e2e TIMEOUT 300 ONE_PROCESS
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_cli_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_browser.cpp
    LIBS fleetload_e2e_support fleetload_report_html)
  add_dependencies(metrics_cli_e2e_test fleetload)
  # GCC 12 reports -Wmaybe-uninitialized inside libstdc++'s std::regex at -O1 with ASan
  # (GCC bug 105562, a false positive in <regex> itself); only these regex-using tests.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(metrics_cli_e2e_test PRIVATE -Wno-maybe-uninitialized)
  endif()
endif()
