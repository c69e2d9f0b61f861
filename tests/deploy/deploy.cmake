# Deployment checks for docker/ and k8s/, runnable without a Docker engine or a cluster:
# the entrypoint (fake fleetload), `docker-compose config`, `promtool check config`, the
# Kubernetes manifests and the Dockerfile (yaml-cpp), the image's runtime package list
# (ldd + dpkg), the deployment scenarios (fleetload validate), `kubectl kustomize` when
# kubectl exists; the setup-deps profiles, that no script controls the machine's services,
# and the install tree (man page, completions) against the help text. Label unit (fast,
# no servers); test names start with deploy_ or Deploy. A test
# whose tool is absent exits 77 and is reported as skipped, with the reason in its output.
find_package(yaml-cpp REQUIRED)
fleetload_add_gtest(NAME deploy_manifest_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/deploy_manifest_test.cpp
  LIBS yaml-cpp)
target_compile_definitions(deploy_manifest_test PRIVATE FLEETLOAD_DEPLOY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

function(fleetload_deploy_script name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/${script} ${PROJECT_SOURCE_DIR} ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 120 SKIP_RETURN_CODE 77)
endfunction()

fleetload_deploy_script(deploy_entrypoint entrypoint_test.sh)
fleetload_deploy_script(deploy_compose_config compose_config_test.sh)
fleetload_deploy_script(deploy_promtool promtool_test.sh)
fleetload_deploy_script(deploy_kustomize kustomize_test.sh)
fleetload_deploy_script(deploy_setup_deps setup_deps_test.sh)
fleetload_deploy_script(deploy_no_service_control no_service_control_test.sh)
if(TARGET fleetload)
  fleetload_deploy_script(deploy_runtime_packages runtime_packages_test.sh $<TARGET_FILE:fleetload>)
  fleetload_deploy_script(deploy_scenarios_validate scenarios_validate_test.sh $<TARGET_FILE:fleetload>)
  # cmake --install of this build tree: needs the fleetload_docs target (part of ALL) built.
  fleetload_deploy_script(deploy_install install_test.sh ${PROJECT_BINARY_DIR} $<TARGET_FILE:fleetload>)
endif()

# The Debian package and the image, built and run for real (tests/deploy/package_test.sh,
# image_test.sh). Minutes each and a download from the Debian archive: their own labels,
# not in scripts/test.sh's `-L 'unit|e2e|crosscheck'`; run with ctest -L 'package|image'.
foreach(kind package image)
  add_test(NAME deploy_${kind} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/${kind}_test.sh ${PROJECT_SOURCE_DIR}
    ${PROJECT_BINARY_DIR}/deploy-work)
  set_tests_properties(deploy_${kind} PROPERTIES LABELS ${kind} TIMEOUT 3600 SKIP_RETURN_CODE 77)
endforeach()
