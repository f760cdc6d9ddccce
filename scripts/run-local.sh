#!/usr/bin/env bash
# make run: the whole system on this machine, installed the way users install it.
#
# With the real node (root on a host that can run it; see test/integration/testbed/README.md,
# "The real node"): brings up a test bed of its own (control plane, kwok, registries, the real
# node), builds the images (`make images`: the four services, the test bed's werf stand-in and
# the hello app), installs the operator with `kubectl apply -k deploy/kustomize/testbed`,
# publishes the `hello` bundle (tags 1.0.0, 1.1.0, 1.2.0, 2.0.0-rc.1) to the test bed registry,
# applies two sample WerfBundles (`hello`, which really deploys 1.2.0 onto the node, and
# `hello-missing-sa`, which explains its missing ServiceAccount), port-forwards the gateway,
# prints where to look and streams bundle state from the gateway with grpcurl.
#
# Without it (WERF_RUN_REAL_NODE=0, or a host that cannot run one) the four services run as host
# processes against a kwok-only test bed, and the Jobs only exist as objects.
#
# Ctrl-C stops everything it started, the test bed included.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
[[ $build == /* ]] || build=$root/$build
tb_dir=$root/test/integration/testbed
testbed=$tb_dir/testbed
run_dir=${WERF_RUN_DIR:-${TMPDIR:-/tmp}/werf-operator-run}
# A test bed of its own, so `make test`'s stay as they are.
export WERF_TESTBED_DIR=${WERF_TESTBED_DIR:-${WERF_OPERATOR_CACHE:-$HOME/.cache/werf-operator}/run-testbed}
export WERF_TESTBED_REAL_NODE=${WERF_RUN_REAL_NODE:-auto}
mkdir -p "$run_dir"
pids=()

cleanup() { # cleanup [EXIT_CODE]: stops what this started, then exits (a signal's trap must not return)
  local status=${1:-$?}
  trap - INT TERM EXIT
  echo
  echo "run: stopping the services and the test bed..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$testbed" down >/dev/null 2>&1 || true
  echo "run: stopped; logs are in $run_dir"
  exit "$status"
}
trap 'cleanup 130' INT
trap 'cleanup 143' TERM
trap cleanup EXIT

echo "run: bringing up the test bed in $WERF_TESTBED_DIR (control plane, kwok, registries, the real node)..."
# The node's tools (kubelet, CoreDNS, containerd's config) and the werf stand-in's (nelm, oras);
# cached under ~/.cache, so this costs seconds after the first time.
if [ "$WERF_TESTBED_REAL_NODE" != 0 ] && [ "$(id -u)" = 0 ]; then "$tb_dir/build-tools.sh" node nelm oras >&2; fi
eval "$("$testbed" up)"

demo_namespace() { # demo_namespace: the namespace of the samples, placed on the real node if any
  kubectl create namespace demo --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  if [ -n "${WERF_TESTBED_REAL_NODE:-}" ]; then
    local label=$WERF_TESTBED_REAL_NODE_LABEL
    kubectl annotate --overwrite namespace demo >/dev/null \
      "scheduler.alpha.kubernetes.io/node-selector=$label=true" \
      "scheduler.alpha.kubernetes.io/defaultTolerations=[{\"key\":\"$label\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]"
  fi
  sed 's/namespace: my-app/namespace: demo/' "$root/deploy/target-namespace/werf-deploy-rbac.yaml" |
    kubectl apply -f - >/dev/null
}

# forward TARGET PORT: scripts/lib/port_forward.sh in werf-operator-system; sets fwd_port.
source "$root/scripts/lib/port_forward.sh"
forward() {
  local started=0
  port_forward werf-operator-system "$1" "$2" "$run_dir/port-forward-$2.log" || started=$?
  pids+=("$fwd_pid")
  ((started == 0)) || exit 1
}

install_on_the_real_node() {
  echo "run: building the images (make images; cached by content)..."
  BUILD_DIR=$build "$root/scripts/build-images.sh" >"$run_dir/images.log" 2>&1 ||
    { tail -20 "$run_dir/images.log" >&2; exit 1; }
  echo "run: kubectl apply -k deploy/kustomize/testbed ..."
  kubectl apply -k "$root/deploy/kustomize/testbed" >/dev/null
  kubectl rollout restart -n werf-operator-system deploy >/dev/null  # images of the same tag may be newer
  for service in controller poller converger gateway; do
    kubectl rollout status -n werf-operator-system "deploy/werf-$service" --timeout=180s >/dev/null
  done
  # Until the pods of the replaced ReplicaSets are gone, so the list shows the four services.
  for _ in $(seq 60); do
    [ "$(kubectl get pods -n werf-operator-system -o json |
         jq '[.items[] | select(.metadata.deletionTimestamp != null or .status.phase != "Running")] | length')" = 0 ] && break
    sleep 1
  done
  kubectl get pods -n werf-operator-system -o wide
  forward svc/werf-gateway 8080
  gateway_http=127.0.0.1:$fwd_port
  forward svc/werf-gateway 9090
  gateway_grpc=127.0.0.1:$fwd_port
  # The gateway checks every caller's RBAC (--auth=true in the manifests): a viewer of all
  # namespaces for this session.
  kubectl -n demo create serviceaccount run-viewer --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl create clusterrolebinding werf-run-viewer --clusterrole=werf-operator-werfbundle-viewer \
    --serviceaccount=demo:run-viewer --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  token=$(kubectl create token -n demo run-viewer --duration=24h)
  auth=(-H "authorization: Bearer $token")
  registry=$WERF_TESTBED_REGISTRY_ANON_EXTERNAL  # as pods on the node reach it
}

# start NAME BINARY ARGS...: a service as a host process, with ports chosen by the kernel; its
# addresses come from its "serving" log line.
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

run_as_host_processes() {
  echo "run: no real node here: the four services run as host processes (Jobs stay objects on kwok)"
  kubectl apply --server-side -f "$root/deploy/kustomize/base/crd-werfbundles.yaml" >/dev/null
  kubectl wait --for=condition=Established crd/werfbundles.werf.io --timeout=30s >/dev/null
  kubectl create namespace werf-operator-system --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  # The samples poll every minute: the CRD refuses shorter intervals (and the controller's
  # --min_poll_interval floor, 1m by default, matches it).
  start controller "$build/services/controller/werf-controller" --leader_election_namespace=werf-operator-system
  start poller "$build/services/poller/werf-poller" --controller_address="$controller_grpc"
  start converger "$build/services/converger/werf-converger" --controller_address="$controller_grpc"
  start gateway "$build/services/gateway/werf-gateway"
  token="" auth=()
  registry=$WERF_TESTBED_REGISTRY_ANON
}

demo_namespace
if [ -n "${WERF_TESTBED_REAL_NODE:-}" ]; then install_on_the_real_node; else run_as_host_processes; fi

echo "run: publishing the hello bundle (1.0.0 1.1.0 1.2.0 2.0.0-rc.1) to $registry/demo/hello ..."
external=()
[ "$registry" = "$WERF_TESTBED_REGISTRY_ANON" ] || external=(--external)
"$tb_dir/publish-bundle.sh" --registry anon "${external[@]}" hello demo/hello 1.0.0 1.1.0 1.2.0 2.0.0-rc.1 >/dev/null

kubectl apply -f - >/dev/null <<YAML
apiVersion: werf.io/v1alpha1
kind: WerfBundle
metadata: {name: hello, namespace: demo}
spec:
  registry:
    url: $registry/demo/hello
    versionConstraint: "^1.0"
    plainHTTP: true   # the test bed registry speaks HTTP: werf gets --insecure-registry
    pollInterval: 1m
  converge:
    serviceAccountName: werf-deploy
    resourceLimits: {cpu: 500m, memory: 512Mi}
---
apiVersion: werf.io/v1alpha1
kind: WerfBundle
metadata: {name: hello-missing-sa, namespace: demo}
spec:
  registry:
    url: $registry/demo/hello
    plainHTTP: true
  converge:
    serviceAccountName: not-created-yet
YAML

dashboard="http://$gateway_http/"
[ -z "$token" ] || dashboard="http://$gateway_http/#token=$token"
grpcurl_line="grpcurl -plaintext $gateway_grpc werf.operator.v1.BundleService/ListBundles"
if [ -n "$token" ]; then
  grpcurl_line="grpcurl -plaintext -H \"authorization: Bearer \$(kubectl create token -n demo run-viewer)\" $gateway_grpc werf.operator.v1.BundleService/ListBundles"
fi
cat <<INFO

run: sample WerfBundles applied in namespace "demo":
       hello             ^1.0 of demo/hello: expect Synced with 1.2.0${WERF_TESTBED_REAL_NODE:+ (kubectl -n demo get deploy,pods -o wide)}
       hello-missing-sa  expect Failed/Stalled: ServiceAccount "not-created-yet" not found
run: dashboard   $dashboard
run: try         export KUBECONFIG=$KUBECONFIG PATH=$WERF_TESTBED_PATH:\$PATH
                 kubectl get wb -A
                 kubectl get pods -n werf-operator-system -o wide
                 $grpcurl_line
                 kubectl -n demo create serviceaccount not-created-yet   # watch it recover
run: streaming bundle state (grpcurl WatchBundles); Ctrl-C stops everything.

INFO
grpcurl -plaintext "${auth[@]}" -d '{}' "$gateway_grpc" werf.operator.v1.BundleService/WatchBundles &
pids+=($!)
wait "${pids[-1]}" || true
# The stream ended on its own (e.g. the gateway was stopped): keep the rest up until Ctrl-C.
# Waiting with the `wait` builtin, not a foreground sleep, lets the trap run as soon as the
# signal arrives.
sleep infinity &
pids+=($!)
wait "${pids[-1]}" || true
