#!/bin/sh
# Generates the man page and the shell completions from the help text of a built fleetload,
# so neither can drift from what the binary says (the build runs this after linking it):
#
#   packaging/gen-docs.sh FLEETLOAD OUT_DIR [DATADIR]
#
# writes OUT_DIR/fleetload.1 (man section 1: every command's help on one page),
# OUT_DIR/fleetload.bash (bash completion) and OUT_DIR/_fleetload (zsh completion).
# DATADIR (default /usr/local/share) is where the page says the scenarios and dashboards
# are installed. The commands are those of `fleetload help` (its "Commands:" list and its
# usage lines), each command's options and arguments those of `fleetload help COMMAND`.
# The page's date is SOURCE_DATE_EPOCH's when set (reproducible builds), else today's.
# POSIX sh + awk (mawk or gawk): nothing beyond what a Debian build machine has.
set -eu

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: $0 FLEETLOAD OUT_DIR [DATADIR]" >&2
  exit 2
fi
bin=$1
out=$2
datadir=${3:-/usr/local/share}
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/fleetload-gen-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One stream: "@@ global" then the global help, "@@ command NAME" then that command's help.
# The sanitizer builds' runtime must not add noise to the text.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
"$bin" help >"$work/global"
commands=$(awk -f "$here/help-commands.awk" "$work/global")
if [ -z "$commands" ]; then
  echo "$0: no commands found in '$bin help' (its \"Commands:\" list is where they are read)" >&2
  exit 1
fi
{
  echo "@@ global"
  cat "$work/global"
  for c in $commands; do
    [ "$c" = help ] && continue  # `help help` is not a topic; its usage is in the global help
    echo "@@ command $c"
    "$bin" help "$c"
  done
} >"$work/help"

version=$("$bin" version | awk '{ print $NF; exit }')
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
else
  date=$(date -u +%Y-%m-%d)
fi

awk -f "$here/help-model.awk" "$work/help" >"$work/model"
awk -v version="$version" -v date="$date" -v datadir="$datadir" -f "$here/man.awk" "$work/help" >"$work/fleetload.1"
awk -f "$here/bash-completion.awk" "$work/model" >"$work/fleetload.bash"
cat "$here/fleetload.bash.in" >>"$work/fleetload.bash"
awk -f "$here/zsh-completion.awk" "$work/model" >"$work/_fleetload"

# Replace the outputs only when complete, so an interrupted build never leaves half a page.
for f in fleetload.1 fleetload.bash _fleetload; do
  mv "$work/$f" "$out/$f"
done
