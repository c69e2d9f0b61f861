# `fleetload certs` end to end: the binary writes a PKI, `fleetload run` connects an mTLS
# fleet with the printed scenario lines against mosquitto (tests/e2e/certs_e2e_test.cpp).
# fleetload_e2e_support is defined by cli.cmake, included after this file: linked by name.
if(TARGET fleetload)
  fleetload_add_gtest(NAME certs_e2e_test LABEL e2e TIMEOUT 180
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/certs_e2e_test.cpp
    LIBS fleetload_e2e_support)
  add_dependencies(certs_e2e_test fleetload)
endif()
