#!/usr/bin/python3
"""The user docs say what the binary does, and stand on their own:

  (a) every option `fleetload help <command>` prints is in docs/cli.md, in that command's
      section (the one-liner's scenario options of `validate` may be in `run`'s);
  (b) every metric family a real run exports is in docs/metrics.md: the names are taken from
      a scrape of `/metrics` while `fleetload run` drives a tiny fleet against a mosquitto
      this test starts on a free loopback port (and once the run has finished, when the
      end-of-run families appear), never from fleetload's sources;
  (c) no tracked file of the repository points at the project's shared notes (the
      `shared` + `/docs` folder beside the checkout, which users do not have);
  (d) every top-level and section key of `fleetload schema` is in docs/scenario.md.

  tests/deploy/docs_test.py SOURCE_DIR FLEETLOAD_BINARY
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC, BIN = sys.argv[1], sys.argv[2]
MOSQUITTO = "/usr/sbin/mosquitto"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def read(rel):
    with open(os.path.join(SRC, rel)) as f:
        return f.read()


ENV = {"PATH": "/usr/bin:/bin", "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
       "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", "")}


def fleetload(*args):
    r = subprocess.run([BIN] + list(args), capture_output=True, text=True, env=ENV, timeout=60)
    if r.returncode != 0:
        fail("fleetload %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr[-500:]))
    return r.stdout


def mentions(text, token):
    """token as a whole word of text: `--client-id` must not be found inside `--client-ids`."""
    return re.search(r"(?<![\w-])" + re.escape(token) + r"(?![\w-])", text) is not None


# ---- (a) every option of every command's help is in docs/cli.md ----------------------------
cli = read("docs/cli.md")


def section(title):
    """The text of docs/cli.md under `## <title>` up to the next level-2 heading."""
    m = re.search(r"^## " + re.escape(title) + r"\s*$(.*?)(?=^## |\Z)", cli, re.M | re.S)
    if not m:
        fail("docs/cli.md has no section '## %s'" % title)
        return ""
    return m.group(1)


# command -> the sections of docs/cli.md that document its options
commands = {
    "run": ["`fleetload run`"],
    "validate": ["`fleetload validate`", "`fleetload run`"],
    "init": ["`fleetload init`"],
    "schema": ["`fleetload schema`"],
    "certs": ["`fleetload certs`"],
    "report": ["`fleetload report merge`", "`fleetload report diff`"],
    "responder": ["`fleetload responder`"],
    "version": ["`fleetload version`"],
}
OPTION = re.compile(r"(?<![\w$./-])(--[a-z][a-z0-9-]*|-[a-z])(?![\w-])")
total_flags = 0
for cmd, titles in commands.items():
    text = fleetload("help", cmd)
    if not text.startswith("Usage: fleetload "):
        fail("fleetload help %s printed no usage: %r" % (cmd, text[:80]))
    docs = "".join(section(t) for t in titles)
    flags = sorted(set(OPTION.findall(text)) - {"--help"})
    total_flags += len(flags)
    for flag in flags:
        if not mentions(docs, flag):
            fail("`fleetload help %s` prints %s, which docs/cli.md (%s) does not document"
                 % (cmd, flag, " or ".join(titles)))
if total_flags < 60:
    fail("found only %d options in the help texts: is the option pattern still right?" % total_flags)


# ---- (b) every metric family of a real scrape is in docs/metrics.md ----------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def families(exposition):
    """Family names from the `# TYPE name kind` lines of a Prometheus text exposition."""
    return {line.split()[2] for line in exposition.splitlines() if line.startswith("# TYPE ")}


metrics_doc = read("docs/metrics.md")
if not os.path.exists(MOSQUITTO):
    fail("%s is missing (apt-get install mosquitto): cannot check the scrape" % MOSQUITTO)
else:
    work = tempfile.mkdtemp(prefix="fleetload-docs-test-")
    broker = run = None
    try:
        broker_port, metrics_port = free_port(), free_port()
        conf = os.path.join(work, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % broker_port)
        broker = subprocess.Popen([MOSQUITTO, "-c", conf], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not accepts(broker_port) and time.monotonic() < deadline and broker.poll() is None:
            time.sleep(0.05)
        if not accepts(broker_port):
            raise RuntimeError("mosquitto did not accept on 127.0.0.1:%d within 10 s" % broker_port)
        # A tiny fleet that exercises what has families of its own: QoS 1 publishes with a
        # subscriber (acks, e2e latency), a threshold (the threshold gauges), a phase.
        run = subprocess.Popen(
            [BIN, "run", "--broker", "mqtt://127.0.0.1:%d" % broker_port, "--devices", "4",
             "--connect-rate", "100/s", "--publish", "5/s", "--qos", "1", "--subscribers", "1",
             "--protocol", "5", "--duration", "3s", "--set", "thresholds.p99_ack_latency=5s",
             "--metrics-listen", "127.0.0.1:%d" % metrics_port, "--metrics-linger", "5s",
             "--no-progress", "--report", os.path.join(work, "report.json")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
        seen, finished, scrapes = set(), False, 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not finished:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port, timeout=2) as r:
                    body = r.read().decode()
                scrapes += 1
                seen |= families(body)
                finished = re.search(r"^fleetload_run_finished\{[^}]*\} 1$", body, re.M) is not None
            except OSError:
                if run.poll() is not None:
                    break
            time.sleep(0.25)
        stderr = run.communicate(timeout=30)[1]
        if run.returncode != 0:
            fail("the tiny run exited %d: %s" % (run.returncode, stderr[-800:]))
        if not finished:
            fail("never scraped the finished run's values (%d scrapes)" % scrapes)
        if len(seen) < 30:
            fail("the scrape had only %d families: %s" % (len(seen), sorted(seen)))
        for name in sorted(seen):
            if not mentions(metrics_doc, name):
                fail("the scrape has the family %s, which docs/metrics.md does not list" % name)
    except Exception as e:  # noqa: BLE001 - reported as a failure of this check
        fail("scrape check: %s" % e)
    finally:
        for p in (run, broker):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)

# ---- (c) no tracked file points at the shared notes ---------------------------------------
# Spelt in two pieces so this file does not find itself.
NOTES = (b"shared" + b"/docs", b"../" + b"shared")
tracked = subprocess.run(["git", "-C", SRC, "ls-files", "-z"], capture_output=True)
names = [n for n in tracked.stdout.decode().split("\0") if n]
if tracked.returncode != 0:
    # A source tree without git (an unpacked release) has no list of tracked files.
    print("docs_test: %s is not a git work tree: the shared-notes check is skipped" % SRC)
elif len(names) < 100:
    fail("git ls-files listed only %d files" % len(names))
for name in names:
    path = os.path.join(SRC, name)
    if not os.path.isfile(path) or os.path.islink(path):
        continue
    with open(path, "rb") as f:
        data = f.read()
    for n, line in enumerate(data.split(b"\n"), 1):
        if any(n in line for n in NOTES):
            fail("%s:%d points at shared notes users do not have: %s"
                 % (name, n, line.decode(errors="replace").strip()[:120]))

# ---- (d) every top-level and section key of the schema is in docs/scenario.md -------------
scenario_doc = read("docs/scenario.md")
schema = json.loads(fleetload("schema") or "{}")
defs = schema.get("$defs", {})


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        node = defs.get(node["$ref"].split("/")[-1], {})
    return node


def object_forms(node):
    """The object schemas a value may take (a section may also be written as a list, ...)."""
    node = resolve(node)
    forms = [node] if "properties" in node else []
    for alt in node.get("oneOf", []) + node.get("anyOf", []):
        forms += object_forms(alt)
    return forms


keys = 0
for top, sub in schema.get("properties", {}).items():
    keys += 1
    if not mentions(scenario_doc, top):
        fail("the schema's top-level key %s is not in docs/scenario.md" % top)
    for form in object_forms(sub):
        for key in form["properties"]:
            keys += 1
            if not mentions(scenario_doc, key):
                fail("the schema's key %s.%s is not in docs/scenario.md" % (top, key))
if keys < 50:
    fail("the schema gave only %d top-level and section keys" % keys)

if failures:
    print("docs_test: %d problem(s)" % len(failures), file=sys.stderr)
    sys.exit(1)
print("docs_test: %d options, the scrape's families, %d tracked files and %d schema keys are documented"
      % (total_flags, len(names), keys))
