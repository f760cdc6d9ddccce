#!/usr/bin/env bash
# Builds, or finds already built, every third-party tool the test bed and the checks use:
# the Kubernetes control plane, etcd, kwok, the CNCF registry, crane, grpcurl, ghz, buf; for
# the real node kubelet, kube-proxy, CoreDNS and the pause image; and for the werf stand-in
# (werf-standin/) nelm and oras. Each lands in its own cache directory keyed by version, so a
# rerun is a no-op and a version bump in versions.env builds afresh. Prints nothing but
# progress on stderr.
#
#   build-tools.sh            build everything missing
#   build-tools.sh --path     print a PATH prefix (colon-separated) of every tool directory
#   build-tools.sh --node-images  print "TARBALL REF" of the pause and the test image (OCI layouts)
#   build-tools.sh NAME...    build only the named tools
#                             (kubernetes etcd kwok registry crane grpcurl ghz buf node nelm oras)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${WERF_OPERATOR_CACHE:-$HOME/.cache/werf-operator}/tools
export GOFLAGS="${GOFLAGS:-} -buildvcs=false" CGO_ENABLED=0

log() { echo "build-tools: $*" >&2; }

# The Kubernetes binaries are keyed by version and by the hash of the wrapper module, so a
# changed replace line or go.sum rebuilds too. The real node's kubelet and kube-proxy live in
# a directory of their own: a kwok-only test bed does not wait for them.
kube_sum() { cat "$here/tools/go.mod" "$here/tools/go.sum" | sha256sum | cut -c1-12; }
kube_dir() { echo "$cache/kubernetes-$KUBERNETES_VERSION-$(kube_sum)"; }
kube_node_dir() { echo "$cache/kubernetes-node-$KUBERNETES_VERSION-$(kube_sum)"; }

