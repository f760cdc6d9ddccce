#!/usr/bin/env python3
"""Checks werf-operator-dashboard.json: valid JSON, unique panel ids, every query
parses as PromQL (promtool check rules, with Grafana's variables substituted), and
every werf_operator_ metric it names is one the services export.

    check-dashboard.py <dashboard.json> <file with one exported metric name per line>
"""
import json
import re
import subprocess
import sys
import tempfile


def main(dashboard_path, metrics_path):
    dashboard = json.load(open(dashboard_path))
    exported = {line.strip() for line in open(metrics_path) if line.strip() and not line.startswith("#")}
    problems = []
    ids = [panel["id"] for panel in dashboard["panels"]]
    if len(ids) != len(set(ids)):
        problems.append(f"panel ids repeat: {sorted(ids)}")

    exprs = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            exprs.append((panel["title"], target["expr"]))
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            match = re.fullmatch(r"label_values\((\w+), *\w+\)", variable["definition"])
            if not match:
                problems.append(f"variable {variable['name']}: unexpected query {variable['definition']}")
            else:
                exprs.append((f"variable {variable['name']}", match.group(1)))

    for title, expr in exprs:
        for name in re.findall(r"\bwerf_operator_\w+", expr):
            base = re.sub(r"_(bucket|count|sum)$", "", name)
            if name not in exported and base not in exported:
                problems.append(f"{title}: {name} is not exported by any service")

    substituted = [
        expr.replace("$namespace", ".*").replace("$__rate_interval", "5m") for _, expr in exprs
    ]
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": expr} for i, expr in enumerate(substituted)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as file:
        json.dump(rules, file)  # JSON is YAML
        file.flush()
        checked = subprocess.run(["promtool", "check", "rules", file.name], capture_output=True, text=True)
        if checked.returncode != 0:
            problems.append(f"promtool: {checked.stdout}{checked.stderr}")

    for problem in problems:
        print(problem)
    print(f"{len(dashboard['panels'])} panels, {len(exprs)} queries: "
          f"{'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
