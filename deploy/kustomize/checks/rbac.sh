#!/usr/bin/env bash
# Integration: applies base/'s RBAC (namespace, ServiceAccounts, Roles, bindings) to the test
# bed for real and proves, as each service's ServiceAccount, that it has what it needs and,
# where it matters, nothing more:
#   - the gateway cannot read Secrets; the poller cannot create Jobs;
#   - only the controller can write WerfBundle status;
#   - each ServiceAccount's complete rule set (SelfSubjectRulesReview, in the operator's
#     namespace and in another one) equals compare_rules.py's list: an extra right fails;
#   - deploy/target-namespace's example grants werf its namespace and nothing outside it.
set -uo pipefail
# Debian's python3 has python3-yaml (make deps installs it); another python3 on PATH may not.
python=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kustomize_dir=$(dirname "$here")
source "$here/testbed-env.sh"
ns=werf-operator-system
other=werf-rbac-check   # stands for any bundle's namespace

kubectl kustomize "$kustomize_dir/base" |
  "$python" "$here/check_rendered.py" --select Namespace,ServiceAccount,ClusterRole,ClusterRoleBinding,Role,RoleBinding |
  kubectl apply -f - >/dev/null || { echo "FAIL: cannot apply base RBAC"; exit 1; }
kubectl create namespace "$other" --dry-run=client -o yaml | kubectl apply -f - >/dev/null

failures=0
# expect yes|no SERVICE VERB RESOURCE NAMESPACE   (RESOURCE may carry /subresource)
# SERVICE is an operator service, or NAMESPACE:NAME of another ServiceAccount.
expect() {
  local want=$1 service=$2 verb=$3 resource=$4 namespace=$5 args=() got what="$3 $4 ($5)" user
  user=system:serviceaccount:$ns:werf-$service
  [[ $service == *:* ]] && user=system:serviceaccount:$service
  if [[ $resource == */* ]]; then args+=(--subresource="${resource#*/}"); resource=${resource%%/*}; fi
  if [ "$namespace" = cluster ]; then args+=(--all-namespaces); else args+=(-n "$namespace"); fi
  got=$(kubectl auth can-i "$verb" "$resource" "${args[@]}" --as="$user" 2>/dev/null)
  [ -n "$got" ] || got="error"
  if [ "$got" = "$want" ]; then
    echo "ok    ${user##*:} $what: $got"
  else
    echo "FAIL  ${user##*:} $what: $got, want $want"
    failures=$((failures + 1))
  fi
}

echo "== minimal where it matters"
for namespace in "$other" "$ns" cluster; do
  for verb in get list watch; do expect no gateway "$verb" secrets "$namespace"; done
  expect no poller create jobs.batch "$namespace"
  for service in poller converger gateway; do
    for verb in update patch; do expect no "$service" "$verb" werfbundles.werf.io/status "$namespace"; done
  done
  for verb in update patch; do expect yes controller "$verb" werfbundles.werf.io/status "$namespace"; done
done
expect no poller list secrets "$other"
expect no poller watch secrets "$other"
expect no poller get werfbundles.werf.io "$other"
expect no poller get configmaps "$other"
expect no controller create jobs.batch "$other"
expect no controller create secrets "$other"
expect no controller update secrets "$ns"
expect no controller update leases.coordination.k8s.io "$other"
expect no controller update leases.coordination.k8s.io kube-system
expect no converger update werfbundles.werf.io "$other"
expect no converger list secrets "$other"
expect no gateway update werfbundles.werf.io "$other"
expect no gateway create jobs.batch "$other"
for service in controller poller converger gateway; do
  expect no "$service" '*' '*' cluster
  expect no "$service" create pods "$other"
  expect no "$service" create rolebindings.rbac.authorization.k8s.io "$other"
  expect no "$service" impersonate serviceaccounts "$other"
done

echo "== sufficient"
for verb in get list watch update patch; do expect yes controller "$verb" werfbundles.werf.io cluster; done
expect yes controller get werfbundles.werf.io/status "$other"
expect yes controller update werfbundles.werf.io/finalizers "$other"
for verb in get list delete; do expect yes controller "$verb" jobs.batch cluster; done
# Watched to notice changes; the controller's cache keeps no Secret value, only a SHA-256 per key.
for resource in serviceaccounts namespaces configmaps secrets; do
  for verb in get list watch; do expect yes controller "$verb" "$resource" "$other"; done
done
expect yes controller create secrets "$ns"
for verb in create patch; do expect yes controller "$verb" events "$other"; done
for verb in get create update; do expect yes controller "$verb" leases.coordination.k8s.io "$ns"; done
expect yes poller get secrets "$other"
for verb in create get list watch delete; do expect yes converger "$verb" jobs.batch cluster; done
for verb in get list watch; do expect yes converger "$verb" pods "$other"; done
expect yes converger get pods/log "$other"
for verb in get create update patch delete; do expect yes converger "$verb" secrets "$other"; done
expect yes converger get configmaps "$other"
expect yes converger get werfbundles.werf.io "$other"
expect yes converger get namespaces cluster
for verb in create patch; do expect yes converger "$verb" events "$other"; done
for verb in get list watch; do expect yes gateway "$verb" werfbundles.werf.io cluster; done
expect yes gateway create tokenreviews.authentication.k8s.io cluster
expect yes gateway create subjectaccessreviews.authorization.k8s.io cluster

echo "== the target-namespace example (deploy/target-namespace) stays in its namespace"
# Applied into $other through a throw-away kustomization that sets the namespace.
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
rel=$("$python" -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$kustomize_dir/../target-namespace" "$work")
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s\nresources: [%s]\n' "$other" "$rel" \
  > "$work/kustomization.yaml"
kubectl apply -k "$work" >/dev/null || { echo "FAIL: cannot apply deploy/target-namespace"; failures=$((failures + 1)); }
deployer=$other:werf-deploy
for verb in create update patch delete; do expect yes "$deployer" "$verb" deployments.apps "$other"; done
for verb in get create update delete; do expect yes "$deployer" "$verb" secrets "$other"; done
expect yes "$deployer" create jobs.batch "$other"
expect yes "$deployer" watch pods "$other"
expect yes "$deployer" get pods/log "$other"
expect no "$deployer" get secrets "$ns"
expect no "$deployer" create deployments.apps default
expect no "$deployer" create namespaces cluster
expect no "$deployer" create clusterroles.rbac.authorization.k8s.io cluster
expect no "$deployer" create customresourcedefinitions.apiextensions.k8s.io cluster
expect no "$deployer" update werfbundles.werf.io "$other"

echo "== exact rule sets"
rules() {  # rules SERVICE NAMESPACE: the SelfSubjectRulesReview of the ServiceAccount, as JSON
  printf '{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"%s"}}' "$2" |
    kubectl create --validate=false -f - -o json --as="system:serviceaccount:$ns:werf-$1"
}
for service in controller poller converger gateway; do
  for namespace in "$ns" "$other"; do
    if ! rules "$service" "$namespace" |
        "$python" "$here/compare_rules.py" "$service" "$([ "$namespace" = "$ns" ] && echo operator || echo other)"; then
      failures=$((failures + 1))
    fi
  done
done

echo "$failures failures"
[ "$failures" -eq 0 ]
