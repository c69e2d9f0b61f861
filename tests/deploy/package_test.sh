#!/usr/bin/env bash
# The Debian package, built and installed for real: scripts/package.sh makes the .deb; its
# control fields and contents are checked; it is installed with apt into a throwaway
# debootstrapped bookworm (so its declared dependencies must resolve from the Debian
# archive, with nothing of this machine's packages helping), and there, in a chroot,
# `fleetload version` and a short run against a mosquitto of this test on the host's
# 127.0.0.1 (a chroot shares the network namespace) must work: exit code 0, a report
# whose connect count the broker's own log confirms.
#   tests/deploy/package_test.sh SOURCE_DIR WORK_DIR
# Label "package" (not in scripts/test.sh). Exit 77 (skip) without root, debootstrap,
# dpkg-shlibdeps or mosquitto.
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR WORK_DIR}
workroot=${2:?usage: $0 SOURCE_DIR WORK_DIR}
# shellcheck source=tests/deploy/chroot_lib.sh
. "$src/tests/deploy/chroot_lib.sh"
require_root_tools debootstrap dpkg-shlibdeps dpkg-deb cpack unshare /usr/sbin/mosquitto

mkdir -p "$workroot"
work=$(mktemp -d "$workroot/package-test.XXXXXX")
cleanup() {
  stop_broker
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# ---- build ---------------------------------------------------------------------------
start=$(date +%s)
deb=$(FLEETLOAD_SKIP_SETUP=1 bash "$src/scripts/package.sh" "$workroot/package-build")
echo "built $deb in $(($(date +%s) - start)) s"

# ---- control fields ------------------------------------------------------------------
version=$(sed -n 's/^project(fleetload VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
field() { dpkg-deb -f "$deb" "$1"; }
description=$(field Description)
[ "$(field Package)" = fleetload ] || fail "Package is '$(field Package)'"
[ -n "$version" ] && [ "$(field Version)" = "$version" ] || fail "Version '$(field Version)', project says '$version'"
[ "$(field Section)" = net ] || fail "Section '$(field Section)'"
[[ $(field Maintainer) =~ ^[^\<]+\ \<[^@]+@[^@]+\>$ ]] || fail "Maintainer '$(field Maintainer)' is not 'name <address>'"
[[ $(echo "$description" | head -n 1) == *MQTT* ]] || fail "Description's synopsis does not say what it is: $description"
[ "$(echo "$description" | wc -l)" -ge 3 ] || fail "no long description: $description"
[ "$(echo "$description" | grep -c 'load tester for MQTT')" -eq 1 ] || fail "synopsis repeated in the description: $description"
depends=$(field Depends)
echo "Depends: $depends"
# Every library the packaged binary links directly (its DT_NEEDED entries) must come from
# a package Depends names: found here with readelf + ldd + dpkg -S, not dpkg-shlibdeps.
# (Libraries those load in turn, e.g. civetweb under prometheus-cpp, are their packages'
# dependencies; the apt install below proves the chain resolves.)
dpkg-deb -x "$deb" "$work/deb"
ldd "$work/deb/usr/bin/fleetload" >"$work/ldd"
needed=$(readelf -d "$work/deb/usr/bin/fleetload" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no NEEDED entries"
for so in $needed; do
  path=$(awk -v so="$so" '$1 == so && $2 == "=>" { print $3 }' "$work/ldd")
  pkg=""
  for c in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
    pkg=$(dpkg -S "$c" 2>/dev/null | grep -v '^diversion' | head -n 1 | cut -d: -f1) && [ -n "$pkg" ] && break
  done
  if [ -z "$pkg" ]; then
    fail "no Debian package holds $so ($path)"
  elif ! printf ', %s,' "$depends" | grep -qF -e ", $pkg (" -e ", $pkg,"; then
    fail "Depends lacks $pkg (the binary links $so)"
  fi
done
for f in usr/bin/fleetload usr/share/man/man1/fleetload.1.gz usr/share/bash-completion/completions/fleetload \
  usr/share/zsh/vendor-completions/_fleetload usr/share/doc/fleetload/copyright usr/share/doc/fleetload/README.md \
  usr/share/fleetload/scenarios/quickstart.yaml usr/share/fleetload/dashboards/fleetload-capacity.json; do
  [ -f "$work/deb/$f" ] || fail "the package lacks /$f"
done
if readelf -S "$work/deb/usr/bin/fleetload" | grep -q '\.symtab'; then fail "the packaged binary is not stripped"; fi

# ---- install into a clean bookworm ---------------------------------------------------
tarball=$(bash "$src/scripts/bookworm-rootfs.sh" "$src/build/cache")
root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
echo "installing $(basename "$deb") with apt in a clean bookworm chroot"
if ! in_chroot "$root" --env DEBIAN_FRONTEND=noninteractive -- sh -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb")" >"$work/apt.log" 2>&1; then
  tail -n 30 "$work/apt.log" >&2
  fail "apt could not install the package in a clean bookworm"
  exit 1
fi
in_chroot "$root" -- dpkg-query -W -f='${Status} ${Version}\n' fleetload | grep -q "install ok installed $version" ||
  fail "dpkg does not list fleetload $version as installed"

got=$(in_chroot "$root" -- fleetload version)
[ "$got" = "fleetload $version" ] || fail "fleetload version printed '$got'"

# ---- a short run against the host's mosquitto ---------------------------------------
start_broker "$work"
devices=6
cat >"$root/tmp/short.yaml" <<EOF
name: package-test
target:
  endpoint: 127.0.0.1
  port: $broker_port
  protocol: mqtt5
fleet:
  devices: $devices
  client_id: "pkgtest-{index}"
  connect_rate: 50/s
publish:
  topic: "pkgtest/{index}"
  qos: 1
  rate: 2/s
  payload: 64B
phases:
  - type: ramp
  - type: steady
    duration: 2s
thresholds:
  connect_success_ratio: ">= 100%"
EOF
mkdir -p "$root/tmp/out"
set +e
in_chroot "$root" -- fleetload run /tmp/short.yaml --no-progress --no-metrics --report /tmp/out/report.json \
  >"$work/run.out" 2>"$work/run.err"
code=$?
set -e
cat "$work/run.out"
[ "$code" -eq 0 ] || fail "fleetload run in the chroot exited $code; stderr: $(tail -n 5 "$work/run.err")"
report=$root/tmp/out/report.json
if [ -f "$report" ]; then
  ok=$(tr -d ' \n' <"$report" | grep -o '"connects_ok":[0-9]*' | head -n 1 | cut -d: -f2)
  [ "${ok:-x}" = "$devices" ] || fail "report says connects_ok=${ok:-missing}, expected $devices"
  tr -d ' \n' <"$report" | grep -q "\"fleetload_version\":\"$version\"" || fail "report's fleetload_version is not $version"
  [ -f "$root/tmp/out/report.html" ] || fail "no HTML report beside the JSON one"
else
  fail "no report at /tmp/out/report.json in the chroot"
fi
seen=$(broker_clients "$work" pkgtest-)
[ "$seen" -eq "$devices" ] || fail "mosquitto logged $seen distinct pkgtest- clients, expected $devices"

if [ "$failures" -ne 0 ]; then
  echo "package_test: $failures failure(s)" >&2
  exit 1
fi
echo "package_test: the .deb installs on a clean bookworm with its dependencies and runs there ($(($(date +%s) - start)) s)"
