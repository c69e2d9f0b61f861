# `fleetload responder` against a real mosquitto, driven by a device of the test's own
# (responder_client.py: Debian's paho-mqtt and cbor2, independent of our codec). ctest -L e2e.
if(TARGET fleetload AND TARGET fleetload_e2e_support)
  fleetload_add_gtest(NAME responder_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/responder_e2e_test.cpp
    LIBS fleetload_e2e_support fleetload_auth)
  add_dependencies(responder_e2e_test fleetload)
endif()
