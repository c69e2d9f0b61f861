#!/usr/bin/env bash
# No script of the project starts, stops, enables, disables or reconfigures a service of
# the machine it runs on (tests and the quickstart start their own servers on their own
# ports): scripts/, tests/, bench/, docker/, packaging/ and .ci/ are searched for the
# service managers' commands and for kernel settings written with sysctl.
#   tests/deploy/no_service_control_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR}
self=tests/deploy/no_service_control_test.sh
cd "$src"
dirs=()
for d in scripts tests bench docker packaging .ci; do [ -d "$d" ] && dirs+=("$d"); done
pattern='(^|[^a-z_-])(systemctl|service +[a-z0-9_.-]+ +(start|stop|restart|reload)|invoke-rc\.d|update-rc\.d|rc-service|sysctl +-w|sysctl +[a-z0-9_.]+=)'
hits=$(grep -rnE --exclude-dir=node_modules --exclude-dir=corpus --binary-files=without-match "$pattern" "${dirs[@]}" |
  grep -v "^$self:" || true)
if [ -n "$hits" ]; then
  echo "FAIL: these lines control the machine's services or kernel settings:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "no_service_control_test: no script controls the machine's services (searched: ${dirs[*]})"
