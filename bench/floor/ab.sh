#!/usr/bin/env bash
# One run of a fleetload (or floor) command against a fresh benchmark mosquitto on
# 127.0.0.1:19970, printing its steady-window CPU per 100k messages and mosquitto's
# voluntary context switches over the run. Alternate two binaries by calling it in a loop:
#   for r in 1 2 3; do for v in A B; do bench/floor/ab.sh $v$r ./fleet_bench_$v q0.yaml --threads 1; done; done
# Usage: bench/floor/ab.sh LABEL COMMAND...   (COMMAND's JSON goes to LABEL.json here)
# env MOSQ_CPU / CL_CPU: pin mosquitto / the command to these CPUs (taskset lists).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
label=$1
shift
switches() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$1/status"; }
pin=()
[[ -n "${CL_CPU:-}" ]] && pin=(taskset -c "$CL_CPU")
pid=$("$here/../fleet/start_mosquitto.sh" 19970 "$PWD")  # pinned there when MOSQ_CPU is set
trap '"$here/../fleet/stop_mosquitto.sh" "$pid"' EXIT
before=$(switches "$pid")
"${pin[@]}" "$@" >"$label.json" 2>/dev/null
after=$(switches "$pid")
python3 - "$label.json" $((after - before)) <<'PY'
import json, sys
t = open(sys.argv[1]).read()
j = json.loads(t[t.index("{"):])
print(sys.argv[1], "per100k=%.3f user=%.3f sys=%.3f mosquitto_switches=%s"
      % (j["steady_cpu_s_per_100k_msgs"], j["steady_cpu_user_s"], j["steady_cpu_sys_s"], sys.argv[2]))
PY
