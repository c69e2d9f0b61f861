# Reads the help stream gen-docs.sh assembles ("@@ global" + `fleetload help`, then
# "@@ command NAME" + `fleetload help NAME` per command) and prints what the completions
# need, one tab-separated record per line:
#   cmd  NAME  DESCRIPTION          a command (global "Commands:" list, or a usage line)
#   sub  CMD  SUB                   a subcommand ("fleetload report merge ...")
#   pos  CMD  SUB  KIND             a positional argument: yaml, json, command or file
#   opt  CMD  SUB  NAME  ARG  KIND  DESCRIPTION
#                                   an option; ARG its placeholder ("" for a flag); KIND how
#                                   its value completes: none, file, dir or choice:a|b
# SUB is "*" for options listed under a command's "Options:" or "Scenario options:" (run's
# one-liner flags; they apply to every subcommand). Options come from the usage lines ("[--shard K/N]") and from the "Options:"
# entries ("  --shard K/N   run only ..."); an entry's tag ends at two spaces, or, when the
# description follows after one space, at the first word that is not an upper-case
# placeholder ("--pushgateway URL push metrics ...").

BEGIN { OFS = "\t" }

/^@@ global$/ { where = "global"; section = ""; usage = ""; next }
/^@@ command / { flush_usage(); where = $3; section = ""; usage = ""; next }

{
  line = $0
  gsub(/\t/, " ", line)
}

# "Usage: fleetload run SCENARIO [options]" on one line, or a "Usage:" block below.
line ~ /^Usage: / { flush_usage(); usage = substr(line, 8); section = "Usage:"; next }
line ~ /^[A-Za-z][A-Za-z ]*:$/ { flush_usage(); section = line; last = ""; next }
line == "" { flush_usage(); section = ""; last = ""; next }

section == "Usage:" {
  if (line ~ /^  fleetload /) { flush_usage(); usage = substr(line, 3) }
  else if (line ~ /^   / && usage != "") usage = usage " " line
  next
}

where == "global" && section == "Commands:" && line ~ /^  [a-z]/ {
  entry(line)
  command(tag, desc)
  next
}

where != "global" && (section == "Options:" || section == "Scenario options:") && line ~ /^  -/ {
  entry(line)
  name = tag; arg = ""
  if ((sp = index(tag, " ")) > 0) { name = substr(tag, 1, sp - 1); arg = substr(tag, sp + 1) }
  n = split(name, names, ",")
  for (i = 1; i <= n; i++) {
    nm = names[i]; gsub(/ /, "", nm)
    option(where, "*", nm, arg, desc)
  }
  last = where SUBSEP "*" SUBSEP nm
  next
}

# An entry's continuation lines belong to its description.
where != "global" && (section == "Options:" || section == "Scenario options:") && line ~ /^   / && last != "" {
  d = line
  sub(/^ +/, "", d)
  odesc[last] = odesc[last] " " d
  next
}

END { flush_usage(); print_all() }

# Splits an entry line ("  TAG  description") into the globals tag and desc.
function entry(l,   rest, i, n, toks, j) {
  rest = substr(l, 3)
  i = index(rest, "  ")
  if (i > 0) {
    tag = substr(rest, 1, i - 1)
    desc = substr(rest, i)
    sub(/^ +/, "", desc)
    return
  }
  n = split(rest, toks, " ")
  tag = toks[1]
  for (j = 2; j <= n && toks[j] ~ /^[A-Z0-9][A-Z0-9_.:=\/|-]*$/; j++) tag = tag " " toks[j]
  desc = ""
  for (; j <= n; j++) desc = desc (desc == "" ? "" : " ") toks[j]
}

function command(name, d) {
  if (!(name in cdesc)) { corder[++ncmd] = name; cdesc[name] = "" }
  if (d != "" && cdesc[name] == "") cdesc[name] = d
}

function subcommand(c, s) {
  if ((c SUBSEP s) in subs) return
  subs[c, s] = 1
  print "sub", c, s
}

