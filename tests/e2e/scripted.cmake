# SDK-behaviour e2e tests against tests/e2e/scripted_broker/scripted_broker.py, a scripted
# misbehaving broker (Debian's python3, no other dependency) that logs every event with its
# own timestamp: reconnect delays, keepalive, refusals and hostile packets measured on the
# wire. Each binary builds one shared world (a few concurrent fleetload runs) and checks it
# case by case, so it is one ctest test (ONE_PROCESS); the binaries run in parallel.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  add_library(fleetload_scripted_support STATIC ${CMAKE_CURRENT_LIST_DIR}/scripted_broker_fixture.cpp)
  target_link_libraries(fleetload_scripted_support PUBLIC fleetload_e2e_support PRIVATE fleetload_warnings)
  fleetload_add_gtest(NAME scripted_broker_fixture_test LABEL e2e TIMEOUT 60
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/scripted_broker_fixture_test.cpp
    LIBS fleetload_scripted_support)
  foreach(t scripted_mqtt311_e2e_test scripted_mqtt5_e2e_test scripted_jitter_e2e_test scripted_session_e2e_test
            scripted_other_brokers_e2e_test scripted_books_e2e_test)
    fleetload_add_gtest(NAME ${t} LABEL e2e TIMEOUT 180 ONE_PROCESS
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cpp
      LIBS fleetload_scripted_support)
    add_dependencies(${t} fleetload)
  endforeach()
endif()
