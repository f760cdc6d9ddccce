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
  # checks and test bed
  prometheus etcd-server etcd-client docker-registry apache2-utils openssl curl python3 python3-yaml
  util-linux chromium
  # the werf image's shell and awk (alpine: busybox), for the Job entrypoint test
  busybox
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
  # The Debian etcd-server package may start a system etcd on 2379; the test bed
  # runs its own on a free port, so a system one is not needed.
fi

"$root/test/integration/testbed/build-tools.sh"
