# Unit tests of the latency series, reading reports back, merging shard reports and the
# `fleetload report merge` command (no servers).
if(TARGET fleetload_report_html AND TARGET fleetload_cli)
  fleetload_add_gtest(NAME metrics_merge_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_series_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_merge_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_report_cli_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/books_exchange_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/search_merge_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_provisioning_test.cpp
    LIBS fleetload_report_html fleetload_cli)
endif()
