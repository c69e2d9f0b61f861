# Auth modes end to end through the fleetload binary against mosquitto (TLS listeners with
# client certificates or a password file), a SoftHSM2 token and PKCS#12 bundles made by the
# tests: every non-WebSocket SDK builder x {3.1.1, 5}, credential failures counted by reason,
# and no secret in any output. fleetload_e2e_support comes from cli.cmake (linked by name).
if(TARGET fleetload AND TARGET fleetload_auth)
  add_library(fleetload_auth_e2e_support STATIC ${CMAKE_CURRENT_LIST_DIR}/auth_modes_support.cpp)
  target_link_libraries(fleetload_auth_e2e_support PUBLIC fleetload_e2e_support fleetload_auth
    PRIVATE fleetload_warnings)
  fleetload_add_gtest(NAME auth_modes_e2e_test LABEL e2e TIMEOUT 300
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/auth_modes_test.cpp
    LIBS fleetload_auth_e2e_support)
  fleetload_add_gtest(NAME auth_failures_e2e_test LABEL e2e TIMEOUT 300
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/auth_failures_test.cpp
    LIBS fleetload_auth_e2e_support)
  fleetload_add_gtest(NAME auth_secrets_e2e_test LABEL e2e TIMEOUT 300
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/auth_secrets_test.cpp ${CMAKE_CURRENT_LIST_DIR}/metrics_servers.cpp
    LIBS fleetload_auth_e2e_support)
  # GCC 12's -Wmaybe-uninitialized false positive inside <regex> (metrics_servers.cpp), as
  # in metrics.cmake.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(auth_secrets_e2e_test PRIVATE -Wno-maybe-uninitialized)
  endif()
  # TLS failures by cause (broker certificates made by the test), SNI override warning, drops
  # after the handshake, identity files as local faults (harden).
  fleetload_add_gtest(NAME tls_causes_e2e_test LABEL e2e TIMEOUT 180
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tls_causes_test.cpp
    LIBS fleetload_auth_e2e_support)
  add_dependencies(tls_causes_e2e_test fleetload)
  # validate/run checks after parsing: rendered strings, identity files (harden).
  fleetload_add_gtest(NAME checks_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/checks_e2e_test.cpp
    LIBS fleetload_auth_e2e_support)
  add_dependencies(checks_e2e_test fleetload)
  add_dependencies(auth_modes_e2e_test fleetload)
  add_dependencies(auth_failures_e2e_test fleetload)
  add_dependencies(auth_secrets_e2e_test fleetload)
endif()
