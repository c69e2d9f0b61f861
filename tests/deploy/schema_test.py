#!/usr/bin/python3
"""The JSON Schema of scenario files, checked with an independent validator (Debian's
python3-jsonschema, draft 2020-12) against the files people use:

  - the shipped schema/fleetload-scenario.schema.json is what `fleetload schema` prints now
    (the build writes BUILD/schema/...; `cmake --build BUILD --target update_schema` copies
    it into the source tree), and is itself a valid draft 2020-12 schema;
  - every scenario file of the repository (scenarios/, docker/scenarios/, k8s/, the good
    test scenarios) and every `fleetload init` output (all auth modes x protocols x shapes)
    is valid against it: a new key in an example that the parser's tables lack, or a new
    kind of value, fails here loudly;
  - each example carries the yaml-language-server line that points editors at the schema;
  - broken scenarios (unknown keys at every level, a wrong enum, a number out of range, a
    unit spelling the parser refuses, a list where a mapping belongs, a phase without type)
    are rejected by the schema AND by `fleetload validate` (exit 2): both read the same
    tables, so they must agree.

  tests/deploy/schema_test.py SOURCE_DIR FLEETLOAD_BINARY
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

try:
    import yaml
    from jsonschema import Draft202012Validator
except ImportError as e:  # the test profile of scripts/setup-deps.sh installs both
    print("schema_test: skipped: %s (apt-get install python3-jsonschema python3-yaml)" % e)
    sys.exit(77)

SRC, BIN = sys.argv[1], sys.argv[2]
SCHEMA_FILE = os.path.join(SRC, "schema", "fleetload-scenario.schema.json")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def fleetload(*args, **kw):
    env = {"PATH": "/usr/bin:/bin", "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
    env.update(kw.get("env", {}))
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, env=env, timeout=60)


# ---- the shipped schema is current and valid ----------------------------------------------
printed = fleetload("schema")
if printed.returncode != 0:
    fail("fleetload schema exited %d: %s" % (printed.returncode, printed.stderr))
with open(SCHEMA_FILE) as f:
    shipped = f.read()
if printed.stdout != shipped:
    fail("schema/fleetload-scenario.schema.json is not what `fleetload schema` prints now; refresh it with "
         "`cmake --build BUILD --target update_schema` (or fleetload schema -o schema/fleetload-scenario.schema.json)")
schema = json.loads(shipped)
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)


def problems(doc):
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message[:200])
            for e in validator.iter_errors(doc)]


# ---- every scenario of the repository and every init output is valid ---------------------
examples = sorted(glob.glob(os.path.join(SRC, "scenarios", "*.yaml")))
files = examples + sorted(glob.glob(os.path.join(SRC, "docker", "scenarios", "*.yaml"))) + \
    [os.path.join(SRC, "k8s", "scenario.yaml")] + \
    sorted(glob.glob(os.path.join(SRC, "tests", "data", "scenarios", "good", "*.yaml")))
if len(examples) < 5:
    fail("found only %d example scenarios in scenarios/" % len(examples))
for path in files:
    with open(path) as f:
        text = f.read()
    for p in problems(yaml.safe_load(text)):
        fail("%s is not valid against the schema: %s" % (os.path.relpath(path, SRC), p))
for path in examples:
    with open(path) as f:
        first = f.readline().strip()
    want = "# yaml-language-server: $schema=../schema/fleetload-scenario.schema.json"
    if first != want:
        fail("%s does not start with %r" % (os.path.relpath(path, SRC), want))

modes = ["plain_tcp", "mtls_from_path", "mtls_from_bytes", "mtls_with_pkcs11", "mtls_with_pkcs12",
         "websockets_with_default_aws_signing", "websockets_with_custom_handshake",
         "direct_with_custom_authorizer", "websockets_with_custom_authorizer", "new_default_builder"]
inits = 0
for mode in modes:
    for protocol in ("3.1.1", "5"):
        for shape in ("telemetry", "idle", "storm", "mixed"):
            r = fleetload("init", "--auth", mode, "--protocol", protocol, "--shape", shape)
            what = "init --auth %s --protocol %s --shape %s" % (mode, protocol, shape)
            if r.returncode != 0:
                fail("%s exited %d: %s" % (what, r.returncode, r.stderr))
                continue
            inits += 1
            for p in problems(yaml.safe_load(r.stdout)):
                fail("%s is not valid against the schema: %s" % (what, p))
if inits != 80:
    fail("only %d init outputs" % inits)

# ---- broken scenarios: the schema and the parser both refuse them ------------------------
with open(os.path.join(SRC, "scenarios", "quickstart.yaml")) as f:
    base = yaml.safe_load(f)
if problems(base):
    fail("the base of the broken cases is not valid itself")


def broken(name, change):
    doc = copy.deepcopy(base)
    change(doc)
    return name, doc


def setp(path, value):
    def change(doc):
        node = doc
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return change


cases = [
    broken("unknown top-level key", setp(["groups_typo"], [])),
    broken("unknown key in fleet", setp(["fleet", "devcies"], 10)),
    broken("unknown key in a phase", setp(["phases", 0, "connect_rates"], "10/s")),
    broken("unknown key in a filter", setp(["subscribe", "filters", 0, "qoss"], 1)),
    broken("unknown key in auth.tls", lambda d: d.update(auth={"mode": "new_default_builder", "tls": {"verfy_peer": False}})),
    broken("a protocol that does not exist", setp(["target", "protocol"], "mqtt4")),
    broken("QoS 3", setp(["publish", "qos"], 3)),
    broken("devices as words", setp(["fleet", "devices"], "many")),
    broken("a duration the parser cannot read", setp(["phases", 1, "duration"], "25 seconds")),
    broken("a rate per week", setp(["fleet", "connect_rate"], "10/w")),
    broken("a size in bits", setp(["publish", "payload"], "256b")),
    broken("fleet as a list", setp(["fleet"], [3000])),
    broken("a phase without type", setp(["phases", 1], {"duration": "25s"})),
    broken("a threshold in words", setp(["thresholds", "max_loss"], "none at all")),
    broken("an endpoint URL of another scheme", setp(["target", "endpoint"], "http://127.0.0.1:1883")),
]
with tempfile.TemporaryDirectory() as tmp:
    for name, doc in cases:
        if not problems(doc):
            fail("the schema accepts a broken scenario: " + name)
        path = os.path.join(tmp, "broken.yaml")
        with open(path, "w") as f:
            yaml.safe_dump(doc, f)
        r = fleetload("validate", path, "--no-file-checks")
        if r.returncode != 2:
            fail("fleetload validate exits %d (not 2) on a scenario the schema refuses: %s" % (r.returncode, name))

if failures:
    print("schema_test: %d failure(s)" % len(failures), file=sys.stderr)
    sys.exit(1)
print("schema_test: %d files, %d init outputs and %d broken cases checked" % (len(files), inits, len(cases)))
