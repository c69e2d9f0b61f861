#!/usr/bin/env bash
# `kubectl kustomize k8s/` renders (with stand-in credential files, as a user's would be):
# the generated ConfigMaps and Secret get hashed names and every reference in the Job is
# rewritten to them, so nothing points at a name that does not exist. kubectl is optional
# (scripts/setup-deps.sh does not install it): exit 77 (skip) without it; the manifests'
# fields are checked regardless by deploy_manifest_test.
#   tests/deploy/kustomize_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR}
if ! command -v kubectl >/dev/null 2>&1; then
  echo "SKIP: kubectl is not installed; deploy_manifest_test still checks k8s/ field by field"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/k8s" "$work/k8s"
# Stand-ins for the files a user puts in k8s/credentials (never real secrets).
head -c 64 /dev/urandom >"$work/k8s/credentials/device.p12"
printf '%s\n' '-----BEGIN CERTIFICATE-----' >"$work/k8s/credentials/ca.crt"
printf 'FLEETLOAD_PKCS12_PASSWORD=stand-in\n' >"$work/k8s/credentials/secret.env"
kubectl kustomize "$work/k8s" >"$work/out.yaml"

failures=0
for base in fleetload-scenario fleetload-target fleetload-credentials; do
  names=$(grep -oE "\\b$base-[a-z0-9]{6,}\\b" "$work/out.yaml" | sort | uniq -c)
  distinct=$(echo "$names" | grep -c . || true)
  uses=$(echo "$names" | awk '{print $1}')
  if [ "$distinct" != 1 ] || [ "$uses" -lt 2 ]; then
    echo "FAIL: $base: expected one hashed name, defined and referenced; got: $names" >&2
    failures=$((failures + 1))
  fi
  if grep -qE "(name|secretName): $base\$" "$work/out.yaml"; then
    echo "FAIL: $base: a reference was not rewritten to the generated name" >&2
    failures=$((failures + 1))
  fi
done
# Every ConfigMap/Secret the Job names is an object of the rendering.
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$work/out.yaml" <<'PY' || failures=$((failures + 1))
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
defined = {(d["kind"], d["metadata"]["name"]) for d in docs}
job = next(d for d in docs if d["kind"] == "Job")
pod = job["spec"]["template"]["spec"]
refs = []
for v in pod.get("volumes", []):
    if "configMap" in v: refs.append(("ConfigMap", v["configMap"]["name"]))
    if "secret" in v: refs.append(("Secret", v["secret"]["secretName"]))
for c in pod["containers"]:
    for e in c.get("env", []):
        f = e.get("valueFrom", {})
        if "configMapKeyRef" in f: refs.append(("ConfigMap", f["configMapKeyRef"]["name"]))
        if "secretKeyRef" in f: refs.append(("Secret", f["secretKeyRef"]["name"]))
missing = [r for r in refs if r not in defined]
if missing or not refs:
    print("FAIL: the Job references undefined objects: %s" % missing, file=sys.stderr)
    sys.exit(1)
PY
else
  echo "note: python3 yaml module absent; reference check by name patterns only"
fi
grep -q 'completionMode: Indexed' "$work/out.yaml" || { echo "FAIL: no Indexed Job rendered" >&2; failures=$((failures + 1)); }
grep -q 'image: fleetload:0.1.0' "$work/out.yaml" || { echo "FAIL: image not set by kustomization images" >&2; failures=$((failures + 1)); }
# The password stays in the Secret only (base64 there), never in plain text elsewhere.
if grep -q stand-in "$work/out.yaml"; then echo "FAIL: the password appears in plain text" >&2; failures=$((failures + 1)); fi
[ "$failures" -eq 0 ] || exit 1
echo "kustomize_test: k8s/ renders and every generated name is referenced consistently"
