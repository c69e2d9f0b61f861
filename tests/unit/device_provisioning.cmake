# Fleet Provisioning by claim of the device session (behaviour_provisioning.hpp), scripted
# broker, real certificates from a test CA (the responder's CertIssuer).
fleetload_add_gtest(NAME device_provisioning_tests LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_provisioning_test.cpp
  LIBS fleetload_device fleetload_awsiot fleetload_responder_core fleetload_auth)
