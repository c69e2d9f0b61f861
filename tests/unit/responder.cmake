# responder: the Shadow, Jobs and Fleet Provisioning services driven through the dispatcher
# without a broker (unit). The provisioning cases write a throwaway CA with auth's generator.
fleetload_add_gtest(NAME responder_test LABEL unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/responder_shadow_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/responder_jobs_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/responder_provisioning_test.cpp
  LIBS fleetload_responder_core)

# The configuration file and the command's flags (fleetload_cli for parse_responder_args), and
# the MQTT connection against a scripted broker thread on loopback: one binary, one link.
if(TARGET fleetload_cli)
  fleetload_add_gtest(NAME responder_io_test LABEL unit
    SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/responder_config_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/responder_connection_test.cpp
    LIBS fleetload_cli)
endif()
