#!/usr/bin/env bash
# make images: the four service images (werf-controller, -poller, -converger, -gateway) from
# deploy/docker/Dockerfile, built here with nothing pulled from any registry:
# - the base is a Debian bookworm rootfs made with `debootstrap --variant=minbase` from Debian's
#   archive, imported and tagged locally as debian:bookworm and debian:bookworm-slim;
# - the binaries are the host build's (BINARIES=prebuilt), so the C++ is compiled once;
# - buildah builds (no daemon: vfs storage and chroot isolation under the cache directory);
# - images are cached by content (Dockerfile, binaries, base): a rerun without changes only
#   loads what is missing;
# - they are tagged with the git revision, loaded into the test bed's real node (its containerd)
#   and pushed to the test bed's anonymous registry when a test bed is up.
#
#   scripts/build-images.sh        build (or reuse), load, push; prints the image references
#
# Inputs: BUILD_DIR (default build), WERF_TESTBED_ENV or WERF_TESTBED_DIR (the test bed to load
# into; none: build only), WERF_OPERATOR_CACHE, DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-build}
[[ $build_dir == /* ]] || build_dir=$root/$build_dir
cache=${WERF_OPERATOR_CACHE:-$HOME/.cache/werf-operator}/images
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
services=(controller poller converger gateway)
started=$SECONDS

log() { echo "images: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in buildah debootstrap jq strip; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, buildah's chroot isolation)"

mkdir -p "$cache"
# buildah's storage under the cache, not /var/lib/containers.
buildah_() {
  buildah --root "$cache/buildah/storage" --runroot "$cache/buildah/run" --storage-driver vfs "$@"
}

# --- the base: debootstrap'd bookworm, imported locally ---------------------------------------
base_dir=$cache/bookworm-minbase
if [ ! -d "$base_dir" ]; then
  log "debootstrap --variant=minbase bookworm from $mirror (about 2 minutes)"
  rm -rf "$base_dir.partial"
  debootstrap --variant=minbase bookworm "$base_dir.partial" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
  rm -rf "$base_dir.partial"/var/cache/apt/archives/*.deb "$base_dir.partial"/var/lib/apt/lists/*
  mv "$base_dir.partial" "$base_dir"
fi
if ! buildah_ inspect --type image docker.io/library/debian:bookworm-slim >/dev/null 2>&1; then
  log "importing the base as debian:bookworm and debian:bookworm-slim"
  "$root/test/integration/testbed/make-oci-layout.sh" "$base_dir" docker.io/library/debian:bookworm \
    "$cache/bookworm-minbase.tar" null '["bash"]'
  buildah_ pull -q "oci-archive:$cache/bookworm-minbase.tar" >/dev/null
  buildah_ tag docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim
  rm -f "$cache/bookworm-minbase.tar"
fi
base_id=$(buildah_ inspect --type image -f '{{.FromImageID}}' docker.io/library/debian:bookworm-slim)

# --- the binaries: the host build's, stripped --------------------------------------------------
context=$(mktemp -d "${TMPDIR:-/tmp}/werf-images.XXXXXX")
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/prebuilt"
targets=()
for s in "${services[@]}"; do targets+=("werf-$s"); done
# (IMAGES_SKIP_CMAKE=1: take the binaries as they are, e.g. while another build runs in BUILD_DIR.)
[ "${IMAGES_SKIP_CMAKE:-0}" = 1 ] || cmake --build "$build_dir" --target "${targets[@]}" -j "${JOBS:-2}" >&2
for s in "${services[@]}"; do
  strip --strip-unneeded -o "$context/prebuilt/werf-$s" "$build_dir/services/$s/werf-$s"
done

revision=$(git -C "$root" rev-parse --short=12 HEAD)
git -C "$root" diff --quiet HEAD -- 2>/dev/null || revision+=-dirty
key=$( { cat "$root/deploy/docker/Dockerfile"; echo "$base_id"; cat "$context/prebuilt"/*; } | sha256sum | cut -c1-16)
out=$cache/out/$key
if [ ! -f "$out/done" ]; then
  log "building the images (content $key) with buildah"
  rm -rf "$out" && mkdir -p "$out"
  for s in "${services[@]}"; do
    # --layers: the runtime stage (apt-get of the shared libraries) is built once for all four.
    buildah_ bud --layers --isolation chroot --network host --pull=never --timestamp 0 \
      -f "$root/deploy/docker/Dockerfile" --build-arg SERVICE="$s" --build-arg BINARIES=prebuilt \
      -t "localhost/werf-operator/werf-$s:$key" "$context" >"$out/build-$s.log" 2>&1 ||
      { tail -30 "$out/build-$s.log" >&2; die "buildah bud of werf-$s failed (log: $out/build-$s.log)"; }
    # A docker archive: `ctr images import` names the image after it, `crane push` takes it.
    buildah_ push -q "localhost/werf-operator/werf-$s:$key" \
      "docker-archive:$out/werf-$s.tar:localhost/werf-operator/werf-$s:$key" >/dev/null
  done
  touch "$out/done"
else
  log "images for content $key are cached"
fi

# --- load into the real node and push to the test bed's registry --------------------------------
env_file=${WERF_TESTBED_ENV:-${WERF_TESTBED_DIR:-${WERF_OPERATOR_CACHE:-$HOME/.cache/werf-operator}/testbed}/env.sh}
refs=()
if [ -f "$env_file" ]; then
  # shellcheck disable=SC1090
  source "$env_file"
  for s in "${services[@]}"; do
    ref=localhost/werf-operator/werf-$s:$revision
    if [ -n "${WERF_TESTBED_REAL_NODE:-}" ]; then
      ctr=(ctr --address "$WERF_TESTBED_REAL_NODE_CONTAINERD" -n k8s.io)
      # (Skipped when the node already has this content: an import rereads all 261 MB.)
      [[ $'\n'"$("${ctr[@]}" images ls -q)"$'\n' == *$'\n'"localhost/werf-operator/werf-$s:$key"$'\n'* ]] ||
        "${ctr[@]}" images import "$out/werf-$s.tar" >/dev/null
      "${ctr[@]}" images tag --force "localhost/werf-operator/werf-$s:$key" "$ref" >/dev/null
      # What deploy/kustomize/testbed names: the last images loaded (`kubectl rollout restart`
      # picks up new ones).
      "${ctr[@]}" images tag --force "localhost/werf-operator/werf-$s:$key" "localhost/werf-operator/werf-$s:testbed" >/dev/null
    fi
    crane push --insecure "$out/werf-$s.tar" "$WERF_TESTBED_REGISTRY_ANON/werf-operator/werf-$s:$revision" >/dev/null
    refs+=("$ref")
  done
  log "loaded into ${WERF_TESTBED_REAL_NODE:-no real node} and pushed to $WERF_TESTBED_REGISTRY_ANON/werf-operator/"
else
  log "no test bed at $env_file: built only"
fi
log "done in $((SECONDS - started)) s"
for s in "${services[@]}"; do echo "werf-$s $out/werf-$s.tar ${WERF_TESTBED_REGISTRY_ANON:+$WERF_TESTBED_REGISTRY_ANON/werf-operator/werf-$s:$revision}"; done
