#!/usr/bin/env bash
# Installs exactly what fleetload needs to build and test, from Debian's archive and npm.
# Idempotent: packages already present are skipped, so a second run costs seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

APT_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # libraries
  libboost1.81-dev libboost-url1.81-dev libssl-dev libyaml-cpp-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcbor-dev python3-paho-mqtt python3-cbor2  # responder: provisioning CBOR; its e2e tests' own MQTT client and CBOR
  # real components used by the tests and the quickstart
  mosquitto mosquitto-clients openssl
  # auth: SigV4 checked by an independent signer; PKCS#11 through SoftHSM2 + OpenSSL engine
  python3-botocore softhsm2 libengine-pkcs11-openssl opensc
  # WebSocket modes: a real WebSocket server (websockify) in front of mosquitto
  websockify
  # deploy checks without a Docker engine: `docker-compose config` validates compose.yaml
  docker-compose
  # metrics: a real Prometheus (+ promtool) and Pushgateway; headless Chromium for the HTML report
  prometheus prometheus-pushgateway chromium
  python3
)
# The mqtt-packet cross-check runs on Node.js. A machine may already carry a Node.js
# that bundles npm (e.g. nodesource); Debian's npm conflicts with it, so only ask apt
# for what is absent.
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm  >/dev/null 2>&1 || APT_PACKAGES+=(npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian enables the broker's system service on install; our tests start their own on free ports.
  if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now mosquitto prometheus prometheus-pushgateway >/dev/null 2>&1 || true
  fi
fi

# npm packages used by tests (pinned in tests/crosscheck/package.json / package-lock.json)
if [ -f "$here/tests/crosscheck/package.json" ] && [ ! -d "$here/tests/crosscheck/node_modules/mqtt-packet" ]; then
  echo "setup-deps: npm install in tests/crosscheck" >&2
  (cd "$here/tests/crosscheck" && npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error)
fi
