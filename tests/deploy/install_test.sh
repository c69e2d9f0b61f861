#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` puts everything in the usual Debian places, and the
# generated man page and completions say what the binary's help says. The expectations
# come from the help text read here with plain grep (not from packaging/'s awk), so a
# generator that loses a command or an option fails this test:
#   - P/bin/fleetload, P/share/man/man1/fleetload.1.gz, the bash and zsh completions, the
#     example scenarios, the dashboards and provisioning, the docs;
#   - `man -l` renders the page (no groff warnings), whatis reads its NAME line, and the
#     page names every command and every option of every command;
#   - bash completion, driven as bash would (COMP_WORDS/COMP_CWORD), offers exactly the
#     commands, exactly each command's options, scenario files for run/validate (YAML
#     only), directories for certs --out, the --key-type choices;
#   - the zsh completion names every command and every option (zsh -n checks its syntax
#     where zsh is installed).
#   tests/deploy/install_test.sh SOURCE_DIR BUILD_DIR FLEETLOAD
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR BUILD_DIR FLEETLOAD}
build=${2:?usage: $0 SOURCE_DIR BUILD_DIR FLEETLOAD}
bin=${3:?usage: $0 SOURCE_DIR BUILD_DIR FLEETLOAD}
for t in man groff lexgrog; do
  command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t is not installed (man-db, groff-base)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=0

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

cmake --install "$build" --prefix "$work/p" >"$work/install.log" || {
  cat "$work/install.log" >&2
  echo "FAIL: cmake --install failed" >&2
  exit 1
}
p=$work/p
for f in bin/fleetload share/man/man1/fleetload.1.gz share/bash-completion/completions/fleetload \
  share/zsh/vendor-completions/_fleetload share/doc/fleetload/README.md share/doc/fleetload/copyright \
  share/doc/fleetload/docs/cli.md share/doc/fleetload/docs/scenario.md \
  share/fleetload/dashboards/provisioning/dashboards/fleetload.yaml \
  share/fleetload/dashboards/provisioning/datasources/prometheus.yaml; do
  [ -f "$p/$f" ] || fail "not installed: $f"
done
[ -x "$p/bin/fleetload" ] || fail "bin/fleetload is not executable"
for s in "$src"/scenarios/*.yaml; do
  [ -f "$p/share/fleetload/scenarios/$(basename "$s")" ] || fail "scenario not installed: $(basename "$s")"
done
for d in "$src"/dashboards/*.json; do
  [ -f "$p/share/fleetload/dashboards/$(basename "$d")" ] || fail "dashboard not installed: $(basename "$d")"
done
[ ! -e "$p/share/fleetload/dashboards/generate_dashboard.py" ] || fail "the dashboard generator script was installed"

# ---- what the help says, read with grep ------------------------------------------------
"$bin" help >"$work/global"
# Commands: the "Commands:" entries and the words after "fleetload" in the usage lines.
commands=$( (sed -n '/^Commands:/,/^$/p' "$work/global" | grep -E '^  [a-z]' | awk '{ print $1 }'
  sed -n '/^Usage:/,/^$/p' "$work/global" | grep -oE 'fleetload [a-z][a-z-]*' | awk '{ print $2 }') | sort -u)
echo "commands: $(echo $commands)"
for c in $commands; do
  [ "$c" = help ] || "$bin" help "$c" >"$work/help-$c"
done
[ "$(echo "$commands" | wc -w)" -ge 5 ] || fail "found only these commands in the help: $commands"
# options_of CMD: options listed as entries ("  --x") or in usage lines of `help CMD`
# (saved in $work/help-CMD), and in the global usage line of CMD.
options_of() {
  [ -f "$work/help-$1" ] || return 0
  {
    grep -oE '^  --[a-z0-9][a-z0-9-]*' "$work/help-$1" | sed 's/^ *//' || true
    grep -E '^Usage: ' "$work/help-$1" | grep -oE -- '--[a-z0-9][a-z0-9-]*' || true
    grep -E "^  fleetload $1 " -A3 "$work/global" | awk -v c="$1" '
      /^  fleetload / { on = ($2 == c) } on { print }' | grep -oE -- '--[a-z0-9][a-z0-9-]*' || true
  } | sort -u
}

# ---- the man page ----------------------------------------------------------------------
page=$p/share/man/man1/fleetload.1.gz
zcat "$page" >"$work/fleetload.1"
groff -man -Tutf8 -ww -z "$work/fleetload.1" 2>"$work/groff.err" || fail "groff failed on the page"
[ -s "$work/groff.err" ] && fail "groff warnings: $(head -n 5 "$work/groff.err")"
lexgrog "$page" | grep -q '"fleetload - ' || fail "whatis cannot read the NAME line: $(lexgrog "$page" 2>&1)"
MANWIDTH=100 man -l "$page" 2>"$work/man.err" >"$work/man.txt" || fail "man -l failed: $(cat "$work/man.err")"
grep -q '^FLEETLOAD(1)' "$work/man.txt" || fail "man -l did not render a section 1 page"
for c in $commands; do
  [ "$c" = help ] && continue
  grep -qE "^   fleetload $c\$" "$work/man.txt" || fail "the man page has no section for '$c'"
  for o in $(options_of "$c"); do
    grep -qF -- "$o" "$work/man.txt" || fail "the man page does not name $c $o"
  done
