#!/usr/bin/env bash
# The Docker image, built and run for real without a Docker engine or a registry:
#   1. a debootstrapped bookworm (scripts/bookworm-rootfs.sh, cached) is imported with
#      `podman import` under the names docker/Dockerfile's FROM lines use
#      (debian:bookworm, debian:bookworm-slim), so nothing is pulled (--pull=never);
#   2. `podman build --isolation chroot` builds docker/Dockerfile, RUN steps included;
#   3. containers cannot start here (podman's OCI runtime fails on this VM: rlimits,
#      cgroups), so the image is mounted (`podman image mount`) and its entrypoint run in
#      a chroot of it, as the image's user, with a host directory bind-mounted at the
#      image's report path, against a mosquitto of this test on 127.0.0.1.
# Checked: the image's config (entrypoint, numeric non-root user, working dir), that the
# user exists in the image, `version` through the entrypoint, a run that passes (exit 0,
# the report in the host directory, written by uid 10001, the broker's log confirming
# the connects), a run that breaches a threshold (exit 1) and a bad scenario (exit 2).
# Images, mounts and podman's storage (private to this test) are removed at the end.
#   tests/deploy/image_test.sh SOURCE_DIR WORK_DIR
# Label "image" (minutes; not in scripts/test.sh). Exit 77 (skip) without root, podman,
# debootstrap or mosquitto.
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR WORK_DIR}
workroot=${2:?usage: $0 SOURCE_DIR WORK_DIR}
# shellcheck source=tests/deploy/chroot_lib.sh
. "$src/tests/deploy/chroot_lib.sh"
require_root_tools podman debootstrap unshare /usr/sbin/mosquitto

