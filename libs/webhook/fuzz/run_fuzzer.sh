#!/usr/bin/env bash
# Builds libs/webhook's libFuzzer target with clang++-14 under AddressSanitizer and
# UndefinedBehaviorSanitizer, then fuzzes each parser for SECONDS seconds (eight
# parsers: 8 x SECONDS in all), seeded from the vendor fixtures in testdata/.
# Exits non-zero when the target fails to build or a run finds a crash (the
# reproducer is left in BUILD_DIR/artifacts/).
#
#   libs/webhook/fuzz/run_fuzzer.sh BUILD_DIR SECONDS
#
# The binary is rebuilt when a source is newer; the working corpus lives in
# BUILD_DIR, so inputs found by one run seed the next.
set -euo pipefail

if [[ $# -ne 2 || ! $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
mkdir -p "$1"
build_dir=$(cd "$1" && pwd)
seconds=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
webhook=$(dirname "$here")
root=$(cd "$webhook/../.." && pwd)
cxx=${CXX_FUZZ:-clang++-14}
command -v "$cxx" >/dev/null || { echo "$0: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }

# Abseil and OpenSSL come from Debian's packages, uninstrumented; only our code is.
srcs=("$here/webhook_fuzzer.cc" "$root/libs/oci/reference.cc" "$root/libs/oci/url.cc")
for src in "$webhook"/*.cc; do
  [[ $src == *_test.cc ]] || srcs+=("$src")
done
binary=$build_dir/webhook_fuzzer
needs_build=false
[[ -x $binary ]] || needs_build=true
for input in "${srcs[@]}" "$webhook"/*.h "$root"/libs/oci/reference.h "$root"/libs/oci/url.h "${BASH_SOURCE[0]}"; do
  [[ $input -nt $binary ]] && needs_build=true
done
if $needs_build; then
  echo "== building $binary"
  # shellcheck disable=SC2046  # pkg-config prints a list of flags
  "$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -Wall -Wextra -Werror -I"$root" "${srcs[@]}" \
    $(pkg-config --cflags --libs absl_status absl_statusor absl_strings absl_str_format absl_flat_hash_set absl_hash) \
    -lcrypto -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
fi

# Parser index (webhook_fuzzer.cc's kParsers) of each fixture, by file name prefix.
declare -A parser_of=([distribution]=0 [github]=1 [harbor]=2 [dockerhub]=3 [quay]=4 [gitlab]=5 [cloudevents]=6
                      [ecr]=6 [generic]=7)
names=(distribution github harbor dockerhub quay gitlab cloudevents generic)
failed=()
mkdir -p "$build_dir/artifacts"
for index in "${!names[@]}"; do
  name=${names[$index]}
  corpus=$build_dir/corpus/$name
  mkdir -p "$corpus"
  # Seeds: every fixture under this parser (and, for variety, under the header
  # variants), plus a minimal body of the generic shape.
  for fixture in "$webhook"/testdata/*.json; do
    base=$(basename "$fixture" .json)
    [[ ${parser_of[${base%%_*}]:-} == "$index" ]] || continue
    for variant in 0 1 2 3; do
      { printf "\\x$(printf %02x "$index")\\x$(printf %02x "$variant")"; cat "$fixture"; } >"$corpus/seed-$base-$variant"
    done
  done
  { printf "\\x$(printf %02x "$index")\\x00"; printf '%s' '{"registry":"r.example:5000","repository":"a/b","tag":"v1"}'; } \
    >"$corpus/seed-generic-shape"
  echo "== fuzzing $name for ${seconds}s"
  # The seeds' first byte aims this run at one parser; mutations of that byte reach
  # the others too, which only adds coverage.
  if ! "$binary" -dict="$here/webhook.dict" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$name-" "$corpus" 2>"$build_dir/$name.log"; then
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
echo "all parsers fuzzed ${seconds}s each without a crash"
