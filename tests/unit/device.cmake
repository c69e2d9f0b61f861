# Unit tests of the device layer: stats, backoff, payload/receive accounting, plan, session.
fleetload_add_gtest(NAME device_unit_tests LABEL unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/device_stats_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_backoff_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_payload_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_payload_share_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_plan_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_flow_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_limit_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_receive_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_share_books_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_streams_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_keepalive_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_reconnect_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_hostile_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_packet_id_set_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/device_session_local_test.cpp
  LIBS fleetload_device)

# Its own binary: it replaces global operator new to count allocations per message.
fleetload_add_gtest(NAME device_alloc_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_alloc_test.cpp
  LIBS fleetload_device)
