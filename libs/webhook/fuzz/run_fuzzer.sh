#!/usr/bin/env bash
# Builds libs/webhook's libFuzzer target, then fuzzes each parser for SECONDS seconds
# (eight parsers: 8 x SECONDS in all), seeded from the vendor fixtures in testdata/
# (test/fuzz/libfuzzer.sh does the building and running). Exits non-zero when the
# target fails to build or a run finds a crash.
#
#   libs/webhook/fuzz/run_fuzzer.sh BUILD_DIR SECONDS
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
webhook=$(dirname "$here")
root=$(cd "$webhook/../.." && pwd)
source "$root/test/fuzz/libfuzzer.sh"
fuzz_init "$0" "$@"

srcs=("$here/webhook_fuzzer.cc" "$root/libs/oci/reference.cc" "$root/libs/oci/url.cc")
for src in "$webhook"/*.cc; do
  [[ $src == *_test.cc ]] || srcs+=("$src")
done
binary=$fuzz_build_dir/webhook_fuzzer
fuzz_build "$binary" "absl_status absl_statusor absl_strings absl_str_format absl_flat_hash_set absl_hash" \
  "${srcs[@]}" -- -lcrypto || fuzz_finish "the webhook fuzzer"

# Parser index (webhook_fuzzer.cc's kParsers) of each fixture, by file name prefix.
declare -A parser_of=([distribution]=0 [github]=1 [harbor]=2 [dockerhub]=3 [quay]=4 [gitlab]=5 [cloudevents]=6
                      [ecr]=6 [generic]=7)
names=(distribution github harbor dockerhub quay gitlab cloudevents generic)
for index in "${!names[@]}"; do
  name=${names[$index]}
  corpus=$fuzz_build_dir/corpus/$name
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
  # The seeds' first byte aims this run at one parser; mutations of that byte reach
  # the others too, which only adds coverage.
  fuzz_run "$name" "$binary" 16384 "$here/webhook.dict" "$corpus"
done
fuzz_finish "all parsers fuzzed ${fuzz_seconds}s each"
