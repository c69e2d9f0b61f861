# The user docs against the binary: every option of every help text in docs/cli.md, every
# metric family of a real scrape (a tiny run against a mosquitto of the test's own) in
# docs/metrics.md, every schema key in docs/scenario.md, no tracked file citing notes that
# are not in the repository (tests/deploy/docs_test.py). About 8 s.
if(TARGET fleetload)
  add_test(NAME deploy_docs COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/docs_test.py ${PROJECT_SOURCE_DIR}
    $<TARGET_FILE:fleetload>)
  set_tests_properties(deploy_docs PROPERTIES LABELS unit TIMEOUT 120)
endif()
