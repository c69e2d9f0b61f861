# Prints fleetload's command names, one per line, from the global help (`fleetload help`):
# the entries of its "Commands:" list, then any other command its usage lines name
# ("fleetload help [COMMAND]" adds help). Used by gen-docs.sh.
/^[A-Za-z][A-Za-z ]*:$/ { section = $0; next }
/^$/ { section = ""; next }
section == "Commands:" && /^  [a-z]/ { add($1); next }
{
  # Usage lines: every "fleetload WORD" whose WORD is a lowercase command name.
  for (i = 1; i < NF; i++)
    if ($i == "fleetload" && $(i + 1) ~ /^[a-z][a-z0-9-]*$/) add($(i + 1))
}
function add(name) {
  if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
END { for (i = 1; i <= n; i++) print order[i] }
