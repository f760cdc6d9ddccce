#!/usr/bin/env bash
# Builds the libFuzzer targets of libs/oci and runs each for SECONDS seconds, starting
# from the seed corpus in fuzz/corpus/ (test/fuzz/libfuzzer.sh does the building and
# running). Exits non-zero when a target fails to build or finds a crash.
#
#   libs/oci/fuzz/run_fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
oci=$(dirname "$here")
source "$oci/../../test/fuzz/libfuzzer.sh"
fuzz_init "$0" "$@"

declare -A sources=(
  [www_authenticate]="www_authenticate.cc header_lexer.cc"
  [link_header]="link_header.cc header_lexer.cc url.cc"
  [tag_list]="tag_list.cc reference.cc"
)
for name in www_authenticate link_header tag_list; do
  binary=$fuzz_build_dir/${name}_fuzzer
  srcs=("$here/${name}_fuzzer.cc")
  for src in ${sources[$name]}; do srcs+=("$oci/$src"); done
  fuzz_build "$binary" "absl_status absl_statusor absl_strings absl_str_format absl_cord" "${srcs[@]}" || continue
  mkdir -p "$fuzz_build_dir/corpus/$name"
  dict=""
  [[ -f $here/$name.dict ]] && dict=$here/$name.dict
  fuzz_run "$name" "$binary" 8192 "$dict" "$fuzz_build_dir/corpus/$name" "$here/corpus/$name"
done
fuzz_finish "all fuzzers ran ${fuzz_seconds}s"
