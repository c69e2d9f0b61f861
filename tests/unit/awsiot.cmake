# awsiot: reserved topics and the Shadow / Jobs / Fleet Provisioning payloads against the AWS
# IoT developer guide's examples (unit, no servers).
fleetload_add_gtest(NAME awsiot_test LABEL unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/awsiot_topics_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/awsiot_shadow_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/awsiot_jobs_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/awsiot_provisioning_test.cpp
  LIBS fleetload_awsiot)
