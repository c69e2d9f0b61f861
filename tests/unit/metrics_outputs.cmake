# Unit tests of what people and pipelines read: number formats, the CSV/NDJSON series, the
# reconnect-delay theory, `report diff`, the progress line (no servers).
if(TARGET fleetload_report_html AND TARGET fleetload_cli)
  fleetload_add_gtest(NAME metrics_outputs_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_format_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_reconnect_theory_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/cli_progress_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_diff_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_series_out_test.cpp
    LIBS fleetload_report_html fleetload_cli)
endif()
