#!/usr/bin/env bash
# make run: the whole system on this machine. Brings up the test bed (control
# plane with kwok, registries), pushes a sample bundle repository with several
# semver tags, starts the four services, applies two sample WerfBundles (one
# healthy, one missing its ServiceAccount), prints the endpoints and streams
# bundle state from the gateway. Ctrl-C stops everything it started.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
testbed=$root/test/integration/testbed/testbed
run_dir=${WERF_RUN_DIR:-${TMPDIR:-/tmp}/werf-operator-run}
mkdir -p "$run_dir"
pids=()

cleanup() {
  trap - INT TERM EXIT
  echo
  echo "run: stopping the services and the test bed..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$testbed" down >/dev/null 2>&1 || true
  echo "run: stopped; logs are in $run_dir"
}
trap cleanup INT TERM EXIT

echo "run: bringing up the test bed (control plane, kwok, registries)..."
eval "$("$testbed" up)"

# start NAME BINARY ARGS...: runs a service with ports chosen by the kernel and
# prints its addresses from its "serving" log line.
start() {
  local name=$1 binary=$2; shift 2
  local log=$run_dir/$name.log
  : >"$log"
  "$binary" --kubeconfig="$KUBECONFIG" --grpc_address=127.0.0.1:0 --http_address=127.0.0.1:0 "$@" 2>>"$log" &
  pids+=($!)
  for _ in $(seq 200); do
    if line=$(grep -m1 '"msg":"serving"' "$log"); then
      grpc=$(sed -E 's/.*"grpc_address":"([^"]+)".*/\1/' <<<"$line")
      http=$(sed -E 's/.*"http_address":"([^"]+)".*/\1/' <<<"$line")
      printf 'run: %-10s gRPC %-21s HTTP http://%s  (log %s)\n' "$name" "$grpc" "$http" "$log"
      eval "${name}_grpc=$grpc ${name}_http=$http"
      return 0
    fi
    sleep 0.1
  done
  echo "run: $name did not start; its log:" >&2
  tail -20 "$log" >&2
  exit 1
}

kubectl apply --server-side -f "$root/deploy/kustomize/base/crd-werfbundles.yaml" >/dev/null
kubectl wait --for=condition=Established crd/werfbundles.werf.io --timeout=30s >/dev/null
for ns in werf-operator-system demo; do
  kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
done
kubectl -n demo create serviceaccount deployer --dry-run=client -o yaml | kubectl apply -f - >/dev/null

echo "run: pushing sample bundle tags to $WERF_TESTBED_REGISTRY_ANON/demo/hello ..."
empty_layer=$run_dir/empty.tar
tar cf "$empty_layer" -T /dev/null
for tag in 1.0.0 1.1.0 1.2.0 2.0.0-rc.1; do
  crane append --insecure -f "$empty_layer" -t "$WERF_TESTBED_REGISTRY_ANON/demo/hello:$tag" >/dev/null 2>&1
done

# The samples poll every minute: the CRD refuses shorter intervals (and the controller's
# --min_poll_interval floor, 1m by default, matches it).
start controller "$build/services/controller/werf-controller" --leader_election_namespace=werf-operator-system
start poller "$build/services/poller/werf-poller" --controller_address="$controller_grpc"
start converger "$build/services/converger/werf-converger" --controller_address="$controller_grpc"
start gateway "$build/services/gateway/werf-gateway"

kubectl apply -f - >/dev/null <<YAML
apiVersion: werf.io/v1alpha1
kind: WerfBundle
metadata: {name: hello, namespace: demo}
spec:
  registry:
    url: $WERF_TESTBED_REGISTRY_ANON/demo/hello
    versionConstraint: "^1.0"
    plainHTTP: true   # the test bed registry speaks HTTP: werf gets --insecure-registry
    pollInterval: 1m
  converge:
    serviceAccountName: deployer
---
apiVersion: werf.io/v1alpha1
kind: WerfBundle
metadata: {name: hello-missing-sa, namespace: demo}
spec:
  registry:
    url: $WERF_TESTBED_REGISTRY_ANON/demo/hello
    plainHTTP: true   # the test bed registry speaks HTTP: werf gets --insecure-registry
  converge:
    serviceAccountName: not-created-yet
YAML

cat <<INFO

run: sample WerfBundles applied in namespace "demo":
       hello             ^1.0 of demo/hello: expect Synced with 1.2.0
       hello-missing-sa  expect Failed/Stalled: ServiceAccount "not-created-yet" not found
run: dashboard   http://$gateway_http/
run: try         export KUBECONFIG=$KUBECONFIG; kubectl get wb -A
                 grpcurl -plaintext $gateway_grpc list
                 kubectl -n demo create serviceaccount not-created-yet   # watch it recover
run: streaming bundle state (grpcurl WatchBundles); Ctrl-C stops everything.

INFO
grpcurl -plaintext -d '{}' "$gateway_grpc" werf.operator.v1.BundleService/WatchBundles &
pids+=($!)
wait "${pids[-1]}" || true
# The stream ended on its own (e.g. the gateway was stopped): keep the rest up until Ctrl-C.
while true; do sleep 3600; done
