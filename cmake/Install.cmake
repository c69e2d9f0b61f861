# Install layout, the usual Debian places under CMAKE_INSTALL_PREFIX (GNUInstallDirs):
#   bin/fleetload                                     the binary
#   share/man/man1/fleetload.1.gz                     man page, generated from the help text
#   share/bash-completion/completions/fleetload       bash completion  (generated from the
#   share/zsh/vendor-completions/_fleetload           zsh completion    help text as well)
#   share/fleetload/scenarios/                        the example scenarios
#   share/fleetload/dashboards/                       Grafana dashboards and provisioning
#   share/doc/fleetload/                              README.md, docs/, copyright
# The man page and completions are made by packaging/gen-docs.sh from the help of the
# fleetload just linked (target fleetload_docs, part of ALL), so they follow every change
# of the help text without anyone copying it.
include(GNUInstallDirs)

if(NOT TARGET fleetload)
  return()
endif()

install(TARGETS fleetload RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(FLEETLOAD_GENERATED_DOCS ${PROJECT_BINARY_DIR}/packaging)
set(fleetload_doc_outputs
  ${FLEETLOAD_GENERATED_DOCS}/fleetload.1
  ${FLEETLOAD_GENERATED_DOCS}/fleetload.1.gz
  ${FLEETLOAD_GENERATED_DOCS}/fleetload.bash
  ${FLEETLOAD_GENERATED_DOCS}/_fleetload)
file(GLOB fleetload_doc_generator CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/packaging/*.awk ${PROJECT_SOURCE_DIR}/packaging/*.in
  ${PROJECT_SOURCE_DIR}/packaging/gen-docs.sh)
add_custom_command(
  OUTPUT ${fleetload_doc_outputs}
  COMMAND sh ${PROJECT_SOURCE_DIR}/packaging/gen-docs.sh $<TARGET_FILE:fleetload>
          ${FLEETLOAD_GENERATED_DOCS} ${CMAKE_INSTALL_FULL_DATADIR}
  # gzip -n: no name or time stamp inside, so the page is the same on every build.
  COMMAND gzip -9 -n -f -k ${FLEETLOAD_GENERATED_DOCS}/fleetload.1
  DEPENDS fleetload ${fleetload_doc_generator}
  COMMENT "fleetload.1 and the bash/zsh completions from fleetload's help text"
  VERBATIM)
add_custom_target(fleetload_docs ALL DEPENDS ${fleetload_doc_outputs})

# `cmake --build ... --target fleetload` alone does not make them: say so instead of
# installing half a package.
install(CODE "
  if(NOT EXISTS \"${FLEETLOAD_GENERATED_DOCS}/fleetload.1.gz\")
    message(FATAL_ERROR \"fleetload: the man page and completions are not built; run \"
      \"cmake --build ${PROJECT_BINARY_DIR} --target fleetload_docs (or build everything) first\")
  endif()")
install(FILES ${FLEETLOAD_GENERATED_DOCS}/fleetload.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${FLEETLOAD_GENERATED_DOCS}/fleetload.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME fleetload)
install(FILES ${FLEETLOAD_GENERATED_DOCS}/_fleetload DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/fleetload/scenarios
  FILES_MATCHING PATTERN "*.yaml" PATTERN "*.yml" PATTERN "*.md")
# Beside scenarios/: their yaml-language-server line names ../schema/ (docs/scenario.md).
install(FILES ${PROJECT_SOURCE_DIR}/schema/fleetload-scenario.schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/fleetload/schema)
# Dashboards: the JSON, the provisioning files and their README; not the generator script.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/dashboards/ DESTINATION ${CMAKE_INSTALL_DATADIR}/fleetload/dashboards
  FILES_MATCHING PATTERN "*.json" PATTERN "*.yaml" PATTERN "*.yml" PATTERN "*.md")

install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/packaging/copyright
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
  FILES_MATCHING PATTERN "*.md")
if(EXISTS ${PROJECT_SOURCE_DIR}/bench/RESULTS.md)
  install(FILES ${PROJECT_SOURCE_DIR}/bench/RESULTS.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/bench)
endif()