done
grep -q "^EXIT STATUS" "$work/man.txt" || fail "no EXIT STATUS section"

# ---- bash completion -------------------------------------------------------------------
mkdir -p "$work/cwd/sub"
touch "$work/cwd/a.yaml" "$work/cwd/b.yml" "$work/cwd/c.txt" "$work/cwd/r.json"
# complete WORD...: the candidates bash completion offers for the last word, sorted.
complete_words() {
  (cd "$work/cwd" && bash --norc --noprofile -c '
    source "$0"
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _fleetload
    printf "%s\n" "${COMPREPLY[@]}"' "$p/share/bash-completion/completions/fleetload" "$@") | sort
}
# same LIST_A LIST_B: equal as sets of words.
same() { [ "$(echo $1 | tr ' ' '\n' | sort -u)" = "$(echo $2 | tr ' ' '\n' | sort -u)" ]; }

got=$(complete_words fleetload "")
same "$got" "$commands --help --version" || fail "commands completed: $(echo $got); help says: $(echo $commands)"
for c in $commands; do
  [ "$c" = help ] && continue
  opts=$(options_of "$c")
  words=(fleetload "$c")
  [ "$c" = report ] && words+=(merge)
  got=$(complete_words "${words[@]}" --)
  same "$got" "$opts --help" || fail "options completed for $c: $(echo $got); help says: $(echo $opts)"
done
got=$(complete_words fleetload run "")
same "$got" "a.yaml b.yml sub" || fail "scenario files completed for run: $(echo $got)"
got=$(complete_words fleetload validate --shard 0/2 "")
same "$got" "a.yaml b.yml sub" || fail "scenario files completed after validate --shard K/N: $(echo $got)"
got=$(complete_words fleetload certs --out "")
same "$got" "sub" || fail "directories completed for certs --out: $(echo $got)"
got=$(complete_words fleetload certs --key-type "")
same "$got" "ecdsa-p256 rsa2048" || fail "--key-type choices completed: $(echo $got)"
got=$(complete_words fleetload report merge "")
same "$got" "r.json sub" || fail "report files completed for report merge: $(echo $got)"

# ---- zsh completion --------------------------------------------------------------------
zfile=$p/share/zsh/vendor-completions/_fleetload
head -n 1 "$zfile" | grep -qx '#compdef fleetload' || fail "_fleetload does not start with #compdef fleetload"
for c in $commands; do
  grep -qE "^    '$c:" "$zfile" || fail "_fleetload does not list the command $c"
  for o in $(options_of "$c"); do
    grep -qE -- "'\\*?$o[=[]" "$zfile" || fail "_fleetload does not complete $c $o"
  done
done
if command -v zsh >/dev/null 2>&1; then
  zsh -n "$zfile" || fail "zsh -n: _fleetload has a syntax error"
  # zcomplete WORD...: what _fleetload hands zsh's completion helpers for a command line
  # whose last word is being completed (the helpers stubbed to print their arguments).
  zcomplete() {
    zsh -f -c '
      _describe() { local n=${argv[-1]}; print -rl -- ${(P)n}; }
      _arguments() { print -rl -- "$@"; }
      _values() { shift; print -rl -- "$@"; }
      source "$1"
      shift
      words=("$@"); CURRENT=$#
      _fleetload' zcomplete "$zfile" "$@"
  }
  for c in $commands; do
    zcomplete fleetload "" | grep -q "^$c:" || fail "zsh: '$c' not offered as a command"
  done
  zrun=$(zcomplete fleetload run "")
  grep -qF '1:scenario file:_files -g "*.(yaml|yml)(-.)"' <<<"$zrun" || fail "zsh: run does not complete scenario files"
  for o in $(options_of run); do
    grep -qE -- "^\*?$o[=[]" <<<"$zrun" || fail "zsh: run does not offer $o"
  done
  zcomplete fleetload report "" | grep -qx merge || fail "zsh: report does not offer its subcommand merge"
  zcomplete fleetload report merge "" | grep -qF '*:report file:_files -g "*.json(-.)"' ||
    fail "zsh: report merge does not complete report files"
  zcomplete fleetload certs "" | grep -qF -- '--key-type=[' || fail "zsh: certs does not offer --key-type"
fi

if [ "$failures" -ne 0 ]; then
  echo "install_test: $failures failure(s)" >&2
  exit 1
fi
echo "install_test: the install layout, the man page and both completions follow the help text"
