# TLS handshake CPU in the run report: a real mTLS run (full handshakes, then a storm of
# resumed ones) against mosquitto, the report built as the CLI builds it. Not serial: 8 devices.
if(TARGET fleetload_cli AND TARGET fleetload_e2e_support AND TARGET fleetload_auth)
  fleetload_add_gtest(NAME tls_cpu_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tls_cpu_test.cpp
    LIBS fleetload_cli fleetload_auth fleetload_e2e_support)
endif()
