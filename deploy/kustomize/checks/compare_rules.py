#!/usr/bin/env python3
"""Compares a ServiceAccount's SelfSubjectRulesReview (JSON on stdin) with the rights it is
meant to have, exactly: a right too many or too few fails.

  compare_rules.py SERVICE operator|other

`operator` is the werf-operator-system namespace (where the controller's Lease Role applies),
`other` any other namespace. Rights every authenticated user has (self reviews) are ignored.
"""
import json
import sys

CORE, BATCH, WERF = "", "batch", "werf.io"
COORD, AUTHN, AUTHZ = "coordination.k8s.io", "authentication.k8s.io", "authorization.k8s.io"


def rights(*rules):
    return {(group, resource, verb)
            for group, resources, verbs in rules for resource in resources for verb in verbs}


# The brief of issue 9, item 1, restated independently of base/rbac-*.yaml.
EXPECTED = {
    "controller": rights(
        (WERF, ["werfbundles"], ["get", "list", "watch", "update", "patch"]),
        (WERF, ["werfbundles/status"], ["get", "update", "patch"]),
        (WERF, ["werfbundles/finalizers"], ["update"]),
        (BATCH, ["jobs"], ["get", "list", "delete"]),
        (CORE, ["serviceaccounts", "namespaces", "configmaps", "secrets"], ["get", "list", "watch"]),
        (CORE, ["events"], ["create", "patch"])),
    "poller": rights((CORE, ["secrets"], ["get"])),
    "converger": rights(
        (BATCH, ["jobs"], ["create", "get", "list", "watch", "delete"]),
        (WERF, ["werfbundles"], ["get"]),
        (CORE, ["namespaces"], ["get"]),
        (CORE, ["pods"], ["get", "list", "watch"]),
        (CORE, ["pods/log"], ["get"]),
        (CORE, ["secrets"], ["get", "create", "update", "patch", "delete"]),
        (CORE, ["configmaps"], ["get"]),
        (CORE, ["events"], ["create", "patch"])),
    "gateway": rights(
        (WERF, ["werfbundles"], ["get", "list", "watch"]),
        (AUTHN, ["tokenreviews"], ["create"]),
        (AUTHZ, ["subjectaccessreviews"], ["create"])),
}
OPERATOR_NAMESPACE_ONLY = {"controller": rights((COORD, ["leases"], ["get", "create", "update"]),
                                                 (CORE, ["secrets"], ["create"]))}
EVERYONE = rights((AUTHZ, ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
                  (AUTHN, ["selfsubjectreviews"], ["create"]))


def main():
    service, where = sys.argv[1], sys.argv[2]
    status = json.load(sys.stdin)["status"]
    problems = []
    if status.get("incomplete"):
        problems.append(f"rules review incomplete: {status.get('evaluationError')}")
    actual = set()
    for rule in status.get("resourceRules", []):
        if rule.get("resourceNames"):
            problems.append(f"unexpected resourceNames rule {rule}")
        actual |= rights(*((group, rule.get("resources", []), rule.get("verbs", []))
                           for group in rule.get("apiGroups", [])))
    actual -= EVERYONE
    expected = EXPECTED[service] | (OPERATOR_NAMESPACE_ONLY.get(service, set()) if where == "operator" else set())
    for extra in sorted(actual - expected):
        problems.append(f"has a right it should not: {extra}")
    for missing in sorted(expected - actual):
        problems.append(f"lacks a right it needs: {missing}")
    label = f"werf-{service} in the {where} namespace"
    for problem in problems:
        print(f"FAIL  {label}: {problem}")
    if not problems:
        print(f"ok    {label}: exactly {len(expected)} rights (group, resource, verb)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
