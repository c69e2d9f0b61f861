#!/usr/bin/env bash
# The compose stack's Prometheus configuration loads (promtool check config), and a broken
# copy of it does not (so the check is a real one). Exit 77 (skip) without promtool.
#   tests/deploy/promtool_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR}
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIP: promtool is not installed (Debian package prometheus; scripts/setup-deps.sh installs it)"
  exit 77
fi
config=$src/docker/prometheus/prometheus.yml
promtool check config "$config"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed 's/type: A$/type: NOPE/' "$config" >"$work/broken.yml"
if promtool check config "$work/broken.yml" >/dev/null 2>&1; then
  echo "FAIL: promtool accepted a config with an invalid dns_sd type: the check proves nothing" >&2
  exit 1
fi
echo "promtool_test: docker/prometheus/prometheus.yml is valid"
