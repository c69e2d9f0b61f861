# Capacity search (phase type search) through the real binary, against brokers whose
# capacity the test sets: mosquitto's max_connections and the rate-limiting proxy; and a
# search split over two shards, merged by `fleetload report merge`.
if(TARGET fleetload)
  fleetload_add_gtest(NAME search_e2e_test LABEL e2e TIMEOUT 120
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/search_e2e_test.cpp
    LIBS fleetload_e2e_support)
  fleetload_add_gtest(NAME search_shards_e2e_test LABEL e2e TIMEOUT 150
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/search_shards_e2e_test.cpp
    LIBS fleetload_e2e_support)
endif()
