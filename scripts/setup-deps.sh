#!/usr/bin/env bash
# Installs the Debian packages (and, for the tests, the pinned npm packages: the codec
# cross-check's mqtt-packet and the e2e tests' aedes broker) that one purpose of fleetload
# needs, and nothing more. Idempotent: packages already present are skipped, so a second
# run costs a second. It never starts, stops,
# enables or disables a system service: the tests and the quickstart start their own
# servers on their own ports.
#
#   scripts/setup-deps.sh [--profile NAME]... [--list]
#
# Profiles (several may be given; the default is `test`, what scripts/test.sh needs):
#   build       compiler, cmake, ninja and the libraries' -dev packages: configure the
#               release preset and build the fleetload binary, man page and completions
#   quickstart  build + mosquitto                          (scripts/quickstart.sh)
#   test        build + GoogleTest, clang/libFuzzer and every real server the unit, e2e
#               and crosscheck tests start                 (scripts/test.sh)
#   package     build + dpkg-dev, debootstrap, mosquitto   (scripts/package.sh, ctest -L package)
#   image       podman, debootstrap, mosquitto             (ctest -L image)
#   all         all of the above
# --list prints the profiles' Debian packages, one per line, and installs nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# One list per purpose; a profile is a union of lists, so no package is named twice.
TOOLCHAIN=(build-essential cmake ninja-build pkg-config)
# Boost (Asio, Beast, JSON), Boost.URL, OpenSSL, yaml-cpp, prometheus-cpp (pull + push,
# which bring civetweb, curl and zlib), libcbor (the responder's CBOR provisioning payloads).
LIBRARIES=(libboost1.81-dev libboost-url1.81-dev libssl-dev libyaml-cpp-dev prometheus-cpp-dev libcbor-dev)
BROKER=(mosquitto)
TEST_TOOLS=(
  # test frameworks; clang + libFuzzer runtime for scripts/fuzz.sh
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  # the install test renders the man page (man-db) and checks the zsh completion's syntax
  man-db zsh
)
TEST_SERVERS=(
  mosquitto-clients openssl
  # the responder e2e tests' own MQTT client and CBOR decoder
  python3-paho-mqtt python3-cbor2
  # the scenario JSON Schema checked by an independent validator (tests/deploy/schema_test.py)
  python3-jsonschema python3-yaml
  # auth: SigV4 checked by an independent signer; PKCS#11 through SoftHSM2 + OpenSSL engine
  python3 python3-botocore softhsm2 libengine-pkcs11-openssl opensc
  # WebSocket modes: a real WebSocket server (websockify) in front of mosquitto
  websockify
  # deploy checks without a Docker engine: `docker-compose config` validates compose.yaml
  docker-compose
  # metrics: a real Prometheus (+ promtool) and Pushgateway; headless Chromium for the HTML report
  prometheus prometheus-pushgateway chromium
)
# scripts/package.sh: CPack's DEB generator reads dpkg-shlibdeps (dpkg-dev) for the
# runtime dependencies.
PACKAGE_TOOLS=(dpkg-dev)
# The image test: podman builds docker/Dockerfile (chroot isolation).
IMAGE_TOOLS=(podman)
# Both tests start from a minimal bookworm made by debootstrap (scripts/bookworm-rootfs.sh):
# the package is installed into it, the image's base images are imported from it.
ROOTFS_TOOLS=(debootstrap)

packages=()
add() { packages+=("$@"); }
want_npm=0
profile() {
  case $1 in
    build) add "${TOOLCHAIN[@]}" "${LIBRARIES[@]}" ;;
    quickstart) profile build; add "${BROKER[@]}" ;;
    test)
      profile build
      add "${BROKER[@]}" "${TEST_TOOLS[@]}" "${TEST_SERVERS[@]}"
      want_npm=1
      ;;
    package) profile build; add "${BROKER[@]}" "${PACKAGE_TOOLS[@]}" "${ROOTFS_TOOLS[@]}" ;;
    image) add "${BROKER[@]}" "${IMAGE_TOOLS[@]}" "${ROOTFS_TOOLS[@]}" ;;
    all) for p in build quickstart test package image; do profile "$p"; done ;;
    *)
      echo "setup-deps: unknown profile \"$1\" (build, quickstart, test, package, image, all)" >&2
      exit 2
      ;;
  esac
}

list=0
profiles=()
while [ $# -gt 0 ]; do
  case $1 in
    --profile) [ $# -ge 2 ] || { echo "setup-deps: --profile needs a name" >&2; exit 2; }; profiles+=("$2"); shift 2 ;;
    --profile=*) profiles+=("${1#--profile=}"); shift ;;
    --list) list=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-deps: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#profiles[@]} -gt 0 ] || profiles=(test)
for p in "${profiles[@]}"; do profile "$p"; done
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

# The mqtt-packet cross-check and the aedes broker run on Node.js. A machine may already carry a Node.js that
# bundles npm (e.g. nodesource); Debian's npm conflicts with it, so only ask apt for what
# is absent.
if [ "$want_npm" = 1 ]; then
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

if [ "$list" = 1 ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-deps (${profiles[*]}): installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages used by the crosscheck tests (pinned in tests/crosscheck/package-lock.json)
if [ "$want_npm" = 1 ] && [ -f "$here/tests/crosscheck/package.json" ] &&
  [ ! -d "$here/tests/crosscheck/node_modules/mqtt-packet" ]; then
  echo "setup-deps: npm install in tests/crosscheck" >&2
  (cd "$here/tests/crosscheck" && npm ci --no-audit --no-fund --loglevel=error 2>/dev/null ||
    npm install --no-audit --no-fund --loglevel=error)
fi

# aedes, the e2e tests' second broker implementation (tests/e2e/aedes_e2e_test.cpp), pinned
# in tests/brokers/aedes/package-lock.json: `npm ci` only, so what runs is what is pinned.
if [ "$want_npm" = 1 ] && [ -f "$here/tests/brokers/aedes/package.json" ] &&
  [ ! -d "$here/tests/brokers/aedes/node_modules/aedes" ]; then
  echo "setup-deps: npm ci in tests/brokers/aedes" >&2
  (cd "$here/tests/brokers/aedes" && npm ci --no-audit --no-fund --loglevel=error)
fi
