# Net unit tests: TlsConn against an in-process OpenSSL server (no broker).
if(TARGET fleetload_net AND TARGET fleetload_auth)
  fleetload_add_gtest(NAME net_unit_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/net_tls_test.cpp
    LIBS fleetload_net fleetload_auth)
endif()
