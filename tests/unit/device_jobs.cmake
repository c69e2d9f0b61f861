# The AWS IoT Jobs behaviour of the device session (behaviour_jobs.hpp), scripted broker.
fleetload_add_gtest(NAME device_jobs_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_jobs_test.cpp
  LIBS fleetload_device fleetload_awsiot)
