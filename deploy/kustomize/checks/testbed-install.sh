#!/usr/bin/env bash
# Integration (label `node`): the operator installed the way users install it, on the test bed's
# real node. `make images` (scripts/build-images.sh: built from deploy/docker/Dockerfile, loaded
# into the node's containerd), then `kubectl apply -k deploy/kustomize/testbed`, then:
# - the four Deployments roll out, their pods Running and Ready on the real node (probes pass),
#   as their own ServiceAccounts, with a read-only root filesystem, as uid 65532;
# - the controller leads and both kinds of worker connect to it through the Service's DNS name;
# - the gateway answers /readyz and /metrics through `kubectl port-forward svc/werf-gateway`;
# - then a day of operations (testbed-operations.sh): poller scale-out and in, a controller
#   failover, grpcurl and the dashboard as a viewer, promtool on every pod's /metrics.
# Then `kubectl delete -k` removes it all again. Exits 77 (skipped) without a real node.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kustomize_dir=$(dirname "$here")
root=$(cd "$kustomize_dir/../.." && pwd)
source "$here/testbed-env.sh"
if [ -z "${WERF_TESTBED_REAL_NODE:-}" ]; then
  echo "SKIP: this test bed has no real node (WERF_TESTBED_REAL_NODE=1 testbed up)" >&2
  exit 77
fi
ns=werf-operator-system
fail() { echo "FAIL: $*" >&2; kubectl get pods -n "$ns" -o wide >&2 || true; exit 1; }

started=$SECONDS
"$root/scripts/build-images.sh" >&2
echo "images built and loaded in $((SECONDS - started)) s" >&2

operations_cleanup() { :; }  # replaced by testbed-operations.sh
cleanup() {
  operations_cleanup
  kubectl delete -k "$kustomize_dir/testbed" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
}
trap cleanup EXIT

started=$SECONDS
kubectl apply -k "$kustomize_dir/testbed" >/dev/null
# Restart what an earlier run left with older images of the same tag.
kubectl rollout restart -n "$ns" deploy >/dev/null
for service in controller poller converger gateway; do
  kubectl rollout status -n "$ns" "deploy/werf-$service" --timeout=180s >&2 ||
    fail "werf-$service did not roll out"
done
echo "rolled out in $((SECONDS - started)) s" >&2

pods=$(kubectl get pods -n "$ns" -o json)
check() { # check JQ_FILTER DESCRIPTION: every pod of the namespace must satisfy the filter
  [ "$(jq -r "[.items[] | select(.metadata.deletionTimestamp == null) | ($1)] | all" <<<"$pods")" = true ] || fail "$2"
}
check ".spec.nodeName == \"$WERF_TESTBED_REAL_NODE\"" "a pod is not on the real node"
check '.status.phase == "Running"' "a pod is not Running"
check '[.status.conditions[] | select(.type == "Ready") | .status == "True"] | all' "a pod is not Ready"
check '.spec.serviceAccountName == (.metadata.labels["app.kubernetes.io/name"])' "a pod does not run as its own ServiceAccount"
check '.spec.containers[0].securityContext.readOnlyRootFilesystem == true' "a root filesystem is writable"
check '.status.containerStatuses[0].imageID != ""' "a container has no image"

# Logs through the real kubelet tell who leads and who connected.
wait_log() { # wait_log DEPLOYMENT TEXT
  local i
  for i in $(seq 60); do
    kubectl logs -n "$ns" "deploy/$1" 2>/dev/null | grep -qF "$2" && return 0
    sleep 1
  done
  kubectl logs -n "$ns" "deploy/$1" --tail=20 >&2 || true
  fail "$1 never logged: $2"
}
wait_log werf-controller '"msg":"started leading"'
wait_log werf-poller '"msg":"connected to hub"'
wait_log werf-converger '"msg":"connected to hub"'
wait_log werf-poller "werf-controller.$ns.svc"

# The gateway through a port-forward to its Service.
pf_out=$(mktemp)
source "$root/scripts/lib/port_forward.sh"
started=0
port_forward "$ns" svc/werf-gateway 8080 "$pf_out" || started=$?
pf=$fwd_pid
port=$fwd_port
trap 'kill $pf 2>/dev/null || true; rm -f "$pf_out"; cleanup' EXIT
((started == 0)) || fail "kubectl port-forward did not start"
[ "$(curl -s --noproxy '*' --max-time 10 "http://127.0.0.1:$port/readyz")" = ok ] || fail "gateway /readyz through port-forward"
curl -s --noproxy '*' --max-time 10 "http://127.0.0.1:$port/metrics" | grep -q '^werf_operator_' ||
  fail "gateway /metrics through port-forward"
echo "the operator runs as real pods on $WERF_TESTBED_REAL_NODE" >&2

source "$here/testbed-operations.sh"
echo "PASS: the operator runs as real pods on $WERF_TESTBED_REAL_NODE and survives a day of operations" >&2