# Records an option; printed at the end, so that an "Options:" entry (with its
# description) and a usage line naming the same option make one record.
function option(c, s, name, arg, d,   key, k) {
  key = c SUBSEP s SUBSEP name
  if (!(key in oname)) { order[++nopt] = key; oname[key] = name; ocmd[key] = c; osub[key] = s }
  if (d != "" && odesc[key] == "") { odesc[key] = d; oarg[key] = arg }
  else if (oarg[key] == "") oarg[key] = arg
  k = arg_kind(arg)
  if (k ~ /^choice:/) okind[key] = k
}

# A usage line's option of one subcommand that the command's "Options:" also lists is
# printed once, as the command's; an option without a description of its own (a usage
# line only) borrows the one another command gives it.
function print_all(   i, j, key, kind, d) {
  for (i = 1; i <= ncmd; i++) print "cmd", corder[i], cdesc[corder[i]]
  for (i = 1; i <= nopt; i++) {
    key = order[i]
    if (osub[key] != "*" && (ocmd[key] SUBSEP "*" SUBSEP oname[key]) in oname) continue
    kind = okind[key] != "" ? okind[key] : arg_kind(oarg[key])
    d = odesc[key]
    for (j = 1; d == "" && j <= nopt; j++) if (oname[order[j]] == oname[key]) d = odesc[order[j]]
    print "opt", ocmd[key], osub[key], oname[key], oarg[key], kind, d
  }
}

function arg_kind(a) {
  if (a == "") return ""
  if (index(a, "=") > 0) return "none"
  if (a ~ /^[a-z0-9][a-z0-9-]*(\|[a-z0-9][a-z0-9-]*)+$/) return "choice:" a
  if (a == "DIR") return "dir"
  if (a ~ /FILE|PATH|DIR|\.json|\.ya?ml/) return "file"
  return "none"
}

function positional(c, s, tok,   kind, key) {
  if (tok == "SCENARIO" || tok ~ /\.ya?ml$/) kind = "yaml"
  else if (tok ~ /\.json$/) kind = "json"
  else if (tok == "COMMAND") kind = "command"
  else kind = "file"
  key = c SUBSEP s
  if (key in positionals) return
  positionals[key] = 1
  print "pos", c, s, kind
}

# A usage text names one or more invocations ("fleetload help [COMMAND] | fleetload
# COMMAND --help"); each is parsed on its own.
function flush_usage(   parts, n, i) {
  if (usage == "") return
  n = split(usage, parts, / \| fleetload /)
  for (i = 1; i <= n; i++) parse_usage((i > 1 ? "fleetload " : "") parts[i])
  usage = ""
}

function parse_usage(u,   t, n, i, c, s, tok, group, opened, closed, name, arg, eq) {
  n = split(u, t, " ")
  for (i = 1; i <= n && t[i] != "fleetload"; i++) ;
  if (i >= n || t[i + 1] !~ /^[a-z][a-z0-9-]*$/) return
  c = t[i + 1]
  command(c, "")
  i += 2
  s = ""
  if (i <= n && t[i] ~ /^[a-z][a-z0-9-]*$/) {
    s = t[i]
    subcommand(c, s)
    i++
  }
  group = 0
  for (; i <= n; i++) {
    tok = t[i]
    opened = (tok ~ /^\[/)
    sub(/^\[/, "", tok)
    closed = (tok ~ /\](\.\.\.)?$/)
    sub(/\](\.\.\.)?$/, "", tok)
    if (opened) group = 1
    if (tok == "|" || tok == "..." || tok == "options" || tok == "") { if (closed) group = 0; continue }
    if (tok ~ /^--?[a-zA-Z]/) {
      name = tok; arg = ""
      if ((eq = index(tok, "=")) > 0) { name = substr(tok, 1, eq - 1); arg = substr(tok, eq + 1) }
      else if (!closed && i < n && t[i + 1] !~ /^[-|[]/ && t[i + 1] != "|" &&
               (group || t[i + 1] ~ /^[A-Z]/)) {
        i++
        arg = t[i]
        closed = (arg ~ /\](\.\.\.)?$/)
        sub(/\](\.\.\.)?$/, "", arg)
      }
      option(c, s == "" ? "*" : s, name, arg, "")
    } else if (!group || c == "help") {
      positional(c, s, tok)
    }
    if (closed) group = 0
  }
}
