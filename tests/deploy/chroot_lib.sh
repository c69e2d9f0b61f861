# Helpers shared by the package and image tests (sourced): a mosquitto of the test's own on
# a free loopback port, and commands run in a chroot inside a private mount namespace, so
# the /proc, /dev and bind mounts it needs vanish with it, whatever happens to the test.

# require_root_tools TOOL...: exit 77 (skip, with the reason) unless root and every TOOL
# is on PATH.
require_root_tools() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root (chroot, mounts)"
    exit 77
  fi
  local t
  for t in "$@"; do
    if ! command -v "$t" >/dev/null 2>&1; then
      echo "SKIP: $t is not installed (scripts/setup-deps.sh --profile package / image)"
      exit 77
    fi
  done
}

# free_port: a TCP port nothing listens on at 127.0.0.1 (bash's /dev/tcp probe).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# start_broker DIR: mosquitto on 127.0.0.1:$broker_port, logging every connect to
# DIR/mosquitto.log (the test counts clients there, independently of fleetload). Sets
# broker_port and broker_pid; waits (bounded, 10 s) until it accepts.
start_broker() {
  local dir=$1
  broker_port=$(free_port)
  cat >"$dir/mosquitto.conf" <<EOF
listener $broker_port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
log_dest file $dir/mosquitto.log
log_type error
log_type warning
log_type notice
connection_messages true
user $(id -un)
EOF
  /usr/sbin/mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.out" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null; then return 0; fi
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: mosquitto did not start on 127.0.0.1:$broker_port" >&2
  cat "$dir/mosquitto.out" "$dir/mosquitto.log" >&2 2>/dev/null || true
  return 1
}

stop_broker() {
  if [ -n "${broker_pid:-}" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  broker_pid=""
}

# broker_clients DIR PREFIX: how many distinct client ids starting with PREFIX mosquitto
# logged as connected.
broker_clients() {
  grep -o "New client connected from [^ ]* as $2[^ ]*" "$1/mosquitto.log" 2>/dev/null |
    awk '{ print $NF }' | sort -u | wc -l
}

# in_chroot ROOT [--bind HOSTDIR:CHROOTDIR]... [--user UID:GID] [--env VAR=VALUE]... --
# COMMAND...: runs COMMAND in `chroot ROOT` (as UID:GID with --user: chroot --userspec)
# with the host's /proc and /dev and the given bind mounts, in a private mount namespace.
# The environment is a minimal one (PATH, HOME, LANG) plus the --env variables.
in_chroot() {
  local root=$1
  shift
  local binds=() user=() envs=()
  while [ "$1" != "--" ]; do
    case $1 in
      --bind) binds+=("$2") ;;
      --user) user=("--userspec=$2") ;;
      --env) envs+=("$2") ;;
      *) echo "in_chroot: expected --bind, --user, --env or --, got $1" >&2; return 2 ;;
    esac
    shift 2
  done
  shift
  local script='set -e; root=$1; n=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    while [ "$n" -gt 0 ]; do
      mkdir -p "$root/${1#*:}"; mount --bind "${1%%:*}" "$root/${1#*:}"; shift; n=$((n - 1))
    done
    exec chroot "$@"'
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    "${envs[@]}" unshare --mount --propagation private \
    sh -c "$script" in_chroot "$root" "${#binds[@]}" "${binds[@]}" "${user[@]}" "$root" "$@"
}
