#!/usr/bin/env bash
# README command 1: install what is missing (only what the quickstart needs: compiler, cmake,
# ninja, the libraries' -dev packages, mosquitto), build the Release binary
# (build/release/fleetload), start a mosquitto of its own on 127.0.0.1:18830, run
# scenarios/quickstart.yaml against it, print the summary, stop that broker. It leaves the
# machine's services alone (a system mosquitto on 1883 keeps running).
# Exits with fleetload's exit code (0 pass, 1 thresholds breached, 2 bad input, 3 runtime
# failure, 4 inconclusive: nothing connected or a threshold measured nothing).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

port=18830
conf="$here/config/mosquitto/quickstart.conf"
scenario="$here/scenarios/quickstart.yaml"
workdir=$(mktemp -d "${TMPDIR:-/tmp}/fleetload-quickstart.XXXXXX")
report="$here/build/quickstart-report.json"
broker_pid=""

cleanup() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
# Ctrl-C reaches fleetload too: it stops cleanly, prints the summary and exits with its
# verdict, which this script passes on (bash continues after a child that handled SIGINT).
# SIGTERM would end bash without running the EXIT trap; exit explicitly so the broker stops.
trap 'exit 143' TERM

echo "== quickstart: dependencies" >&2
"$here/scripts/setup-deps.sh" --profile quickstart

echo "== quickstart: Release build" >&2
cmake --preset release >/dev/null
cmake --build --preset release --target fleetload
fleetload="$here/build/release/fleetload"

# Every device is a socket here and in the broker: take the whole allowance we may have.
hard=$(ulimit -Hn)
ulimit -n "$hard" 2>/dev/null || true
echo "== quickstart: open files limit $(ulimit -n)" >&2

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "quickstart: something already listens on 127.0.0.1:$port; stop it or edit $conf and $scenario" >&2
  exit 2
fi

echo "== quickstart: starting mosquitto on 127.0.0.1:$port" >&2
broker_conf="$workdir/mosquitto.conf"
cp "$conf" "$broker_conf"
# mosquitto started as root drops to user "mosquitto"; keep the invoking user instead.
echo "user $(id -un)" >>"$broker_conf"
/usr/sbin/mosquitto -c "$broker_conf" 2>"$workdir/mosquitto.log" &
broker_pid=$!

# Wait (bounded, 10 s) until the broker accepts connections.
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$broker_pid" 2>/dev/null; then
    echo "quickstart: mosquitto exited; its log:" >&2
    cat "$workdir/mosquitto.log" >&2
    exit 3
  fi
  sleep 0.1
done
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "quickstart: mosquitto did not accept on port $port within 10 s; its log:" >&2
  cat "$workdir/mosquitto.log" >&2
  exit 3
fi

echo "== quickstart: fleetload run scenarios/quickstart.yaml" >&2
set +e
"$fleetload" run "$scenario" --report "$report" "$@"
code=$?
set -e
echo "== quickstart: fleetload exited with $code; JSON report: $report" >&2
exit "$code"
