#!/usr/bin/env bash
# make images: the four service images (werf-controller, -poller, -converger, -gateway) from
# deploy/docker/Dockerfile, built here with nothing pulled from any registry, and for the test
# bed only the werf stand-in image and the hello app image (see "the test bed's own images"):
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

# --- the test bed's own images: the werf stand-in and the hello app ------------------------------
# Only for the test bed, never shipped: the werf stand-in (test/integration/testbed/werf-standin:
# nelm + oras + the adapter as `werf`; werf itself cannot be had here) that the converger's Jobs
# run on the real node, and the HTTP server of bundles/hello. Loaded into the node only.
tb_dir=$root/test/integration/testbed
PATH="$("$tb_dir/build-tools.sh" --path):$PATH"
nelm_bin=$(command -v nelm) && oras_bin=$(command -v oras) ||
  die "nelm or oras not built (test/integration/testbed/build-tools.sh nelm oras)"
standin_context=$context/werf-standin
mkdir -p "$standin_context"
cp "$nelm_bin" "$oras_bin" "$tb_dir/werf-standin/werf" "$standin_context/"
# uid 1000 gets a name (as werf's image has its `build` user), for whatever asks os/user.
{ cat "$base_dir/etc/passwd"; echo "werf:x:1000:1000:werf stand-in:/werf/home:/bin/bash"; } >"$standin_context/passwd"
{ cat "$base_dir/etc/group"; echo "werf:x:1000:"; } >"$standin_context/group"
# The Job runs it as uid 1000 with a read-only root: HOME, TMPDIR and the report are the Job's
# emptyDirs; the converger's entrypoint needs /bin/sh and awk (mawk is in the minbase rootfs),
# the adapter bash, tar, gzip, find, sed.
cat >"$standin_context/Containerfile" <<'EOF_CF'
FROM docker.io/library/debian:bookworm
COPY nelm oras werf /usr/local/bin/
COPY passwd group /etc/
USER 1000:1000
ENTRYPOINT ["/usr/local/bin/werf"]
EOF_CF
standin_key=$( { cat "$standin_context/Containerfile"; echo "$base_id"; cat "$standin_context/nelm" \
  "$standin_context/oras" "$standin_context/werf" "$standin_context/passwd" "$standin_context/group"; } |
  sha256sum | cut -c1-16)
standin_out=$cache/out-werf-standin/$standin_key
standin_ref=localhost/werf-testbed/werf-standin
if [ ! -f "$standin_out/done" ]; then
  log "building the werf stand-in image (content $standin_key)"
  rm -rf "$standin_out" && mkdir -p "$standin_out"
  buildah_ bud --isolation chroot --network host --pull=never --timestamp 0 -f "$standin_context/Containerfile" \
    -t "$standin_ref:$standin_key" "$standin_context" >"$standin_out/build.log" 2>&1 ||
    { tail -30 "$standin_out/build.log" >&2; die "buildah bud of the werf stand-in failed (log: $standin_out/build.log)"; }
  buildah_ push -q "$standin_ref:$standin_key" "docker-archive:$standin_out/image.tar:$standin_ref:$standin_key" >/dev/null
  touch "$standin_out/done"
fi
# hello: Debian's static busybox (the test image's) and a start script that serves, on $PORT
# (8080), a page with the values the bundle gave it (greeting, bundleVersion) with busybox httpd.
busybox_version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) ||
  die "busybox-static is not installed (scripts/install-deps.sh)"
hello_script='#!/bin/sh
# bundles/hello'"'"'s server: the values it was deployed with, over HTTP.
mkdir -p /tmp/www
printf "greeting=%s\nbundleVersion=%s\n" "${greeting:-}" "${bundleVersion:-}" >/tmp/www/index.html
exec httpd -f -v -p "${PORT:-8080}" -h /tmp/www
'
hello_key=$( { echo "$busybox_version"; echo "$hello_script"; } | sha256sum | cut -c1-16)
hello_out=$cache/out-hello/$hello_key
hello_ref=localhost/werf-testbed/hello
if [ ! -f "$hello_out/done" ]; then
  log "packing the hello image (content $hello_key)"
  rm -rf "$hello_out" && mkdir -p "$hello_out/rootfs/bin" "$hello_out/rootfs/tmp"
  chmod 1777 "$hello_out/rootfs/tmp"
  cp /bin/busybox "$hello_out/rootfs/bin/busybox"
  for applet in sh mkdir printf httpd; do ln -s busybox "$hello_out/rootfs/bin/$applet"; done
  printf '%s' "$hello_script" >"$hello_out/rootfs/bin/hello-server"
  chmod 755 "$hello_out/rootfs/bin/hello-server"
  "$tb_dir/make-oci-layout.sh" "$hello_out/rootfs" "$hello_ref:$hello_key" "$hello_out/image.tar" \
    '["/bin/hello-server"]' null
  rm -rf "$hello_out/rootfs"
  touch "$hello_out/done"
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
  if [ -n "${WERF_TESTBED_REAL_NODE:-}" ]; then
    # name=archive key alias: the stand-in's tag is what deploy/kustomize/testbed gives the
    # converger as --werf_image; hello's is bundles/hello's default image.
    for entry in "$standin_ref:$standin_key=$standin_out/image.tar=$standin_ref:testbed" \
                 "$hello_ref:$hello_key=$hello_out/image.tar=$hello_ref:1"; do
      IFS== read -r name archive alias <<<"$entry"
      [[ $'\n'"$("${ctr[@]}" images ls -q)"$'\n' == *$'\n'"$name"$'\n'* ]] ||
        "${ctr[@]}" images import "$archive" >/dev/null
      "${ctr[@]}" images tag --force "$name" "$alias" >/dev/null
    done
    refs+=("$standin_ref:testbed" "$hello_ref:1")
  fi
  log "loaded into ${WERF_TESTBED_REAL_NODE:-no real node} and pushed to $WERF_TESTBED_REGISTRY_ANON/werf-operator/"
else
  log "no test bed at $env_file: built only"
fi
log "done in $((SECONDS - started)) s"
for s in "${services[@]}"; do echo "werf-$s $out/werf-$s.tar ${WERF_TESTBED_REGISTRY_ANON:+$WERF_TESTBED_REGISTRY_ANON/werf-operator/werf-$s:$revision}"; done
echo "werf-standin $standin_out/image.tar ${WERF_TESTBED_REAL_NODE:+$standin_ref:testbed}"
echo "hello $hello_out/image.tar ${WERF_TESTBED_REAL_NODE:+$hello_ref:1}"
