# Auth unit tests: SigV4 (doc vectors + botocore), credentials, presentation, scenario auth
# section, TLS identities (PEM, PKCS#12, PKCS#11 via SoftHSM2) and certificate generation.
fleetload_add_gtest(NAME auth_unit_tests LABEL unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/auth_sigv4_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth_scenario_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth_presentation_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth_credentials_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth_tls_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth_pkcs11_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth_identity_check_test.cpp
  LIBS fleetload_auth)
