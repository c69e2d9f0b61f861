# Scenario unit tests: units, templates, parsing, defaults, env, --set, errors, to_yaml, warnings.
fleetload_add_gtest(NAME scenario_unit_tests LABEL unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/scenario_units_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scenario_parse_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scenario_errors_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scenario_overrides_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scenario_file_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scenario_checks_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scenario_search_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scenario_url_test.cpp
  LIBS fleetload_scenario)

# Publish streams: lists of named streams, limits, merging in groups, stream ids.
fleetload_add_gtest(NAME scenario_streams_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/scenario_streams_test.cpp
  LIBS fleetload_scenario fleetload_device)

# Scenario groups: inheritance, sizes, collisions, --set groups.<name>, per-group plans.
fleetload_add_gtest(NAME scenario_groups_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/scenario_groups_test.cpp
  LIBS fleetload_scenario fleetload_device)
