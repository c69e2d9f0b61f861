# Scenario `shadow:` section, fleet.thing_name, session.subscribe_batch.
fleetload_add_gtest(NAME scenario_shadow_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/scenario_shadow_test.cpp
  LIBS fleetload_scenario)
