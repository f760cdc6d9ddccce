#!/usr/bin/env bash
# Builds the watch-stream parser's libFuzzer target (clang, ASan + UBSan) and
# runs it for a while over a working copy of the seed corpus.
#
#   libs/kube/fuzz/run_watch_parser_fuzzer.sh BUILD_DIR SECONDS
#
# The binary is cached in BUILD_DIR and rebuilt when its sources change. The
# working corpus also lives there, so inputs found by one run seed the next;
# the seeds in libs/kube/fuzz/watch_parser_corpus/ are never modified.
# Exits non-zero if the fuzzer finds a crash, leak or timeout; the input that
# caused it is saved in BUILD_DIR/watch_parser_artifacts/.
#
# Needs clang-14 and libclang-rt-14-dev (for libFuzzer); set CLANGXX to use
# another clang.
set -euo pipefail

if [[ $# -ne 2 || ! $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
seconds=$2
cxx=${CLANGXX:-clang++-14}
if ! command -v "$cxx" >/dev/null; then
  echo "$cxx not found: apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 2
fi

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
kube_dir=$repo_root/libs/kube
mkdir -p "$1"
build_dir=$(cd "$1" && pwd)
binary=$build_dir/watch_parser_fuzzer
inputs=(
  "$kube_dir/watch_parser.h"
  "$kube_dir/watch_parser.cc"
  "$kube_dir/watch_parser_fuzzer.cc"
  "${BASH_SOURCE[0]}"
)

needs_build=false
if [[ ! -x $binary ]]; then
  needs_build=true
else
  for input in "${inputs[@]}"; do
    [[ $input -nt $binary ]] && needs_build=true
  done
fi
if $needs_build; then
  echo "building $binary" >&2
  # Only the parser is compiled with clang; Debian's g++-built Abseil links
  # fine, as both use libstdc++. Abseil itself is not instrumented.
  # shellcheck disable=SC2046  # pkg-config prints a list of flags
  "$cxx" -std=c++20 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$repo_root" "$kube_dir/watch_parser.cc" "$kube_dir/watch_parser_fuzzer.cc" \
    $(pkg-config --cflags --libs absl_status absl_strings) \
    -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
fi

corpus=$build_dir/watch_parser_corpus
artifacts=$build_dir/watch_parser_artifacts
mkdir -p "$corpus" "$artifacts"
cp "$kube_dir"/fuzz/watch_parser_corpus/* "$corpus/"

echo "fuzzing the watch stream parser for ${seconds}s (corpus: $corpus)" >&2
if ! "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"; then
  echo "watch parser fuzzer failed; reproduce with: $binary $artifacts/<file>" >&2
  exit 1
fi
