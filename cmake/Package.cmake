# The Debian package (CPack, DEB generator): scripts/package.sh configures a Release build
# with CMAKE_INSTALL_PREFIX=/usr and runs cpack in it. The package holds what
# cmake/Install.cmake installs; its runtime dependencies come from dpkg-shlibdeps (the
# libraries the binary links, with the versions their symbols need; dpkg-dev must be
# installed), plus what the binary needs but does not link (see Recommends).
set(FLEETLOAD_PACKAGE_MAINTAINER "fleetload maintainers <maintainers@fleetload.invalid>"
  CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fleetload)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "fleetload")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "load tester for MQTT device fleets (AWS IoT Device SDK v2 behaviour)")
# The long description; CPack puts the summary above it as the synopsis line and indents
# each line as the control file format wants.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "fleetload simulates thousands to tens of thousands of MQTT 3.1.1 and MQTT 5
devices from one process, connecting the way AWS IoT Device SDK v2 devices
do (mutual TLS from files, PKCS#11 and PKCS#12, custom authorizers, SigV4
WebSockets), and measures the broker: connect and publish latency
percentiles, loss, duplicates, reconnect storms. Thresholds in the scenario
become the exit code for CI; metrics go to Prometheus.")
set(CPACK_PACKAGE_CONTACT "${FLEETLOAD_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FLEETLOAD_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# TLS modes without ca_filepath verify the broker against the system store.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mosquitto, prometheus")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # fleetload_<version>_<arch>.deb
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/packaging/copyright)
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/packages)
include(CPack)
