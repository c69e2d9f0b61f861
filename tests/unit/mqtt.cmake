# MQTT codec unit tests: hand-assembled vectors, round trips, the property table,
# malformed input, encoder rules, stream decoding and steady-state allocations.
fleetload_add_gtest(NAME mqtt_unit_tests LABEL unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_vectors.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_vectors_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_malformed_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_roundtrip_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_properties_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_encode_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_stream_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_alloc_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mqtt_vbi_utf8_test.cpp
  LIBS fleetload_mqtt)
