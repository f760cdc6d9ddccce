#!/usr/bin/env bash
# Integration: `kubectl apply --dry-run=server -k OVERLAY` against the test bed's API server,
# i.e. real schema validation, admission (Pod Security `restricted` on the namespace
# included) and apply's own limits (e.g. the last-applied annotation size of the CRD).
#   dry-run.sh OVERLAY        (default, ha, dev)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kustomize_dir=$(dirname "$here")
source "$here/testbed-env.sh"
overlay=$1

# A dry run of namespaced objects needs their namespace to exist: create it for real (the
# same object the overlays hold, so the dry run below sees it unchanged or nearly so).
kubectl apply -f "$kustomize_dir/base/namespace.yaml"

errors=$(mktemp); trap 'rm -f "$errors"' EXIT
status=0
kubectl apply --dry-run=server -k "$kustomize_dir/$overlay" 2>"$errors" || status=$?
cat "$errors" >&2
if [ "$status" -ne 0 ]; then
  echo "FAIL: server-side dry run of $overlay exited $status" >&2
  exit 1
fi
# Deployments pass admission even when their pods would not; Pod Security says so in a
# warning, as do deprecated APIs. kubectl's own note about objects that others created without
# the last-applied annotation (the test bed is shared) is not about these manifests.
# (kubectl may print several warnings on one line: split them first.)
if sed 's/Warning:/\nWarning:/g' "$errors" | grep -i '^warning' |
    grep -qv 'missing the kubectl.kubernetes.io/last-applied-configuration'; then
  echo "FAIL: the API server warned about $overlay (see above)" >&2
  exit 1
fi
echo "ok: $overlay passes a server-side dry run"
