# Sourced by testbed-install.sh once the operator runs as real pods on the real node: what a
# cluster operator does to it on a normal day, each checked against the real pods.
# - a bundle deploys through a Job whose pod runs on the real node (the werf stand-in);
# - `kubectl scale deploy/werf-poller --replicas=3`, then `1`: every repository is tracked by
#   exactly one poller (each pod's PollerService.ListAssignments, through port-forward);
# - `kubectl delete pod` of the leading controller: a standby takes the Lease, no second Job;
# - grpcurl through `kubectl port-forward svc/werf-gateway` lists and watches the bundles, as a
#   viewer's ServiceAccount token; the dashboard through the same port-forward renders in headless
#   Chromium with that token (DOM and screenshot);
# - `/metrics` of every pod, scraped through the API server's pod proxy, passes
#   `promtool check metrics`.
# Expects from testbed-install.sh: $ns, $root, fail, $port (the gateway's HTTP port-forward).

apps=install-check-$(date +%s)  # a rerun never meets a namespace still terminating
label=$WERF_TESTBED_REAL_NODE_LABEL
repositories=(hello idle-1 idle-2 idle-3 idle-4 idle-5)
work=$(mktemp -d)
pfs=()

operations_cleanup() {
  local pf
  for pf in "${pfs[@]}"; do kill "$pf" 2>/dev/null || true; done
  kubectl delete werfbundles -n "$apps" --all --timeout=60s >/dev/null 2>&1 || true
  kubectl delete namespace "$apps" --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}

# forward TARGET REMOTE_PORT: scripts/lib/port_forward.sh in $ns; sets fwd_port and fwd_pid.
forward() {
  local started=0
  port_forward "$ns" "$1" "$2" "$work/pf-$RANDOM" || started=$?
  pfs+=("$fwd_pid")
  ((started == 0)) || fail "kubectl port-forward $1 did not start"
}

grpc() { # grpc PORT METHOD [grpcurl options...]: grpcurl against the operator's own protos
  local port=$1 method=$2
  shift 2
  grpcurl -plaintext -import-path "$root/proto" -proto werf/operator/v1/bundle_service.proto \
    -proto werf/operator/v1/poller_service.proto "$@" "127.0.0.1:$port" "$method" 2>&1
}

bundle_field() { kubectl get werfbundle -n "$apps" "$1" -o "jsonpath=$2" 2>/dev/null || true; }

# --- the bundles: one that deploys, five that track a repository without an acceptable tag ---
kubectl create namespace "$apps" >/dev/null
kubectl annotate namespace "$apps" >/dev/null \
  "scheduler.alpha.kubernetes.io/node-selector=$label=true" \
  "scheduler.alpha.kubernetes.io/defaultTolerations=[{\"key\":\"$label\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]"
sed "s/namespace: my-app/namespace: $apps/" "$root/deploy/target-namespace/werf-deploy-rbac.yaml" | kubectl apply -f - >/dev/null
for repository in "${repositories[@]}"; do
  reference=$("$root/test/integration/testbed/publish-bundle.sh" --registry anon --external hello \
    "install-check/$repository" 1.0.0 | awk '{print $1}')
  constraint='*'
  [ "$repository" = hello ] || constraint='>=9.0.0'
  kubectl apply -f - >/dev/null <<EOF
apiVersion: werf.io/v1alpha1
kind: WerfBundle
metadata: {name: $repository, namespace: $apps}
spec:
  registry: {url: ${reference%:*}, plainHTTP: true, pollInterval: 1m, versionConstraint: '$constraint'}
  converge:
    serviceAccountName: werf-deploy
    timeout: 2m
    resourceLimits: {cpu: 500m, memory: 512Mi}
EOF
done
for _ in $(seq 120); do
  [ "$(bundle_field hello '{.status.phase}')" = Synced ] && break
  sleep 2
done
[ "$(bundle_field hello '{.status.phase}')" = Synced ] ||
  { kubectl get werfbundle -n "$apps" hello -o yaml >&2; fail "bundle hello did not sync"; }
job=$(bundle_field hello '{.status.history[0].jobName}')
[ "$(kubectl get pods -n "$apps" -l "job-name=$job" -o 'jsonpath={.items[0].spec.nodeName}')" = "$WERF_TESTBED_REAL_NODE" ] ||
  fail "the Job $job of bundle hello did not run on the real node"
echo "bundle hello Synced through Job $job on $WERF_TESTBED_REAL_NODE" >&2

