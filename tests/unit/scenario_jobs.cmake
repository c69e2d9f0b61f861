# Scenario `jobs:` section and the jobs thresholds.
fleetload_add_gtest(NAME scenario_jobs_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/scenario_jobs_test.cpp
  LIBS fleetload_scenario)
