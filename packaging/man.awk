# Writes fleetload(1) in man(7) roff from the help stream gen-docs.sh assembles ("@@ global"
# + `fleetload help`, then "@@ command NAME" + `fleetload help NAME` per command):
#   NAME, SYNOPSIS (the global usage), DESCRIPTION (the global help's summary and command
#   list), COMMANDS (each command's help: usage, text, option entries as tagged
#   paragraphs), EXIT STATUS (the global "Exit codes:"), FILES, SEE ALSO.
# The help text is laid out for a terminal: "Label:" lines open a block, lines indented by
# two spaces start an entry ("  --set PATH=VALUE  override ..."), deeper lines continue it,
# other lines are running text. Variables: version, date, datadir.

function repl(s, from, to,   out, i) {
  out = ""
  while ((i = index(s, from)) > 0) {
    out = out substr(s, 1, i - 1) to
    s = substr(s, i + length(from))
  }
  return out s
}
# Roff-safe text: backslashes and hyphens escaped (\- keeps options copyable), and a line
# never starts with a control character.
function esc(s) {
  s = repl(s, "\\", "\\e")
  s = repl(s, "-", "\\-")
  if (s ~ /^[.']/) s = "\\&" s
  return s
}
function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }
# "--set PATH=VALUE": option names (and the first word) bold, placeholders italic.
function tagfmt(t,   n, w, i, out) {
  n = split(t, w, " ")
  out = ""
  for (i = 1; i <= n; i++) {
    if (i == 1 || w[i] ~ /^-/ || w[i] == "|") out = out (i > 1 ? " " : "") "\\fB" esc(w[i]) "\\fR"
    else out = out " \\fI" esc(w[i]) "\\fR"
  }
  return out
}
# Splits an entry line into tag and desc (the same rule as help-model.awk).
function entry(l,   rest, i, n, toks, j) {
  rest = substr(l, 3)
  i = index(rest, "  ")
  if (i > 0) {
    tag = substr(rest, 1, i - 1)
    desc = trim(substr(rest, i))
    return
  }
  n = split(rest, toks, " ")
  tag = toks[1]
  for (j = 2; j <= n && toks[j] ~ /^[A-Z0-9][A-Z0-9_.:=\/|-]*$/; j++) tag = tag " " toks[j]
  desc = ""
  for (; j <= n; j++) desc = desc (desc == "" ? "" : " ") toks[j]
}

# Appends one help line to the buffer of the part being written (state per part: the
# block label, whether an entry or running text is open).
function render(line,   out) {
  out = ""
  if (line == "") {
    label = ""; mode = ""
  } else if (line ~ /^Usage: /) {
    out = ".PP\n.nf\n" esc(line) "\n.fi\n"; mode = ""
  } else if (line ~ /^[A-Za-z][A-Za-z ]*:$/) {
    label = line
    out = ".PP\n.B " esc(line) "\n"; mode = "label"
  } else if (label == "Usage:" && line ~ /^  /) {
    out = ".nf\n" esc(substr(line, 3)) "\n.fi\n"
  } else if (line ~ /^  [^ ]/) {
    entry(line)
    out = ".TP\n" tagfmt(tag) "\n" (desc != "" ? esc(desc) "\n" : ""); mode = "entry"
  } else if (line ~ /^   / && mode == "entry") {
    out = esc(trim(line)) "\n"
  } else if (line ~ /^ /) {
    out = ".nf\n" esc(line) "\n.fi\n"
  } else {
    if (mode != "text") out = ".PP\n"
    out = out esc(line) "\n"; mode = "text"
  }
  return out
}

BEGIN { part = "" }

/^@@ global$/ { part = "global"; label = ""; mode = ""; next }
/^@@ command / {
  part = "command"; label = ""; mode = ""
  ncmd++
  cname[ncmd] = $3
  next
}

part == "global" {
  if (title == "" && $0 ~ /^fleetload: /) { title = substr($0, 12); sub(/\.$/, "", title); next }
  if ($0 ~ /^[A-Za-z][A-Za-z ]*:$/) gsection = $0
  else if ($0 == "") { if (gsection != "Exit codes:") gsection = "" }
  if (gsection == "Usage:") {
    if ($0 ~ /^  /) synopsis = synopsis esc(substr($0, 3)) "\n"
  } else if (gsection == "Commands:") {
    if ($0 ~ /^  [^ ]/) {
      entry($0)
      commands = commands ".TP\n\\fB" esc(tag) "\\fR\n" esc(desc) "\n"
    } else if ($0 ~ /^   /) commands = commands esc(trim($0)) "\n"
  } else if (gsection == "Exit codes:") {
    if ($0 != "Exit codes:") exits = exits render($0)
  } else if ($0 != "") {
    other = other render($0)
  }
  next
}

part == "command" { body[ncmd] = body[ncmd] render($0); next }

END {
  print ".\\\" fleetload(1). Generated from `fleetload help` by packaging/gen-docs.sh: do not edit."
  print ".TH FLEETLOAD 1 \"" date "\" \"fleetload " version "\" \"User Commands\""
  print ".nh"
  print ".ad l"
  print ".SH NAME"
  print "fleetload \\- " esc(title)
  print ".SH SYNOPSIS"
  print ".nf"
  printf "%s", synopsis
  print ".fi"
  print ".SH DESCRIPTION"
  print "\\fBfleetload\\fR: " esc(title) "."
  printf "%s", other
  print ".PP"
  print "Commands (each is described under \\fBCOMMANDS\\fR; \\fBfleetload help\\fR \\fICOMMAND\\fR prints the same text):"
  printf "%s", commands
  print ".SH COMMANDS"
  for (i = 1; i <= ncmd; i++) {
    print ".SS \"fleetload " cname[i] "\""
    printf "%s", body[i]
  }
  print ".SH EXIT STATUS"
  printf "%s", exits
  print ".SH FILES"
  print "The paths of the prefix fleetload was configured with; an install with another"
  print "\\fB\\-\\-prefix\\fR puts them under that prefix's \\fIshare\\fR directory."
  print ".TP"
  print ".I " esc(datadir) "/fleetload/scenarios"
  print "Example scenarios, ready to run or to copy (\\fBfleetload validate\\fR prints one resolved)."
  print ".TP"
  print ".I " esc(datadir) "/fleetload/dashboards"
  print "Grafana dashboards and provisioning files for the Prometheus metrics of \\fBfleetload run\\fR."
  print ".TP"
  print ".I " esc(datadir) "/doc/fleetload"
  print "README.md and the reference pages: scenario format, command line, authentication modes, metrics, report, deployment."
  print ".SH SEE ALSO"
  print ".BR mosquitto (8),"
  print ".BR prometheus (1)"
}
