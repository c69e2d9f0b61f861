#!/usr/bin/env bash
# scripts/setup-deps.sh profiles: the quickstart gets only what it needs (toolchain, the
# libraries' -dev packages, mosquitto) and none of the test stack; the test profile holds
# the quickstart's and the test servers; package and image have their tools; no package is
# listed twice in the script; an unknown profile is refused (exit 2). The scripts that use
# it ask for their profile, and the image's build stage installs the build profile.
# Only `--list` runs here: nothing is installed.
#   tests/deploy/setup_deps_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR}
deps=$src/scripts/setup-deps.sh
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
list() { bash "$deps" --list "$@" | sort -u; }
# A here-string, not echo | grep -q: grep -q stops at the first match, and with pipefail the
# echo killed by SIGPIPE would make a present package look absent (it did, under load).
has() { grep -qx -- "$2" <<<"$1"; }

build=$(list --profile build)
quick=$(list --profile quickstart)
tests=$(list --profile test)
package=$(list --profile package)
image=$(list --profile image)
echo "quickstart: $(echo $quick)"

for p in build-essential cmake ninja-build pkg-config libboost1.81-dev libboost-url1.81-dev libssl-dev \
  libyaml-cpp-dev prometheus-cpp-dev libcbor-dev; do
  has "$build" "$p" || fail "build profile lacks $p"
  has "$quick" "$p" || fail "quickstart profile lacks $p"
done
has "$quick" mosquitto || fail "quickstart profile lacks mosquitto"
has "$build" mosquitto && fail "build profile installs mosquitto (a broker is not needed to build)"
for p in chromium prometheus prometheus-pushgateway softhsm2 websockify nodejs npm python3-botocore docker-compose \
  libgtest-dev clang podman debootstrap; do
  has "$quick" "$p" && fail "quickstart profile installs $p (test stack)"
done
[ "$(echo "$quick" | wc -l)" -le 12 ] || fail "quickstart profile grew to $(echo "$quick" | wc -l) packages"
missing=$(comm -23 <(echo "$quick") <(echo "$tests"))
[ -z "$missing" ] || fail "test profile lacks quickstart packages: $missing"
for p in libgtest-dev chromium prometheus softhsm2 websockify mosquitto-clients; do
  has "$tests" "$p" || fail "test profile lacks $p"
done
for p in dpkg-dev debootstrap mosquitto cmake; do has "$package" "$p" || fail "package profile lacks $p"; done
for p in podman debootstrap mosquitto; do has "$image" "$p" || fail "image profile lacks $p"; done
[ "$(list)" = "$tests" ] || fail "the default profile is not 'test'"
all=$(list --profile all)
missing=$(comm -23 <(printf '%s\n' "$tests" "$package" "$image" | grep -v '^nodejs$\|^npm$' | sort -u) <(echo "$all"))
[ -z "$missing" ] || fail "profile all lacks: $missing"

# No package named twice among the script's lists (one list per purpose).
dups=$(awk '/^[A-Z_]+=\(/ { on = 1; sub(/^[A-Z_]+=\(/, "") }
  on { line = $0; sub(/#.*/, "", line); if (line ~ /\)/) { sub(/\).*/, "", line); on = 0 }
       n = split(line, w, " "); for (i = 1; i <= n; i++) print w[i] }' "$deps" | sort | uniq -d)
[ -z "$dups" ] && [ "$(awk '/^[A-Z_]+=\(/' "$deps" | wc -l)" -ge 5 ] || fail "listed twice (or lists not found): $dups"

if bash "$deps" --profile bogus --list >/dev/null 2>&1; then fail "unknown profile accepted"; fi
set +e
bash "$deps" --profile bogus --list >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown profile: exit code is not 2"
set -e

grep -q 'setup-deps.sh" --profile quickstart' "$src/scripts/quickstart.sh" || fail "quickstart.sh does not ask for the quickstart profile"
grep -q 'setup-deps.sh --profile test' "$src/scripts/test.sh" || fail "test.sh does not ask for the test profile"
grep -q 'setup-deps.sh" --profile package' "$src/scripts/package.sh" || fail "package.sh does not ask for the package profile"
grep -q 'setup-deps.sh --profile build' "$src/docker/Dockerfile" || fail "the image's build stage does not install the build profile"

if [ "$failures" -ne 0 ]; then
  echo "setup_deps_test: $failures failure(s)" >&2
  exit 1
fi
echo "setup_deps_test: profiles hold what their purpose needs, nothing twice"