mkdir -p "$workroot"
work=$(mktemp -d "$workroot/image-test.XXXXXX")
image=localhost/fleetload:image-test
# podman refuses a runroot (its sockets and locks) longer than 50 characters.
runroot=$(mktemp -d /tmp/fleetload-podman.XXXXXX)
# A storage of its own: the machine's podman images are never touched, and removing the
# directory removes every layer this test made.
podman_() {
  podman --root "$work/storage" --runroot "$runroot" --storage-driver overlay \
    --cgroup-manager cgroupfs --events-backend file "$@"
}
cleanup() {
  stop_broker
  podman_ image unmount --all >/dev/null 2>&1 || true
  podman_ rmi --all --force >/dev/null 2>&1 || true
  # overlay mounts podman may still hold under the storage
  awk -v a="$work/" -v b="$runroot/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts |
    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work" "$runroot"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
t0=$(date +%s)

# ---- base images from debootstrap, then the build ------------------------------------
tarball=$(bash "$src/scripts/bookworm-rootfs.sh" "$src/build/cache")
for base in debian:bookworm debian:bookworm-slim; do
  podman_ import --quiet "$tarball" "docker.io/library/$base" >/dev/null
done
echo "base images imported ($(($(date +%s) - t0)) s)"

t1=$(date +%s)
if ! podman_ build --isolation chroot --pull=never --build-arg BUILD_JOBS=2 \
  -f "$src/docker/Dockerfile" -t "$image" "$src" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  echo "FAIL: podman build of docker/Dockerfile failed (log above)" >&2
  exit 1
fi
echo "podman build: $(($(date +%s) - t1)) s"

cfg() { podman_ image inspect --format "$1" "$image"; }
entrypoint=$(cfg '{{range .Config.Entrypoint}}{{.}} {{end}}')
user=$(cfg '{{.Config.User}}')
workdir=$(cfg '{{.Config.WorkingDir}}')
echo "image config: entrypoint '$entrypoint', user '$user', workdir '$workdir'"
[ "$entrypoint" = "/usr/local/bin/fleetload-entrypoint " ] || fail "entrypoint is '$entrypoint'"
[[ $user =~ ^[1-9][0-9]*:[0-9]+$ ]] || fail "user '$user' is not a numeric non-root uid:gid"
uid=${user%%:*}

mnt=$(podman_ image mount "$image")
[ -d "$mnt/usr" ] || { echo "FAIL: podman image mount gave '$mnt'" >&2; exit 1; }
grep -q "^fleetload:x:$uid:" "$mnt/etc/passwd" || fail "no user fleetload with uid $uid in the image's /etc/passwd"
[ "$(stat -c %u "$mnt/reports")" = "$uid" ] || fail "/reports in the image is not owned by uid $uid"
[ -x "$mnt/usr/local/bin/fleetload" ] || fail "no /usr/local/bin/fleetload in the image"

# run_image EXPECTED_EXIT ENV... -- ARGS...: the entrypoint in a chroot of the mounted image,
# as the image's user, in its working directory, with the host's $work/reports at /reports.
run_image() {
  local want=$1 got=0
  shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=(--env "$1"); shift; done
  shift
  in_chroot "$mnt" --bind "$work/reports:/reports" --user "$user" "${envs[@]}" -- \
    /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" /usr/local/bin/fleetload-entrypoint "$@" \
    >"$work/out" 2>"$work/err" || got=$?
  if [ "$got" != "$want" ]; then
    fail "entrypoint $* exited $got, expected $want; stderr: $(tail -n 8 "$work/err")"
  fi
}

# The report volume: a host directory the image's user may write to.
mkdir -p "$work/reports"
chown "$user" "$work/reports"

run_image 0 -- version
grep -q "^fleetload " "$work/out" || fail "'version' printed: $(cat "$work/out")"

start_broker "$work"
devices=8
common=(FLEETLOAD_REPORT_DIR=/reports FLEETLOAD_METRICS_LISTEN=off FLEETLOAD_PROGRESS=0
  FLEETLOAD_BROKER_HOST=127.0.0.1 FLEETLOAD_BROKER_PORT="$broker_port")
sets="fleet.devices=$devices fleet.connect_rate=100/s phases.1.duration=3s"

# A passing run of the compose batch scenario shipped in the image, shortened through
# FLEETLOAD_SETS (35 s of steady publishing as shipped: a run over 20 s means the
# entrypoint lost the overrides).
t2=$(date +%s)
run_image 0 "${common[@]}" "FLEETLOAD_SETS=$sets" -- run /opt/fleetload/scenarios/compose/batch.yaml
cat "$work/out"
[ $(($(date +%s) - t2)) -lt 20 ] || fail "the run took $(($(date +%s) - t2)) s: FLEETLOAD_SETS (phases.1.duration=3s) not applied"
report=$work/reports/fleetload-shard-0-of-1.json
if [ -f "$report" ]; then
  [ "$(stat -c %u "$report")" = "$uid" ] || fail "the report was written by uid $(stat -c %u "$report"), not $uid"
  ok=$(tr -d ' \n' <"$report" | grep -o '"connects_ok":[0-9]*' | head -n 1 | cut -d: -f2)
  [ "${ok:-x}" = "$devices" ] || fail "report says connects_ok=${ok:-missing}, expected $devices"
  [ -f "${report%.json}.html" ] || fail "no HTML report beside the JSON one in the report volume"
else
  fail "no $report: the report volume did not receive the report ($(ls -la "$work/reports"))"
fi
seen=$(broker_clients "$work" batch-)
[ "$seen" -eq "$devices" ] || fail "mosquitto logged $seen distinct batch- clients, expected $devices"

# A breached threshold: exit code 1 through the entrypoint, the report still written.
rm -f "$work/reports"/*
run_image 1 "${common[@]}" "FLEETLOAD_SETS=$sets thresholds.connect_success_ratio===0%" -- \
  run /opt/fleetload/scenarios/compose/batch.yaml
[ -f "$report" ] || fail "no report after the breaching run"
grep -q "FAIL" "$work/out" || fail "the breaching run's summary does not say FAIL: $(tail -n 5 "$work/out")"

# Bad input: exit code 2.
run_image 2 "${common[@]}" -- run /opt/fleetload/scenarios/does-not-exist.yaml

if [ "$failures" -ne 0 ]; then
  echo "image_test: $failures failure(s)" >&2
  exit 1
fi
echo "image_test: the image builds with podman and its entrypoint runs against mosquitto ($(($(date +%s) - t0)) s)"
