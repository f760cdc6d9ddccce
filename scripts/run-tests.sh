#!/usr/bin/env bash
# make test: build, then every test ctest knows (lint, unit, smoke, integration),
# ending with one line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-2}

export PATH="$("$root/test/integration/testbed/build-tools.sh" --path):$PATH"

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo || exit 1
fi
if ! cmake --build "$build_dir" -j "$jobs"; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log="$build_dir/ctest-output.log"
# Unit and smoke tests are independent; integration tests share the test bed and
# run one at a time.
(cd "$build_dir" && ctest --output-on-failure -j "$jobs" -LE integration) 2>&1 | tee "$log"
first=${PIPESTATUS[0]}
(cd "$build_dir" && ctest --output-on-failure -L integration) 2>&1 | tee -a "$log"
second=${PIPESTATUS[0]}

passed=0
failed=0
while read -r p f; do
  passed=$((passed + p)); failed=$((failed + f))
done < <(sed -nE 's/^[0-9]+% tests passed, ([0-9]+) tests failed out of ([0-9]+)$/\2 \1/p' "$log" |
         awk '{print $1 - $2, $2}')
if [ "$first" -ne 0 ] || [ "$second" -ne 0 ]; then
  [ "$failed" -gt 0 ] || failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
