#!/usr/bin/env python3
"""Checks the output of `kubectl kustomize` for one overlay against what every install needs.

  check_rendered.py [--replicas controller=2,poller=3,...] [--anti-affinity controller,...]
                    [--image 'werf-{service}:dev'] [--pull-policy Never] [--arg=--log_level=debug]
                    [--service-monitors] < rendered.yaml
  check_rendered.py --select Kind,Kind,... < rendered.yaml   (prints only those objects)

Prints every problem found, one per line, and exits 1 if there is any.
"""
import argparse
import re
import sys

try:
    import yaml
except ImportError:
    sys.exit("check_rendered.py needs PyYAML: apt-get install python3-yaml")

SERVICES = ["controller", "poller", "converger", "gateway"]
WORKERS = {"poller", "converger"}
NAMESPACE = "werf-operator-system"
DEFAULT_DRAIN_SECONDS = 10.0  # --drain_timeout default (libs/common/flags.cc)
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
DURATION_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def go_duration_seconds(text):
    parts = DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * DURATION_UNIT[u] for n, u in parts)


def flag_value(args, name):
    prefix = f"--{name}="
    values = [a[len(prefix):] for a in args if a.startswith(prefix)]
    return values[-1] if values else None


def check_deployment(problems, service, deployment, options):
    where = f"Deployment werf-{service}"
    spec = deployment.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    want_replicas = options.replicas.get(service, 1)
    if spec.get("replicas", 1) != want_replicas:
        problems.append(f"{where}: replicas {spec.get('replicas')} (want {want_replicas})")
    if pod.get("serviceAccountName") != f"werf-{service}":
        problems.append(f"{where}: serviceAccountName {pod.get('serviceAccountName')!r}")
    if pod.get("automountServiceAccountToken") is not True:
        problems.append(f"{where}: automountServiceAccountToken must be true (in-cluster config)")
    psc = pod.get("securityContext", {})
    for key, want in [("runAsNonRoot", True), ("runAsUser", 65532), ("runAsGroup", 65532)]:
        if psc.get(key) != want:
            problems.append(f"{where}: pod securityContext.{key} {psc.get(key)!r} (want {want!r})")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{where}: pod seccompProfile must be RuntimeDefault")
    containers = pod.get("containers", [])
    if len(containers) != 1:
        problems.append(f"{where}: {len(containers)} containers (want 1)")
        return
    c = containers[0]
    csc = c.get("securityContext", {})
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation must be false")
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: readOnlyRootFilesystem must be true")
    if csc.get("capabilities", {}).get("drop") != ["ALL"]:
        problems.append(f"{where}: capabilities must drop ALL")
    if csc.get("privileged"):
        problems.append(f"{where}: privileged")
    for kind in ["requests", "limits"]:
        for resource in ["cpu", "memory"]:
            if resource not in c.get("resources", {}).get(kind, {}):
                problems.append(f"{where}: resources.{kind}.{resource} missing")
    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
    if ports.get("grpc") != 9090 or ports.get("http") != 8080:
        problems.append(f"{where}: ports {ports} (want grpc 9090, http 8080)")
    if c.get("livenessProbe", {}).get("grpc", {}).get("port") != 9090:
        problems.append(f"{where}: livenessProbe must be the native gRPC probe on 9090")
    readiness = c.get("readinessProbe", {}).get("httpGet", {})
    if readiness.get("path") != "/readyz" or readiness.get("port") not in ("http", 8080):
        problems.append(f"{where}: readinessProbe must be HTTP GET /readyz on 8080")
    args = c.get("args", [])
    drain = flag_value(args, "drain_timeout")
    try:
        drain_seconds = go_duration_seconds(drain) if drain else DEFAULT_DRAIN_SECONDS
    except ValueError as error:
        problems.append(f"{where}: --drain_timeout: {error}")
        drain_seconds = DEFAULT_DRAIN_SECONDS
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= drain_seconds:
        problems.append(f"{where}: terminationGracePeriodSeconds {grace} <= drain timeout {drain_seconds}s")
    if service in WORKERS:
        address = flag_value(args, "controller_address")
        if address != f"werf-controller.{NAMESPACE}.svc:9090":
            problems.append(f"{where}: --controller_address {address!r} does not name the controller Service")
    if service == "gateway" and flag_value(args, "auth") != "true":
        problems.append(f"{where}: --auth=true missing (the gateway is open to the whole cluster)")
    want_image = options.image.format(service=service)
    if c.get("image") != want_image:
        problems.append(f"{where}: image {c.get('image')!r} (want {want_image!r})")
    if options.pull_policy and c.get("imagePullPolicy") != options.pull_policy:
        problems.append(f"{where}: imagePullPolicy {c.get('imagePullPolicy')!r} (want {options.pull_policy})")
    for arg in options.arg:
        if arg not in args:
            problems.append(f"{where}: argument {arg} missing")
    if service in options.anti_affinity and not pod.get("affinity", {}).get("podAntiAffinity"):
        problems.append(f"{where}: no podAntiAffinity")


