# responder: the Shadow, Jobs and Fleet Provisioning services driven through the dispatcher
# without a broker (unit). The provisioning cases write a throwaway CA with auth's generator.
fleetload_add_gtest(NAME responder_test LABEL unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/responder_shadow_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/responder_jobs_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/responder_provisioning_test.cpp
  LIBS fleetload_responder_core)
# The configuration file and the command's flags (fleetload_cli for parse_responder_args).
if(TARGET fleetload_cli)
  fleetload_add_gtest(NAME responder_config_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/responder_config_test.cpp
    LIBS fleetload_cli)
endif()
# The MQTT connection against a scripted broker thread on loopback.
if(TARGET fleetload_responder)
  fleetload_add_gtest(NAME responder_connection_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/responder_connection_test.cpp
    LIBS fleetload_responder)
endif()
