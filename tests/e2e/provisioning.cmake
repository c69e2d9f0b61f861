# Fleet Provisioning by claim e2e: 500 devices against mosquitto (an mTLS listener requiring
# client certificates) + `fleetload responder`, checked from mosquitto's own log. ctest -L e2e.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME provisioning_e2e_test LABEL e2e TIMEOUT 180
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/provisioning_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/aws_iot_support.cpp
    LIBS fleetload_e2e_support fleetload_auth)
  add_dependencies(provisioning_e2e_test fleetload)
endif()