# --- pollers: 3 replicas, then 1; each repository on exactly one ---
# assignments_ok N: with N Running pollers, every repository is listed by exactly one of them.
assignments_ok() {
  local pods pod listed
  pods=$(kubectl get pods -n "$ns" -l app.kubernetes.io/name=werf-poller \
    -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.metadata.deletionTimestamp}{"|"}{.metadata.name}{"\n"}{end}' |
    sed -n 's/^|//p')
  [ "$(wc -l <<<"$pods")" = "$1" ] || return 1
  : >"$work/assigned"
  for pod in $pods; do
    forward "pod/$pod" 9090
    grpc "$fwd_port" werf.operator.v1.PollerService/ListAssignments >"$work/$pod.json"
    kill "$fwd_pid" 2>/dev/null || true
    jq -r '.assignments[]?.repository' "$work/$pod.json" >>"$work/assigned"
  done
  listed=$(grep -c "/install-check/" "$work/assigned" || true)
  [ "$listed" = "${#repositories[@]}" ] &&
    [ "$(grep "/install-check/" "$work/assigned" | sort -u | wc -l)" = "${#repositories[@]}" ]
}
for replicas in 3 1; do
  kubectl scale -n "$ns" deploy/werf-poller --replicas="$replicas" >/dev/null
  kubectl rollout status -n "$ns" deploy/werf-poller --timeout=180s >&2 || fail "werf-poller did not scale to $replicas"
  ok=0
  for _ in $(seq 30); do
    if assignments_ok "$replicas"; then ok=1; break; fi
    sleep 2
  done
  [ "$ok" = 1 ] || { sort "$work/assigned" >&2; fail "with $replicas pollers a repository is on none or on two"; }
  echo "$replicas poller(s): each of the ${#repositories[@]} repositories on exactly one" >&2
done

