#!/usr/bin/env bash
# Installs whatever is missing to build, test and run werf-operator; a no-op when
# everything is present. Debian packages through apt (as root, or via sudo), then the
# pinned third-party tools into ~/.cache/werf-operator (test/integration/testbed/build-tools.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  # build
  cmake ninja-build ccache g++ pkg-config git
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev prometheus-cpp-dev libyaml-cpp-dev
  libcpp-httplib-dev libre2-dev libgtest-dev libgmock-dev
  # fuzzing (libFuzzer)
  clang-14 libclang-rt-14-dev
  # checks and test bed (etcd 3.5 is built by build-tools.sh: Debian's 3.4 lacks what the watch cache needs)
  prometheus docker-registry apache2-utils openssl curl jq python3 python3-yaml util-linux chromium
  # the test bed's real node: container runtime, CNI plugins, kube-proxy's iptables and conntrack,
  # gcc for the pause image, the test image's static busybox (also the werf entrypoint test's
  # busybox shell and awk: the werf image is alpine)
  containerd runc containernetworking-plugins iptables conntrack iproute2 procps gcc libc6-dev busybox-static
  # make images: a bookworm base from Debian's archive, built without a daemon
  debootstrap buildah
  golang-go npm
)

missing=()
for package in "${packages[@]}"; do
  # A command already on PATH counts for toolchains installed outside apt (Go, Node).
  case $package in
    golang-go) command -v go >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
    cmake) command -v cmake >/dev/null && continue ;;
    g++) command -v g++ >/dev/null && continue ;;
    git) command -v git >/dev/null && continue ;;
  esac
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # Debian's containerd package would start a system containerd under systemd; the test bed's
  # real node runs its own (own root, state and socket), so a system one is not needed.
fi

"$root/test/integration/testbed/build-tools.sh"
