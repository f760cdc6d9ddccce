#!/usr/bin/env bash
# Builds the libFuzzer targets of libs/oci with clang++-14 under AddressSanitizer
# and UndefinedBehaviorSanitizer, then runs each for SECONDS seconds, starting
# from the seed corpus in fuzz/corpus/. Exits non-zero when a target fails to
# build or finds a crash (the reproducer is left in BUILD_DIR/artifacts/).
#
#   libs/oci/fuzz/run_fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$(mkdir -p "$1" && cd "$1" && pwd)
seconds=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
oci=$(dirname "$here")
root=$(cd "$oci/../.." && pwd)
cxx=${CXX_FUZZ:-clang++-14}
command -v "$cxx" >/dev/null || { echo "$0: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }

# Abseil comes from Debian's packages, built without sanitizers; only our code is instrumented.
absl_libs=$(pkg-config --libs absl_status absl_statusor absl_strings absl_str_format absl_cord)
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -Wall -Wextra -Werror -I"$root")

declare -A sources=(
  [www_authenticate]="www_authenticate.cc header_lexer.cc"
  [link_header]="link_header.cc header_lexer.cc url.cc"
  [tag_list]="tag_list.cc reference.cc"
)

failed=()
mkdir -p "$build_dir/artifacts"
for name in www_authenticate link_header tag_list; do
  binary=$build_dir/${name}_fuzzer
  srcs=("$here/${name}_fuzzer.cc")
  for src in ${sources[$name]}; do srcs+=("$oci/$src"); done
  echo "== building $name"
  # shellcheck disable=SC2086
  if ! "$cxx" "${flags[@]}" "${srcs[@]}" $absl_libs -o "$binary"; then
    failed+=("$name (build)")
    continue
  fi
  corpus=$build_dir/corpus/$name
  mkdir -p "$corpus"
  dict=()
  [ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
  echo "== running $name for ${seconds}s"
  if ! "$binary" "${dict[@]}" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$name-" \
      "$corpus" "$here/corpus/$name" 2>"$build_dir/$name.log"; then
    tail -n 40 "$build_dir/$name.log" >&2
    failed+=("$name")
    continue
  fi
  grep -E "^(stat::number_of_executed_units|stat::new_units_added)" "$build_dir/$name.log" | sed "s/^/   $name: /"
done

if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]} (logs and reproducers in $build_dir)" >&2
  exit 1
fi
echo "all fuzzers ran ${seconds}s without a crash"