def check(objects, options):
    problems = []
    by_kind = {}
    for o in objects:
        by_kind.setdefault(o.get("kind"), []).append(o)
    names = lambda kind: sorted(o["metadata"]["name"] for o in by_kind.get(kind, []))

    if by_kind.get("Secret"):
        problems.append(f"Secret objects rendered: {names('Secret')} (credentials never ship in manifests)")
    if "werfbundles.werf.io" not in names("CustomResourceDefinition"):
        problems.append("CRD werfbundles.werf.io missing")
    if names("Namespace") != [NAMESPACE]:
        problems.append(f"Namespaces {names('Namespace')} (want [{NAMESPACE}])")
    want = [f"werf-{s}" for s in SERVICES]
    if names("Deployment") != sorted(want):
        problems.append(f"Deployments {names('Deployment')} (want {sorted(want)})")
    for o in objects:
        namespaced = o.get("kind") not in (
            "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding")
        if namespaced and o["metadata"].get("namespace") != NAMESPACE:
            problems.append(f"{o['kind']} {o['metadata']['name']}: namespace {o['metadata'].get('namespace')!r}")
    for d in by_kind.get("Deployment", []):
        service = d["metadata"]["name"].removeprefix("werf-")
        if service in SERVICES:
            check_deployment(problems, service, d, options)

    accounts = set(names("ServiceAccount"))
    if accounts != set(want):
        problems.append(f"ServiceAccounts {sorted(accounts)} (want {sorted(want)})")
    roles = {("ClusterRole", n) for n in names("ClusterRole")} | {("Role", n) for n in names("Role")}
    for binding in by_kind.get("ClusterRoleBinding", []) + by_kind.get("RoleBinding", []):
        ref = binding.get("roleRef", {})
        if (ref.get("kind"), ref.get("name")) not in roles:
            problems.append(f"{binding['kind']} {binding['metadata']['name']}: roleRef {ref} not rendered")
        for subject in binding.get("subjects", []):
            if subject.get("kind") != "ServiceAccount" or subject.get("name") not in accounts \
                    or subject.get("namespace") != NAMESPACE:
                problems.append(f"{binding['kind']} {binding['metadata']['name']}: subject {subject}")

    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    for service in SERVICES:
        svc = services.get(f"werf-{service}")
        if svc is None:
            problems.append(f"Service werf-{service} missing")
            continue
        ports = {p["name"]: p.get("port") for p in svc["spec"].get("ports", [])}
        if ports.get("http") != 8080:
            problems.append(f"Service werf-{service}: no http (metrics) port 8080")
        if service in ("controller", "gateway") and ports.get("grpc") != 9090:
            problems.append(f"Service werf-{service}: no grpc port 9090")
        if svc["spec"].get("selector") != {"app.kubernetes.io/name": f"werf-{service}"}:
            problems.append(f"Service werf-{service}: selector {svc['spec'].get('selector')}")

    replicas = {d["metadata"]["name"]: d["spec"].get("replicas", 1) for d in by_kind.get("Deployment", [])}
    for pdb in by_kind.get("PodDisruptionBudget", []):
        name = pdb["metadata"]["name"]
        if name == "werf-controller":
            problems.append("PodDisruptionBudget werf-controller: only the leader is Ready, it would block drains")
        spec = pdb["spec"]
        if "minAvailable" in spec and isinstance(spec["minAvailable"], int) \
                and spec["minAvailable"] >= replicas.get(name, 0):
            problems.append(f"PodDisruptionBudget {name}: minAvailable {spec['minAvailable']} blocks every eviction")
    for service in ("poller", "converger", "gateway"):
        if f"werf-{service}" not in names("PodDisruptionBudget"):
            problems.append(f"PodDisruptionBudget werf-{service} missing")

    policies = by_kind.get("NetworkPolicy", [])
    if not any(p["spec"].get("podSelector") == {} and
               sorted(p["spec"].get("policyTypes", [])) == ["Egress", "Ingress"] and
               not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
        problems.append("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)")
    # Notifications go to wherever the bundles' sinks are: the controller needs egress beyond the hub.
    if not any(p["spec"].get("podSelector", {}).get("matchLabels") == {"app.kubernetes.io/name": "werf-controller"}
               and "Egress" in p["spec"].get("policyTypes", []) and p["spec"].get("egress")
               for p in policies):
        problems.append("no NetworkPolicy lets the controller reach notification sinks")

    if options.service_monitors:
        monitors = {m["metadata"]["name"]: m for m in by_kind.get("ServiceMonitor", [])}
        for service in SERVICES:
            m = monitors.get(f"werf-{service}")
            if m is None:
                problems.append(f"ServiceMonitor werf-{service} missing")
                continue
            if m["spec"].get("selector", {}).get("matchLabels") != {"app.kubernetes.io/name": f"werf-{service}"} \
                    or [e.get("port") for e in m["spec"].get("endpoints", [])] != ["http"]:
                problems.append(f"ServiceMonitor werf-{service}: must select the Service and scrape port http")
    elif by_kind.get("ServiceMonitor"):
        problems.append("ServiceMonitors rendered without the component (their CRD is optional)")

    poller = next((d for d in by_kind.get("Deployment", []) if d["metadata"]["name"] == "werf-poller"), None)
    poller_args = poller["spec"]["template"]["spec"]["containers"][0].get("args", []) if poller else []
    serves_webhooks = any(a.startswith("--webhook_address=") for a in poller_args)
    if options.webhooks:
        if "--webhook_address=0.0.0.0:8081" not in poller_args:
            problems.append("werf-poller: the webhooks component must add --webhook_address=0.0.0.0:8081")
        service = next((s for s in by_kind.get("Service", []) if s["metadata"]["name"] == "werf-poller-webhooks"), None)
        if service is None or [p.get("targetPort") for p in service["spec"]["ports"]] != ["webhooks"]:
            problems.append("Service werf-poller-webhooks must target the pollers' webhooks port")
        for ingress in by_kind.get("Ingress", []):
            for rule in ingress["spec"].get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    if not path.get("path", "").startswith("/hooks/"):
                        problems.append(f"Ingress {ingress['metadata']['name']}: routes {path.get('path')}, "
                                        "only /hooks/ may be exposed")
        if not any(p["spec"].get("podSelector", {}).get("matchLabels") == {"app.kubernetes.io/name": "werf-poller"}
                   and any(port.get("port") == 8081 for rule in p["spec"].get("ingress", [])
                           for port in rule.get("ports", []))
                   for p in policies):
            problems.append("no NetworkPolicy admits deliveries to the pollers' port 8081")
    elif serves_webhooks or by_kind.get("Ingress"):
        problems.append("the webhook receiver is on without the webhooks component (it is opt-in)")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--select", help="print only objects of these kinds (comma-separated)")
    parser.add_argument("--replicas", default="", help="service=count,... (default 1 each)")
    parser.add_argument("--image", default="ghcr.io/werf-operator/werf-{service}:0.1.0")
    parser.add_argument("--pull-policy")
    parser.add_argument("--arg", action="append", default=[], help="argument every Deployment must have")
    parser.add_argument("--anti-affinity", default="", help="services whose pods must spread (comma-separated)")
    parser.add_argument("--service-monitors", action="store_true")
    parser.add_argument("--webhooks", action="store_true", help="the webhooks component is in")
    options = parser.parse_args()
    options.replicas = {k: int(v) for k, v in (p.split("=") for p in options.replicas.split(",") if p)}
    options.anti_affinity = set(filter(None, options.anti_affinity.split(",")))
    objects = [o for o in yaml.safe_load_all(sys.stdin) if o]
    if options.select:
        kinds = options.select.split(",")
        yaml.safe_dump_all([o for o in objects if o.get("kind") in kinds], sys.stdout, sort_keys=False)
        return 0
    problems = check(objects, options)
    for problem in problems:
        print(problem)
    print(f"{len(objects)} objects, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
