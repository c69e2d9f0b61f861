# Writes the zsh completion (_fleetload) from the help model (help-model.awk's records):
# commands with their descriptions, then an _arguments spec per command (and per
# subcommand): options with their descriptions and value completion, and the positional
# arguments (scenario files, report files, command names).
BEGIN { FS = "\t" }
$1 == "cmd" { cmd[++ncmd] = $2; cdesc[$2] = $3 }
$1 == "sub" { subs[$2] = subs[$2] (subs[$2] == "" ? "" : " ") $3 }
$1 == "pos" { pos[$2 "/" ($3 == "" ? "*" : $3)] = $4 }
$1 == "opt" { key = $2 "/" $3; specs[key] = specs[key] " \\\n        " spec($4, $5, $6, $7) }

# Text for a single-quoted zsh word.
function q(s) { gsub(/'/, "'\\''", s); return s }
# A short description: the first clause of the help's, without brackets or colons that
# _arguments would read as syntax.
function short(d) {
  sub(/ *[;(].*$/, "", d)
  sub(/[ ,]+$/, "", d)
  gsub(/\[/, "(", d); gsub(/\]/, ")", d); gsub(/\\/, "", d)
  return d
}
function spec(name, arg, kind, d,   s, action, msg) {
  s = (d ~ /repeatable/ ? "*" : "") name
  if (arg == "") return "'" q(s "[" short(d) "]") "'"
  msg = arg
  gsub(/:/, "\\:", msg)
  if (kind == "file") action = "_files"
  else if (kind == "dir") action = "_files -/"
  else if (kind ~ /^choice:/) { action = substr(kind, 8); gsub(/\|/, " ", action); action = "(" action ")" }
  else action = " "
  return "'" q(s "=[" short(d) "]:" msg ":" action) "'"
}
function positional(kind) {
  if (kind == "yaml") return "'1:scenario file:_files -g \"*.(yaml|yml)(-.)\"'"
  if (kind == "json") return "'*:report file:_files -g \"*.json(-.)\"'"
  if (kind == "command") return "'1:command:(" commands ")'"
  if (kind == "file") return "'*:file:_files'"
  return ""
}
function arguments(c, s,   out, p) {
  out = "_arguments -S" specs[c "/*"]
  if (s != "") out = out specs[c "/" s]
  out = out " \\\n        '--help[show the help of this command]'"
  p = positional(pos[c "/" (s == "" ? "*" : s)])
  if (p != "") out = out " \\\n        " p
  return out
}
END {
  for (i = 1; i <= ncmd; i++) commands = commands (i > 1 ? " " : "") cmd[i]
  print "#compdef fleetload"
  print "# zsh completion for fleetload. Generated from `fleetload help` by packaging/gen-docs.sh"
  print "# at build time: do not edit."
  print ""
  print "_fleetload() {"
  print "  local -a commands"
  print "  commands=("
  for (i = 1; i <= ncmd; i++) {
    d = cdesc[cmd[i]]
    if (d == "") d = cmd[i]
    gsub(/:/, "\\:", d)
    print "    '" q(cmd[i] ":" d) "'"
  }
  print "  )"
  print "  if (( CURRENT == 2 )); then"
  print "    _describe -t commands 'fleetload command' commands"
  print "    return"
  print "  fi"
  print "  local cmd=${words[2]}"
  print "  shift words"
  print "  (( CURRENT-- ))"
  print "  case $cmd in"
  for (i = 1; i <= ncmd; i++) {
    c = cmd[i]
    print "    " c ")"
    if (c in subs) {
      print "      if (( CURRENT == 2 )); then"
      print "        _values 'subcommand' " subs[c]
      print "        return"
      print "      fi"
      print "      local sub=${words[2]}"
      print "      shift words"
      print "      (( CURRENT-- ))"
      print "      case $sub in"
      n = split(subs[c], ss, " ")
      for (j = 1; j <= n; j++) print "        " ss[j] ") " arguments(c, ss[j]) " ;;"
      print "      esac"
    } else {
      print "      " arguments(c, "")
    }
    print "      ;;"
  }
  print "  esac"
  print "}"
  print ""
  print "_fleetload \"$@\""
}
