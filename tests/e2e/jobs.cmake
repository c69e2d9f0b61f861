# AWS IoT Jobs behaviour e2e: a job rolled out to a fleet against mosquitto + `fleetload
# responder`, checked by the test's own mosquitto_sub (topic_counter.hpp, whose wait_until is
# in metrics_servers.cpp) and the responder's summary; plain and mTLS. ctest -L e2e.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME jobs_e2e_test LABEL e2e TIMEOUT 300
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/jobs_e2e_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
            ${CMAKE_CURRENT_LIST_DIR}/aws_iot_support.cpp
    LIBS fleetload_e2e_support fleetload_auth)
  add_dependencies(jobs_e2e_test fleetload)
endif()
