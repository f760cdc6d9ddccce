#!/usr/bin/env bash
# Builds, or finds already built, every third-party tool the test bed and the checks use:
# the Kubernetes control plane, kwok, the CNCF registry, crane, grpcurl, ghz, buf, and for
# the werf stand-in (werf-standin/) nelm and oras.
# Each lands in its own cache directory keyed by version, so a rerun is a no-op and a
# version bump in versions.env builds afresh. Prints nothing but progress on stderr.
#
#   build-tools.sh            build everything missing
#   build-tools.sh --path     print a PATH prefix (colon-separated) of every tool directory
#   build-tools.sh NAME...    build only the named tools
#                             (kubernetes kwok registry crane grpcurl ghz buf nelm oras)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${WERF_OPERATOR_CACHE:-$HOME/.cache/werf-operator}/tools
export GOFLAGS="${GOFLAGS:-} -buildvcs=false" CGO_ENABLED=0

log() { echo "build-tools: $*" >&2; }

# The control plane is keyed by version and by the hash of the wrapper module, so a changed
# replace line or go.sum rebuilds too.
kube_dir() {
  local sum
  sum=$(cat "$here/tools/go.mod" "$here/tools/go.sum" | sha256sum | cut -c1-12)
  echo "$cache/kubernetes-$KUBERNETES_VERSION-$sum"
}

build_kubernetes() {
  local dir; dir=$(kube_dir)
  [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kubectl" ] && return 0
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBERNETES_VERSION (cold: tens of minutes)"
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$dir.partial"
  (cd "$here/tools" && go build -trimpath -ldflags "-s -w $ldflags" -o "$dir.partial/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

# go_tool NAME VERSION PACKAGE: `go install PACKAGE@VERSION` into its own cache directory.
go_tool() {
  local name=$1 version=$2 pkg=$3 dir="$cache/$1-$2"
  [ -x "$dir/$name" ] && return 0
  log "building $name $version"
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  GOBIN="$dir.partial" go install -trimpath -ldflags "-s -w" "$pkg@$version"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

# nelm, werf's deploy engine, for the werf stand-in: werf itself cannot be had (the Go module
# proxy refuses github.com/werf/werf/v2). nelm's go.mod replaces cobra with a fork, which only
# a main module can do, hence the wrapper module tools/nelm (keyed by its hash, like the
# Kubernetes one). The version is stamped in as nelm's own Taskfile does.
nelm_dir() { echo "$cache/nelm-$NELM_VERSION-$(cat "$here/tools/nelm/go.mod" "$here/tools/nelm/go.sum" | sha256sum | cut -c1-12)"; }
build_nelm() {
  local dir; dir=$(nelm_dir)
  [ -x "$dir/nelm" ] && return 0
  log "building nelm $NELM_VERSION (cold: about 7 minutes on 2 cores)"
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  (cd "$here/tools/nelm" && go build -trimpath \
      -ldflags "-s -w -X github.com/werf/nelm/pkg/common.Version=${NELM_VERSION#v}" \
      -o "$dir.partial/nelm" github.com/werf/nelm/cmd/nelm)
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

build_buf() {
  local dir="$cache/buf-$BUF_VERSION"
  [ -x "$dir/bin/buf" ] && return 0
  log "installing buf $BUF_VERSION from npm"
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  npm install --silent --no-audit --no-fund --prefix "$dir.partial" "@bufbuild/buf@$BUF_VERSION" >&2
  mkdir -p "$dir.partial/bin"
  ln -sf ../node_modules/.bin/buf "$dir.partial/bin/buf"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

build_one() {
  case $1 in
    kubernetes) build_kubernetes ;;
    kwok) go_tool kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok ;;
    registry) go_tool registry "$DISTRIBUTION_VERSION" github.com/distribution/distribution/v3/cmd/registry ;;
    crane) go_tool crane "$CRANE_VERSION" github.com/google/go-containerregistry/cmd/crane ;;
    grpcurl) go_tool grpcurl "$GRPCURL_VERSION" github.com/fullstorydev/grpcurl/cmd/grpcurl ;;
    ghz) go_tool ghz "$GHZ_VERSION" github.com/bojand/ghz/cmd/ghz ;;
    buf) build_buf ;;
    nelm) build_nelm ;;
    oras) go_tool oras "$ORAS_VERSION" oras.land/oras/cmd/oras ;;
    *) log "unknown tool '$1'"; return 2 ;;
  esac
}

all=(grpcurl buf crane registry kwok kubernetes ghz nelm oras)
if [ "${1:-}" = "--path" ]; then
  echo "$(kube_dir):$cache/kwok-$KWOK_VERSION:$cache/registry-$DISTRIBUTION_VERSION:$cache/crane-$CRANE_VERSION:$cache/grpcurl-$GRPCURL_VERSION:$cache/ghz-$GHZ_VERSION:$cache/buf-$BUF_VERSION/bin:$(nelm_dir):$cache/oras-$ORAS_VERSION"
  exit 0
fi
[ $# -gt 0 ] || set -- "${all[@]}"
for tool in "$@"; do build_one "$tool"; done
