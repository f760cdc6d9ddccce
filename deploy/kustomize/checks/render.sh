#!/usr/bin/env bash
# Lint: renders one overlay with `kubectl kustomize` and checks the result.
#   render.sh OVERLAY [check_rendered.py options]
# OVERLAY is a folder under deploy/kustomize (default, ha, dev), or a component's name
# (servicemonitor, webhooks): the default overlay plus components/<name>, through a
# throw-away kustomization.
set -euo pipefail
# Debian's python3 has python3-yaml (make deps installs it); another python3 on PATH may not.
python=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kustomize_dir=$(dirname "$here")
root=$(cd "$kustomize_dir/../.." && pwd)
# The pinned kubectl when it is built, else whatever kubectl is on PATH.
PATH="$("$root/test/integration/testbed/build-tools.sh" --path):$PATH"
overlay=$1; shift

if [ -d "$kustomize_dir/components/$overlay" ]; then
  # kustomize refuses absolute paths and files outside a kustomization's root, but accepts
  # relative paths to other kustomization folders.
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  rel=$("$python" -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$kustomize_dir" "$work")
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [%s/default]\ncomponents: [%s/components/%s]\n' \
    "$rel" "$rel" "$overlay" > "$work/kustomization.yaml"
  dir=$work
else
  dir=$kustomize_dir/$overlay
fi

rendered=$(kubectl kustomize "$dir")
echo "kubectl $(kubectl version --client 2>/dev/null | head -1); rendered $overlay: $(grep -c '^kind:' <<<"$rendered") objects"
"$python" "$here/check_rendered.py" "$@" <<<"$rendered"
