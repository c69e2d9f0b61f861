# `fleetload certs`: the generated material checked with OpenSSL (auth/certgen) and the
# command's argument parsing and printed scenario snippet (cli/cmd_certs).
fleetload_add_gtest(NAME auth_certgen_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/auth_certgen_test.cpp
  LIBS fleetload_auth)
if(TARGET fleetload_cli)
  fleetload_add_gtest(NAME auth_certgen_cli_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/auth_certgen_cli_test.cpp
    LIBS fleetload_cli)
endif()
