#!/usr/bin/env bash
# Publishes a chart as a werf bundle to a test bed registry, in the layout `werf bundle publish`
# produces, without werf (which cannot be had here; see werf-standin/README.md):
#
#   publish-bundle.sh [--registry anon|basic|token|tls|v2] [--external] [--values FILE]... CHART REPOSITORY TAG...
#
# CHART is a chart under bundles/ (hello, broken, big) or a chart directory; REPOSITORY is the
# path inside the registry (e.g. bundles/hello). Each TAG becomes <registry>/<REPOSITORY>:<TAG>,
# and one line "<registry>/<REPOSITORY>:<TAG> <manifest digest>" is printed on stdout per tag.
# --values files are merged into the bundle's values.yaml, in order, as `werf bundle publish
# --values` does. The test bed comes from $WERF_TESTBED_ENV, else $WERF_TESTBED_DIR/env.sh,
# else the default state directory.
#
# The layout (werf's pkg/deploy/bundles/registry/cache.go, StoreReference and helpers, and
# constants.go; the chart version from pkg/deploy/bundles/bundle_tag.go, BundleTagToChartVersion,
# as cmd/werf/bundle/publish/publish.go uses it):
#  - an OCI image manifest, schemaVersion 2, pushed as application/vnd.oci.image.manifest.v1+json,
#    with no mediaType field, no annotations, and exactly one layer;
#  - config: Chart.yaml's metadata as JSON (Go's json.Marshal of helm's chart.Metadata), media
#    type application/vnd.cncf.helm.config.v1+json;
#  - the layer: the chart archive as helm's chartutil.Save writes it (here: `nelm chart pack`,
#    the same code in nelm's helm fork), media type application/tar+gzip;
#  - Chart.yaml's version = the tag when the tag is semver (Masterminds/semver v1, so a leading
#    "v" is dropped and "1.2" becomes 1.2.0), else 0.0.0-<unix time>-<slug of the tag>.
# Not reproduced: werf's service values (.Values.werf.*), which `werf bundle publish` bakes in
# from werf.yaml and the images it built; these charts use none.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "publish-bundle: $*" >&2; exit 1; }
usage() { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }

flavour=anon external=0
values=()
while [ $# -gt 0 ]; do
  case $1 in
    --registry) [ $# -ge 2 ] || usage; flavour=$2; shift 2 ;;
    --registry=*) flavour=${1#*=}; shift ;;
    --external) external=1; shift ;;
    --values) [ $# -ge 2 ] || usage; values+=("$(realpath "$2")"); shift 2 ;;
    --values=*) values+=("$(realpath "${1#*=}")"); shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 3 ] || usage
chart=$1 repository=$2; shift 2
[ -d "$chart" ] || chart=$here/bundles/$chart
[ -f "$chart/Chart.yaml" ] || die "no chart at $1 (neither a directory with Chart.yaml nor one of: $(ls "$here/bundles" | tr '\n' ' '))"

env_file=${WERF_TESTBED_ENV:-${WERF_TESTBED_DIR:-${WERF_OPERATOR_CACHE:-$HOME/.cache/werf-operator}/testbed}/env.sh}
[ -f "$env_file" ] || die "no test bed environment at $env_file (run testbed up)"
# shellcheck disable=SC1090
source "$env_file"
command -v nelm >/dev/null && command -v oras >/dev/null ||
  die "nelm or oras not on the test bed's PATH (build-tools.sh nelm oras, then testbed up)"

# How oras reaches the registry: plain HTTP, or HTTPS trusting the test CA; credentials go
# through a private docker config file, never the command line.
work=$(mktemp -d "${TMPDIR:-/tmp}/publish-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT
user="" password="" transport=(--to-plain-http)
case $flavour in
  anon) host=$WERF_TESTBED_REGISTRY_ANON ;;
  basic) host=$WERF_TESTBED_REGISTRY_BASIC user=$WERF_TESTBED_REGISTRY_BASIC_USER password=$WERF_TESTBED_REGISTRY_BASIC_PASSWORD ;;
  token) host=$WERF_TESTBED_REGISTRY_TOKEN user=$WERF_TESTBED_REGISTRY_TOKEN_USER password=$WERF_TESTBED_REGISTRY_TOKEN_PASSWORD ;;
  tls) host=$WERF_TESTBED_REGISTRY_TLS transport=(--to-ca-file "$WERF_TESTBED_CA") ;;
  v2) host=$WERF_TESTBED_REGISTRY_V2 ;;
  *) die "unknown registry '$flavour' (anon, basic, token, tls, v2)" ;;