# --- controller failover: delete the leader's pod, a standby takes over, no second Job ---
# A standby reports not ready (the Service sends workers to the leader only), so the rollout
# never completes: wait for two running controller pods instead.
kubectl scale -n "$ns" deploy/werf-controller --replicas=2 >/dev/null
running_controllers() {
  kubectl get pods -n "$ns" -l app.kubernetes.io/name=werf-controller -o json |
    jq '[.items[] | select(.metadata.deletionTimestamp == null and .status.phase == "Running"
                          and (.status.containerStatuses[0].started // false))] | length'
}
for _ in $(seq 90); do [ "$(running_controllers)" = 2 ] && break; sleep 1; done
[ "$(running_controllers)" = 2 ] || fail "werf-controller did not scale to 2 running pods"
holder() { kubectl get lease -n "$ns" werf-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true; }
controllers() {
  kubectl get pods -n "$ns" -l app.kubernetes.io/name=werf-controller \
    -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'
}
leader_pod=""
for _ in $(seq 60); do
  for pod in $(controllers); do [[ "$(holder)" == "$pod-"* ]] && leader_pod=$pod; done
  [ -n "$leader_pod" ] && break
  sleep 1
done
[ -n "$leader_pod" ] || fail "no controller pod holds the Lease (holder: $(holder))"
jobs_before=$(kubectl get jobs -n "$apps" -o name | wc -l)
sequence_before=$(bundle_field hello '{.status.jobSequence}')
kubectl delete pod -n "$ns" "$leader_pod" --wait=false >/dev/null
new_leader=""
for _ in $(seq 90); do
  h=$(holder)
  if [ -n "$h" ] && [[ "$h" != "$leader_pod-"* ]]; then new_leader=$h; break; fi
  sleep 1
done
[ -n "$new_leader" ] || fail "no standby took the Lease after $leader_pod was deleted"
# The new leader reconciles everything it finds; ask for hello at once too, then give it time.
kubectl annotate --overwrite -n "$apps" werfbundle hello "werf.io/reconcile-requested-at=$(date +%s%6N)" >/dev/null
sleep 20
[ "$(kubectl get jobs -n "$apps" -o name | wc -l)" = "$jobs_before" ] ||
  { kubectl get jobs -n "$apps" >&2; fail "a Job was created after the failover"; }
[ "$(bundle_field hello '{.status.jobSequence}')" = "$sequence_before" ] || fail "status.jobSequence moved after the failover"
[ "$(bundle_field hello '{.status.phase}')" = Synced ] || fail "bundle hello is not Synced after the failover"
echo "failover: $leader_pod deleted, $new_leader leads, still $jobs_before Job(s)" >&2

# --- the gateway as a viewer: grpcurl and the dashboard through port-forward ---
kubectl create serviceaccount -n "$apps" viewer >/dev/null
kubectl create rolebinding -n "$apps" viewer --clusterrole=werf-operator-werfbundle-viewer \
  --serviceaccount="$apps:viewer" >/dev/null
token=$(kubectl create token -n "$apps" viewer --duration=10m)
forward svc/werf-gateway 9090
grpc_port=$fwd_port
listed=$(grpc "$grpc_port" werf.operator.v1.BundleService/ListBundles -H "authorization: Bearer $token" \
  -d "{\"namespace\":\"$apps\"}" || true)
[ "$(jq -r '[.bundles[].name] | sort | join(" ")' <<<"$listed")" = "$(printf '%s\n' "${repositories[@]}" | sort | tr '\n' ' ' | sed 's/ $//')" ] ||
  { echo "$listed" >&2; fail "grpcurl ListBundles did not list the bundles of $apps"; }
watched=$(grpc "$grpc_port" werf.operator.v1.BundleService/WatchBundles -max-time 5 \
  -H "authorization: Bearer $token" -d "{\"namespace\":\"$apps\"}" || true)
grep -q '"name": "hello"' <<<"$watched" && grep -q WATCH_EVENT_TYPE_SYNCED <<<"$watched" ||
  { echo "$watched" >&2; fail "grpcurl WatchBundles did not stream the bundles of $apps"; }
denied=$(grpc "$grpc_port" werf.operator.v1.BundleService/ListBundles -d '{"namespace":"kube-system"}' || true)
grep -q Unauthenticated <<<"$denied" || { echo "$denied" >&2; fail "the gateway answered without a token"; }
echo "grpcurl through port-forward: listed and watched as $apps:viewer" >&2

chromium_run() { # chromium_run PROFILE ARGS...
  local profile=$work/$1
  shift
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$@" 2>"$work/chromium.err"
}
page="http://127.0.0.1:$port/?namespace=$apps#token=$token"
# Chromium's virtual-time budget sometimes ends before the SSE stream's first message comes through
# the port-forward (the page still says "connecting"); a fresh load then gets it, as in
# gateway_dashboard_test.
hello_synced="data-key=\"$apps/hello\" data-phase=\"synced\""
for _ in 1 2 3; do
  dom=$(chromium_run dom --virtual-time-budget=5000 --dump-dom "$page") || { cat "$work/chromium.err" >&2; fail "chromium --dump-dom failed"; }
  grep -qF "$hello_synced" <<<"$dom" && break
done
grep -qF "$hello_synced" <<<"$dom" ||
  { echo "$dom" | head -c 4000 >&2; fail "the dashboard did not show bundle hello as synced"; }
grep -qF "$token" <<<"$dom" && fail "the dashboard's page holds the token"
screenshot=${BUILD_DIR:-$work}/testbed-dashboard.png
rm -f "$screenshot"
# Real time rather than virtual time: the page's stream comes through port-forward at its own pace.
chromium_run screenshot --timeout=5000 --screenshot="$screenshot" --window-size=1600,700 "$page" ||
  { cat "$work/chromium.err" >&2; fail "chromium --screenshot failed"; }
[ "$(stat -c %s "$screenshot" 2>/dev/null || echo 0)" -gt 10000 ] || fail "the dashboard's screenshot is empty"
echo "dashboard through port-forward rendered in headless Chromium ($screenshot)" >&2

# --- every pod's /metrics through the API server's pod proxy, linted by promtool ---
# (The standby controller too; pods being deleted are left out.)
for pod in $(kubectl get pods -n "$ns" -o json |
  jq -r '.items[] | select(.metadata.deletionTimestamp == null and .status.phase == "Running") | .metadata.name'); do
  kubectl get --raw "/api/v1/namespaces/$ns/pods/$pod:8080/proxy/metrics" >"$work/metrics" ||
    fail "/metrics of $pod through the API server's pod proxy"
  grep -q '^werf_operator_' "$work/metrics" || fail "/metrics of $pod has no werf_operator_ series"
  promtool check metrics <"$work/metrics" >&2 || fail "promtool check metrics failed for $pod"
done
echo "every pod's /metrics passes promtool check metrics" >&2
kubectl scale -n "$ns" deploy/werf-controller --replicas=1 >/dev/null
