# The Device Shadow behaviour of the device session (behaviour_shadow.hpp), scripted broker.
fleetload_add_gtest(NAME device_shadow_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_shadow_test.cpp
  LIBS fleetload_device fleetload_awsiot)
