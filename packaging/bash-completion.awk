# Writes the data half of the bash completion from the help model (help-model.awk's
# records): the command, subcommand, option and argument tables, as shell functions that
# packaging/fleetload.bash.in (appended by gen-docs.sh) reads.
BEGIN { FS = "\t" }
$1 == "cmd" { cmds = cmds (cmds == "" ? "" : " ") $2 }
$1 == "sub" { subs[$2] = subs[$2] (subs[$2] == "" ? "" : " ") $3; if (!($2 in subseen)) { subseen[$2] = 1; subc[++nsubc] = $2 } }
$1 == "pos" { pos[++npos] = $2 "/" ($3 == "" ? "*" : $3) ") echo " $4 " ;;" }
$1 == "opt" {
  key = $2 "/" $3
  if (!(key in opts)) okeys[++nkeys] = key
  opts[key] = opts[key] (opts[key] == "" ? "" : " ") $4
  if ($6 != "") kinds[++nkind] = $2 "/" $4 ") echo '" $6 "' ;;"
}
END {
  print "# bash completion for fleetload. Generated from `fleetload help` by packaging/gen-docs.sh"
  print "# at build time: do not edit (the tables follow the help text; the logic is"
  print "# packaging/fleetload.bash.in)."
  print ""
  print "_fleetload_commands='" cmds "'"
  print ""
  print "# _fleetload_subcommands CMD: the words that may follow CMD."
  print "_fleetload_subcommands() {"
  print "  case $1 in"
  for (i = 1; i <= nsubc; i++) print "    " subc[i] ") echo '" subs[subc[i]] "' ;;"
  print "  esac"
  print "}"
  print ""
  print "# _fleetload_options CMD SUB: the options of CMD (and of its subcommand SUB)."
  print "_fleetload_options() {"
  print "  local o=''"
  print "  case $1/$2 in"
  for (i = 1; i <= nkeys; i++) {
    k = okeys[i]
    split(k, p, "/")
    if (p[2] == "*") continue
    print "    " k ") o='" opts[k] "' ;;"
  }
  print "  esac"
  print "  case $1 in"
  for (i = 1; i <= nkeys; i++) {
    k = okeys[i]
    split(k, p, "/")
    if (p[2] != "*") continue
    print "    " p[1] ") o=\"$o " opts[k] "\" ;;"
  }
  print "  esac"
  print "  echo \"$o --help\""
  print "}"
  print ""
  print "# _fleetload_option_value CMD OPTION: how OPTION's value completes (file, dir,"
  print "# choice:a|b, none); nothing for a flag without a value."
  print "_fleetload_option_value() {"
  print "  case $1/$2 in"
  for (i = 1; i <= nkind; i++) print "    " kinds[i]
  print "  esac"
  print "}"
  print ""
  print "# _fleetload_positional CMD SUB: what the command's arguments are (yaml, json, command,"
  print "# file)."
  print "_fleetload_positional() {"
  print "  case $1/$2 in"
  for (i = 1; i <= npos; i++) print "    " pos[i]
  print "  esac"
  print "}"
  print ""
}
