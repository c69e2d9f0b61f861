#!/usr/bin/env python3
"""Median of each numeric field over several fleet_bench JSON outputs (one file each)."""
import json
import statistics
import sys


def flatten(prefix, value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{prefix}{k}.", v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(f"{prefix}{i}.", v, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out[prefix[:-1]] = value


runs = []
for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    runs.append(json.loads(text[text.index("{"):]))
flat = []
for r in runs:
    d = {}
    flatten("", r, d)
    flat.append(d)
keys = [k for k in flat[0] if all(k in d for d in flat)]
print(json.dumps({"runs": len(runs),
                  "median": {k: statistics.median(d[k] for d in flat) for k in keys},
                  "exit_reasons": [r.get("exit_reason") for r in runs]}, indent=1))
