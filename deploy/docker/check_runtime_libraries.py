#!/usr/bin/env python3
"""Checks that the Dockerfile's runtime stage installs every shared library the binaries load.

  check_runtime_libraries.py DOCKERFILE BINARY...

For each binary: `ldd` → owning Debian package (`dpkg -S`). Each package must be in the
runtime `apt-get install` list of DOCKERFILE, in its dependency closure (from the installed
packages' Depends, so it works offline), or be Priority: required (part of bookworm-slim).
Run on the Debian bookworm build machine, where those packages are installed.
"""
import re
import subprocess
import sys


def runtime_packages(dockerfile):
    text = open(dockerfile).read().replace("\\\n", " ")
    stage = text.split("AS runtime", 1)[1].split("\nFROM ", 1)[0]
    install = re.search(r"apt-get install[^&]*", stage).group(0)
    return {w for w in install.split()[2:] if not w.startswith("-")}


def installed_depends():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Priority}\t${Depends}\t${Pre-Depends}\n"],
                         capture_output=True, text=True, check=True).stdout
    depends, required = {}, set()
    for line in out.splitlines():
        package, priority, *fields = line.split("\t")
        names = set()
        for field in fields:
            for clause in filter(None, (c.strip() for c in field.split(","))):
                # "a (>= 1) | b": any alternative may satisfy it; count them all.
                for alternative in clause.split("|"):
                    names.add(alternative.strip().split()[0].split(":")[0])
        depends[package] = names
        if priority == "required":
            required.add(package)
    return depends, required


def closure(roots, depends):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(depends.get(p, ()))
    return seen


def owner(path):
    for candidate in (path, "/usr" + path if not path.startswith("/usr") else path[4:]):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0]
    return None


def main():
    dockerfile, binaries = sys.argv[1], sys.argv[2:]
    listed = runtime_packages(dockerfile)
    depends, required = installed_depends()
    covered = closure(listed, depends) | closure(required, depends)
    problems = [f"runtime package {p} is not installed here (misspelt?)" for p in sorted(listed - depends.keys())]
    for binary in binaries:
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
        for path in re.findall(r"=> (/\S+)", ldd):
            package = owner(path)
            if package is None:
                problems.append(f"{binary}: {path} belongs to no Debian package")
            elif package not in covered:
                problems.append(f"{binary}: loads {path} from {package}, missing in the runtime stage")
    for problem in problems:
        print(problem)
    print(f"{len(binaries)} binaries, runtime packages {sorted(listed)}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
