# shellcheck shell=bash
# The one way this project builds and runs a libFuzzer target: sourced by each
# library's fuzz/run_*.sh, which names its sources and seeds and calls these.
#
# Targets are built with clang++-14 (CXX_FUZZ overrides) under AddressSanitizer and
# UndefinedBehaviorSanitizer; only our code is instrumented (Abseil and OpenSSL are
# Debian's, uninstrumented). Each run's working corpus lives in BUILD_DIR, so inputs
# found by one run seed the next; a crash leaves its reproducer in BUILD_DIR/artifacts/.
#
#   source "$root/test/fuzz/libfuzzer.sh"
#   fuzz_init "$0" BUILD_DIR SECONDS        # sets fuzz_build_dir, fuzz_seconds, fuzz_failed
#   fuzz_build BINARY "PKG_CONFIG_MODULES" SOURCE... [-- EXTRA_LINK_FLAG...]
#   fuzz_run NAME BINARY MAX_LEN DICT CORPUS_DIR...   # DICT may be ""
#   fuzz_finish "what ran"                  # exits 1 naming the failures

fuzz_init() {
  local script=$1
  if [[ $# -ne 3 || ! $3 =~ ^[0-9]+$ ]]; then
    echo "usage: $script BUILD_DIR SECONDS" >&2
    exit 2
  fi
  mkdir -p "$2/artifacts"
  fuzz_build_dir=$(cd "$2" && pwd)
  fuzz_seconds=$3
  fuzz_failed=()
  fuzz_cxx=${CXX_FUZZ:-clang++-14}
  command -v "$fuzz_cxx" >/dev/null ||
    { echo "$script: $fuzz_cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }
}

# Rebuilds BINARY when it is missing or older than a source, a header beside one, or
# the calling script. Returns non-zero (and records the failure) when it does not build.
fuzz_build() {
  local binary=$1 modules=$2
  shift 2
  local srcs=() link=()
  while (($#)); do
    if [[ $1 == -- ]]; then shift; link=("$@"); break; fi
    srcs+=("$1"); shift
  done
  local needs_build=false input
  [[ -x $binary ]] || needs_build=true
  for input in "${srcs[@]}" "${srcs[@]/%.cc/.h}" "${BASH_SOURCE[1]}" "${BASH_SOURCE[0]}"; do
    [[ -e $input && $input -nt $binary ]] && needs_build=true
  done
  $needs_build || return 0
  echo "== building $(basename "$binary")"
  # shellcheck disable=SC2046  # pkg-config prints a list of flags
  if ! "$fuzz_cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
      -fno-sanitize-recover=all -Wall -Wextra -Werror -I"$fuzz_root" "${srcs[@]}" \
      $(pkg-config --cflags --libs $modules) "${link[@]}" -o "$binary.tmp"; then
    fuzz_failed+=("$(basename "$binary") (build)")
    return 1
  fi
  mv "$binary.tmp" "$binary"
}

fuzz_run() {
  local name=$1 binary=$2 max_len=$3 dict=$4
  shift 4
  local dict_flag=()
  [[ -n $dict ]] && dict_flag=(-dict="$dict")
  echo "== fuzzing $name for ${fuzz_seconds}s"
  if ! "$binary" "${dict_flag[@]}" -max_total_time="$fuzz_seconds" -max_len="$max_len" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$fuzz_build_dir/artifacts/$name-" \
      "$@" 2>"$fuzz_build_dir/$name.log"; then
    tail -n 40 "$fuzz_build_dir/$name.log" >&2
    fuzz_failed+=("$name")
    return 0
  fi
  grep -E "^(stat::number_of_executed_units|stat::new_units_added)" "$fuzz_build_dir/$name.log" |
    sed "s/^/   $name: /"
}

fuzz_finish() {
  if ((${#fuzz_failed[@]})); then
    echo "FAILED: ${fuzz_failed[*]} (logs and reproducers in $fuzz_build_dir)" >&2
    exit 1
  fi
  echo "$1 without a crash"
}

fuzz_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
