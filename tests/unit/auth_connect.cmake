# The CONNECT each SDK builder sends (username with SDK metrics / custom-authorizer
# parameters, password), byte for byte, through the device session.
fleetload_add_gtest(NAME auth_connect_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/auth_connect_test.cpp
  LIBS fleetload_device fleetload_auth)
