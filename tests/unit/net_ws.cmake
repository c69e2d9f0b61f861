# WebSocket layer of fleetload_net: upgrade request/response, client and server framing.
if(TARGET fleetload_net)
  find_package(OpenSSL 3 REQUIRED)
  fleetload_add_gtest(NAME net_ws_test LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/net_ws_test.cpp ${CMAKE_CURRENT_LIST_DIR}/net_server_text_test.cpp
    LIBS fleetload_net OpenSSL::Crypto)
endif()
