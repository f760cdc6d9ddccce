#!/usr/bin/env bash
# Integration: the WerfBundle CRD's bounds, which a tenant with `edit` in a namespace
# cannot exceed, as the test bed's API server enforces them (OpenAPI schema and CEL).
# Applies base/crd-werfbundles.yaml for real, then server-side dry runs of bundles:
# each violation must be refused with its message, and values at the bounds accepted.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kustomize_dir=$(dirname "$here")
source "$here/testbed-env.sh"
ns=werf-crd-check

kubectl apply --server-side --force-conflicts --field-manager=werf-crd-check \
  -f "$kustomize_dir/base/crd-werfbundles.yaml" >/dev/null || { echo "FAIL: cannot apply the CRD"; exit 1; }
kubectl wait --for=condition=Established --timeout=60s crd/werfbundles.werf.io >/dev/null || exit 1
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null

# A bundle with extra YAML lines under spec.registry ($1) and spec.converge ($2).
bundle() {
  printf 'apiVersion: werf.io/v1alpha1\nkind: WerfBundle\nmetadata: {name: bounds, namespace: %s}\n' "$ns"
  printf 'spec:\n  registry:\n    url: registry.example.com/team/app\n%s\n' "$1"
  printf '  converge:\n    serviceAccountName: deployer\n%s\n' "$2"
}
# N map entries ($2 = prefix of the keys, $3 = value), indented under a $1 map.
entries() {
  printf '    %s:\n' "$1"
  for ((i = 0; i < $4; i++)); do printf '      %s%d: "%s"\n' "$2" "$i" "$3"; done
}
values_from() {
  printf '    valuesFrom:\n'
  for ((i = 0; i < $1; i++)); do printf '      - configMapRef: {name: values-%d}\n' "$i"; done
}
long() { head -c "$1" /dev/zero | tr '\0' a; }

failures=0
# reject WHAT EXPECTED-MESSAGE REGISTRY-LINES CONVERGE-LINES
reject() {
  local out
  if out=$(bundle "$3" "$4" | kubectl apply --dry-run=server -f - 2>&1); then
    echo "FAIL  $1: accepted, want refused with: $2"
    failures=$((failures + 1))
  elif grep -qF -- "$2" <<<"$out"; then
    echo "ok    $1: refused: $(grep -oF -- "$2" <<<"$out" | head -1)"
  else
    echo "FAIL  $1: refused, but without \"$2\": $out"
    failures=$((failures + 1))
  fi
}
# accept WHAT REGISTRY-LINES CONVERGE-LINES
accept() {
  local out
  if out=$(bundle "$2" "$3" | kubectl apply --dry-run=server -f - 2>&1); then
    echo "ok    $1: accepted"
  else
    echo "FAIL  $1: refused: $out"
    failures=$((failures + 1))
  fi
}

echo "== intervals: at least 1m, Go duration syntax"
min_poll='spec.registry.pollInterval: Invalid value: "string": must be at least 1m'
reject "pollInterval 30s" "$min_poll, not 30s:" '    pollInterval: 30s' ''
reject "pollInterval 1ms" "$min_poll, not 1ms:" '    pollInterval: 1ms' ''
reject "pollInterval 59999ms" "$min_poll, not 59999ms:" '    pollInterval: 59999ms' ''
reject "pollInterval 0.5m" "$min_poll, not 0.5m:" '    pollInterval: 0.5m' ''
reject "pollInterval 0s" "$min_poll, not 0s:" '    pollInterval: 0s' ''
reject "pollInterval without a unit" 'spec.registry.pollInterval: Invalid value: "15": spec.registry.pollInterval in body should match' \
  '    pollInterval: "15"' ''
# Refused by the pattern alone: the CEL rule does not add a conversion error to it.
refuse_only_by_pattern() {
  local out
  out=$(bundle '    pollInterval: "15"' '' | kubectl apply --dry-run=server -f - 2>&1)
  if grep -q 'type conversion error' <<<"$out"; then
    echo "FAIL  pollInterval without a unit: the CEL rule reports a conversion error too: $out"
    failures=$((failures + 1))
  else
    echo "ok    pollInterval without a unit: only the pattern's error"
  fi
}
refuse_only_by_pattern
reject "pollInterval beyond Go's range" 'must be a duration from 1m to 2562047h' '    pollInterval: 9999999h' ''
reject "pollInterval 33 characters" 'spec.registry.pollInterval: Too long: may not be' "    pollInterval: $(long 32)1h" ''
min_drift='spec.converge.driftDetection.interval: Invalid value: "string": must be at least 1m'
reject "drift interval 10s" "$min_drift, not 10s" '' $'    driftDetection: {enabled: true, interval: 10s}'
reject "drift interval 30s (drift off)" "$min_drift, not 30s" '' $'    driftDetection: {interval: 30s}'
accept "pollInterval 1m, drift interval 60s" '    pollInterval: 1m' $'    driftDetection: {enabled: true, interval: 60s}'
accept "pollInterval 1h30m, drift interval 0.5h" '    pollInterval: 1h30m' $'    driftDetection: {enabled: true, interval: 0.5h}'
accept "defaults (15m)" '' ''

echo "== pod labels and annotations: at most 32, bounded keys and values"
reject "33 pod labels" 'spec.converge.podLabels: Too many: 33: must have at most 32 items' '' "$(entries podLabels l x 33)"
reject "a 64-character label value" 'spec.converge.podLabels.l0: Too long: may not be' '' "$(entries podLabels l "$(long 64)" 1)"
reject "a label value that is not one" 'spec.converge.podLabels.l0: Invalid value: "a b"' '' "$(entries podLabels l 'a b' 1)"
reject "a 318-character label key" 'label keys must be at most 317 characters' '' "$(entries podLabels "$(long 318)" x 1)"
reject "33 pod annotations" 'spec.converge.podAnnotations: Too many: 33: must have at most 32 items' '' \
  "$(entries podAnnotations a x 33)"
reject "a 4097-character annotation value" 'spec.converge.podAnnotations.a0: Too long: may not be' '' \
  "$(entries podAnnotations a "$(long 4097)" 1)"
reject "a 318-character annotation key" 'annotation keys must be at most 317 characters' '' \
  "$(entries podAnnotations "$(long 318)" x 1)"
accept "32 labels of 63 characters, 32 annotations of 4096" '' \
  "$(entries podLabels l "$(long 63)" 32)"$'\n'"$(entries podAnnotations a "$(long 4096)" 32)"

echo "== valuesFrom: at most 16"
reject "17 valuesFrom entries" 'spec.converge.valuesFrom: Too many: 17: must have at most 16 items' '' "$(values_from 17)"
accept "16 valuesFrom entries" '' "$(values_from 16)"

echo "$failures failures"
[ "$failures" -eq 0 ]
