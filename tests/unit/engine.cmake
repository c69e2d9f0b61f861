# Engine unit tests: timer wheel, pacing, limits, phases; the event loop and FdStream on
# socketpairs and loopback sockets of their own (no servers).
fleetload_add_gtest(NAME engine_unit_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_timer_wheel_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/engine_pacing_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/engine_limits_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/engine_search_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/engine_run_id_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/engine_event_loop_test.cpp
  LIBS fleetload_engine_core fleetload_net)
