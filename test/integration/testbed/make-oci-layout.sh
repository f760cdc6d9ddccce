#!/usr/bin/env bash
# make-oci-layout.sh ROOTFS_DIR IMAGE_REF OUT_TAR [ENTRYPOINT_JSON] [CMD_JSON]
# Packs a directory as a single-layer linux/amd64 OCI image layout (a tarball that
# `ctr images import` and `crane push` take), with no registry and no daemon. The layer is
# reproducible (sorted, fixed mtime, numeric owners), so the same directory gives the same digest.
set -euo pipefail
rootfs=$1; ref=$2; out=$3; ep=${4:-null}; cmd=${5:-'["/bin/sh"]'}
work=$(mktemp -d "${TMPDIR:-/tmp}/oci.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"
tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 --xattrs -C "$rootfs" -cf "$work/layer.tar" .
diffid=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -1 "$work/layer.tar"
blob() { # blob FILE: moves FILE into the layout under its digest, prints "digest size"
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1); size=$(stat -c %s "$1")
  mv "$1" "$work/blobs/sha256/$digest"
  echo "$digest $size"
}
read -r ldig lsize < <(blob "$work/layer.tar.gz")
jq -cn --arg d "sha256:$diffid" --argjson ep "$ep" --argjson cmd "$cmd" \
  '{architecture:"amd64",os:"linux",created:"1970-01-01T00:00:00Z",
    config:{Env:["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],Entrypoint:$ep,Cmd:$cmd,WorkingDir:"/"},
    rootfs:{type:"layers",diff_ids:[$d]},history:[{created:"1970-01-01T00:00:00Z",created_by:"make-oci-layout.sh"}]}' \
  >"$work/config.json"
read -r cdig csize < <(blob "$work/config.json")
jq -cn --arg c "sha256:$cdig" --argjson cs "$csize" --arg l "sha256:$ldig" --argjson ls "$lsize" \
  '{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
    config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},
    layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l,size:$ls}]}' >"$work/manifest.json"
read -r mdig msize < <(blob "$work/manifest.json")
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
jq -cn --arg m "sha256:$mdig" --argjson ms "$msize" --arg ref "$ref" \
  '{schemaVersion:2,manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$m,size:$ms,
    platform:{architecture:"amd64",os:"linux"},
    annotations:{"io.containerd.image.name":$ref,"org.opencontainers.image.ref.name":$ref}}]}' >"$work/index.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$work" -cf "$out.partial" oci-layout index.json blobs
mv "$out.partial" "$out"
echo "make-oci-layout: $out ($ref) manifest sha256:$mdig" >&2
