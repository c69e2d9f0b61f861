# Unit tests for the CLI argument parser and the run report (metrics/report*).
fleetload_add_gtest(NAME cli_args_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_args_test.cpp ${PROJECT_SOURCE_DIR}/src/cli/args.cpp
          ${PROJECT_SOURCE_DIR}/src/cli/quick_args.cpp
  LIBS fleetload_scenario Threads::Threads)
if(TARGET fleetload_metrics)
  fleetload_add_gtest(NAME metrics_report_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_report_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_verdict_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/metrics_share_test.cpp
    LIBS fleetload_metrics)
endif()
# `fleetload init`: every starter scenario parses as written (cli/cmd_init.cpp).
fleetload_add_gtest(NAME cli_init_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_init_test.cpp ${PROJECT_SOURCE_DIR}/src/cli/cmd_init.cpp
  LIBS fleetload_scenario)