esac
# --external: the registry's address on the real node's veth (what pods on the node use); the
# references printed name it. anon, basic, token and tls have one with the real node.
if [ "$external" = 1 ]; then
  case $flavour in
    anon) host=${WERF_TESTBED_REGISTRY_ANON_EXTERNAL:-} ;;
    basic) host=${WERF_TESTBED_REGISTRY_BASIC_EXTERNAL:-} ;;
    token) host=${WERF_TESTBED_REGISTRY_TOKEN_EXTERNAL:-} ;;
    tls) host=${WERF_TESTBED_REGISTRY_TLS_EXTERNAL:-} ;;
    *) host="" ;;
  esac
  [ -n "$host" ] || die "--external: registry '$flavour' has no external address (anon, basic, token and tls have one with the real node)"
fi
auth_args=()
if [ -n "$user" ]; then
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$host" "$(printf '%s:%s' "$user" "$password" | base64 -w0)" \
    >"$work/config.json"
  auth_args=(--to-registry-config "$work/config.json")
fi

# bundle_layout TAG DIR: writes the bundle for TAG as an OCI image layout into DIR.
bundle_layout() {
  local tag=$1 dir=$2 src=$work/chart version
  rm -rf "$src" "$work/pack" && cp -r "$chart" "$src" && mkdir -p "$work/pack"
  version=$(python3 - "$tag" <<'EOF'
import re, sys, time
tag = sys.argv[1]
# Masterminds/semver v1's NewVersion: optional "v", missing minor/patch are 0.
m = re.fullmatch(r"v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?"
                 r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?", tag)
if m:
    v = "%s.%s.%s" % (m.group(1), m.group(2) or 0, m.group(3) or 0)
    v += ("-" + m.group(4)) if m.group(4) else ""
    v += ("+" + m.group(5)) if m.group(5) else ""
else:  # werf's fallback: 0.0.0-<unix time>-<slug>
    v = "0.0.0-%d-%s" % (time.time(), re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-"))
print(v)
EOF
)
  if [ ${#values[@]} -gt 0 ]; then
    python3 - "$src/values.yaml" "${values[@]}" <<'EOF'
import sys, yaml
def merge(base, over):
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base
path = sys.argv[1]
try:
    merged = yaml.safe_load(open(path)) or {}
except FileNotFoundError:
    merged = {}
for extra in sys.argv[2:]:
    merged = merge(merged, yaml.safe_load(open(extra)) or {})
yaml.safe_dump(merged, open(path, "w"), default_flow_style=False, sort_keys=False)
EOF
  fi
  nelm chart pack --version "$version" -d "$work/pack" "$src" >/dev/null
  local archive
  archive=$(ls "$work/pack"/*.tgz)
  python3 - "$archive" "$dir" <<'EOF'
import hashlib, io, json, os, sys, tarfile, yaml
archive, out = sys.argv[1], sys.argv[2]
data = open(archive, "rb").read()
with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
    meta = yaml.safe_load(tar.extractfile(member))
# Go's json.Marshal of helm's chart.Metadata: struct field order, empty fields omitted.
fields = ["name", "home", "sources", "version", "description", "keywords", "maintainers", "icon",
          "apiVersion", "condition", "tags", "appVersion", "deprecated", "annotations",
          "kubeVersion", "dependencies", "type"]
config = json.dumps({k: meta[k] for k in fields if meta.get(k) not in (None, "", [], {}, False)},
                    separators=(",", ":")).encode()
os.makedirs(os.path.join(out, "blobs", "sha256"))
def blob(content):
    digest = hashlib.sha256(content).hexdigest()
    open(os.path.join(out, "blobs", "sha256", digest), "wb").write(content)
    return "sha256:" + digest
manifest = json.dumps({
    "schemaVersion": 2,
    "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": blob(config), "size": len(config)},
    "layers": [{"mediaType": "application/tar+gzip", "digest": blob(data), "size": len(data)}],
}, separators=(",", ":")).encode()
index = {"schemaVersion": 2, "manifests": [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(manifest),
    "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "bundle"}}]}
json.dump(index, open(os.path.join(out, "index.json"), "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(out, "oci-layout"), "w"))
print(blob(manifest))
EOF
}

for tag in "$@"; do
  layout=$work/layout-$RANDOM
  digest=$(bundle_layout "$tag" "$layout")
  ref=$host/$repository:$tag
  oras cp --from-oci-layout "${transport[@]}" "${auth_args[@]}" "$layout:bundle" "$ref" >"$work/oras.log" 2>&1 ||
    die "pushing $ref failed: $(cat "$work/oras.log")"
  echo "$ref $digest"
done
