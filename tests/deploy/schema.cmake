# The scenario JSON Schema against every scenario file and init output, with Debian's
# python3-jsonschema as the independent validator (tests/deploy/schema_test.py).
if(TARGET fleetload)
  add_test(NAME deploy_schema COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/schema_test.py ${PROJECT_SOURCE_DIR}
    $<TARGET_FILE:fleetload>)
  set_tests_properties(deploy_schema PROPERTIES LABELS unit TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