# kube_build DIR CMD...: go build of k8s.io/kubernetes/cmd/CMD... into DIR, with the version
# stamped in as the Kubernetes release build does (kubectl version, /version, node status).
kube_build() {
  local dir=$1; shift
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ldflags="" pkg cmds=()
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for pkg in "$@"; do cmds+=("k8s.io/kubernetes/cmd/$pkg"); done
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  (cd "$here/tools" && go build -trimpath -ldflags "-s -w $ldflags" -o "$dir.partial/" "${cmds[@]}")
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

build_kubernetes() {
  local dir; dir=$(kube_dir)
  [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kubectl" ] && return 0
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBERNETES_VERSION (cold: tens of minutes)"
  kube_build "$dir" kube-apiserver kube-controller-manager kube-scheduler kubectl
}

# etcd's own go.mod points its modules at sibling directories, hence the wrapper module
# tools/etcd (keyed by its hash like the Kubernetes one).
etcd_dir() { echo "$cache/etcd-$ETCD_VERSION-$(cat "$here/tools/etcd/go.mod" "$here/tools/etcd/go.sum" | sha256sum | cut -c1-12)"; }
build_etcd() {
  local dir; dir=$(etcd_dir)
  [ -x "$dir/etcd" ] && [ -x "$dir/etcdctl" ] && return 0
  log "building etcd and etcdctl $ETCD_VERSION"
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  (cd "$here/tools/etcd" && go build -trimpath -ldflags "-s -w" -o "$dir.partial/etcd" go.etcd.io/etcd/server/v3 &&
     go build -trimpath -ldflags "-s -w" -o "$dir.partial/etcdctl" go.etcd.io/etcd/etcdctl/v3)
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

# The pause image is the sandbox of every pod on the real node. Nothing is pulled from a
# registry, so it is built from the Kubernetes sources (build/pause/linux/pause.c, which the
# k8s.io/kubernetes module carries) with gcc -static, and packed as an OCI layout tarball.
pause_dir() { echo "$cache/pause-$PAUSE_VERSION-$KUBERNETES_VERSION"; }
pause_ref() { echo "localhost/werf-testbed/pause:$PAUSE_VERSION"; }
build_pause() {
  local dir; dir=$(pause_dir)
  [ -s "$dir/pause.tar" ] && return 0
  log "building the pause image from k8s.io/kubernetes@$KUBERNETES_VERSION build/pause/linux/pause.c"
  local src
  src=$(cd "$here/tools" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | jq -r .Dir)
  rm -rf "$dir.partial" && mkdir -p "$dir.partial/rootfs"
  gcc -Os -static -Wall -DVERSION="v$PAUSE_VERSION-werf-testbed" -o "$dir.partial/rootfs/pause" \
    "$src/build/pause/linux/pause.c"
  strip "$dir.partial/rootfs/pause"
  "$here/make-oci-layout.sh" "$dir.partial/rootfs" "$(pause_ref)" "$dir.partial/pause.tar" '["/pause"]' null
  rm -rf "$dir.partial/rootfs"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

# A small image with a shell for tests on the real node (sh, nslookup, wget, nc, httpd): Debian's
# static busybox, keyed by the package version.
busybox_version() { local v; v=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) && v=${v#*:} && echo "${v//[~+]/-}"; }
testimage_dir() { echo "$cache/testimage-busybox-$(busybox_version)"; }
testimage_ref() { echo "localhost/werf-testbed/busybox:$(busybox_version)"; }
build_testimage() {
  local dir; dir=$(testimage_dir)
  [ -s "$dir/image.tar" ] && return 0
  [ -n "$(busybox_version)" ] || { log "busybox-static is not installed (scripts/install-deps.sh)"; return 1; }
  # The image holds nothing but busybox: Debian's dynamic `busybox` package (which replaces
  # busybox-static, and vice versa) would not run there.
  if ldd /bin/busybox >/dev/null 2>&1; then log "/bin/busybox is not the static one (busybox-static)"; return 1; fi
  log "packing the test image $(testimage_ref)"
  rm -rf "$dir.partial" && mkdir -p "$dir.partial/rootfs/bin" "$dir.partial/rootfs/tmp" "$dir.partial/rootfs/etc"
  cp /bin/busybox "$dir.partial/rootfs/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$dir.partial/rootfs/bin/$applet"
  done
  chmod 1777 "$dir.partial/rootfs/tmp"
  echo "root:x:0:0:root:/:/bin/sh" >"$dir.partial/rootfs/etc/passwd"
  echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$dir.partial/rootfs/etc/passwd"
  "$here/make-oci-layout.sh" "$dir.partial/rootfs" "$(testimage_ref)" "$dir.partial/image.tar" null '["/bin/sh"]'
  rm -rf "$dir.partial/rootfs"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

# The real node: kubelet and kube-proxy from the same wrapper module as the control plane,
# CoreDNS (its go.mod has no replace lines, so a plain go install) and the pause image.
build_node() {
  local dir; dir=$(kube_node_dir)
  if ! [ -x "$dir/kubelet" ] || ! [ -x "$dir/kube-proxy" ]; then
    log "building kubelet, kube-proxy $KUBERNETES_VERSION"
    kube_build "$dir" kubelet kube-proxy
  fi
  go_tool coredns "$COREDNS_VERSION" github.com/coredns/coredns
  build_pause
  build_testimage
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
    etcd) build_etcd ;;
    node) build_node ;;
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

all=(grpcurl buf crane registry kwok etcd kubernetes ghz node nelm oras)
if [ "${1:-}" = "--node-images" ]; then
  echo "$(pause_dir)/pause.tar $(pause_ref)"
  echo "$(testimage_dir)/image.tar $(testimage_ref)"
  exit 0
fi
if [ "${1:-}" = "--path" ]; then
  # etcd first: its etcd and etcdctl win over any Debian ones in /usr/bin.
  echo "$(etcd_dir):$(kube_dir):$(kube_node_dir):$cache/coredns-$COREDNS_VERSION:$cache/kwok-$KWOK_VERSION:$cache/registry-$DISTRIBUTION_VERSION:$cache/crane-$CRANE_VERSION:$cache/grpcurl-$GRPCURL_VERSION:$cache/ghz-$GHZ_VERSION:$cache/buf-$BUF_VERSION/bin:$(nelm_dir):$cache/oras-$ORAS_VERSION"
  exit 0
fi
[ $# -gt 0 ] || set -- "${all[@]}"
for tool in "$@"; do build_one "$tool"; done
