#!/usr/bin/env bash
# The test command of README.md, also what .ci/run executes on a clean clone.
#
# 1. installs the dependencies (ci/install-deps.sh, apt-get, idempotent);
# 2. builds the tests with AddressSanitizer + UndefinedBehaviorSanitizer
#    (build-asan/) and the normal tree (build/);
# 3. runs one ctest over build/: unit tests, integration tests that build real
#    labs, the case library through `faultline run`, and (as the test
#    `sanitized_tests`) the sanitizer build's unit and integration tests, and
#    (as `fuzz`) the libFuzzer targets of build-fuzz/ for 30 s each.
# The last lines printed are ctest's summary; the exit status is ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
bash ci/install-deps.sh test

cmake -S . -B build-asan -DFAULTLINE_SANITIZE=ON -DFAULTLINE_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
cmake --build build-asan -j"$jobs"

# libFuzzer targets (clang, ASan + UBSan); ctest runs them for a bounded time.
bash ci/fuzz.sh --build-only

cmake -S . -B build -DFAULTLINE_BENCH=ON -DFAULTLINE_ASAN_BUILD_DIR="$PWD/build-asan" \
  -DFAULTLINE_FUZZ_SECONDS=30
cmake --build build -j"$jobs"

cd build
exec ctest --output-on-failure --timeout 1500 -j2
